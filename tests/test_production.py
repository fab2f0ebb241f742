"""The production path: ``make serve`` (scripts/serve) with DEBUG=0 — collectstatic, migrate,
gunicorn + worker + beat — answers the sign-in page and the calendar and serves the hashed
static files; without collectstatic the server refuses to start and says why, instead of
answering 500 on every page.

The server runs as it would behind an HTTPS proxy: SECURE is on (its default with DEBUG=0),
so each request carries ``X-Forwarded-Proto: https`` (SECURE_PROXY_SSL_HEADER) and the
Referer/Origin a browser would send."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
import requests

from tests.queue import stack

pytestmark = pytest.mark.sqlite_only  # its own SQLite file either way: once is enough

PASSWORD = "pw-for-tests-1"
PROXY = {"X-Forwarded-Proto": "https"}


def _env(tmp_path, **extra) -> dict:
    env = stack.base_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        COUNTERSIGN_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="INFO",
        **extra,
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' own; check --deploy refuses it
    return env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run a command of the project to completion, with its output kept for the asserts."""
    return subprocess.run(
        args, cwd=stack.ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


class Browser:
    """requests with the cookies a browser would keep: the server marks them Secure (it is
    behind "HTTPS"), which requests would not send back over the test's plain HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def _keep(self, response) -> None:
        for cookie in response.cookies:
            self.session.cookies.set(cookie.name, cookie.value)

    def get(self, path: str, **kwargs):
        response = self.session.get(
            self.base + path, headers=PROXY, allow_redirects=False, timeout=20, **kwargs
        )
        self._keep(response)
        return response

    def post(self, path: str, data: dict):
        origin = self.base.replace("http://", "https://")
        headers = {**PROXY, "Referer": origin + path, "Origin": origin}
        response = self.session.post(
            self.base + path, data=data, headers=headers, allow_redirects=False, timeout=20
        )
        self._keep(response)
        return response


def test_make_serve_refuses_to_start_without_its_settings(tmp_path):
    env = _env(tmp_path)
    for name in ("SECRET_KEY", "CREDENTIAL_KEYS", "CELERY_BROKER_URL"):
        env.pop(name)
    done = _run([str(stack.ROOT / "scripts" / "serve")], env)
    assert done.returncode == 2
    assert "set SECRET_KEY CREDENTIAL_KEYS CELERY_BROKER_URL in the environment" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_make_serve_with_debug_off_serves_sign_in_calendar_and_static_files(tmp_path):
    port = stack.free_port()
    env = _env(tmp_path, PORT=str(port), DEBUG="1")  # make serve turns DEBUG off itself
    serve = stack.Process(
        "serve", [str(stack.ROOT / "scripts" / "serve")], env=env, logdir=tmp_path
    )
    try:
        serve.wait_for("Listening at", timeout=180)
        stack.manage(
            "shell",
            "-c",
            "from accounts import services; from accounts.models import User; "
            f"u = User.objects.create_user(username='ops', password='{PASSWORD}', "
            "email='ops@example.com'); "
            "services.brand_create(slug='prod', name='Prod', created_by=u)",
            env={**env, "DEBUG": "0"},
        )
        browser = Browser(f"http://127.0.0.1:{port}")

        plain = requests.get(f"http://127.0.0.1:{port}/login/", allow_redirects=False, timeout=20)
        assert plain.status_code == 301
        assert plain.headers["Location"].startswith("https://")

        page = browser.get("/login/")
        assert page.status_code == 200, page.text[:2000]
        assert "Sign in" in page.text
        css = re.search(r'href="(/static/css/countersign\.[0-9a-f]{12}\.css)"', page.text)
        assert css, "the stylesheet is linked by its hashed name (collectstatic's manifest)"
        sheet = browser.get(css.group(1))
        assert sheet.status_code == 200
        assert sheet.headers["Content-Type"].startswith("text/css")
        assert "immutable" in sheet.headers.get("Cache-Control", "")  # whitenoise

        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            "/login/",
            {"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert signed_in.status_code == 302, signed_in.text[:2000]
        home = browser.get(signed_in.headers["Location"])
        assert home.status_code == 302 and home.headers["Location"] == "/b/prod/calendar/"
        calendar = browser.get("/b/prod/calendar/")
        assert calendar.status_code == 200, calendar.text[:2000]
        assert "Prod" in calendar.text
        assert browser.get("/healthz/").json() == {"ok": True}
    finally:
        if serve.proc.poll() is None:
            serve.proc.send_signal(signal.SIGINT)  # Ctrl-C
            serve.proc.wait(timeout=30)
        serve.stop()
    log = serve.log()
    for name in ("web", "worker", "beat"):
        assert f"supervise: {name} started" in log
    assert "restarting" not in log, log[-4000:]
    assert stack.pids_with_env("COUNTERSIGN_VAR_DIR", str(tmp_path / "var")) == []


def test_without_collectstatic_the_check_fails_and_gunicorn_refuses_to_start(tmp_path):
    env = _env(tmp_path, DEBUG="0")
    # Other commands still run (a worker or cron machine has no static files) ...
    stack.manage("migrate", "--no-input", "-v", "0", env=env)
    lint = _run([sys.executable, "manage.py", "policy_lint", "no-such-brand", "hello"], env)
    assert lint.returncode == 2 and "no brand" in lint.stderr and "E001" not in lint.stderr
    # ... but the deployment check and the web server refuse.
    done = _run([sys.executable, "manage.py", "check", "--deploy"], env)
    assert done.returncode == 1
    assert "config.E001" in done.stderr and "collectstatic" in done.stderr

    port = stack.free_port()
    gunicorn = stack.Process(
        "gunicorn",
        [str(stack.BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        env=env,
        logdir=tmp_path,
    )
    try:
        code = gunicorn.proc.wait(timeout=60)
    finally:
        gunicorn.stop()
    assert code != 0
    assert "Static files have not been collected" in gunicorn.log()
    assert "Run `python manage.py collectstatic`" in gunicorn.log()
