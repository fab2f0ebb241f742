"""Inbox fixtures: the publishing team's brand (a Mastodon channel on the fake) plus a
Bluesky channel on its own fake, and helpers to have customers write to the brand."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from platforms.bluesky import clear_session_cache
from tests.fakes.bluesky import FakeBluesky
from tests.planner.publishing.support import BRAND_ACCOUNT

BSKY_HANDLE = "brand.test"
BSKY_PASSWORD = "app-pass-1234"


@pytest.fixture
def bluesky():
    clear_session_cache()
    with FakeBluesky(accounts={BSKY_HANDLE: BSKY_PASSWORD}) as fake:
        yield fake
    clear_session_cache()


@pytest.fixture
def inbox(pub, mastodon, bluesky, offline_publishing):
    """The brand with a Mastodon and a Bluesky channel, each on its fake."""
    sky = account_services.channel_connect(
        brand=pub["brand"],
        actor=pub["admin"],
        platform="bluesky",
        instance_url=bluesky.url,
        credential={"identifier": BSKY_HANDLE, "app_password": BSKY_PASSWORD},
    )
    return {**pub, "mastodon": mastodon, "bluesky": bluesky, "sky": sky}


def mention(fake, text: str, *, who: str = "carol", reply_to: str | None = None, n: int = 7):
    """A customer writes to the brand's Mastodon account; the status JSON."""
    return fake.add_inbound(
        to=BRAND_ACCOUNT[0],
        author={"id": f"70{n}", "username": who},
        text=text,
        reply_to=reply_to,
    )


def sky_mention(fake, text: str, *, who: str = "dave.test", reply_to: str | None = None):
    return fake.add_inbound(to=BSKY_HANDLE, author={"handle": who}, text=text, reply_to=reply_to)
