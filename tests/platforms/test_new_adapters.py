"""The OAuth platforms' clients as a set: complete, Django-free, and registered as channels."""

from __future__ import annotations

import pytest

from platforms import PLATFORMS, MediaItem, PlatformError
from platforms.facebook import FacebookClient
from platforms.instagram import InstagramClient
from platforms.linkedin import LinkedInClient
from platforms.oauth import OAuthToken
from platforms.registry import client_problems
from platforms.threads import ThreadsClient
from platforms.x import XClient

NEW = [XClient, LinkedInClient, FacebookClient, InstagramClient, ThreadsClient]


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.platform)
def test_each_new_client_is_complete(cls):
    assert client_problems(cls) == []
    assert cls.supports_media and cls.supports_lookup and not cls.supports_idempotency_key
    assert cls.needs_instance_url is False and cls.default_instance_url.startswith("https://")
    assert cls.oauth is not None and cls.oauth.token_url.startswith("https://")
    assert cls.media_rules.supports_media and cls.media_rules.alt_text
    # Registered: the Channels page connects them and accounts.Platform offers them.
    assert PLATFORMS[cls.platform] is cls


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.platform)
def test_each_new_client_refuses_what_it_cannot_take(cls):
    problems = cls.validate_media([MediaItem(b"x", "application/pdf")])
    assert problems and problems[0].startswith(f"Attachment 1: {cls.label} does not accept")


def test_token_credential_round_trip_and_expiry():
    token = OAuthToken.from_response(
        {"access_token": "a" * 8, "refresh_token": "r" * 8, "expires_in": 7200, "scope": "x y"}
    )
    again = OAuthToken.from_credential(token.as_credential())
    assert again.access_token == token.access_token and again.scope == ("x", "y")
    assert abs((again.expires_at - token.expires_at).total_seconds()) < 1
    assert not again.expires_within() and "a" * 8 not in repr(again)
    with pytest.raises(ValueError):
        OAuthToken.from_response({"token_type": "bearer"})


def test_missing_app_means_reconnect_not_a_crash():
    client = XClient(
        instance_url="https://api.x.com",
        credential={"access_token": "t" * 8, "expires_at": "2000-01-01T00:00:00Z"},
    )
    with pytest.raises(PlatformError, match="reconnect"):
        client.whoami()  # expired, and no app to refresh it with: nothing is sent
