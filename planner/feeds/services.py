"""Writes for feeds: subscribe, unsubscribe, restart, and one fetch (new items -> drafts).

A fetch makes the network call outside any transaction, then writes each new item in its own
transaction: the item row (unique per feed: each item once) and its drafts, or nothing. The
drafts are made by the composer's own service, so they are ordinary drafts: never scheduled,
never sent without the normal approvals. A feed that keeps failing, or fails in a way a retry
will not fix (too big, not a feed, refused address), is stopped and its creator told.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, User
from accounts.permissions import Action
from accounts.services import audit_record, notify
from config.errors import Conflict, DomainError
from planner.feeds import fetch as feed_fetcher
from planner.models import Category, Feed, FeedItem
from planner.posts.checks import character_count, clean_string
from planner.strategy.selectors import tagged_text

logger = logging.getLogger(__name__)

#: Consecutive failures after which a feed is stopped (a person restarts it).
MAX_FAILURES = 5
MAX_FEEDS_PER_BRAND = 50
NOTICE_STOPPED = "feed.stopped"


def _allow_private() -> bool:
    return bool(settings.COUNTERSIGN.get("ALLOW_PRIVATE_INSTANCE_URLS"))


def _check_channels(channels: Sequence[Channel], *, brand: Brand, actor: User) -> list[Channel]:
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise ValidationError({"channels": "Pick at least one channel for the drafts."})
    for channel in channels:
        if channel.brand_id != brand.pk:
            raise ValidationError({"channels": "That channel belongs to another brand."})
        permissions.require(actor, Action.DRAFT, channel)
    return channels


@transaction.atomic
def feed_create(
    *,
    brand: Brand,
    actor: User,
    url: str,
    channels: Sequence[Channel],
    category: str = Category.NEWS,
) -> Feed:
    """Subscribe the brand to a feed; its new items become drafts on ``channels`` (made in
    the name of ``actor``, who must be able to draft on each)."""
    permissions.require(actor, Action.DRAFT, brand)
    url = clean_string(url, field="url", label="The feed address", max_chars=500).strip()
    try:
        url = feed_fetcher.check_url(url, allow_private=_allow_private())
    except feed_fetcher.FeedProblem as exc:
        raise ValidationError({"url": exc.message}) from None
    if category not in Category.values:
        raise ValidationError({"category": f"Choose one of: {', '.join(Category.values)}."})
    channels = _check_channels(channels, brand=brand, actor=actor)
    if Feed.objects.filter(brand=brand).count() >= MAX_FEEDS_PER_BRAND:
        raise ValidationError({"url": f"A brand may have at most {MAX_FEEDS_PER_BRAND} feeds."})
    try:
        with transaction.atomic():
            feed = Feed.objects.create(brand=brand, url=url, category=category, created_by=actor)
    except IntegrityError:
        raise Conflict("The brand already has that feed.", code="feed_exists") from None
    feed.channels.set(channels)
    audit_record(
        action="feed.created",
        actor=actor,
        brand=brand,
        obj=feed,
        data={"url": url, "channels": [c.pk for c in channels]},
    )
    return feed


@transaction.atomic
def feed_delete(*, feed: Feed, actor: User) -> None:
    permissions.require(actor, Action.DRAFT, feed.brand)
    audit_record(action="feed.deleted", actor=actor, brand=feed.brand, data={"url": feed.url})
    feed.delete()


@transaction.atomic
def feed_restart(*, feed: Feed, actor: User) -> Feed:
    """Start a stopped feed again (its failures forgotten)."""
    permissions.require(actor, Action.DRAFT, feed.brand)
    Feed.objects.filter(pk=feed.pk).update(stopped_at=None, failures=0, last_error="")
    audit_record(action="feed.restarted", actor=actor, brand=feed.brand, obj=feed)
    feed.refresh_from_db()
    return feed


# --- one fetch -------------------------------------------------------------------------------


@dataclass
class FetchReport:
    feed_id: int
    new_items: int = 0
    drafts: list[int] = field(default_factory=list)
    not_modified: bool = False
    error: str = ""
    stopped: bool = False


def draft_text(*, title: str, summary: str, link: str, channel: Channel, brand: Brand) -> str:
    """Title, summary and link, the summary trimmed (with …) so the text fits the channel's
    limit as counted for its platform, with the link as it will be tagged."""
    final_link = tagged_text(brand=brand, channel=channel, campaign=None, text=link) if link else ""

    def compose(title_part: str, summary_part: str) -> str:
        return "\n\n".join(p for p in (title_part, summary_part, final_link) if p)

    def fits(text: str) -> bool:
        return not character_count(text, channel).over

    full = compose(title, summary)
    if fits(full):
        return full
    low, high, best = 0, len(summary), compose(title, "")
    if not fits(best):
        # Even the title is too long: trim it instead (keep the link).
        low, high, best = 0, len(title), final_link
        while low <= high:
            mid = (low + high) // 2
            candidate = compose(title[:mid].rstrip() + "…", "")
            if fits(candidate):
                best, low = candidate, mid + 1
            else:
                high = mid - 1
        return best
    while low <= high:
        mid = (low + high) // 2
        candidate = compose(title, summary[:mid].rstrip() + "…")
        if fits(candidate):
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best


def _record_failure(feed: Feed, problem: feed_fetcher.FeedProblem, now) -> FetchReport:
    failures = feed.failures + 1
    stop = problem.permanent or failures >= MAX_FAILURES
    with transaction.atomic():
        Feed.objects.filter(pk=feed.pk).update(
            failures=min(failures, 32767),
            last_error=problem.message[:500],
            last_fetched_at=now,
            stopped_at=now if stop else None,
        )
        if stop:
            audit_record(
                action="feed.stopped",
                brand=feed.brand,
                obj=feed,
                message=problem.message[:500],
                data={"failures": failures},
            )
            notify(
                users=[feed.created_by] if feed.created_by_id else [],
                kind=NOTICE_STOPPED,
                brand=feed.brand,
                subject=f"The feed {feed.url[:120]} was stopped",
                body=f"{problem.message} It is not fetched again until someone restarts it "
                "on the Feeds page.",
                url=f"/b/{feed.brand.slug}/feeds/",
            )
    return FetchReport(feed_id=feed.pk, error=problem.message, stopped=stop)


def _item_drafts(
    feed: Feed, item: feed_fetcher.Item, channels: list[Channel]
) -> tuple[FeedItem, list[int]]:
    """The item row and its drafts (one per channel, each trimmed for it) in one transaction
    (the caller's); the drafts' ids."""
    from planner.posts import services as post_services

    row = FeedItem.objects.create(
        feed=feed, key=item.key, title=item.title[:500], link=item.link[:500]
    )
    if feed.created_by is None or not feed.created_by.is_active:
        row.problem = "Nobody to draft in the name of: the person who added the feed is gone."
        row.save(update_fields=["problem"])
        return row, []
    made, problems = [], []
    for channel in channels:
        text = draft_text(
            title=item.title,
            summary=item.summary,
            link=item.link,
            channel=channel,
            brand=feed.brand,
        )
        try:
            with transaction.atomic():
                result = post_services.post_compose_fitting(
                    brand=feed.brand,
                    actor=feed.created_by,
                    channels=[channel],
                    text=text,
                    category=feed.category,
                    all_or_nothing=True,
                )
            made.extend(result.posts)
        except (ValidationError, DomainError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            problems.append(f"{channel.handle}: {message}")
    row.drafts = len(made)
    row.group_id = made[0].group_id if made else None
    row.problem = "; ".join(problems)[:500]
    row.save(update_fields=["drafts", "group", "problem"])
    return row, [post.pk for post in made]


def feed_fetch(*, feed_id: int, now=None) -> FetchReport:
    """Fetch one feed now and turn its new items into drafts. Never raises for what the feed
    sends: a problem is recorded on the feed (and stops it when retrying will not help)."""
    now = now or timezone.now()
    feed = Feed.objects.select_related("brand", "created_by").filter(pk=feed_id).first()
    if feed is None or feed.stopped_at is not None:
        return FetchReport(feed_id=feed_id, error="stopped" if feed else "gone")
    try:
        fetched = feed_fetcher.fetch(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            allow_private=_allow_private(),
        )
    except feed_fetcher.FeedProblem as problem:
        return _record_failure(feed, problem, now)
    except Exception as exc:  # a parser or transport surprise: reported, never a crash
        logger.exception("feed %s: unexpected error", feed.pk)
        return _record_failure(
            feed,
            feed_fetcher.FeedProblem(f"The feed could not be read ({type(exc).__name__})."),
            now,
        )
    Feed.objects.filter(pk=feed.pk).update(
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        last_fetched_at=now,
        last_ok_at=now,
        failures=0,
        last_error="",
    )
    report = FetchReport(feed_id=feed.pk, not_modified=fetched.not_modified)
    if fetched.not_modified or not fetched.items:
        return report
    seen = set(
        FeedItem.objects.filter(feed=feed, key__in=[i.key for i in fetched.items]).values_list(
            "key", flat=True
        )
    )
    channels = list(feed.channels.select_related("brand"))
    for item in reversed(fetched.items):  # oldest first
        if item.key in seen:
            continue
        try:
            with transaction.atomic():
                _row, drafts = _item_drafts(feed, item, channels)
        except IntegrityError:
            continue  # another fetch took it at the same moment: each item once
        seen.add(item.key)
        report.new_items += 1
        report.drafts.extend(drafts)
    if report.new_items:
        audit_record(
            action="feed.fetched",
            brand=feed.brand,
            obj=feed,
            data={"new_items": report.new_items, "drafts": report.drafts[:100]},
        )
    return report
