"""Connecting X, LinkedIn, Facebook Pages, Instagram and Threads from the Channels page:
the platform's consent page (its fake), the way back, whoami and the guard."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts import services
from accounts.models import AuditEvent, Channel
from accounts.services import oauth_connect
from tests.fakes.guard import loopback_only
from tests.oauth_support import (
    ACCOUNTS,
    IDENTITIES,
    PERSONAL_HANDLES,
    PLATFORMS,
    approve_on_consent_page,
    connect_through_consent,
    oauth_fakes,
    oauth_settings,
)


@pytest.fixture(scope="module")
def fakes():
    with loopback_only(), oauth_fakes() as servers:
        yield servers


@pytest.fixture(autouse=True)
def _apps(settings, fakes):
    oauth_settings(settings, fakes)
    with loopback_only():
        yield


@pytest.fixture
def team(brand_with_team, client):
    client.force_login(brand_with_team["admin"])
    return brand_with_team


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connect_through_the_consent_page_gives_a_channel_with_its_identity(platform, team, client):
    response = connect_through_consent(client, "team", platform, ACCOUNTS[platform][0])
    assert response.status_code == 302 and response["Location"] == "/b/team/channels/"
    channel = Channel.objects.get(brand=team["brand"], platform=platform)
    remote_id, handle = IDENTITIES[platform]
    assert (channel.remote_account_id, channel.handle) == (remote_id, handle)
    credential = channel.credential
    assert (
        credential["access_token"]
        and credential["access_token"] not in channel.credential_encrypted
    )
    page = client.get("/b/team/channels/").content.decode()
    assert "Connected " + handle in page.replace("&#x27;", "'")
    assert f'data-testid="identity-chip" title="Posts as {handle}' in page
    assert AuditEvent.objects.filter(action="channel.connected", object_id=str(channel.pk)).exists()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_personal_account_is_refused_on_each_platform(platform, team, client, make_user):
    if platform in PERSONAL_HANDLES:
        # X and Threads cannot tell a brand's profile from a person's: the member registered
        # it as their own, so the guard refuses it.
        services.personal_account_register(
            user=team["author"], platform=platform, handle=PERSONAL_HANDLES[platform]
        )
    # Else the platform itself says it is a person, not a Page or an organisation.
    response = connect_through_consent(client, "team", platform, ACCOUNTS[platform][1])
    assert response.status_code == 302
    assert not Channel.objects.filter(platform=platform).exists()
    page = client.get("/b/team/channels/").content.decode()
    assert "personal" in page.lower()
    assert AuditEvent.objects.filter(action="channel.refused", brand=team["brand"]).exists()


def test_another_brands_channel_is_refused(team, client, make_user, make_brand):
    connect_through_consent(client, "team", "x", "1001")
    other_admin = make_user("other-admin")
    make_brand("other", admin=other_admin)
    client.force_login(other_admin)
    connect_through_consent(client, "other", "x", "1001")
    assert Channel.objects.filter(platform="x").count() == 1
    assert (
        "already connected as a channel of another brand"
        in client.get("/b/other/channels/").content.decode()
    )


def test_state_is_single_use_bound_to_the_person_and_expires(team, client, make_user):
    start = client.post("/b/team/channels/connect/x/")
    consent_url = start["Location"]
    query = parse_qs(urlsplit(consent_url).query)
    assert query["code_challenge_method"] == ["S256"] and "code_verifier" not in consent_url
    back = urlsplit(approve_on_consent_page(consent_url, "1001"))
    # Another person cannot finish it, even with the code and state in hand.
    intruder = make_user("intruder")
    services.membership_set(
        brand=team["brand"], user=intruder, roles=["admin"], actor=team["admin"]
    )
    from django.test import Client

    other = Client()
    other.force_login(intruder)
    assert other.get(f"{back.path}?{back.query}").status_code == 302
    assert not Channel.objects.filter(platform="x").exists()
    # The first use connects; the same answer again is refused (single use).
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/b/team/channels/"
    assert Channel.objects.filter(platform="x").count() == 1
    client.get(f"{back.path}?{back.query}")
    assert "already used" in client.get("/b/team/channels/").content.decode()


def test_an_expired_state_is_refused(team, client, monkeypatch):
    start = client.post("/b/team/channels/connect/x/")
    back = urlsplit(approve_on_consent_page(start["Location"], "1001"))
    real = time.time
    monkeypatch.setattr(
        oauth_connect.time, "time", lambda: real() + oauth_connect.STATE_SECONDS + 1
    )
    client.get(f"{back.path}?{back.query}")
    assert not Channel.objects.filter(platform="x").exists()


def test_cancel_on_the_consent_page_connects_nothing(team, client):
    response = connect_through_consent(client, "team", "x", "", deny=True)
    assert response.status_code == 302
    assert not Channel.objects.filter(platform="x").exists()
    assert "cancelled" in client.get("/b/team/channels/").content.decode()


def test_only_brand_admins_may_start(team, client):
    client.force_login(team["author"])
    assert client.post("/b/team/channels/connect/x/").status_code == 403
    assert client.get("/b/team/channels/connect/x/").status_code == 405


def test_a_platform_without_app_credentials_says_so(team, client, settings):
    apps = dict(settings.COUNTERSIGN["OAUTH_APPS"])
    apps["linkedin"] = {"client_id": "", "client_secret": "", "api_url": ""}
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "OAUTH_APPS": apps}
    page = client.get("/b/team/channels/").content.decode()
    assert 'data-testid="connect-x"' in page
    assert 'data-testid="connect-linkedin-unconfigured"' in page
    assert "LinkedIn: not configured by your administrator" in page
    response = client.post("/b/team/channels/connect/linkedin/")
    assert response.status_code == 302 and response["Location"] == "/b/team/channels/"
    assert (
        "not configured by your administrator" in client.get("/b/team/channels/").content.decode()
    )


def test_facebook_lists_the_pages_the_person_manages(team, client):
    page = connect_through_consent(client, "team", "facebook", "501", page=None)
    html = page.content.decode()
    assert "Brand Co" in html and "Fb Only Page" in html
    # A made-up Page id is not among the choices.
    choose = page.request["PATH_INFO"]
    client.post(choose, {"page": "999"})
    assert not Channel.objects.filter(platform="facebook").exists()


def test_bad_callbacks_never_500(team, client):
    for query in ("", "?state=nope&code=x", "?error=access_denied", "?state=" + "a" * 5000):
        assert client.get("/connect/x/callback/" + query).status_code == 302
    assert client.get("/connect/nope/callback/?state=x").status_code == 302
    assert client.post("/b/team/channels/connect/nope/").status_code == 302
    assert client.get("/connect/choose/nope/").status_code == 302


def test_the_platforms_endpoint_lists_each_with_how_it_connects(team, client):
    body = client.get("/api/platforms/").json()
    by = {p["platform"]: p for p in body}
    assert set(PLATFORMS) <= set(by) and {"mastodon", "bluesky", "webhook", "outbox"} <= set(by)
    assert by["x"] == {
        "platform": "x",
        "label": "X",
        "connect": "oauth",
        "configured": True,
        "media": ["image", "gif", "video"],
        "max_characters": 280,
        "max_attachments": 4,
        "alt_text": True,
    }
    assert by["mastodon"]["connect"] == "token" and by["instagram"]["max_characters"] == 2200
    assert by["instagram"]["media"] == ["image", "video"]
    assert by["webhook"]["media"] == [] and by["webhook"]["max_characters"] is None
    client.logout()
    assert client.get("/api/platforms/").status_code in (401, 403)


def test_reconnect_takes_only_the_same_account_and_clears_the_mark(team, client):
    connect_through_consent(client, "team", "x", "1001")
    channel = Channel.objects.get(platform="x")
    services.channel_mark_reconnect(channel_id=channel.pk, reason="X refused to refresh.")
    page = client.get("/b/team/channels/").content.decode()
    assert f'data-testid="reconnect-{channel.pk}"' in page
    # Another account on the consent page: refused, nothing changes.
    before = channel.credential_encrypted
    connect_through_consent(client, "team", "x", "2002", data={"channel": channel.pk})
    channel.refresh_from_db()
    assert channel.needs_reconnect and channel.credential_encrypted == before
    assert (
        "a reconnect must be the same account" in client.get("/b/team/channels/").content.decode()
    )
    # The same account: the new token is stored and the mark cleared.
    response = connect_through_consent(client, "team", "x", "1001", data={"channel": channel.pk})
    assert response["Location"] == "/b/team/channels/"
    channel.refresh_from_db()
    assert not channel.needs_reconnect and channel.credential_encrypted != before
    assert Channel.objects.filter(platform="x").count() == 1
    assert AuditEvent.objects.filter(
        action="channel.reconnected", object_id=str(channel.pk)
    ).exists()
