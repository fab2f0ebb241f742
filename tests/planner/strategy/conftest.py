"""Fixtures for the strategy tests (the planner's shared ones are in tests/planner/conftest.py)."""

from __future__ import annotations

import pytest

from planner.strategy import services as strategy


@pytest.fixture
def tracked(team):
    """The team brand tags links to shop.example and example.com."""
    strategy.link_tracking_set(
        brand=team["brand"],
        actor=team["admin"],
        enabled=True,
        domains=["example.com", "shop.example"],
        content="spring",
    )
    return team
