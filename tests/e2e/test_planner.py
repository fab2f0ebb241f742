"""Browser journey: compose for two channels with a live count and a highlighted banned word,
save, find both drafts on the calendar, and drag one to another day."""

from __future__ import annotations

import datetime as dt

from accounts import services as account_services
from accounts.models import Brand
from planner.models import Post
from policy import selectors as policy_selectors
from policy import services as policy_services
from tests.e2e.conftest import drop, moves_of, sign_in

BANNED = "frobnicate"


def _prepare_demo_brand() -> Brand:
    brand = Brand.objects.get(slug="demo")
    account_services.channel_create_outbox(brand=brand, handle="@demokitchen-uk", actor=None)
    current = policy_selectors.policy_current(brand=brand)
    policy_services.policy_version_create(
        brand=brand,
        actor=None,
        note="Journey test: one more banned word",
        rules=[
            *current.rules,
            {
                "id": "journey-banned",
                "kind": "banned_terms",
                "severity": "block",
                "message": "Never say frobnicate on a brand channel.",
                "terms": [BANNED],
            },
        ],
    )
    return brand


def test_author_composes_for_two_channels_and_reschedules_on_the_calendar(demo, new_page):
    brand = _prepare_demo_brand()
    tz = brand.tz
    # A weekday in the middle of next week, brand-local 10:15, and the day after it.
    today = dt.datetime.now(tz).date()
    target = today + dt.timedelta(days=7 + (2 - today.weekday()))
    text = f"Journey post: time to {BANNED} the kettle lineup"

    page = new_page()
    sign_in(page, "author")
    page.goto("/b/demo/compose/")
    page.get_by_label("@demokitchen (Local outbox (demo))").check()
    page.get_by_label("@demokitchen-uk (Local outbox (demo))").check()
    page.get_by_label("Post text").press_sequentially(text, delay=5)

    preview = page.get_by_test_id("compose-preview")
    targets = preview.get_by_test_id("preview-target")
    targets.nth(1).wait_for()
    assert targets.count() == 2
    counts = preview.get_by_test_id("char-count")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=char-count]')]"
        ".every(e => e.textContent.includes(n + ' characters'))",
        arg=len(text),
    )
    assert f"{len(text)} characters" in counts.first.inner_text()
    marked = preview.locator("mark.finding-block")
    assert marked.count() == 2
    assert marked.first.inner_text() == BANNED
    assert "Never say frobnicate" in marked.first.get_attribute("title")
    chips = [chip.inner_text() for chip in preview.get_by_test_id("identity-chip").all()]
    assert len(chips) == 2
    assert any("@demokitchen-uk" in chip for chip in chips)
    assert all("Demo Kitchen Co." in chip for chip in chips)

    page.get_by_label("Scheduled time (Europe/London)").fill(f"{target.isoformat()}T10:15")
    page.get_by_role("button", name="Save drafts").click()
    page.wait_for_url("**/b/demo/posts/*/")
    assert "Saved 2 drafts" in page.content()

    posts = list(Post.objects.filter(text=text).select_related("channel").order_by("pk"))
    assert len(posts) == 2 and posts[0].group_id == posts[1].group_id
    expected = dt.datetime.combine(target, dt.time(10, 15), tzinfo=tz).astimezone(dt.UTC)
    assert all(post.scheduled_at == expected for post in posts)

    page.set_viewport_size({"width": 1280, "height": 1800})  # the whole month grid in view
    page.goto(f"/b/demo/calendar/?date={target.isoformat()}")
    events = page.locator("[data-testid=calendar-event]", has_text="Journey post")
    events.nth(1).wait_for()
    assert events.count() == 2

    moving = page.locator(f"[data-testid=calendar-event][data-post-id='{posts[0].pk}']")
    new_day = target + dt.timedelta(days=1)
    cell = page.locator(f"[data-date='{new_day.isoformat()}']").first
    answers = moves_of(page, posts[0])
    drop(page, moving, cell, answers, until=lambda: bool(answers))
    assert [r.status for r in answers] == [200]

    moved = Post.objects.get(pk=posts[0].pk)
    assert moved.scheduled_at.astimezone(tz).date() == new_day
    assert moved.scheduled_at.astimezone(tz).time() == dt.time(10, 15)
    assert moved.revision == 2
    untouched = Post.objects.get(pk=posts[1].pk)
    assert untouched.scheduled_at == expected
    assert page.get_by_test_id("calendar-message").is_hidden()


def test_drag_refused_by_the_server_reverts(demo, new_page):
    """An approver sees the calendar but cannot drag; the server would refuse anyway."""
    brand = Brand.objects.get(slug="demo")
    post = Post.objects.filter(brand=brand).order_by("scheduled_at").last()
    page = new_page()
    sign_in(page, "approver1")
    local = post.scheduled_at.astimezone(brand.tz).date()
    page.goto(f"/b/demo/calendar/?date={local.isoformat()}")
    event = page.locator(f"[data-testid=calendar-event][data-post-id='{post.pk}']")
    event.wait_for()
    # Not editable for this person: the server says so in the event itself.
    status = page.evaluate(
        "id => window.countersignCalendar.getEventById(id).startEditable", str(post.pk)
    )
    assert status is False
    response = page.request.patch(
        f"/api/posts/{post.pk}/",
        data={"scheduled_at": "2030-01-01T10:00:00Z"},
        headers={"X-CSRFToken": page.get_attribute("#calendar", "data-csrf")},
    )
    assert response.status == 403 and "author role" in response.json()["detail"]
