"""Published posts with their history, in bulk: for the dashboard benchmark and tests that
need thousands of rows (the services would take minutes). The rows are what the services
would have written: each post published through the lifecycle's seed, its delivery with a
remote id and publish time, a submit time and one live approval, a metric snapshot at each
age already due and the post's latest metrics, and a daily follower count per channel."""

from __future__ import annotations

import datetime as dt
import random

from planner import lifecycle
from planner.content import fingerprint
from planner.models import (
    Approval,
    Category,
    Delivery,
    FollowerCount,
    MetricSnapshot,
    Post,
    PostGroup,
    PostMetrics,
    Status,
)

BATCH = 1000


def seed_published(
    *,
    brand,
    channels: list,
    author,
    approver,
    n: int,
    start: dt.datetime,
    end: dt.datetime,
    seed: int = 19,
    campaign=None,
) -> list[int]:
    """``n`` published posts spread over [start, end) across ``channels``; their ids."""
    rng = random.Random(seed)
    step = (end - start) / max(n, 1)
    categories = Category.values
    groups = PostGroup.objects.bulk_create(
        [PostGroup(brand=brand, created_by=author) for _ in range(n)], batch_size=BATCH
    )
    posts = []
    for i, group in enumerate(groups):
        channel = channels[i % len(channels)]
        when = start + step * i
        category = categories[rng.randrange(len(categories))]
        text = f"Seeded post {i} on {channel.handle}"
        posts.append(
            Post(
                brand=brand,
                channel=channel,
                group=group,
                author=author,
                last_editor=author,
                text=text,
                category=category,
                campaign=campaign,
                scheduled_at=when,
                submitted_at=when - dt.timedelta(hours=rng.randint(1, 72)),
                content_hash=fingerprint(text=text, channel_id=channel.pk, category=category),
                revision=1,
            )
        )
    posts = lifecycle.seed(posts, status=Status.PUBLISHED, batch_size=BATCH)
    Delivery.objects.bulk_create(
        [
            Delivery(
                post=post,
                idempotency_key=f"seed-{post.pk}-{seed}",
                content_hash=post.content_hash,
                remote_id=str(900_000_000 + post.pk),
                published_at=post.scheduled_at,
            )
            for post in posts
        ],
        batch_size=BATCH,
    )
    Approval.objects.bulk_create(
        [
            Approval(
                post=post,
                approver=approver,
                content_hash=post.content_hash,
                revision=1,
                approved_at=post.submitted_at + dt.timedelta(minutes=rng.randint(5, 600)),
            )
            for post in posts
        ],
        batch_size=BATCH,
    )
    now = max(end, start)
    snapshots, latest = [], []
    for post in posts:
        likes, reposts, replies, quotes = (
            rng.randint(0, 40),
            rng.randint(0, 10),
            rng.randint(0, 8),
            rng.randint(0, 3),
        )
        age = "1h"
        for age_name, offset in (("1h", 1), ("24h", 24), ("7d", 168)):
            if post.scheduled_at + dt.timedelta(hours=offset) <= now:
                age = age_name
                snapshots.append(
                    MetricSnapshot(
                        post=post,
                        age=age_name,
                        likes=likes,
                        reposts=reposts,
                        replies=replies,
                        quotes=quotes,
                        fetched_at=post.scheduled_at + dt.timedelta(hours=offset),
                    )
                )
        latest.append(
            PostMetrics(
                post=post,
                brand=brand,
                channel_id=post.channel_id,
                campaign=campaign,
                category=post.category,
                published_at=post.scheduled_at,
                likes=likes,
                reposts=reposts,
                replies=replies,
                quotes=quotes,
                engagement=likes + reposts + replies + quotes,
                local_weekday=post.scheduled_at.astimezone(brand.tz).isoweekday(),
                local_hour=post.scheduled_at.astimezone(brand.tz).hour,
                age=age,
                fetched_at=now,
            )
        )
    MetricSnapshot.objects.bulk_create(snapshots, batch_size=BATCH)
    PostMetrics.objects.bulk_create(latest, batch_size=BATCH)
    days = max(1, (end.date() - start.date()).days + 1)
    existing = set(
        FollowerCount.objects.filter(channel__in=channels).values_list("channel_id", "day")
    )
    FollowerCount.objects.bulk_create(
        [
            FollowerCount(
                channel=channel,
                day=start.date() + dt.timedelta(days=d),
                followers=1000 + 3 * d + 100 * k,
                fetched_at=now,
            )
            for k, channel in enumerate(channels)
            for d in range(days)
            if (channel.pk, start.date() + dt.timedelta(days=d)) not in existing
        ],
        batch_size=BATCH,
    )
    return [post.pk for post in posts]
