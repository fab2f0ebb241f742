"""The per-user secret ICS feed: create, read without login, revoke, and who sees what."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts import services as account_services
from planner.models import CalendarFeed
from planner.posts import services
from tests.planner.conftest import soon


def _feed_url(client, slug: str = "team") -> str:
    response = client.post(reverse("calendar_feed", args=[slug]), {"action": "create"})
    assert response.status_code == 200
    match = re.search(r'value="(http[^"]+\.ics)"', response.content.decode())
    assert match, "the new URL is shown once"
    return match.group(1).replace("http://testserver", "")


def test_feed_lists_the_brands_scheduled_posts(author_client, team, make_post):
    dated = make_post("On the calendar\nsecond line", when=soon(2))
    make_post("Undated draft")
    url = _feed_url(author_client)
    response = Client().get(url)  # no login: the token is the secret
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["uid"]).startswith(f"post-{dated.pk}@")
    assert event.decoded("dtstart") == dated.scheduled_at
    assert str(event["summary"]) == "[Draft] @team: On the calendar"
    assert "second line" in str(event["description"])
    assert str(cal["x-wr-timezone"]) == "Europe/London"


def test_only_the_token_hash_is_stored(author_client, team):
    url = _feed_url(author_client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert token not in (feed.token_hash, feed.token_hint) and feed.token_hash != token
    assert token.startswith(feed.token_hint)


def test_revoked_feeds_are_404(author_client, team):
    url = _feed_url(author_client)
    assert Client().get(url).status_code == 200
    author_client.post(reverse("calendar_feed", args=["team"]), {"action": "revoke"})
    assert Client().get(url).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is not None


def test_a_new_url_replaces_the_old_one(author_client, team):
    first = _feed_url(author_client)
    second = _feed_url(author_client)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_unknown_tokens_are_404(team):
    for token in ("nope", "x" * 300, "%00"):
        assert Client().get(f"/ics/{token}.ics").status_code == 404


def test_a_member_who_leaves_loses_the_feed(author_client, team, make_post):
    make_post("secret plans", when=soon(1))
    url = _feed_url(author_client)
    account_services.membership_remove(
        brand=team["brand"], user=team["author"], actor=team["admin"]
    )
    assert Client().get(url).status_code == 404


def test_feeds_are_per_brand(team, other, make_post):
    make_post("team only", when=soon(1))
    services.post_create(
        brand=other["brand"],
        actor=other["author"],
        channel=other["channel"],
        text="other only",
        category="news",
        scheduled_at=soon(1),
    )
    _, token = services.calendar_feed_create(user=other["author"], brand=other["brand"])
    body = Client().get(f"/ics/{token}.ics").content.decode()
    assert "other only" in body and "team only" not in body


def test_odd_text_makes_a_valid_feed(author_client, team, make_post):
    make_post("bell\x07 and escape\x1b[0m; commas, semicolons; back\\slash", when=soon(1))
    url = _feed_url(author_client)
    cal = Calendar.from_ical(Client().get(url).content)
    (event,) = cal.walk("VEVENT")
    assert "commas, semicolons; back\\slash" in str(event["description"])


def test_feed_page_needs_membership(client, team, other):
    client.force_login(other["author"])
    assert client.get(reverse("calendar_feed", args=["team"])).status_code == 404
