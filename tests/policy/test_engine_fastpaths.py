"""The engine's shortcuts give the same answers as the plain ways they replace."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policy.engine import brand as brand_mod
from policy.engine import entities
from policy.engine import normalize as nz

PIECES = st.sampled_from(
    [
        *"ab1I05$@!|#._-/:( \n\t",
        *["2024", "4455", "5pm", "$50", "10am", "a55", "sh1t", "he!!", "@bob", "x!"],
        *["é", "е", "ⓕ", "ｆ", "ß", "😀", "🇫🇷", "\u200b", "\u0301", "\u3002", "ж", "²", "\ud800"],
        *["https://", "www.", ".com", "example", "KitchenAid", "#GoToHell"],
    ]
)
texts = st.lists(PIECES, max_size=40).map("".join)


def _plain_leet(s: str) -> str:
    """Step 6 as first written: every word with a leet character goes through
    ``_leet_word``, numbers included."""
    parts, last = [], 0
    m = nz.LEET_CHAR_RE.search(s)
    while m is not None:
        i = m.start()
        start, end = s.rfind(nz.GAP, 0, i), s.find(nz.GAP, i)
        parts += [s[last:start], nz._leet_word(s[start:end])]
        last = end
        m = nz.LEET_CHAR_RE.search(s, end)
    parts.append(s[last:])
    return "".join(parts)


def _plain_host_start(text: str, end: int) -> int:
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-_.\u3002\uff0e\uff61"):
        start -= 1
    return start


@settings(max_examples=500, deadline=None)
@given(texts)
def test_leet_skips_numbers_without_changing_the_result(text):
    s = nz.GAPS_RE.sub(nz.GAP, nz._edges(nz.translate(f" {text} ")).replace("#", " # "))
    s = nz.CHAIN_RE.sub(nz._join_chain, s)
    assert nz._leet(s) == _plain_leet(s)


@settings(max_examples=500, deadline=None)
@given(texts, st.data())
def test_host_start_matches_the_character_walk(text, data):
    end = data.draw(st.integers(0, len(text)))
    assert entities._host_start(text, end) == _plain_host_start(text, end)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_shared_non_ascii_runs_give_the_same_answers(text):
    runs = nz.non_ascii_runs(text)
    assert brand_mod.has_latin_alikes(text, runs) == brand_mod.has_latin_alikes(text)
    assert entities.find_emoji(text, runs) == entities.find_emoji(text)


def test_host_characters_are_the_same_for_the_regex_and_the_walk():
    word = re.compile(r"\w")
    for code in range(0x110000):
        ch = chr(code)
        assert bool(word.match(ch)) == (ch.isalnum() or ch == "_"), hex(code)
