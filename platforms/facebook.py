"""Facebook Pages, through the Graph API (developers.facebook.com/docs/pages-api).

- auth: Facebook Login for Business (``https://www.facebook.com/{v}/dialog/oauth``, code
  exchanged at ``/{v}/oauth/access_token``; ``grant_type=fb_exchange_token`` makes it
  long-lived), then ``GET /me/accounts?fields=id,name,access_token,tasks`` lists the Pages the
  person manages with a Page access token each (``list_pages``). The channel stores the
  Page access token (it does not expire when made from a long-lived user token).
- whoami: ``GET /me?fields=id,name&metadata=1`` on the Page token: ``metadata.type`` must be
  ``page``; a person's own profile token (``user``) is refused (``PersonalAccountRefused``).
- publish: text ``POST /{page-id}/feed`` ``message``; images are uploaded first as
  unpublished photos (``POST /{page-id}/photos`` ``source``, ``published=false``,
  ``alt_text_custom``) and attached to the feed post with ``attached_media[i]={"media_fbid"}``;
  a video is the resumable Video API (``POST /{page-id}/videos`` ``upload_phase=start`` ->
  ``transfer`` chunks -> ``finish`` with the text as ``description``), whose status
  (``GET /{video-id}?fields=status`` -> ``video_status``) is followed until ``ready``. The
  video and its text are one object on Facebook: a video that fails processing is never
  published, so no text-only post can come out of it.
- lookup: ``GET /{page-id}/posts?fields=id,message,created_time,permalink_url&since=``.
- Facebook has no idempotency key; a repeated message can be refused (code 506), which we
  answer by looking the post up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from .base import CLOCK_SKEW, Identity, MediaItem, PublishResult, UploadedMedia, parse_datetime
from .errors import BadIdentityResponse, OutcomeUnknown, PersonalAccountRefused, PublishRejected
from .graph import GraphClient, graph_error
from .media import MB, MediaRules
from .oauth import OAuthClient, OAuthEndpoints, OAuthToken

SCOPES = ("pages_show_list", "pages_read_engagement", "pages_manage_posts")
WEB = "https://www.facebook.com"


def _same(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class FacebookClient(GraphClient):
    platform = "facebook"
    label = "Facebook Page"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    text_limit = 63206
    max_characters = text_limit
    default_instance_url = "https://graph.facebook.com"
    credential_fields = ["access_token"]  # a Page access token; "page_id" is kept beside it
    token_hosts = ("facebook.com",)
    oauth = OAuthEndpoints(
        authorize_url="https://www.facebook.com/v21.0/dialog/oauth",
        token_url="https://graph.facebook.com/v21.0/oauth/access_token",  # noqa: S106 - an address, not a secret
        scopes=SCOPES,
        scope_separator=",",
        pkce=False,
        client_auth="body",
    )
    token_scopes = SCOPES
    #: Pages: photos JPEG/PNG/GIF/WebP up to 4 MB (10 per post); videos MP4/MOV up to
    #: 1 GB (10 GB by resumable upload) and 240 min; one video per post.
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_types=("video/mp4", "video/quicktime"),
        max_image_bytes=4 * MB,
        max_video_bytes=1024 * MB,
        max_items=10,
        max_videos=1,
        video_max_seconds=240 * 60,
        alt_text=True,
        max_alt_text=1000,
    )
    video_chunk_bytes = 4 * MB

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._page_id = str(self._credential.get("page_id") or "")
        self._caption = ""

    # -- connect helpers ---------------------------------------------------------------

    @staticmethod
    def long_lived_user_token(oauth: OAuthClient, short_lived: OAuthToken) -> OAuthToken:
        """``grant_type=fb_exchange_token``: a 60-day user token for listing the Pages."""
        return oauth._token_request(
            {"grant_type": "fb_exchange_token", "fb_exchange_token": short_lived.access_token},
            refreshing=False,
        )

    def list_pages(self) -> list[dict]:
        """With a user token as credential: the Pages the person manages, each
        ``{"id", "name", "access_token", "tasks", "instagram_business_account"?}``."""
        body = self._graph(
            "GET",
            "/me/accounts",
            params={"fields": "id,name,access_token,tasks,instagram_business_account"},
            action="the list of Pages",
        )
        return [p for p in body.get("data") or [] if isinstance(p, dict) and p.get("id")]

    # -- whoami ------------------------------------------------------------------------

    def _me(self) -> dict:
        body = self._graph(
            "GET",
            "/me",
            params={"fields": "id,name", "metadata": "1"},
            action="the identity check",
        )
        if not body.get("id"):
            raise BadIdentityResponse(
                f"{self.label} answered the identity check without an id.", platform=self.platform
            )
        kind = ((body.get("metadata") or {}).get("type") or "").lower()
        if kind != "page":
            raise PersonalAccountRefused(
                "This is a personal Facebook profile's token, not a Page's: Countersign only "
                "publishes to Pages. Connect again and choose the Page.",
                platform=self.platform,
            )
        return body

    def whoami(self) -> Identity:
        body = self._me()
        page_id = str(body["id"])
        self._page_id = self._page_id or page_id
        return Identity(
            remote_id=page_id,
            handle=str(body.get("name") or page_id),
            display_name=str(body.get("name") or ""),
            profile_url=f"{WEB}/{page_id}",
        )

    def _page(self) -> str:
        if not self._page_id:
            self.whoami()
        return self._page_id

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        items = list(media or ())
        page = self._page()
        self._caption = text  # a Page video carries its text (set at upload_phase=finish)
        if any(item.kind == "video" for item in items):
            return self._publish_video(text, items, idempotency_key)
        uploaded = self.prepare_media(items, idempotency_key=idempotency_key)
        data: dict[str, str] = {"message": text}
        for index, ref in enumerate(uploaded):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": ref.remote_id})
        response = self._authorized("POST", self._graph_url(f"/{page}/feed"), write=True, data=data)
        if graph_error(self._json(response)).get("code") == 506:  # duplicate status message
            found = self.lookup(idempotency_key=idempotency_key, text=text, since=None)
            if found is not None:
                return found
        self._check(response, write=True, action="the post")
        post_id = str((self._json(response) or {}).get("id") or "")
        if not post_id:
            raise OutcomeUnknown(
                f"{self.label} accepted the post but gave no id; it will be checked.",
                platform=self.platform,
            )
        self.forget_media(idempotency_key)
        return PublishResult(remote_id=post_id, url=f"{WEB}/{post_id}", raw={"id": post_id})

    def _publish_video(self, text: str, items: list[MediaItem], key: str) -> PublishResult:
        [ref] = self.prepare_media(items, idempotency_key=key)
        video_id = ref.remote_id
        self.forget_media(key)
        return PublishResult(
            remote_id=video_id,
            url=f"{WEB}/{self._page()}/videos/{video_id}",
            raw={"id": video_id, "type": "video"},
        )

    # -- media -------------------------------------------------------------------------

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        page = self._page()
        if item.kind == "video":
            return self._upload_video(item, key=key)
        data = {"published": "false", "temporary": "true"}
        if item.alt_text:
            data["alt_text_custom"] = item.alt_text
        body = self._graph(
            "POST",
            f"/{page}/photos",
            data=data,
            files={"source": ("photo", item.read_bytes(), item.mime_type)},
            content=True,
            action="the photo upload",
        )
        if not body.get("id"):
            raise PublishRejected(f"{self.label} gave no photo id.", platform=self.platform)
        return self._uploaded(str(body["id"]), item, key=key)

    def _upload_video(self, item: MediaItem, *, key: str) -> UploadedMedia:
        page = self._page()
        content = item.read_bytes()
        start = self._graph(
            "POST",
            f"/{page}/videos",
            data={"upload_phase": "start", "file_size": str(len(content))},
            action="the video upload (start)",
        )
        session, video_id = (
            str(start.get("upload_session_id") or ""),
            str(start.get("video_id") or ""),
        )
        offset = int(start.get("start_offset") or 0)
        end = int(start.get("end_offset") or len(content))
        while offset < len(content):
            chunk = content[offset : max(end, offset + 1)][: self.video_chunk_bytes]
            answer = self._graph(
                "POST",
                f"/{page}/videos",
                data={
                    "upload_phase": "transfer",
                    "upload_session_id": session,
                    "start_offset": str(offset),
                },
                files={"video_file_chunk": ("chunk", chunk, "application/octet-stream")},
                action="the video upload (transfer)",
            )
            offset, end = int(answer.get("start_offset") or 0), int(answer.get("end_offset") or 0)
            if offset == end and offset < len(content):
                break
        finish = self._graph(
            "POST",
            f"/{page}/videos",
            write=True,
            data={
                "upload_phase": "finish",
                "upload_session_id": session,
                "description": self._caption,
            },
            action="the video upload (finish)",
        )
        if not finish.get("success"):
            raise PublishRejected(f"{self.label} did not accept the video.", platform=self.platform)
        return self._uploaded(video_id, item, key=key, ready=False)

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        body = self._graph(
            "GET", f"/{ref.remote_id}", params={"fields": "status"}, action="the video status"
        )
        status = body.get("status") or {}
        state = str(status.get("video_status") or "")
        if state == "ready":
            return "ready", "", None
        if state == "error":
            phase = status.get("processing_phase") or {}
            error = (phase.get("errors") or [{}])[0] if isinstance(phase, dict) else {}
            return "failed", str(error.get("message") or "processing failed"), None
        return "processing", "", None

    # -- lookup ------------------------------------------------------------------------

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        params = {"fields": "id,message,created_time,permalink_url", "limit": "25"}
        if since is not None:
            params["since"] = str(int((since - CLOCK_SKEW).timestamp()))
        body = self._graph("GET", f"/{self._page()}/posts", params=params, action="the post lookup")
        for post in body.get("data") or []:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            created = parse_datetime(str(post.get("created_time") or "").replace("+0000", "+00:00"))
            if since is not None and created is not None and created < since - CLOCK_SKEW:
                continue
            if _same(str(post.get("message") or ""), text):
                url = str(post.get("permalink_url") or f"{WEB}/{post['id']}")
                return PublishResult(remote_id=str(post["id"]), url=url, raw=post)
        return None
