"""Term rules (banned terms, sensitive topics) as one Aho-Corasick automaton.

Every term is turned into skeleton *patterns* with ``normalize``'s own steps, so a
term and a text that look alike to a reader end up as the same string. A pattern is
the collapsed skeleton with a gap on each side, which makes a match a whole-word
match by construction: `` hel `` (hell) is never found inside `` helo `` (hello) or
`` shel `` (shell). Each pattern carries the positions where the term needs a
*repeated* letter (``ass`` needs two s), checked against the flags string.

Variants made per term:
- multi-word terms: every way of joining the words (``gotohell``, ``goto hell`` ...),
  but only at the start of a hashtag (``#gotohell``, ``#GoToHell`` as written): in
  running text the joined form would make "the rapist" match "therapist". Terms with
  a number as a word are not joined (``9/11`` must not match ``#911``);
- ``i``/``l``: each may also be the "1" marker (``sh1t``, ``he11``);
- a trailing ``*`` makes a prefix term (``fuck*`` matches ``fucking``);
- a leading ``#`` makes a hashtag-only term (``#prayfor*`` matches ``#PrayForParis`` and
  ``#prayforparis`` but not the words "pray for").

Respellings (``respellings``): phonetic and dropped-letter spellings of a term of a
banned_terms rule, made by a small set of rules (``PHONETIC_RULES``), one or two at a time
(not two that only write one vowel as another, in a word of under six letters), in one
word of the term at a time (``cok sucker``, ``pusse-crotte``; the others as written);
a result shorter than three letters is left out, and so is one that is an
everyday English word (``rap`` from "rape", ``pens`` from "penis") unless the term has
accents: it is then found only where the text shows one ("pêns" from "pênis"). A policy's
respellings are capped (``MAX_RESPELLINGS``; ``MAX_SEVERAL_RESPELLED`` patterns for terms
of several words) so that a policy at the file limits still compiles in seconds; past the
cap, later terms get the plain spellings only. (One separator inside a word and a digit
for a vowel are read on the text's side: see ``compiler.readings``.)
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, replace

import ahocorasick

from policy.engine import normalize as nz

MAX_VARIANTS_PER_TERM = 512
MAX_RESPELLINGS = 200_000
# and the patterns of the respellings of terms of several words (a word respelled in each
# of up to ~527 patterns of its term): a policy of the longest such terms at the limits
# compiles ~1 s slower, not ~5
MAX_SEVERAL_RESPELLED = 50_000
_IL = frozenset(("i", "l", nz.MARK))
VOWELS = "aeiou"


@dataclass(frozen=True, slots=True)
class TermForm:
    words: tuple[str, ...]  # skeleton words before repeated letters collapse
    hashtag: bool
    prefix: bool


@dataclass(frozen=True, slots=True)
class Entry:
    slot: int  # index of the compiled rule
    required: tuple[int, ...]  # offsets in the padded text that must be repeated letters
    trail: int  # 1 when the pattern ends with a gap (whole word), 0 for a prefix
    spelled: bool = False  # only when the text spells it out letter by letter
    singles: tuple[int, ...] = ()  # offsets of letters the term has once (not doubled)
    # a phonetic respelling: matched only where no letter is read once from a pair
    # (one evasion rule at a time: "stykku" is not "stykou" respelled with a k doubled)
    respelled: bool = False
    # a term whose letters without their accents make everyday words ("péter" is
    # "peter"): found only where the text shows one of these accented letters
    accents: str = ""
    # a respelling with a letter three times in a row ("kkken", kacken respelled): a run
    # of three in the text may be its own, not a double stretched (``compiler._stretched``)
    triples: bool = False
    several: bool = False  # a spelling of a term of several words


def parse_term(term: str) -> TermForm | None:
    raw = term.strip()
    prefix = raw.endswith("*")
    if prefix:
        raw = raw[:-1].rstrip()
    hashtag = raw.startswith("#")
    if hashtag:
        raw = raw.lstrip("#")
    # Lower-case first: a camel-cased term ("BlendCo") is one word, not "blend co".
    skeleton = nz.term_skeleton(raw.lower()).strip(" #")
    if not skeleton:
        return None
    return TermForm(tuple(skeleton.split(nz.GAP)), hashtag, prefix)


def term_is_empty(term: str) -> bool:
    return parse_term(term) is None


def _il_variants(s: str) -> list[str]:
    if "i" not in s and "l" not in s and nz.MARK not in s:
        return [s]
    positions = [i for i, ch in enumerate(s) if ch in _IL]
    options = [(s[i], nz.MARK) if s[i] != nz.MARK else ("i", "l", nz.MARK) for i in positions]
    total = 1
    for opt in options:
        total *= len(opt)
    if total <= 256:
        out = []
        for combo in itertools.product(*options):
            chars = list(s)
            for i, ch in zip(positions, combo, strict=True):
                chars[i] = ch
            out.append("".join(chars))
        return out
    all_mark = "".join(nz.MARK if ch in _IL else ch for ch in s)
    return [s, all_mark]


def patterns(form: TermForm) -> list[tuple[str, tuple[int, ...], int, bool]]:
    """(pattern, required repeated-letter offsets, trail, spelled) for one term."""
    words = form.words
    gaps = len(words) - 1
    if any(w.isdigit() for w in words):
        joins = [(nz.GAP,) * gaps]  # 9/11 must not become #911
    elif gaps <= 4:
        joins = list(itertools.product((nz.GAP, ""), repeat=gaps))
    else:
        joins = [(nz.GAP,) * gaps, ("",) * gaps]
    trail = "" if form.prefix else nz.GAP
    out: dict[tuple[str, tuple[int, ...], bool], None] = {}
    for join in joins:
        joined = words[0] + "".join(j + w for j, w in zip(join, words[1:], strict=True))
        # Words run together count as a hashtag (#gotohell), or when every letter is
        # spelled out (b.l.o.w y.o.u.r l.o.a.d is one run of single letters); a plain
        # word does not count: "the rapist" must not match "therapist".
        if "" not in join:
            leads = [(" # " if form.hashtag else nz.GAP, False)]
        else:
            # (not a hashtag of words run together into an everyday word: #hardcore is
            # not "hard core"; spelled out, t.h.e.r.a.p.i.s.t still is "the rapist")
            everyday = not any(join) and _everyday(joined)
            leads = [] if everyday else [(" # ", False)]
            if not form.hashtag and not any(join):
                leads.append((nz.GAP, True))
        for variant in _il_variants(joined):
            flagged = nz.flags(variant)
            for lead, spelled in leads:
                key = lead + nz.unflag(flagged) + trail
                required = tuple(
                    len(lead) + i for i, ch in enumerate(flagged) if ch in nz.FLAG_CHARS
                )
                out[(key, required, spelled)] = None
            if len(out) >= MAX_VARIANTS_PER_TERM:
                break
    return [(key, required, len(trail), spelled) for key, required, spelled in out]


_TRIPLE_RE = re.compile(r"(.)\1\1")


def _has_triple(spelling: str) -> bool:
    return _TRIPLE_RE.search(spelling) is not None


def _everyday(word: str) -> bool:
    from policy.engine.dictionary import is_word

    return is_word(word)


def _phonetic_once(word: str) -> set[str]:
    """Each rule of PHONETIC_RULES applied once to ``word``."""
    out = set()
    n = len(word)
    for i, c in enumerate(word):
        if c == "f":  # f -> ph: phuck
            out.add(word[:i] + "ph" + word[i + 1 :])
        if c in VOWELS and 0 < i < n - 1 and n >= 4:  # one vowel dropped: fck, sht
            out.add(word[:i] + word[i + 1 :])
        if c == "i" and i < n - 1 and word[i + 1] not in VOWELS:  # i -> ia: biatch, iadiot
            out.add(word[:i] + "ia" + word[i + 1 :])
    if "ck" in word:  # ck -> k, kk, q: fuk, fukk, fuq
        out.update(word.replace("ck", r) for r in ("k", "kk", "q"))
    elif "c" in word:  # a hard c -> k: kunt; every c -> k: khupa
        out.add(word.replace("c", "k"))
        out.add(
            "".join(
                "k" if c == "c" and word[i + 1 : i + 2] not in ("e", "i", "y", "h") else c
                for i, c in enumerate(word)
            )
        )
    if "ph" in word:  # ph -> f
        out.add(word.replace("ph", "f"))
    if word.endswith("er") and n > 4:  # -er -> -a, -ah: wanka
        out.update((word[:-2] + "a", word[:-2] + "ah"))
    if word.endswith("s") and n > 3:  # a final s -> z: titz
        out.add(word[:-1] + "z")
    if "ss" in word:  # a double s -> zz: azz, puzzy
        out.add(word.replace("ss", "zz"))
    if "x" in word:  # x -> ks or cks: seks, secks
        out.update((word.replace("x", "ks"), word.replace("x", "cks")))
    if word.endswith("y") and n > 3 and word[-2] not in VOWELS:  # a final y -> i, ie: pussi
        out.update((word[:-1] + "i", word[:-1] + "ie"))
    if word.endswith("ing") and n > 5:  # -ing -> -in, -n: fuckin, fuckn
        out.update((word[:-1], word[:-3] + "n"))
    out.discard(word)
    return out


PHONETIC_RULES = (
    "f -> ph",
    "one vowel dropped (not the first or last letter; words of four letters or more)",
    "i -> ia before a consonant",
    "ck -> k, kk or q; a hard c -> k, or every c -> k",
    "ph -> f",
    "a final -er -> -a or -ah",
    "a final s -> z",
    "a double s -> zz",
    "x -> ks or cks",
    "a final y after a consonant -> i or ie",
    "a final -ing -> -in or -n",
)


def phonetic_spellings(word: str, everyday: bool = False) -> list[str]:
    """Phonetic and dropped-letter spellings of one word (``PHONETIC_RULES``, one or two
    at a time), without words under three letters, and without everyday words (or only
    those, with ``everyday``)."""
    if len(word) < 3 or not word.isalpha() or not word.isascii():
        return []
    from policy.engine.dictionary import is_word

    once = _phonetic_once(word)
    found = set(once)
    pinned = len(word) >= SWAP_PINNED  # the rest of a long word pins it down: swastaka
    for w in once:  # and two changes: phuk, fcking
        found.update(w2 for w2 in _phonetic_once(w) if pinned or not _vowel_swapped(word, w2))
    found.discard(word)
    return sorted(w for w in found if len(w) >= 3 and is_word(w) == everyday)


SWAP_PINNED = 6  # letters a word needs for one vowel written as another to be read


def _vowel_swapped(word: str, spelling: str) -> bool:
    """Whether ``spelling`` is ``word`` with one vowel written as another: what two
    changes may make ("kimme" -> "kiamme" -> "kamme"). In a short word that is as likely
    another word; a word of ``SWAP_PINNED`` letters or more is pinned down by the rest
    ("swastika" -> "swastaka")."""
    if len(spelling) != len(word):
        return False
    differ = [(a, b) for a, b in zip(word, spelling, strict=True) if a != b]
    return len(differ) == 1 and differ[0][0] in VOWELS and differ[0][1] in VOWELS


def respellings(form: TermForm, phonetic: bool, accented: str = "") -> list[tuple[str, str]]:
    """The term's phonetic respellings (single-word terms of banned_terms rules), each
    with the accented letters a text must show for it to be found: none, or, for a
    respelling that is an everyday word, the term's own (``accented``: "ânus" respelled
    "âns" is the term, "ans" a word; a term without accents has no such respellings)."""
    if not phonetic or len(form.words) != 1:
        return []
    word = form.words[0]
    out = [(spelling, "") for spelling in phonetic_spellings(word)]
    if accented:
        out += [(spelling, accented) for spelling in phonetic_spellings(word, everyday=True)]
    return out


_NOT_RUN = frozenset("0123456789# ")


def _entry(slot: int, lead: str, variant: str, trail: int) -> tuple[str, Entry]:
    if not any(map(str.__eq__, variant, variant[1:])):  # no letter repeated: most
        base = len(lead)
        singles = tuple(base + i for i, ch in enumerate(variant) if ch in _SINGLE_LETTERS)
        return lead + variant + (nz.GAP if trail else ""), Entry(slot, (), trail, False, singles)
    flagged = nz.flags(variant)
    key = lead + nz.unflag(flagged) + (nz.GAP if trail else "")
    base = len(lead)
    required = tuple(base + i for i, ch in enumerate(flagged) if ch in nz.FLAG_CHARS)
    singles = tuple(base + i for i, ch in enumerate(flagged) if ch in _SINGLE_LETTERS)
    return key, Entry(slot, required, trail, False, singles)


_SCREEN_DIGITS = str.maketrans(nz.DIGIT_IMAGES)
_SINGLE_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz" + nz.MARK)


def _key_index(words: list[str]) -> int:
    """Which word of a spelling is its prescreen pattern: the longest, an everyday one
    only when all are, a number only when all are (the prescreen reads digits as
    letters, so "5" would be the pattern "s")."""
    from policy.engine.dictionary import is_word

    return max(
        range(len(words)),
        key=lambda i: (not words[i].isdigit(), not is_word(words[i]), len(words[i])),
    )


def _screen_key(spelling: str, prefix: bool) -> str:
    """The prescreen's pattern for a spelling: its longest word, uncollapsed, between
    gaps (no gap after the last word of a prefix term)."""
    if nz.GAP not in spelling:
        return nz.GAP + spelling.translate(_SCREEN_DIGITS) + ("" if prefix else nz.GAP)
    words = spelling.split(nz.GAP)
    k = _key_index(words)
    word = words[k].translate(_SCREEN_DIGITS)  # as the prescreen reads digits
    return nz.GAP + word + ("" if prefix and k == len(words) - 1 else nz.GAP)


def _pair_key(spelling: str, prefix: bool) -> str:
    """The batch prescreen's pattern for a spelling of several words: its pattern word
    (``_key_index``) and the word beside it, one gap between them."""
    words = spelling.split(nz.GAP)
    k = _key_index(words)
    if k == 0:
        j = 1
    elif k == len(words) - 1:
        j = k - 1
    else:
        j = max((k - 1, k + 1), key=lambda i: (not words[i].isdigit(), len(words[i])))
    a, b = min(j, k), max(j, k)
    pair = f"{words[a]}{nz.GAP}{words[b]}".translate(_SCREEN_DIGITS)
    return nz.GAP + pair + ("" if prefix and b == len(words) - 1 else nz.GAP)


def _word_key(word: str, prefix: bool) -> str:
    return nz.GAP + word.translate(_SCREEN_DIGITS) + ("" if prefix else nz.GAP)


def _accented(term: str) -> str:
    """The letters of ``term`` written with accents (or of other scripts)."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFC", term.casefold())
        if ch.isalpha() and not ch.isascii()
    )


def _accents(term: str, form: TermForm) -> str:
    """The accented letters a text must show for ``term`` to be found, when its words
    without their accents are everyday words (else none: "putain" is no English word)."""
    from policy.engine.dictionary import is_word

    accented = _accented(term)
    if not accented or not all(is_word(word) for word in form.words):
        return ""
    return accented


class TermAutomaton:
    """All patterns of all term rules of one policy, and the prescreen's patterns (see
    ``CompiledPolicy.lint_many``)."""

    def __init__(self):
        self._entries: dict[str, list[Entry]] = {}
        self.screen: set[str] = set()  # the prescreen's patterns
        # In a batch the prescreen reads a multi-word spelling by two of its words in a
        # row (``pairs``); its one word (in ``screen``) is for the words read apart.
        # ``solo``: the patterns of one-word spellings.
        self.solo: set[str] = set()
        self.pairs: set[str] = set()
        # those of spellings as written, not respelled: the only ones a leet symbol at a
        # word's edge (@rsehole, naz!) may complete (a respelling is never read on top of
        # a symbol's reading: one evasion rule at a time)
        self.edged: set[str] = set()
        self.edged_pairs: set[str] = set()
        # every word of every spelling, between gaps as in ``screen`` (the last word of a
        # prefix term without its closing gap): what a rewritten word must hold for a
        # reading of it to find anything (``compiler.readings``)
        self.words: set[str] = set()
        self.joined_words: set[str] = set()  # those of the spellings of several words
        # for the pattern of a spelling of several words, the other words of the spelling
        # (as in ``words``): what a reading must make for the spelling to stand
        self.partners: dict[str, set[str]] = {}
        # whether a term's prescreen pattern is a word of digits alone (9/11)
        self.digit_words = False
        self.respelled = 0
        self.several_respelled = 0  # patterns (``MAX_SEVERAL_RESPELLED``)
        # Whether a pattern has a "#" after its start (a term like "go #team"): the
        # per-token fast path does not keep such patterns' matches (see normalize).
        self.interior_hash = False

    def _put(self, key: str, entry: Entry) -> None:
        bucket = self._entries.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)

    def add(self, slot: int, term: str, phonetic: bool = False) -> None:
        form = parse_term(term)
        if form is None:  # validation refuses these; be safe for direct callers
            return
        self._add_form(slot, form, _accents(term, form))
        if self.respelled >= MAX_RESPELLINGS:
            return
        if phonetic and len(form.words) > 1:
            # a term of several words: one word respelled, the others as written
            # ("cok sucker", "blw job", "pusse-crotte")
            for k, word in enumerate(form.words):
                for spelling in phonetic_spellings(word):
                    if self.several_respelled >= MAX_SEVERAL_RESPELLED:
                        return
                    words = (*form.words[:k], spelling, *form.words[k + 1 :])
                    self.several_respelled += self._add_form(
                        slot, replace(form, words=words), "", respelled=True
                    )
            return
        self._add_respellings(slot, term, form, phonetic)

    def _add_form(self, slot: int, form: TermForm, accents: str, respelled: bool = False) -> int:
        """A spelling's patterns (``patterns``) and the prescreen's; how many patterns."""
        found = patterns(form)
        for key, required, trail, spelled in found:
            singles = tuple(
                i for i, ch in enumerate(key) if ch in _SINGLE_LETTERS and i not in required
            )
            self._put(
                key,
                Entry(
                    slot,
                    required,
                    trail,
                    spelled,
                    singles,
                    respelled,
                    accents=accents,
                    triples=respelled and _has_triple(" ".join(form.words)),
                    several=len(form.words) > 1,
                ),
            )
        screen = self.screen
        words = form.words
        self.digit_words = self.digit_words or words[_key_index(list(words))].isdigit()
        solo = self.solo
        for variant in _il_variants(nz.GAP.join(form.words)):
            key = _screen_key(variant, form.prefix)
            screen.add(key)
            if not respelled:
                self.edged.add(key)
            if len(words) == 1:
                solo.add(key)
            else:
                pair = _pair_key(variant, form.prefix)
                self.pairs.add(pair)
                if not respelled:
                    self.edged_pairs.add(pair)
                parts = variant.split(nz.GAP)
                k = _key_index(parts)
                self.partners.setdefault(key, set()).update(
                    _word_key(w, form.prefix and i == len(parts) - 1)
                    for i, w in enumerate(parts)
                    if i != k
                )
        if (
            len(form.words) > 1
            and not any(w.isdigit() for w in form.words)
            and not _everyday("".join(form.words))
        ):
            key = _screen_key("".join(form.words), form.prefix)
            screen.add(key)
            solo.add(key)
            if not respelled:
                self.edged.add(key)
            self.words.add(_word_key("".join(form.words), form.prefix))
        last = len(form.words) - 1
        self.words.update(_word_key(w, form.prefix and k == last) for k, w in enumerate(form.words))
        if last:
            self.joined_words.update(
                _word_key(w, form.prefix and k == last) for k, w in enumerate(form.words)
            )
        return len(found)

    def _add_respellings(self, slot: int, term: str, form: TermForm, phonetic: bool) -> None:
        """A one-word term's phonetic respellings (``respellings``)."""
        screen, solo = self.screen, self.solo
        lead = " # " if form.hashtag else nz.GAP
        trail = 0 if form.prefix else 1
        for spelling, shown in respellings(form, phonetic, _accented(term)):
            marked = "".join(nz.MARK if ch in _IL else ch for ch in spelling)
            self.words.add(_word_key(spelling, form.prefix))
            for variant in (spelling, marked) if marked != spelling else (spelling,):
                key, entry = _entry(slot, lead, variant, trail)
                triples = _has_triple(variant)
                self._put(key, replace(entry, respelled=True, accents=shown, triples=triples))
                key = _screen_key(variant, form.prefix)
                screen.add(key)
                solo.add(key)
                self.respelled += 1

    def build(self) -> ahocorasick.Automaton | None:
        if not self._entries:
            return None
        automaton = ahocorasick.Automaton()
        for key, entries in self._entries.items():
            automaton.add_word(key, (len(key), tuple(entries)))
            self.interior_hash = self.interior_hash or "#" in key[2:]
        automaton.make_automaton()
        self._entries = {}
        return automaton
