"""Celery tasks for feeds: thin, ids as arguments (the periodic one fans out one per feed)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from planner.feeds import selectors, services

FEED_INTERVAL = dt.timedelta(minutes=15)


@shared_task(name="planner.feeds.tasks.fetch_due_feeds", ignore_result=True)
def fetch_due_feeds() -> int:
    """Enqueue one fetch per feed not fetched in the last interval (stopped feeds skipped)."""
    due = selectors.feeds_due(now=timezone.now(), every=FEED_INTERVAL - dt.timedelta(minutes=1))
    for feed_id in due:
        fetch_feed.delay(feed_id)
    return len(due)


@shared_task(name="planner.feeds.tasks.fetch_feed", ignore_result=True)
def fetch_feed(feed_id: int) -> dict:
    report = services.feed_fetch(feed_id=feed_id)
    return {"new_items": report.new_items, "error": report.error}
