"""Browser journeys for the newsjacking guard: an author sees a new hashtag and an active
sensitive moment in the composer as they type; an admin adds a moment from the pause page
in a few seconds, and sees it expire (the clock moved past its end) into the history."""

from __future__ import annotations

import datetime as dt
import os
from unittest import mock

import pytest
from django.utils import timezone

from policy.models import SensitiveMoment
from tests.e2e.conftest import sign_in

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("E2E_SCREENSHOTS", "")  # a folder: the pages are saved there too


def _at(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})


def _shot(page, name: str, width: int) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_adds_a_moment_from_the_pause_page_and_the_author_sees_it_live(
    demo, new_page, width
):
    admin = new_page()
    _at(admin, width)
    sign_in(admin, "admin")
    admin.goto("/b/demo/publishing/")
    admin.get_by_test_id("pause-form").get_by_label("Why is publishing paused?").fill(
        "Hurricane Sandy"
    )
    admin.get_by_test_id("pause-form").get_by_role("button").click()
    admin.get_by_test_id("moment-offer").wait_for()
    form = admin.get_by_test_id("moment-form")
    assert form.get_by_label("Moment").input_value() == "Hurricane Sandy"
    form.get_by_label("Terms and #tags").fill("Sandy, #Sandy, hurricane sandy")
    form.get_by_role("button", name="Add the moment").click()
    active = admin.get_by_test_id("pause-moments").get_by_test_id("moment-active")
    active.wait_for()
    assert "Hurricane Sandy" in active.inner_text() and "#Sandy" in active.inner_text()
    assert admin.url.endswith("/b/demo/publishing/")
    assert admin.evaluate(NO_SIDEWAYS)
    _shot(admin, "pause-page", width)
    moment = SensitiveMoment.objects.get(brand__slug="demo")
    assert moment.severity == "block" and moment.tags == ["#Sandy"]

    author = new_page()
    _at(author, width)
    sign_in(author, "author")
    author.goto("/b/demo/compose/")
    author.get_by_label("@demokitchen (Local outbox (demo))").check()
    author.get_by_label("Post text").press_sequentially(
        "Stuck inside with Sandy? Bake along with us #WhyIStayed #DemoBakes", delay=5
    )
    preview = author.get_by_test_id("compose-preview")
    preview.get_by_test_id("moment-finding").wait_for()
    tag = preview.get_by_test_id("hashtag-finding")
    assert tag.count() == 1
    assert "#WhyIStayed has not been used by this brand" in tag.inner_text()
    assert "Hurricane Sandy" in preview.get_by_test_id("moment-finding").inner_text()
    marks = preview.locator("mark.finding-block")
    assert marks.count() == 1 and marks.inner_text() == "Sandy"
    assert preview.locator("mark.finding-warn", has_text="#WhyIStayed").count() == 1
    assert author.evaluate(NO_SIDEWAYS)
    _shot(author, "composer", width)

    # Three days later the moment has ended by itself: it is history, and the same text
    # only warns about the hashtag.
    later = timezone.now() + dt.timedelta(days=3, minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        admin.goto("/b/demo/policy/moments/")
        past = admin.get_by_test_id("moment-past")
        assert "Hurricane Sandy" in past.inner_text()
        assert admin.get_by_test_id("moment-active").count() == 0
        author.get_by_label("Post text").press_sequentially(" today", delay=5)
        author.wait_for_function(
            "() => !document.querySelector('[data-testid=moment-finding]')"
            " && document.querySelector('[data-testid=hashtag-finding]')"
        )
        assert preview.locator("mark.finding-block").count() == 0
