"""The local outbox: a demo platform that records what would have been published.

``instance_url`` is a local directory (the caller passes something like
``var/outbox/<brand>``); each accepted post is one JSON line in ``outbox.jsonl`` there::

    {"idempotency_key": "...", "remote_id": "...", "url": "outbox://...", "handle": "...",
     "text": "...", "media": [...], "sent_at": "2025-01-01T09:00:00Z"}

A reply is a line with ``"in_reply_to"`` (the post it answers); reports, blocks and mutes
are lines in ``moderation.jsonl`` beside it, so the inbox can be tried end to end.

Publishing is idempotent by key: if a line with the key exists it is returned instead of a
new line being written. An exclusive ``fcntl.flock`` on the file makes the check-and-append
atomic across threads and processes (workers on one machine).

The credential may carry ``{"handle": "..."}``; without it the handle is the directory's
name. ``whoami()`` answers ``remote_id = "outbox:<directory name>:<handle without @,
lower-case>"`` -- with the directory ``var/outbox/<brand slug>`` that is
``outbox:<brand slug>:<handle>``, so two brands' outboxes are two different remote accounts
for the account-separation guard.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from .base import Identity, MediaItem, PlatformClient, PublishResult
from .errors import InvalidInstanceURL, PlatformError, PlatformUnavailable, PublishRejected
from .media import MB, WEB_IMAGES, MediaRules

OUTBOX_FILE = "outbox.jsonl"
MODERATION_FILE = "moderation.jsonl"  # reports, blocks and mutes, one a line
MAX_CHARACTERS = 500


class OutboxClient(PlatformClient):
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

    platform = "outbox"
    label = "Local outbox (demo)"
    supports_idempotency_key = True
    supports_lookup = True
    supports_media = True  # records the attachments' descriptions, not their bytes
    idempotency_window = None  # the outbox file is searched for the key
    text_limit = None
    max_characters = MAX_CHARACTERS
    character_counting = "characters"
    credential_fields = []
    secret_credential_fields = []
    needs_instance_url = False

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        path = os.fspath(url or "").strip()
        if not path:
            raise InvalidInstanceURL("The outbox needs a directory to write to.")
        if "://" in path or "\x00" in path:
            raise InvalidInstanceURL("The outbox address is a local directory, not a URL.")
        return os.path.normpath(path)

    @property
    def host(self) -> str:
        return "the outbox"

    @property
    def path(self) -> str:
        return os.path.join(self.instance_url, OUTBOX_FILE)

    @property
    def handle(self) -> str:
        handle = self._credential.get("handle")
        if isinstance(handle, str) and handle.strip():
            return handle.strip()
        return os.path.basename(os.path.abspath(self.instance_url)) or "outbox"

    @property
    def remote_id(self) -> str:
        directory = os.path.basename(os.path.abspath(self.instance_url)) or "outbox"
        return f"outbox:{directory}:{self.handle.lstrip('@').lower()}"

    def whoami(self) -> Identity:
        try:
            os.makedirs(self.instance_url, exist_ok=True)
        except OSError as exc:
            raise PlatformUnavailable(
                f"The outbox directory cannot be created ({exc.strerror}).",
                platform=self.platform,
            ) from exc
        if not os.access(self.instance_url, os.W_OK):
            raise PlatformUnavailable(
                "The outbox directory is not writable.", platform=self.platform
            )
        return Identity(
            remote_id=self.remote_id,
            handle=self.handle,
            display_name=f"Outbox {self.handle}",
            profile_url=f"outbox://{self.handle}",
        )

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        self._check_text(text, idempotency_key, what="post")
        media_info = [item.describe() for item in media or ()]
        return self._append_once(idempotency_key, {"text": text, "media": media_info})

    # -- the engagement inbox: replies and moderation, recorded like posts --------------
    supports_reply = True
    moderation_actions = ("report", "block", "mute")

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Record ``text`` as an answer to ``in_reply_to`` (a line with ``in_reply_to``)."""
        self._check_text(text, idempotency_key, what="reply")
        return self._append_once(
            idempotency_key, {"text": text, "media": [], "in_reply_to": str(in_reply_to)}
        )

    def report(self, *, account_id: str, status_ids=(), comment: str = "") -> dict:
        return self._moderate("report", account_id, status_ids=list(status_ids), comment=comment)

    def block(self, *, account_id: str) -> dict:
        return self._moderate("block", account_id)

    def mute(self, *, account_id: str) -> dict:
        return self._moderate("mute", account_id)

    def _check_text(self, text: str, idempotency_key: str, *, what: str) -> None:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        if not text or not text.strip():
            raise PublishRejected(f"The outbox refused an empty {what}.", platform=self.platform)
        if len(text) > MAX_CHARACTERS:
            raise PublishRejected(
                f"The outbox refused the {what}: longer than {MAX_CHARACTERS} characters.",
                platform=self.platform,
            )

    def _append_once(self, idempotency_key: str, fields: dict) -> PublishResult:
        """The line for ``idempotency_key`` (written now, or found from before)."""
        try:
            os.makedirs(self.instance_url, exist_ok=True)
            with open(self.path, "a+", encoding="utf-8") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    fh.seek(0)
                    existing = _find(fh, idempotency_key)
                    if existing is not None:
                        return _result(existing)
                    line = {
                        "idempotency_key": idempotency_key,
                        "remote_id": idempotency_key,
                        "url": f"outbox://{idempotency_key}",
                        "handle": self.handle,
                        **fields,
                        "sent_at": _now(),
                    }
                    fh.seek(0, os.SEEK_END)
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    fh.flush()
                    return _result(line)
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except OSError as exc:
            raise PlatformUnavailable(
                f"The outbox could not be written ({exc.strerror}).", platform=self.platform
            ) from exc

    def _moderate(self, action: str, account_id: str, **fields) -> dict:
        """One line in ``moderation.jsonl`` beside the outbox; answers ``{"id", "action"}``."""
        if not isinstance(account_id, str) or not account_id.strip():
            raise PlatformError("The outbox needs the account to act on.", platform=self.platform)
        line = {
            "id": f"{action}-{uuid.uuid4().hex[:12]}",
            "action": action,
            "account_id": account_id,
            **fields,
            "at": _now(),
        }
        try:
            os.makedirs(self.instance_url, exist_ok=True)
            path = os.path.join(self.instance_url, MODERATION_FILE)
            with open(path, "a", encoding="utf-8") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except OSError as exc:
            raise PlatformUnavailable(
                f"The outbox could not be written ({exc.strerror}).", platform=self.platform
            ) from exc
        return {"id": line["id"], "action": action}

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
                try:
                    found = _find(fh, idempotency_key)
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PlatformUnavailable(
                f"The outbox could not be read ({exc.strerror}).", platform=self.platform
            ) from exc
        return _result(found) if found is not None else None

    def entries(self) -> list[dict]:
        """Every recorded post, oldest first (for the demo screens and tests)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                return list(_lines(fh))
        except FileNotFoundError:
            return []

    def instance_limits(self) -> dict:
        return {"max_characters": MAX_CHARACTERS}


def _lines(fh) -> Iterator[dict]:
    for raw in fh:
        raw = raw.strip()
        if not raw:
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # a torn line from a crash mid-write; never matches a key
        if isinstance(entry, dict):
            yield entry


def _find(fh, idempotency_key: str) -> dict | None:
    for entry in _lines(fh):
        if entry.get("idempotency_key") == idempotency_key:
            return entry
    return None


def _result(entry: dict) -> PublishResult:
    return PublishResult(remote_id=str(entry["remote_id"]), url=str(entry["url"]), raw=entry)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
