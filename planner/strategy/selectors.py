"""Reads for strategy: the brand's mix targets and link rules, each channel's mix over a range,
the mix warning a post would raise, and what a user-generated post still lacks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.utils.text import slugify

from accounts.models import Brand, Channel
from planner.models import (
    DEFAULT_MIX_TARGETS,
    DEFAULT_MIX_WINDOW_DAYS,
    Campaign,
    Category,
    CustomerCredit,
    LinkTracking,
    MixTarget,
    Post,
    Status,
)
from planner.strategy.links import tag_links
from planner.strategy.mix import Over, Target, worst_window

#: Finding rule names (they travel with a post's review findings to its approvers).
MIX_RULE = "content-mix"
CREDIT_RULE = "customer-content"
#: Posts that are not planned any more do not count towards the mix.
NOT_PLANNED = (Status.FAILED,)


def parse_form_time(raw, *, brand: Brand) -> dt.datetime | None:
    """A form's date-time (local to the brand when it has no offset) as UTC, or None."""
    from django.core.exceptions import ValidationError

    from planner.timeutil import parse_instant

    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        return None
    try:
        return parse_instant(raw, tz=brand.tz, field="scheduled_at")
    except ValidationError:
        return None


def brand_campaign(*, brand: Brand, raw) -> Campaign | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return Campaign.objects.filter(brand=brand, pk=pk).first() if 0 < pk < 2**63 else None


def mix_targets(*, brand: Brand) -> list[Target]:
    """The brand's targets; the default (promotional ≤ 20% over 14 days) when it set none."""
    rows = [
        Target(category=t.category, max_percent=t.max_percent, window_days=t.window_days)
        for t in MixTarget.objects.filter(brand=brand).order_by("category")
    ]
    if rows:
        return rows
    return [
        Target(category=c, max_percent=p, window_days=DEFAULT_MIX_WINDOW_DAYS)
        for c, p in DEFAULT_MIX_TARGETS.items()
    ]


def link_tracking(*, brand: Brand) -> LinkTracking | None:
    return LinkTracking.objects.filter(brand=brand).first()


def campaign_slug(campaign: Campaign | None) -> str:
    return slugify(campaign.name)[:100] if campaign is not None else ""


def tagged_text(
    *,
    brand: Brand,
    channel: Channel,
    campaign: Campaign | None,
    text: str,
    rules: LinkTracking | bool | None = False,
) -> str:
    """The text with the brand's UTM rules applied to links to its own domains (unchanged
    when the brand has none). ``rules``: the brand's rules if already read."""
    if rules is False:
        rules = link_tracking(brand=brand)
    if rules is None or not rules.enabled or not rules.domains:
        return text
    return tag_links(
        text,
        domains=rules.domains,
        source=channel.platform,
        medium=rules.medium or "social",
        campaign=campaign_slug(campaign),
        content=rules.content,
    )


def mix_over(
    *,
    brand: Brand,
    channel: Channel,
    category: str,
    scheduled_at: dt.datetime | None,
    exclude_post_id: int | None = None,
    targets: list[Target] | None = None,
) -> list[Over]:
    """Each target the post would push its channel over (one query for the neighbours)."""
    if scheduled_at is None or category not in Category.values:
        return []
    targets = [t for t in (targets or mix_targets(brand=brand)) if t.category == category]
    if not targets:
        return []
    span = dt.timedelta(days=max(t.window_days for t in targets))
    others = (
        Post.objects.filter(
            channel=channel,
            scheduled_at__gt=scheduled_at - span,
            scheduled_at__lt=scheduled_at + span,
        )
        .exclude(status__in=NOT_PLANNED)
        .exclude(pk=exclude_post_id)
        .values_list("scheduled_at", "category")
    )
    others = list(others)
    found = [worst_window(scheduled_at, category, others, target) for target in targets]
    return [over for over in found if over is not None]


def mix_message(over: Over, channel: Channel) -> str:
    label = Category(over.category).label.lower()
    return (
        f"Content mix: with this post, {label} would be {over.count} of {over.total} posts "
        f"({over.percent}%) on {channel.handle} in the {over.window_days} days up to "
        f"{over.end:%d %b}; the brand's target is at most {over.max_percent}%."
    )


def mix_findings(post: Post) -> list[dict]:
    """The post's mix warnings as review findings (severity warn: the approver sees them)."""
    return [
        {
            "rule": MIX_RULE,
            "severity": "warn",
            "start": 0,
            "end": 0,
            "match": "",
            "message": mix_message(over, post.channel),
        }
        for over in mix_over(
            brand=post.brand,
            channel=post.channel,
            category=post.category,
            scheduled_at=post.scheduled_at,
            exclude_post_id=post.pk,
        )
    ]


def credit_problems(post: Post) -> list[str]:
    """What a user-generated post lacks: the author's handle and source, the permission (who,
    when, how), the credit in the text. Empty for other categories."""
    if post.category != Category.USER_GENERATED:
        return []
    credit = CustomerCredit.objects.filter(post_id=post.pk).first()
    if credit is None or not credit.author_handle.strip() or not credit.source_url:
        return [
            "Customer content needs the original author's handle and the link to their "
            "post, and their permission (who gave it, when, how)."
        ]
    problems = []
    if not credit.has_permission:
        problems.append(
            f"Customer content needs a recorded permission from {credit.author_handle} "
            "(who gave it, when and how) before it can go out."
        )
    if credit.author_handle.strip().lower() not in post.text.lower():
        problems.append(f"The post must credit its author: mention {credit.author_handle}.")
    return problems


def credit_findings(post: Post) -> list[dict]:
    return [
        {
            "rule": CREDIT_RULE,
            "severity": "block",
            "start": 0,
            "end": 0,
            "match": "",
            "message": message,
        }
        for message in credit_problems(post)
    ]


def channel_mix(
    *, brand: Brand, channels: list[Channel], start: dt.datetime, end: dt.datetime
) -> list[dict]:
    """Per channel, its posts in [start, end) by category, each share against its target
    (one query; the targets one more)."""
    targets = {t.category: t for t in mix_targets(brand=brand)}
    rows = (
        Post.objects.filter(
            brand=brand,
            channel__in=[c.pk for c in channels],
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        .exclude(status__in=NOT_PLANNED)
        .values("channel_id", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["channel_id"]][row["category"]] = row["n"]
    result = []
    for channel in channels:
        mine = counts.get(channel.pk, {})
        total = sum(mine.values())
        categories = []
        for value, label in Category.choices:
            n = mine.get(value, 0)
            percent = round(100 * n / total) if total else 0
            target = targets.get(value)
            categories.append(
                {
                    "category": value,
                    "label": str(label),
                    "count": n,
                    "percent": percent,
                    "max_percent": target.max_percent if target else None,
                    "over": bool(target and total and 100 * n > target.max_percent * total),
                }
            )
        result.append(
            {
                "channel": channel.pk,
                "handle": channel.handle,
                "total": total,
                "categories": categories,
                "over": any(c["over"] for c in categories),
            }
        )
    return result
