"""One journey per role on the demo brand, at desktop width and on a phone (390 px): what each
person SEES (menu items, buttons, counts, warnings), and that no page scrolls sideways."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request) -> int:
    return WIDTHS[request.param]


def open_as(new_page, username: str, width: int):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    sign_in(page, username)
    return page


def visit(page, path: str, *, status: int = 200):
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, path)
    return response


def assert_no_sideways_scroll(page, where: str) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, "
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1 && getComputedStyle(e).position !== 'fixed')"
        ".slice(0, 3).map(e => e.tagName + '.' + e.className)]"
    )
    assert widths[0] <= widths[1], f"{where} scrolls sideways: {widths}"


def calendar_view(page, expected: str) -> None:
    page.wait_for_function("() => window.countersignCalendar !== undefined")
    assert page.evaluate("window.countersignCalendar.view.type") == expected


def menu(page):
    """The main menu, opened (on a phone it sits behind the hamburger)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#nav.show").wait_for()
    return page.locator("#nav")


def menu_items(page) -> list[str]:
    return [t.strip() for t in menu(page).locator(".nav-link").all_inner_texts()]


def test_author_journey(demo, new_page, width):
    page = open_as(new_page, "author", width)
    visit(page, "/b/demo/calendar/")
    items = menu_items(page)
    assert "Compose" in items and not any(i.startswith("Inbox") for i in items)
    toggle = page.get_by_test_id("filters-toggle")
    if width < 768:
        # Filters folded behind one button, the calendar as a list.
        assert toggle.is_visible() and not page.get_by_test_id("filters").is_visible()
        toggle.click()
        page.get_by_test_id("filters").wait_for(state="visible")
        calendar_view(page, "listMonth")
    else:
        assert not toggle.is_visible() and page.get_by_test_id("filters").is_visible()
        calendar_view(page, "dayGridMonth")
    page.get_by_test_id("calendar-event").first.wait_for()
    labels = {
        b.get_attribute("data-status"): b.inner_text().strip()
        for b in page.locator("[data-testid=calendar-event] [data-status]").all()
    }
    assert labels.get("in_review") == "In review" and labels.get("draft") == "Draft"
    visit(page, "/b/demo/posts/")
    badges = set(page.get_by_test_id("status-badge").all_inner_texts())
    assert "In review" in badges and "In Review" not in badges
    page.get_by_test_id("post-row").first.locator("a").first.click()
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, "post page")
    assert page.get_by_test_id("review-panel").is_visible()


def test_approver_journey(demo, new_page, width):
    page = open_as(new_page, "approver1", width)
    visit(page, "/b/demo/calendar/")
    items = menu_items(page)
    assert "Compose" not in items
    count = page.get_by_test_id("nav-inbox-count")
    assert count.is_visible()
    awaiting = int(re.match(r"\d+", count.inner_text()).group(0))
    assert awaiting >= 1
    page.get_by_test_id("nav-inbox").click()
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, "inbox")
    assert page.get_by_test_id("inbox-item").count() == awaiting
    page.get_by_test_id("inbox-item").first.locator("a.fw-semibold").click()
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, "post page")
    assert page.get_by_role("button", name="Approve this version").is_visible()


def test_admin_journey_sees_the_pause_everywhere(demo, new_page, width):
    from accounts.models import Brand, User
    from planner.publishing.services import brand_pause

    brand_pause(
        brand=Brand.objects.get(slug="demo"),
        actor=User.objects.get(username="admin"),
        reason="Product recall: hold everything",
    )
    page = open_as(new_page, "admin", width)
    for path in ("/b/demo/calendar/", "/b/demo/channels/", "/b/demo/publishing/"):
        visit(page, path)
        banner = page.get_by_test_id("paused-banner")
        assert banner.is_visible(), path
        text = banner.inner_text()
        assert "Product recall: hold everything" in text and "paused by Ari Admin" in text, path
    states = set(page.get_by_test_id("channel-state").all_inner_texts())
    assert states == {"paused"}
    visit(page, "/b/demo/channels/")
    assert set(page.get_by_test_id("channel-state").all_inner_texts()) == {"paused"}
    page.get_by_label("Platform").select_option("mastodon")
    scopes = page.get_by_text("read:accounts, write:statuses, read:statuses")
    assert scopes.is_visible()
    menu(page).get_by_test_id("nav-brand-menu").click()
    assert page.get_by_test_id("nav-brand-settings").is_visible()
    assert page.get_by_test_id("nav-approval-rules").is_visible()


def test_trainer_journey(demo, new_page, width):
    page = open_as(new_page, "trainer", width)
    visit(page, "/b/demo/calendar/")
    items = menu_items(page)
    assert "Compose" not in items and not any(i.startswith("Inbox") for i in items)
    assert "Training" in items
    assert page.get_by_test_id("compose-button").count() == 0
    menu(page).get_by_role("link", name="Training").click()
    page.wait_for_load_state("load")
    assert_no_sideways_scroll(page, "training")
    menu(page).get_by_test_id("nav-brand-menu").click()
    assert page.get_by_test_id("nav-brand-settings").count() == 0


def test_outsider_meets_the_products_404(demo, new_page, width):
    page = open_as(new_page, "acme_author", width)
    visit(page, "/b/demo/calendar/", status=404)
    error = page.get_by_test_id("error-page")
    assert error.is_visible() and "Page not found" in error.inner_text()
    assert "Acme Motors" in page.get_by_test_id("current-brand").inner_text()
    back = page.get_by_test_id("error-ways-back").get_by_role("link").last
    assert back.is_visible()
    back.click()
    page.wait_for_url("**/b/acme/calendar/")
    assert_no_sideways_scroll(page, "acme calendar")
