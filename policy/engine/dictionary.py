"""Everyday English words (``policy/data/dictionary``), to tell a stretched word from an
evasion: "gooood" is "good" said slowly, not "god"; and to keep generated misspellings
of a term from being real words ("rap" is not a spelling of "rape")."""

from __future__ import annotations

import itertools
from functools import lru_cache

from policy.engine import normalize as nz


@lru_cache(maxsize=1)
def words() -> frozenset[str]:
    text = (nz.DATA_DIR / "dictionary" / "en.txt").read_text(encoding="ascii")
    return frozenset(text.split())


def is_word(word: str) -> bool:
    return word in words()


def _readings(word: str, runs: str) -> list[tuple[str, tuple[bool, ...]]]:
    """Each way of reading a collapsed word whose letters were repeated (``runs``: for
    each letter "1", "2" or "3" for three or more) with every repeated letter once or
    twice; with, for each letter, whether it is read twice."""
    spots = [i for i, r in enumerate(runs) if r != "1"]
    out = []
    for choice in itertools.product((1, 2), repeat=min(len(spots), 6)):
        doubled = dict(zip(spots, choice, strict=False))
        text = "".join(ch * doubled.get(i, 1) for i, ch in enumerate(word))
        out.append((text, tuple(doubled.get(i, 1) == 2 for i in range(len(word)))))
    return out


def may_fold(word: str, runs: str, index: int) -> bool:
    """Whether the repeated letter ``word[index]`` may stand for a single letter of a
    term. A letter written twice never does ("good" is not "god", "Twatt" is not
    "twat"): doubled letters are ordinary spelling. Three or more may ("fuuuck"),
    unless an everyday word has that letter doubled there ("gooood" is "good")."""
    if runs[index] != "3":
        return runs[index] == "1"
    known = words()
    for reading in _expand_marks(word):
        for text, doubled in _readings(reading, runs):
            if doubled[index] and text in known:
                return False
    return True


def _expand_marks(word: str) -> list[str]:
    """A skeleton word with the i-or-l marker read both ways."""
    if nz.MARK not in word:
        return [word]
    return [word.replace(nz.MARK, "i"), word.replace(nz.MARK, "l")]
