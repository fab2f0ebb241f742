"""A generic signed webhook: Countersign POSTs each approved post to a receiver you run.

The webhook contract (what a receiver implements)
=================================================

Countersign sends every request as ``POST <receiver URL>`` with a JSON body (UTF-8) and
these headers:

- ``Content-Type: application/json``
- ``X-Countersign-Event``: ``ping`` | ``publish`` | ``lookup`` (also in the body as ``event``)
- ``X-Countersign-Timestamp``: the send time, Unix seconds (an integer)
- ``X-Countersign-Signature``: ``sha256=`` + the lower-case hex HMAC-SHA256, keyed with the
  channel's shared secret (UTF-8), of ``"<timestamp>.<raw body bytes>"``
- ``Idempotency-Key`` (publish only): the same value as the body's ``idempotency_key``

A receiver MUST verify the signature over the raw body bytes (before parsing JSON), compare
it in constant time, and refuse timestamps more than 300 seconds away from its clock;
``verify_signature()`` below does all three. Refuse a bad signature with ``401``.

Events:

``ping`` -- the identity check, made when a channel is connected and before every publish.
    Body: ``{"event": "ping", "sent_at": "<ISO 8601>"}``.
    Answer ``200`` with ``{"account_id": "<stable id>", "handle": "<name shown to people>"}``
    and optionally ``display_name``, ``avatar_url``, ``profile_url``, ``max_characters``.
    ``account_id`` must not change while the destination is the same account: Countersign
    holds posts when it does.

``publish`` -- one approved post.
    Body: ``{"event": "publish", "idempotency_key": "...", "text": "...", "media": [],
    "sent_at": "<ISO 8601>"}`` (``media`` is a list of ``{"mime_type", "alt_text", ...}``
    descriptions; attachments are not sent yet).
    Answer ``2xx`` once the post is accepted, optionally with ``{"id": "...", "url": "..."}``
    (otherwise the idempotency key is used as the id). The receiver MUST deduplicate by
    ``idempotency_key`` for at least 7 days: a repeated key is answered like the first time
    and never makes a second post. Answer ``4xx`` with ``{"error": "<reason shown to
    people>"}`` to refuse the post for good; ``401``/``403`` mean "bad signature/secret";
    ``408``, ``429`` and ``5xx`` mean "try again later" (with the same key).

``lookup`` -- reconcile a send whose answer was lost.
    Body: ``{"event": "lookup", "idempotency_key": "...", "sent_at": "..."}``.
    Answer ``200`` with ``{"id", "url"}`` if that key was accepted, ``404`` if not.

The receiver URL may have a path but no query string. Redirects are not followed. Use
``https`` for anything but local testing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .addresses import validate_instance_url
from .base import Identity, MediaItem, PlatformClient, PublishResult
from .errors import PlatformError
from .media import MB, WEB_IMAGES, MediaRules

SIGNATURE_TOLERANCE_SECONDS = 300
DEFAULT_MAX_CHARACTERS = 10_000
SIGNATURE_PREFIX = "sha256="


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def sign(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Countersign-Signature`` value for a timestamp and raw body."""
    message = _as_bytes(str(int(timestamp))) + b"." + _as_bytes(body)
    return SIGNATURE_PREFIX + hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: int | str | None,
    body: str | bytes,
    signature: str | None,
    tolerance: float = SIGNATURE_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """Check a webhook request: timestamp within ``tolerance`` seconds of ``now`` and a
    signature that matches (constant-time comparison). Never raises on bad input."""
    if not secret or timestamp is None or not signature:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    expected = sign(secret, ts, body)
    return hmac.compare_digest(expected.encode("ascii"), _as_bytes(str(signature).strip()))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class WebhookClient(PlatformClient):
    #: Ours to choose (the receiver gets descriptions, not bytes): images up to 16 MB and
    #: MP4 video up to 100 MB, 10 attachments in any mix; alt text kept.
    media_rules = MediaRules(
        image_types=WEB_IMAGES,
        video_types=("video/mp4",),
        max_image_bytes=16 * MB,
        max_video_bytes=100 * MB,
        max_items=10,
        max_videos=10,
        allow_mixed=True,
        alt_text=True,
        video_alt_text=True,
    )

    platform = "webhook"
    label = "Signed webhook"
    supports_idempotency_key = True  # receivers must deduplicate by key (the contract)
    supports_lookup = True
    supports_media = False
    idempotency_window = timedelta(days=7)  # the receiver contract: at least 7 days
    text_limit = None  # the receiver decides; the composer does not limit
    max_characters = DEFAULT_MAX_CHARACTERS
    character_counting = "characters"
    credential_fields = ["secret"]
    secret_credential_fields = ["secret"]
    needs_instance_url = True

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        # No query string: the secret signs every request, so nothing secret belongs in the
        # URL (URLs end up in logs and exception chains).
        return validate_instance_url(
            url, allow_path=True, allow_query=False, allow_private_hosts=allow_private_hosts
        )

    def _send(self, event: str, payload: dict, *, write: bool, idempotency_key: str = ""):
        body = json.dumps(
            {"event": event, **payload}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Countersign-Event": event,
            "X-Countersign-Timestamp": str(timestamp),
            "X-Countersign-Signature": sign(self._credential["secret"], timestamp, body),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self._request("POST", self.instance_url, write=write, headers=headers, data=body)

    def _ping(self) -> dict:
        response = self._send("ping", {"sent_at": _now_iso()}, write=False)
        body = self._identity_answer(
            response,
            not_here=(404, 405),
            not_here_message=f"No webhook receiver answers at {self.host} "
            f"({response.status_code}).",
            no_json_message="The webhook receiver did not answer the ping with JSON.",
        )
        return body

    def whoami(self) -> Identity:
        body = self._ping()
        account_id, handle = self._account_id_and_name(
            body,
            "account_id",
            ("handle",),
            missing="The webhook receiver answered the ping without account_id and handle.",
        )
        return Identity(
            remote_id=account_id,
            handle=handle,
            display_name=_str(body.get("display_name")),
            avatar_url=_str(body.get("avatar_url")),
            profile_url=_str(body.get("profile_url")),
        )

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        self._no_media(media)
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        response = self._send(
            "publish",
            {"idempotency_key": idempotency_key, "text": text, "media": [], "sent_at": _now_iso()},
            write=True,
            idempotency_key=idempotency_key,
        )
        self._check(response, write=True, action="the post")
        return self._result(response, idempotency_key)

    def _result(self, response, idempotency_key: str) -> PublishResult:
        body = self._json(response) or {}
        remote_id = body.get("id")
        if isinstance(remote_id, bool) or not isinstance(remote_id, str | int) or remote_id == "":
            remote_id = idempotency_key
        return PublishResult(remote_id=str(remote_id), url=_str(body.get("url")), raw=body)

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        response = self._send(
            "lookup", {"idempotency_key": idempotency_key, "sent_at": _now_iso()}, write=False
        )
        if response.status_code == 404:
            return None
        self._check(response, write=False, action="the lookup")
        if self._json(response) is None:
            raise PlatformError(
                "The webhook receiver answered the lookup without JSON.", platform=self.platform
            )
        return self._result(response, idempotency_key)

    def instance_limits(self) -> dict:
        body = self._ping()
        limit = body.get("max_characters")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            return {"max_characters": limit}
        return {"max_characters": DEFAULT_MAX_CHARACTERS}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
