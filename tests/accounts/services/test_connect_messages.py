"""What connecting a channel tells a brand admin: the Mastodon token's scopes, and a clear
message for a server name that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from platforms import MastodonClient, PlatformUnavailable
from tests.fakes.guard import loopback_only


def test_a_mistyped_server_name_says_it_could_not_be_found():
    client = MastodonClient(
        instance_url="https://no-such-server.invalid", credential={"access_token": "t-0"}, timeout=2
    )
    with loopback_only(), pytest.raises(PlatformUnavailable) as excinfo:
        client.whoami()
    message = str(excinfo.value)
    assert "Could not find the server no-such-server.invalid — check the address" in message
    assert "try again later" not in message


def test_the_connect_form_lists_the_scopes_the_mastodon_token_needs(client, brand_with_team):
    client.force_login(brand_with_team["admin"])
    html = client.get(
        reverse("channel_list", kwargs={"slug": brand_with_team["brand"].slug})
    ).content.decode()
    for scope in ("read:accounts", "write:statuses", "read:statuses"):
        assert scope in html
    assert set(MastodonClient.token_scopes) == {"read:accounts", "write:statuses", "read:statuses"}


def test_the_admin_says_quizzes(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Quizzes" in html and "Quizs" not in html
