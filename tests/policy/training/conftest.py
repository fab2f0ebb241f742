"""Fixtures shared by the training tests: a brand with its team and a policy with every kind
of rule, and a published quiz written by its trainer (helpers in ``support.py``)."""

from __future__ import annotations

import pytest

from tests.policy.training.support import manual_quiz, rich_policy


@pytest.fixture
def team(brand_with_team):
    rich_policy(brand_with_team["brand"])
    return brand_with_team


@pytest.fixture
def quiz(team):
    return manual_quiz(team["brand"], team["trainer"])
