"""Media rules per platform and the check of attachments against them (no I/O).

Each client class has a ``media_rules`` (a ``MediaRules``): the types it takes, the largest
sizes, how many items and of which kinds, the video limits (duration, frame rate, aspect
ratio, dimensions) and whether alt text is supported. ``problems()`` checks metadata passed
in (``MediaItem.size``/``width``/``height``/``duration``/``frame_rate``; reading it from the
file, e.g. with ffprobe, is the caller's job, see ``mediainfo.py``). A value that is not
known is not checked here: the platform itself still refuses what it cannot take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .base import MediaItem

KB = 1000
MB = 1024 * 1024


def media_kind(mime_type: str) -> str:
    """``image`` | ``gif`` | ``video`` | ``other`` for a MIME type."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime == "image/gif":
        return "gif"
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    return "other"


def _mb(size: int) -> str:
    if size >= MB:
        return f"{size / MB:g} MB"
    return f"{size / KB:g} KB"


@dataclass(frozen=True)
class MediaRules:
    """What one platform accepts in one post. Sizes in bytes, durations in seconds, aspect
    ratios as width / height."""

    image_types: tuple[str, ...] = ()
    video_types: tuple[str, ...] = ()
    max_image_bytes: int = 0
    max_gif_bytes: int = 0  # 0: like images
    max_video_bytes: int = 0
    max_items: int = 0  # attachments per post
    max_videos: int = 1  # videos (and animated GIFs where they count as video) per post
    gif_counts_as_video: bool = False  # X: one GIF and nothing else
    allow_mixed: bool = False  # images and a video in the same post
    video_min_seconds: float = 0.0
    video_max_seconds: float = 0.0  # 0: no limit
    video_max_frame_rate: float = 0.0
    video_min_aspect: float = 0.0
    video_max_aspect: float = 0.0
    video_max_width: int = 0
    video_max_height: int = 0
    video_min_width: int = 0
    video_min_height: int = 0
    image_min_aspect: float = 0.0
    image_max_aspect: float = 0.0
    alt_text: bool = False  # the platform stores alt text for images
    video_alt_text: bool = False
    max_alt_text: int = 0
    #: Kinds the platform fetches from a public URL instead of taking an upload
    #: (``MediaItem.url`` must be set): Instagram images, Threads images and video.
    needs_public_url: tuple[str, ...] = ()

    @property
    def supports_media(self) -> bool:
        return self.max_items > 0

    def accepts(self, mime_type: str) -> bool:
        mime = (mime_type or "").split(";")[0].strip().lower()
        return mime in self.image_types or mime in self.video_types

    def problems(self, items: Sequence[MediaItem], *, label: str) -> list[str]:
        """Every reason ``items`` cannot go in one post on this platform, one sentence
        each, naming the platform and the attachment (1-based)."""
        items = list(items)
        if not items:
            return []
        if not self.supports_media:
            return [f"{label} posts cannot carry attachments."]
        found: list[str] = []
        if len(items) > self.max_items:
            found.append(
                f"{label} takes at most {self.max_items} attachment"
                f"{'s' if self.max_items != 1 else ''} per post; this post has {len(items)}."
            )
        kinds = [media_kind(item.mime_type) for item in items]
        videos = sum(1 for k in kinds if k == "video" or (k == "gif" and self.gif_counts_as_video))
        if videos > self.max_videos:
            found.append(
                f"{label} takes at most {self.max_videos} video"
                f"{' or animated GIF' if self.gif_counts_as_video else ''} per post."
            )
        if videos and len(items) > videos and not self.allow_mixed:
            found.append(f"{label} cannot mix a video with other attachments in one post.")
        for number, (item, kind) in enumerate(zip(items, kinds, strict=True), start=1):
            found += self._item_problems(item, kind, number=number, label=label)
        return found

    def _item_problems(self, item: MediaItem, kind: str, *, number: int, label: str) -> list[str]:
        which = f"Attachment {number}"
        mime = (item.mime_type or "").split(";")[0].strip().lower()
        if not self.accepts(mime):
            accepted = ", ".join(sorted({*self.image_types, *self.video_types}))
            return [
                f"{which}: {label} does not accept {mime or 'this type'} (it takes {accepted})."
            ]
        found = []
        size = item.byte_size()
        limit = {
            "image": self.max_image_bytes,
            "gif": self.max_gif_bytes or self.max_image_bytes,
            "video": self.max_video_bytes,
        }.get(kind, 0)
        if size is not None and limit and size > limit:
            found.append(
                f"{which}: {label} takes {kind}s up to {_mb(limit)}; this one is {_mb(size)}."
            )
        if kind in self.needs_public_url and not item.url:
            found.append(
                f"{which}: {label} fetches {kind}s from a public address, and none was given "
                "(set the installation's public media URL)."
            )
        alt = item.alt_text or ""
        if alt and self.max_alt_text and len(alt) > self.max_alt_text:
            found.append(
                f"{which}: {label} takes alt text up to {self.max_alt_text} characters; "
                f"this one has {len(alt)}."
            )
        aspect = item.aspect_ratio()
        if kind in ("image", "gif") and aspect is not None:
            if self.image_min_aspect and aspect < self.image_min_aspect - 1e-3:
                found.append(
                    f"{which}: {label} images must be at least {_ratio(self.image_min_aspect)} "
                    f"(width:height); this one is {_ratio(aspect)}."
                )
            if self.image_max_aspect and aspect > self.image_max_aspect + 1e-3:
                found.append(
                    f"{which}: {label} images must be at most {_ratio(self.image_max_aspect)} "
                    f"(width:height); this one is {_ratio(aspect)}."
                )
        if kind == "video":
            found += self._video_problems(item, which=which, label=label)
        return found

    def _video_problems(self, item: MediaItem, *, which: str, label: str) -> list[str]:
        found = []
        duration = item.duration
        if duration is not None:
            if self.video_min_seconds and duration < self.video_min_seconds:
                found.append(
                    f"{which}: {label} videos must last at least {self.video_min_seconds:g} s; "
                    f"this one lasts {duration:.1f} s."
                )
            if self.video_max_seconds and duration > self.video_max_seconds:
                found.append(
                    f"{which}: {label} videos may last at most "
                    f"{_duration(self.video_max_seconds)}; this one lasts {_duration(duration)}."
                )
        rate, max_rate = item.frame_rate, self.video_max_frame_rate
        if rate is not None and max_rate and rate > max_rate + 0.01:
            found.append(
                f"{which}: {label} videos may have at most {max_rate:g} "
                f"frames per second; this one has {rate:g}."
            )
        aspect = item.aspect_ratio()
        if aspect is not None:
            if self.video_min_aspect and aspect < self.video_min_aspect - 1e-3:
                found.append(
                    f"{which}: {label} videos must be at least {_ratio(self.video_min_aspect)} "
                    f"(width:height); this one is {_ratio(aspect)}."
                )
            if self.video_max_aspect and aspect > self.video_max_aspect + 1e-3:
                found.append(
                    f"{which}: {label} videos must be at most {_ratio(self.video_max_aspect)} "
                    f"(width:height); this one is {_ratio(aspect)}."
                )
        if item.width and item.height:
            too_big = (self.video_max_width and item.width > self.video_max_width) or (
                self.video_max_height and item.height > self.video_max_height
            )
            too_small = (self.video_min_width and item.width < self.video_min_width) or (
                self.video_min_height and item.height < self.video_min_height
            )
            if too_big:
                found.append(
                    f"{which}: {label} videos may be at most "
                    f"{self.video_max_width}×{self.video_max_height} pixels; "
                    f"this one is {item.width}×{item.height}."
                )
            if too_small:
                found.append(
                    f"{which}: {label} videos must be at least "
                    f"{self.video_min_width}×{self.video_min_height} pixels; "
                    f"this one is {item.width}×{item.height}."
                )
        return found


def _ratio(value: float) -> str:
    for w, h in ((1, 3), (9, 16), (4, 5), (1, 1), (16, 9), (191, 100), (3, 1), (10, 1), (1, 10)):
        if abs(value - w / h) < 0.005:
            return f"{w}:{h}" if (w, h) != (191, 100) else "1.91:1"
    return f"{value:.2f}:1"


def _duration(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{seconds:.1f} s" if seconds != int(seconds) else f"{int(seconds)} s"


NO_MEDIA = MediaRules()

JPEG_PNG = ("image/jpeg", "image/png")
WEB_IMAGES = ("image/jpeg", "image/png", "image/gif", "image/webp")
