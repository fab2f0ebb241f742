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
- errors: problem JSON (``{"title", "detail", "type", "status"}``) or ``{"errors": [...]}``;
  rate limits in ``x-rate-limit-limit/-remaining/-reset`` (epoch seconds) and 429.
"""

from __future__ import annotations

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
from .errors import BadIdentityResponse, OutcomeUnknown, PlatformError, PublishRejected
from .media import MB, MediaRules
from .oauth import OAuthEndpoints, OAuthTokenClient

WEB = "https://x.com"
SCOPES = ("tweet.write", "tweet.read", "users.read", "offline.access")
_URL = re.compile(r"https?://\S+")


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _URL.sub("<url>", text)
    return re.sub(r"\s+", " ", text).strip()


class XClient(OAuthTokenClient):
    platform = "x"
    label = "X"
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
        params = {"max_results": "20", "tweet.fields": "created_at", "exclude": "retweets,replies"}
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
        for tweet in body.get("data") or []:
            if not isinstance(tweet, dict) or not tweet.get("id"):
                continue
            created = parse_datetime(tweet.get("created_at"))
            if since is not None and created is not None and created < since - CLOCK_SKEW:
                continue
            if _comparable(str(tweet.get("text") or "")) == wanted:
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
