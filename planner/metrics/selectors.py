"""Reads for metrics: what is due to be fetched."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from planner.models import Delivery, FollowerCount, MetricSnapshot, Post, Status

#: When each snapshot is taken, after publishing.
AGES: dict[str, dt.timedelta] = {
    MetricSnapshot.Age.HOUR: dt.timedelta(hours=1),
    MetricSnapshot.Age.DAY: dt.timedelta(hours=24),
    MetricSnapshot.Age.WEEK: dt.timedelta(days=7),
}
#: A snapshot not taken within this long of its time is given up (never retried forever).
GRACE = dt.timedelta(days=2)


def snapshots_due(*, now: dt.datetime, limit: int = 500) -> list[tuple[int, str]]:
    """(post id, age) of published posts whose snapshot at that age is due and not taken
    (one query per age)."""
    due: list[tuple[int, str]] = []
    for age, offset in AGES.items():
        taken = MetricSnapshot.objects.filter(post_id=OuterRef("post_id"), age=age)
        rows = (
            Delivery.objects.filter(
                post__status=Status.PUBLISHED,
                published_at__lte=now - offset,
                published_at__gt=now - offset - GRACE,
            )
            .exclude(remote_id="")
            .exclude(Exists(taken))
            .order_by("published_at")
            .values_list("post_id", flat=True)[:limit]
        )
        due.extend((post_id, age) for post_id in rows)
    return due[:limit]


def channels_due_followers(*, day: dt.date) -> list[int]:
    """Channels with something published and no follower count for ``day``."""
    counted = FollowerCount.objects.filter(channel_id=OuterRef("channel_id"), day=day)
    return list(
        Post.objects.filter(status=Status.PUBLISHED)
        .exclude(Exists(counted))
        .order_by()
        .values_list("channel_id", flat=True)
        .distinct()[:500]
    )
