"""What each platform accepts as attachments, in one table, and how a file's type is told.

The type is read from the file's first bytes, never from its name or the browser's word.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaLimits:
    max_items: int
    #: mime type → largest accepted size in bytes
    types: dict[str, int]


_IMAGES_16 = {
    "image/jpeg": 16 * MB,
    "image/png": 16 * MB,
    "image/gif": 16 * MB,
    "image/webp": 16 * MB,
}

#: One row per platform. Sources: Mastodon's MediaAttachment limits (16 MB images, 99 MB
#: video, 4 attachments); Bluesky's app.bsky.embed.images (1,000,000-byte images, 4 per
#: post) and video (50 MB mp4, 1 per post); webhook and outbox are ours to choose.
MEDIA_LIMITS: dict[str, MediaLimits] = {
    "mastodon": MediaLimits(
        max_items=4,
        types={
            **_IMAGES_16,
            "video/mp4": 99 * MB,
            "video/webm": 99 * MB,
            "video/quicktime": 99 * MB,
        },
    ),
    "bluesky": MediaLimits(
        max_items=4,
        types={
            "image/jpeg": 1_000_000,
            "image/png": 1_000_000,
            "image/webp": 1_000_000,
            "image/gif": 1_000_000,
            "video/mp4": 50 * MB,
        },
    ),
    "webhook": MediaLimits(max_items=10, types={**_IMAGES_16, "video/mp4": 100 * MB}),
    "outbox": MediaLimits(max_items=10, types={**_IMAGES_16, "video/mp4": 100 * MB}),
}
NO_MEDIA = MediaLimits(max_items=0, types={})

#: The largest file any platform accepts: uploads beyond this are refused before reading more.
MAX_UPLOAD_BYTES = max(size for limits in MEDIA_LIMITS.values() for size in limits.types.values())


def limits_for(platform: str) -> MediaLimits:
    return MEDIA_LIMITS.get(platform, NO_MEDIA)


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


def describe(limits: MediaLimits) -> str:
    """Human summary of a platform's row: 'image/jpeg up to 16 MB, …'."""
    parts = [f"{mime} up to {_size(size)}" for mime, size in limits.types.items()]
    return ", ".join(parts) if parts else "no attachments"


def _size(n: int) -> str:
    if n % MB == 0:
        return f"{n // MB} MB"
    return f"{n / 1_000_000:g} MB"
