"""Media metadata read with ffprobe from tiny files made with ffmpeg in the test."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from platforms.base import MediaItem
from platforms.mediainfo import MediaInfoError, parse, probe
from platforms.x import XClient

HAVE_FFMPEG = shutil.which("ffprobe") is not None and shutil.which("ffmpeg") is not None
needs_ffmpeg = pytest.mark.skipif(
    not HAVE_FFMPEG and not os.environ.get("CI"),
    reason="ffmpeg/ffprobe not installed (CI installs Debian's ffmpeg)",
)


def make(tmp_path, name: str, *args: str):
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True, timeout=60)
    return out


@needs_ffmpeg
def test_video_metadata(tmp_path):
    clip = make(
        tmp_path,
        "clip.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=2:size=96x64:rate=30",
        "-pix_fmt",
        "yuv420p",
    )
    info = probe(clip)
    assert (info.width, info.height) == (96, 64)
    assert info.frame_rate == 30
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.mime_type == "video/mp4" and info.video_codec == "h264"
    assert info.size == clip.stat().st_size
    item = info.apply(MediaItem(clip, "video/mp4", "a test card"))
    assert (item.width, item.height, item.frame_rate, item.alt_text) == (96, 64, 30, "a test card")
    assert XClient.validate_media([item]) == []


@needs_ffmpeg
def test_metadata_feeds_the_rules(tmp_path):
    fast = make(
        tmp_path,
        "fast.mp4",
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=1:size=64x16:rate=90",
        "-pix_fmt",
        "yuv420p",
    )
    item = probe(fast).apply(MediaItem(fast, "video/mp4"))
    problems = XClient.validate_media([item])
    assert any("60 frames per second" in p for p in problems)
    assert any("at most 3:1" in p for p in problems)


@needs_ffmpeg
def test_image_metadata_and_garbage(tmp_path):
    png = make(tmp_path, "dot.png", "-f", "lavfi", "-i", "color=c=red:size=40x30", "-frames:v", "1")
    info = probe(png)
    assert (info.width, info.height, info.duration, info.frame_rate) == (40, 30, None, None)
    assert info.mime_type == "image/png"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(MediaInfoError, match="not a picture or video"):
        probe(junk)
    with pytest.raises(MediaInfoError, match="could not be opened"):
        probe(tmp_path / "missing.mp4")


def test_parse_handles_rotation_and_odd_rates():
    report = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.5"},
        "streams": [
            {
                "codec_type": "video",
                "codec_name": "h264",
                "width": 1920,
                "height": 1080,
                "avg_frame_rate": "30000/1001",
                "side_data_list": [{"rotation": -90}],
            }
        ],
    }
    info = parse(report, size=10)
    assert (info.width, info.height, info.frame_rate, info.duration) == (1080, 1920, 29.97, 12.5)
    with pytest.raises(MediaInfoError):
        parse({"format": {}, "streams": []}, size=0)


def test_missing_ffprobe_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr("platforms.mediainfo.shutil.which", lambda name: None)
    with pytest.raises(MediaInfoError, match="ffprobe is not installed"):
        probe(tmp_path / "x.mp4")
