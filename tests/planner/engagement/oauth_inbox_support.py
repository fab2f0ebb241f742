"""Set-up for the inbox tests of the OAuth platforms (X, Threads): their fakes as this
installation's apps, and a channel connected on one of them. Import the fixtures with
``from tests.planner.engagement.oauth_inbox_support import *``."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from platforms.base import PlatformClient
from tests.fakes.guard import loopback_only
from tests.oauth_support import oauth_fakes, oauth_settings

__all__ = ["connect", "fakes", "offline_oauth"]


@pytest.fixture(scope="module")
def fakes():
    with loopback_only(), oauth_fakes() as servers:
        yield servers


@pytest.fixture(autouse=True)
def offline_oauth(settings, fakes, monkeypatch, offline_publishing):
    oauth_settings(settings, fakes)
    monkeypatch.setattr(PlatformClient, "_sleep", lambda self, seconds: None)
    for fake in fakes.values():
        fake.reset()
    yield


def connect(team, fakes, platform: str, account: str):
    fake = fakes[platform]
    issued = fake.issue_token(account)
    credential = {"access_token": issued["access_token"]}
    if platform == "linkedin":
        credential["organization_urn"] = "urn:li:organization:9001"
    return account_services.channel_connect(
        brand=team["brand"],
        actor=team["admin"],
        platform=platform,
        instance_url=fake.url,
        credential=credential,
    )
