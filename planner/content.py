"""The content fingerprint: what approvals are bound to (text, channel, media, category)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from planner.models import Post


def fingerprint(
    *, text: str, channel_id: int, category: str, media: Iterable[tuple[int, str]] = ()
) -> str:
    """sha256 of the canonical JSON of the content. ``media`` is (id, alt text) pairs.

    The text is hashed exactly as stored (no normalisation): two texts that differ in any
    code point are different content.
    """
    canonical = json.dumps(
        {
            "text": text,
            "channel": int(channel_id),
            "category": str(category),
            "media": sorted([int(pk), str(alt)] for pk, alt in media),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def content_fingerprint(post: Post) -> str:
    """The fingerprint of the post's current content, media included (one query for media)."""
    media = post.media.order_by("pk").values_list("pk", "alt_text")
    return fingerprint(
        text=post.text, channel_id=post.channel_id, category=post.category, media=list(media)
    )
