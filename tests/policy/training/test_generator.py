"""Generated quiz questions: every answer is the policy engine's, checked independently."""

from __future__ import annotations

import random

import pytest

from policy.engine import compile_policy, parse_policy_yaml, starter_rules
from policy.training import generator
from tests.policy.training.support import RICH_POLICY

SEEDS = range(60)
COUNTS = (1, 6, 12)


def _policies():
    return {
        "starter": compile_policy(starter_rules()),
        "rich": compile_policy(parse_policy_yaml(RICH_POLICY)),
    }


def _engine_answer(policy, question) -> set[str]:
    """The answer computed here straight from the engine's lint, not via generator.judge."""
    result = policy.lint(
        question.sample_text,
        channel=question.channel or None,
        category=question.category or None,
    )
    blocking = {f.rule for f in result.findings if f.severity == "block"}
    return blocking or {generator.GO}


def test_every_generated_answer_agrees_with_the_engine(record_property):
    checked = 0
    techniques: set[str] = set()
    for name, policy in _policies().items():
        for seed in SEEDS:
            for count in COUNTS:
                questions = generator.generate(policy, count=count, seed=seed)
                assert 1 <= len(questions) <= count, (name, seed, count)
                for q in questions:
                    marked = {c.rule_id for c in q.choices if c.is_correct}
                    assert marked == _engine_answer(policy, q), (name, seed, q.sample_text)
                    assert q.multiple == (len(marked) > 1)
                    offered = [c.rule_id for c in q.choices]
                    assert len(offered) == len(set(offered)), "a choice twice"
                    assert offered[0] == generator.GO
                    # ... and the module's own re-check agrees.
                    assert (
                        generator.disagreement(
                            policy,
                            text=q.sample_text,
                            channel=q.channel,
                            category=q.category,
                            choices=[(c.rule_id, c.is_correct) for c in q.choices],
                            multiple=q.multiple,
                        )
                        is None
                    )
                    techniques.add(q.technique)
                    checked += 1
    record_property("generated_questions_checked", checked)
    print(f"\n{checked} generated questions checked against the policy engine")
    assert checked >= 2200
    assert {
        "plain",
        "leetspeak",
        "separators",
        "fullwidth",
        "homoglyph",
        "repeated",
        "missing_required",
        "required_present",
        "over_max",
        "bad_link",
        "allowed_subdomain",
        "misspelt_brand",
        "brand_correct",
        "clean",
    } <= techniques


@pytest.mark.parametrize("technique", generator.TECHNIQUES)
@pytest.mark.parametrize("term", ["Brexit", "election day", "frobnicate", "go to hell"])
def test_each_disguise_is_seen_through_by_the_engine(technique, term):
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    shown = generator.evade(term, technique)
    if technique != "plain":
        assert shown != term
    text = generator.TERM_FRAMES[0].format(x=shown)
    verdict = generator.judge(policy, text)
    assert verdict.blocking, (technique, shown)


def test_a_warning_alone_means_it_may_go_out():
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    sample = generator.Sample(
        "Our pilgrimage to the KitchenAid test kitchen.", "plain", "religion", "", "news"
    )
    question = generator.build_question(policy, sample, random.Random(1), rules=list(policy.rules))
    assert {c.rule_id for c in question.choices if c.is_correct} == {generator.GO}
    assert "religion" in {c.rule_id for c in question.choices}  # offered, as a trap
    assert "does not stop the post" in question.explanation
    assert not question.multiple


def test_several_blocking_rules_make_a_several_answer_question():
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    sample = generator.Sample("Damn, Brexit again. https://elsewhere.example/x", "plain", "x")
    question = generator.build_question(policy, sample, random.Random(1), rules=list(policy.rules))
    correct = {c.rule_id for c in question.choices if c.is_correct}
    assert correct == {"no-swearing", "no-politics", "own-links"}
    assert question.multiple and question.prompt == generator.PROMPT_MULTIPLE


def test_scoped_rules_are_generated_in_their_scope():
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    questions = generator.generate(policy, count=3, seed=3, rule_ids=["disclose", "mastodon-only"])
    by_target = {q.target_rule: q for q in questions}
    assert by_target["disclose"].category == "promotional"
    assert by_target["mastodon-only"].channel == "mastodon"
    for q in questions:
        expected = {q.target_rule} if q.target_rule else {generator.GO}
        assert {c.rule_id for c in q.choices if c.is_correct} == expected


def test_disagreement_names_the_difference():
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    why = generator.disagreement(
        policy,
        text="Damn it",
        channel=None,
        category=None,
        choices=[(generator.GO, True), ("no-swearing", False)],
        multiple=False,
    )
    assert why == 'it is marked "it may go out", but the engine says blocked by no-swearing'
    why = generator.disagreement(
        policy,
        text="Damn it",
        channel=None,
        category=None,
        choices=[(generator.GO, False), ("no-politics", True)],
        multiple=False,
    )
    assert "not among the choices" in why


def test_generation_is_repeatable_and_limited_to_the_chosen_rules():
    policy = compile_policy(parse_policy_yaml(RICH_POLICY))
    first = generator.generate(policy, count=8, seed=11, rule_ids=["no-politics"])
    again = generator.generate(policy, count=8, seed=11, rule_ids=["no-politics"])
    assert first == again
    assert {q.target_rule for q in first} <= {"no-politics", ""}
    assert any(q.target_rule == "no-politics" for q in first)


def test_wildcard_and_hashtag_terms_are_not_used_as_samples():
    assert generator.usable_terms({"terms": ["#prayfor*", "brexiteer*", "9/11", "Brexit"]}) == [
        "Brexit"
    ]
