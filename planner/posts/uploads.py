"""Chunked, resumable uploads of large media files, before they are attached to a post.

The browser (static/js/chunked-upload.js) asks for an upload id with the file's name and
size, sends the file in parts at the offset the server has (``PUT ...?offset=N``), and
after a failure asks how much arrived and goes on from there. The parts wait under
``UPLOAD_DIR/<user id>/`` (the id is random and bound to the person); once complete, the
composer attaches the file by its upload id like any uploaded file, and the parts are
removed. Files past the installation's limit, unknown ids, other people's ids and parts at
the wrong offset are refused with a reason, never a 500.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from config.errors import Conflict, NotFoundError
from planner import media as media_rules

CHUNK_BYTES = 1024 * 1024  # what the browser sends per request
MAX_CHUNK_BYTES = 2 * CHUNK_BYTES
UPLOAD_TTL_SECONDS = 24 * 3600  # unfinished uploads are removed after a day
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    name: str
    size: int
    received: int

    @property
    def complete(self) -> bool:
        return self.received >= self.size

    def as_dict(self) -> dict:
        return {
            "upload_id": self.upload_id,
            "name": self.name,
            "size": self.size,
            "received": self.received,
            "complete": self.complete,
            "chunk_bytes": CHUNK_BYTES,
        }


def _dir(user_id: int) -> Path:
    path = Path(settings.COUNTERSIGN["UPLOAD_DIR"]) / str(int(user_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(user_id: int, upload_id: str) -> tuple[Path, Path]:
    if not isinstance(upload_id, str) or not _ID.match(upload_id):
        raise NotFoundError("No such upload.")
    base = _dir(user_id)
    return base / f"{upload_id}.part", base / f"{upload_id}.json"


def _sweep(user_id: int) -> None:
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in _dir(user_id).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def upload_start(*, user_id: int, name: str, size) -> UploadState:
    """A new upload id for a file of ``size`` bytes."""
    name = os.path.basename(str(name or "upload"))[:255] or "upload"
    if isinstance(size, bool) or not isinstance(size, int):
        try:
            size = int(str(size))
        except ValueError:
            raise ValidationError({"size": "Give the file's size in bytes."}) from None
    if size <= 0:
        raise ValidationError({"size": f"{name} is empty."})
    limit = media_rules.max_upload_bytes()
    if size > limit:
        raise ValidationError(
            {"size": f"{name} is {size:,} bytes; the largest file accepted is {limit:,} bytes."}
        )
    _sweep(user_id)
    upload_id = secrets.token_urlsafe(24)
    part, meta = _paths(user_id, upload_id)
    part.touch()
    meta.write_text(json.dumps({"name": name, "size": size}))
    return UploadState(upload_id, name, size, 0)


def upload_state(*, user_id: int, upload_id: str) -> UploadState:
    part, meta = _paths(user_id, upload_id)
    try:
        info = json.loads(meta.read_text())
        received = part.stat().st_size
    except (OSError, ValueError):
        raise NotFoundError("No such upload (it may have expired); start it again.") from None
    return UploadState(upload_id, str(info["name"]), int(info["size"]), received)


def upload_append(*, user_id: int, upload_id: str, offset, stream) -> UploadState:
    """Add the part read from ``stream`` at ``offset`` (which must be what has arrived)."""
    state = upload_state(user_id=user_id, upload_id=upload_id)
    try:
        offset = int(str(offset))
    except ValueError:
        raise ValidationError({"offset": "Give the part's offset in bytes."}) from None
    if offset != state.received:
        raise Conflict(
            f"The server has {state.received:,} bytes of this file; send from there.",
            details={"received": state.received},
        )
    chunk = stream.read(MAX_CHUNK_BYTES + 1)
    if not chunk:
        raise ValidationError({"chunk": "The part is empty."})
    if len(chunk) > MAX_CHUNK_BYTES:
        raise ValidationError({"chunk": f"Send parts of at most {MAX_CHUNK_BYTES:,} bytes."})
    if state.received + len(chunk) > state.size:
        raise ValidationError({"chunk": "The parts are larger than the file said it was."})
    part, _ = _paths(user_id, upload_id)
    with open(part, "ab") as fh:
        fh.write(chunk)
    return UploadState(upload_id, state.name, state.size, state.received + len(chunk))


class _CompletedFile(UploadedFile):
    """A finished upload, for the composer (like a file the browser sent in the form)."""

    def __init__(self, path: Path, name: str, size: int):
        super().__init__(open(path, "rb"), name=name, size=size)  # noqa: SIM115
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def upload_file(*, user_id: int, upload_id: str) -> UploadedFile:
    """The completed upload as a file; refused while parts are missing."""
    state = upload_state(user_id=user_id, upload_id=upload_id)
    if not state.complete:
        raise ValidationError(
            {
                "media": f"{state.name} is not completely uploaded yet ({state.received:,} of "
                f"{state.size:,} bytes); let the upload finish."
            }
        )
    part, _ = _paths(user_id, upload_id)
    return _CompletedFile(part, state.name, state.size)


def upload_discard(*, user_id: int, upload_id: str) -> None:
    try:
        for path in _paths(user_id, upload_id):
            path.unlink(missing_ok=True)
    except NotFoundError:
        pass
