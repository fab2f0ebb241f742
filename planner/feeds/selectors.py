"""Reads for feeds: a brand's feeds with their channels and last items, and feeds due."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from accounts.models import Brand
from planner.models import Feed, FeedItem


def feed_list(*, brand: Brand) -> QuerySet[Feed]:
    return (
        Feed.objects.filter(brand=brand)
        .prefetch_related("channels")
        .select_related("created_by")
        .order_by("url")
    )


def feed_get(*, brand: Brand, pk) -> Feed | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return feed_list(brand=brand).filter(pk=pk).first()


def recent_items(*, brand: Brand, limit: int = 20) -> list[FeedItem]:
    return list(
        FeedItem.objects.filter(feed__brand=brand)
        .select_related("feed")
        .order_by("-created_at", "-id")[:limit]
    )


def feeds_due(*, now: dt.datetime, every: dt.timedelta) -> list[int]:
    """Ids of the feeds not stopped that were not fetched within ``every``."""
    return list(
        Feed.objects.filter(stopped_at__isnull=True)
        .filter(Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lte=now - every))
        .order_by("last_fetched_at", "id")
        .values_list("pk", flat=True)[:500]
    )
