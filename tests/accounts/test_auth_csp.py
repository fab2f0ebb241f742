"""Content-Security-Policy: sent on every page, strict for scripts, and no template relies on
inline script (the browser journeys also fail on any violation: tests/e2e/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_pages_send_a_strict_policy(client, make_user):
    for response in (client.get("/login/"), client.get("/password/reset/")):
        policy = _policy(response)
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["style-src"] == "'self'"
        assert policy["style-src-attr"] == "'unsafe-inline'"
        assert policy["img-src"].startswith("'self' data: https:")
        assert policy["frame-ancestors"] == "'none'"
        assert policy["form-action"] == "'self'"
        assert policy["object-src"] == "'none'"
    client.force_login(make_user("jo"))
    assert "script-src 'self'" in client.get("/me/")["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get("/api/me/")["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"javascript:", re.I)


def test_no_template_has_inline_script_handlers_or_javascript_urls():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER_ATTR, JS_URL):
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}")
    assert offenders == []


def test_the_scanner_sees_what_it_must_refuse():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script id="d" type="application/json">{}</script>')
    assert HANDLER_ATTR.search('<button onclick="x()">')
    assert not HANDLER_ATTR.search('<button class="btn" data-on="x">')


def test_admin_pages_have_no_inline_script(client, make_user):
    """Django's admin is CSP-clean; django-celery-beat's task form had an inline script (its
    template is overridden in templates/admin/djcelery/ with the script in static/js)."""
    staff = make_user("staffer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        f"/admin/accounts/user/{staff.pk}/password/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/periodictask/add/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
        assert not HANDLER_ATTR.search(html), path
