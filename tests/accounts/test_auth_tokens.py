"""API tokens: stored hashed, expiring, listed and revoked by their owner, revoked when the
password changes or the user is deactivated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()


def _token(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    return response.json()["token"]


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_tokens_are_stored_hashed_and_expire(make_user):
    make_user("jo")
    token = _token("jo")
    row = AuthToken.objects.get()
    assert token not in (row.digest, row.token_key) and len(row.digest) == 128
    assert token not in str(list(AuthToken.objects.values_list()))
    assert _api(token).get("/api/me/").json()["username"] == "jo"
    expected = timezone.now() + dt.timedelta(days=30)
    assert abs((row.expiry - expected).total_seconds()) < 60
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert _api(token).get("/api/me/").status_code == 401


def test_a_wrong_token_and_a_bad_header_are_401(make_user):
    make_user("jo")
    _token("jo")
    assert _api("f" * 64).get("/api/me/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token")
    assert client.get("/api/me/").status_code == 401


def test_list_and_revoke_my_tokens_over_the_api(make_user):
    make_user("jo")
    make_user("sam")
    first, second = _token("jo"), _token("jo")
    sams = _token("sam")
    listed = _api(first).get("/api/me/tokens/").json()
    assert len(listed) == 2
    assert [t["current"] for t in listed].count(True) == 1
    assert all(first not in str(t) and second not in str(t) for t in listed)
    assert set(listed[0]) == {"id", "created", "expiry", "current"}
    other_id = next(t["id"] for t in listed if not t["current"])
    # Sam cannot revoke Jo's token, nor see it.
    assert _api(sams).delete(f"/api/me/tokens/{other_id}/").status_code == 404
    assert len(_api(sams).get("/api/me/tokens/").json()) == 1
    assert _api(first).delete("/api/me/tokens/not-an-id/").status_code == 404
    assert _api(first).delete(f"/api/me/tokens/{other_id}/").status_code == 204
    assert _api(second).get("/api/me/").status_code == 401
    assert _api(first).get("/api/me/").status_code == 200
    assert _api(sams).get("/api/me/").status_code == 200


def test_list_and_revoke_my_tokens_on_my_page(client, make_user):
    jo = make_user("jo")
    first, second = _token("jo"), _token("jo")
    client.force_login(jo)
    html = client.get("/me/").content.decode()
    ids = re.findall(r'name="revoke_token" value="([0-9a-f]{16})"', html)
    assert len(ids) == 2 and first not in html and second not in html
    response = client.post("/me/", {"revoke_token": ids[0]}, follow=True)
    assert "API token revoked." in response.content.decode()
    assert AuthToken.objects.filter(user=jo).count() == 1
    response = client.post("/me/", {"revoke_token": "0" * 16}, follow=True)
    assert response.status_code == 200 and "No such API token" in response.content.decode()
    client.post("/me/", {"revoke_all_tokens": "1"})
    assert not AuthToken.objects.filter(user=jo).exists()
    assert _api(first).get("/api/me/").status_code == 401
    assert _api(second).get("/api/me/").status_code == 401


def test_changing_the_password_on_the_web_revokes_tokens(client, make_user):
    jo = make_user("jo")
    token = _token("jo")
    client.force_login(jo)
    response = client.post(
        "/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-9",
            "new_password2": "a-new-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert _api(token).get("/api/me/").status_code == 401
    assert client.get("/me/").status_code == 200  # this session stays signed in


def test_resetting_the_password_revokes_tokens(client, make_user):
    make_user("jo")
    token = _token("jo")
    client.post("/password/reset/", {"email": "jo@example.com"})
    link = re.search(r"http\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase-9", "new_password2": "a-new-long-passphrase-9"},
    )
    assert response.status_code == 302 and response["Location"] == "/password/reset/complete/"
    assert _api(token).get("/api/me/").status_code == 401


def test_admin_set_password_revokes_tokens(client, make_user):
    staff = make_user("staffer", is_staff=True, is_superuser=True)
    jo = make_user("jo")
    token = _token("jo")
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/user/{jo.pk}/password/",
        {
            "password1": "a-new-long-passphrase-9",
            "password2": "a-new-long-passphrase-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _api(token).get("/api/me/").status_code == 401


def test_set_password_anywhere_and_deactivation_revoke_tokens(make_user):
    jo = make_user("jo")
    token = _token("jo")
    jo.first_name = "Jo"
    jo.save()  # an ordinary save keeps the token
    assert _api(token).get("/api/me/").status_code == 200
    jo.set_password("a-new-long-passphrase-9")
    jo.save()
    assert _api(token).get("/api/me/").status_code == 401

    token = _token("jo", "a-new-long-passphrase-9")
    jo.refresh_from_db()
    jo.is_active = False
    jo.save(update_fields=["is_active"])
    assert not AuthToken.objects.filter(user=jo).exists()
    assert _api(token).get("/api/me/").status_code == 401


def test_a_password_hash_upgrade_keeps_tokens(make_user, settings):
    jo = make_user("jo")
    token = _token("jo")
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert jo.check_password(PASSWORD)  # rehashes with PBKDF2-SHA1 and saves
    jo.refresh_from_db()
    assert jo.password.startswith("pbkdf2_sha1$")
    assert _api(token).get("/api/me/").status_code == 200


def test_a_request_reads_its_own_token_only_and_expired_ones_are_purged(make_user):
    """Authenticating reads the token's row (with its person) and no other token of theirs;
    an expired token is refused all the same, and the daily purge deletes expired tokens."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from knox.settings import CONSTANTS

    from accounts.tasks import purge_expired_tokens
    from planner.periodic import periodic_tasks

    key = CONSTANTS.TOKEN_KEY_LENGTH

    make_user("jo")
    live, stale, other = _token("jo"), _token("jo"), _token("jo")
    past = timezone.now() - dt.timedelta(seconds=1)
    AuthToken.objects.filter(token_key=stale[:key]).update(expiry=past)
    AuthToken.objects.filter(token_key=other[:key]).update(expiry=past)
    api = _api(live)
    api.get("/api/me/")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/me/").status_code == 200
    assert sum("knox_authtoken" in q["sql"] for q in queries) == 1
    assert AuthToken.objects.count() == 3  # the expired ones wait for the purge...
    assert _api(stale).get("/api/me/").status_code == 401  # ...and are refused (and deleted)
    assert AuthToken.objects.count() == 2
    assert purge_expired_tokens() == 1
    assert list(AuthToken.objects.values_list("token_key", flat=True)) == [live[:key]]
    assert "accounts.tasks.purge_expired_tokens" in {p.task for p in periodic_tasks()}
