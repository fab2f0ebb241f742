"""Text skeletons: the normalised form that term rules are matched against.

The skeleton of a text is built in a fixed chain of steps. Each step is a C-level
string operation (``str.translate``, a compiled regular expression), so the
common case costs a few microseconds. The same chain can be run *tracked*: then
every skeleton character also carries the span of the original text it came
from, so a match in the skeleton maps back to ``text[start:end]``. Tracking is
done only for texts that have a candidate match (see ``matcher``).

Steps, in order (the working string always starts and ends with a gap):

0. The ending of a contraction or a possessive after a word's letters (``'s 't 'd 'm 'll
   're 've``) beside a word of one character is a gap, so it never becomes a word of one
   letter that step 5 joins to a spelled-out word: ``that's b u l l s h i t``, ``don't f u
   c k``, ``he's a c u n t``, ``I'm s h i t``, ``for f u c k's sake``. Elsewhere it stays a
   word (``cat's`` reads ``cat s``, ``don't care`` ``don t care``).
1. Hashtags are split at camel-case boundaries: ``#GoToHell`` -> ``#Go To Hell``, so
   each camel-case segment is a word. Such a hashtag is *also* appended whole after
   the text, so a term can match the tag as written (``#PrayForParis`` for
   ``#prayfor*``, ``#GoToHell`` for ``gotohell``). Lower-case or upper-case
   run-together tags (``#gotohell``) are never split: no dictionary guesses, which
   is how ``#therapist`` would become "the rapist". A multi-word term also matches
   its joined spelling (see ``matcher``).
2. Per character (one translate table): case folding, NFKD with combining marks
   dropped (accents, diacritics), compatibility forms (full-width, circled,
   mathematical letters), homoglyphs (UTS #39 confusables plus a curated
   supplement) to Latin letters; zero-width and other format characters vanish;
   every other non-letter, non-digit character becomes a gap (space), except the
   leet symbols ``@ $ ! |`` and ``#`` which are decided later. A capital ``I`` (and
   the palochka, the dental click) reads like a ``1``: it stands for i or l.
3. ``#`` becomes its own token, `` # `` (so ``#hell`` still contains the word ``hell``
   and a hashtag-only term can ask for the ``#``).
4. Gaps are squeezed to one space.
5. A run of single characters separated by gaps is joined: ``f.u.c.k``,
   ``f u c k``, ``f_u_c_k``, ``ff.u.c.k`` -> ``fuck``. Only *single* characters
   (or one character repeated) join, so ``pen is`` stays two words and ``an Al``
   never becomes ``anal``. A run that starts with a word of one letter (``a``, ``I``)
   and three single characters or more after it (or digits alone) is read both ways,
   one after the other: ``a b i t c h`` -> ``abitch a bitch`` (the article before a
   spelled-out word, or its first letter: ``a s s h o l e``; ``a 2 girls``); so is one
   that starts with a letter written twice or more and three words after it
   (``oo f l o u h a e n``). Any other run is read joined and then as written:
   ``oo xxx`` -> ``ooxxx oo xxx``, ``a g spot`` -> ``ag a g spot``.
6. Leetspeak, per word: in a word that has at least one real letter,
   ``0 2 3 4 5 6 7 8 9 @ $ ! |`` read as ``o z e a s b t b g a s i l`` and ``1`` as a marker that
   stands for either ``i`` or ``l``. A word of only digits and symbols (``455``,
   ``$5``) is left alone, and so are a decade or a round number with a plural s (``80s``,
   ``1990s``, ``100s``) and an ordinal (``1st``, ``22nd``, ``10th``). A leading ``@`` is a
   mention sign, a trailing ``!`` is punctuation. (Length-preserving; gaps are squeezed
   again after.)
7. ``collapse``: runs of a repeated letter become one (``fuuuck`` -> ``fuck``). A
   parallel "flags" string marks letters that were repeated, so a term that needs a
   double letter (``ass``) matches ``asssss`` but never the word ``as``.

Links get no special treatment here, so the common case needs no link scan; the
compiler drops a match inside a link that only exists through digits or symbols
(``bit.ly/a55`` is a short link, not "ass").
"""

from __future__ import annotations

import codecs
import re
import threading
import unicodedata
from pathlib import Path

import regex

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

GAP = " "
# "1" inside a word reads as i or l. The marker is "!" because no "!" of the text is
# left by then (each became "i" or a gap), and it keeps the skeleton ASCII.
MARK = "!"
MARK_FLAG = "|"  # MARK that was repeated
LONE = "\x00"  # a one-character word of leet symbols, in token skeletons only
LEET_SYMBOLS = "@$!|"
_ASCII_KEEP = frozenset("@$!|#")
_DELETE = frozenset({"Mn", "Me", "Cf"})

DIGIT_IMAGES = {"0": "o", "1": MARK, "3": "e", "4": "a", "5": "s", "6": "b", "7": "t"}
DIGIT_IMAGES |= {"2": "z", "8": "b", "9": "g"}
_LEET = str.maketrans(DIGIT_IMAGES | {"@": "a", "$": "s", "!": "i", "|": "l"})
_SYMBOLS_TO_GAP = str.maketrans(dict.fromkeys(LEET_SYMBOLS, GAP))
_FLAG = {chr(c): chr(c).upper() for c in range(ord("a"), ord("z") + 1)} | {MARK: MARK_FLAG}
FLAG_CHARS = frozenset(_FLAG.values())
_UNFLAG = str.maketrans({v: k for k, v in _FLAG.items()})


def _load_table(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            code, latin = line.split("\t")[:2]
            table[chr(int(code, 16))] = latin.strip()
    return table


_SUPPLEMENT = _load_table("homoglyph_supplement.tsv")
_CONFUSABLES = _load_table("confusables_latin.tsv")


def _fold_piece(ch: str) -> str:
    """One character of an NFKD decomposition, already case-folded."""
    if ch.isascii():
        if ch.isalnum():
            return ch
        return ch if ch in _ASCII_KEEP else GAP
    latin = _SUPPLEMENT.get(ch) or _CONFUSABLES.get(ch)
    if latin:
        return latin
    category = unicodedata.category(ch)
    if category[0] == "L" or category == "Mc":
        return ch
    if category == "Nd":
        return str(unicodedata.digit(ch))
    return GAP


def map_char(ch: str) -> str:
    """The skeleton of one character: usually one lower-case letter, a gap or ''."""
    if ch.isascii():
        if ch == "I":
            return "1"  # a capital I is also how an l is faked: "asshoIe"
        if ch.isalnum():
            return ch.lower()
        return ch if ch in _ASCII_KEEP else GAP
    latin = _SUPPLEMENT.get(ch) or _CONFUSABLES.get(ch)
    if latin:
        return latin
    category = unicodedata.category(ch)
    if category in _DELETE:
        return ""
    if category[0] in "CZ":  # controls, surrogates, private use, unassigned, spaces
        return GAP
    if category == "Nd":
        return str(unicodedata.digit(ch))
    decomposed = [
        c
        for c in unicodedata.normalize("NFKD", ch)
        if not unicodedata.combining(c) and unicodedata.category(c) not in _DELETE
    ]
    if category[0] == "S" and len(decomposed) != 1:
        return GAP  # ™ -> "TM", ㎏ -> "kg": symbols, not letters
    out = []
    for piece in decomposed:
        if piece.isascii() and piece in _ASCII_KEEP:
            out.append(piece)
            continue
        for folded in piece.casefold():
            out.append(_fold_piece(folded))
    return "".join(out)


class _CharTable(dict):
    """``str.translate`` table filled on first sight of each code point."""

    LIMIT = 300_000  # an adversary cannot make it grow without bound

    def __missing__(self, code: int) -> str:
        value = map_char(chr(code))
        if len(self) < self.LIMIT:
            self[code] = value
        return value


CHAR_TABLE = _CharTable()
ASCII_TABLE = {code: map_char(chr(code)) for code in range(128)}
CHAR_TABLE.update(ASCII_TABLE)

_TAG_RE = re.compile(r"#\w+")
# Camel case: before a capital after a small letter, before the last of a run of capitals
# followed by a small letter, and around digits between words (#2Girls1Cup; not sh1tShow's
# "1t", a digit inside a word).
# (Each boundary is before a capital or a digit: that lookahead first, so most places
# are passed over at once.)
CAMEL_RE = regex.compile(
    r"(?=[\p{Lu}0-9])(?:(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})"
    r"|(?<=\p{L})(?=[0-9]+\p{Lu})|(?<=[0-9])(?=\p{Lu}))"
)
_ASCII_CAMEL_RE = re.compile(  # the same, for ASCII
    r"(?=[A-Z0-9])(?:(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
    r"|(?<=[A-Za-z])(?=[0-9]+[A-Z])|(?<=[0-9])(?=[A-Z]))"
)


def camel_split(tag: str) -> str:
    return (_ASCII_CAMEL_RE if tag.isascii() else CAMEL_RE).sub(GAP, tag)


def camel_positions(tag: str) -> list[int]:
    return [m.start() for m in (_ASCII_CAMEL_RE if tag.isascii() else CAMEL_RE).finditer(tag)]


_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz" + MARK)
# The working string always starts and ends with a gap, and every word is between gaps.
# A "single character" may be repeated (ff.u.c.k): it is still one letter. A run of
# digits alone is left as it is ("9/11" is not "911"): see _join_chain.
CHAIN_RE = re.compile(r" ([^ #])\1*(?: ([^ #])\2*)+(?= )")
_LETTER_RE = re.compile(r"[^0-9 ]")
LEET_CHAR_RE = re.compile(r"[0-9@$!|]")
_HAS_LETTER_RE = re.compile(r"[^0-9@$!|]")
GAPS_RE = re.compile(r"  +")
_BANG_RE = re.compile(r"!+(?= )")  # "!" ending a word is punctuation
_AT_RE = re.compile(r" @+(?=[^ ])")  # "@" starting a word is a mention sign
RUN_RE = re.compile(r"([^0-9# ])\1+")
_LONE_SYMBOL_RE = re.compile(r"(?<= )([@$!|])\1*(?= )")
# Two one-character words in a row in a token skeleton: the sign that step 5 could
# have joined something.
CHAIN_PAIR_RE = re.compile(r" ([^ #])\1* ([^ #])\2*(?= )")


def is_single(word: str) -> bool:
    """A word of one character, perhaps repeated, as step 5 sees it (a repeated letter
    is one flagged letter by now, a run of one digit is not collapsed)."""
    return word[0] != "#" and word == word[0] * len(word)


class _NotAscii(Exception):
    pass


def _skeleton_errors(exc: UnicodeEncodeError):
    mapped = exc.object[exc.start : exc.end].translate(CHAR_TABLE)
    if not mapped.isascii():
        raise _NotAscii
    return mapped, exc.end


codecs.register_error("countersign.skeleton", _skeleton_errors)


def translate(s: str) -> str:
    """Step 2 for a whole string. Non-ASCII runs go through the big table."""
    if s.isascii():
        return s.translate(ASCII_TABLE)
    try:
        # The encoder copies ASCII at C speed and calls the handler once per run.
        return s.encode("ascii", "countersign.skeleton").decode("ascii").translate(ASCII_TABLE)
    except _NotAscii:  # letters of scripts that stay as they are (Cyrillic ж, CJK ...)
        return s.translate(CHAR_TABLE)


_runs = threading.local()


def _record_errors(exc: UnicodeEncodeError):
    _runs.found.append((exc.start, exc.end))
    return "", exc.end


codecs.register_error("countersign.runs", _record_errors)


def non_ascii_runs(s: str) -> list[tuple[int, int]]:
    """Spans of the runs of non-ASCII characters."""
    if s.isascii():
        return []
    _runs.found = found = []
    s.encode("ascii", "countersign.runs")
    return found


_ONE_LETTER_WORDS = frozenset("ai1" + MARK)  # "a", "i", and "I" (read as a "1", then the marker)


def _split_first(chain: str) -> int:
    """How many characters of a chain's first word (step 5: a gap before each word) to
    read apart too, the rest joined; 0: none. A word of one letter followed by three
    single characters or more, or by digits alone (a 2 girls); a letter written twice or
    more followed by three words or more (an "oo" or "xx" before a spelled-out term)."""
    first = chain.find(GAP, 1)
    if first == 2:
        if chain[1] not in _ONE_LETTER_WORDS:
            return 0
        return 1 if chain.count(GAP) >= 4 or chain[3:].replace(GAP, "").isdigit() else 0
    if chain[1].isalpha() and chain.count(GAP) >= 4:
        return first - 1
    return 0


def _join_chain(match: re.Match) -> str:
    chain = match.group()
    if not _LETTER_RE.search(chain):
        return chain
    joined = chain.replace(GAP, "")
    first = _split_first(chain)
    if first:  # joined beside the word before, apart beside the next one
        return GAP + joined + GAP + joined[:first] + GAP + joined[first:]
    # joined beside the word before, and as written beside the next one: its words are
    # words too ("oo xxx" holds "xxx", "a g spot" "g spot")
    return GAP + joined + chain


def _leet_word(word: str) -> str:
    """Step 6 for one word, given with the gap before it."""
    end = len(word)
    start = 1
    while start < end and word[start] == "@":
        start += 1
    stop = end
    while stop > start and word[stop - 1] == "!":
        stop -= 1
    core = word[start:stop]
    if not _HAS_LETTER_RE.search(core):
        return GAP * start + core.translate(_SYMBOLS_TO_GAP) + GAP * (end - stop)
    return GAP * start + core.translate(_LEET) + GAP * (end - stop)


def _flag_run(match: re.Match) -> str:
    ch = match.group(1)
    return _FLAG.get(ch, ch)


def camel_tags(s: str) -> list[tuple[int, int, str]]:
    """(start, end, split) of each hashtag with a camel-case boundary."""
    found = []
    for m in _TAG_RE.finditer(s):
        start = m.start()
        if start and (s[start - 1].isalnum() or s[start - 1] in "_#"):
            continue
        tag = m.group()
        if tag.lower() == tag or tag.upper() == tag:
            continue
        split = camel_split(tag)
        if split != tag:
            found.append((start, m.end(), split))
    return found


def _split_tags(s: str) -> tuple[str, list[str]]:
    """``s`` with its camel-case hashtags split in place, and those hashtags as written."""
    if "#" not in s:
        return s, []
    tags = camel_tags(s)
    if not tags:
        return s, []
    parts = []
    last = 0
    for a, b, split in tags:
        parts += [s[last:a], split]
        last = b
    parts.append(s[last:])
    return "".join(parts), [s[a:b] for a, b, _ in tags]


# Step 0: a contraction's or a possessive's ending after a word's letters (matched from its
# apostrophe: a scan for a literal stops only there), and what makes it a gap: a word of
# one character after it (perhaps written several times), or before it
_TAIL_RE = re.compile(r"['\u2019\u02bc](?<=[^\W\d_].)(?:[stdm]|ll|re|ve)(?![^\W_])", re.IGNORECASE)
_SINGLE_AFTER_RE = re.compile(r"[\W_]+([^\W_])\1*(?![^\W_])")


def _blank_tail(match: re.Match) -> str:
    s = match.string
    end = _past_vanishing(s, match.end())
    if _wordish(s, end):
        return match.group()  # letters after a character that vanishes: inside a word
    single = _SINGLE_AFTER_RE.match(s, end)
    if single is None or _wordish(s, _past_vanishing(s, single.end())):
        before = match.start() - 2  # (the character before its letter)
        while before >= 0 and CHAR_TABLE[ord(s[before])] == "":
            before -= 1
        if _wordish(s, before):
            return match.group()  # a word before it and after it: "cat's", "don't care"
    return GAP * len(match.group())


def _past_vanishing(s: str, at: int) -> int:
    """``at``, past the characters that normalisation drops (zero-width, marks)."""
    while at < len(s) and CHAR_TABLE[ord(s[at])] == "":
        at += 1
    return at


def _wordish(s: str, at: int) -> bool:
    return 0 <= at < len(s) and (s[at].isalnum() or s[at] == "_")


def endings(s: str) -> str:
    """Step 0: each contraction's or possessive's ending beside a word of one character a
    gap, the same length."""
    if "'" in s or "\u2019" in s or "\u02bc" in s:
        return _TAIL_RE.sub(_blank_tail, s)
    return s


def _prepare(s: str) -> str:
    """Steps 0 and 1: the working string, padded with gaps, camel-case tags appended
    whole."""
    s = endings(s)
    body, tags = _split_tags(s)
    if tags:
        return GAP + body + "".join(GAP + tag for tag in tags) + GAP
    return GAP + s + GAP


def _blank(match: re.Match) -> str:
    return GAP * len(match.group())


def _blank_attached(match: re.Match) -> str:
    start = match.start()
    if match.string[start - 1] == GAP:
        return match.group()  # "!" on its own may be a letter in "b . ! . t . c . h"
    return GAP * len(match.group())


def _edges(s: str) -> str:
    """Before joining single letters: a word-final "!" and a word-initial "@" are gaps."""
    if "!" in s:
        s = _BANG_RE.sub(_blank_attached, s)
    if " @" in s:
        s = _AT_RE.sub(_blank, s)
    return s


def _leet(s: str) -> str:
    """Step 6: every word (between gaps) that has a leet character."""
    m = LEET_CHAR_RE.search(s)
    if m is None:
        return s
    parts = []
    last = 0
    search = LEET_CHAR_RE.search
    while m is not None:
        i = m.start()
        start = s.rfind(GAP, 0, i)
        end = s.find(GAP, i)
        if not _number(s[start + 1 : end]):  # a number ("2024", "4455", "80s") stays
            parts += [s[last:start], _leet_word(s[start:end])]
            last = end
        m = search(s, end)
    if not parts:
        return s
    parts.append(s[last:])
    return "".join(parts)


def _number(word: str) -> bool:
    """A number; a decade or round number with a plural s ("80s", "1990s", "100s"); an
    ordinal ("1st", "22nd", "3rd", "10th")."""
    if word.isdigit():
        return True
    if len(word) > 2 and word[-1] == "s" and word[-2] == "0" and word[:-1].isdigit():
        return True
    return len(word) > 2 and word[:-2].isdigit() and word[-2:] == _ordinal(word[:-2])


def _ordinal(number: str) -> str:
    """The ending of an ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if number[-2:-1] == "1":
        return "th"
    return {"1": "st", "2": "nd", "3": "rd"}.get(number[-1], "th")


def _steps(s: str, chains: bool = True) -> str:
    """Steps 2-6 on a prepared string. Without ``chains`` step 5 is left out and each
    one-character word made of leet symbols (which step 6 would make vanish) is kept
    as a ``LONE`` placeholder: see ``token_skeleton``."""
    s = _edges(translate(s))
    if "#" in s:
        s = s.replace("#", " # ")
    if "  " in s:
        s = GAPS_RE.sub(GAP, s)
    if chains:
        s = CHAIN_RE.sub(_join_chain, s)
    elif _LONE_SYMBOL_RE.search(s):
        s = _LONE_SYMBOL_RE.sub(LONE, s)
    if LEET_CHAR_RE.search(s):
        s = _leet(s)
        if "  " in s:
            s = GAPS_RE.sub(GAP, s)
    return s


def collapse(s: str) -> str:
    """Step 7: runs of a repeated letter become one letter."""
    if not s.isascii():
        return RUN_RE.sub(r"\1", s)
    if len(s) < 2:
        return s
    # Where s[i] == s[i + 1]: a zero byte in the XOR of the string and itself shifted by
    # one, found with bytes.find (memchr) rather than a regex attempt at every position.
    raw = s.encode("ascii")
    width = len(raw) - 1
    same = (int.from_bytes(raw[:-1], "big") ^ int.from_bytes(raw[1:], "big")).to_bytes(width, "big")
    i = same.find(0)
    if i < 0:
        return s
    parts = []
    last = 0
    letters = _LETTERS
    while i >= 0:
        if s[i] in letters:
            parts.append(s[last : i + 1])
            j = i + 1
            while j < width and same[j] == 0:
                j += 1
            last = j + 1
            i = same.find(0, j)
        else:
            i = same.find(0, i + 1)
    parts.append(s[last:])
    return "".join(parts)


def _run_class(match: re.Match) -> str:
    return "\x02" if len(match.group()) == 2 else "\x03"


_NOT_RUN_CLASS_RE = re.compile("[^\x02\x03]")
_RUN_DIGITS = str.maketrans("\x02\x03", "23")
_RUN_MARKS = dict.fromkeys(range(128), "1") | {2: "2", 3: "3"}  # one table pass, for ASCII


def runs(s: str) -> str:
    """Same length as ``collapse(s)``: for each character "1", or "2" when it was written
    twice, "3" when three times or more."""
    marked = RUN_RE.sub(_run_class, s)
    if marked.isascii():
        return marked.translate(_RUN_MARKS)
    return _NOT_RUN_CLASS_RE.sub("1", marked).translate(_RUN_DIGITS)


def flags(s: str) -> str:
    """Same length as ``collapse(s)``; letters that were repeated are upper case."""
    return RUN_RE.sub(_flag_run, s)


def unflag(flagged: str) -> str:
    return flagged.translate(_UNFLAG)


def skeleton(text: str) -> str:
    """The padded skeleton before collapsing; ``collapse`` it to match against."""
    return _steps(_prepare(text))


def token_skeleton(token: str) -> str:
    """The flagged skeleton of one whitespace-free piece of a text, for the fast path.

    A text's skeleton is, word for word, the skeletons of its whitespace-separated
    tokens, except for two things that cross a token's edge, and the fast path
    (``compiler``) takes care of both:

    - step 5 joins single characters across tokens (``f u c k``). Here it is left
      out, so every single-character word stays visible (``is_single``), and a
      one-character word of leet symbols (``|``, ``!``, ``$``), which step 6 makes
      vanish, is kept as ``LONE`` so that it is seen too;
    - camel-case hashtags are appended after the whole text. Here they come first,
      before the token's own words: a pattern cannot tell the difference as long as
      no pattern has a ``#`` after its first word (``TermAutomaton.interior_hash``).

    Repeated letters are collapsed and flagged (upper case), as ``flags`` does. The
    result has no leading or trailing gap and is empty for a token with no words."""
    body, tags = _split_tags(endings(token))
    words = flags(_steps(GAP + body + GAP, chains=False)).strip(GAP)
    if tags:
        joined = GAP.join(flags(_steps(GAP + tag + GAP)).strip(GAP) for tag in tags)
        return f"{joined}{GAP}{words}" if words else joined
    return words


def term_skeleton(term: str) -> str:
    """A term's skeleton before collapsing: camel case splits words anywhere in a term."""
    return _steps(GAP + camel_split(endings(term)) + GAP).strip(GAP)


# --- tracked ------------------------------------------------------------------------------


class Tracked:
    """A skeleton string with, for each character, the original span it came from."""

    __slots__ = ("ends", "s", "starts")

    def __init__(self, s: str, starts: list[int], ends: list[int]):
        self.s = s
        self.starts = starts
        self.ends = ends

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original span of characters ``first..last`` (inclusive)."""
        return self.starts[first], self.ends[last]


def _rebuild(t: Tracked, matches, piece) -> Tracked:
    s, starts, ends = t.s, t.starts, t.ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for m in matches:
        a, b = m.span()
        out.append(s[last:a])
        new_starts += starts[last:a]
        new_ends += ends[last:a]
        for ch, x, y in piece(m):
            out.append(ch)
            new_starts.append(x)
            new_ends.append(y)
        last = b
    if last == 0:
        return t
    out.append(s[last:])
    new_starts += starts[last:]
    new_ends += ends[last:]
    return Tracked("".join(out), new_starts, new_ends)


def _translate_tracked(t: Tracked) -> Tracked:
    s = t.s
    if s.isascii():
        return Tracked(s.translate(ASCII_TABLE), t.starts, t.ends)
    table = CHAR_TABLE
    starts, ends = t.starts, t.ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for a, b in non_ascii_runs(s):
        out.append(s[last:a].translate(ASCII_TABLE))  # ASCII maps one to one
        new_starts += starts[last:a]
        new_ends += ends[last:a]
        for k in range(a, b):
            mapped = table[ord(s[k])]
            if mapped:
                out.append(mapped)
                new_starts += [starts[k]] * len(mapped)
                new_ends += [ends[k]] * len(mapped)
            elif new_ends and unicodedata.combining(s[k]):
                new_ends[-1] = ends[k]  # an accent stays with the letter it sits on
        last = b
    out.append(s[last:].translate(ASCII_TABLE))
    new_starts += starts[last:]
    new_ends += ends[last:]
    return Tracked("".join(out), new_starts, new_ends)


_HASH_RE = re.compile("#")


def _tracked_prepare(s: str) -> Tracked:
    s = endings(s)  # (the same length: each character keeps its place)
    n = len(s)
    chars = [GAP, s]
    starts = [0, *range(n)]
    ends = [0, *range(1, n + 1)]
    tags = camel_tags(s) if "#" in s else []
    if tags:
        chars = [GAP]
        starts = [0]
        ends = [0]
        last = 0
        for a, b, _ in tags:
            for offset in camel_positions(s[a:b]):
                pos = a + offset
                chars += [s[last:pos], GAP]
                starts += [*range(last, pos), pos]
                ends += [*range(last + 1, pos + 1), pos]
                last = pos
        chars.append(s[last:])
        starts += range(last, n)
        ends += range(last + 1, n + 1)
        for a, b, _ in tags:
            chars += [GAP, s[a:b]]
            starts += [b, *range(a, b)]
            ends += [b, *range(a + 1, b + 1)]
    chars.append(GAP)
    starts.append(n)
    ends.append(n)
    return Tracked("".join(chars), starts, ends)


def _gap_piece(t: Tracked):
    def piece(m):
        return ((GAP, t.starts[m.start()], t.ends[m.start()]),)

    return piece


def tracked_skeleton(text: str) -> Tracked:
    """``collapse(skeleton(text))``, with the original span of each character."""
    t = _translate_tracked(_tracked_prepare(text))
    t = Tracked(_edges(t.s), t.starts, t.ends)
    if "#" in t.s:

        def hash_piece(m, t=t):
            a, b = t.starts[m.start()], t.ends[m.start()]
            return ((GAP, a, b), ("#", a, b), (GAP, a, b))

        t = _rebuild(t, _HASH_RE.finditer(t.s), hash_piece)
    t = _rebuild(t, GAPS_RE.finditer(t.s), _gap_piece(t))

    def chain_piece(m, t=t):
        a = m.start()
        if not _LETTER_RE.search(m.group()):
            return [(t.s[k], t.starts[k], t.ends[k]) for k in range(a, m.end())]
        gap = (GAP, t.starts[a], t.ends[a])
        letters = [(t.s[k], t.starts[k], t.ends[k]) for k in range(a + 1, m.end()) if t.s[k] != GAP]
        first = _split_first(m.group())
        if first:  # read both ways (step 5)
            after = (GAP, t.starts[a + 1 + first], t.ends[a + 1 + first])
            return [gap, *letters, after, *letters[:first], after, *letters[first:]]
        return [gap, *letters, *((t.s[k], t.starts[k], t.ends[k]) for k in range(a, m.end()))]

    t = _rebuild(t, CHAIN_RE.finditer(t.s), chain_piece)
    if LEET_CHAR_RE.search(t.s):
        t = Tracked(_leet(t.s), t.starts, t.ends)
        t = _rebuild(t, GAPS_RE.finditer(t.s), _gap_piece(t))

    def run_piece(m, t=t):
        return ((m.group(1), t.starts[m.start()], t.ends[m.end() - 1]),)

    return _rebuild(t, RUN_RE.finditer(t.s), run_piece)


# --- prescreen ------------------------------------------------------------------------------

# The prescreen's reading of a text (``CompiledPolicy.lint_many``): step 2 and the
# leetspeak of step 6 as one table, with no step that needs context: every digit reads as
# its letter, "$" and "|" as s and l, and "!", "@" and "#" are gaps. A term's spelling
# then appears in it as a whole word whenever the skeleton has it, except where a step
# that looks at context changes the text; those places are found apart (see compiler).
_SCREEN = {"$": "s", "|": "l", "!": GAP, "@": GAP, "#": GAP} | DIGIT_IMAGES
SCREEN_TABLE = {c: "".join(_SCREEN.get(x, x) for x in m) for c, m in ASCII_TABLE.items()}
UNMAPPED = "\x7f"  # a letter of a script with no Latin reading
SCREEN_END = "\x1e"  # between two texts of a batch
SCREEN_TABLE[ord(UNMAPPED)] = UNMAPPED
SCREEN_TABLE[ord(SCREEN_END)] = SCREEN_END
NUMBER = "\x1f"  # a word of digits alone, in a batch (see ``compiler``): not a letter
SCREEN_TABLE[ord(NUMBER)] = NUMBER


class _ScreenErrors(dict):
    """The prescreen's reading of a non-ASCII character (its skeleton when that is
    ASCII, else UNMAPPED), filled on first sight, for ``str.translate``."""

    def __missing__(self, code: int) -> str:
        mapped = CHAR_TABLE[code]
        value = mapped if mapped.isascii() else UNMAPPED
        if len(self) < _CharTable.LIMIT:
            self[code] = value
        return value


_SCREEN_ERRORS = _ScreenErrors()


def _screen_errors(exc: UnicodeEncodeError):
    return exc.object[exc.start : exc.end].translate(_SCREEN_ERRORS), exc.end


codecs.register_error("countersign.screen", _screen_errors)


def screen_text(s: str) -> str:
    """The prescreen's reading of ``s``; same number of characters only for ASCII."""
    if s.isascii():
        return s.translate(SCREEN_TABLE)
    return s.encode("ascii", "countersign.screen").decode("ascii").translate(SCREEN_TABLE)


# Character classes, one for one: a letter "a", a digit "0", "@" and "!" as they are, "." for a
# separator that may stand inside a word, a gap for anything else. Searching this for
# short literal strings ("a0", "a.a") finds the places the prescreen looks at apart.
_CLASS_SEPARATORS = ".-_'*`"
CLASS_TABLE = {
    c: (
        "a"
        if chr(c).isalpha()
        else "0"
        if chr(c).isdigit()
        else chr(c)
        if chr(c) in "@!"
        else "."
        if chr(c) in _CLASS_SEPARATORS
        else GAP
    )
    for c in range(128)
}
_UNICODE_SEPARATORS = frozenset("\u2019\u2018\u2010\u2011\u2012\u2013\u2014\u00b7\u00b4")


class _ClassErrors(dict):
    """The character class of a non-ASCII character, filled on first sight."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch.isalpha() or unicodedata.category(ch) in _DELETE:
            value = "a"
        elif ch.isdigit():
            value = "0"
        elif ch in _UNICODE_SEPARATORS:
            value = "."
        else:
            value = GAP
        if len(self) < _CharTable.LIMIT:
            self[code] = value
        return value


_CLASS_ERRORS = _ClassErrors()


def _class_errors(exc: UnicodeEncodeError):
    return exc.object[exc.start : exc.end].translate(_CLASS_ERRORS), exc.end


codecs.register_error("countersign.classes", _class_errors)


def char_classes(s: str) -> str:
    """``s`` as character classes (see above), one for one."""
    if s.isascii():
        return s.translate(CLASS_TABLE)
    return s.encode("ascii", "countersign.classes").decode("ascii").translate(CLASS_TABLE)


# The folded reading, for the words a digit or a separator inside a word may rewrite
# (``compiler.readings``): the prescreen's reading with every vowel, every vowel digit
# and l and the "1" marker read as one letter, b and g (and 6, 8, 9) as one, and runs of
# a letter as one. A word that holds a term under any reading of its digits (a digit for
# any vowel, 6 for g, 9 for b) or with a run collapsed holds its folded form under this
# one; the converse does not hold, so it can only say where nothing is to be found.
_FOLD = str.maketrans("eioul" + MARK + "g", "aaaaaa" + "b")
_FOLD_RUNS_RE = re.compile(r"(.)(?=\1)")  # each letter that the same one follows


def fold(screened: str) -> str:
    """The folded reading of a string already read by ``screen_text`` (or a key)."""
    return _FOLD_RUNS_RE.sub("", screened.translate(_FOLD))
