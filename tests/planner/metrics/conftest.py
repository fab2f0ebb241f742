"""Fixtures for the metrics tests: a post published to the fake Mastodon, and a brand filled
in bulk with published posts and their metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from planner.metrics.seed import seed_published
from planner.models import Post
from planner.publishing import services as publishing
from tests.planner.publishing.support import approved_post, make_due


@pytest.fixture
def published(pub, mastodon, offline_publishing):
    """A post published on the fake Mastodon (through the real dispatcher and send)."""
    post = approved_post(pub, "Fresh bread, hot from the oven.")
    make_due([post.pk])
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "published"
    return Post.objects.select_related("delivery").get(pk=post.pk)


@pytest.fixture
def seeded(team):
    """The team brand with published posts and their metrics over the last 30 days."""

    def fill(n: int, **extra):
        end = timezone.now()
        return seed_published(
            brand=team["brand"],
            channels=[team["channel"], team["second"]],
            author=team["author"],
            approver=team["approver1"],
            n=n,
            start=end - dt.timedelta(days=29),
            end=end,
            **extra,
        )

    return fill
