"""The subscribable calendar feed (RFC 5545), written with the ``icalendar`` library."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import urljoin

from icalendar import Calendar, Event

from planner.models import CalendarFeed, Post

#: How long each post occupies in a subscriber's calendar.
EVENT_LENGTH = dt.timedelta(minutes=15)
# Control characters are not allowed in iCalendar TEXT values (tab and newline are).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("\ufffd", value)


def render_feed(*, feed: CalendarFeed, posts: Iterable[Post], base_url: str) -> bytes:
    brand = feed.brand
    cal = Calendar()
    cal.add("prodid", "-//Countersign//Content calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(f"{brand.name} · Countersign"))
    cal.add("x-wr-timezone", brand.timezone)
    now = dt.datetime.now(dt.UTC)
    host = base_url.split("//", 1)[-1].split("/", 1)[0] or "countersign"
    for post in posts:
        start = post.scheduled_at.astimezone(dt.UTC)
        first_line = (post.text.strip().splitlines() or [""])[0][:80]
        event = Event()
        event.add("uid", f"post-{post.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("last-modified", post.updated_at.astimezone(dt.UTC))
        event.add(
            "summary",
            _text(f"[{post.get_status_display()}] {post.channel.handle}: {first_line}"),
        )
        url = urljoin(base_url, post.get_absolute_url())
        event.add(
            "description",
            _text(
                f"{post.text}\n\nPosts as {post.channel.handle} "
                f"({post.channel.get_platform_display()}) · {post.get_category_display()}"
                f"{' · ' + post.campaign.name if post.campaign else ''}\n{url}"
            ),
        )
        event.add("url", url)
        event.add("categories", [post.get_category_display()])
        event.add(
            "status", "CONFIRMED" if post.status in ("approved", "published") else "TENTATIVE"
        )
        cal.add_component(event)
    return cal.to_ical()
