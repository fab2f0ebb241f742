"""The newsjacking guard in the engine: hashtags nobody vetted, sensitive moments, disaster
terms that block in a promotion, presets; the incidents replayed and the ordinary posts."""

from __future__ import annotations

import pytest

from policy.engine import PolicyFormatError, compile_policy, parse_policy_yaml, validate_rules
from policy.engine import newsjack_corpus as corpus
from policy.engine.compiler import LintResult
from policy.engine.guard import GuardedPolicy, LintContext, Moment, compile_moments
from policy.engine.hashtags import tag_key, vocabulary_keys
from policy.engine.presets import PRESETS, apply_preset, preset_rules
from policy.engine.promo import promotion
from policy.engine.starter import starter_rules
from policy.training import generator

GENERAL = GuardedPolicy(compile_policy(preset_rules("general")))
VOCAB = vocabulary_keys(["#BakingDay", "#SummerSale"])


def lint(text, *, category=None, vocabulary=VOCAB, moments=()):
    policy = GENERAL.with_context(LintContext(vocabulary, compile_moments(moments)))
    result = policy.lint(text, category=category)
    for f in result.findings:
        assert text[f.start : f.end] == f.match, f
    return result


# --- hashtags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("#WhyIStayed", "#whyistayed"),
        ("#WhyIStayed", "#WHYISTAYED"),
        ("#WhyIStayed", "#Whyіstayed"),  # Cyrillic і
        ("#notguilty", "#not_guilty"),
        ("#Café", "#cafe"),
        ("#Sandy", "#ＳＡＮＤＹ"),
    ],
)
def test_spellings_of_a_tag_share_a_key(a, b):
    assert tag_key(a) == tag_key(b) != ""


def test_tags_that_differ_do_not_share_a_key():
    assert tag_key("#Sandy") != tag_key("#Sandy2012")
    assert tag_key("#notguilty") != tag_key("#guilty")
    assert tag_key("#") == "" and tag_key(None) == ""


def test_a_hashtag_outside_the_vocabulary_is_a_warning_on_the_tag():
    text = "Who's #notguilty about eating all the treats? #BakingDay #bakingday"
    result = lint(text)
    assert not result.blocked
    [finding] = result.findings
    assert finding.rule == "new-hashtags" and finding.severity == "warn"
    assert finding.match == "#notguilty"
    assert finding.message == (
        "#notguilty has not been used by this brand: check what it is about before you post"
    )


def test_a_look_alike_spelling_of_a_vetted_tag_is_vetted_and_of_a_new_one_is_new():
    assert lint("#ВakingDay time").findings == []  # Cyrillic В
    assert [f.match for f in lint("#WhyІStayed").findings] == ["#WhyІStayed"]


def test_without_a_vocabulary_the_hashtags_rule_does_not_run():
    assert lint("#WhyIStayed You had pizza.", vocabulary=None).findings == []


def test_known_tags_disclosure_tags_and_tags_in_links_are_fine():
    assert lint("Our new mixer #ad #Sponsored https://example.com/#anchor").findings == []
    policy = GuardedPolicy(
        compile_policy(
            [
                {"id": "t", "kind": "hashtags", "severity": "warn", "message": "{tag}?"},
                {
                    "id": "d",
                    "kind": "required_terms",
                    "severity": "block",
                    "message": "m",
                    "any_of": ["#collab"],
                },
            ]
        )
    )
    result = policy.with_context(LintContext(frozenset())).lint("Hello #Collab #new")
    assert [(f.match, f.message) for f in result.findings] == [("#new", "#new?")]


def test_hashtags_rules_keep_their_scope():
    policy = GuardedPolicy(
        compile_policy(
            [
                {
                    "id": "t",
                    "kind": "hashtags",
                    "severity": "block",
                    "message": "m",
                    "channels": ["@brand"],
                }
            ]
        )
    ).with_context(LintContext(frozenset()))
    assert policy.lint("#new", channel="@brand").blocked
    assert not policy.lint("#new", channel="@other").findings


def test_the_policy_file_takes_the_hashtags_kind_and_when_promotional():
    rules = parse_policy_yaml(
        "rules:\n"
        "  - {id: t, kind: hashtags, severity: warn, message: '{tag} is new', known: [ad, '#x']}\n"
        "  - {id: d, kind: sensitive_topics, severity: warn, message: m, terms: [storm],"
        " when_promotional: block}\n"
    )
    assert rules[0]["known"] == ["#ad", "#x"]
    assert rules[1]["when_promotional"] == "block"
    for bad in (
        {"id": "t", "kind": "hashtags", "severity": "warn", "message": "m", "known": ["a b"]},
        {
            "id": "d",
            "kind": "sensitive_topics",
            "severity": "warn",
            "message": "m",
            "terms": ["x"],
            "when_promotional": "yes",
        },
        {
            "id": "b",
            "kind": "banned_terms",
            "severity": "warn",
            "message": "m",
            "terms": ["x"],
            "when_promotional": "block",
        },
    ):
        with pytest.raises(PolicyFormatError):
            validate_rules([bad])


# --- disasters and promotions -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, category, reason",
    [
        ("Hurricane sale", "promotional", "category"),
        ("20% off everything", None, "price"),
        ("Only $20!", None, "price"),
        ("Free shipping today", None, "selling"),
        ("Enter CODE at checkout", None, "selling"),
        ("See https://example.com/shop/new", None, "shop link"),
        ("New collection now available online", None, "selling"),
    ],
)
def test_promotion_signs(text, category, reason):
    found = promotion(text, category)
    assert found is not None and reason in found.reason
    if found.end:
        assert text[found.start : found.end] in found.reason


@pytest.mark.parametrize(
    "text", ["Our thoughts are with everyone", "Shooting our new video today", "Hello!"]
)
def test_no_promotion(text):
    assert promotion(text, "news") is None


def test_a_disaster_term_warns_and_blocks_when_the_post_sells():
    alone = lint("Thinking of everyone in the path of the hurricane tonight.")
    assert not alone.blocked
    assert {f.rule for f in alone.findings} >= {"sensitive-disasters"}
    sold = lint("Hurricane weekend: 20% off everything.")
    assert sold.blocked
    [finding] = [f for f in sold.findings if f.rule == "sensitive-disasters"]
    assert finding.match == "Hurricane" and finding.severity == "block"
    assert "promotional" in finding.message and "20% off" in finding.message
    assert lint("Hurricane relief update", category="promotional").blocked


def test_memorial_wording_only_warns_even_in_a_promotion():
    result = lint("In honor of National Pizza Day, 20% off every pizza stone!")
    assert not result.blocked
    assert [f.rule for f in result.findings] == ["sensitive-memorial"]


# --- moments ----------------------------------------------------------------------------


def test_a_moment_matches_its_terms_and_tags_in_any_spelling():
    sandy = Moment(1, "Hurricane Sandy", "block", ("Sandy",), ("#Sandy",))
    for text in ("Stay dry, Sandy is coming", "#SANDY is here", "S4ndy again"):
        result = lint(text, moments=[sandy])
        assert result.blocked, text
        assert any(f.rule == "moment-1" for f in result.findings)
    assert "Hurricane Sandy" in lint("Sandy", moments=[sandy]).findings[0].message
    assert not lint("Sandy", moments=[]).findings
    warn = Moment(2, "Verdict", "warn", (), ("#notguilty",))
    result = lint("Who's #notguilty? #BakingDay", moments=[warn])
    assert not result.blocked
    assert {f.rule for f in result.findings} == {"moment-2", "new-hashtags"}


def test_lint_many_gives_what_lint_gives():
    moments = compile_moments([Moment(7, "Storm", "block", ("Sandy",), ())])
    policy = GENERAL.with_context(LintContext(VOCAB, moments))
    texts = [t for t, _ in corpus.ordinary_posts(5, 60)] + [i.text for i in corpus.INCIDENTS]
    texts.append("Sandy sale: 20% off #new")
    assert policy.lint_many(texts) == [policy.lint(t) for t in texts]


def test_moment_rules_are_among_the_policy_rules_the_generator_sees():
    moments = compile_moments([Moment(3, "Storm", "block", ("Sandy",), ())])
    policy = GENERAL.with_context(LintContext(VOCAB, moments))
    assert policy.rules[-1]["id"] == "moment-3"
    assert GENERAL.rules == GENERAL.base.rules


# --- presets ----------------------------------------------------------------------------


def test_presets_switch_topic_rules():
    def state(preset):
        return {r["id"]: r for r in preset_rules(preset)}

    general = state("general")
    assert general["sensitive-alcohol-drugs"]["enabled"] is False
    assert general["sensitive-gambling"]["enabled"] is False
    assert general["sensitive-disasters"]["when_promotional"] == "block"
    assert state("charity")["sensitive-alcohol-drugs"]["enabled"] is True
    assert "when_promotional" not in state("charity")["sensitive-disasters"]
    assert state("family")["sensitive-alcohol-drugs"]["enabled"] is True
    assert state("family")["sensitive-gambling"]["enabled"] is True
    alcohol = state("alcohol")
    assert alcohol["sensitive-alcohol-drugs"]["enabled"] is False
    assert alcohol["sensitive-drugs"]["enabled"] is True
    finance = state("finance")
    assert finance["sensitive-gambling"]["enabled"] is True
    assert finance["sensitive-financial-promises"]["enabled"] is True
    policy = GuardedPolicy(compile_policy(preset_rules("finance")))
    assert policy.lint("Guaranteed returns, zero risk: double your money!").blocked
    assert not GENERAL.lint("Guaranteed returns, zero risk: double your money!").blocked
    family = GuardedPolicy(compile_policy(preset_rules("family")))
    assert family.lint("Two beers and a cocktail").blocked


def test_a_preset_keeps_the_terms_an_admin_wrote_and_adds_missing_rules():
    rules = [dict(r) for r in starter_rules() if r["id"] != "sensitive-gambling"]
    drinks = next(r for r in rules if r["id"] == "sensitive-alcohol-drugs")
    drinks["terms"] = ["prosecco"]
    out = {r["id"]: r for r in apply_preset(rules, "charity")}
    assert out["sensitive-alcohol-drugs"]["terms"] == ["prosecco"]
    assert out["sensitive-alcohol-drugs"]["enabled"] is True
    assert out["sensitive-gambling"]["enabled"] is True
    back = {r["id"]: r for r in apply_preset(list(out.values()), "general")}
    assert back["sensitive-alcohol-drugs"]["enabled"] is False
    assert back["sensitive-disasters"]["when_promotional"] == "block"
    assert set(PRESETS) == {"general", "charity", "family", "alcohol", "finance"}
    validate_rules(list(back.values()), strict=True)


# --- the bar: incidents and ordinary posts ----------------------------------------------


@pytest.mark.parametrize("incident", corpus.INCIDENTS, ids=lambda i: i.key)
def test_every_incident_is_blocked_or_flagged(incident):
    [replayed] = [r for r in corpus.replay(GENERAL) if r.incident == incident]
    assert replayed.outcome in ("blocked", "flagged"), replayed
    if replayed.with_moment is not None:
        assert replayed.with_moment, "the day's moment blocks it"


def test_promotions_on_a_disaster_are_blocked_outright():
    outcomes = {r.incident.key: r.outcome for r in corpus.replay(GENERAL)}
    for key in (
        "american-apparel-sandy-2012",
        "urban-outfitters-sandy-2012",
        "bing-japan-2011",
        "kfc-thailand-2012",
    ):
        assert outcomes[key] == "blocked", key
    assert len(corpus.INCIDENTS) >= 10


@pytest.mark.parametrize("seed", [*corpus.TUNING_SEEDS, *corpus.HELD_OUT_SEEDS])
def test_no_ordinary_post_gains_a_block(seed):
    fp = corpus.false_positives(GENERAL, seed, 2000)
    assert fp.posts == 2000
    assert fp.blocked == []


def test_the_ordinary_posts_carry_the_brands_tags_prices_and_links():
    posts = [t for t, _ in corpus.ordinary_posts(1)]
    assert len(posts) == 2000 and len(set(posts)) > 1500
    assert sum("#" in t for t in posts) > 1000
    assert sum("% off" in t or "$" in t or "£" in t for t in posts) > 300
    assert sum("https://" in t for t in posts) > 300


# --- the quiz generator -----------------------------------------------------------------


def test_the_generator_asks_about_promotions_on_disasters_and_new_hashtags():
    policy = GENERAL.with_context(LintContext(VOCAB))
    rules = ["sensitive-disasters", "new-hashtags"]
    questions = generator.generate(policy, count=8, seed=4, rule_ids=rules)
    techniques = {q.technique for q in questions}
    assert {"promotional", "new_hashtag"} <= techniques
    for q in questions:
        verdict = generator.judge(policy, q.sample_text, channel=q.channel, category=q.category)
        correct = {c.rule_id for c in q.choices if c.is_correct}
        assert correct == verdict.answer
        if q.technique == "promotional":
            assert correct == {"sensitive-disasters"}
        if q.technique == "new_hashtag":
            assert correct == {generator.GO}
            assert "has not been used by this brand" in q.explanation


def test_the_generator_asks_about_an_active_moment():
    moments = compile_moments([Moment(9, "The storm", "block", ("Sandy",), ())])
    policy = GENERAL.with_context(LintContext(VOCAB, moments))
    questions = generator.generate(policy, count=4, seed=1, rule_ids=["moment-9"])
    assert questions
    assert any({c.rule_id for c in q.choices if c.is_correct} == {"moment-9"} for q in questions)
    again = generator.generate(policy, count=4, seed=1, rule_ids=["moment-9"])
    assert [q.sample_text for q in again] == [q.sample_text for q in questions]


def test_lint_batch_gives_what_lint_many_gives_with_none_for_nothing_found():
    # the --jsonl path's call: a guarded policy (moments, a vocabulary, escalation)
    moments = compile_moments([Moment(7, "Storm", "block", ("Sandy",), ())])
    texts = [t for t, _ in corpus.ordinary_posts(6, 60)] + [i.text for i in corpus.INCIDENTS]
    texts += ["Sandy sale: 20% off #new", "#BakingDay again", "Hurricane relief, 20% off", ""]
    for policy in (GENERAL.with_context(LintContext(VOCAB, moments)), GENERAL, GENERAL.base):
        batch = policy.lint_batch(texts)
        assert [LintResult([]) if r is None else r for r in batch] == policy.lint_many(texts)
        assert all(r is None or r.findings for r in batch)
        assert any(r is None for r in batch) and any(r is not None for r in batch)
