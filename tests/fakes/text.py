"""Text helpers the fakes share: grapheme counting close enough to the platforms'."""

from __future__ import annotations

import re
import unicodedata

_ZWJ = 0x200D


def _is_extender(cp: int, ch: str) -> bool:
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp == _ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF
        or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences
    )


def grapheme_count(text: str) -> int:
    """User-perceived characters: combining marks, variation selectors, skin tones, ZWJ
    emoji sequences, flag pairs and CRLF count once. An approximation of UAX #29 that is
    good enough for limits (precomposed Hangul only)."""
    count = 0
    previous = None
    after_zwj = False
    regional_run = 0
    for ch in text:
        cp = ord(ch)
        is_regional = 0x1F1E6 <= cp <= 0x1F1FF
        joins = count > 0 and (
            _is_extender(cp, ch)
            or after_zwj
            or (previous == "\r" and ch == "\n")
            or (is_regional and regional_run % 2 == 1)
        )
        if not joins:
            count += 1
        regional_run = regional_run + 1 if is_regional else 0
        after_zwj = cp == _ZWJ
        previous = ch
    return count


_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(?<![\w@])(@\w+)@[\w.-]*\w")


def mastodon_length(text: str, characters_per_url: int = 23) -> int:
    """Mastodon's count: every URL counts ``characters_per_url``, a remote mention counts
    only its ``@user`` part, the rest counts grapheme clusters."""
    countable = _URL.sub("x" * characters_per_url, text)
    countable = _REMOTE_MENTION.sub(r"\1", countable)
    return grapheme_count(countable)
