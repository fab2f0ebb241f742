"""Long fuzz runs of the policy engine, outside the test suite (``make fuzz``).

Each asks that two ways of linting agree on generated text: ``lint_many`` (the batch
path of ``policy_lint --jsonl``, with its prescreen) against ``lint``, and ``lint``'s
token-summary fast path against the exact one (``fast=False``). A text the prescreen let
through with something ``lint`` finds there is a post answered clean. Every failure
found so far became a case in ``tests/policy``; run this after changing the engine.
``FUZZ_SCALE`` (default 1) multiplies the number of examples: 1 is ~170,000 texts, ~9
minutes on 2 CPUs.
"""

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.engine import corpus as cp
from policy.engine.compiler import compile_policy
from policy.engine.starter import starter_rules
from tests.policy.test_engine_batch_screen import POLICY
from tests.policy.test_engine_batch_screen import TERMS as BATCH_TERMS
from tests.policy.test_engine_properties import FULL, STARTER, tricky_text


def _scale() -> float:
    raw = os.environ.get("FUZZ_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale < 1_000:
        pytest.exit(
            f"FUZZ_SCALE must be a number above 0 and below 1000 (1: the full run), not {raw!r}", 2
        )
    return scale


SCALE = _scale()
POLICIES = (FULL, STARTER, POLICY)


def _settings(examples: int):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def assert_batch_agrees(text: str, policies=POLICIES) -> None:
    for policy in policies:
        assert policy.lint_many([text, "x"])[0] == policy.lint(text), text


# --- characters and pieces that normalisation treats specially, in any order ------------

_PIECES = [*"abcdefhiklmnorstuxyz0123456789@$!|#._-*' "]
_PIECES += ["https://", "www.", ".com/", "f.u.c.k", "sh1t", "a ", "I ", "b i t c h", "\u200b"]
_PIECES += ["é", "Ⓐ", "!!", "’", "ß", "\n", "😂", "ss", "uu", "ff", "  ", "ﬁ", "æ", "Ａ", "ı", "İ"]
PIECES = st.sampled_from(_PIECES)


@_settings(30_000)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_pieces(text):
    assert_batch_agrees(text)


@_settings(15_000)
@given(tricky_text)
def test_tricky_text(text):
    assert_batch_agrees(text)


# --- the words of terms of several words, with separators, leet and doubled letters ----

_WORDS = ["muff", "diver", "golden", "shower", "2", "girls", "1", "cup", "dog", "style"]
_WORDS += ["fuck", "shit", "wank", "ing", "a", "i", "the", "m", "u", "f", "d"]
_SEPARATORS = [" ", "  ", ".", "-", "_", "'", "*", "", "#", "@", "!", "$", "|", "\n"]
_SEPARATORS += ["😀", "\u200b", "’"]
_LEET = str.maketrans("aeiosug", "4310509")


def _evasions(words: list[str], forms) -> st.SearchStrategy[str]:
    """A word of ``words`` written one of the ways ``forms(word)`` lists."""
    return st.sampled_from(words).flatmap(lambda w: st.sampled_from(forms(w)))


def _joined(words: st.SearchStrategy[str], separators: list[str], most: int):
    """Up to ``most`` of ``words``, each followed by one of ``separators``."""
    return st.lists(st.tuples(words, st.sampled_from(separators)), max_size=most).map(
        lambda pairs: "".join(a + b for a, b in pairs)
    )


words_text = _joined(
    _evasions(
        _WORDS,
        lambda w: [
            w,
            w.upper(),
            w.capitalize(),
            w.translate(_LEET),
            w[:1] + w[1:].replace(w[1:2], w[1:2] * 2, 1),
        ],
    ),
    _SEPARATORS,
    8,
)


@_settings(40_000)
@given(words_text)
def test_term_words(text):
    assert_batch_agrees(text)


@_settings(20_000)
@given(st.one_of(words_text, tricky_text))
def test_fast_path_is_exact(text):
    for policy in POLICIES:
        assert policy.lint(text) == policy.lint(text, fast=False), text


# --- a 1,000-term policy of the outside-like corpus, its words evaded -------------------

_OUTSIDE_TERMS, _OUTSIDE_POSTS = cp.outside_corpus(5, 400, 1000)  # a tuning seed
BIG = compile_policy(
    [
        {
            "id": "b",
            "kind": "banned_terms",
            "severity": "block",
            "message": "x",
            "terms": _OUTSIDE_TERMS,
        }
    ]
)
_BIG_WORDS = [w for t in _OUTSIDE_TERMS for w in t.split()][:600]
_BIG_WORDS += [w for t, *_ in _OUTSIDE_POSTS for w in t.split()][:600]
_BIG_SEPARATORS = [" ", "  ", ".", "-", "_", "'", "*", "", "#", "@", "!", "$", "|", "😀"]
_BIG_SEPARATORS += ["\u200b", "4", "0", "1", "3", "ß"]
_BIG_LEET = str.maketrans("aeiosg", "431059")

big_text = _joined(
    _evasions(
        _BIG_WORDS,
        lambda w: [
            w,
            w.upper(),
            w.capitalize(),
            w.translate(_BIG_LEET),
            w[:2] + w[2:].translate(_BIG_LEET),
            " ".join(w),
            ".".join(w),
            w[:1] + "*" * (len(w) - 2) + w[-1:],
            w[:3] + w[3:4] * 2 + w[4:],
        ],
    ),
    _BIG_SEPARATORS,
    6,
)


@_settings(25_000)
@given(big_text)
def test_big_policy(text):
    assert_batch_agrees(text, (BIG,))
    assert BIG.lint(text) == BIG.lint(text, fast=False), text


# --- the starter lists' words with runs, leet runs, digits and separators ---------------

_STARTER_WORDS = sorted(
    {w for t in BATCH_TERMS for w in t.split()}
    | {w for rule in starter_rules() for t in rule.get("terms", []) for w in t.split()}
)
_LEET_RUNS = {"a": "4@", "e": "3", "i": "1!|", "o": "0", "s": "5$", "t": "7", "l": "1|"}
_LEET_RUNS |= {"b": "8", "g": "9"}
_FILL = ["hi", "a", "I", "good", "www.site.com", "https://x.io/a?id=123", "#TagHere", "🔥"]
_FILL += ["2024", "sooo", "zzz", "hmmm", "brrr", "ok!!!", "x"]


def _evaded(rng: random.Random, word: str) -> str:
    chars = list(word)
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.45:
            chars[k] = chars[k] * rng.randint(3, 5)
        elif roll < 0.7 and chars[k].lower() in _LEET_RUNS:
            chars[k] = rng.choice(_LEET_RUNS[chars[k].lower()]) * rng.randint(1, 3)
        elif roll < 0.8:
            chars[k] += rng.choice("0123456789")
        elif roll < 0.9:
            chars[k] = chars[k].upper() * 3
        else:
            chars[k] += rng.choice(".-_*'")
    out = "".join(chars)
    if rng.random() < 0.2:
        out = "#" + out
    if rng.random() < 0.2:
        out = "@" + out + str(rng.randint(1, 99))
    return out


@st.composite
def runs_text(draw):
    rng = random.Random(draw(st.integers(0, 10**9)))
    parts = [
        _evaded(rng, rng.choice(_STARTER_WORDS)) if rng.random() < 0.5 else rng.choice(_FILL)
        for _ in range(rng.randint(1, 6))
    ]
    return rng.choice([" ", "  ", ", ", "\n"]).join(parts)


@_settings(40_000)
@given(runs_text())
def test_runs_and_leet_runs(text):
    assert_batch_agrees(text)
