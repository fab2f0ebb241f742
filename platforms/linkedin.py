"""LinkedIn organisation pages, through LinkedIn's versioned REST API
(learn.microsoft.com/linkedin/marketing/community-management).

Every request carries ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``.

- auth: 3-legged OAuth 2.0 (``https://www.linkedin.com/oauth/v2/authorization``, code
  exchanged at ``/oauth/v2/accessToken`` with the client id and secret in the body), scopes
  ``w_organization_social r_organization_social rw_organization_admin``; tokens last 60
  days, refresh tokens (where LinkedIn grants them to the app) a year.
- whoami: the organisation the token may post as. ``GET /rest/organizationAcls?
  q=roleAssignee&state=APPROVED`` lists the member's roles; the channel's
  ``organization_urn`` must be among those with a posting role (ADMINISTRATOR,
  CONTENT_ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER); its name from
  ``GET /rest/organizations/{id}``. A member profile URN (``urn:li:person:...``) as the
  author, or a member who administers no organisation, is a personal account: refused.
- publish: ``POST /rest/posts`` ``{"author", "commentary", "visibility": "PUBLIC",
  "distribution": {"feedDistribution": "MAIN_FEED", ...}, "lifecycleState": "PUBLISHED",
  "content": {"media": {"id", "altText"}} | {"multiImage": {"images": [...]}}}`` -> 201 with
  the post URN in ``x-restli-id``.
- media: Images API ``POST /rest/images?action=initializeUpload`` -> ``uploadUrl`` + image
  URN, ``PUT`` the bytes, ``GET /rest/images/{urn}`` until ``AVAILABLE``; Videos API
  ``POST /rest/videos?action=initializeUpload`` (``fileSizeBytes``) -> ``uploadInstructions``
  (byte ranges), ``PUT`` each part and keep its ``ETag``, ``POST /rest/videos?
  action=finalizeUpload`` with ``uploadedPartIds``, ``GET /rest/videos/{urn}`` until
  ``AVAILABLE`` (``PROCESSING_FAILED`` = failed).
- lookup: ``GET /rest/posts?q=author&author={urn}&sortBy=LAST_MODIFIED``, matching
  ``commentary``. LinkedIn has no idempotency key.
- errors: ``{"status", "serviceErrorCode", "code", "message"}``; 429 for throttling.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote, urlsplit

from .base import Identity, MediaItem, PublishResult, UploadedMedia
from .errors import (
    BadIdentityResponse,
    IdentityMismatch,
    OutcomeUnknown,
    PersonalAccountRefused,
    PlatformError,
    PublishRejected,
)
from .media import MB, MediaRules
from .oauth import OAuthEndpoints, OAuthTokenClient

SCOPES = ("w_organization_social", "r_organization_social", "rw_organization_admin")
POSTING_ROLES = {"ADMINISTRATOR", "CONTENT_ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER"}
WEB = "https://www.linkedin.com"


def _same(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class LinkedInClient(OAuthTokenClient):
    platform = "linkedin"
    label = "LinkedIn"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    text_limit = 3000
    max_characters = text_limit
    default_instance_url = "https://api.linkedin.com"
    credential_fields = ["access_token"]  # plus "organization_urn", chosen when connecting
    api_version = "202411"
    oauth = OAuthEndpoints(
        authorize_url="https://www.linkedin.com/oauth/v2/authorization",
        token_url="https://www.linkedin.com/oauth/v2/accessToken",  # noqa: S106 - an address, not a secret
        scopes=SCOPES,
        pkce=False,
        client_auth="body",
    )
    token_scopes = SCOPES
    #: Images API: JPG/PNG/GIF (GIF up to 250 frames), 2 to 20 in a multi-image post;
    #: Videos API: MP4, 75 KB to 500 MB, 3 s to 30 min; one video per post. Alt text on
    #: images (``altText``, up to 4086 characters).
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif"),
        video_types=("video/mp4",),
        max_image_bytes=36 * MB,
        max_video_bytes=500 * MB,
        max_items=20,
        max_videos=1,
        video_min_seconds=3,
        video_max_seconds=30 * 60,
        alt_text=True,
        max_alt_text=4086,
    )
    token_hosts = ("linkedin.com", "licdn.com")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.organization_urn = str(self._credential.get("organization_urn") or "")

    def _headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.api_version, "X-Restli-Protocol-Version": "2.0.0"}

    def _rest(self, method: str, path: str, *, write: bool = False, action: str, **kwargs):
        response = self._authorized(
            method,
            self._url(f"/rest/{path.lstrip('/')}"),
            write=write,
            headers=self._headers(),
            **kwargs,
        )
        self._check(response, write=write, action=action)
        return response

    # -- whoami ------------------------------------------------------------------------

    def organizations(self) -> list[dict]:
        """The organisations this member may post as: ``{"urn", "role"}``."""
        response = self._rest(
            "GET",
            "organizationAcls",
            params={"q": "roleAssignee", "state": "APPROVED"},
            action="the organisation roles",
        )
        found = []
        for acl in (self._json(response) or {}).get("elements") or []:
            if not isinstance(acl, dict):
                continue
            urn, role = acl.get("organization"), acl.get("role")
            if (
                isinstance(urn, str)
                and role in POSTING_ROLES
                and acl.get("state", "APPROVED") == "APPROVED"
            ):
                found.append({"urn": urn, "role": role})
        return found

    def whoami(self) -> Identity:
        if self.organization_urn.startswith("urn:li:person:"):
            raise PersonalAccountRefused(
                "This LinkedIn credential posts as a member's own profile, a personal "
                "account; connect a LinkedIn Page (organisation) instead.",
                platform=self.platform,
            )
        organizations = self.organizations()
        if not organizations:
            raise PersonalAccountRefused(
                "This LinkedIn member administers no organisation page, so the token can only "
                "post as the member's own profile (a personal account). Connect with a Page "
                "administrator.",
                platform=self.platform,
            )
        urns = [o["urn"] for o in organizations]
        urn = self.organization_urn or (urns[0] if len(urns) == 1 else "")
        if not urn:
            raise BadIdentityResponse(
                "This LinkedIn member can post for several organisations; choose one "
                f"({', '.join(urns)}).",
                platform=self.platform,
            )
        if urn not in urns:
            raise IdentityMismatch(
                "This LinkedIn credential may no longer post as the organisation this channel "
                "was connected to.",
                platform=self.platform,
                expected=urn,
                actual=",".join(urns),
            )
        org_id = urn.rsplit(":", 1)[-1]
        response = self._rest("GET", f"organizations/{org_id}", action="the organisation")
        body = self._json(response) or {}
        name = str(body.get("localizedName") or "")
        vanity = str(body.get("vanityName") or "")
        if not name:
            raise BadIdentityResponse(
                "LinkedIn answered without the organisation's name.", platform=self.platform
            )
        self.organization_urn = urn
        return Identity(
            remote_id=urn,
            handle=vanity or name,
            display_name=name,
            profile_url=f"{WEB}/company/{vanity or org_id}",
        )

    def _author(self) -> str:
        if not self.organization_urn:
            self.whoami()
        return self.organization_urn

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        author = self._author()
        if author.startswith("urn:li:person:"):
            self.whoami()  # raises PersonalAccountRefused
        uploaded = self.prepare_media(media, idempotency_key=idempotency_key)
        post: dict = {
            "author": author,
            "commentary": text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(uploaded) == 1:
            ref = uploaded[0]
            post["content"] = {"media": {"id": ref.remote_id}}
            if ref.item.alt_text and ref.item.kind != "video":
                post["content"]["media"]["altText"] = ref.item.alt_text
        elif uploaded:
            post["content"] = {
                "multiImage": {
                    "images": [
                        {
                            "id": r.remote_id,
                            **({"altText": r.item.alt_text} if r.item.alt_text else {}),
                        }
                        for r in uploaded
                    ]
                }
            }
        response = self._authorized(
            "POST", self._url("/rest/posts"), write=True, headers=self._headers(), json=post
        )
        if response.status_code == 422 and "duplicate" in self._error_text(response).lower():
            found = self.lookup(idempotency_key=idempotency_key, text=text, since=None)
            if found is not None:
                return found
        self._check(response, write=True, action="the post")
        urn = response.headers.get("x-restli-id") or (self._json(response) or {}).get("id")
        if not urn:
            raise OutcomeUnknown(
                "LinkedIn accepted the post but gave no post URN; it will be checked.",
                platform=self.platform,
            )
        self.forget_media(idempotency_key)
        return PublishResult(remote_id=str(urn), url=f"{WEB}/feed/update/{urn}/", raw={"id": urn})

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        response = self._rest(
            "GET",
            "posts",
            params={
                "q": "author",
                "author": self._author(),
                "count": "20",
                "sortBy": "LAST_MODIFIED",
            },
            action="the post lookup",
        )
        since_ms = int(since.timestamp() * 1000) - 300_000 if since is not None else None
        for post in (self._json(response) or {}).get("elements") or []:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            created = post.get("createdAt")
            if since_ms is not None and isinstance(created, int) and created < since_ms:
                continue
            if _same(str(post.get("commentary") or ""), text):
                urn = str(post["id"])
                return PublishResult(remote_id=urn, url=f"{WEB}/feed/update/{urn}/", raw=post)
        return None

    # -- media -------------------------------------------------------------------------

    def _upload_to(self, url: str, content: bytes, *, action: str) -> str:
        """PUT bytes to an upload URL LinkedIn gave; returns the ETag. The token goes only
        to LinkedIn's own hosts."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise PlatformError("LinkedIn gave an unusable upload address.", platform=self.platform)
        headers = {"Content-Type": "application/octet-stream"}
        if self._may_send_token_to(url):
            headers.update(self._auth_headers())
        response = self._request("PUT", url, headers=headers, data=content)
        self._check(response, write=False, action=action)
        return response.headers.get("ETag", "")

    def _may_send_token_to(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        api_host = (urlsplit(self.instance_url).hostname or "").lower()
        return host == api_host or any(
            host == h or host.endswith("." + h) for h in self.token_hosts
        )

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        owner = self._author()
        content = item.read_bytes()
        if item.kind == "video":
            response = self._rest(
                "POST",
                "videos?action=initializeUpload",
                json={
                    "initializeUploadRequest": {
                        "owner": owner,
                        "fileSizeBytes": len(content),
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
                action="the video upload",
            )
            value = (self._json(response) or {}).get("value") or {}
            urn = str(value.get("video") or "")
            etags = []
            for part in value.get("uploadInstructions") or []:
                first, last = int(part["firstByte"]), int(part["lastByte"])
                etags.append(
                    self._upload_to(
                        part["uploadUrl"], content[first : last + 1], action="the video part"
                    )
                )
            self._rest(
                "POST",
                "videos?action=finalizeUpload",
                json={
                    "finalizeUploadRequest": {
                        "video": urn,
                        "uploadToken": str(value.get("uploadToken") or ""),
                        "uploadedPartIds": etags,
                    }
                },
                action="the video upload (finalize)",
            )
            return self._uploaded(urn, item, key=key, ready=False, data={"kind": "videos"})
        response = self._rest(
            "POST",
            "images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": owner}},
            action="the image upload",
        )
        value = (self._json(response) or {}).get("value") or {}
        urn = str(value.get("image") or "")
        if not urn or not value.get("uploadUrl"):
            raise PublishRejected("LinkedIn gave no image upload address.", platform=self.platform)
        self._upload_to(str(value["uploadUrl"]), content, action="the image upload")
        return self._uploaded(urn, item, key=key, ready=False, data={"kind": "images"})

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        response = self._rest(
            "GET",
            f"{ref.data.get('kind', 'images')}/{quote(ref.remote_id, safe='')}",
            action="the media status",
        )
        status = str((self._json(response) or {}).get("status") or "")
        if status == "AVAILABLE":
            return "ready", "", None
        if status in ("PROCESSING_FAILED", "FAILED"):
            return "failed", "LinkedIn could not process it", None
        return "processing", "", None
