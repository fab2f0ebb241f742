"""Compiled policies and lint results."""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import gt
from types import MappingProxyType
from typing import Any

import ahocorasick
import ahocorasick_rs
import regex

from policy.engine import brand as brand_mod
from policy.engine import dictionary, entities
from policy.engine import normalize as nz
from policy.engine import summaries as sm
from policy.engine.matcher import TermAutomaton
from policy.engine.schema import validate_rules

TERM_KINDS = ("banned_terms", "sensitive_topics")
_LEET_OR_TAG = re.compile(r"[0-9@$!|#]")
_NONE: frozenset = frozenset()
_SCOPE_CACHE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Finding:
    """One place in the text that a rule objects to; ``text[start:end] == match``."""

    rule: str
    severity: str
    start: int
    end: int
    match: str
    message: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "match": self.match,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class LintResult:
    """Findings sorted by (start, end, rule); blocked when any has severity "block"."""

    findings: list[Finding]

    @property
    def blocked(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class _Rule:
    slot: int  # position among the enabled rules
    id: str
    kind: str
    severity: str
    message: str
    channels: frozenset[str] | None
    categories: frozenset[str] | None
    data: Any = None  # kind-specific compiled data

    def applies(self, channel: str | None, platform: str | None, category: str | None) -> bool:
        if self.channels is not None and not (
            (channel is not None and channel in self.channels)
            or (platform is not None and platform in self.channels)
        ):
            return False
        return self.categories is None or (category is not None and category in self.categories)


# A word of letters with stars in it (starting with a letter, so *bold* is not one).
_MASKED_TOKEN_RE = re.compile(r"(?<![\w*])[^\W\d_](?:[^\W\d_]|\*)*\*(?:[^\W\d_]|\*)*(?![\w*])")
_MASKABLE_RE = re.compile(r"[^\W\d_]{3,}")
# a term of words of letters joined by one hyphen, apostrophe or space: g-spot, foda-se,
# blow job, vai-te foder
_COMPOUND_MASKABLE_RE = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)+")
# a word of a masked compound: letters and stars, joined by a hyphen or an apostrophe
_MASK_PART_RE = re.compile(r"(?:[^\W\d_]|\*)+(?:[-'](?:[^\W\d_]|\*)+)*")
_MASK_LEAD_RE = re.compile(r"[^\W\d_]")  # where the first word of a compound starts
_MASK_TRAIL_RE = re.compile(r"[^\w*]+$")  # what ends the last word (punctuation)
_JOINERS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u2010": "-", "\u2011": "-"})


def _spelled_out(written: str) -> bool:
    """Whether no two different letters touch: b.l.o.w y.o.u.r, not "blowyour"."""
    chars = [c for c in written if unicodedata.category(c) not in ("Mn", "Me", "Cf")]
    return not any(
        _letterish(a) and _letterish(b) and a.casefold() != b.casefold()
        for a, b in itertools.pairwise(chars)
    )


# what a respelling's match is written with: letters, and between the words of a term of
# several a space, a hyphen or an apostrophe
_PLAIN_RE = re.compile(r"#?[^\W\d_]+(?:[\s\-'\u2019]+[^\W\d_]+)*")
_PLAIN_GAP_RE = re.compile(r"[\s\-'\u2019]+")


def _stretched(marks: str, first: int, entry) -> bool:
    """Whether a respelling's match (from ``first`` in the collapsed skeleton; ``marks``:
    ``normalize.runs``) writes a letter the respelling has twice three times or more:
    that may as well be a letter written once, stretched ("ccca" is not "cca", caca
    respelled; "chasssse" is no "chasse", chiasse respelled, but may be "chase"). A
    letter it has once, stretched, still reads ("fuuuk")."""
    return any(marks[first + o] == "3" for o in entry.required)


def _plainly_written(written: str) -> bool:
    """Whether a respelling's match is written in letters alone, its words whole (not
    spelled out): a respelling is one evasion rule, so it is not read on top of digits,
    symbols, separators or spelled-out letters ("77s" is not "tts", tits respelled; "kk
    <3" is not "kke"; "@bran_14" is not "brania")."""
    if not _PLAIN_RE.fullmatch(written):
        return False
    words = [word.lstrip("#") for word in _PLAIN_GAP_RE.split(written)]
    # (a word of one letter, perhaps written several times, joins the next: "f u k", ":D kk")
    single = [len(set(word.casefold())) == 1 for word in words]
    return not any(a and b for a, b in itertools.pairwise(single))


_APOSTROPHES = frozenset("'\u2019\u2018`\u00b4")


# Evasions read on the text's side, each a same-length rewrite of the text so that a
# finding's span is the same in the text and in the reading:
# - one separator inside a word (``fi.stfucks``, ``hoe_r``, ``ni'nny``, ``da.ngerous``):
#   every separator between two letters becomes a zero-width space, which normalisation
#   drops. An apostrophe before a contraction's ending (``he'll``, ``it's``) stays;
# - a digit for a vowel it does not look like (``f4ck``): in a word with three letters
#   or more (two in a word that may be one of a term of several words: ``b4g t1ts``),
#   each vowel digit (0 1 3 4) next to a letter is also read as each other vowel
#   (``DIGIT_READINGS``; each also kept as it is, so ``1ovem3king`` reads "lovemaking").
#   Up to three digits are read together; in a text with more, the digits of each word
#   are read alone and with the next word's, so that every ``f4ck`` of a long text is
#   read. The look-alike reading (4 as a) is normalisation's.
SEPARATOR_RE = re.compile(
    r"(?<=[^\W_])[.\-_'*\u2019\u2018\u2010\u2011\u2012\u2013\u2014\u00b7`\u00b4](?=[^\W_])"
)
_CONTRACTION_RE = re.compile(r"(?:s|t|d|m|ll|re|ve)(?![^\W_])", re.IGNORECASE)
# a digit next to a letter; the word around it is found by ``_word_around``
DIGIT_WORD_RE = re.compile(
    r"[^\W\d_][@$|!]?[0-9]|[0-9][@$|!]?[^\W\d_]"
)  # a digit beside a letter, or beside a leet symbol beside a letter (naej@4); the
# word around it is read for the digits that stand for letters (pous50: the 0)


def _word_around(text: str, at: int) -> tuple[int, int]:
    """The word (letters, digits and leet symbols) that holds ``text[at]``."""
    start = at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "@$|!"):
        start -= 1
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] in "@$|!"):
        end += 1
    return start, end


# What a digit may stand for besides its look-alike: any vowel for a vowel digit, the
# other look-alike for 6 and 9 (b or g).
DIGIT_READINGS = {
    "0": "aeiu",
    "1": "aeou",
    "3": "aiou",
    "4": "eiou",
    "6": "g",
    "9": "b",
    "2": "",
    "7": "",
    "8": "",
}
_MAX_SEPARATORS = 3
_MAX_DIGITS = 3  # read together; a text with more has each word read alone


def readings(
    text: str, relevant: Callable[[list[str]], bool] | None = None
) -> list[tuple[str, tuple[int, ...]]]:
    """Other readings of ``text`` (see above), each with the offsets it changed."""
    return [(_place(text, at, chars), at) for at, chars in reading_plans(text, relevant)]


def reading_plans(
    text: str,
    relevant: Callable[[list[str]], bool] | None = None,
    joined: Callable[[list[str]], bool] | None = None,
) -> list[tuple[tuple[int, ...], str]]:
    """The readings of ``text`` as what to write where: the offsets each one changes and
    the characters it puts there (a long text's readings are made a few words at a time,
    from these, by ``CompiledPolicy._terms``).

    ``relevant`` (given the forms of one whitespace-delimited token a reading rewrites)
    says whether a reading of that token can find anything: a reading is only made
    where it can (``CompiledPolicy._relevant``). A word it turns down keeps its digits as
    written and does not count towards the three digits read together (a handle's or a
    product code's digits do not stop ``f4ck`` from being read); nor do the separators
    of a token it turns down count towards the three read one at a time (a link's dots
    do not stop ``fi.st.fuck`` from being read). ``joined`` is ``relevant`` for the
    words of the terms of several words: in a text with more than three digits to read,
    two words are read changed together only where both pass it (``relevant`` alone when
    it is not given)."""
    out: list[tuple[tuple[int, ...], str]] = []
    if SEPARATOR_RE.search(text):
        changed = [
            m.start()
            for m in SEPARATOR_RE.finditer(text)
            if not _contraction(text, m.start(), m.group())
        ]
        wanted = []  # the separators of the tokens where dropping them can find something
        for token, a, at in _tokens_of(text, changed):
            if relevant is not None:
                chars = list(token)
                for p in at:
                    chars[p - a] = ""
                forms = ["".join(chars)]
                if 1 < len(at) <= _MAX_SEPARATORS:  # the readings of each alone
                    forms += [token[: p - a] + token[p - a + 1 :] for p in at]
                if not relevant(forms):
                    continue
            wanted.append(at)
        if wanted:
            out.append((tuple(changed), "\u200b" * len(changed)))
        # each alone, when a word has several (in a text with more than three, per word)
        alone = [c for at in wanted for c in at]
        if len(alone) > _MAX_SEPARATORS:
            alone = [c for at in wanted if 1 < len(at) <= _MAX_SEPARATORS for c in at]
        if len(alone) > 1:
            out += [((c,), "\u200b") for c in alone]
    if "@" in text or "!" in text:  # a symbol at a word's edge read as a letter
        for at, letter in _edge_symbols(text):
            a, b = _token_bounds(text, at)
            token = text[a:b]
            form = token[: at - a] + letter + token[at - a + 1 :]
            if relevant is None or relevant([form.rstrip("!")]):
                out.append(((at,), letter))
    groups = []  # the digits of each word, in order
    tokens = []  # and the whitespace-delimited token that holds it
    end = 0
    for m in DIGIT_WORD_RE.finditer(text):
        if m.start() < end:
            continue  # in the word already taken
        start, end = _word_around(text, m.start())
        word = text[start:end]
        letters, pins = _pins(word)
        if not letters or (
            pins < 3 and (len(word) < 2 or joined is None or not joined([_token_at(text, start)]))
        ):
            continue  # three letters pin a word down (5k1t); one, a word of a term of several (t0)
        if relevant is not None and not relevant([_token_at(text, start)]):
            continue  # no reading of it can find anything: its digits stay
        mine = [start + i for i, ch in enumerate(word) if ch in DIGIT_READINGS]
        if (
            word[0] == "@"
            and (start == 0 or text[start - 1].isspace())
            and (after := _LETTERS_AFTER_RE.match(text, start + 1)) is not None
            and not dictionary.is_word(after.group().casefold())
        ):
            mine.insert(0, start)  # @ssm4nch: the mention sign read as an a too
        if mine and len(mine) <= _MAX_DIGITS:  # none: only look-alikes (5h), which the
            # skeleton reads; more: a code (x4y5z6w7), not a word
            groups.append(mine)
            tokens.append(_token_at(text, start))
    if joined is not None and _LONE_DIGIT_RE.search(text):
        # A digit that is a word alone may be a word of one letter of a term of several
        # words ("menage 4 trois", "9-spot"), where such a word may take it in.
        lone = [
            m.start()
            for m in _LONE_DIGIT_RE.finditer(text)
            if _alone(text, m.start()) and joined([m.group()])
        ]
        if lone:
            pairs = sorted(
                [*zip(groups, tokens, strict=True), *(([at], _token_at(text, at)) for at in lone)]
            )
            groups = [group for group, _ in pairs]
            tokens = [token for _, token in pairs]
    spots = [at for group in groups for at in group]
    if len(spots) <= _MAX_DIGITS:  # all of them together
        if spots:
            out += [(tuple(spots), r) for r in _digit_readings(text, spots)]
        return out
    # each word alone, and, for a term of several words, each word changed with the next
    # word changed (the next word as written is the first word's reading alone)
    alone = {}
    for group in groups:
        alone[group[0]] = _digit_readings(text, group)
        out += [(tuple(group), r) for r in alone[group[0]]]
    joined = joined or relevant
    together = [joined is None or joined([token]) for token in tokens]
    for k, (a, b) in enumerate(itertools.pairwise(groups)):
        if not (together[k] and together[k + 1]) or len(a) + len(b) > _MAX_DIGITS:
            continue  # not both words of terms of several words, or too many digits
        if len(text[a[-1] : b[0]].split()) > 3:
            continue  # too far apart to be one term's
        out += [(tuple(a + b), x + y) for x in alone[a[0]] for y in alone[b[0]]]
    return out


_PINNING_DIGITS = frozenset("2578")


def _pins(word: str) -> tuple[int, int]:
    """A word's letters, and the places that pin it down: its letters, and its digits read
    as one letter only (2 5 7 8: z s t b). Three pin a word's other digits down as any
    vowel; fewer, only as a word of a term of several (``reading_plans``)."""
    letters = sum(not ch.isdigit() for ch in word)
    return letters, letters + sum(ch in _PINNING_DIGITS for ch in word)


def _loose_digits(piece: str, moved) -> bool:
    """Whether every place a reading changed is a digit in a word of fewer than two letters
    ("P30", a product code; "4" of "4.55", a price): such a word is read only as a word of
    a term of several ("h1w t3", "menage 4 trois"), so the reading finds only those
    ("P30" is not "pau", nor "4.55" "a55"; "the 9-spot" is still "g-spot")."""
    for at in moved:
        if not piece[at].isdigit():
            return False
        a, b = _word_around(piece, at)
        if _pins(piece[a:b])[0] >= 2:
            return False
    return True


def _digit_reading(reading: str, moved) -> bool:
    """Whether a reading (``readings``) put letters for digits (else it dropped
    separators: zero-width spaces where they stood)."""
    return reading[moved[0]] != "\u200b"


def _differ(a: str, b: str) -> tuple[int, int]:
    """The first and the last index where two different strings of one length differ
    (slices compared in C, halving: a reading's piece is read once, not char by char)."""
    n = len(a)
    lo, hi = 0, n  # a[:lo] == b[:lo] and a[:hi] != b[:hi]: at the end, a[lo] != b[lo]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    first = lo
    lo, hi = 0, n  # the same from the end: the last lo characters agree, the last hi not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[n - mid :] == b[n - mid :]:
            lo = mid
        else:
            hi = mid
    return first, n - 1 - lo


def _number_suffix(text: str, start: int, stop: int) -> bool:
    """Whether ``text[start:stop]`` is digits that end a word whose letters before them
    are an everyday word (a handle's or a name's number: idiot44, not h33ll; nor 5hi77,
    whose first digit is a letter too)."""
    if not text[start:stop].isdigit() or text[stop : stop + 1].isalnum():
        return False
    word = _letters_before(text, start)
    if not word or text[max(start - len(word) - 1, 0) : start - len(word)].isalnum():
        return False
    return dictionary.is_word(word.casefold())


def _mention_number(text: str, start: int, stop: int) -> bool:
    """Whether ``text[start:stop]`` ends in the number of a mention whose letters are an
    everyday word (@idiot0, @racist1, @idiot4, @chat_73): a handle, not a term with a digit
    for its last letters ("idiot0" alone and "@idi0ta" still are)."""
    if not text[stop - 1 : stop].isdigit():
        return False
    at = start if text[start] == "@" else start - 1
    if at < 0 or text[at] != "@" or (at and (text[at - 1].isalnum() or text[at - 1] == "@")):
        return False
    m = _MENTION_NUMBER_RE.match(text, at)
    return (
        m is not None
        and start <= m.start(2) < stop <= m.end()
        and dictionary.is_word(m.group(1).casefold())
    )


_MENTION_NUMBER_RE = re.compile(r"@([^\W\d_]+)[_.\-]?([0-9]+)(?![^\W_])")


def _name_ending(text: str, start: int, stop: int) -> bool:
    """Whether ``text[start:stop]`` is a letter written twice that ends a word, or a
    camel-case hashtag's last word, written as a name is (a capital, then small letters;
    a consonant that English names double at their end): a name's spelling (Twatt,
    Scott, Kidd, #VisitTwatt), not a stretched letter ("twatt", "TWATT", "Twattt" and
    "Fuckk" still are)."""
    if stop - start != 2 or text[stop - 1] not in _NAME_DOUBLES or text[stop : stop + 1].isalnum():
        return False
    letters = _letters_before(text, stop)
    word = letters[_last_capital(letters) :]
    if len(word) < 4 or not word[0].isupper() or not word[1:].islower():
        return False
    if len(word) < len(letters):  # a camel-case word: after a small letter
        return letters[-len(word) - 1].islower()
    return not text[max(stop - len(word) - 1, 0) : stop - len(word)].isalnum()


_NAME_DOUBLES = frozenset("bdfglmnprstz")  # (Robb, Kidd, Hoff, Legg, Hall, Grimm, Penn, ...)


def _last_capital(letters: str) -> int:
    for i in range(len(letters) - 1, -1, -1):
        if letters[i].isupper():
            return i
    return 0


def _shows(span: str, accents: str) -> bool:
    """Whether a span of text shows one of a term's accented letters."""
    if span.isascii():
        return False
    written = unicodedata.normalize("NFC", span.casefold())
    return any(ch in written for ch in accents)


def _token_bounds(text: str, at: int) -> tuple[int, int]:
    """Where the whitespace-delimited token that holds ``text[at]`` starts and ends (as
    ``str.split`` reads tokens: a newline ends one as a space does)."""
    a = text.rfind(" ", 0, at) + 1
    b = text.find(" ", at)
    if b < 0:
        b = len(text)
    if not text[a:b].isprintable():  # other whitespace (or invisible characters) in it
        for m in _GAP_RE.finditer(text, a, b):
            if m.start() < at:
                a = m.end()
            else:
                b = m.start()
                break
    return a, b


def _token_at(text: str, at: int) -> str:
    """The whitespace-delimited token that holds ``text[at]``."""
    a, b = _token_bounds(text, at)
    return text[a:b]


def _alone(text: str, at: int) -> bool:
    """Whether the digit at ``at`` is a word by itself as normalisation reads the text:
    what stands on either side reads as a gap ("Ⓐ6" is a letter and a digit)."""
    return all(
        nz.screen_text(ch) == nz.GAP for ch in (text[at - 1 : at], text[at + 1 : at + 2]) if ch
    )


def _digit_readings(text: str, spots: list[int]) -> list[str]:
    """What each reading puts at ``spots`` (not all of them as written)."""
    written = "".join(text[at] for at in spots)
    options = [
        text[at]
        + (
            _LONE_READINGS
            if _word_around(text, at) == (at, at + 1) and _alone(text, at)
            else _SPOT_READINGS
        )[text[at]]
        for at in spots
    ]
    return [r for r in map("".join, itertools.product(*options)) if r != written]


# a word's first "@" (a mention sign to normalisation) may stand for an a (@rsehole)
_SPOT_READINGS = {**DIGIT_READINGS, "@": "a"}
# A digit alone, a word of one letter: its look-alikes too, which normalisation reads only
# beside letters (9 as g, 4 as a; 1 as i or l).
_LONE_READINGS = {
    digit: "".join(
        dict.fromkeys(("il" if image == nz.MARK else image) + DIGIT_READINGS.get(digit, ""))
    )
    for digit, image in nz.DIGIT_IMAGES.items()
}
_LONE_REACH = 64  # characters on either side of a digit alone that the prescreen reads
# a digit with no letter, digit or leet symbol beside it
_LONE_DIGIT_RE = re.compile(r"[0-9](?<![^\W_][0-9])(?<![@$|!][0-9])(?![^\W_])(?![@$|!])")
# a leet symbol at a word's edge, which normalisation reads as a mention sign or as
# punctuation: "@" for a first letter (@rsehole), "!" for a last one (naz!); not beside
# an everyday word, whose mention or exclamation it is (@team, pip!)
_EDGE_SYMBOL_RE = re.compile(  # a leading "@" before a letter; a last "!" after a letter,
    # or after a digit after a letter (dumpp4!)
    r"(?<!\S)@(?=[^\W\d_])|(?<=[^\W\d_])!(?![^\W\d_])|(?<=[^\W\d_][0-9])!(?![^\W\d_])"
)


def _letters_before(text: str, at: int, most: int = 64) -> str:
    """The letters right before ``text[at]`` (at most ``most``: a word, not a text)."""
    start = at
    while start > 0 and at - start < most and text[start - 1].isalpha():
        start -= 1
    return text[start:at]


_LETTERS_AFTER_RE = re.compile(r"[^\W\d_]+")


def _edge_symbols(text: str):
    """The "@" and "!" at a word's edge that may stand for a letter: (offset, letter)."""
    for m in _EDGE_SYMBOL_RE.finditer(text):
        at = m.start()
        if m.group() == "@":
            word = _LETTERS_AFTER_RE.match(text, at + 1).group()
            letter = "a"
        else:
            word = _letters_before(text, at)
            letter = "i"
        if not dictionary.is_word(word.casefold()):
            yield at, letter


_TOKEN_RE = re.compile(r"\S+")
_GAP_RE = re.compile(r"\s")
_LEET_SYMBOL_RE = re.compile(r"[@!$|]")


def _stretch(tokens, starts, first: int, last: int, reach: int) -> tuple[int, int]:
    """The whole tokens from ``reach`` tokens before the one that holds ``first`` to
    ``reach`` tokens after the one that holds ``last``, widened while a short token is at
    either edge (single characters in a row are joined by normalisation): a reading's
    findings over the places it changed are the same there as in the whole text, and a
    long text's many readings each cost a few words, not the whole text."""
    i = max(0, bisect.bisect_right(starts, first) - 1 - reach)
    j = min(len(tokens) - 1, bisect.bisect_right(starts, last) - 1 + reach)
    while i > 0 and min(tokens[i][1] - tokens[i][0], tokens[i - 1][1] - tokens[i - 1][0]) <= 2:
        i -= 1
    while (
        j < len(tokens) - 1
        and min(tokens[j][1] - tokens[j][0], tokens[j + 1][1] - tokens[j + 1][0]) <= 2
    ):
        j += 1
    return (tokens[i][0], tokens[j][1]) if tokens else (0, 0)


def _seps(word: str) -> list[int]:
    return [m.start() for m in SEPARATOR_RE.finditer(word)]


def _tokens_of(text: str, spots: list[int]) -> list[tuple[str, int, tuple[int, ...]]]:
    """The whitespace-delimited tokens that hold ``spots`` (sorted): each token's text,
    its start and its spots."""
    out = []
    k = 0
    while k < len(spots):
        a, b = _token_bounds(text, spots[k])
        mine = []
        while k < len(spots) and spots[k] < b:
            mine.append(spots[k])
            k += 1
        out.append((text[a:b], a, tuple(mine)))
    return out


def _place(text: str, spots, chars: str) -> str:
    out = list(text)
    for at, ch in zip(spots, chars, strict=True):
        out[at] = ch
    return "".join(out)


def _contraction(text: str, at: int, sep: str) -> bool:
    """An apostrophe before a contraction's or possessive's ending (he'll, it's, Anna's,
    I'm, don't, you'd, we're, could've). "'m" stands after "I" only, "'t" after the
    negatives of English's auxiliary verbs, "'d", "'ll", "'re" and "'ve" after the
    words they shorten with (pronouns, there, that, who, the modal verbs: not ba'll)
    or a name, and "'s" after an everyday word but a function word (not as's), a name
    or a number (the 80's): elsewhere (bds'm, clitori's, barenake'd) the apostrophe is
    a separator in a word."""
    if sep not in _APOSTROPHES:
        return False
    m = _CONTRACTION_RE.match(text, at + 1)
    if m is None:
        return False
    ending = m.group().casefold()
    start = at
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    stem = text[start:at].casefold()
    if not stem and ending == "s" and text[at - 1 : at].isdigit():
        return True  # a number's (the 80's, 747's)
    if ending == "m":
        return stem == "i"
    if ending == "t":
        return stem in _NEGATIVE_STEMS
    if text[start : start + 1].isupper() or stem in _CONTRACTION_STEMS:
        return True  # a name's (Anna's, John'll), or a contraction (it's, we'd, they'll)
    # a word's possessive; not clitori's, as's
    return ending == "s" and dictionary.is_word(stem) and stem not in NO_POSSESSIVE


# the words that "'d", "'ll", "'re", "'ve" and "'s" shorten with (I'd, they'll, we're,
# could've, that's, let's; u and ya as written in posts)
_CONTRACTION_STEMS = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "that",
        "there",
        "here",
        "this",
        "these",
        "those",
        "who",
        "what",
        "where",
        "when",
        "why",
        "how",
        "everyone",
        "everybody",
        "someone",
        "somebody",
        "nobody",
        "one",
        "let",
        "could",
        "would",
        "should",
        "might",
        "must",
        "may",
        "will",
        "shall",
        "can",
        "u",
        "ya",
        "y",
    ]
)
# function words, which take no possessive "'s" (as's is a separator in a word)
NO_POSSESSIVE = frozenset(
    [
        "a",
        "an",
        "the",
        "as",
        "at",
        "in",
        "on",
        "of",
        "to",
        "by",
        "or",
        "and",
        "but",
        "if",
        "so",
        "for",
        "with",
        "from",
        "up",
        "off",
        "out",
        "into",
        "onto",
        "than",
        "then",
        "nor",
        "yet",
        "is",
        "was",
        "be",
        "am",
        "are",
        "were",
        "do",
        "did",
        "does",
        "has",
        "had",
        "have",
        "not",
        "no",
    ]
)

# the words before "'t" (don't, won't, ain't, y'all aside)
_NEGATIVE_STEMS = frozenset(
    [
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "hasn",
        "haven",
        "hadn",
        "won",
        "wouldn",
        "can",
        "couldn",
        "shan",
        "shouldn",
        "mustn",
        "needn",
        "mightn",
        "ain",
        "daren",
        "oughtn",
        "mayn",
    ]
)


def _letterish(ch: str) -> bool:
    return ch.isalnum() or ch in "@$!|"


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return (f.start, f.end, f.rule)


def _outermost(findings: list[Finding]) -> list[Finding]:
    """``findings`` (no two alike) without those inside a longer one of the same rule,
    in their order."""
    inside = set()
    reach: dict[str, int] = {}  # the furthest end so far, per rule
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if reach.get(f.rule, -1) >= f.end:
            inside.add((f.rule, f.start, f.end))
        else:
            reach[f.rule] = f.end
    if not inside:
        return findings
    return [f for f in findings if (f.rule, f.start, f.end) not in inside]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to run for one scope (channel, platform, category), grouped by rule kind so
    that ``lint`` does no per-rule dispatch."""

    terms: frozenset[int] | None  # slots of the term rules that apply
    needs_urls: bool
    brands: tuple[_Rule, ...] = ()
    required: tuple[_Rule, ...] = ()
    counts: tuple[tuple[_Rule, str, int], ...] = ()  # (rule, what, max)
    links: tuple[_Rule, ...] = ()
    needs_runs: bool = False  # the non-ASCII runs (brand and emoji rules)
    count_markers: tuple[bytes, ...] = ()  # for each of ``counts``, its items' marker
    count_limits: tuple[int, ...] = ()  # and its max


@dataclass(frozen=True, slots=True)
class _Brand:
    canonical: str  # without leading/trailing punctuation
    joined: str  # the same without spaces and hyphens, as in a hashtag
    pattern: re.Pattern  # every spelling
    ascii_pattern: re.Pattern  # the same for texts without non-ASCII letters
    head: re.Pattern | None  # a spelling's start at the end of a token
    tail: re.Pattern | None  # the rest of a spelling at the start of a token


# A post's summary (see ``summaries``) for the term automaton: markers dropped, the
# flags of repeated letters back to the letters; and with the flags kept, for
# checking a pattern's repeated letters at the same offsets.
_UNFLAGGED = bytes.maketrans(
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ" + nz.MARK_FLAG).encode(),
    ("abcdefghijklmnopqrstuvwxyz" + nz.MARK).encode(),
)
_MARKER_BYTES = sm.MARKERS.encode()


def _matched_size(summary: str) -> int:
    """How long a token's part is in the string the automaton reads (``_term_candidates``):
    markers and LONE words dropped."""
    if nz.LONE in summary:
        summary = summary.replace(nz.LONE + nz.GAP, "")
    return len(summary) - sum(summary.count(m) for m in sm.MARKERS)


_NOT_MARKER_BYTES = bytes(c for c in range(256) if chr(c) not in sm.MARKERS + nz.LONE)
_LONE = nz.LONE.encode()
_LONE_WORD = (nz.LONE + nz.GAP).encode()
_BRAND = sm.BRAND.encode()
_BRAND_HEAD = sm.BRAND_HEAD.encode()
_BAD_LINK = sm.BAD_LINK.encode()
_CHAIN = sm.CHAIN.encode()
_SINGLE_END = sm.SINGLE_END.encode()
_SINGLE_START = sm.SINGLE_START.encode()
_COUNT_MARKER = {
    "emoji": sm.EMOJI.encode(),
    "hashtags": sm.HASHTAG.encode(),
    "mentions": sm.MENTION.encode(),
    "links": sm.LINK.encode(),
}


def _handle(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip().casefold()
    value = value[1:] if value.startswith("@") else value
    return value or None


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class _Required:
    """required_terms: present when one of the terms is written, case-insensitively,
    as a whole word (a hashtag term as a whole hashtag)."""

    pattern: re.Pattern

    @classmethod
    def build(cls, terms: list[str]) -> _Required:
        parts = [r"\s+".join(re.escape(w) for w in term.split()) for term in terms]
        return cls(re.compile(f"(?:{'|'.join(parts)})(?!\\w)", re.IGNORECASE))

    def present(self, text: str) -> bool:
        for m in self.pattern.finditer(text):
            start = m.start()
            before = text[start - 1] if start else ""
            if before and (
                before.isalnum() or before in "_@" or (before == "#" and m.group()[0] == "#")
            ):
                continue
            return True
        return False


class _Masks:
    """The terms a self-censored word may stand for (``CompiledPolicy._masked_hits``): by
    length, with which of them have a character at a place (a masked word's candidates are
    the intersection for the characters it shows), and the numbers of words of the terms
    of several (``sizes``; a term of words joined by a hyphen or an apostrophe is one)."""

    __slots__ = ("by_length", "letters", "sizes")

    def __init__(self, terms: list[tuple[int, str]]):
        by_length: dict[int, list[tuple[int, str]]] = {}
        for slot, word in terms:
            by_length.setdefault(len(word), []).append((slot, word))
        self.by_length = {n: tuple(words) for n, words in by_length.items()}
        shown: dict[tuple[int, int, str], set[int]] = {}
        for n, words in self.by_length.items():
            for k, (_, word) in enumerate(words):
                for i, ch in enumerate(word):
                    shown.setdefault((n, i, ch), set()).add(k)
        self.letters = {key: frozenset(ks) for key, ks in shown.items()}
        self.sizes = sorted(
            {word.count(" ") + 1 for _, word in terms if not _MASKABLE_RE.fullmatch(word)}
        )

    def slots(self, token: str, words: int) -> list[int]:
        """The rules of the terms of ``words`` words that ``token`` (casefolded, with at
        least one star) may stand for."""
        if token.count("*") < 2 and token.endswith("*"):
            return []  # a footnote
        terms = self.by_length.get(len(token))
        if not terms:
            return []
        n = len(token)
        letters = self.letters
        shown = [letters.get((n, i, c), _NONE) for i, c in enumerate(token) if c != "*"]
        ks = frozenset.intersection(*shown) if shown else range(len(terms))
        return [terms[k][0] for k in ks if terms[k][1].count(" ") + 1 == words]

    def compounds(self, text: str):
        """(rule, span) of each run of ``sizes`` words of ``text`` that holds a star and
        stands for a term of several words or of words joined by a hyphen or apostrophe
        ("g-s*ot", "blow j*b", "vai-te f*der")."""
        tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
        for at, (a, b) in enumerate(tokens):
            if "*" not in text[a:b]:
                continue
            for size in self.sizes:
                for first in range(max(0, at - size + 1), min(at, len(tokens) - size) + 1):
                    lo, hi = tokens[first][0], tokens[first + size - 1][1]
                    lead = _MASK_LEAD_RE.search(text, lo, tokens[first][1])
                    if lead is None:
                        continue
                    lo = lead.start()
                    trail = _MASK_TRAIL_RE.search(text[lo:hi])
                    if trail is not None:
                        hi = lo + trail.start()
                    words = text[lo:hi].translate(_JOINERS).casefold().split()
                    if len(words) != size or "*" not in text[lo:hi]:
                        continue
                    if size == 1 and _MASKED_TOKEN_RE.fullmatch(words[0]):
                        continue  # a word of letters alone: ``_masked_hits`` reads it
                    if not all(_MASK_PART_RE.fullmatch(word) for word in words):
                        continue
                    for slot in self.slots(" ".join(words), size):
                        yield slot, (lo, hi)


class CompiledPolicy:
    """A policy ready to lint with. Its rules cannot change; ``lint`` is safe to call from
    many threads. Inside, it learns the tokens it lints (``summaries.TokenSummaries``, a
    bounded table), which changes how fast it answers, never what."""

    __slots__ = (
        "_automaton",
        "_batch_keys",
        "_edged_keys",
        "_folded",
        "_folded_joined",
        "_frozen",
        "_lone_pairs",
        "_masked",
        "_non_ascii",
        "_numbers_blank",
        "_pairs",
        "_partners",
        "_reach",
        "_rules",
        "_scope_cache",
        "_screen_keys",
        "_screener",
        "_summaries",
        "rules",
    )

    def __init__(self, rules: list[dict]):
        rules = validate_rules(rules)
        compiled: list[_Rule] = []
        terms = TermAutomaton()
        masked: list[tuple[int, str]] = []
        for rule in rules:
            if not rule["enabled"]:
                continue
            kind = rule["kind"]
            data: Any = None
            slot = len(compiled)
            if kind in TERM_KINDS:
                for term in rule["terms"]:
                    terms.add(slot, term, phonetic=kind == "banned_terms")
                    word = term.strip().casefold()
                    if _MASKABLE_RE.fullmatch(word) or (
                        _COMPOUND_MASKABLE_RE.fullmatch(word) and len(word) >= 3
                    ):
                        masked.append((slot, word))
            elif kind == "brand_spelling":
                core = brand_mod.core(rule["canonical"])
                data = _Brand(
                    canonical=core,
                    joined=re.sub(r"[\s\-\u2010-\u2015_.]", "", core),
                    pattern=brand_mod.brand_pattern(core),
                    ascii_pattern=brand_mod.brand_pattern(core, alikes=False),
                    head=brand_mod.head_pattern(core),
                    tail=brand_mod.tail_pattern(core),
                )
            elif kind == "required_terms":
                data = _Required.build(rule["any_of"])
            elif kind == "max_count":
                data = (rule["what"], rule["max"])
            elif kind == "link_domains":
                data = tuple(entities.normalise_host(h) for h in rule["allow"])
            channels = rule.get("channels")
            categories = rule.get("categories")
            compiled.append(
                _Rule(
                    slot=slot,
                    id=rule["id"],
                    kind=kind,
                    severity=rule["severity"],
                    message=rule["message"],
                    channels=frozenset(_handle(c) for c in channels) if channels else None,
                    categories=frozenset(c.casefold() for c in categories) if categories else None,
                    data=data,
                )
            )
        self._rules = tuple(compiled)
        self._screen_keys = frozenset(terms.screen)
        # the batch prescreen counts these patterns; the other ones only in words read apart
        self._batch_keys = frozenset(terms.solo)
        self._edged_keys = frozenset(terms.edged)
        self._pairs = _pair_automaton(terms.pairs, terms.edged_pairs)
        # whether a pair has a word of one letter, which a digit alone may stand for
        self._lone_pairs = any(
            len(word) == 1 for pair in terms.pairs for word in pair.strip(nz.GAP).split(nz.GAP)
        )
        self._screener = []  # the prescreen's automaton, built on first use (lint_many)
        # The folded readings (``normalize.fold``) of the prescreen's patterns, for the
        # words the prescreen reads apart, and of every word of every spelling, for the
        # words a reading would rewrite (``readings``).
        # (One automaton: a key's value says whether it is a prescreen pattern's.)
        self._folded = _folded_automaton(terms.screen, terms.words)
        self._folded_joined = _folded_automaton((), terms.joined_words)
        self._partners = MappingProxyType(
            {key: tuple({nz.fold(w) for w in words}) for key, words in terms.partners.items()}
        )
        self._non_ascii = any(not k.isascii() for k in terms.words)
        self._numbers_blank = not terms.digit_words
        self._automaton = terms.build()
        # The fast path needs every pattern's "#" to come first (see token_skeleton).
        self._summaries = (
            None if terms.interior_hash else sm.TokenSummaries(self._summarize, _matched_size)
        )
        self._masked = _Masks(masked) if masked else None
        # how many tokens either side of a reading's change can belong to a finding over
        # it: each word of the longest term, with a token of junk between any two
        self._reach = 2 * max(
            (len(t.split()) for r in rules if r["kind"] in TERM_KINDS for t in r["terms"]),
            default=1,
        )
        self._scope_cache: dict[tuple, _Plan] = {}
        self.rules = _freeze([dict(r) for r in rules])
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError("a CompiledPolicy cannot be changed; compile a new one")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"<CompiledPolicy: {len(self.rules)} rules, {len(self._rules)} enabled>"

    # --- scope ----------------------------------------------------------------------------

    def _plan(self, channel, platform, category) -> _Plan:
        key = (channel, platform, category)
        plan = self._scope_cache.get(key)
        if plan is None:
            scope = (_handle(channel), _handle(platform), category.casefold() if category else None)
            active = [rule for rule in self._rules if rule.applies(*scope)]
            terms = frozenset(r.slot for r in active if r.kind in TERM_KINDS)
            plan = _Plan(
                terms=terms if terms and self._automaton is not None else None,
                needs_urls=any(
                    r.kind in ("brand_spelling", "link_domains")
                    or (r.kind == "max_count" and r.data[0] != "emoji")
                    for r in active
                ),
                brands=tuple(r for r in active if r.kind == "brand_spelling"),
                required=tuple(r for r in active if r.kind == "required_terms"),
                counts=tuple((r, *r.data) for r in active if r.kind == "max_count"),
                count_markers=tuple(
                    _COUNT_MARKER[r.data[0]] for r in active if r.kind == "max_count"
                ),
                count_limits=tuple(r.data[1] for r in active if r.kind == "max_count"),
                links=tuple(r for r in active if r.kind == "link_domains"),
                needs_runs=any(
                    r.kind == "brand_spelling" or (r.kind == "max_count" and r.data[0] == "emoji")
                    for r in active
                ),
            )
            if len(self._scope_cache) >= _SCOPE_CACHE_LIMIT:
                self._scope_cache.clear()
            self._scope_cache[key] = plan
        return plan

    # --- lint -----------------------------------------------------------------------------

    def lint(
        self,
        text: str,
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
        fast: bool = True,
    ) -> LintResult:
        """Check ``text``; ``channel`` (a handle), ``platform`` and ``category`` select
        the scoped rules that apply. Any string is accepted. ``fast=False`` leaves out
        the token summaries (``summaries.py``): the same result, for comparisons."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        plan = self._scope_cache.get((channel, platform, category)) or self._plan(
            channel, platform, category
        )
        summaries = self._summaries
        if summaries is None or not fast:
            return self._lint_exact(text, plan)
        tokens = text.split()
        try:  # summaries.summary(text), inline: this is the hot path
            summary = " " + "".join(map(summaries.get, tokens))
        except TypeError:  # a token it has not seen
            summary = summaries.learn(tokens)
            if summary is None:
                return self._lint_exact(text, plan)
        try:
            encoded = summary.encode("ascii")
        except UnicodeEncodeError:  # letters of other scripts: the term patterns' own
            return self._lint_exact(text, plan)
        marks = encoded.translate(None, _NOT_MARKER_BYTES)  # the markers alone, and LONE
        findings: list[Finding] = []
        terms = plan.terms
        if (
            terms is not None
            and not (self._masked and "*" in text)
            and not self._reading_may_match(text)
        ):
            where = self._term_candidates(summary, encoded, marks, terms)
            if where is not None:  # else single characters may join: the whole text
                terms = None
                if where:
                    findings = self._terms_around(text, tokens, plan.terms, where)
        brands = (
            plan.brands
            if _BRAND in marks or (_BRAND_HEAD in marks and sm.SPLIT_BRAND in summary)
            else ()
        )
        counts = ()
        if plan.counts and any(map(gt, map(marks.count, plan.count_markers), plan.count_limits)):
            counts = tuple(
                count
                for count, marker in zip(plan.counts, plan.count_markers, strict=True)
                if marks.count(marker) > count[2]
            )
        links = plan.links if _BAD_LINK in marks else ()
        for rule in plan.required:
            if not rule.data.present(text):
                findings.append(self._finding(rule, text, 0, 0))
        if terms is None and not brands and not counts and not links:
            if len(findings) > 1:
                findings.sort(key=_sort_key)
            return LintResult(findings)
        exact = self._lint_exact(
            text,
            _Plan(
                terms=terms,
                needs_urls=bool(brands or links or any(c[1] != "emoji" for c in counts)),
                brands=brands,
                counts=counts,
                links=links,
                needs_runs=bool(brands or any(c[1] == "emoji" for c in counts)),
            ),
        )
        if not findings:
            return exact
        findings += exact.findings
        findings.sort(key=_sort_key)
        return LintResult(findings)

    def prepare(self) -> None:
        """Build now what ``lint_many`` builds on first use (the prescreen's automata, the
        dictionary): a command about to lint a stream, or to fork processes that would
        each build them, calls this first."""
        self._screen_automata()
        dictionary.words()

    def lint_many(
        self,
        texts: list[str],
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
    ) -> list[LintResult]:
        """``[self.lint(text, channel, platform, category) for text in texts]``, the same
        results, for many texts at once (``policy_lint --jsonl``).

        The term rules go through a prescreen: the texts are joined and read once with
        one translate table (``normalize.screen_text``) and one Aho-Corasick pass over a
        pattern per spelling (its longest word, as a whole word), plus the places where
        that context-free reading can differ from the skeleton (letters written several times,
        single characters in a row, camel-case hashtags, stars, separators inside words,
        digits next to letters). Only a text with a hit there is linted the exact way;
        the prescreen can let through a text with nothing to find, never drop one with
        something. The other rule kinds run on every text, as in ``lint``."""
        return filled(self.lint_batch(texts, channel, platform, category))

    def lint_batch(
        self,
        texts: list[str],
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
    ) -> list[LintResult | None]:
        """``lint_many``, with None for a text with no findings (a stream of mostly clean
        texts answers those with one constant line, no result built)."""
        plan = self._scope_cache.get((channel, platform, category)) or self._plan(
            channel, platform, category
        )
        other = _Plan(
            terms=None,
            needs_urls=plan.needs_urls,
            brands=plan.brands,
            required=plan.required,
            counts=plan.counts,
            links=plan.links,
            needs_runs=plan.needs_runs,
        )
        has_other = bool(plan.brands or plan.required or plan.counts or plan.links)
        results: list[LintResult | None] = []
        for lo in range(0, len(texts), _BATCH):
            chunk = texts[lo : lo + _BATCH]
            hits = self._screen(chunk) if plan.terms is not None else set()
            if not has_other:
                found = [None] * len(chunk)
                for i in hits:
                    result = self._lint_exact(chunk[i], plan)
                    if result.findings:
                        found[i] = result
                results += found
                continue
            for i, text in enumerate(chunk):
                result = self._lint_exact(text, plan if i in hits else other)
                results.append(result if result.findings else None)
        return results

    def _screen(self, texts: list[str]) -> set[int]:
        """Indexes of the texts that may hold a term (see ``lint_many``)."""
        automaton, collapsed_keys = self._screen_automata()
        end = nz.SCREEN_END
        joined = f" {end} ".join(texts)
        if joined.count(end) != len(texts) - 1:  # a text holds the separator itself
            return set(range(len(texts)))
        # (Gaps are not squeezed: every pattern is one word between gaps, and the pairs
        # of words below are read with runs collapsed.)
        screened = self._screen_read(f" {joined} ")
        # where each text ends in the screened string
        ends = [m.start() for m in re.finditer(end, screened)]
        batch_screened = screened
        found = set()
        maybe = set()  # the pattern word of a spelling of several words
        hits, doubled = automaton.split(screened)  # doubled: where a letter is written twice
        for e, batch in hits:
            (found if batch else maybe).add(bisect.bisect_left(ends, e))
        # A letter written twice stands for one where no everyday word has it doubled
        # ("fuuck", "sshhiitt"; not "good"): the words with a doubled letter, collapsed,
        # against the collapsed patterns.
        runs: list[int] = []
        for at, batch in _doubled_hits(collapsed_keys, screened, doubled, runs):
            (found if batch else maybe).add(bisect.bisect_left(ends, at))
        maybe -= found
        if maybe:
            # Such a text counts when two words of the spelling stand in a row (runs of a
            # letter collapsed on both sides), or when anything read apart below may
            # change its words: then as before, by the one word.
            order = sorted(maybe)
            bounds = [0, *(e + 1 for e in ends), len(screened)]  # text k: k to k + 1
            pieces = [screened[bounds[k] : bounds[k + 1]] for k in order]
            collapsed = _RUNS_RE.sub("", " ".join(pieces) + f" {end}")
            pair_ends = [m.start() for m in re.finditer(end, collapsed)]
            hits = {order[bisect.bisect_left(pair_ends, e)] for e, _ in self._pairs.iter(collapsed)}
            found |= hits
            maybe -= hits
        for m in _SINGLES_RE.finditer(screened):
            found.add(bisect.bisect_left(ends, m.start()))
        if runs:  # a word of one letter written twice (a ss): with a single beside it?
            bounds = [0, *(e + 1 for e in ends), len(screened)]
            for k in {bisect.bisect_left(ends, a) for a in runs} - found:
                if _RUN_SINGLES_RE.search(screened, bounds[k], bounds[k + 1]):
                    found.add(k)
        if nz.UNMAPPED in screened and self._non_ascii_terms():
            for m in re.finditer(nz.UNMAPPED, screened):
                found.add(bisect.bisect_left(ends, m.start()))
        # the rest is read in the original texts: camel-case hashtags split, separators
        # inside words dropped, stars, digits next to letters
        starts = list(itertools.accumulate((len(t) + 3 for t in texts), initial=0))
        side: list[tuple[int, str]] = []
        if "#" in joined:
            tags = [
                (m.start(), m.group())
                for m in _CAMEL_TAG_RE.finditer(joined)
                if not m.group().islower() and not m.group().isupper()
            ]
            if tags:  # split at their camel-case boundaries in one pass
                split = nz.camel_split(end.join(tag for _, tag in tags)).split(end)
                side += [(at, tag) for (at, _), tag in zip(tags, split, strict=True)]
        if self._masked and "*" in joined:
            for m in re.finditer(r"\*", joined):
                found.add(bisect.bisect_right(starts, m.start()) - 1)
        if self._lone_pairs and _LONE_DIGIT_RE.search(joined):
            found |= self._lone_digit_hits(texts, joined, starts, found)
        classes = nz.char_classes(f" {joined} ")  # one more character in front
        # (Each pattern over the classes starts with a rare character: a scan for a
        # literal that starts with a letter stops at every letter.)
        if "@" in joined:  # "@" after a letter
            for m in _AT_SIGN_RE.finditer(classes, 1):
                if classes[m.start() - 1] == "a":
                    found.add(bisect.bisect_right(starts, max(m.start() - 2, 0)) - 1)
        if "!" in joined:  # "!" inside a word, or starting one (before a letter)
            for m in _BANG_HINT_RE.finditer(classes):
                first = m.start()  # the run of "!" that ends here
                while classes[first - 1] == "!":
                    first -= 1
                before = classes[first - 1]
                if before == "a" or (before == " " and classes[m.end() - 1] == "a"):
                    found.add(bisect.bisect_right(starts, max(first - 1, 0)) - 1)
            if "!|" in joined or "!$" in joined:  # and before a "|" or "$" (uroph!||ia)
                for m in _BANG_LEET_RE.finditer(joined):
                    found.add(bisect.bisect_right(starts, m.start()) - 1)
        # A token with a digit next to a letter: its digits may stand for any vowel, or
        # make a run with a letter. Its folded reading against the patterns' (one pass
        # for the batch) says whether any of that can find something.
        folded: list[tuple[int, str]] = []
        last = -1
        # "a0" found as "0a" in the classes reversed
        backwards = len(classes) - 2
        digits = sorted(
            [backwards - m.start() for m in _DIGIT_HINT_RE.finditer(classes[::-1])]
            + [m.start() for m in _DIGIT_HINT_RE.finditer(classes, 1)]
        )
        symbols = _symbol_digits(joined)  # naej@4
        if symbols:
            digits = sorted(digits + [at + 1 for at in symbols])
        for at in digits:
            at -= 1
            if at < last:
                continue  # in the token already taken
            a = joined.rfind(" ", 0, at) + 1
            last = joined.find(" ", at)
            last = len(joined) if last < 0 else last
            folded.append((a, joined[a:last]))
        # A word with a separator inside, between the nearest characters on either side
        # that the prescreen reads as a gap whatever is around them (not the whole
        # token: the words of a link beside its host's are read as they are already).
        last = -1
        taken: list[tuple[int, str]] = []
        backwards = None
        size = len(joined)
        for m in _CLASS_SEPARATOR_RE.finditer(classes, 2):
            dot = m.start()  # (in joined: dot - 1)
            if classes[dot - 1] not in "a0":
                continue  # not after a letter or a digit
            if dot - 2 < last:
                continue  # in the word already taken
            if backwards is None:
                backwards = joined[::-1]
            gap = _WORD_GAP_RE.search(backwards, size - (dot - 2))
            a = size - gap.start() if gap else 0
            gap = _WORD_GAP_RE.search(joined, m.end() - 1)
            last = gap.start() if gap else size
            taken.append((a, joined[a:last]))
        if taken:  # the separators dropped, in one pass for all the words
            words = f" {end} ".join(word for _, word in taken)
            dropped = SEPARATOR_RE.sub("", words).split(f" {end} ")
            if len(dropped) != len(taken):  # a word holds the separator itself
                dropped = [SEPARATOR_RE.sub("", word) for _, word in taken]
            for (a, word), joined_word in zip(taken, dropped, strict=True):
                read = [joined_word]
                if 1 < len(word) - len(joined_word) <= _MAX_SEPARATORS:  # and each alone
                    read += [word[:k] + word[k + 1 :] for k in _seps(word)]
                side += [(a, form) for form in read]
                if _DIGIT_RE.search(joined_word):  # sh'1t, f.4ck: its digits read too
                    folded += [(a, form) for form in read]
        for at in _folded_hits(self._folded, folded, self._non_ascii, keys=True):
            found.add(bisect.bisect_right(starts, at) - 1)
        if side:
            text = " " + f" {end} ".join(s for _, s in side) + " "
            screened = self._screen_read(text)
            side_ends = [m.start() for m in re.finditer(end, screened)]
            hits, side_doubled = automaton.split(screened)
            hit_ends = [e for e, _ in hits]
            hit_ends += [at for at, _ in _doubled_hits(collapsed_keys, screened, side_doubled)]
            for e in hit_ends:
                at = side[bisect.bisect_left(side_ends, e)][0]
                found.add(bisect.bisect_right(starts, at) - 1)
        maybe -= found
        maybe.discard(len(texts))
        if maybe:
            # Such a text counts when a word of it read apart may become a word of a
            # spelling of several words (its folded reading holds one, as
            # ``_relevant_joined`` asks), or when it has a "$" or "|" (a word of them
            # alone is dropped, and the words on either side meet).
            tokens: list[tuple[int, str]] = []
            for at, word in itertools.chain(side, folded):
                k = bisect.bisect_right(starts, at) - 1
                if k in maybe:
                    tokens.append((k, word))
            for k in maybe:
                text = texts[k]
                if "$" in text or "|" in text:
                    found.add(k)
                    continue
                base = starts[k] + 1
                for m in _LOOSE_RE.finditer(classes, base, base + len(text)):  # x.y inside a word
                    at = m.start()  # in joined, the character after the first
                    a = joined.rfind(" ", 0, at) + 1
                    b = joined.find(" ", at)
                    token = joined[a : len(joined) if b < 0 else b]
                    tokens += [(k, token), (k, SEPARATOR_RE.sub("", token))]
            if tokens:
                found |= self._partner_hits(batch_screened, ends, tokens)
        found.discard(len(texts))
        return found

    def _lone_digit_hits(self, texts, joined: str, starts, found: set[int]) -> set[int]:
        """Of the texts not ``found``, those where a digit alone, read as a word of one
        letter (a vowel digit as any vowel, 6 or 9 as b or g: ``DIGIT_READINGS``; the
        screen reads its look-alike), makes a pair of words of a spelling of several
        ("menage 3 trois", "tongue in 3"): the words around it so read, against the
        pairs."""
        pieces: list[str] = []
        owners: list[int] = []
        for m in _LONE_DIGIT_RE.finditer(joined):
            at = m.start()
            k = bisect.bisect_right(starts, at) - 1
            others = DIGIT_READINGS.get(m.group())
            if not others or k in found:
                continue
            lo = max(starts[k], at - _LONE_REACH)
            hi = min(starts[k] + len(texts[k]), at + _LONE_REACH)
            before, after = joined[lo:at], joined[at + 1 : hi]
            for letter in others:
                pieces.append(f"{before} {letter} {after}")
                owners.append(k)
        if not pieces:
            return set()
        end = nz.SCREEN_END
        text = f" {end} ".join(pieces)
        if text.count(end) != len(pieces) - 1:  # a text holds the separator itself
            return set(owners)
        collapsed = _RUNS_RE.sub("", self._screen_read(f" {text} "))
        bounds = [m.start() for m in _END_RE.finditer(collapsed)]
        return {owners[bisect.bisect_left(bounds, e)] for e, _ in self._pairs.iter(collapsed)}

    def _partner_hits(self, screened: str, ends: list[int], tokens) -> set[int]:
        """Of the texts (``tokens``: text, word read apart) where a spelling of several
        words has only its pattern word, those where a word read apart may become
        another word of that spelling: its folded reading holds one (``fold``, as
        ``_relevant_joined`` reads words). A text whose pattern words are not found
        again here (a doubled letter found them) is asked the wider question: may the
        word become a word of any spelling of several words."""
        automaton = self._screener[0]
        bounds = [0, *(e + 1 for e in ends), len(screened)]
        by_text: dict[int, list[str]] = {}
        for k, token in tokens:
            by_text.setdefault(k, []).append(token)
        found = set()
        wide = []
        for k, words in by_text.items():
            partners = {
                p
                for key in automaton.keys(screened[bounds[k] : bounds[k + 1]])
                for p in self._partners.get(key, ())
            }
            if not partners:
                wide += [(k, word) for word in words]
                continue
            for word in words:
                folded = [nz.fold(nz.screen_text(f" {form} ")) for form in _fold_forms(word)]
                if any(p in f for f in folded for p in partners) or (
                    self._non_ascii and any(nz.UNMAPPED in f for f in folded)
                ):
                    found.add(k)
                    break
        if wide:
            found |= (
                {k for k, _ in wide}
                if self._folded_joined is None
                else _folded_hits(self._folded_joined, wide, self._non_ascii)
            )
        return found

    def _screen_automata(self) -> tuple[_Patterns, ahocorasick.Automaton]:
        """The prescreen's automaton and that of its patterns with runs collapsed, built
        on first use."""
        if not self._screener:
            patterns = _word_patterns(self._screen_keys, self._batch_keys, self._edged_keys)
            self._screener.append(_screen_automaton(patterns))
            self._screener.append(_collapsed_automaton(patterns))
            # the longest pattern: how far before its end a hit may start
            self._screener.append(max(map(len, self._screen_keys), default=1))
        return self._screener[0], self._screener[1]

    def _screen_read(self, padded: str) -> str:
        """``normalize.screen_text``, with each word of two digits or more alone (an id in
        a link, a price) read as no letters when no pattern is a number: the skeleton
        leaves such a word as digits. (Two characters, not a gap: whether single
        characters stand in a row is kept.)"""
        if self._numbers_blank and nz.NUMBER not in padded:
            padded = _NUMBER_RE.sub(nz.NUMBER * 2, padded)
        return nz.screen_text(padded)

    def _may_match(
        self, reading: str, changed, original: str | None = None, joined: bool = True
    ) -> bool:
        """Whether the prescreen finds something in the words of ``reading`` that it
        changed (a reading costs a whole lint; most find nothing). Given the ``original``
        the reading changed, a pattern of a one-word spelling counts only where the
        original has none (one the original has, its own lint finds); ``joined``: whether
        the changed words may be words of a spelling of several words (else the pattern
        words of those spellings do not count)."""
        automaton, collapsed_keys = self._screen_automata()
        a = max(0, min(changed) - 60)
        b = max(changed) + 60
        piece = " ".join(reading[a:b].split())
        if self._masked and "*" in piece:
            return True
        words = _token_at(reading, min(changed)) + _token_at(reading, max(changed))
        if _LEET_SYMBOL_RE.search(piece if joined else words):
            # read as gaps by the prescreen (b@st1rd; with a word of several read apart,
            # in any word around: alabam@ hot p4cket)
            return True
        screened = nz.screen_text(f" {piece} ")
        if _RUN_SINGLES_RE.search(screened):
            return True
        # Where the reading's screen differs from the original's (same length: the same
        # places): a one-word pattern that ends before that or starts after it was in the
        # original too, and its own lint finds it.
        first, last = 0, len(screened)
        if original is not None:
            plain = nz.screen_text(f" {' '.join(original[a:b].split())} ")
            if len(plain) == len(screened) and plain != screened:
                # (read alike: no narrowing, the skeleton may still differ)
                first, last = _differ(plain, screened)
                last += self._screener[2] - 1
        doubled = []
        for e, batch in automaton.iter(screened):
            if batch is _DOUBLE:
                doubled.append(e)
            elif batch is True:  # a one-word spelling's pattern
                if first <= e <= last:
                    return True
            elif joined:  # the pattern word of a spelling of several words
                return True
        return next(_doubled_hits(collapsed_keys, screened, doubled), None) is not None

    def _reading_may_match(self, text: str) -> bool:
        """Whether a reading of ``text`` (see ``readings``) may find a term."""
        if not (
            SEPARATOR_RE.search(text)
            or DIGIT_WORD_RE.search(text)
            or (("@" in text or "!" in text) and next(_edge_symbols(text), None))
            or (self._folded_joined is not None and _LONE_DIGIT_RE.search(text))
        ):
            return False
        return next(self._readings(text, lazy=True), None) is not None

    def _readings(self, text: str, lazy: bool = False):
        """The readings of ``text`` the prescreen says may find a term, each as the
        stretch of whole tokens around what it changed (``_stretch``), read: (the
        stretch, the offsets changed in ``text``, where the stretch starts)."""
        joined = self._relevant_joined if self._folded_joined else None
        found = self._readings_of(text, reading_plans(text, self._relevant, joined))
        return found if lazy else list(found)

    def _readings_of(self, text: str, plans):
        if not plans:
            return
        tokens = [m.span() for m in _TOKEN_RE.finditer(text)]
        starts = [a for a, _ in tokens]
        joined: dict[str, bool] = {}  # per token: may it hold a word of a term of several
        for changed, chars in plans:
            if _GAP_RE.search(text, changed[0], changed[-1]):
                several = True  # words read together
            else:
                a, b = _token_bounds(text, changed[0])
                token = text[a:b]
                if "\u200b" in chars:  # separators dropped: the token as this reading reads it
                    token = _place(token, [at - a for at in changed], chars).replace("\u200b", "")
                # (a digit's reading folds as the digit does: the token as written)
                if token not in joined:
                    joined[token] = self._folded_joined is not None and self._relevant_joined(
                        [token]
                    )
                several = joined[token]
            # a reading of a token that no spelling of several words can take in: the
            # token alone (and the short tokens beside it) holds its findings
            reach = self._reach if several else 0
            lo, hi = _stretch(tokens, starts, min(changed), max(changed), reach)
            moved = [at - lo for at in changed]
            original = text[lo:hi]
            piece = _place(original, moved, chars)
            if self._may_match(piece, moved, original, several):
                yield piece, changed, lo

    def _relevant(self, forms: list[str]) -> bool:
        """Whether a reading of a token (given as ``forms``) can find a term: whether the
        folded reading of a form holds the folded reading of a word of a spelling."""
        return bool(_folded_hits(self._folded, [(0, f) for f in forms], self._non_ascii))

    def _relevant_joined(self, forms: list[str]) -> bool:
        """``_relevant`` for the words of the spellings of several words only."""
        return bool(_folded_hits(self._folded_joined, [(0, f) for f in forms], self._non_ascii))

    def _non_ascii_terms(self) -> bool:
        return any(not key.isascii() for key in self._screen_keys)

    def _lint_exact(self, text: str, plan: _Plan) -> LintResult:
        """Every rule of ``plan`` on the whole text, without the summaries."""
        urls = entities.find_urls(text) if plan.needs_urls else []
        findings = self._terms(text, plan.terms) if plan.terms else []
        # The non-ASCII runs, found once for the brand and emoji rules.
        runs = nz.non_ascii_runs(text) if plan.needs_runs and not text.isascii() else None
        for rule in plan.brands:
            found = self._brand(rule, text, urls, runs)
            if found:
                findings += found
        for rule in plan.required:
            if not rule.data.present(text):
                findings.append(self._finding(rule, text, 0, 0))
        if plan.counts:
            items: dict[str, list[tuple[int, int]]] = {"links": urls}
            for rule, what, limit in plan.counts:
                found = items.get(what)
                if found is None:
                    if what == "hashtags":
                        found = entities.find_hashtags(text, urls)
                    elif what == "mentions":
                        found = entities.find_mentions(text, urls)
                    else:
                        found = entities.find_emoji(text, runs or [])
                    items[what] = found
                if len(found) > limit:
                    findings += [self._finding(rule, text, a, b) for a, b in found[limit:]]
        if plan.links and urls:
            hosts = [entities.url_host(text[a:b]) for a, b in urls]
            for rule in plan.links:
                allowed = rule.data
                for (a, b), host in zip(urls, hosts, strict=True):
                    if not entities.host_allowed(host, allowed):
                        findings.append(self._finding(rule, text, a, b))
        if len(findings) > 1:
            findings.sort(key=_sort_key)
        return LintResult(findings)

    @staticmethod
    def _finding(rule: _Rule, text: str, start: int, end: int) -> Finding:
        return Finding(
            rule=rule.id,
            severity=rule.severity,
            start=start,
            end=end,
            match=text[start:end],
            message=rule.message,
            kind=rule.kind,
        )

    # --- fast path -------------------------------------------------------------------------

    def _summarize(self, token: str) -> str:
        """The summary of one token: a marker per entity in it, then its skeleton."""
        urls = entities.find_urls(token)
        marks = []
        if urls:
            links = [r.data for r in self._rules if r.kind == "link_domains"]
            for a, b in urls:
                host = entities.url_host(token[a:b])
                marks.append(sm.LINK)
                if any(not entities.host_allowed(host, allowed) for allowed in links):
                    marks.append(sm.BAD_LINK)
        marks += sm.HASHTAG * len(entities.find_hashtags(token, urls))
        marks += sm.MENTION * len(entities.find_mentions(token, urls))
        runs = None
        if not token.isascii():
            runs = nz.non_ascii_runs(token)
            marks += sm.EMOJI * len(entities.find_emoji(token, runs))
        head = tail = ""
        for rule in self._rules:
            if rule.kind == "brand_spelling":
                brand: _Brand = rule.data
                if self._brand(rule, token, urls, runs):
                    marks.append(sm.BRAND)
                if brand.head is not None and brand.head.search(token):
                    head = sm.BRAND_HEAD
                if brand.tail is not None and brand.tail.match(token):
                    tail = sm.BRAND_TAIL
        skeleton = nz.token_skeleton(token)
        if not skeleton:
            return tail + "".join(marks) + head
        words = skeleton.split(nz.GAP)
        if nz.CHAIN_PAIR_RE.search(f" {skeleton} "):
            marks.append(sm.CHAIN)
        first = sm.SINGLE_START if nz.is_single(words[0]) else ""
        last = sm.SINGLE_END if nz.is_single(words[-1]) else ""
        return f"{tail}{first}{''.join(marks)}{skeleton}{nz.GAP}{last}{head}"

    def _term_candidates(
        self, summary: str, encoded: bytes, marks: bytes, active: frozenset[int]
    ) -> list | None:
        """Where a term rule could match, as (first, last) offsets of the summary's
        matched form (``_matched_size``): [] means ``_terms`` would find nothing. None
        when single characters that normalisation step 5 may join are about: then only
        the whole text can tell. ``encoded``: the summary in ASCII; ``marks``: its
        markers alone."""
        if _CHAIN in marks:
            return None
        end = marks.find(_SINGLE_END)
        # Two single characters in a row need an end marker and then a start marker.
        if end >= 0 and marks.find(_SINGLE_START, end) >= 0 and sm.SINGLES_RE.search(summary):
            return None
        if _LONE in marks:
            encoded = encoded.replace(_LONE_WORD, b"")
        flagged = None
        found = []
        padded = encoded.translate(_UNFLAGGED, _MARKER_BYTES).decode()
        for end, (length, entries) in self._automaton.iter(padded):
            first = end - length + 1
            for entry in entries:
                if entry.slot not in active:
                    continue
                if entry.required:
                    if flagged is None:
                        flagged = encoded.translate(None, _MARKER_BYTES).decode()
                    if not all(flagged[first + o] in nz.FLAG_CHARS for o in entry.required):
                        continue
                found.append((first + 1, end - entry.trail))
                break
        return found

    def _terms_around(
        self, text: str, tokens: list[str], active: frozenset[int], where: list
    ) -> list[Finding]:
        """``_terms`` on the tokens that hold the candidates only. With no single
        characters to join, a token's skeleton does not depend on its neighbours, so a
        stretch of whole tokens has the same matches there as the whole text."""
        offsets = self._summaries.offsets(tokens)
        if offsets is None:
            return self._terms(text, active)
        first = bisect.bisect_right(offsets, min(a for a, _ in where)) - 1
        last = bisect.bisect_right(offsets, max(b for _, b in where)) - 1
        lengths = list(map(len, tokens))
        if sum(lengths) + len(tokens) - 1 == len(text):  # one character between tokens
            lo = sum(lengths[:first]) + first
            hi = sum(lengths[: last + 1]) + last
        else:
            hi = 0
            for k in range(last + 1):
                hi = text.find(tokens[k], hi)
                if k == first:
                    lo = hi
                hi += lengths[k]
        return self._terms(text[lo:hi], active, likely=True, whole=text, offset=lo)

    def _masked_hits(self, text: str, active: frozenset[int]) -> dict[int, set[tuple[int, int]]]:
        """Self-censored words: ``f*ck``, ``f**k``, ``sh*t``, ``f***`` stand for a term of the
        same length whose letters agree where they are shown; so do ``g-s*ot`` and ``blow
        j*b`` for a term of words joined by a hyphen, an apostrophe or a space. A lone
        trailing star is a footnote (``free*``), not a mask."""
        found: dict[int, set[tuple[int, int]]] = {}
        masks = self._masked
        for m in _MASKED_TOKEN_RE.finditer(text):
            for slot in masks.slots(m.group().casefold(), 1):
                if slot in active:
                    found.setdefault(slot, set()).add((m.start(), m.end()))
        if masks.sizes:
            for slot, span in masks.compounds(text):
                if slot in active:
                    found.setdefault(slot, set()).add(span)
        return found

    def _terms(
        self,
        text: str,
        active: frozenset[int],
        likely: bool = False,
        whole: str | None = None,
        offset: int = 0,
    ) -> list[Finding]:
        """``_terms_once`` on the text, and on each of its ``readings`` for the findings
        that cover a place the reading changed."""
        findings = self._terms_once(text, active, likely, whole, offset)
        more = self._readings(text)
        if not more:
            return findings
        whole = text if whole is None else whole
        known = {(f.rule, f.start, f.end) for f in findings}
        seen: dict[tuple, tuple[int, list[Finding]]] = {}  # a long text's stretches read alike
        for reading, changed, lo in more:
            moved = tuple(c - lo for c in changed)
            key = (text[lo : lo + len(reading)], reading, moved)
            if key not in seen:
                base = offset + lo
                strict = _digit_reading(reading, moved)
                several = strict and _loose_digits(key[0], moved)
                seen[key] = (
                    base,
                    [
                        f
                        for f in self._terms_once(
                            reading, active, False, whole, base, strict=strict, several=several
                        )
                        if any(f.start - base <= c < f.end - base for c in moved)
                    ],
                )
            base, found = seen[key]
            shift = offset + lo - base
            for f in found:
                if shift:
                    f = replace(f, start=f.start + shift, end=f.end + shift)
                if (f.rule, f.start, f.end) not in known:
                    known.add((f.rule, f.start, f.end))
                    findings.append(f)
        return _outermost(findings)

    def _terms_once(
        self,
        text: str,
        active: frozenset[int],
        likely: bool = False,
        whole: str | None = None,
        offset: int = 0,
        strict: bool = False,
        several: bool = False,
    ) -> list[Finding]:
        """Findings of the term rules in ``active``. ``strict``: the text is a reading
        that put a vowel for a digit that does not look like it, so no letter of a term
        is read once from a pair there either (as for a respelling: one evasion rule at
        a time; "muff73" is not "mufti"). ``several``: the reading was made for the terms
        of several words only (``_loose_digits``). ``likely``: the caller knows of a
        candidate, so the skeleton is built tracked straight away (it is the same string,
        with each character's span) instead of untracked first. ``text`` may be a
        stretch of ``whole`` that starts at ``offset``: findings are in ``whole``."""
        if whole is None:
            whole = text
        masked = self._masked_hits(text, active) if self._masked and "*" in text else {}
        tracked = nz.tracked_skeleton(text) if likely else None
        s = None if likely else nz.skeleton(text)
        padded = tracked.s if likely else nz.collapse(s)
        flagged = None
        hits = []
        for end, (length, entries) in self._automaton.iter(padded):
            for entry in entries:
                if entry.slot not in active or (strict and entry.respelled):
                    continue  # (a respelling read in a digit's reading: two evasion rules)
                if several and not entry.several:
                    continue
                if entry.required:
                    if flagged is None:
                        flagged = nz.flags(nz.skeleton(text) if s is None else s)
                    first = end - length + 1
                    if not all(flagged[first + o] in nz.FLAG_CHARS for o in entry.required):
                        continue
                hits.append((end, length, entry))
        if not hits and not masked:
            return []
        if hits and tracked is None:
            tracked = nz.tracked_skeleton(text)
        urls = None
        per_rule: dict[int, set[tuple[int, int]]] = masked
        marks = None  # run lengths, for the letters the term has once
        for end, length, entry in hits:
            first = end - length + 1
            if entry.respelled and entry.required and not entry.triples:
                if marks is None:
                    marks = nz.runs(nz.skeleton(text) if s is None else s)
                if _stretched(marks, first, entry):
                    continue  # its double letter may be a single one, stretched
            if entry.singles:
                if marks is None:
                    marks = nz.runs(nz.skeleton(text) if s is None else s)
                pairs = [first + o for o in entry.singles if marks[first + o] == "2"]
                if pairs and (strict or entry.respelled):
                    continue  # a pair read as one letter on top of another rule
                if any(_number_suffix(text, *tracked.span(k, k)) for k in pairs):
                    continue  # idiot44: a number after a word, not a stretched letter
                if any(_name_ending(text, *tracked.span(k, k)) for k in pairs):
                    continue  # Twatt, a place: a name's double letter
                if not self._folds(tracked.s, marks, first, entry):
                    continue
            start, stop = tracked.span(end - length + 2, end - entry.trail)
            if entry.respelled and not _plainly_written(text[start:stop]):
                continue  # a respelling read on top of another rule
            if _mention_number(whole, start + offset, stop + offset):
                continue  # @idiot0: a handle's number, not a letter
            if entry.spelled and not _spelled_out(text[start:stop]):
                continue
            if entry.accents and not _shows(text[start:stop], entry.accents):
                continue  # "Peter" is a name, "péter" the term
            # A link made only of single letters (4.s.s.h.o.l.ee) is spelled-out evasion.
            if _LEET_OR_TAG.search(text, start, stop) and not _spelled_out(text[start:stop]):
                if urls is None:
                    urls = entities.find_urls(text)
                if any(a <= start and stop <= b for a, b in urls):
                    continue  # bit.ly/a55 is a short link, not leetspeak
            per_rule.setdefault(entry.slot, set()).add((start, stop))
        findings: list[Finding] = []
        for slot, spans in per_rule.items():
            rule = self._rules[slot]
            kept: list[tuple[int, int]] = []
            for start, stop in sorted(spans, key=lambda s: (s[0], -s[1])):
                if kept and kept[-1][0] <= start and stop <= kept[-1][1]:
                    continue  # inside a longer match of the same rule
                kept.append((start, stop))
            findings.extend(self._finding(rule, whole, a + offset, b + offset) for a, b in kept)
        return findings

    @staticmethod
    def _folds(padded: str, marks: str, first: int, entry) -> bool:
        """Whether every letter the term has once is written once, or repeated where no
        everyday word explains the repetition (``dictionary.may_fold``)."""
        required = {first + o for o in entry.required}
        for offset in entry.singles:
            at = first + offset
            if marks[at] == "1":
                continue
            a = padded.rfind(nz.GAP, 0, at) + 1
            b = padded.find(nz.GAP, at)
            b = len(padded) if b < 0 else b
            reading = [
                2 if k in required or (k - first not in entry.singles and marks[k] != "1") else 1
                for k in range(a, b)
            ]
            if not dictionary.may_fold(padded[a:b], marks[a:b], at - a, reading):
                return False
        return True

    def _brand(self, rule: _Rule, text: str, urls, runs=None) -> list[Finding]:
        brand: _Brand = rule.data
        found = []
        mentions = None
        alikes = runs is not None and brand_mod.has_latin_alikes(text, runs)
        pattern = brand.pattern if alikes else brand.ascii_pattern
        canonical = brand.canonical
        for m in pattern.finditer(text):
            written = m.group()
            if written == canonical:
                continue  # the right spelling: nothing more to check
            start, stop = m.span()
            if not brand_mod.is_word_start(text, start):
                continue
            before = text[start - 1] if start else ""
            if before and before in "@./":
                continue  # an e-mail address, a handle or part of a host name
            if any(a <= start and stop <= b for a, b in urls):
                continue  # a link is not copy
            if mentions is None:
                mentions = entities.find_mentions(text, urls)
            if any(a <= start and stop <= b for a, b in mentions):
                continue
            if before == "#" and written == brand.joined:
                continue  # #CocaCola for Coca-Cola
            found.append(self._finding(rule, text, start, stop))
        return found


def filled(results: list[LintResult | None]) -> list[LintResult]:
    """``lint_batch``'s results as ``lint_many``'s: an empty result for each None."""
    return [LintResult([]) if result is None else result for result in results]


def compile_policy(rules) -> CompiledPolicy:
    """Validate and compile rules (from ``parse_policy_yaml``, a form or the database)."""
    return CompiledPolicy(rules)


# --- many texts at once ----------------------------------------------------------------------

# Places where the prescreen's context-free reading (``normalize.screen_text``) can differ
# from the skeleton, found in the screened batch: two single characters in a row
# (normalisation step 5 may join them), and the star of a self-censored word. (A letter
# written several times is a doubled letter: see ``_doubled_hits``.)
_SINGLES_RE = re.compile(" [^ \x1e] +[^ \x1e] ")
# the same, where a "single character" may be written several times (a ss, ff uu cc kk:
# normalisation step 5 joins those too); slower, for short strings
_RUN_SINGLES_RE = re.compile(" ([^ \x1e])\\1* +([^ \x1e])\\2* ")
# "@" or "!" inside a word (b@stard, sh!t), a word that starts with "!" (!diot): such a
# text is linted the exact way. A digit next to a letter (f4ck, or94n, g00d) marks a
# token that is read apart, folded (see ``_folded_hits``).
# A word of ASCII digits between whitespace or punctuation that is neither a separator
# that may stand inside a word nor a leetspeak symbol.
# (The third-party regex module runs this lookbehind five times faster than re; \s is
# spelled out as Python's whitespace, which counts \x1c-\x1f, as re's does.)
_WHITESPACE = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
_NUMBER_RE = regex.compile(
    rf"(?<=[{_WHITESPACE}\"#%&()+,/:;<=>?\[\]^{{}}~\\])[0-9]{{2,}}"
    rf"(?=[{_WHITESPACE}\"#%&()+,/:;<=>?\[\]^{{}}~\\])"
)
_BANG_HINT_RE = re.compile("![a0]")  # after a letter, or after a gap and before one
_AT_SIGN_RE = re.compile("@")  # in the character classes
# "!" after a letter or digit and before a "|" or "$" (leet symbols the classes read as
# gaps), in the texts themselves; starting at its literal "!" (a lookbehind first is
# tried at every character: ~40 ms a 20,000-post stream)
_BANG_LEET_RE = re.compile(r"!(?<=[^\W_]!)!*[|$]")
_DIGIT_HINT_RE = re.compile("0a")  # and "a0", read backwards


def _symbol_digits(joined: str) -> list[int]:
    """Where a leet symbol stands between a letter and a digit (naej@4, worp|0; not
    id=42! or $5) or in a run of them inside a word (copro|@gnia, 8@@ngbus; not
    great!!): the few symbols found first, their neighbours looked at after."""
    out = []
    last = len(joined) - 1
    for m in _LEET_SYMBOL_RE.finditer(joined):
        at = m.start()
        if 0 < at < last:
            before, after = joined[at - 1], joined[at + 1]
            if (before in _READ_DIGITS and after.isalpha()) or (
                after in _READ_DIGITS and before.isalpha()
            ):
                out.append(at)
            elif before in _LEET_PAIR or after in _LEET_PAIR:
                first, stop = at, at + 1  # the run of symbols, and a letter or digit each side
                while first > 0 and joined[first - 1] in _LEET_PAIR:
                    first -= 1
                while stop <= last and joined[stop] in _LEET_PAIR:
                    stop += 1
                if (
                    first > 0
                    and stop <= last
                    and joined[first - 1].isalnum()
                    and joined[stop].isalnum()
                ):
                    out.append(at)
    return out


_READ_DIGITS = frozenset("012346789")
_LEET_PAIR = frozenset("@!$|")  # a letter's stand-in beside another one
_CLASS_SEPARATOR_RE = re.compile(r"\.[a0]")  # after a letter or digit (checked apart)
_DIGIT_RE = re.compile("[0-9]")
# an ASCII character the prescreen reads as a gap wherever it stands: not a separator
# (dropped inside a word), "$" or "|" (letters), a letter or a digit
_WORD_GAP_RE = re.compile(
    "["
    + re.escape(
        "".join(
            chr(c) for c in range(128) if nz.SCREEN_TABLE[c] == nz.GAP and chr(c) not in ".-_'*`"
        )
    )
    + "]"
)
_CAMEL_TAG_RE = re.compile(r"#\w+")
_BATCH = 2000


_RUNS_RE = re.compile(r"(.)(?=\1)")  # each character the same one follows
_LOOSE_RE = re.compile(r"[a0]\.[a0]")  # in the character classes
_LEET_WORD_RE = re.compile(r"[$|]")


def _pair_automaton(pairs, edged) -> ahocorasick.Automaton | None:
    pairs = _edge_pairs(pairs, edged)
    if not pairs:
        return None
    automaton = ahocorasick.Automaton()
    for key in _RUNS_RE.sub("", "\n".join(pairs)).split("\n"):
        automaton.add_word(key, True)
    automaton.make_automaton()
    return automaton


def _edge_pairs(pairs, edged) -> list[str]:
    """The batch prescreen's pairs of words, and each with a word's first a or last i
    left out: a leet symbol at a word's edge ("brunette @ction", "naz! party") is a gap
    to it. Not where what is left is an everyday word, as for one word
    (``_word_patterns``); only for the pairs of spellings as written (``edged``)."""
    out = []
    for pair in pairs:
        out.append(pair)
        if pair not in edged:
            continue  # a respelling's: never read on top of a symbol's reading
        words = pair.strip(nz.GAP).split(nz.GAP)
        trail = nz.GAP if pair.endswith(nz.GAP) else ""
        for k, word in enumerate(words):
            for rest in (word[1:] if word[0] == "a" else "", word[:-1] if word[-1] == "i" else ""):
                if rest and not dictionary.is_word(rest):
                    shown = [*words[:k], rest, *words[k + 1 :]]
                    out.append(nz.GAP + nz.GAP.join(shown) + trail)
    return out


class _Patterns:
    """The prescreen's automaton: every occurrence of its patterns, overlapping ones too,
    as ``(index of the last character, value)``, like pyahocorasick's ``iter``. Built with
    ahocorasick-rs, whose scan of the joined batch is two to four times faster; as a
    dense DFA while that stays small (a few tens of MB), else as its contiguous NFA."""

    __slots__ = ("automaton", "doubles_from", "patterns", "values")
    DFA_CHARACTERS = 400_000  # of all patterns together

    def __init__(self, mapping: dict[str, Any]):
        patterns = list(mapping)
        size = sum(map(len, patterns))
        implementation = (
            ahocorasick_rs.Implementation.DFA
            if size <= self.DFA_CHARACTERS
            else ahocorasick_rs.Implementation.ContiguousNFA
        )
        self.automaton = ahocorasick_rs.AhoCorasick(patterns, implementation=implementation)
        self.values = list(mapping.values())
        self.patterns = patterns
        # the doubled letters come last (``_screen_automaton``)
        self.doubles_from = next(
            (k for k, value in enumerate(self.values) if value is _DOUBLE), len(self.values)
        )
        if any(value is not _DOUBLE for value in self.values[self.doubles_from :]):
            raise ValueError("the doubled letters must be the last patterns")

    def keys(self, s: str) -> set[str]:
        """The patterns that occur in ``s``."""
        patterns = self.patterns
        return {
            patterns[k] for k, _, _ in self.automaton.find_matches_as_indexes(s, overlapping=True)
        }

    def iter(self, s: str) -> list[tuple[int, Any]]:
        values = self.values
        return [
            (stop - 1, values[k])
            for k, _, stop in self.automaton.find_matches_as_indexes(s, overlapping=True)
        ]

    def split(self, s: str) -> tuple[list[tuple[int, Any]], list[int]]:
        """``iter`` in two: the hits of the patterns but the doubled letters, and where
        each doubled letter ends (a batch has tens of thousands: "good", "all")."""
        found = self.automaton.find_matches_as_indexes(s, overlapping=True)
        values, doubles = self.values, self.doubles_from
        return (
            [(stop - 1, values[k]) for k, _, stop in found if k < doubles],
            [stop - 1 for k, _, stop in found if k >= doubles],
        )


def _screen_automaton(words: dict[str, bool]) -> _Patterns:
    """The prescreen's patterns; a value says whether a batch counts a hit at once: the
    pattern word of a spelling of several words counts only with its pair (see
    ``CompiledPolicy._screen``). The words read apart count every pattern."""
    patterns: dict[str, Any] = dict(words)
    for key in _DOUBLES:
        patterns.setdefault(key, _DOUBLE)
    return _Patterns(patterns)


def _word_patterns(keys, batch_keys, edged) -> dict[str, bool]:
    """The prescreen's patterns (each a word between gaps), with whether a batch counts a
    hit at once (see ``_screen_automaton``)."""
    patterns: dict[str, bool] = {key: key in batch_keys for key in keys if key}
    # A word's first "@" and last "!" are gaps here (a mention sign, punctuation); where
    # they stand for an a or an i (@rsehole, @ss, naz!), the word is the pattern without
    # it. Not where what is left is an everyday word (which the exact lint never reads
    # so): "@team", "pip!"; nor for a respelling's pattern (``edged``: a respelling is
    # never read on top of a symbol's reading, so "org!" is no "orgi", "orgy" respelled).
    for key in edged:
        word = key.strip(nz.GAP)
        if nz.GAP in word or not key.startswith(nz.GAP):
            continue
        for rest in (word[1:] if word[0] == "a" else "", word[:-1] if word[-1] == "i" else ""):
            if rest and not dictionary.is_word(rest):
                edge = nz.GAP + rest + key[len(nz.GAP) + len(word) :]
                patterns.setdefault(edge, key in batch_keys)
    return patterns


def _collapsed_automaton(patterns: dict[str, bool]) -> ahocorasick.Automaton:
    """The prescreen's patterns (``_word_patterns``: those at a word's edge too) with each
    run of a character made one (" muff " -> " muf ")."""
    keys = sorted(patterns)
    automaton = ahocorasick.Automaton()
    for key, collapsed in zip(keys, _RUNS_RE.sub("", "\n".join(keys)).split("\n"), strict=True):
        batch = patterns[key] or automaton.get(collapsed, False)
        automaton.add_word(collapsed, batch)
    automaton.add_word(" \x00 ", False)  # never empty
    automaton.make_automaton()
    return automaton


# A letter (or the i-or-l marker) written twice: the prescreen's own pass finds them.
_DOUBLES = [c * 2 for c in "abcdefghijklmnopqrstuvwxyz" + nz.MARK]
_DOUBLE = "doubled"


def _doubled_hits(automaton: ahocorasick.Automaton, screened: str, doubled: list[int], runs=None):
    """``(position in screened, batch)`` for each word of ``screened`` with a doubled letter
    (``doubled``: where the prescreen's pass found one) that, its runs collapsed, is a
    collapsed pattern, unless it is an everyday word (an everyday word's doubled letter
    never stands for one). ``runs``, given a list, gets where each word that is one
    character written several times starts ("ss")."""
    known = dictionary.words()
    words = []
    last = -1
    find, rfind = screened.find, screened.rfind
    for e in doubled:
        if e < last:
            continue  # in the word already taken
        a = rfind(" ", 0, e) + 1
        last = find(" ", e)
        if last < 0:
            last = len(screened)
        word = screened[a:last]
        if runs is not None and word[0] == word[-1] and word.count(word[0]) == len(word):
            runs.append(a)
        if word not in known:
            words.append((a, word))
    if not words:
        return
    end = nz.SCREEN_END
    collapsed = _RUNS_RE.sub("", " " + f" {end} ".join(w for _, w in words) + " ")
    if collapsed.count(end) != len(words) - 1:  # the separator inside a word: read each
        for at, word in words:
            for _, batch in automaton.iter(" " + _RUNS_RE.sub("", word) + " "):
                yield at, batch
        return
    bounds = [m.start() for m in _END_RE.finditer(collapsed)]
    for e, batch in automaton.iter(collapsed):
        yield words[bisect.bisect_left(bounds, e)][0], batch


def _folded_automaton(keys, words) -> ahocorasick.Automaton | None:
    """The folded readings of ``words``, and of the prescreen's ``keys`` (value True)."""
    keys = list(keys)
    words = list(words)
    if not keys and not words:
        return None
    folded = nz.fold("\n".join(keys + words)).split("\n")  # one pass for all
    automaton = ahocorasick.Automaton()
    for key in folded[len(keys) :]:
        automaton.add_word(key, False)
    for key in folded[: len(keys)]:
        automaton.add_word(key, True)
    automaton.make_automaton()
    return automaton


_AT_BANG = str.maketrans("@!$|", "aisl")
_END_RE = re.compile(nz.SCREEN_END)
_UNMAPPED_RE = re.compile(nz.UNMAPPED)


def _fold_forms(token: str) -> list[str]:
    """The forms of a token whose folded readings cover the skeleton's: as written (the
    prescreen reads "@", "!", "$" and "|" as gaps), with them as letters (leetspeak inside
    a word: a, i, s, l), and a hashtag split at its camel-case boundaries."""
    out = [token]
    if "@" in token or "!" in token or "$" in token or "|" in token:
        out.append(token.translate(_AT_BANG))
        core = token.lstrip("@").rstrip("!")  # a mention sign, punctuation (step 6)
        if core != token:
            out.append(core.translate(_AT_BANG))
    if "#" in token and not token.islower():
        out += [nz.camel_split(form) for form in out]
    return out


def _folded_hits(
    automaton, side: list[tuple[int, str]], non_ascii: bool, keys: bool = False
) -> set[int]:
    """The owners (first items of ``side``) of the tokens (second items) whose folded
    reading (``normalize.fold``, over ``_fold_forms``) holds a word of ``automaton`` (with
    ``keys``, a prescreen pattern)."""
    if automaton is None or not side:
        return set()
    owners = []
    pieces = []
    for owner, token in side:
        for form in _fold_forms(token):
            owners.append(owner)
            pieces.append(form)
    end = nz.SCREEN_END
    text = f" {end} ".join(pieces)
    if text.count(end) != len(pieces) - 1:  # a token holds the separator itself
        return set(owners)
    folded = nz.fold(nz.screen_text(f" {text} "))
    ends = [m.start() for m in _END_RE.finditer(folded)]
    if keys:
        hits = {owners[bisect.bisect_left(ends, e)] for e, key in automaton.iter(folded) if key}
    else:
        hits = {owners[bisect.bisect_left(ends, e)] for e, _ in automaton.iter(folded)}
    if non_ascii and nz.UNMAPPED in folded:
        hits.update(
            owners[bisect.bisect_left(ends, m.start())] for m in _UNMAPPED_RE.finditer(folded)
        )
    return hits
