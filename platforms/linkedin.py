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
- errors: ``{"status", "serviceErrorCode", "code", "message"}``; 429 for throttling (an
  application or member daily limit; ``Retry-After`` when LinkedIn sends one).
- inbox (Comments API, ``r_organization_social``): the organisation's latest posts
  (``GET /rest/posts?q=author&author={org}&count=``), and under each the comments
  ``GET /rest/socialActions/{postUrn}/comments?start=&count=`` (the top level, newest first,
  paged with ``start``/``count``; each ``{"id", "commentUrn", "actor", "object", "message":
  {"text"}, "created": {"time"}, "commentsSummary": {"aggregatedTotalComments"}}``) and the
  replies under a comment ``GET /rest/socialActions/{commentUrn}/comments`` (each with
  ``parentComment``). LinkedIn threads have two levels: a reply answers a top-level comment.
- reply (``w_organization_social``): ``POST /rest/socialActions/{parentCommentUrn}/comments``
  ``{"actor": org, "object": the post's activity, "message": {"text"}, "parentComment"}``;
  no idempotency key, so a reply whose answer was lost is looked up among the replies of the
  comment it answers, never sent again blindly.
- moderation: LinkedIn has no hide and no report API; the organisation may delete a comment
  under its own posts, ``DELETE /rest/socialActions/{target}/comments/{id}?actor={org}``
  (``remove``: permanent, one confirmed click).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from .base import CLOCK_SKEW, Identity, MediaItem, PublishResult, UploadedMedia
from .engagement import InboxPage, RemoteMessage, id_of, rate_limit_from, text_of
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

#: ``r_organization_social`` reads the comments under the organisation's posts (the inbox),
#: ``w_organization_social`` posts, answers and deletes them.
SCOPES = ("w_organization_social", "r_organization_social", "rw_organization_admin")
POSTING_ROLES = {"ADMINISTRATOR", "CONTENT_ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER"}
WEB = "https://www.linkedin.com"
#: The inbox: the organisation's latest posts whose comments are read, comments asked for a
#: page, and at most this many pages of a post's top-level comments (or of a thread's replies)
#: in one read.
RECENT_POSTS = 8
INBOX_PAGE = 100
MAX_COMMENT_PAGES = 20
#: Times are LinkedIn's own (ms); each read goes back this far behind a post's high-water mark
#: and the store drops what it has.
OVERLAP_SECONDS = 60
POST_URN = re.compile(r"urn:li:(?:share|ugcPost|activity):[0-9]{1,30}")
COMMENT_URN = re.compile(
    r"urn:li:comment:\((urn:li:(?:activity|share|ugcPost):[0-9]{1,30}),([0-9]{1,30})\)"
)
ACTOR_URN = re.compile(r"urn:li:(?:person|organization|organizationBrand):[A-Za-z0-9_-]{1,100}")


def _same(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class LinkedInClient(OAuthTokenClient):
    platform = "linkedin"
    label = "LinkedIn"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    supports_inbox = True
    supports_reply = True
    #: No hide and no report API: the organisation may only delete a comment under its posts.
    moderation_actions = ("remove",)
    text_limit = 3000
    reply_text_limit = 1250  # a comment
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

    # -- the engagement inbox ----------------------------------------------------------
    #
    # One read walks the organisation's latest posts. Under each post it reads the
    # top-level comments (newest first, every page up to MAX_COMMENT_PAGES) and keeps those
    # written since the post's high-water mark (LinkedIn's own ``created.time``, less
    # OVERLAP_SECONDS). A reply to an old comment does not move the comment, so each post
    # also keeps a signature of its threads' reply counts (``commentsSummary``): when it
    # changes, the replies of every thread with replies are read the same way. The cursor
    # is ``{"p": {post: [high-water mark (s), signature]}}``; a post that is no longer among
    # the latest is dropped from it.

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Comments under the organisation's latest posts, not read yet (one walk a call)."""
        count = max(1, min(limit or INBOX_PAGE, 100))
        org = self._author()
        marks = _inbox_state(cursor)
        response = self._authorized(
            "GET",
            self._url("/rest/posts"),
            headers=self._headers(),
            params={"q": "author", "author": org, "count": str(RECENT_POSTS)},
        )
        rate = rate_limit_from(response)
        self._check(response, write=False, action="the recent posts")
        posts = [
            id_of(post.get("id"))
            for post in ((self._json(response) or {}).get("elements") or [])[:RECENT_POSTS]
            if isinstance(post, dict) and POST_URN.fullmatch(id_of(post.get("id")))
        ]
        messages: list[RemoteMessage] = []
        kept: dict[str, list[int]] = {}
        seen = 0
        for post in dict.fromkeys(posts):
            key = post[len("urn:li:") :]
            hw, signature = marks.get(key, (0, 0))
            read = self._read_post(post, hw=hw, signature=signature, count=count, org=org)
            if read is None:  # the post is gone
                continue
            found, new_hw, new_signature, items = read
            messages += found
            seen += items
            kept[key] = [new_hw, new_signature]
        messages.sort(key=lambda m: (m.created_at.isoformat() if m.created_at else "", m.remote_id))
        return InboxPage(messages=messages, cursor=_dump_state(kept), rate_limit=rate, seen=seen)

    def _read_post(self, post: str, *, hw: int, signature: int, count: int, org: str):
        """``(messages, high-water mark, signature, items read)`` of one post, or None when
        LinkedIn no longer has it."""
        top = self._comment_pages(post, count=count)
        if top is None:
            return None
        since = max(hw - OVERLAP_SECONDS, 0) if hw else 0
        replied = sorted(
            (urn, replies)
            for urn, replies in ((_urn_of(item), _reply_count(item)) for item in top)
            if urn and replies
        )
        new_signature = zlib.crc32(json.dumps(replied).encode()) if replied else 0
        items = list(top)
        if new_signature != signature:
            for urn, _replies in replied:
                items += self._comment_pages(urn, count=count) or []
        messages, newest = [], hw
        for item in items:
            message = self._comment_message(item, post=post)
            if message is None:
                continue
            stamp = int(message.created_at.timestamp()) if message.created_at else 0
            newest = max(newest, stamp)
            if message.author_remote_id == org:
                continue  # the organisation's own comments and replies
            if since and stamp and stamp < since:
                continue
            messages.append(message)
        return messages, newest, new_signature, len(items)

    def _comment_pages(self, target: str, *, count: int) -> list[dict] | None:
        """The comments under a post (its top level) or a comment (its replies), every page
        up to MAX_COMMENT_PAGES; None when the post or comment is gone (404)."""
        found: list[dict] = []
        start = 0
        for _ in range(MAX_COMMENT_PAGES):
            response = self._authorized(
                "GET",
                self._url(f"/rest/socialActions/{quote(target, safe='')}/comments"),
                headers=self._headers(),
                params={"start": str(start), "count": str(count)},
            )
            if response.status_code == 404:
                return None if start == 0 else found
            self._check(response, write=False, action="the comments")
            body = self._json(response)
            if body is None:
                raise PlatformError(
                    "LinkedIn answered the comments without JSON.", platform=self.platform
                )
            elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
            found += elements
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            total = paging.get("total")
            start += len(elements)
            if len(elements) < count or (isinstance(total, int) and start >= total):
                break
        return found

    def _comment_message(self, item: dict, *, post: str) -> RemoteMessage | None:
        urn = _urn_of(item)
        if not urn:
            return None
        actor = id_of(item.get("actor"))
        if not ACTOR_URN.fullmatch(actor):
            return None
        parent = text_of(item.get("parentComment"))
        parent = parent if COMMENT_URN.fullmatch(parent) else ""
        created = item.get("created") if isinstance(item.get("created"), dict) else {}
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        return RemoteMessage(
            remote_id=urn,
            kind="reply",
            text=text_of(message.get("text")),
            author_remote_id=actor,
            author_handle=actor,
            author_display_name=_actor_name(item),
            created_at=_from_ms(created.get("time")),
            url=_comment_url(urn),
            in_reply_to=parent or post,
            thread_root=parent or urn,
        )

    def thread(self, remote_id: str) -> list:
        """The replies under a comment."""
        _comment_urn(remote_id, self.platform)
        items = self._comment_pages(remote_id, count=INBOX_PAGE) or []
        post = COMMENT_URN.fullmatch(remote_id).group(1)
        return [m for m in (self._comment_message(i, post=post) for i in items) if m is not None]

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        raise PlatformError(
            f"Saved searches are not offered for {self.label}.", platform=self.platform
        )

    # -- replies and moderation --------------------------------------------------------

    def _comment_target(self, urn: str) -> tuple[str, str]:
        """``(the post's URN as the comment names it, the comment's id)``."""
        match = COMMENT_URN.fullmatch(_comment_urn(urn, self.platform))
        return match.group(1), match.group(2)

    def _top_level(self, urn: str) -> str:
        """The top-level comment of ``urn``'s thread (LinkedIn threads have two levels: a
        reply to a reply is a reply to its top-level comment)."""
        post, comment_id = self._comment_target(urn)
        response = self._authorized(
            "GET",
            self._url(f"/rest/socialActions/{quote(post, safe='')}/comments/{comment_id}"),
            headers=self._headers(),
        )
        if response.status_code == 404:
            raise PublishRejected(
                "The comment is no longer on LinkedIn (deleted).",
                platform=self.platform,
                http_status=404,
            )
        self._check(response, write=False, action="the comment")
        parent = text_of((self._json(response) or {}).get("parentComment"))
        return parent if COMMENT_URN.fullmatch(parent) else urn

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Answer the comment ``in_reply_to`` as the organisation, in its thread. There is no
        idempotency key: a lost answer is settled by :meth:`lookup_reply`, never by sending
        again."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        _comment_urn(in_reply_to, self.platform)
        org = self._author()
        parent = self._top_level(in_reply_to)
        post, _ = self._comment_target(parent)
        response = self._authorized(
            "POST",
            self._url(f"/rest/socialActions/{quote(parent, safe='')}/comments"),
            write=True,
            headers=self._headers(),
            json={
                "actor": org,
                "object": post,
                "message": {"text": text},
                "parentComment": parent,
            },
        )
        if response.status_code >= 500:
            # A server error may come after the comment was stored and there is no key to
            # send it again safely: it is looked up (lookup_reply), never sent blindly.
            raise OutcomeUnknown(
                f"{self.label} answered the reply with a server error "
                f"({response.status_code}); it will be looked up, not sent again.",
                platform=self.platform,
                http_status=response.status_code,
                detail=self._error_text(response),
            )
        self._check(response, write=True, action="the reply")
        body = self._json(response) or {}
        urn = _urn_of(body) or _urn_of(
            {"object": post, "id": response.headers.get("x-restli-id", "")}
        )
        if not urn and COMMENT_URN.fullmatch(response.headers.get("x-restli-id", "")):
            urn = response.headers["x-restli-id"]
        if not urn:
            raise OutcomeUnknown(
                f"{self.label} accepted the reply but gave no comment URN; it will be checked.",
                platform=self.platform,
                http_status=response.status_code,
            )
        return PublishResult(remote_id=urn, url=_comment_url(urn), raw={"id": urn})

    def lookup_reply(
        self,
        *,
        idempotency_key: str,
        text: str,
        since: datetime | None,
        in_reply_to: str,
        root: str = "",
    ) -> PublishResult | None:
        """The organisation's reply with this text in the thread of the comment it answers."""
        org = self._author()
        wanted = " ".join(text.split())
        try:
            parents = [self._top_level(in_reply_to)]
        except PublishRejected:  # the comment is gone; its thread may still be there
            parents = []
        if root:
            parents.append(_comment_urn(root, self.platform))
        for parent in dict.fromkeys(parents):
            for message in self.thread(parent):
                if message.author_remote_id != org:
                    continue
                created = message.created_at
                if since is not None and created is not None and created < since - CLOCK_SKEW:
                    continue
                if " ".join(message.text.split()) == wanted:
                    return PublishResult(
                        remote_id=message.remote_id, url=message.url, raw={"id": message.remote_id}
                    )
        return None

    def remove(self, *, message_id: str) -> dict:
        """Delete someone's comment under the organisation's posts (LinkedIn has no hide).
        Permanent; a comment already gone is no error."""
        post, comment_id = self._comment_target(message_id)
        response = self._authorized(
            "DELETE",
            self._url(f"/rest/socialActions/{quote(post, safe='')}/comments/{comment_id}"),
            headers=self._headers(),
            params={"actor": self._author()},
        )
        if response.status_code == 404:
            return {"id": message_id, "removed": True, "already": True}
        self._check(response, write=False, action="deleting the comment")
        return {"id": message_id, "removed": True}


def _comment_urn(value, platform: str) -> str:
    if not isinstance(value, str) or not COMMENT_URN.fullmatch(value):
        raise PlatformError("Not a LinkedIn comment URN.", platform=platform)
    return value


def _urn_of(item: dict) -> str:
    """A comment's URN: ``commentUrn`` (or ``$URN``), else made from ``object`` and ``id``."""
    for key in ("commentUrn", "$URN"):
        value = text_of(item.get(key))
        if COMMENT_URN.fullmatch(value):
            return value
    post, comment_id = text_of(item.get("object")), id_of(item.get("id"))
    urn = f"urn:li:comment:({post},{comment_id})"
    return urn if COMMENT_URN.fullmatch(urn) else ""


def _reply_count(item: dict) -> int:
    summary = item.get("commentsSummary")
    if not isinstance(summary, dict):
        return 0
    for key in ("aggregatedTotalComments", "totalFirstLevelComments"):
        value = summary.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _actor_name(item: dict) -> str:
    """The commenter's name when LinkedIn decorated the actor (``actor~``), else ""."""
    decorated = item.get("actor~")
    if not isinstance(decorated, dict):
        return ""
    name = " ".join(
        text_of(decorated.get(k)) for k in ("localizedFirstName", "localizedLastName")
    ).strip()
    return (name or text_of(decorated.get("localizedName")))[:255]


def _from_ms(value) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 10**14:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def _comment_url(urn: str) -> str:
    match = COMMENT_URN.fullmatch(urn)
    if not match:
        return ""
    return f"{WEB}/feed/update/{match.group(1)}/?commentUrn={quote(urn, safe='')}"


#: The stored cursor holds 500 characters.
MAX_CURSOR = 500


def _dump_state(marks: dict[str, list[int]]) -> str:
    kept = dict(marks)
    while True:
        text = json.dumps({"p": kept}, separators=(",", ":"))
        if len(text) <= MAX_CURSOR or not kept:
            return text
        kept.pop(next(reversed(kept)))  # the oldest post is read again in full next time


def _inbox_state(cursor: str) -> dict[str, tuple[int, int]]:
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    marks = state.get("p") if isinstance(state, dict) else None
    if not isinstance(marks, dict):
        return {}
    out = {}
    for key, value in marks.items():
        if (
            isinstance(key, str)
            and POST_URN.fullmatch(f"urn:li:{key}")
            and isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 0 <= value[0] < 10**11
            and 0 <= value[1] < 2**32
        ):
            out[key] = (value[0], value[1])
    return out
