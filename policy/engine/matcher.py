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
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import ahocorasick

from policy.engine import normalize as nz

MAX_VARIANTS_PER_TERM = 512
_IL = frozenset(("i", "l", nz.MARK))


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
            leads = [(" # ", False)]
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


class TermAutomaton:
    """All patterns of all term rules of one policy."""

    def __init__(self):
        self._entries: dict[str, list[Entry]] = {}
        # Whether a pattern has a "#" after its start (a term like "go #team"): the
        # per-token fast path does not keep such patterns' matches (see normalize).
        self.interior_hash = False

    def add(self, slot: int, term: str) -> None:
        form = parse_term(term)
        if form is None:  # validation refuses these; be safe for direct callers
            return
        for key, required, trail, spelled in patterns(form):
            entry = Entry(slot, required, trail, spelled)
            bucket = self._entries.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)

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
