"""Celery tasks for the inbox: thin, ids as arguments. The periodic round fans out one fetch
per due channel (a failing channel is its own task and never stops the others)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accounts.models import Brand
from planner.engagement import fetch, selectors, services


@shared_task(name="planner.engagement.tasks.fetch_inbox", ignore_result=True)
def fetch_inbox() -> int:
    due = fetch.channels_due(now=timezone.now())
    for channel_id in due:
        fetch_inbox_channel.delay(channel_id)
    return len(due)


@shared_task(name="planner.engagement.tasks.fetch_inbox_channel", ignore_result=True)
def fetch_inbox_channel(channel_id: int) -> dict:
    report = fetch.channel_fetch(channel_id=channel_id)
    return {"new_messages": report.new_messages, "error": report.error}


@shared_task(name="planner.engagement.tasks.overdue_digest", ignore_result=True)
def overdue_digest() -> int:
    """Each brand's admins hear which conversations went overdue since the last digest."""
    now = timezone.now()
    total = 0
    for brand in Brand.objects.filter(pk__in=selectors.brands_with_overdue(now=now)):
        total += services.overdue_digest(brand=brand, now=now)
    return total
