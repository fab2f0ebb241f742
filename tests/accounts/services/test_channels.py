"""Connecting channels: the platform says who the credential is; the guard's first layer
refuses personal accounts and other brands' channels; credentials are encrypted at rest."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEvent, Channel
from config.errors import NotAllowed
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon

BRAND_TOKEN = "brand-token-0123456789"
PERSONAL_TOKEN = "personal-token-0123456789"


@pytest.fixture
def mastodon():
    with FakeMastodon(tokens={BRAND_TOKEN: "1001:kitchen", PERSONAL_TOKEN: "2002:alice"}) as fake:
        yield fake


@pytest.fixture
def api(brand_with_team):
    client = APIClient()
    client.force_authenticate(brand_with_team["admin"])
    return client


def _connect(api, brand, **data):
    return api.post(f"/api/brands/{brand.slug}/channels/", data, format="json")


def test_connect_mastodon_stores_the_stable_id(api, brand_with_team, mastodon):
    brand = brand_with_team["brand"]
    response = _connect(
        api, brand, platform="mastodon", instance_url=mastodon.url, access_token=BRAND_TOKEN
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["remote_account_id"] == "1001"
    assert body["handle"].startswith("@kitchen@")
    assert BRAND_TOKEN not in response.content.decode()
    channel = Channel.objects.get(pk=body["id"])
    assert BRAND_TOKEN not in channel.credential_encrypted  # encrypted at rest
    assert channel.credential == {"access_token": BRAND_TOKEN}
    listed = api.get(f"/api/brands/{brand.slug}/channels/").json()
    assert {c["remote_account_id"] for c in listed} >= {"1001"}


def test_connect_bluesky_uses_the_did(api, brand_with_team):
    with FakeBluesky(accounts={"brand.test": "app-pass-1234"}) as fake:
        response = _connect(
            api,
            brand_with_team["brand"],
            platform="bluesky",
            instance_url=fake.url,
            identifier="brand.test",
            app_password="app-pass-1234",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["remote_account_id"].startswith("did:")


def test_a_registered_personal_account_is_refused(api, brand_with_team, mastodon):
    brand, author = brand_with_team["brand"], brand_with_team["author"]
    host = mastodon.url.split("//")[1].split(":")[0]
    services.personal_account_register(user=author, platform="mastodon", handle=f"@Alice@{host}")
    response = _connect(
        api, brand, platform="mastodon", instance_url=mastodon.url, access_token=PERSONAL_TOKEN
    )
    assert response.status_code == 409
    assert "personal account" in response.json()["detail"]
    assert "author" in response.json()["detail"]
    assert not Channel.objects.filter(remote_account_id="2002").exists()
    assert AuditEvent.objects.filter(action="channel.refused", brand=brand).exists()


def test_personal_account_registered_by_stable_id_is_refused(api, brand_with_team, mastodon):
    brand = brand_with_team["brand"]
    services.personal_account_register(
        user=brand_with_team["author"],
        platform="mastodon",
        handle="@renamed",
        remote_account_id="2002",
    )
    response = _connect(
        api, brand, platform="mastodon", instance_url=mastodon.url, access_token=PERSONAL_TOKEN
    )
    assert response.status_code == 409


def test_another_brands_channel_is_refused(api, brand_with_team, mastodon, make_brand, make_user):
    other_admin = make_user("other-admin")
    other = make_brand("other", admin=other_admin)
    services.channel_connect(
        brand=other,
        actor=other_admin,
        platform="mastodon",
        instance_url=mastodon.url,
        credential={"access_token": BRAND_TOKEN},
    )
    response = _connect(
        api,
        brand_with_team["brand"],
        platform="mastodon",
        instance_url=mastodon.url,
        access_token=BRAND_TOKEN,
    )
    assert response.status_code == 409
    assert "another brand" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://",
        "not a url",
        "https://user:pw@host.test",
    ],
)
def test_bad_instance_urls_are_refused_before_any_request(api, brand_with_team, url):
    response = _connect(
        api, brand_with_team["brand"], platform="mastodon", instance_url=url, access_token="t" * 20
    )
    assert response.status_code == 400
    assert not Channel.objects.filter(platform="mastodon").exists()


def test_a_host_that_does_not_answer_is_a_clear_error(api, brand_with_team):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    response = _connect(
        api,
        brand_with_team["brand"],
        platform="mastodon",
        instance_url=f"http://127.0.0.1:{port}",
        access_token="t" * 20,
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_wrong_token_is_refused(api, brand_with_team, mastodon):
    response = _connect(
        api,
        brand_with_team["brand"],
        platform="mastodon",
        instance_url=mastodon.url,
        access_token="wrong-token-000000",
    )
    assert response.status_code == 400
    assert "wrong-token" not in response.content.decode()


def test_whoami_answer_missing_fields_is_a_clear_error(api, brand_with_team, mastodon):
    mastodon.add_fault(
        fail_next=1,
        status=200,
        body={"username": "x"},
        path="/api/v1/accounts/verify_credentials",
        scope="all",
    )
    response = _connect(
        api,
        brand_with_team["brand"],
        platform="mastodon",
        instance_url=mastodon.url,
        access_token=BRAND_TOKEN,
    )
    assert response.status_code == 400
    assert not Channel.objects.filter(platform="mastodon").exists()


def test_missing_credential_fields_and_unknown_platform(api, brand_with_team):
    brand = brand_with_team["brand"]
    assert (
        _connect(api, brand, platform="mastodon", instance_url="https://example.com").status_code
        == 400
    )
    assert _connect(api, brand, platform="myspace").status_code == 400
    assert _connect(api, brand).status_code == 400


def test_private_hosts_are_refused_when_not_allowed(api, brand_with_team, settings, mastodon):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "ALLOW_PRIVATE_INSTANCE_URLS": False}
    response = _connect(
        api,
        brand_with_team["brand"],
        platform="mastodon",
        instance_url=mastodon.url,
        access_token=BRAND_TOKEN,
    )
    assert response.status_code == 400
    assert "private or local" in response.json()["errors"]["instance_url"][0]


def test_personal_accounts_api(brand_with_team):
    api = APIClient()
    api.force_authenticate(brand_with_team["author"])
    ok = api.post(
        "/api/me/personal-accounts/",
        {"platform": "mastodon", "instance_url": "https://mastodon.social", "handle": "@Jo"},
        format="json",
    )
    assert ok.status_code == 201
    again = api.post(
        "/api/me/personal-accounts/",
        {
            "platform": "mastodon",
            "instance_url": "https://mastodon.social",
            "handle": "jo@MASTODON.social",
        },
        format="json",
    )
    assert (
        again.status_code == 201 and again.json()["id"] == ok.json()["id"]
    )  # same account, normalised
    other = APIClient()
    other.force_authenticate(brand_with_team["approver1"])
    taken = other.post(
        "/api/me/personal-accounts/",
        {"platform": "mastodon", "handle": "@jo@mastodon.social"},
        format="json",
    )
    assert taken.status_code == 409
    for bad in (
        {"platform": "mastodon", "handle": "not a handle!"},
        {"platform": "nope", "handle": "@x"},
        {"handle": "@x"},
    ):
        assert api.post("/api/me/personal-accounts/", bad, format="json").status_code == 400
    assert other.delete(f"/api/me/personal-accounts/{ok.json()['id']}/").status_code == 404
    assert api.delete(f"/api/me/personal-accounts/{ok.json()['id']}/").status_code == 204


# --- the number of approvals a channel needs -------------------------------------------------


def test_a_channel_raises_the_brands_number_of_approvals_and_is_audited(brand_with_team):
    brand, admin = brand_with_team["brand"], brand_with_team["admin"]
    channel = services.channel_create_outbox(brand=brand, handle="@out", actor=admin)
    with pytest.raises(NotAllowed):
        services.channel_set_required_approvals(
            channel=channel, actor=brand_with_team["author"], required=3
        )
    for bad in (brand.approvals_required - 1, 0, 11, "3", True):
        with pytest.raises(ValidationError):
            services.channel_set_required_approvals(channel=channel, actor=admin, required=bad)
    channel.refresh_from_db()
    assert channel.approvals_required is None
    raised = services.channel_set_required_approvals(channel=channel, actor=admin, required=3)
    assert raised.approvals_required == 3
    again = services.channel_set_required_approvals(channel=channel, actor=admin, required=3)
    assert again.approvals_required == 3
    cleared = services.channel_set_required_approvals(channel=channel, actor=admin, required=None)
    assert cleared.approvals_required is None
    channel.refresh_from_db()
    assert channel.approvals_required is None
    events = AuditEvent.objects.filter(action="channel.approvals_changed", brand=brand)
    assert [e.data for e in events.order_by("pk")] == [
        {"before": None, "after": 3},
        {"before": 3, "after": None},
    ]
