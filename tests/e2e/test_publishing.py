"""A post goes from approved to published, watched in a real browser, while the processes of
``make run`` run for real: the web server, a Celery worker and celery beat (the database
scheduler's "Dispatch due posts" every second), on SQLite with the default SQLite broker,
publishing to the fake Mastodon.

The processes share one SQLite file, so this journey does not use pytest-django's live
server (its in-memory database cannot be shared with other processes)."""

from __future__ import annotations

import json
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import fake_tokens
from tests.queue import stack

pytestmark = pytest.mark.queue


@pytest.fixture
def running(tmp_path):
    """web + worker + beat against a fresh database, and the fake Mastodon they publish to."""
    port = stack.free_port()
    env = stack.base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'countersign.sqlite3'}",
        COUNTERSIGN_VAR_DIR=str(tmp_path / "var"),
        DISPATCH_INTERVAL_SECONDS="1",
        PORT=str(port),
    )
    started = []
    with FakeMastodon(tokens=fake_tokens()) as fake:
        try:
            stack.manage("migrate", "--no-input", "-v", "0", env=env)
            stack.manage("setup_periodic_tasks", env=env)
            made = json.loads(
                stack.scenario("setup", "--mastodon", fake.url, "--approved-in", "45", env=env)
            )
            started.append(stack.start_worker("worker", env=env, logdir=tmp_path, concurrency=2))
            started.append(stack.start_beat(env=env, logdir=tmp_path))
            web = stack.Process(
                "web",
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                env=env,
                logdir=tmp_path,
            )
            started.append(web)
            web.wait_for("Quit the server", timeout=30)
            yield {"url": f"http://127.0.0.1:{port}", "fake": fake, **made}
        finally:
            for proc in reversed(started):
                proc.stop()


def test_an_approved_post_is_published_while_the_processes_run(browser, running):
    context = browser.new_context(base_url=running["url"], viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, running["users"]["author"], password=running["password"])
        page.goto(f"/b/{running['brand']}/posts/{running['approved_post']}/")
        panel = page.get_by_test_id("delivery-panel")
        expect(panel.get_by_test_id("delivery-status")).to_have_text("Approved")
        expect(panel).to_contain_text(running["handle"])
        # Nobody reloads: the panel follows the post until it is out (due 45 s after the
        # set-up, so that a slow start of the processes still finds it approved).
        link = panel.get_by_test_id("remote-link")
        expect(link).to_be_visible(timeout=120_000)
        expect(panel.get_by_test_id("delivery-status")).to_have_text("Published")
        [status] = running["fake"].posts()
        expect(link).to_have_attribute("href", status["url"])
        expect(panel.get_by_test_id("evidence")).to_contain_text("Identity")
    finally:
        context.close()
