"""brand_spelling: find every spelling of a brand name, so the wrong ones can be flagged.

A brand name is matched on the original text with one regular expression built from
the canonical spelling: each letter may be any case, accented, a look-alike from the
homoglyph tables or a leet digit, and may repeat; between letters there may be one
space, hyphen, dot or underscore and any zero-width characters. So ``kitchenaid``,
``Kitchen Aid``, ``KITCHEN-AID``, ``#kitchenaid`` and ``K1tchenAid`` are all found;
only the canonical ``KitchenAid`` is fine. In a hashtag the name may also be written
without its spaces or hyphens (``#CocaCola`` for "Coca-Cola"). Links, @handles and
e-mail addresses are not copy and are left alone.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

from policy.engine import normalize as nz

_INVISIBLE = "[\u00ad\u200b-\u200f\u2060\ufeff]*"
_SEPARATOR = _INVISIBLE + r"[\s\-_.\u2010\u2011]?" + _INVISIBLE
_MARKS = "[\u0300-\u036f]*"
_LEET_OF = {"a": "4@", "e": "3", "i": "1!|", "l": "1|", "o": "0", "s": "5$", "t": "7"}


@lru_cache(maxsize=1)
def _alikes() -> dict[str, str]:
    """For each Latin letter, the characters the skeleton reads as that letter."""
    found: dict[str, set[str]] = {}
    table = {**nz._CONFUSABLES, **nz._SUPPLEMENT}
    for code in [*range(0xC0, 0x250), *range(0xFF21, 0xFF5B)]:
        ch = chr(code)
        mapped = nz.map_char(ch)
        if len(mapped) == 1 and mapped.isascii() and mapped.isalpha():
            table.setdefault(ch, mapped)
    for ch, latin in table.items():
        found.setdefault(latin, set()).add(ch)
    return {latin: "".join(sorted(chars)) for latin, chars in found.items()}


def _letter(ch: str, alikes: bool) -> str:
    base = nz.map_char(ch)
    if len(base) != 1 or not base.isalnum():
        return re.escape(ch)
    chars = {ch, ch.lower(), ch.upper(), base, base.upper()}
    if alikes:
        chars.update(_alikes().get(base, ""))
    chars.update(_LEET_OF.get(base, ""))
    body = "".join(re.escape(c) for c in sorted(chars))
    # The class first (not a group), so the regex engine can skip ahead to candidates.
    return f"[{body}]{_MARKS}(?:[{body}]{_MARKS})*"


def _letters(canonical: str, alikes: bool) -> list[str]:
    """One pattern per letter or digit of ``canonical``; a separator goes between each."""
    return [_letter(ch, alikes) for ch in unicodedata.normalize("NFC", canonical) if ch.isalnum()]


def brand_pattern(canonical: str, alikes: bool = True) -> re.Pattern:
    """The spellings of ``canonical``; ``alikes`` adds accented letters and homoglyphs.

    Without them the character classes are ASCII, which the regex engine scans far
    faster; that version is used for texts with no non-ASCII letter in them.
    """
    body = _SEPARATOR.join(_letters(canonical, alikes))
    return re.compile(rf"{body}(?![^\W_])")


def head_pattern(canonical: str) -> re.Pattern | None:
    """The start of a spelling of ``canonical`` that reaches the end of a token, at a word
    start: ``Kitchen`` (of ``Kitchen Aid``) or ``K`` (of ``K i t c h e n A i d``). A
    spelling can only run over whitespace from such a token into the next one."""
    letters = _letters(canonical, alikes=True)
    heads = [_SEPARATOR.join(letters[:k]) for k in range(1, len(letters))]
    if not heads:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(heads)}){_INVISIBLE}\Z")


def tail_pattern(canonical: str) -> re.Pattern | None:
    """What may follow a ``head_pattern`` token after the whitespace: from the second
    letter on, the rest of a spelling, or a run of its letters to the token's end
    (``chen`` of ``Kit chen Aid``). A token that starts a spelling's rest matches."""
    letters = _letters(canonical, alikes=True)
    if len(letters) < 2:
        return None
    rests = []
    for m in range(1, len(letters)):
        rest = letters[-1]
        for letter in reversed(letters[m:-1]):
            rest = f"{letter}(?:{_SEPARATOR}{rest})?"
        rests.append(rest)
    return re.compile(rf"{_INVISIBLE}(?:{'|'.join(rests)})(?![^\W_])")


class _Found(Exception):
    pass


def _alike_errors(exc: UnicodeEncodeError):
    mapped = exc.object[exc.start : exc.end].translate(nz.CHAR_TABLE)
    if not mapped.isascii() or _ASCII_LETTER.search(mapped):
        raise _Found
    return "", exc.end


codecs.register_error("countersign.alikes", _alike_errors)
_ASCII_LETTER = re.compile("[a-z]")


def has_latin_alikes(text: str, runs: list[tuple[int, int]] | None = None) -> bool:
    """Whether a non-ASCII character of ``text`` reads as a letter (é, е, ｆ, ⓕ ...).

    ``runs``, when given, are the spans of the non-ASCII runs of ``text``
    (``normalize.non_ascii_runs``), so a caller that has them saves a pass.
    """
    if text.isascii():
        return False
    if runs is not None:
        mapped = "".join([text[a:b] for a, b in runs]).translate(nz.CHAR_TABLE)
        return not mapped.isascii() or _ASCII_LETTER.search(mapped) is not None
    try:
        text.encode("ascii", "countersign.alikes")
    except _Found:
        return True
    return False


def is_word_start(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


def core(canonical: str) -> str:
    """The canonical spelling without leading and trailing punctuation ("Yahoo!")."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", canonical) or canonical
