"""Periodic tasks, declared in code and installed by `manage.py setup_periodic_tasks`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every_seconds: int
    description: str


def periodic_tasks() -> list[Periodic]:
    from django.conf import settings

    return [
        Periodic(
            name="Dispatch due posts",
            task="planner.tasks.dispatch_due",
            every_seconds=settings.COUNTERSIGN["DISPATCH_INTERVAL_SECONDS"],
            description="Claim approved posts that are due and enqueue one publish task each.",
        ),
        Periodic(
            name="Fetch feeds",
            task="planner.feeds.tasks.fetch_due_feeds",
            every_seconds=15 * 60,
            description="Fetch each feed (ETag / Last-Modified); new items become drafts.",
        ),
        Periodic(
            name="Collect metrics",
            task="planner.metrics.tasks.collect_metrics",
            every_seconds=10 * 60,
            description="Public metrics of posts 1 h, 24 h and 7 days after publishing, and "
            "each channel's follower count once a day.",
        ),
        Periodic(
            name="Fetch the inbox",
            task="planner.engagement.tasks.fetch_inbox",
            every_seconds=2 * 60,
            description="Mentions and replies of each Mastodon and Bluesky channel, and the "
            "brand's saved searches, from each stream's cursor (rate limits honoured).",
        ),
        Periodic(
            name="Inbox overdue digest",
            task="planner.engagement.tasks.overdue_digest",
            every_seconds=24 * 60 * 60,
            description="Tell each brand's admins which conversations went overdue.",
        ),
        Periodic(
            name="Reconcile replies",
            task="planner.engagement.reconcile_replies",
            every_seconds=2 * 60,
            description="Look up replies whose send was interrupted; record them or re-send "
            "with the same key while the platform deduplicates it.",
        ),
        Periodic(
            name="Certification reminders",
            task="policy.tasks.certification_reminders",
            every_seconds=24 * 60 * 60,
            description="Email people a week before their policy certification lapses, and "
            "when it lapses (once each).",
        ),
        Periodic(
            name="Purge expired API tokens",
            task="accounts.tasks.purge_expired_tokens",
            every_seconds=24 * 60 * 60,
            description="Delete API tokens past their expiry (each is refused from then on).",
        ),
    ]
