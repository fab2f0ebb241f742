"""Getting in: one sign-in page, lockout on every login route, throttles, reset limits,
links from SITE_URL."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts import services
from accounts.models import Role, User

PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


# --- one sign-in page ------------------------------------------------------------------------


def test_login_url_and_next_lead_to_the_one_sign_in_page(client, make_user):
    assert reverse("login") == "/login/"
    for path in ("/", "/b/team/calendar/", "/me/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    page = client.get("/login/?next=/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<input type="submit"\s+name="submit"\s+value="Sign in"', html)
    make_user("jo")
    signed_in = client.post("/login/?next=/me/", {"username": "jo", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/me/"
    # The stock second login page is gone.
    assert client.get("/password/login/").status_code == 404


def test_sign_out_returns_to_the_sign_in_page(client, make_user):
    client.force_login(make_user("jo"))
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"


@pytest.mark.parametrize(
    "path",
    [
        "/password/reset/",
        "/password/reset/done/",
        "/password/reset/complete/",
        "/password/reset/MQ/bad-token/",
        "/password/change/",
        "/password/change/done/",
    ],
)
def test_password_pages_are_in_the_product_layout(client, make_user, path):
    client.force_login(make_user("jo"))
    response = client.get(path, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Django administration" not in html
    assert 'class="navbar-brand' in html and "Countersign" in html


def test_reset_and_change_forms_have_a_button(client, make_user):
    button = r'<input type="submit"\s+name="submit"\s+value="{}"'
    html = client.get("/password/reset/").content.decode()
    assert re.search(button.format("Email me a link"), html)
    client.force_login(make_user("jo"))
    html = client.get("/password/change/").content.decode()
    assert re.search(button.format("Change my password"), html)


# --- lockout on every login route --------------------------------------------------------------


def _web_login(client, path, username, password, ip="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_fifty_wrong_passwords_lock_the_sign_in_page(client, make_user):
    make_user("jo")
    for _ in range(50):
        _web_login(client, "/login/", "jo", "wrong")
    response = _web_login(client, "/login/", "jo", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "Countersign" in response.content.decode()  # the product's page, not a bare text
    # The lock is for this username from this address: from elsewhere the owner still gets in.
    other = _web_login(client, "/login/", "jo", PASSWORD, ip="10.0.0.2")
    assert other.status_code == 302 and "_auth_user_id" in client.session


def test_fifty_wrong_passwords_lock_the_admin_login(client, make_user):
    make_user("staffer", is_staff=True, is_superuser=True)
    for _ in range(50):
        _web_login(client, "/admin/login/", "staffer", "wrong")
    response = _web_login(client, "/admin/login/", "staffer", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_fifty_wrong_passwords_lock_the_api_token(make_user):
    make_user("jo")
    api = APIClient(REMOTE_ADDR="10.0.0.3")
    for _ in range(50):
        assert api.post(
            "/api/auth/token/", {"username": "jo", "password": "wrong"}, format="json"
        ).status_code in (400, 429)
    response = api.post("/api/auth/token/", {"username": "jo", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert "token" not in response.json()


def test_axes_reset_username_lifts_a_lock(client, make_user):
    from django.core.management import call_command

    make_user("jo")
    for _ in range(10):
        _web_login(client, "/login/", "jo", "wrong")
    assert _web_login(client, "/login/", "jo", PASSWORD).status_code == 429
    call_command("axes_reset_username", "jo")
    assert _web_login(client, "/login/", "jo", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, make_user):
    make_user("jo")
    for _ in range(4):
        _web_login(client, "/login/", "jo", "wrong")
    assert _web_login(client, "/login/", "jo", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _web_login(client, "/login/", "jo", "wrong")
    assert _web_login(client, "/login/", "jo", PASSWORD).status_code == 302


def test_token_view_is_throttled_per_address(make_user, monkeypatch):
    make_user("jo")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    api = APIClient(REMOTE_ADDR="10.0.0.4")
    body = {"username": "jo", "password": PASSWORD}
    codes = [api.post("/api/auth/token/", body, format="json").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "detail" in api.post("/api/auth/token/", body, format="json").json()
    # Another address has its own allowance.
    assert APIClient(REMOTE_ADDR="10.0.0.5").post("/api/auth/token/", body).status_code == 200


def test_token_view_bad_input_is_a_400(db):
    api = APIClient()
    assert api.post("/api/auth/token/", {}, format="json").status_code == 400
    assert api.post("/api/auth/token/", "[1]", content_type="application/json").status_code == 400
    assert api.post("/api/auth/token/", "{bad", content_type="application/json").status_code == 400


# --- password reset: rate-limited, silent about accounts, links from SITE_URL -----------------


def _reset(client, email, ip="10.1.0.1", **extra):
    return client.post("/password/reset/", {"email": email}, REMOTE_ADDR=ip, **extra)


def test_reset_is_limited_per_email_without_telling(client, make_user, settings):
    make_user("jo")  # jo@example.com
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    answers = [_reset(client, "jo@example.com", ip=f"10.1.0.{n}") for n in range(1, 6)]
    assert [a.status_code for a in answers] == [302] * 5
    assert {a["Location"] for a in answers} == {"/password/reset/done/"}
    assert len(mail.outbox) == 3
    # An unknown address gets exactly the same answer.
    unknown = _reset(client, "nobody@example.com", ip="10.1.0.9")
    assert unknown.status_code == 302 and unknown["Location"] == "/password/reset/done/"
    assert len(mail.outbox) == 3


def test_reset_is_limited_per_address(client, make_user, settings):
    make_user("jo")
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    for n in range(3):
        assert _reset(client, f"someone{n}@example.com").status_code == 302
    refused = _reset(client, "jo@example.com")
    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()
    assert len(mail.outbox) == 0


def test_reset_link_is_built_from_site_url_not_the_host_header(client, make_user, settings):
    make_user("jo")
    settings.ALLOWED_HOSTS = ["*"]
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "SITE_URL": "https://countersign.example"}
    _reset(client, "jo@example.com", HTTP_HOST="evil.example")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example" not in body
    assert re.search(r"https://countersign\.example/password/reset/[^/\s]+/[^/\s]+/", body)


def test_invite_link_is_built_from_site_url_not_the_host_header(
    client, brand_with_team, settings, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "SITE_URL": "https://countersign.example"}
    client.force_login(brand_with_team["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/b/team/members/",
            {"username_or_email": "new.person@example.com", "roles": [Role.AUTHOR]},
            HTTP_HOST="evil.example",
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "evil.example" not in body
    assert "https://countersign.example/password/reset/" in body


# --- the shared cache ----------------------------------------------------------------------------


def _caches_with(**env) -> str:
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
    code = "from django.conf import settings; print(settings.CACHES['default'])"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_cache_is_the_database_by_default_and_redis_when_configured():
    assert "DatabaseCache" in _caches_with()
    redis = _caches_with(CACHE_URL="redis://cache.internal:6379/2")
    assert "RedisCache" in redis and "redis://cache.internal:6379/2" in redis
    assert "RedisCache" in _caches_with(REDIS_URL="redis://other:6379/0")


def test_migrate_makes_the_cache_table(tmp_path):
    import os
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "fresh.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{db}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env=env, check=True
    )
    tables = {name for (name,) in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "countersign_cache" in tables
    assert "authtoken_token" not in tables
    assert "knox_authtoken" in tables and "axes_accessattempt" in tables


def test_an_invitation_is_emailed_only_once_the_membership_is_committed(
    brand_with_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.member_invite(
            brand=brand_with_team["brand"],
            actor=brand_with_team["admin"],
            roles=[Role.AUTHOR],
            username_or_email="later@example.com",
        )
    assert mail.outbox == []  # nothing leaves inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["later@example.com"]


@pytest.mark.parametrize("roles", [[], ["owner"]])
def test_a_refused_invitation_sends_nothing_and_creates_nobody(
    brand_with_team, django_capture_on_commit_callbacks, roles
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        services.member_invite(
            brand=brand_with_team["brand"],
            actor=brand_with_team["admin"],
            roles=roles,
            username_or_email="refused@example.com",
        )
    assert callbacks == []
    assert mail.outbox == []
    assert not User.objects.filter(email="refused@example.com").exists()
