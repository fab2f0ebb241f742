"""Self-censored words (f*ck, sh*t, f**k) are still the word; stars elsewhere are not."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy.engine import compile_policy

POLICY = compile_policy(
    [
        {
            "id": "swearing",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Keep it clean.",
            "terms": ["fuck", "fucking", "shit", "bitch", "asshole"],
        }
    ]
)


@pytest.mark.parametrize(
    "text",
    ["what the f*ck", "F**K this", "sh*t happens", "f*** off", "a**hole", "b*tch!", "#f*cking"],
)
def test_masked_words_are_found(text):
    result = POLICY.lint(text)
    assert result.blocked
    for f in result.findings:
        assert text[f.start : f.end] == f.match
        assert "*" in f.match


@pytest.mark.parametrize(
    "text",
    [
        "Terms apply*",
        "free* shipping",
        "*bold* move",
        "**Sale** now on",
        "Rated 5*5",
        "fork*** off",  # wrong length
        "f*nk music",  # letters disagree
        "s*",
    ],
)
def test_other_stars_are_not_masks(text):
    assert not POLICY.lint(text).findings


@given(st.text(alphabet="fuckshit*abo .#!", max_size=40))
def test_spans_stay_valid_with_stars(text):
    for f in POLICY.lint(text).findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start : f.end] == f.match
