"""Threads, through the Threads API (developers.facebook.com/docs/threads).

- auth: ``https://threads.net/oauth/authorize`` (scopes ``threads_basic,
  threads_content_publish``), the code exchanged at ``POST /oauth/access_token`` for a
  one-hour token, made long-lived (60 days) with ``grant_type=th_exchange_token`` at
  ``/access_token`` and renewed with ``grant_type=th_refresh_token`` at
  ``/refresh_access_token`` (a long-lived token at least a day old). There is no refresh
  token: the access token itself is renewed. The token travels in the ``Authorization``
  header and the app secret in the request body, never in a URL.
- whoami: ``GET /v1.0/me?fields=id,username,name,threads_profile_picture_url``. Threads does
  not tell brand profiles from personal ones: a personal profile is refused by the guard
  (its stable id is a registered personal account, or not the channel's).
- publish, two steps: ``POST /v1.0/me/threads`` creates a container (``media_type`` TEXT,
  IMAGE with ``image_url``, VIDEO with ``video_url``, ``alt_text``; carousel items with
  ``is_carousel_item`` then ``media_type=CAROUSEL`` + ``children``), ``GET
  /v1.0/{container}?fields=status,error_message`` until ``FINISHED`` (``ERROR``/``EXPIRED``
  fail), then ``POST /v1.0/me/threads_publish`` ``creation_id`` and ``GET
  /v1.0/{id}?fields=permalink``. Threads fetches media itself: ``MediaItem.url`` must be a
  public address.
- lookup: ``GET /v1.0/me/threads?fields=id,text,timestamp,permalink`` (a reply's:
  ``GET /v1.0/me/replies``, the account's own replies).
- inbox (scopes ``threads_read_replies``, ``threads_manage_replies``,
  ``threads_manage_mentions``): mentions from ``GET /v1.0/{user-id}/mentions`` (``since`` a
  Unix time, ``after`` paging) and the replies under the account's recent posts (``GET
  /v1.0/me/threads``, then ``GET /v1.0/{media-id}/conversation?reverse=false``, every
  depth, chronological, ``after`` paging), with the fields ``id,text,username,timestamp,
  permalink,replied_to,root_post,is_reply_owned_by_me``. Media objects name their author
  by username only.
- reply: a container ``POST /v1.0/me/threads`` ``media_type=TEXT, text, reply_to_id``, then
  ``threads_publish`` as a post. Threads has no block, mute or report API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .base import Identity, MediaItem, PublishResult, UploadedMedia, parse_datetime
from .engagement import (
    REPLY_KEY_PREFIX,
    InboxPage,
    RemoteMessage,
    dump_cursor,
    id_of,
    load_cursor,
    rate_limit_from,
    text_of,
)
from .errors import BadIdentityResponse, PlatformError
from .graph import ContainerPublishing, GraphClient
from .media import MB, MediaRules
from .oauth import OAuthClient, OAuthEndpoints, OAuthToken

SCOPES = (
    "threads_basic",
    "threads_content_publish",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_mentions",
)
#: What the inbox asks for on each media object.
INBOX_FIELDS = (
    "id,text,username,timestamp,permalink,replied_to,root_post,is_reply,is_reply_owned_by_me"
)
#: Recent posts whose replies are read, and items asked for a page.
RECENT_POSTS = 25
INBOX_PAGE = 50
#: Timestamps are to the second: each read goes back this far and the store drops repeats.
OVERLAP_SECONDS = 60
_ID = re.compile(r"[0-9]{1,30}")
WEB = "https://www.threads.net"


class ThreadsClient(ContainerPublishing, GraphClient):
    platform = "threads"
    label = "Threads"
    supports_idempotency_key = False
    supports_lookup = True
    supports_media = True
    supports_inbox = True
    supports_reply = True
    moderation_actions = ()  # Threads has no block, mute or report API
    text_limit = 500
    max_characters = text_limit
    default_instance_url = "https://graph.threads.net"
    graph_version = "v1.0"
    oauth = OAuthEndpoints(
        authorize_url="https://threads.net/oauth/authorize",
        token_url="https://graph.threads.net/oauth/access_token",  # noqa: S106 - an address, not a secret
        scopes=SCOPES,
        scope_separator=",",
        pkce=False,
        client_auth="body",
    )
    token_scopes = SCOPES
    #: Images JPEG/PNG up to 8 MB (aspect up to 10:1); videos MP4/MOV up to 1 GB, 5 min,
    #: 23-60 fps; up to 20 items in a carousel, images and videos mixed; alt text on both.
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png"),
        video_types=("video/mp4", "video/quicktime"),
        max_image_bytes=8 * MB,
        max_video_bytes=1024 * MB,
        max_items=20,
        max_videos=20,
        allow_mixed=True,
        video_max_seconds=300,
        video_max_frame_rate=60,
        video_min_aspect=0.01,
        video_max_aspect=10.0,
        image_min_aspect=0.1,
        image_max_aspect=10.0,
        alt_text=True,
        video_alt_text=True,
        max_alt_text=1000,
        needs_public_url=("image", "video"),
    )
    media_poll_interval = 10.0  # Threads asks for about one status query a minute, <= 5 min

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._caption = ""
        self._items_in_post = 1
        self._own_username = ""

    # -- tokens ------------------------------------------------------------------------

    @staticmethod
    def long_lived_token(oauth: OAuthClient, short_lived: OAuthToken) -> OAuthToken:
        """``th_exchange_token``: a 60-day token for the one-hour token from the code."""
        url = oauth.endpoints.token_url.replace("/oauth/access_token", "/access_token")
        response = oauth.session.post(
            url,
            data={"grant_type": "th_exchange_token", "client_secret": oauth.app.client_secret},
            headers={"Authorization": f"Bearer {short_lived.access_token}"},
            timeout=oauth.timeout,
            allow_redirects=False,
        )
        try:
            return OAuthToken.from_response(response.json())
        except ValueError as exc:
            raise PlatformError(
                f"Threads did not give a long-lived token ({response.status_code}).",
                platform="threads",
            ) from exc

    def _refreshes_without_refresh_token(self) -> bool:
        return self.oauth_app is not None

    def _refreshed_token(self) -> OAuthToken:
        from .errors import ReconnectRequired

        response = self._request(
            "GET",
            self._url("/refresh_access_token"),
            params={"grant_type": "th_refresh_token"},
            headers={"Authorization": f"Bearer {self._token.access_token}"},
        )
        body = self._json(response)
        if response.status_code != 200 or not body or not body.get("access_token"):
            raise ReconnectRequired(
                f"Threads refused to renew the access token ({response.status_code}); "
                "reconnect the channel.",
                platform=self.platform,
                http_status=response.status_code,
                detail=self._error_text(response),
            )
        return OAuthToken.from_response(body)

    # -- whoami ------------------------------------------------------------------------

    def whoami(self) -> Identity:
        body = self._graph(
            "GET",
            "/me",
            params={"fields": "id,username,name,threads_profile_picture_url"},
            action="the identity check",
        )
        if not body.get("id") or not body.get("username"):
            raise BadIdentityResponse(
                "Threads answered the identity check without an id and username.",
                platform=self.platform,
            )
        username = str(body["username"])
        return Identity(
            remote_id=str(body["id"]),
            handle=f"@{username}",
            display_name=str(body.get("name") or ""),
            avatar_url=str(body.get("threads_profile_picture_url") or ""),
            profile_url=f"{WEB}/@{username}",
        )

    # -- publish -----------------------------------------------------------------------

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        items = list(media or ())
        self._caption = text
        self._items_in_post = len(items)
        uploaded = self.prepare_media(items, idempotency_key=idempotency_key)
        if not uploaded:
            container = self._container(
                {"media_type": "TEXT", "text": text}, key=f"{idempotency_key}:text"
            )
        elif len(uploaded) == 1:
            container = uploaded[0]
        else:
            container = self._container(
                {
                    "media_type": "CAROUSEL",
                    "children": ",".join(r.remote_id for r in uploaded),
                    "text": text,
                },
                key=f"{idempotency_key}:carousel",
            )
        return self._publish_container(container, text=text, idempotency_key=idempotency_key)

    def _container(self, data: dict[str, str], *, key: str) -> UploadedMedia:
        item = MediaItem(b"", "text/plain")
        return self._cached_container(data, item, key=key, action="the post container")

    def _containers_path(self) -> str:
        return "/me/threads"

    def _publish_path(self) -> str:
        return "/me/threads_publish"

    # -- media (containers) ------------------------------------------------------------

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        data: dict[str, str] = {}
        if self._items_in_post > 1:
            data["is_carousel_item"] = "true"
        else:
            data["text"] = self._caption
        if item.kind == "video":
            data.update(media_type="VIDEO", video_url=item.url)
        else:
            data.update(media_type="IMAGE", image_url=item.url)
        if item.alt_text:
            data["alt_text"] = item.alt_text
        body = self._graph(
            "POST", self._containers_path(), data=data, content=True, action="the media container"
        )
        return self._uploaded(str(body.get("id") or ""), item, key=key, ready=False)

    # -- the engagement inbox ----------------------------------------------------------

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Mentions of the account and replies under its recent posts, not read yet.

        One page of one source per call; the cursor is a JSON state: ``hw`` (the newest
        timestamp, Unix seconds, of a finished walk), ``top`` (the newest seen in this
        walk), ``src`` (``mentions`` or the id of the post whose replies are being read)
        and ``after`` (that source's paging cursor). A walk reads the mentions, then each
        recent post's conversation; when it ends ``top`` becomes ``hw``. Each read goes
        back ``OVERLAP_SECONDS`` before ``hw`` so nothing posted in the same second is
        missed; what was stored already is dropped by the store."""
        limit = max(1, min(limit or INBOX_PAGE, 100))
        state = _state(cursor)
        hw, top = state.get("hw", 0), state.get("top", 0)
        src, after = state.get("src", "mentions"), state.get("after", "")
        since = max(hw - OVERLAP_SECONDS, 0) if hw else 0
        params = {"fields": INBOX_FIELDS, "limit": str(limit)}
        if after:
            params["after"] = after
        if src == "mentions":
            user_id = own_remote_id if _ID.fullmatch(own_remote_id or "") else "me"
            path, kind, action = f"/{user_id}/mentions", "mention", "the mentions"
            if since:
                params["since"] = str(since)
        else:
            path, kind, action = f"/{src}/conversation", "reply", "the replies"
            params["reverse"] = "false"
        response = self._authorized("GET", self._graph_url(path), params=params)
        rate = rate_limit_from(response)
        self._check(response, write=False, action=action)
        body = self._json(response)
        if body is None:
            raise PlatformError(f"Threads answered {action} without JSON.", platform=self.platform)
        items = [item for item in body.get("data") or [] if isinstance(item, dict)]
        own = self._own()
        messages = []
        for item in items:
            message = self._inbox_message(item, kind=kind)
            if message is None or message.author_handle.lower() == f"@{own}".lower():
                continue
            if item.get("is_reply_owned_by_me") is True:
                continue
            stamp = int(message.created_at.timestamp()) if message.created_at else 0
            if since and stamp and stamp < since:
                continue
            top = max(top, stamp)
            messages.append(message)
        messages.sort(key=lambda m: (m.created_at.isoformat() if m.created_at else "", m.remote_id))
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        following = cursors.get("after") if isinstance(cursors.get("after"), str) else ""
        if items and following and paging.get("next"):
            new_state = {"hw": hw, "top": top, "src": src, "after": following[:200]}
        else:
            following_post = self._post_after(src)
            if following_post:
                new_state = {"hw": hw, "top": top, "src": following_post}
            else:
                new_state = {"hw": max(hw, top)}
        done = set(new_state) == {"hw"}
        return InboxPage(
            messages=messages,
            cursor=dump_cursor(new_state),
            more=not done,
            rate_limit=rate,
            seen=len(items),
        )

    def _own(self) -> str:
        if not self._own_username:
            self._own_username = self.whoami().handle.lstrip("@")
        return self._own_username

    def _recent_posts(self) -> list[str]:
        body = self._graph(
            "GET",
            "/me/threads",
            params={"fields": "id,timestamp", "limit": str(RECENT_POSTS)},
            action="the recent posts",
        )
        return [
            id_of(post.get("id"))
            for post in (body.get("data") or [])[:RECENT_POSTS]
            if isinstance(post, dict) and _ID.fullmatch(id_of(post.get("id")))
        ]

    def _post_after(self, src: str) -> str:
        """The recent post whose replies are read after ``src`` ("" when none is left)."""
        posts = self._recent_posts()
        if src == "mentions":
            return posts[0] if posts else ""
        if src in posts:
            index = posts.index(src)
            return posts[index + 1] if index + 1 < len(posts) else ""
        return ""  # gone from the recent posts: the next walk starts again

    def _inbox_message(self, item: dict, *, kind: str):
        remote_id = id_of(item.get("id"))
        if not _ID.fullmatch(remote_id):
            return None
        username = text_of(item.get("username"))
        parent = item.get("replied_to") if isinstance(item.get("replied_to"), dict) else {}
        root = item.get("root_post") if isinstance(item.get("root_post"), dict) else {}
        stamp = text_of(item.get("timestamp")).replace("+0000", "+00:00")
        return RemoteMessage(
            remote_id=remote_id,
            kind="reply" if kind == "reply" or parent else kind,
            text=text_of(item.get("text")),
            # Threads names the author by username only: it is the author's id here.
            author_remote_id=username[:255],
            author_handle=f"@{username}"[:255] if username else "",
            created_at=parse_datetime(stamp),
            url=text_of(item.get("permalink")),
            in_reply_to=id_of(parent.get("id")),
            thread_root=id_of(root.get("id")),
        )

    def thread(self, remote_id: str) -> list:
        """Every reply under a post (``/conversation``, chronological)."""
        if not isinstance(remote_id, str) or not _ID.fullmatch(remote_id):
            raise PlatformError("Not a Threads media id.", platform=self.platform)
        body = self._graph(
            "GET",
            f"/{remote_id}/conversation",
            params={"fields": INBOX_FIELDS, "reverse": "false", "limit": "100"},
            action="the thread",
        )
        out = []
        for item in body.get("data") or []:
            if isinstance(item, dict):
                message = self._inbox_message(item, kind="reply")
                if message is not None:
                    out.append(message)
        return out

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        raise PlatformError("Saved searches are not offered for Threads.", platform=self.platform)

    # -- replies -----------------------------------------------------------------------

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """A TEXT container answering ``in_reply_to``, published like a post; a repeat
        whose container was already published is answered by ``lookup`` (the account's
        replies), never posted twice."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        if not isinstance(in_reply_to, str) or not _ID.fullmatch(in_reply_to):
            raise PlatformError("Not a Threads media id.", platform=self.platform)
        container = self._container(
            {"media_type": "TEXT", "text": text, "reply_to_id": in_reply_to},
            key=f"{idempotency_key}:reply",
        )
        return self._publish_container(container, text=text, idempotency_key=idempotency_key)

    def _listing_path(self, idempotency_key: str) -> str:
        """A post is looked up among the account's posts, a reply among its replies."""
        if (idempotency_key or "").startswith(REPLY_KEY_PREFIX):
            return "/me/replies"
        return self._containers_path()


def _state(cursor: str) -> dict:
    return load_cursor(
        cursor,
        numbers=("hw", "top"),
        source=lambda src: src == "mentions" or _ID.fullmatch(src) is not None,
        after=_PAGE_AFTER,
    )


_PAGE_AFTER = re.compile(r"[\w=-]{1,200}")
