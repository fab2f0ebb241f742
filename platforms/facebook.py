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
- inbox (``pages_read_engagement``, ``pages_read_user_content``): the comments under the
  Page's 25 latest posts (``GET /{page-id}/feed?fields=id,created_time``), each post's read
  with ``GET /{post-id}/comments?filter=stream&order=chronological`` (every level, oldest
  first; ``since`` a Unix time, ``after`` paging) and the fields ``id,message,created_time,
  from{id,name},parent{id},permalink_url``. A comment answers its ``parent`` (a reply) or
  the post. The usage headers (``X-App-Usage``, ``X-Page-Usage``,
  ``X-Business-Use-Case-Usage``) are read on every answer.
- reply (``pages_manage_engagement``): ``POST /{comment-id}/comments`` ``message``; there is
  no idempotency key, so a reply whose answer was lost is looked up among the comment's
  replies (``GET /{comment-id}/comments``), never sent again blindly.
- moderation: hide a comment, ``POST /{comment-id}`` ``is_hidden=true`` (its author and
  their friends still see it); Pages have no report API.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import datetime

from .base import CLOCK_SKEW, Identity, MediaItem, PublishResult, UploadedMedia, parse_datetime
from .engagement import (
    InboxPage,
    RateLimit,
    RemoteMessage,
    dump_cursor,
    id_of,
    load_cursor,
    rate_limit_from,
    text_of,
)
from .errors import (
    BadIdentityResponse,
    OutcomeUnknown,
    PersonalAccountRefused,
    PlatformError,
    PublishRejected,
)
from .graph import TRANSIENT_CODES, GraphClient, graph_error
from .media import MB, MediaRules
from .oauth import OAuthClient, OAuthEndpoints, OAuthToken

SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    # The inbox: read the comments under the Page's posts, answer and hide them.
    "pages_read_user_content",
    "pages_manage_engagement",
)
WEB = "https://www.facebook.com"
#: What the inbox asks for on each comment.
INBOX_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url"
#: Recent posts whose comments are read, and comments asked for a page.
RECENT_POSTS = 25
INBOX_PAGE = 50
#: Times are to the second: each read goes back this far and the store drops repeats.
OVERLAP_SECONDS = 60
#: A Graph object id: a number, or numbers joined by ``_`` (``{post-id}_{comment-id}``).
GRAPH_ID = re.compile(r"[0-9]{1,30}(?:_[0-9]{1,30}){0,2}")


def _same(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class FacebookClient(GraphClient):
    platform = "facebook"
    label = "Facebook Page"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    supports_inbox = True
    supports_reply = True
    moderation_actions = ("hide",)  # Pages can hide comments; there is no report API
    text_limit = 63206
    reply_text_limit = 8000  # a comment
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

    # -- the engagement inbox ----------------------------------------------------------
    #
    # The walk is the same on Facebook and Instagram: the account's recent posts with
    # activity, then the comments under each, one page per call, from a JSON cursor: ``hw``
    # (when the last finished walk started, Unix seconds), ``start`` (when this one
    # started), ``src`` (the post being read) and ``after`` (its paging cursor). When the
    # walk ends ``start`` becomes ``hw``; the next walk reads what was written from
    # ``OVERLAP_SECONDS`` before ``hw`` (clocks differ; the store drops what it has).

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Comments under the account's recent posts, not read yet (one page a call)."""
        limit = max(1, min(limit or INBOX_PAGE, 100))
        state = _state(cursor)
        hw, start = state.get("hw", 0), state.get("start", 0)
        since = max(hw - OVERLAP_SECONDS, 0) if hw else 0
        src, after = state.get("src", ""), state.get("after", "")
        rate = RateLimit()
        if not src:  # a new walk
            start = int(time.time())
            posts, rate = self._recent_posts(since)
            src, after = (posts[0] if posts else ""), ""
        if not src:  # no post with anything new: the walk is over
            return InboxPage(cursor=dump_cursor({"hw": start}), rate_limit=rate)
        response = self._authorized(
            "GET",
            self._graph_url(f"/{src}/{self._comments_edge()}"),
            params=self._comments_params(limit=limit, since=since, after=after),
        )
        rate = rate_limit_from(response)
        self._check(response, write=False, action="the comments")
        body = self._json(response)
        if body is None:
            raise PlatformError(
                f"{self.label} answered the comments without JSON.", platform=self.platform
            )
        items = [item for item in body.get("data") or [] if isinstance(item, dict)]
        own = self._own_ids()
        messages = []
        for message in self._comment_messages(items, post_id=src):
            if message.author_remote_id in own:
                continue  # the account's own comments and replies
            if since and message.created_at and message.created_at.timestamp() < since:
                continue
            messages.append(message)
        messages.sort(key=lambda m: (m.created_at.isoformat() if m.created_at else "", m.remote_id))
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        following = cursors.get("after") if isinstance(cursors.get("after"), str) else ""
        if items and following and paging.get("next") and _AFTER.fullmatch(following):
            new_state = {"hw": hw, "start": start, "src": src, "after": following}
        else:
            following_post = self._post_after(src, since)
            if following_post:
                new_state = {"hw": hw, "start": start, "src": following_post}
            elif following_post is None:  # gone from the list: walk again from ``hw``
                new_state = {"hw": hw}
            else:
                new_state = {"hw": start}
        return InboxPage(
            messages=messages,
            cursor=dump_cursor(new_state),
            more=set(new_state) != {"hw"},
            rate_limit=rate,
            seen=len(items),
        )

    def _comments_edge(self) -> str:
        return "comments"

    def _comments_params(self, *, limit: int, since: int, after: str) -> dict:
        params = {
            "fields": INBOX_FIELDS,
            "filter": "stream",  # every comment, replies too, not only the top level
            "order": "chronological",
            "limit": str(limit),
        }
        if since:
            params["since"] = str(since)
        if after:
            params["after"] = after
        return params

    def _own_ids(self) -> set[str]:
        return {self._page()}

    def _posts_listing(self) -> tuple[str, dict]:
        fields = "id,created_time,updated_time"  # a comment updates its post's updated_time
        return f"/{self._page()}/feed", {"fields": fields, "limit": str(RECENT_POSTS)}

    def _active(self, post: dict, since: int) -> bool:
        """Whether a listed post may have comments written since ``since``."""
        if not since:
            return True
        stamp = text_of(post.get("updated_time")).replace("+0000", "+00:00")
        updated = parse_datetime(stamp)
        return updated is None or updated.timestamp() >= since

    def _recent_posts(self, since: int = 0) -> tuple[list[str], RateLimit]:
        path, params = self._posts_listing()
        response = self._authorized("GET", self._graph_url(path), params=params)
        rate = rate_limit_from(response)
        self._check(response, write=False, action="the recent posts")
        body = self._json(response) or {}
        posts = [
            id_of(post.get("id"))
            for post in (body.get("data") or [])[:RECENT_POSTS]
            if isinstance(post, dict)
            and GRAPH_ID.fullmatch(id_of(post.get("id")))
            and self._active(post, since)
        ]
        return posts, rate

    def _post_after(self, src: str, since: int) -> str | None:
        """The recent post read after ``src`` ("" when none is left, None when ``src`` is
        no longer among the recent posts)."""
        posts, _rate = self._recent_posts(since)
        if src not in posts:
            return None
        index = posts.index(src)
        return posts[index + 1] if index + 1 < len(posts) else ""

    def _comment_messages(self, items: list[dict], *, post_id: str) -> list[RemoteMessage]:
        out = []
        for item in items:
            message = self._comment_message(item, post_id=post_id)
            if message is not None:
                out.append(message)
        return out

    def _comment_message(self, item: dict, *, post_id: str) -> RemoteMessage | None:
        remote_id = id_of(item.get("id"))
        if not GRAPH_ID.fullmatch(remote_id):
            return None
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        name = text_of(author.get("name"))[:255]
        parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
        parent_id = id_of(parent.get("id"))
        stamp = text_of(item.get("created_time")).replace("+0000", "+00:00")
        return RemoteMessage(
            remote_id=remote_id,
            kind="reply",
            text=text_of(item.get("message")),
            author_remote_id=id_of(author.get("id")),
            author_handle=name,
            author_display_name=name,
            created_at=parse_datetime(stamp),
            url=text_of(item.get("permalink_url")),
            in_reply_to=parent_id or post_id,
            thread_root=parent_id or remote_id,
        )

    def thread(self, remote_id: str) -> list:
        """The replies under a comment."""
        _comment_id(remote_id, self.platform)
        body = self._graph(
            "GET",
            f"/{remote_id}/{self._comments_edge()}",
            params=self._comments_params(limit=100, since=0, after=""),
            action="the thread",
        )
        items = [item for item in body.get("data") or [] if isinstance(item, dict)]
        return self._comment_messages(items, post_id=remote_id)

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        raise PlatformError(
            f"Saved searches are not offered for {self.label}.", platform=self.platform
        )

    # -- replies and moderation --------------------------------------------------------

    def _reply_edge(self) -> str:
        return "comments"

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Answer the comment ``in_reply_to`` as the account. There is no idempotency key:
        an answer that is lost is settled by :meth:`lookup_reply`, never by sending again."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        _comment_id(in_reply_to, self.platform)
        response = self._authorized(
            "POST",
            self._graph_url(f"/{in_reply_to}/{self._reply_edge()}"),
            write=True,
            data={"message": text},
        )
        code = graph_error(self._json(response)).get("code")
        if response.status_code >= 500 or code in TRANSIENT_CODES:
            # A server error may come after the comment was stored, and there is no key to
            # send it again safely: it is looked up (lookup_reply), never sent blindly.
            raise OutcomeUnknown(
                f"{self.label} answered the reply with a server error "
                f"({response.status_code}); it will be looked up, not sent again.",
                platform=self.platform,
                http_status=response.status_code,
                detail=self._error_text(response),
            )
        self._check(response, write=True, action="the reply")
        reply_id = id_of((self._json(response) or {}).get("id"))
        if not reply_id:
            raise OutcomeUnknown(
                f"{self.label} accepted the reply but gave no id; it will be checked.",
                platform=self.platform,
                http_status=response.status_code,
            )
        return PublishResult(
            remote_id=reply_id, url=self._comment_url(reply_id), raw={"id": reply_id}
        )

    def _comment_url(self, comment_id: str) -> str:
        return f"{WEB}/{comment_id}"

    def lookup_reply(
        self,
        *,
        idempotency_key: str,
        text: str,
        since: datetime | None,
        in_reply_to: str,
        root: str = "",
    ) -> PublishResult | None:
        """The account's reply with this text under the comment it answers (or under the
        thread's first comment, where the platform puts a reply to a reply)."""
        own = self._own_ids()
        wanted = " ".join(text.split())
        for parent in dict.fromkeys(p for p in (in_reply_to, root) if p):
            _comment_id(parent, self.platform)
            for message in self.thread(parent):
                if message.author_remote_id not in own:
                    continue
                created = message.created_at
                if since is not None and created is not None and created < since - CLOCK_SKEW:
                    continue
                if " ".join(message.text.split()) == wanted:
                    return PublishResult(
                        remote_id=message.remote_id,
                        url=message.url or self._comment_url(message.remote_id),
                        raw={"id": message.remote_id},
                    )
        return None

    def _hide_data(self) -> dict[str, str]:
        return {"is_hidden": "true"}

    def hide(self, *, message_id: str) -> dict:
        """Hide a comment under the account's posts (only its author and their friends
        still see it). Hiding a hidden comment again is no error."""
        _comment_id(message_id, self.platform)
        body = self._graph(
            "POST", f"/{message_id}", data=self._hide_data(), action="hiding the comment"
        )
        if body.get("success") is not True:
            raise PlatformError(
                f"{self.label} did not confirm hiding the comment.", platform=self.platform
            )
        return {"id": message_id, "hidden": True}


#: A paging cursor kept in the stored cursor (which holds 500 characters in all).
_AFTER = re.compile(r"[\w=-]{1,380}")


def _comment_id(value, platform: str) -> str:
    if not isinstance(value, str) or not GRAPH_ID.fullmatch(value):
        raise PlatformError("Not a comment id.", platform=platform)
    return value


def _state(cursor: str) -> dict:
    return load_cursor(
        cursor,
        numbers=("hw", "start"),
        source=GRAPH_ID.fullmatch,
        after=_AFTER,
        after_needs_source=True,
    )
