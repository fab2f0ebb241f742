"""Helpers shared by the training tests (no tests here): a policy with every kind of rule,
and quizzes made through the real services."""

from __future__ import annotations

from accounts import services as account_services
from accounts.models import Role
from policy import services as policy_services
from policy.models import Choice, Quiz
from policy.training import services

RICH_POLICY = """rules:
  - id: no-swearing
    kind: banned_terms
    severity: block
    message: Keep it clean.
    terms: [damn, "go to hell", frobnicate]
  - id: no-politics
    kind: sensitive_topics
    severity: block
    message: Brand accounts do not post about politics.
    terms: [Brexit, "election day", "#prayfor*"]
  - id: religion
    kind: sensitive_topics
    severity: warn
    message: This mentions religion.
    terms: [pilgrimage]
  - id: brand-name
    kind: brand_spelling
    severity: warn
    message: Write KitchenAid.
    canonical: KitchenAid
  - id: disclose
    kind: required_terms
    severity: block
    message: Sponsored posts say #ad.
    any_of: ["#ad", "#sponsored"]
    categories: [promotional]
  - id: few-hashtags
    kind: max_count
    severity: warn
    message: At most 3 hashtags.
    what: hashtags
    max: 3
  - id: one-link
    kind: max_count
    severity: block
    message: At most one link.
    what: links
    max: 1
  - id: own-links
    kind: link_domains
    severity: block
    message: Link only to our own sites.
    allow: [kitchenaid.com]
  - id: mastodon-only
    kind: banned_terms
    severity: block
    message: Not on Mastodon.
    channels: [mastodon]
    terms: [toot toot]
"""


def rich_policy(brand, actor=None):
    return policy_services.policy_import(brand=brand, yaml_text=RICH_POLICY, actor=actor)


def manual_quiz(brand, trainer, *, title="Basics", cooldown=0, publish=True, **extra) -> Quiz:
    """A quiz of two hand-written questions: a single-answer and a multiple-answer one."""
    quiz = services.quiz_create(
        brand=brand,
        actor=trainer,
        title=title,
        pass_mark=extra.pop("pass_mark", 100),
        cooldown_minutes=cooldown,
        certifies_author=extra.pop("certifies_author", True),
        certifies_approver=extra.pop("certifies_approver", False),
    )
    services.question_create(
        quiz=quiz,
        actor=trainer,
        prompt="May a warning stop a post?",
        kind="single",
        explanation="Warnings travel with the post; only block findings stop it.",
        choices=[
            services.ChoiceInput("No", True),
            services.ChoiceInput("Yes", False),
        ],
    )
    services.question_create(
        quiz=quiz,
        actor=trainer,
        prompt="Which of these are brand channels?",
        kind="multiple",
        explanation="Only the brand's own accounts are channels.",
        choices=[
            services.ChoiceInput("@team", True),
            services.ChoiceInput("@team2", True),
            services.ChoiceInput("My own account", False),
        ],
    )
    if publish:
        services.quiz_publish(quiz=quiz, actor=trainer)
    return quiz


def right_answers(quiz) -> dict[str, list[int]]:
    return {
        str(q.pk): [c.pk for c in q.choices.all() if c.is_correct]
        for q in quiz.questions.prefetch_related("choices")
    }


def wrong_answers(quiz) -> dict[str, list[int]]:
    return {
        str(q.pk): [next(c.pk for c in q.choices.all() if not c.is_correct)]
        for q in quiz.questions.prefetch_related("choices")
    }


def new_member(make_user, brand, admin, username, roles=(Role.AUTHOR,)):
    user = make_user(username)
    account_services.membership_set(brand=brand, user=user, roles=list(roles), actor=admin)
    return user


def flip_answers(quiz) -> None:
    """Swap which choices are right, behind the services' back (for leak tests)."""
    for choice in Choice.objects.filter(question__quiz=quiz):
        Choice.objects.filter(pk=choice.pk).update(is_correct=not choice.is_correct)
