"""Browser journeys for the composer and the edit page, at desktop and phone widths: the live
preview beside or right under the text, the approvals an edit would dismiss, the drafts that
fit saved while the one that does not keeps its count, no page wider than the screen, and the
calendar refusing a drag into the past in plain words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, Platform
from planner.models import Post, Status
from planner.posts import services
from tests.e2e.conftest import drop, moves_of, sign_in

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def _at(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})


def _approved_demo_post() -> Post:
    post = (
        Post.objects.filter(brand__slug="demo", status=Status.APPROVED)
        .filter(approvals__dismissed_at__isnull=True)
        .distinct()
        .order_by("scheduled_at")
        .last()
    )
    assert post is not None and post.approvals.filter(dismissed_at__isnull=True).count() == 2
    return post


def _bluesky(brand: Brand) -> Channel:
    channel = Channel.objects.create(
        brand=brand,
        platform=Platform.BLUESKY,
        handle="demokitchen.bsky.social",
        remote_account_id="did:plc:e2e-compose",
    )
    permissions.sync_brand_permissions(brand)
    return channel


@pytest.mark.parametrize("width", WIDTHS)
def test_edit_page_counts_highlights_and_warns_of_the_approvals_it_dismisses(demo, new_page, width):
    post = _approved_demo_post()
    page = new_page()
    _at(page, width)
    sign_in(page, "author")
    page.goto(f"/b/demo/posts/{post.pk}/edit/")
    preview = page.get_by_test_id("compose-preview")
    warning = preview.get_by_test_id("dismiss-warning")
    assert warning.get_attribute("data-dismisses") == "0"
    assert "2 approvals" in warning.inner_text() and "keeps them" in warning.inner_text()
    assert page.evaluate(NO_SIDEWAYS)

    text = page.get_by_label("Post text")
    text.fill("")
    typed = "Fresh idea: a toaster for the election"
    text.press_sequentially(typed, delay=5)
    # the preview of the whole text (each keystroke may answer with a preview of less)
    page.wait_for_function(
        """n => document.querySelector('[data-testid=dismiss-warning]')?.dataset.dismisses === '2'
            && document.querySelector('[data-testid=char-count]')?.innerText.startsWith(n + ' ')""",
        arg=len(typed),
    )
    warning = preview.get_by_test_id("dismiss-warning")
    assert "Saving this will dismiss 2 approvals" in warning.inner_text()
    assert "Moving only the time keeps them" in warning.inner_text()
    count = preview.get_by_test_id("char-count")
    assert count.inner_text().startswith(f"{len(typed)} ")
    marked = preview.locator("mark.finding-block")
    assert marked.count() == 1 and marked.inner_text() == "election"
    # The preview is where the person is typing: beside the text on a desktop, right under
    # it (before the other fields and the button) on a phone; never off to the side.
    text_box = text.bounding_box()
    preview_box = preview.bounding_box()
    button_box = page.get_by_role("button", name="Save changes").bounding_box()
    if width > 1000:
        assert preview_box["x"] > text_box["x"] + text_box["width"]
        assert preview_box["y"] < text_box["y"] + text_box["height"]
    else:
        assert text_box["y"] + text_box["height"] <= preview_box["y"] < button_box["y"]
    assert page.evaluate(NO_SIDEWAYS)


@pytest.mark.parametrize("width", WIDTHS)
def test_composer_saves_what_fits_and_says_what_did_not(demo, new_page, width):
    brand = Brand.objects.get(slug="demo")
    bluesky = _bluesky(brand)
    page = new_page()
    _at(page, width)
    sign_in(page, "author")
    page.goto("/b/demo/compose/")
    page.get_by_label("@demokitchen (Local outbox (demo))").check()
    page.get_by_label(re.compile("demokitchen.bsky.social")).check()
    text = "A long story about kettles. " * 11 + "The end."  # 316 characters
    page.get_by_label("Post text").fill(text)
    preview = page.get_by_test_id("compose-preview")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=char-count]').length === 2"
        " && document.querySelector('[data-testid=char-count][data-over]')"
    )
    over = preview.locator("[data-testid=char-count][data-over]")
    assert over.count() == 1 and "316 / 300" in over.inner_text()
    assert page.evaluate(NO_SIDEWAYS)
    if width < 500:
        text_box = page.get_by_label("Post text").bounding_box()
        button_box = page.get_by_role("button", name="Save drafts").bounding_box()
        assert text_box["y"] < preview.bounding_box()["y"] < button_box["y"]

    page.get_by_role("button", name="Save drafts").click()
    partial = page.get_by_test_id("compose-partial")
    partial.wait_for()
    assert "Saved 1 draft:" in partial.inner_text()
    assert "Not saved for demokitchen.bsky.social: 316/300 characters." in partial.inner_text()
    assert page.get_by_label("Post text").input_value() == text  # nothing cut, nothing lost
    assert page.get_by_label(re.compile("demokitchen.bsky.social")).is_checked()
    assert not page.get_by_label("@demokitchen (Local outbox (demo))").is_checked()
    assert Post.objects.filter(text=text).count() == 1
    assert not Post.objects.filter(channel=bluesky).exists()
    assert page.evaluate(NO_SIDEWAYS)


@pytest.mark.parametrize("width", WIDTHS)
def test_composer_at_any_width_has_no_sideways_scroll_and_no_cutting_textarea(
    demo, new_page, width
):
    brand = Brand.objects.get(slug="demo")
    _bluesky(brand)
    page = new_page()
    _at(page, width)
    sign_in(page, "author")
    page.goto("/b/demo/compose/")
    assert page.get_by_label("Post text").get_attribute("maxlength") is None
    for box in page.locator("input[name=channels]").all():
        box.check()
    page.get_by_label("Post text").press_sequentially("Kettles #one #two", delay=5)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=char-count]').length === 2"
    )
    assert page.evaluate(NO_SIDEWAYS), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )


def test_calendar_refuses_a_drag_into_the_past_in_plain_words(demo, new_page):
    brand = Brand.objects.get(slug="demo")
    tz = brand.tz
    today = dt.datetime.now(tz).date()
    author = brand.memberships.get(user__username="author").user
    channel = Channel.objects.get(brand=brand, platform=Platform.OUTBOX)
    post = services.post_create(
        brand=brand,
        actor=author,
        channel=channel,
        text="Drag me back in time",
        category="engagement",
        scheduled_at=dt.datetime.combine(
            today + dt.timedelta(days=1), dt.time(11, 0), tzinfo=tz
        ).astimezone(dt.UTC),
    )
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 1800})
    sign_in(page, "author")
    page.goto(f"/b/demo/calendar/?date={today.isoformat()}")
    moving = page.locator(f"[data-testid=calendar-event][data-post-id='{post.pk}']")
    moving.wait_for()
    past = page.locator(f"[data-date='{(today - dt.timedelta(days=1)).isoformat()}']").first
    if not past.count():
        pytest.skip("yesterday is not in this month's grid")
    answers = moves_of(page, post)
    drop(page, moving, past, answers, until=lambda: bool(answers))
    assert [r.status for r in answers] == [400]
    message = page.get_by_test_id("calendar-message")
    message.wait_for()
    said = message.inner_text()
    assert said.startswith("Not moved: That time has already passed")
    assert "scheduled_at" not in said
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(tz).date() == today + dt.timedelta(days=1)


def test_calendar_drag_to_within_minutes_asks_for_the_handle(demo, new_page):
    brand = Brand.objects.get(slug="demo")
    tz = brand.tz
    soon = (timezone.now() + dt.timedelta(minutes=6)).astimezone(tz).replace(microsecond=0)
    if soon.date() != (soon - dt.timedelta(minutes=30)).date() or soon.hour < 1:
        pytest.skip("too close to midnight to drag by a day")
    author = brand.memberships.get(user__username="author").user
    channel = Channel.objects.get(brand=brand, platform=Platform.OUTBOX)
    post = services.post_create(
        brand=brand,
        actor=author,
        channel=channel,
        text="Drag me to now",
        category="engagement",
        scheduled_at=(soon + dt.timedelta(days=1)).astimezone(dt.UTC),
    )
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 1800})
    sign_in(page, "author")
    page.goto(f"/b/demo/calendar/?date={soon.date().isoformat()}")
    moving = page.locator(f"[data-testid=calendar-event][data-post-id='{post.pk}']")
    moving.wait_for()
    today_cell = page.locator(f"[data-date='{soon.date().isoformat()}']").first
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept(channel.handle)

    page.on("dialog", answer)
    answers = moves_of(page, post)
    moved = "(id) => document.querySelector('[data-post-api]').dataset.lastMoved === id"
    drop(page, moving, today_cell, answers, until=lambda: page.evaluate(moved, str(post.pk)))
    assert answers[-1].status == 200, [(r.status, r.text()) for r in answers]
    assert asked and f"Type {channel.handle}" in asked[0]
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(tz) == soon
