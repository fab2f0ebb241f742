"""Fixtures for the posts tests (the planner's shared ones are in tests/planner/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def author_client(client, team):
    """The test client, signed in as the team's author."""
    client.force_login(team["author"])
    return client
