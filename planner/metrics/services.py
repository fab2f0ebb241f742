"""Writes for metrics: one snapshot of a published post, one day's follower count.

The platform is asked outside any transaction; what it answers is untrusted (the adapters
refuse anything that is not a count). A snapshot and the post's latest metrics are written
together in one transaction, or not at all; a snapshot is taken once per age (unique).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Channel
from planner.models import (
    Delivery,
    FollowerCount,
    MetricSnapshot,
    Post,
    PostMetrics,
    Status,
)
from platforms.errors import PlatformError
from platforms.metrics import PublicMetrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    ok: bool
    reason: str = ""


def _client(channel: Channel):
    from planner.publishing.clients import cached_client

    return cached_client(channel)


def _ask(call) -> tuple[object | None, str]:
    try:
        return call(), ""
    except PlatformError as exc:
        return None, str(exc)[:300]
    except Exception as exc:  # an adapter surprise is reported, never a crash or a 500
        logger.exception("metrics: unexpected error")
        return None, f"unexpected answer ({type(exc).__name__})"


def local_time(when: dt.datetime, tz) -> dict:
    local = when.astimezone(tz)
    return {"local_weekday": local.isoweekday(), "local_hour": local.hour}


def snapshot_store(*, post: Post, age: str, metrics: PublicMetrics, now: dt.datetime) -> bool:
    """Store one snapshot and the post's latest metrics (atomic; False if already taken)."""
    delivery = Delivery.objects.filter(post=post).only("published_at").first()
    published_at = (delivery.published_at if delivery else None) or post.scheduled_at or now
    try:
        with transaction.atomic():
            MetricSnapshot.objects.create(
                post=post,
                age=age,
                likes=metrics.likes,
                reposts=metrics.reposts,
                replies=metrics.replies,
                quotes=metrics.quotes,
                fetched_at=now,
            )
            PostMetrics.objects.update_or_create(
                post=post,
                defaults={
                    "brand_id": post.brand_id,
                    "channel_id": post.channel_id,
                    "campaign_id": post.campaign_id,
                    "category": post.category,
                    "published_at": published_at,
                    "likes": metrics.likes,
                    "reposts": metrics.reposts,
                    "replies": metrics.replies,
                    "quotes": metrics.quotes,
                    "engagement": metrics.engagement,
                    **local_time(published_at, post.brand.tz),
                    "age": age,
                    "fetched_at": now,
                },
            )
    except IntegrityError:
        return False
    return True


def snapshot_take(*, post_id: int, age: str, now: dt.datetime | None = None) -> Taken:
    """Ask the platform for a published post's public metrics and store them as ``age``."""
    now = now or timezone.now()
    if age not in MetricSnapshot.Age.values:
        return Taken(False, "unknown age")
    post = (
        Post.objects.select_related("brand", "channel", "channel__brand")
        .filter(pk=post_id, status=Status.PUBLISHED)
        .first()
    )
    delivery = Delivery.objects.filter(post_id=post_id).first()
    if post is None or delivery is None or not delivery.remote_id:
        return Taken(False, "not a published post")
    if MetricSnapshot.objects.filter(post_id=post_id, age=age).exists():
        return Taken(False, "already taken")
    client, reason = _ask(lambda: _client(post.channel))
    if client is None or not hasattr(client, "metrics"):
        return Taken(False, reason or "the platform has no public metrics")
    metrics, reason = _ask(lambda: client.metrics(delivery.remote_id))
    if not isinstance(metrics, PublicMetrics):
        return Taken(False, reason or "no metrics")
    return Taken(snapshot_store(post=post, age=age, metrics=metrics, now=now), "")


def followers_take(*, channel_id: int, now: dt.datetime | None = None) -> Taken:
    """The channel's follower count for today (once a day)."""
    now = now or timezone.now()
    channel = Channel.objects.select_related("brand").filter(pk=channel_id).first()
    if channel is None:
        return Taken(False, "no such channel")
    day = now.astimezone(channel.brand.tz).date()
    if FollowerCount.objects.filter(channel=channel, day=day).exists():
        return Taken(False, "already counted today")
    client, reason = _ask(lambda: _client(channel))
    if client is None or not hasattr(client, "followers"):
        return Taken(False, reason or "the platform has no follower count")
    count, reason = _ask(client.followers)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return Taken(False, reason or "no count")
    try:
        with transaction.atomic():
            FollowerCount.objects.create(channel=channel, day=day, followers=count, fetched_at=now)
    except IntegrityError:
        return Taken(False, "already counted today")
    return Taken(True)
