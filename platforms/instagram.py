"""Instagram professional accounts, through the Instagram Graph API with Facebook Login
(developers.facebook.com/docs/instagram-platform/content-publishing).

- auth: the Facebook Page's access token (see ``facebook.py``); the channel stores it with
  the ``page_id``.
- whoami: ``GET /me?fields=id,name&metadata=1`` must be a Page (a personal profile token is
  refused), then ``GET /{page-id}?fields=instagram_business_account{id,username,name,
  profile_picture_url}``: the Instagram professional account behind the Page is the
  identity. A Page with no Instagram professional account is refused (personal Instagram
  accounts cannot be published to).
- publish, two steps: containers with ``POST /{ig-user-id}/media`` (``image_url`` +
  ``alt_text`` for an image, ``is_carousel_item`` for carousel items then
  ``media_type=CAROUSEL`` + ``children``; a video is a reel: ``media_type=REELS``,
  ``upload_type=resumable`` and the bytes sent to the ``uri`` it returns on
  rupload.facebook.com), polled with ``GET /{container-id}?fields=status_code,status``
  (``IN_PROGRESS`` -> ``FINISHED``, or ``ERROR``/``EXPIRED``), then
  ``POST /{ig-user-id}/media_publish`` ``creation_id`` and ``GET /{media-id}?fields=permalink``.
  Instagram fetches images itself: ``MediaItem.url`` must be a public address.
- Instagram posts need media; the caption is the text. Publishing limit (100 posts in 24 h)
  is code 9 / subcode 2207042 -> PlatformUnavailable.
- lookup: ``GET /{ig-user-id}/media?fields=id,caption,permalink,timestamp``.
- inbox (``instagram_manage_comments``): the comments under the account's 25 latest media
  (``GET /{ig-user-id}/media``), each media's read with ``GET /{ig-media-id}/comments``
  (``fields=id,text,timestamp,username,from,parent_id`` and each comment's ``replies``,
  ``after`` paging; Instagram takes no ``since`` here, so what is older than the last read
  is dropped on our side). A reply answers its ``parent_id``, a comment the media.
- reply: ``POST /{ig-comment-id}/replies`` ``message`` (Instagram adds a reply to a reply
  to the top-level comment); no idempotency key: a lost answer is looked up among the
  comment's replies (``GET /{ig-comment-id}/replies``), never sent again blindly.
- moderation: hide a comment, ``POST /{ig-comment-id}`` ``hide=true``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Identity, MediaItem, PublishResult, UploadedMedia, parse_datetime
from .engagement import RemoteMessage, id_of, text_of
from .errors import (
    BadIdentityResponse,
    MediaRejected,
    PersonalAccountRefused,
    PlatformError,
    PublishRejected,
)
from .facebook import GRAPH_ID, RECENT_POSTS, FacebookClient
from .facebook import SCOPES as FACEBOOK_SCOPES
from .graph import ContainerPublishing
from .media import MB, MediaRules
from .oauth import OAuthEndpoints

WEB = "https://www.instagram.com"
#: What the inbox asks for on each comment (and on each of its replies).
COMMENT_FIELDS = "id,text,timestamp,username,from,parent_id"
INBOX_FIELDS = f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}"


class InstagramClient(ContainerPublishing, FacebookClient):
    platform = "instagram"
    label = "Instagram"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    text_limit = 2200
    max_characters = text_limit
    token_hosts = ("facebook.com",)
    media_required = True  # an Instagram post is an image or a video with a caption
    container_status_fields = ("status_code", "status")
    caption_field = "caption"
    #: The Facebook app's consent page, asking for the Instagram publishing permissions too.
    oauth = OAuthEndpoints(
        authorize_url=FacebookClient.oauth.authorize_url,
        token_url=FacebookClient.oauth.token_url,
        scopes=(
            *FACEBOOK_SCOPES,
            "instagram_basic",
            "instagram_content_publish",
            "instagram_manage_comments",  # the inbox: read, answer and hide comments
        ),
        scope_separator=",",
        pkce=False,
        client_auth="body",
    )
    token_scopes = oauth.scopes
    #: Content publishing: JPEG images up to 8 MB, aspect 4:5 to 1.91:1, fetched from a
    #: public URL, up to 10 in a carousel; a reel: MP4/MOV up to 300 MB, 3 s to 15 min,
    #: 23-60 fps, aspect 0.01:1 to 10:1. Alt text for images.
    media_rules = MediaRules(
        image_types=("image/jpeg",),
        video_types=("video/mp4", "video/quicktime"),
        max_image_bytes=8 * MB,
        max_video_bytes=300 * MB,
        max_items=10,
        max_videos=1,
        video_min_seconds=3,
        video_max_seconds=15 * 60,
        video_max_frame_rate=60,
        video_min_aspect=0.01,
        video_max_aspect=10.0,
        image_min_aspect=0.8,
        image_max_aspect=1.91,
        alt_text=True,
        max_alt_text=1000,
        needs_public_url=("image",),
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._ig_user_id = str(self._credential.get("ig_user_id") or "")
        self._own_username = ""
        self._items_in_post = 1

    def whoami(self) -> Identity:
        page = self._me()
        self._page_id = self._page_id or str(page["id"])
        body = self._graph(
            "GET",
            f"/{self._page_id}",
            params={"fields": "instagram_business_account{id,username,name,profile_picture_url}"},
            action="the identity check",
        )
        account = body.get("instagram_business_account")
        if not isinstance(account, dict) or not account.get("id"):
            raise PersonalAccountRefused(
                "No Instagram professional account is linked to this Facebook Page; a personal "
                "Instagram account cannot be published to. Link a business or creator account "
                "to the Page, then connect again.",
                platform=self.platform,
            )
        if not account.get("username"):
            raise BadIdentityResponse(
                "Instagram answered without the account's username.", platform=self.platform
            )
        self._ig_user_id = str(account["id"])
        self._own_username = str(account["username"])
        return Identity(
            remote_id=self._ig_user_id,
            handle=f"@{account['username']}",
            display_name=str(account.get("name") or ""),
            avatar_url=str(account.get("profile_picture_url") or ""),
            profile_url=f"{WEB}/{account['username']}",
        )

    def _ig(self) -> str:
        if not self._ig_user_id:
            self.whoami()
        return self._ig_user_id

    def _containers_path(self) -> str:
        return f"/{self._ig()}/media"

    def _publish_path(self) -> str:
        return f"/{self._ig()}/media_publish"

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        items = list(media or ())
        if not items:
            raise MediaRejected(
                "Instagram posts need an image or a video; this post has none.",
                platform=self.platform,
            )
        self._caption = text
        uploaded = self.prepare_media(items, idempotency_key=idempotency_key)
        if len(uploaded) == 1:
            container = uploaded[0]
        else:
            container = self._cached_container(
                {
                    "media_type": "CAROUSEL",
                    "children": ",".join(c.remote_id for c in uploaded),
                    "caption": self._caption,
                },
                uploaded[0].item,
                key=f"{idempotency_key}:carousel",
                action="the carousel",
            )
        return self._publish_container(container, text=text, idempotency_key=idempotency_key)

    # -- media (containers) ------------------------------------------------------------

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        data: dict[str, str] = {}
        if self._items_in_post > 1:
            data["is_carousel_item"] = "true"
        else:
            data["caption"] = self._caption
        if item.kind == "video":
            data.update(media_type="REELS", upload_type="resumable")
            body = self._graph(
                "POST",
                self._containers_path(),
                data=data,
                content=True,
                action="the reel container",
            )
            container, uri = str(body.get("id") or ""), str(body.get("uri") or "")
            self._upload_bytes(uri, item)
            return self._uploaded(container, item, key=key, ready=False)
        data["image_url"] = item.url
        if item.alt_text:
            data["alt_text"] = item.alt_text
        body = self._graph(
            "POST", self._containers_path(), data=data, content=True, action="the image container"
        )
        return self._uploaded(str(body.get("id") or ""), item, key=key, ready=False)

    def prepare_media(self, media, *, idempotency_key: str):
        self._items_in_post = len(list(media or ()))
        return super().prepare_media(media, idempotency_key=idempotency_key)

    def _upload_bytes(self, uri: str, item: MediaItem) -> None:
        if not uri or not self._may_send_token_to(uri):
            raise PublishRejected(
                "Instagram gave no usable upload address for the video.", platform=self.platform
            )
        content = item.read_bytes()
        response = self._request(
            "POST",
            uri,
            headers={
                "Authorization": f"OAuth {self._fresh_token()}",
                "offset": "0",
                "file_size": str(len(content)),
                "Content-Type": "application/octet-stream",
            },
            data=content,
        )
        self._check(response, write=False, action="the video upload")

    # -- the engagement inbox (the walk is Facebook's, see facebook.py) -----------------

    def _own_ids(self) -> set[str]:
        ig = self._ig()
        return {ig, self._own_username} - {""}

    def _posts_listing(self) -> tuple[str, dict]:
        return f"/{self._ig()}/media", {"fields": "id,timestamp", "limit": str(RECENT_POSTS)}

    def _comments_params(self, *, limit: int, since: int, after: str) -> dict:
        params = {"fields": INBOX_FIELDS, "limit": str(limit)}
        if after:
            params["after"] = after
        return params

    def _comment_messages(self, items: list[dict], *, post_id: str) -> list[RemoteMessage]:
        out = []
        for item in items:
            message = self._comment_message(item, post_id=post_id)
            if message is None:
                continue
            out.append(message)
            replies = item.get("replies") if isinstance(item.get("replies"), dict) else {}
            for reply in replies.get("data") or []:
                if isinstance(reply, dict):
                    answer = self._comment_message(reply, post_id=post_id, parent=message)
                    if answer is not None:
                        out.append(answer)
        return out

    def _comment_message(
        self, item: dict, *, post_id: str, parent: RemoteMessage | None = None
    ) -> RemoteMessage | None:
        remote_id = id_of(item.get("id"))
        if not GRAPH_ID.fullmatch(remote_id):
            return None
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        username = text_of(item.get("username")) or text_of(author.get("username"))
        parent_id = id_of(item.get("parent_id")) or (parent.remote_id if parent else "")
        stamp = text_of(item.get("timestamp")).replace("+0000", "+00:00")
        return RemoteMessage(
            remote_id=remote_id,
            kind="reply",
            text=text_of(item.get("text")),
            author_remote_id=id_of(author.get("id")) or username[:255],
            author_handle=f"@{username}"[:255] if username else "",
            created_at=parse_datetime(stamp),
            in_reply_to=parent_id or post_id,
            thread_root=parent_id or remote_id,
        )

    def thread(self, remote_id: str) -> list:
        """The replies under a comment (``GET /{ig-comment-id}/replies``)."""
        if not isinstance(remote_id, str) or not GRAPH_ID.fullmatch(remote_id):
            raise PlatformError("Not a comment id.", platform=self.platform)
        body = self._graph(
            "GET",
            f"/{remote_id}/replies",
            params={"fields": COMMENT_FIELDS, "limit": "100"},
            action="the replies",
        )
        out = []
        for item in body.get("data") or []:
            if isinstance(item, dict):
                message = self._comment_message(item, post_id=remote_id)
                if message is not None:
                    out.append(message)
        return out

    def _reply_edge(self) -> str:
        return "replies"

    def _comment_url(self, comment_id: str) -> str:
        return ""  # Instagram comments have no address of their own

    def _hide_data(self) -> dict[str, str]:
        return {"hide": "true"}
