"""X (formerly Twitter), through the documented X API v2 (docs.x.com).

- auth: OAuth 2.0 authorization code with PKCE (``https://x.com/i/oauth2/authorize``,
  ``POST /2/oauth2/token``), scopes ``tweet.write tweet.read users.read offline.access``
  (``offline.access`` brings a refresh token; access tokens last two hours and refresh
  tokens rotate). Confidential clients authenticate with HTTP Basic.
- whoami: ``GET /2/users/me?user.fields=profile_image_url`` -> ``data.id`` (stable) and
  ``data.username``.
- publish: ``POST /2/tweets`` ``{"text", "media": {"media_ids": [...]}}`` -> 201
  ``{"data": {"id", "text"}}``. X has no idempotency key; a repeated text within a short time
  is refused with 403 "duplicate content", which we answer by looking the post up.
- lookup: ``GET /2/users/{id}/tweets?start_time=...&tweet.fields=created_at`` and match the
  text (links come back as t.co addresses, so URLs are compared as placeholders).
- media: chunked upload on ``POST /2/media/upload`` (``command=INIT`` with ``media_type``,
  ``total_bytes`` and ``media_category``; ``APPEND`` per chunk with ``segment_index``;
  ``FINALIZE``), then ``GET /2/media/upload?command=STATUS&media_id=...`` while
  ``processing_info.state`` is ``pending``/``in_progress`` (waiting ``check_after_secs``)
  until ``succeeded`` or ``failed``. Alt text for images and GIFs with
  ``POST /2/media/metadata`` ``{"id", "metadata": {"alt_text": {"text"}}}``.
- inbox: ``GET /2/users/{id}/mentions`` (newest first) with ``since_id`` (the newest mention
  already read), ``tweet.fields=created_at,author_id,conversation_id,in_reply_to_user_id,
  referenced_tweets``, ``expansions=author_id`` with ``user.fields=username,name``,
  ``max_results`` 5-100 and ``pagination_token`` (``meta.next_token``) for older pages.
- reply: ``POST /2/tweets`` ``{"text", "reply": {"in_reply_to_tweet_id"}}``; an unconfirmed
  reply is looked up like a post (among the account's replies, see ``lookup``).
- moderation: ``POST /2/users/{id}/muting`` ``{"target_user_id"}`` (scope ``mute.write``)
  -> ``{"data": {"muting": true}}``. ``POST /2/users/{id}/blocking`` exists but only on the
  Enterprise plan, and X has no report API: mute is the only action offered.
- errors: problem JSON (``{"title", "detail", "type", "status"}``) or ``{"errors": [...]}``;
  rate limits in ``x-rate-limit-limit/-remaining/-reset`` (epoch seconds) and 429.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from .base import (
    CLOCK_SKEW,
    Identity,
    MediaItem,
    PublishResult,
    UploadedMedia,
    parse_datetime,
    utcnow,
)
from .engagement import REPLY_KEY_PREFIX, InboxPage, RemoteMessage, id_of, rate_limit_from, text_of
from .errors import BadIdentityResponse, OutcomeUnknown, PlatformError, PublishRejected
from .media import MB, MediaRules
from .oauth import OAuthEndpoints, OAuthTokenClient

WEB = "https://x.com"
SCOPES = ("tweet.write", "tweet.read", "users.read", "offline.access", "mute.write")
_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")
_ID = re.compile(r"[0-9]{1,19}")
#: The mentions timeline gives 5-100 posts a page.
MENTIONS_PAGE = 100
MENTION_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _URL.sub("<url>", text)
    return re.sub(r"\s+", " ", text).strip()


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def _without_leading_mentions(text: str) -> str:
    return _LEADING_MENTIONS.sub("", text)


class XClient(OAuthTokenClient):
    platform = "x"
    label = "X"
    supports_inbox = True
    supports_reply = True
    #: Blocking is Enterprise-only and there is no report API (see the module docstring).
    moderation_actions = ("mute",)
    moderation_token_scopes = ("mute.write",)
    supports_idempotency_key = False  # X has none: lookup() reconciles instead
    supports_lookup = True
    supports_media = True
    text_limit = 280
    max_characters = text_limit
    character_counting = "x"  # weighted: planner/counting.py x_weighted_length
    default_instance_url = "https://api.x.com"
    oauth = OAuthEndpoints(
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 - an address, not a secret
        scopes=SCOPES,
        pkce=True,
        client_auth="basic",
    )
    token_scopes = SCOPES
    #: X's documented limits: 4 images (5 MB) or 1 GIF (15 MB) or 1 video (512 MB,
    #: 0.5-140 s, at most 60 fps, 32x32-1280x1024, aspect 1:3-3:1); alt text <= 1000.
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_types=("video/mp4", "video/quicktime"),
        max_image_bytes=5 * MB,
        max_gif_bytes=15 * MB,
        max_video_bytes=512 * MB,
        max_items=4,
        max_videos=1,
        gif_counts_as_video=True,
        video_min_seconds=0.5,
        video_max_seconds=140,
        video_max_frame_rate=60,
        video_min_aspect=1 / 3,
        video_max_aspect=3.0,
        video_min_width=32,
        video_min_height=32,
        video_max_width=1280,
        video_max_height=1024,
        alt_text=True,
        max_alt_text=1000,
    )
    media_chunk_bytes = 4 * MB  # APPEND takes at most 5 MB per request
    #: A media id can be used for a day (``expires_after_secs`` says so per upload).
    media_reuse_seconds = 3600.0

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._identity: Identity | None = None

    # -- errors ------------------------------------------------------------------------

    def _error_text(self, response) -> str:
        body = self._json(response)
        if body:
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                text = first.get("detail") or first.get("message") or first.get("title")
                if isinstance(text, str) and text:
                    return self._redact(text)
            for key in ("detail", "title", "error_description", "error"):
                if isinstance(body.get(key), str) and body[key]:
                    return self._redact(body[key])
        return super()._error_text(response)

    def _check(self, response, *, write: bool, action: str) -> None:
        if response.status_code == 429 and not response.headers.get("Retry-After"):
            reset = response.headers.get("x-rate-limit-reset", "")
            if reset.isdigit():  # an epoch second: turn it into the wait Retry-After gives
                wait = max(0, int(reset) - int(time.time()))
                response.headers["Retry-After"] = str(wait)
        super()._check(response, write=write, action=action)

    # -- whoami ------------------------------------------------------------------------

    def whoami(self) -> Identity:
        response = self._authorized(
            "GET",
            self._url("/2/users/me"),
            params={"user.fields": "profile_image_url,name,username"},
        )
        self._check(response, write=False, action="the identity check")
        body = self._json(response) or {}
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("id") or not data.get("username"):
            raise BadIdentityResponse(
                "X answered the identity check without a user id and username.",
                platform=self.platform,
            )
        username = str(data["username"])
        identity = Identity(
            remote_id=str(data["id"]),
            handle=f"@{username}",
            display_name=str(data.get("name") or ""),
            avatar_url=str(data.get("profile_image_url") or ""),
            profile_url=f"{WEB}/{username}",
        )
        self._identity = identity
        return identity

    # -- publish -----------------------------------------------------------------------

    def _post_url(self, tweet_id: str) -> str:
        username = self._identity.handle.lstrip("@") if self._identity else "i"
        return (
            f"{WEB}/{username}/status/{tweet_id}"
            if username != "i"
            else f"{WEB}/i/status/{tweet_id}"
        )

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        sent_at = utcnow()
        uploaded = self.prepare_media(media, idempotency_key=idempotency_key)
        body: dict = {"text": text}
        if uploaded:
            body["media"] = {"media_ids": [ref.remote_id for ref in uploaded]}
        response = self._authorized("POST", self._url("/2/tweets"), write=True, json=body)
        if response.status_code == 403 and "duplicate" in self._error_text(response).lower():
            existing = self.lookup(
                idempotency_key=idempotency_key, text=text, since=sent_at - timedelta(hours=1)
            )
            if existing is not None:
                self.forget_media(idempotency_key)
                return existing
            raise PublishRejected(
                "X refused the post as a duplicate of an earlier one: "
                f"{self._error_text(response)}",
                platform=self.platform,
                http_status=403,
                detail=self._error_text(response),
            )
        if response.status_code == 403:
            # X answers 403 for content it refuses (not only for bad tokens).
            detail = self._error_text(response)
            if detail and "token" not in detail.lower() and "unauthorized" not in detail.lower():
                raise PublishRejected(
                    f"X refused the post (403): {detail}",
                    platform=self.platform,
                    http_status=403,
                    detail=detail,
                )
        self._check(response, write=True, action="the post")
        data = (self._json(response) or {}).get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise OutcomeUnknown(
                "X accepted the post but its answer had no post id; it will be checked.",
                platform=self.platform,
                http_status=response.status_code,
            )
        self.forget_media(idempotency_key)
        tweet_id = str(data["id"])
        return PublishResult(remote_id=tweet_id, url=self._post_url(tweet_id), raw=data)

    # -- lookup ------------------------------------------------------------------------

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        identity = self._identity or self.whoami()
        reply = (idempotency_key or "").startswith(REPLY_KEY_PREFIX)
        params = {
            "max_results": "20",
            "tweet.fields": "created_at,in_reply_to_user_id,referenced_tweets",
            # A reply is looked for among the account's replies, a post among its posts.
            "exclude": "retweets" if reply else "retweets,replies",
        }
        if since is not None:
            start = since - CLOCK_SKEW
            params["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = self._authorized(
            "GET", self._url(f"/2/users/{identity.remote_id}/tweets"), params=params
        )
        self._check(response, write=False, action="the post lookup")
        body = self._json(response)
        if body is None:
            raise PlatformError("X answered the post lookup without JSON.", platform=self.platform)
        wanted = _comparable(text)
        if reply:
            wanted = _without_leading_mentions(wanted)
        for tweet in body.get("data") or []:
            if not isinstance(tweet, dict) or not tweet.get("id"):
                continue
            created = parse_datetime(tweet.get("created_at"))
            if since is not None and created is not None and created < since - CLOCK_SKEW:
                continue
            found = _comparable(str(tweet.get("text") or ""))
            if reply:
                if not _replied_to(tweet):
                    continue
                # X shows a reply's text with the @names it answers in front.
                found = _without_leading_mentions(found)
            if found == wanted:
                return PublishResult(
                    remote_id=str(tweet["id"]), url=self._post_url(str(tweet["id"])), raw=tweet
                )
        return None

    def instance_limits(self) -> dict:
        return {"max_characters": self.max_characters, "characters_reserved_per_url": 23}

    # -- media -------------------------------------------------------------------------

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        content = item.read_bytes()
        category = {"image": "tweet_image", "gif": "tweet_gif", "video": "tweet_video"}[item.kind]
        upload = self._url("/2/media/upload")
        response = self._authorized(
            "POST",
            upload,
            files={
                "command": (None, "INIT"),
                "media_type": (None, item.mime_type),
                "total_bytes": (None, str(len(content))),
                "media_category": (None, category),
            },
        )
        self._check(response, write=False, action="the media upload (INIT)")
        data = (self._json(response) or {}).get("data") or {}
        media_id = str(data.get("id") or "")
        if not media_id:
            raise PlatformError("X did not give a media id for the upload.", platform=self.platform)
        for segment, start in enumerate(range(0, len(content), self.media_chunk_bytes)):
            chunk = content[start : start + self.media_chunk_bytes]
            response = self._authorized(
                "POST",
                upload,
                files={
                    "command": (None, "APPEND"),
                    "media_id": (None, media_id),
                    "segment_index": (None, str(segment)),
                    "media": ("chunk", chunk, "application/octet-stream"),
                },
            )
            self._check(response, write=False, action=f"the media upload (APPEND {segment})")
        response = self._authorized(
            "POST", upload, files={"command": (None, "FINALIZE"), "media_id": (None, media_id)}
        )
        self._check(response, write=False, action="the media upload (FINALIZE)")
        data = (self._json(response) or {}).get("data") or {}
        processing = data.get("processing_info") or {}
        state = processing.get("state") if isinstance(processing, dict) else None
        if state == "failed":
            error = (processing.get("error") or {}) if isinstance(processing, dict) else {}
            raise PublishRejected(
                f"X could not process the attachment: {error.get('message') or 'failed'}",
                platform=self.platform,
                detail=self._redact(error.get("message") or ""),
            )
        if item.alt_text and item.kind in ("image", "gif"):
            response = self._authorized(
                "POST",
                self._url("/2/media/metadata"),
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}},
            )
            self._check(response, write=False, action="the alt text")
        ready = state in (None, "succeeded")
        return self._uploaded(media_id, item, key=key, ready=ready)

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        response = self._authorized(
            "GET",
            self._url("/2/media/upload"),
            params={"command": "STATUS", "media_id": ref.remote_id},
        )
        self._check(response, write=False, action="the media status")
        data = (self._json(response) or {}).get("data") or {}
        info = data.get("processing_info") or {}
        state = info.get("state") if isinstance(info, dict) else None
        after = info.get("check_after_secs") if isinstance(info, dict) else None
        after = float(after) if isinstance(after, int | float) else None
        if state in (None, "succeeded"):
            return "ready", "", None
        if state == "failed":
            error = info.get("error") or {}
            return "failed", str(error.get("message") or error.get("name") or ""), None
        return "processing", "", after

    # -- the engagement inbox ----------------------------------------------------------

    def _user_path(self, verb: str) -> str:
        identity = self._identity or self.whoami()
        return self._url(f"/2/users/{identity.remote_id}/{verb}")

    def notifications(self, *, own_remote_id: str, cursor: str = "", limit: int = 0):
        """Mentions of (and replies to) the account not read yet.

        X lists mentions newest first and pages towards older ones, so the cursor is a
        small JSON state: ``since`` (the newest mention already stored; asked as
        ``since_id``), and while a walk over several pages is under way ``next`` (the
        ``pagination_token`` of the page still to read) and ``top`` (the newest id seen in
        this walk, which becomes ``since`` once the walk is done). Each page is stored with
        the state that follows it, so a crash repeats at most one page and misses none."""
        limit = max(5, min(limit or MENTIONS_PAGE, MENTIONS_PAGE))
        state = _state(cursor)
        since, token, top = state.get("since", ""), state.get("next", ""), state.get("top", "")
        user_id = own_remote_id if _ID.fullmatch(own_remote_id or "") else ""
        url = self._url(f"/2/users/{user_id}/mentions") if user_id else self._user_path("mentions")
        params = {
            "max_results": str(limit),
            "tweet.fields": MENTION_FIELDS,
            "expansions": "author_id",
            "user.fields": "username,name",
        }
        if since:
            params["since_id"] = since
        if token:
            params["pagination_token"] = token
        response = self._authorized("GET", url, params=params)
        rate = rate_limit_from(response)
        self._check(response, write=False, action="the mentions")
        body = self._json(response)
        if body is None:
            raise PlatformError("X answered the mentions without JSON.", platform=self.platform)
        tweets = [t for t in body.get("data") or [] if isinstance(t, dict)]
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        users = {
            id_of(u.get("id")): u
            for u in (includes.get("users") or [])
            if isinstance(u, dict) and id_of(u.get("id"))
        }
        messages = []
        for tweet in tweets:
            message = self._inbox_message(tweet, users, own_remote_id=own_remote_id)
            if message is None:
                continue
            if not top or _id_key(message.remote_id) > _id_key(top):
                top = message.remote_id
            messages.append(message)
        messages.sort(key=lambda m: _id_key(m.remote_id))
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        following = meta.get("next_token") if isinstance(meta.get("next_token"), str) else ""
        if following and tweets:
            new_state = {"since": since, "next": following[:200], "top": top}
        else:
            new_state = {"since": top or since}
        return InboxPage(
            messages=messages,
            cursor=json.dumps({k: v for k, v in new_state.items() if v}, separators=(",", ":")),
            more=bool(following and tweets),
            rate_limit=rate,
            seen=len(tweets),
        )

    def _inbox_message(self, tweet: dict, users: dict, *, own_remote_id: str = ""):
        remote_id = id_of(tweet.get("id"))
        if not remote_id:
            return None
        author_id = id_of(tweet.get("author_id"))
        author = users.get(author_id) or {}
        username = text_of(author.get("username"))
        reply_to_account = id_of(tweet.get("in_reply_to_user_id"))
        parent = _replied_to(tweet)
        quoted = any(
            isinstance(ref, dict) and ref.get("type") == "quoted"
            for ref in tweet.get("referenced_tweets") or []
        )
        if parent and own_remote_id and reply_to_account == own_remote_id:
            kind = "reply"
        elif quoted and not parent:
            kind = "quote"
        else:
            kind = "mention"
        return RemoteMessage(
            remote_id=remote_id,
            kind=kind,
            text=text_of(tweet.get("text")),
            author_remote_id=author_id,
            author_handle=f"@{username}"[:255] if username else "",
            author_display_name=text_of(author.get("name"))[:255],
            created_at=parse_datetime(tweet.get("created_at")),
            url=f"{WEB}/{username or 'i'}/status/{remote_id}",
            in_reply_to=parent,
            in_reply_to_account=reply_to_account,
            thread_root=id_of(tweet.get("conversation_id")),
        )

    def thread(self, remote_id: str) -> list:
        """X's conversation search needs a higher access level than this app asks for: the
        inbox groups X replies by the post they answer instead."""
        return []

    def search(self, *, query: str, cursor: str = "", limit: int = 0):
        raise PlatformError("Saved searches are not offered for X.", platform=self.platform)

    # -- replies and moderation --------------------------------------------------------

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Answer the post ``in_reply_to``. X has no idempotency key: an answer that is
        lost is settled by ``lookup`` (the planner's reconcile), never by sending again."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        if not isinstance(in_reply_to, str) or not _ID.fullmatch(in_reply_to):
            raise PlatformError("Not an X post id.", platform=self.platform)
        response = self._authorized(
            "POST",
            self._url("/2/tweets"),
            write=True,
            json={"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}},
        )
        if response.status_code == 403:
            detail = self._error_text(response)
            if detail and "token" not in detail.lower() and "unauthorized" not in detail.lower():
                raise PublishRejected(
                    f"X refused the reply (403): {detail}",
                    platform=self.platform,
                    http_status=403,
                    detail=detail,
                )
        self._check(response, write=True, action="the reply")
        data = (self._json(response) or {}).get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise OutcomeUnknown(
                "X accepted the reply but its answer had no post id; it will be checked.",
                platform=self.platform,
                http_status=response.status_code,
            )
        tweet_id = str(data["id"])
        return PublishResult(remote_id=tweet_id, url=self._post_url(tweet_id), raw=data)

    def _relationship(self, account_id: str, verb: str) -> dict:
        if not isinstance(account_id, str) or not _ID.fullmatch(account_id):
            raise PlatformError("Not an X user id.", platform=self.platform)
        response = self._authorized(
            "POST", self._user_path(verb), json={"target_user_id": account_id}
        )
        self._check(response, write=False, action=f"the {verb.removesuffix('ing')}")
        data = (self._json(response) or {}).get("data")
        data = data if isinstance(data, dict) else {}
        return {"id": account_id, verb: data.get(verb) is True}

    def block(self, *, account_id: str) -> dict:
        """Enterprise plan only (not in ``moderation_actions``)."""
        return self._relationship(account_id, "blocking")

    def mute(self, *, account_id: str) -> dict:
        return self._relationship(account_id, "muting")


def _replied_to(tweet: dict) -> str:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return id_of(ref.get("id"))
    return ""


def _state(cursor: str) -> dict:
    """The stored cursor: a JSON state, or (written by hand) a bare post id."""
    cursor = (cursor or "").strip()
    if _ID.fullmatch(cursor):
        return {"since": cursor}
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    out = {}
    for key in ("since", "top"):
        if isinstance(state.get(key), str) and _ID.fullmatch(state[key]):
            out[key] = state[key]
    if isinstance(state.get("next"), str) and re.fullmatch(r"[\w-]{1,200}", state["next"]):
        out["next"] = state["next"]
    return out
