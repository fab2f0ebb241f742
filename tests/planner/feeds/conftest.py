"""Fixtures for the feeds tests: a local fake feed server, nothing else reachable."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.fakes.feed import FakeFeed


@pytest.fixture
def feed_server():
    from tests.fakes.guard import loopback_only

    with loopback_only(), FakeFeed() as fake:
        yield fake


@pytest.fixture
def private_allowed(settings):
    """The fake lives on 127.0.0.1: private addresses allowed, as in development."""
    countersign = {**settings.COUNTERSIGN, "ALLOW_PRIVATE_INSTANCE_URLS": True}
    with override_settings(COUNTERSIGN=countersign):
        yield
