"""Planner fixtures: a team brand with two channels, another brand, posts made by services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import permissions
from accounts import services as account_services
from accounts.models import Channel, Platform, Role
from planner.posts import services
from policy import services as policy_services

BANNED = "frobnicate"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
_counter = itertools.count(1)


def make_channel(brand, *, platform: str, handle: str, max_characters: int | None = None):
    """A platform channel without a platform: tests cannot ask a real server who it is."""
    channel = Channel.objects.create(
        brand=brand,
        platform=platform,
        handle=handle,
        instance_url="https://social.example" if platform == Platform.MASTODON else "",
        remote_account_id=f"test-{platform}-{handle}-{next(_counter)}",
        max_characters=max_characters,
    )
    permissions.sync_brand_permissions(brand)
    return channel


def png(name: str = "photo.png", size: int = 0) -> SimpleUploadedFile:
    body = PNG + b"\x00" * max(0, size - len(PNG))
    return SimpleUploadedFile(name, body, content_type="image/png")


@pytest.fixture
def team(brand_with_team):
    """brand_with_team in Europe/London, with a second outbox channel and a policy that bans
    one word (block) and more than one hashtag (warn)."""
    brand = account_services.brand_update(
        brand=brand_with_team["brand"], actor=brand_with_team["admin"], timezone="Europe/London"
    )
    second = account_services.channel_create_outbox(brand=brand, handle="@team2", actor=None)
    policy_services.policy_version_create(
        brand=brand,
        actor=None,
        rules=[
            {
                "id": "no-frobnicate",
                "kind": "banned_terms",
                "severity": "block",
                "message": "We never say frobnicate.",
                "terms": [BANNED],
            },
            {
                "id": "few-hashtags",
                "kind": "max_count",
                "severity": "warn",
                "message": "At most one hashtag.",
                "what": "hashtags",
                "max": 1,
            },
        ],
    )
    return {**brand_with_team, "brand": brand, "second": second}


@pytest.fixture
def other(make_user, make_brand):
    """Another brand with its own channel and author."""
    boss = make_user("other-boss")
    brand = make_brand("other", admin=boss)
    channel = account_services.channel_create_outbox(brand=brand, handle="@other", actor=boss)
    author = make_user("other-author")
    account_services.membership_set(brand=brand, user=author, roles=[Role.AUTHOR], actor=boss)
    return {"brand": brand, "channel": channel, "author": author, "admin": boss}


@pytest.fixture
def make_post(team):
    def make(text: str = "Hello from the team", *, channel=None, when=None, actor=None, **extra):
        return services.post_create(
            brand=team["brand"],
            actor=actor or team["author"],
            channel=channel or team["channel"],
            text=text,
            category=extra.pop("category", "engagement"),
            scheduled_at=when,
            **extra,
        )

    return make


def soon(days: float = 1, hour: int = 10) -> dt.datetime:
    base = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=days)


@pytest.fixture
def api(team):
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


def count_queries(call) -> int:
    """Queries one call makes, once per-process caches (content types) are warm: a first
    call fills them, and whether earlier tests in the worker did depends on the order."""
    call()
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


# --- publishing: a brand whose Mastodon channel is connected to a local fake ---------------


@pytest.fixture
def offline_publishing():
    """Nothing but loopback is reachable, and no client or identity cache leaks between
    tests. Publishing test modules use it for every test."""
    from planner.publishing import services as publishing
    from tests.fakes.guard import loopback_only

    publishing.clear_caches()
    with loopback_only():
        yield
    publishing.clear_caches()


@pytest.fixture
def mastodon():
    from tests.fakes.mastodon import FakeMastodon
    from tests.planner.publishing.support import fake_tokens

    with FakeMastodon(tokens=fake_tokens()) as fake:
        yield fake


@pytest.fixture
def pub(db, mastodon):
    from tests.planner.publishing.support import publishing_team

    return publishing_team(instance_url=mastodon.url)
