"""The per-token fast path (policy/engine/summaries.py) answers exactly what the whole
text, linted the exact way, answers: same findings, same spans, same order."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.engine import bench, compile_policy, starter_rules
from policy.engine.summaries import TokenSummaries

RULES = [
    {
        "id": "banned",
        "kind": "banned_terms",
        "severity": "block",
        "message": "Banned.",
        "terms": ["fuck", "shit", "ass", "hell", "go to hell", "blow your load", "fuck*", "tit"],
    },
    {
        "id": "topics",
        "kind": "sensitive_topics",
        "severity": "warn",
        "message": "Topic.",
        "terms": ["9/11", "#prayfor*", "election day", "mass shooting", "#gotohell"],
    },
    {
        "id": "brand",
        "kind": "brand_spelling",
        "severity": "warn",
        "message": "Write KitchenAid.",
        "canonical": "KitchenAid",
    },
    {
        "id": "brand2",
        "kind": "brand_spelling",
        "severity": "warn",
        "message": "Write Coca-Cola.",
        "canonical": "Coca-Cola",
    },
    {
        "id": "disclose",
        "kind": "required_terms",
        "severity": "block",
        "message": "Say #ad.",
        "any_of": ["#ad"],
        "categories": ["sponsored"],
    },
    *[
        {
            "id": f"max-{what}",
            "kind": "max_count",
            "severity": "warn",
            "message": f"Too many {what}.",
            "what": what,
            "max": 1,
        }
        for what in ("hashtags", "mentions", "links", "emoji")
    ],
    {
        "id": "links",
        "kind": "link_domains",
        "severity": "block",
        "message": "Our sites only.",
        "allow": ["kitchenaid.com"],
    },
]

# Pieces that stress what crosses a token's edge: single letters to join, lone leet
# symbols, camel-case hashtags next to words, brand spellings split by whitespace,
# links, mentions, emoji, self-censoring stars.
PIECES = [
    "f",
    "u",
    "c",
    "k",
    "f.u",
    "c.k",
    "s",
    "h",
    "i",
    "t",
    "|",
    "!",
    "!!",
    "$",
    "@",
    "1",
    "I",
    "a",
    "ff",
    "5",
    "#",
    "#GoTo",
    "#GoToHell",
    "#gotohell",
    "Hell",
    "hell",
    "go",
    "to",
    "#PrayForParis",
    "pray",
    "for",
    "9/11",
    "#911",
    "Kitchen",
    "Aid",
    "K",
    "itchen",
    "KitchenAid",
    "Kitchen-Aid",
    "#KitchenAid",
    "kitchenaid.com",
    "kit",
    "Coca",
    "Cola",
    "Coca-Cola",
    "https://evil.example/x",
    "www.kitchenaid.com/a",
    "@kitchenaid",
    "a@b.co",
    "🔥",
    "👩\u200d🍳",
    "🇫🇷",
    "ass",
    "as",
    "asss",
    "class",
    "sh1t",
    "5h!t",
    "$h1t",
    "f*ck",
    "f**k",
    "*",
    "e.g.",
    "U.S.",
    "blow",
    "your",
    "load",
    "b.l.o.w",
    "y.o.u.r",
    "l.o.a.d",
    "fuuuck",
    "fück",
    "ｆｕｃｋ",
    "ⓕⓤⓒⓚ",
    "fu\u200bck",
    "#ad",
    "election",
    "day",
    "tit",
    "titles",
    "Scunthorpe",
    "(Kitchen",
    "Aid)",
    "—",
    "&",
    "über",
    "жопа",
    "test",
]
SPACES = [" ", "  ", "\n", "\t", " \u3000"]


@st.composite
def texts(draw):
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
    glue = draw(st.lists(st.sampled_from(SPACES), min_size=len(pieces), max_size=len(pieces)))
    return "".join(p + g for p, g in zip(pieces, glue, strict=True)).strip()


def _both_ways(policy, text, **scope):
    policy.lint(text, **scope)  # learns the tokens
    fast = policy.lint(text, **scope)
    exact = policy.lint(text, **scope, fast=False)
    return fast.to_dict(), exact.to_dict()


POLICY = compile_policy(RULES)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(), st.sampled_from([None, "sponsored"]))
def test_the_fast_path_answers_as_the_whole_text_does(text, category):
    fast, exact = _both_ways(POLICY, text, category=category)
    assert fast == exact


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_the_fast_path_answers_as_the_whole_text_does(text):
    fast, exact = _both_ways(POLICY, text)
    assert fast == exact


def test_the_benchmark_corpus_and_the_starter_policy_agree_both_ways():
    rng = random.Random(7)
    terms = bench.build_terms(300, rng)
    policy = compile_policy(bench.build_policy(terms))
    starter = compile_policy(starter_rules())
    corpus = bench.build_corpus(1500, terms, rng)
    corpus += [(bench.scunthorpe_post(rng), "scunthorpe", 0, 0) for _ in range(200)]
    for text, *_ in corpus:
        for compiled in (policy, starter):
            fast, exact = _both_ways(compiled, text, channel="@kitchenaid")
            assert fast == exact, text


def test_a_split_brand_spelling_is_found_across_tokens():
    policy = compile_policy(RULES)
    for text in ["Our Kitchen Aid mixer", "K i t c h e n A i d", "Kit chen Aid rocks"]:
        policy.lint(text)
        assert [f.rule for f in policy.lint(text).findings] == ["brand"], text


def test_spelled_out_words_across_tokens_are_found_once_the_tokens_are_known():
    policy = compile_policy(RULES)
    for text in [
        "what the f u c k",
        "f.u c.k this",
        "s h ! t happens",
        "h e | | yes",
        "go to #hell",
    ]:
        policy.lint(text)
        assert policy.lint(text).blocked, text


def test_a_text_of_many_unseen_tokens_is_linted_the_exact_way_and_learnt_on_a_second_look():
    policy = compile_policy(RULES)
    words = [f"word{i}x" for i in range(200)]
    text = " ".join(words) + " fuck"
    assert policy.lint(text).blocked
    assert len(policy._summaries) == 0  # seen once: only remembered as seen
    assert policy.lint(text).blocked
    assert len(policy._summaries) == TokenSummaries.MAX_NEW
    assert policy.lint(text).blocked


def test_a_few_new_tokens_are_learnt_at_once():
    policy = compile_policy(RULES)
    policy.lint("hello there")
    assert len(policy._summaries) == 2
    assert policy._summaries.summary("hello there") is not None


def test_long_tokens_are_not_kept():
    policy = compile_policy(RULES)
    long_token = "a" * (TokenSummaries.MAX_TOKEN + 1)
    assert not policy.lint(f"{long_token} hello").findings
    assert long_token not in policy._summaries._map


def test_the_token_table_stays_bounded(monkeypatch):
    monkeypatch.setattr(TokenSummaries, "LIMIT", 50)
    policy = compile_policy(RULES)
    for i in range(40):
        policy.lint(" ".join(f"w{i}x{j}" for j in range(10)) + " shit")
        assert len(policy._summaries) <= 50
    assert policy.lint("w1x1 shit").blocked


def test_a_term_with_a_hash_after_its_first_word_turns_the_fast_path_off():
    rules = [dict(RULES[0], terms=["go #team"])]
    policy = compile_policy(rules)
    assert policy._summaries is None
    assert policy.lint("let's go #team").blocked
