"""Celery tasks for metrics: a periodic pass that fans out one task per snapshot and per
channel's daily follower count. Thin; ids as arguments."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from planner.metrics import selectors, services


@shared_task(name="planner.metrics.tasks.collect_metrics", ignore_result=True)
def collect_metrics() -> dict:
    now = timezone.now()
    due = selectors.snapshots_due(now=now)
    for post_id, age in due:
        fetch_post_metrics.delay(post_id, age)
    channels = selectors.channels_due_followers(day=now.date())
    for channel_id in channels:
        fetch_followers.delay(channel_id)
    return {"snapshots": len(due), "channels": len(channels)}


@shared_task(name="planner.metrics.tasks.fetch_post_metrics", ignore_result=True)
def fetch_post_metrics(post_id: int, age: str) -> bool:
    return services.snapshot_take(post_id=post_id, age=age).ok


@shared_task(name="planner.metrics.tasks.fetch_followers", ignore_result=True)
def fetch_followers(channel_id: int) -> bool:
    return services.followers_take(channel_id=channel_id).ok
