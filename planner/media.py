"""Attachments on the Countersign side: what a file is (read from its bytes, never from its
name or the browser's word), its metadata (ffprobe, ``platforms.mediainfo``), a poster frame
for video (ffmpeg), the check against each channel's platform rules (the adapters'
``media_rules``: one table, in the adapters), and the signed public address Instagram and
Threads fetch media from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from platforms.base import MediaItem
from platforms.media import MB, MediaRules, media_kind
from platforms.mediainfo import MediaInfo, MediaInfoError, probe
from platforms.registry import PLATFORMS, get_client_class

SIGNING_SALT = "planner.media.public"
POSTER_SECONDS = 20.0


def client_class(platform: str):
    try:
        return get_client_class(platform)
    except Exception:
        return None


def rules_for(platform: str) -> MediaRules:
    """The platform's media rules, from its adapter."""
    try:
        return get_client_class(platform).media_rules
    except Exception:  # an unknown platform takes nothing
        return MediaRules()


def max_upload_bytes() -> int:
    """The largest file any platform accepts, capped by the installation's limit."""
    largest = max(
        max(cls.media_rules.max_image_bytes, cls.media_rules.max_video_bytes)
        for cls in PLATFORMS.values()
    )
    return min(largest, settings.COUNTERSIGN.get("UPLOAD_MAX_BYTES") or largest)


def limit_for(rules: MediaRules, mime_type: str) -> int:
    kind = media_kind(mime_type)
    if kind == "gif":
        return rules.max_gif_bytes or rules.max_image_bytes
    return rules.max_image_bytes if kind == "image" else rules.max_video_bytes


def sniff_mime(head: bytes) -> str | None:
    """The mime type of a file from its first 16+ bytes, for the types we accept; else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
}


def kind_of(mime_type: str) -> str:
    return "image" if mime_type.startswith("image/") else "video"


def describe(rules: MediaRules) -> str:
    """Human summary of a platform's rules: 'image/jpeg up to 16 MB, …'."""
    parts = [f"{mime} up to {_size(limit_for(rules, mime))}" for mime in rules.image_types]
    parts += [f"{mime} up to {_size(rules.max_video_bytes)}" for mime in rules.video_types]
    return ", ".join(parts) if parts else "no attachments"


def _size(n: int) -> str:
    if n % MB == 0:
        return f"{n // MB} MB"
    return f"{n / 1_000_000:g} MB"


# --- metadata and poster frames -------------------------------------------------------------


@dataclass(frozen=True)
class Metadata:
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    frame_rate: float | None = None

    @classmethod
    def of(cls, info: MediaInfo | None) -> Metadata:
        if info is None:
            return cls()
        return cls(info.width, info.height, info.duration, info.frame_rate)


def with_local_path(fileobj, func):
    """Call ``func(path)`` with a path to the file's content (its temporary file when the
    upload has one, else a copy)."""
    path = getattr(fileobj, "temporary_file_path", None)
    if callable(path):
        return func(path())
    fileobj.seek(0)
    suffix = os.path.splitext(getattr(fileobj, "name", "") or "")[1][:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        shutil.copyfileobj(fileobj, tmp)
        tmp.flush()
        fileobj.seek(0)
        return func(tmp.name)


def read_metadata(fileobj) -> Metadata:
    """Width, height, duration and frame rate (ffprobe); nothing known when it cannot tell
    (the platform still refuses what it cannot take)."""
    try:
        return Metadata.of(with_local_path(fileobj, lambda path: probe(path, timeout=20)))
    except (MediaInfoError, OSError):
        return Metadata()


def poster_frame(fileobj) -> bytes | None:
    """A JPEG of the video's first frame (ffmpeg), or None when it cannot be made."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return None

    def run(path: str) -> bytes | None:
        try:
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    ffmpeg,
                    "-v",
                    "error",
                    "-i",
                    path,
                    "-frames:v",
                    "1",
                    "-vf",
                    "scale='min(640,iw)':-2",
                    "-f",
                    "image2",
                    "-c:v",
                    "mjpeg",
                    "pipe:1",
                ],
                capture_output=True,
                timeout=POSTER_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 and done.stdout else None

    try:
        return with_local_path(fileobj, run)
    except OSError:
        return None


# --- the check against each channel's platform ------------------------------------------------


def problems_for(rules: MediaRules, *, label: str, items: Sequence[MediaItem]) -> list[str]:
    """Every reason these attachments cannot go in one post on the platform."""
    return rules.problems(list(items), label=label)


def media_item(media, *, content: bytes | None = None, url: str = "") -> MediaItem:
    """A ``planner.models.Media`` row as the adapters take it (bytes, metadata, address)."""
    return MediaItem(
        content if content is not None else b"",
        media.mime_type,
        media.alt_text,
        size=media.size,
        width=media.width,
        height=media.height,
        duration=media.duration,
        frame_rate=media.frame_rate,
        url=url,
    )


# --- the signed public address ----------------------------------------------------------------


def public_url(media) -> str:
    """An unguessable address of the file on SITE_URL that works for
    ``MEDIA_URL_MAX_AGE_SECONDS`` (Instagram and Threads fetch media themselves)."""
    token = signing.dumps({"m": media.pk, "s": media.size}, salt=SIGNING_SALT, compress=True)
    site = settings.COUNTERSIGN["SITE_URL"].rstrip("/")
    return site + reverse("media_public", kwargs={"token": token})


def media_id_from(token: str) -> int | None:
    """The media id a signed address names, or None (bad, tampered with or expired)."""
    try:
        data = signing.loads(
            token,
            salt=SIGNING_SALT,
            max_age=settings.COUNTERSIGN.get("MEDIA_URL_MAX_AGE_SECONDS", 86400),
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int):
        return None
    return data["m"]
