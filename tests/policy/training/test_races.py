"""Races on PostgreSQL, for real: two submissions of the same quiz at the same moment."""

from __future__ import annotations

import pytest

from config.errors import Conflict
from policy.models import Attempt, Certification
from policy.training import services
from tests.policy.training.support import manual_quiz, rich_policy, right_answers
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def test_two_submissions_at_once_record_one_attempt_and_refuse_the_other(brand_with_team):
    team = brand_with_team
    rich_policy(team["brand"])
    for n in range(ROUNDS):
        quiz = manual_quiz(team["brand"], team["trainer"], title=f"Race {n}", cooldown=60)
        answers = right_answers(quiz)

        def submit(quiz=quiz, answers=answers):
            return services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)

        results = race(submit, submit)
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1 and refused[0].code == "cooldown", results
        assert Attempt.objects.filter(quiz=quiz).count() == 1
        assert Certification.objects.filter(quiz=quiz).count() == 1
