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


def may_fold(word: str, runs: str, index: int, reading: list[int]) -> bool:
    """Whether the repeated letter ``word[index]`` may stand for a single letter of a
    term. ``reading``: for each letter of the word, how many times the term reads it (1
    or 2). Not when writing that letter twice in the term's reading makes an everyday
    word ("gooood" and "good" are "good", not "god"; "helloooo" is "hello", not "helo"),
    else yes ("fuuuck", "ffuck", "heell")."""
    if runs[index] == "1":
        return True
    known = words()
    # the other letters the term reads once but the text repeats: once or twice
    others = [i for i, r in enumerate(runs) if r != "1" and reading[i] == 1 and i != index]
    for choice in itertools.product((1, 2), repeat=min(len(others), 4)):
        doubled = list(reading)
        doubled[index] = 2
        for i, n in zip(others, choice, strict=False):
            doubled[i] = n
        for spelled in _expand_marks(word):
            if "".join(ch * n for ch, n in zip(spelled, doubled, strict=False)) in known:
                return False
    return True


def _expand_marks(word: str) -> list[str]:
    """A skeleton word with the i-or-l marker read both ways."""
    if nz.MARK not in word:
        return [word]
    return [word.replace(nz.MARK, "i"), word.replace(nz.MARK, "l")]
