"""Everyday English words (``policy/data/dictionary``), to tell a stretched word from an
evasion: "gooood" is "good" said slowly, not "god"; and to keep generated misspellings
of a term from being real words ("rap" is not a spelling of "rape")."""

from __future__ import annotations

from functools import lru_cache

from policy.engine import normalize as nz


@lru_cache(maxsize=1)
def words() -> frozenset[str]:
    text = (nz.DATA_DIR / "dictionary" / "en.txt").read_text(encoding="ascii")
    return frozenset(text.split())


def is_word(word: str) -> bool:
    return word in words()


def may_fold(word: str, runs: str, index: int) -> bool:
    """Whether the repeated letter ``word[index]`` may stand for a single letter of a
    term: not when the word, with each repeated letter written twice, is an everyday
    word ("good" and "gooood" are "good", not "god"; "feed" is not "fed"), else yes
    ("fuuuck", "ffuck", "heell")."""
    if runs[index] == "1":
        return True
    known = words()
    for reading in _expand_marks(word):
        ordinary = "".join(
            ch * (1 if r == "1" else 2) for ch, r in zip(reading, runs, strict=False)
        )
        if ordinary in known:
            return False
    return True


def _expand_marks(word: str) -> list[str]:
    """A skeleton word with the i-or-l marker read both ways."""
    if nz.MARK not in word:
        return [word]
    return [word.replace(nz.MARK, "i"), word.replace(nz.MARK, "l")]
