"""Browser journeys: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Never downloads a browser. In CI a missing Chromium fails the run; locally it skips.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the live server's ORM calls
# happen in the server thread, but fixtures that touch the ORM run here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# Every journey also checks the Content-Security-Policy: any violation (a blocked inline
# script, style, eval or source) fails the test that caused it.
CSP_HOOK = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " +
                (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def watch_csp(context, violations: list[str]) -> None:
    """Collect CSP violations of every page of ``context`` into ``violations``."""
    context.add_init_script(CSP_HOOK)

    def on_console(message):
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or text.startswith("CSP violation")
        ):
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    context.on("console", on_console)


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Fail a journey on any CSP violation in any browser context it opens."""
    violations: list[str] = []
    if "browser" not in request.fixturenames:
        yield violations
        return
    browser = request.getfixturevalue("browser")
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        watch_csp(context, violations)
        return context

    browser.new_context = new_context
    yield violations
    del browser.new_context
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture(scope="session")
def browser():
    require_service(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="countersign-chromium-")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (its own cookies) and return a page factory."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def demo(transactional_db):
    from planner.demo import demo_seed

    return demo_seed(password="e2e-password")


def sign_in(page, username: str, password: str = "e2e-password") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")


# --- dragging on the calendar ---------------------------------------------------------------


def drag_onto(page, moving, target) -> None:
    """Press on a calendar event and move it, in small steps as a hand would, over the
    middle of ``target``; the caller releases the button (to wait for the request)."""
    source, box = moving.bounding_box(), target.bounding_box()
    start = (source["x"] + 10, source["y"] + source["height"] / 2)
    end = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(
            start[0] + (end[0] - start[0]) * step / 20, start[1] + (end[1] - start[1]) * step / 20
        )
        page.wait_for_timeout(15)


def moves_of(page, post) -> list:
    """Every answer the server gives from now on to a move (a PATCH) of ``post``."""
    answers: list = []
    page.on(
        "response",
        lambda r: (
            answers.append(r)
            if f"/api/posts/{post.pk}/" in r.url and r.request.method == "PATCH"
            else None
        ),
    )
    return answers


def drop(page, moving, target, answers: list, until, seconds: float = 15) -> None:
    """Drag ``moving`` onto ``target`` and release, then wait until ``until()``. Only a
    gesture the calendar did not take as a drop (no move asked of the server at all: on a
    loaded machine the drag can start late) is made once more, after a reload; a move the
    server answered is never repeated."""
    for attempt in (1, 2):
        drag_onto(page, moving, target)
        page.mouse.up()
        for _ in range(int(seconds * 10)):
            if until():
                return
            page.wait_for_timeout(100)
        assert attempt == 1 and not answers, [(r.status, r.text()) for r in answers]
        page.reload()
        moving.wait_for()
