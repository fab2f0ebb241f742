"""The batch prescreen and the conditional readings: texts that cannot hold a term are
not linted the exact way, and nothing the exact way finds is lost."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.engine import compile_policy
from policy.engine.compiler import readings

TERMS = ["fuck", "shit", "muff diver", "dog style", "golden shower", "2 girls 1 cup", "wank*"]
POLICY = compile_policy(
    [{"id": "b", "kind": "banned_terms", "severity": "block", "message": "No.", "terms": TERMS}]
)

EVADED = [
    "what the f4ck",  # a digit for a vowel it does not look like
    "what the fuuu0ck",  # a digit making a run
    "total sh1t",
    "a muff diver",
    "a muuff diver",  # a run in the word beside the pattern word
    "a muff, diver",
    "d.og style again",  # a separator in the word beside the pattern word
    "golden sh3wer",  # a digit in the word beside the pattern word
    "golden $ shower",
    "#MuffDiver",
    "he said 2 girls 1 cup",
    "muff 🔥 diver",
    "fu.ck off",
    "w4nking",
    "what the fuuck",  # a letter written twice, not three times
    "ffuck this",
    "shiitt happens",  # two letters twice
    "a muff diiver",
    "ff uu cc kk",  # single letters written twice, spelled out
    "f u 😀 cc k",
    "s h ii t",
    "sh'1t happens",  # a separator before a digit
    "sh1.t happens",  # after one
    "fuuuck",  # a letter written three times is a run like any
    "a muff diiiver",
]
CLEAN = [
    "@designer46 loved the show https://shop.example.com/p?id=173888",
    "our camel walked by the golden gate",
    "meet @anna_99 at 10am, room 4455",
    "a good dog, in style",
    "v2.0 release notes: www.example.com/help-page",
    "a good book, feed the class, all week",  # everyday words with a doubled letter
    "@provost77 sooo good, #Ha4402 zzz",  # runs of three that no term collapses to
]


@pytest.mark.parametrize("text", EVADED + CLEAN)
def test_lint_many_gives_what_lint_gives(text):
    assert POLICY.lint_many([text, "hello"])[0] == POLICY.lint(text)


def test_the_evasions_are_found():
    assert all(r.blocked for r in POLICY.lint_many(EVADED))


def test_clean_texts_with_handles_links_and_numbers_are_not_linted_the_exact_way():
    # a digit next to a letter (a handle, a version), a number in a link, a pattern word
    # of a spelling of several words alone: none of these can hold a term
    assert POLICY._screen(CLEAN) == set()


def test_a_word_no_reading_can_change_into_a_term_gets_no_reading():
    text = "@designer46 loved it, see www.example.com/help-page"
    assert readings(text)  # digits and separators inside words
    assert readings(text, POLICY._relevant) == []
    evaded = "@designer46 says f4ck"
    assert any("fack" in r or "fuck" in r for r, _ in readings(evaded, POLICY._relevant))


WORDS = st.sampled_from(
    [
        *TERMS,
        *["f4ck", "fu0ck", "sh1t", "d.og", "sh3wer", "muuff", "di.ver", "w4nk", "#MuffDiver"],
        *["@bob46", "id=4455", "v2.0", "camel", "golden", "style", "dog", "girls", "1", "2"],
        *["www.example.com", "a-b", "🔥", "$", "|", ",", "x.y.z", "he'll", "gooood", "good"],
        *["$h1t", "sh!7", "f@4ck", "d0g's", "mu'ff", "g1rl$", "6o"],
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=8).map(" ".join), min_size=1, max_size=6))
def test_lint_many_gives_what_lint_gives_on_mixed_texts(texts):
    assert POLICY.lint_many(texts) == [POLICY.lint(t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "f4ck w4nk f4ck fuck f4ck",  # found by the property above: more than three digits
        "f4ck f4ck f4ck f4ck",
        "g4lden sh4wer and then x4ck f4ck m0ck l0ck",  # two words read together
    ],
)
def test_every_word_of_a_text_with_many_digits_is_read(text):
    expected = [w for w in text.split() if w in {"f4ck", "w4nk", "fuck"}]
    if "g4lden" in text:
        expected.insert(0, "g4lden sh4wer")
    assert [f.match for f in POLICY.lint(text).findings] == expected
    assert POLICY.lint_many([text]) == [POLICY.lint(text)]


def test_a_long_text_of_evasions_is_read_whole():
    words = ["f4ck", "sh1t", "w4nk", "g4lden sh4wer", "d0g", "m0ck"] * 400
    text = " ".join(words)
    found = POLICY.lint(text).findings
    assert len(found) == 400 * 4
    assert POLICY.lint_many([text]) == [POLICY.lint(text)]


READ = compile_policy(
    [
        {
            "id": "b",
            "kind": "banned_terms",
            "severity": "block",
            "message": "No.",
            "terms": [
                *["bdsm", "hell", "bastard", "big tits", "ball gag", "skairkdoump"],
                *["clitoris", "god damn", "worpla", "naejai", "annas"],
            ],
        }
    ]
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("bds'm night", ["bds'm"]),  # "'m" after a word other than I is a separator
        ("b@st1rd", ["b@st1rd"]),  # a digit for a vowel beside a leet symbol
        ("ska!rkdo4mp", ["ska!rkdo4mp"]),
        ("b4g t1ts", ["b4g t1ts"]),  # a word of two letters in a term of several words
        ("8all ga6", ["8all ga6"]),
        ("60d damn", ["60d damn"]),  # one letter, in a term of several words
        ("burr worp|0 if", ["worp|0"]),  # a digit beside a leet symbol
        ("on naej@4 on", ["naej@4"]),
        ("a clitori's map", ["clitori's"]),  # "'s" after no word
        ("Anna's day, it's here", []),  # a name's and a word's possessive stay
        ("he'll be fine", []),  # contractions stay
        ("I'm here, don't worry, it won't hurt", []),
        ("a b4g day at the office", []),  # two letters alone do not make a word
    ],
)
def test_readings_of_apostrophes_digits_beside_symbols_and_short_words(text, found):
    assert [f.match for f in READ.lint(text).findings] == found
    assert READ.lint_many([text]) == [READ.lint(text)]


def _banned(rule_id: str, *terms: str) -> dict:
    return {
        "id": rule_id,
        "kind": "banned_terms",
        "severity": "block",
        "message": "m",
        "terms": list(terms),
    }


def test_a_reading_finds_another_rules_term_where_the_text_as_written_finds_one():
    """f4ck is "fack" as written (4 as a) and "fuck" read: two rules, two findings, even in a
    text whose other words the prescreen finds too."""
    two = compile_policy([_banned("de", "fack"), _banned("en", "fuck")])
    for text in ["f4ck", "what the f4ck", "f4ck f4ck f4ck f4ck fack fuck"]:
        found = two.lint(text).findings
        assert {(f.rule, f.match) for f in found if f.match == "f4ck"} == {
            ("de", "f4ck"),
            ("en", "f4ck"),
        }
        assert two.lint_many([text]) == [two.lint(text)]


@pytest.mark.parametrize("text", ["a ss", "a😀ß", "a ß!", "what a ss", "a  ss", "@ss", "hi @ss!"])
def test_short_spellings_are_read_in_a_batch_too(text):
    """Normalisation joins "a" and "ss" (or "ß", read "ss") as it joins single letters,
    and "@" before letters that are no everyday word may be an a however few they are;
    the batch prescreen had let these through unread."""
    policy = compile_policy([_banned("b", "ass")])
    assert policy.lint(text).blocked
    assert policy.lint_many([text, "hello"])[0] == policy.lint(text)


def test_runs_and_separators_beside_digits_at_a_words_edge_are_read():
    # found by fuzzing lint_many against lint: a "!" for an i after a run ("shibaaar!!!":
    # the word's edge pattern, runs collapsed), a separator before a digit that stands for
    # a vowel ("#ukp'0litics"), digits read in a word whose separator was dropped
    policy = compile_policy(
        [
            {
                "id": "b",
                "kind": "banned_terms",
                "severity": "block",
                "message": "No.",
                "terms": ["shibari", "ukpolitics", "bastard"],
            }
        ]
    )
    for text in ["shibaaar!!! now", "#ukp'0litics", "#ukp'0liiiitics", "b'4stard", "b4.stard"]:
        [many, _] = policy.lint_many([text, "hello"])
        assert many == policy.lint(text) and many.blocked, text
