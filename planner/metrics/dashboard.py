"""The KPI dashboard's figures, from stored rows only (no platform call when a page opens).

Each chart is one function returning ``{"columns": [...], "rows": [[...], ...]}`` in a fixed
number of queries however many posts there are (aggregates in the database; the two charts
that need each post's times read two columns per post in one query).
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Max, OuterRef, Q, Subquery, Sum

from accounts.models import Brand, Channel
from planner.models import Category, Delivery, FollowerCount, Post, PostMetrics, Status
from planner.strategy import selectors as strategy_selectors

TOP_POSTS = 50
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Filters:
    brand: Brand
    start: dt.datetime
    end: dt.datetime
    channels: tuple[Channel, ...]  # the channels shown (the person's, or the one picked)
    campaign_id: int | None = None

    @property
    def channel_ids(self) -> list[int]:
        return [c.pk for c in self.channels]


def _metrics(f: Filters):
    qs = PostMetrics.objects.filter(
        brand=f.brand,
        channel_id__in=f.channel_ids,
        published_at__gte=f.start,
        published_at__lt=f.end,
    )
    if f.campaign_id:
        qs = qs.filter(campaign_id=f.campaign_id)
    return qs


def _published(f: Filters):
    qs = Delivery.objects.filter(
        post__brand=f.brand,
        post__status=Status.PUBLISHED,
        post__channel_id__in=f.channel_ids,
        published_at__gte=f.start,
        published_at__lt=f.end,
    )
    if f.campaign_id:
        qs = qs.filter(post__campaign_id=f.campaign_id)
    return qs


def _handles(f: Filters) -> dict[int, str]:
    return {c.pk: c.handle for c in f.channels}


def _round(value, digits=2):
    return round(float(value), digits) if value is not None else None


def engagement_per_post(f: Filters) -> dict:
    """The most engaging posts in the range (likes, reposts, replies, quotes)."""
    handles = _handles(f)
    rows = (
        _metrics(f)
        .order_by("-engagement", "-published_at")
        .values_list(
            "post_id",
            "published_at",
            "channel_id",
            "category",
            "likes",
            "reposts",
            "replies",
            "quotes",
            "engagement",
        )[:TOP_POSTS]
    )
    return {
        "columns": [
            "post",
            "published_at",
            "channel",
            "category",
            "likes",
            "reposts",
            "replies",
            "quotes",
            "engagement",
        ],
        "rows": [
            [pk, when.isoformat(), handles.get(ch, ""), cat, lk, rp, rl, qt, en]
            for pk, when, ch, cat, lk, rp, rl, qt, en in rows
        ],
    }


def engagement_per_category(f: Filters) -> dict:
    rows = {
        row["category"]: row
        for row in _metrics(f)
        .values("category")
        .annotate(posts=Count("id"), total=Sum("engagement"), average=Avg("engagement"))
        .order_by()
    }
    return {
        "columns": ["category", "posts", "engagement", "average"],
        "rows": [
            [
                value,
                rows.get(value, {}).get("posts", 0),
                rows.get(value, {}).get("total") or 0,
                _round(rows.get(value, {}).get("average")) or 0,
            ]
            for value in Category.values
        ],
    }


def engagement_rate(f: Filters) -> dict:
    """Per channel: average engagement per post over its followers (the latest count up to
    the end of the range), in percent."""
    per_channel = {
        row["channel_id"]: row
        for row in _metrics(f)
        .values("channel_id")
        .annotate(posts=Count("id"), total=Sum("engagement"), average=Avg("engagement"))
        .order_by()
    }
    latest = FollowerCount.objects.filter(
        channel_id=OuterRef("pk"), day__lt=(f.end + dt.timedelta(days=1)).date()
    ).order_by("-day")
    followers = dict(
        Channel.objects.filter(pk__in=f.channel_ids)
        .annotate(n=Subquery(latest.values("followers")[:1]))
        .values_list("pk", "n")
    )
    rows = []
    for channel in f.channels:
        row = per_channel.get(channel.pk, {})
        average = row.get("average")
        n = followers.get(channel.pk)
        rate = _round(100 * average / n, 3) if average is not None and n else None
        rows.append(
            [channel.handle, row.get("posts", 0), row.get("total") or 0, _round(average), n, rate]
        )
    return {
        "columns": ["channel", "posts", "engagement", "average", "followers", "rate_percent"],
        "rows": rows,
    }


def best_times(f: Filters) -> dict:
    """Average engagement per weekday and hour of publishing, in the brand's time zone (as it
    was when the metrics were stored: the local time is kept on the row)."""
    rows = (
        _metrics(f)
        .values(weekday=F("local_weekday"), hour=F("local_hour"))
        .annotate(posts=Count("id"), average=Avg("engagement"))
        .order_by("weekday", "hour")
    )
    return {
        "columns": ["weekday", "hour", "posts", "average"],
        "rows": [
            [
                WEEKDAYS[(int(r["weekday"]) - 1) % 7],
                int(r["hour"]),
                r["posts"],
                _round(r["average"]),
            ]
            for r in rows
        ],
    }


def cadence(f: Filters) -> dict:
    """Per channel: posts published, posts per week, the longest quiet gap and how many gaps
    were longer than the brand's quiet days (one query: each post's channel and time)."""
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    for channel_id, when in (
        _published(f).order_by("published_at").values_list("post__channel_id", "published_at")
    ):
        times[channel_id].append(when)
    weeks = max((f.end - f.start).total_seconds() / (7 * 86400), 1 / 7)
    quiet = dt.timedelta(days=f.brand.quiet_days or 7)
    rows = []
    for channel in f.channels:
        moments = [f.start, *times.get(channel.pk, []), min(f.end, _now())]
        gaps = [b - a for a, b in itertools.pairwise(moments) if b > a]
        longest = max(gaps, default=dt.timedelta())
        posts = len(moments) - 2
        rows.append(
            [
                channel.handle,
                posts,
                round(posts / weeks, 2),
                round(longest.total_seconds() / 86400, 1),
                sum(1 for g in gaps if g > quiet),
            ]
        )
    return {
        "columns": ["channel", "posts", "per_week", "longest_gap_days", "quiet_gaps"],
        "rows": rows,
    }


def mix_vs_target(f: Filters) -> dict:
    mixes = strategy_selectors.channel_mix(
        brand=f.brand, channels=list(f.channels), start=f.start, end=f.end
    )
    rows = []
    for mix in mixes:
        for c in mix["categories"]:
            rows.append(
                [
                    mix["handle"],
                    c["category"],
                    c["count"],
                    c["percent"],
                    c["max_percent"],
                    c["over"],
                ]
            )
    return {
        "columns": ["channel", "category", "posts", "percent", "target_max_percent", "over"],
        "rows": rows,
    }


def approval_lead_time(f: Filters) -> dict:
    """Per channel: hours from submit to the last approval that made the post approved
    (median and 90th percentile), for posts submitted in the range."""
    qs = (
        Post.objects.filter(
            brand=f.brand,
            channel_id__in=f.channel_ids,
            submitted_at__gte=f.start,
            submitted_at__lt=f.end,
            status__in=[Status.APPROVED, Status.PUBLISHING, Status.PUBLISHED, Status.HELD],
        )
        .annotate(approved=Max("approvals__approved_at", filter=Q(approvals__dismissed_at=None)))
        .values_list("channel_id", "submitted_at", "approved")
        .order_by()
    )
    if f.campaign_id:
        qs = qs.filter(campaign_id=f.campaign_id)
    hours: dict[int, list[float]] = defaultdict(list)
    for channel_id, submitted, approved in qs:
        if approved and submitted and approved >= submitted:
            hours[channel_id].append((approved - submitted).total_seconds() / 3600)
    rows = []
    for channel in f.channels:
        values = sorted(hours.get(channel.pk, []))
        rows.append(
            [
                channel.handle,
                len(values),
                round(statistics.median(values), 2) if values else None,
                round(values[min(len(values) - 1, int(0.9 * len(values)))], 2) if values else None,
            ]
        )
    return {"columns": ["channel", "posts", "median_hours", "p90_hours"], "rows": rows}


def summary(f: Filters) -> dict:
    """The headline figures: published posts, engagement, followers, rate, lead time."""
    totals = _metrics(f).aggregate(
        posts=Count("id"), total=Sum("engagement"), average=Avg("engagement")
    )
    published = _published(f).count()
    rate = engagement_rate(f)["rows"]
    followers = sum(r[4] or 0 for r in rate)
    lead = approval_lead_time(f)["rows"]
    lead_values = [r[2] for r in lead if r[2] is not None]
    return {
        "published": published,
        "with_metrics": totals["posts"],
        "engagement": totals["total"] or 0,
        "average_engagement": _round(totals["average"]),
        "followers": followers,
        "engagement_rate_percent": _round(100 * totals["average"] / followers, 3)
        if totals["average"] is not None and followers
        else None,
        "median_lead_time_hours": round(statistics.median(lead_values), 2) if lead_values else None,
    }


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


#: Chart name -> (title, function). One JSON endpoint (and CSV) per chart.
CHARTS = {
    "engagement": ("Engagement per post (top 50)", engagement_per_post),
    "categories": ("Engagement per category", engagement_per_category),
    "rate": ("Engagement rate per follower", engagement_rate),
    "times": ("Best days and hours", best_times),
    "cadence": ("Cadence and quiet gaps", cadence),
    "mix": ("Content mix against target", mix_vs_target),
    "lead-time": ("Approval lead time (submit → approved)", approval_lead_time),
}
