"""Self-censored words (f*ck, sh*t, f**k) are still the word; stars elsewhere are not."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy.engine import compile_policy


def _banning(*terms: str):
    return compile_policy(
        [
            {
                "id": "swearing",
                "kind": "banned_terms",
                "severity": "block",
                "message": "Keep it clean.",
                "terms": list(terms),
            }
        ]
    )


POLICY = _banning("fuck", "fucking", "shit", "bitch", "asshole")


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


COMPOUNDS = _banning("g-spot", "foda-se", "vai-te foder", "blow job", "two girls one cup")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ans g-s*ot af", "g-s*ot"),
        ("the g-*pot", "g-*pot"),
        ("#g-s*ot!", "g-s*ot"),
        ("fo*a-se", "fo*a-se"),
        ("foda-*e mano", "foda-*e"),
        ("vai-te fod*r.", "vai-te fod*r"),
        ("a blow j*b", "blow j*b"),
        ("(bl*w j*b)", "bl*w j*b"),
        ("two girls one c*p", "two girls one c*p"),
        ("Two  Girls One C*P", "Two  Girls One C*P"),
    ],
)
def test_masked_terms_of_several_words_are_found(text, match):
    # a term of words joined by a hyphen or a space, a letter of one word starred
    # (found on a fresh seed of the outside-like corpus: "g-s*ot" was missed)
    for result in (COMPOUNDS.lint(text), COMPOUNDS.lint_many([text])[0]):
        assert [f.match for f in result.findings] == [match]


@pytest.mark.parametrize(
    "text",
    [
        "g-spo* deals",  # a footnote
        "g-s*ots",  # wrong length
        "blow j*bs",
        "slow j*b",  # letters disagree
        "vai-ta fod*r",
        "two girls, one c*p",  # not the term's words in a row
    ],
)
def test_other_starred_compounds_are_not_masks(text):
    assert not COMPOUNDS.lint(text).findings
    assert not COMPOUNDS.lint_many([text])[0].findings
