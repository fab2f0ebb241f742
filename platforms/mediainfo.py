"""Read a media file's metadata with ffprobe (Debian's ``ffmpeg`` package), for the media
rules: size, type, duration, width and height, frame rate.

``probe(path)`` runs ``ffprobe -v error -print_format json -show_format -show_streams`` with
a timeout, never through a shell, and returns a ``MediaInfo``; ``MediaInfoError`` says why
it could not (ffprobe missing, timed out, not a media file). ``MediaInfo.apply(item)`` gives
a ``MediaItem`` carrying the metadata.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction

from .base import MediaItem

DEFAULT_TIMEOUT = 20.0
_FORMAT_MIME = {
    "mov,mp4,m4a,3gp,3g2,mj2": "video/mp4",
    "matroska,webm": "video/webm",
    "gif": "image/gif",
    "png_pipe": "image/png",
    "jpeg_pipe": "image/jpeg",
    "webp_pipe": "image/webp",
    "image2": "",
}


class MediaInfoError(Exception):
    """The file's metadata could not be read; the message is safe to show."""


@dataclass(frozen=True)
class MediaInfo:
    size: int
    format_name: str
    mime_type: str = ""
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    video_codec: str = ""
    audio_codec: str = ""

    def apply(self, item: MediaItem) -> MediaItem:
        """``item`` with this metadata (the item's own MIME type is kept)."""
        return dataclasses.replace(
            item,
            size=self.size,
            width=self.width,
            height=self.height,
            duration=self.duration,
            frame_rate=self.frame_rate,
        )


def ffprobe_path() -> str | None:
    return shutil.which("ffprobe")


def _rate(value: object) -> float | None:
    if not isinstance(value, str) or not value or value in ("0/0", "0"):
        return None
    try:
        rate = float(Fraction(value))
    except (ValueError, ZeroDivisionError):
        return None
    return round(rate, 3) if rate > 0 else None


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def parse(report: dict, *, size: int) -> MediaInfo:
    """A ``MediaInfo`` from ffprobe's JSON report."""
    streams = [s for s in report.get("streams") or [] if isinstance(s, dict)]
    fmt = report.get("format") if isinstance(report.get("format"), dict) else {}
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaInfoError("The file has no picture or sound that can be read.")
    format_name = str(fmt.get("format_name") or "")
    still = format_name.endswith("_pipe") or format_name == "image2"
    duration = (
        None if still else (_float(fmt.get("duration")) or _float((video or {}).get("duration")))
    )
    frame_rate = None
    if video is not None and not still:
        frame_rate = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    width = height = None
    if video is not None:
        width = int(video["width"]) if isinstance(video.get("width"), int) else None
        height = int(video["height"]) if isinstance(video.get("height"), int) else None
        rotation = _rotation(video)
        if rotation in (90, 270) and width and height:
            width, height = height, width
    return MediaInfo(
        size=size,
        format_name=format_name,
        mime_type=_FORMAT_MIME.get(format_name, ""),
        duration=duration,
        width=width,
        height=height,
        frame_rate=frame_rate,
        video_codec=str((video or {}).get("codec_name") or ""),
        audio_codec=str((audio or {}).get("codec_name") or ""),
    )


def _rotation(stream: dict) -> int:
    tags = stream.get("tags") if isinstance(stream.get("tags"), dict) else {}
    rotate = tags.get("rotate")
    for side in stream.get("side_data_list") or []:
        if isinstance(side, dict) and "rotation" in side:
            rotate = side["rotation"]
    try:
        return abs(int(float(rotate))) % 360 if rotate is not None else 0
    except (TypeError, ValueError):
        return 0


def probe(path: str | os.PathLike, *, timeout: float = DEFAULT_TIMEOUT) -> MediaInfo:
    """Run ffprobe on a file and read its metadata."""
    binary = ffprobe_path()
    if binary is None:
        raise MediaInfoError("ffprobe is not installed (Debian package: ffmpeg).")
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise MediaInfoError("The file could not be opened.") from exc
    command = [
        binary,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "--",
        path,
    ]
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaInfoError(
            f"Reading the file's metadata took longer than {timeout:g} s."
        ) from exc
    if done.returncode != 0:
        raise MediaInfoError("The file is not a picture or video that can be read.")
    try:
        report = json.loads(done.stdout.decode("utf-8", "replace") or "{}")
    except ValueError as exc:
        raise MediaInfoError("ffprobe gave an answer that could not be read.") from exc
    if not isinstance(report, dict):
        raise MediaInfoError("ffprobe gave an answer that could not be read.")
    return parse(report, size=size)
