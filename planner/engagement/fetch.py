"""Fetching the inbox: one channel at a time, each stream (its notifications, each saved
search) from its cursor, page by page.

- Nothing twice, nothing missed: each page is written in one transaction together with the
  cursor that follows it, so a crash between pages repeats at most the page that was not
  committed (and the unique constraints drop what is already stored).
- Polite: the platform's rate-limit headers are read on every answer; with the budget
  nearly spent the stream waits until the reset time. A 429 or an unavailable platform backs
  the stream off (doubling, capped); an error on one channel is recorded on its cursor and
  never stops the others.
- A fetch claims the stream's cursor row (a short lease in ``next_allowed_at``) so two
  workers never read the same stream at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Channel
from planner.engagement import services
from planner.engagement.models import FetchCursor, FetchStream, SavedSearch
from platforms.errors import AuthenticationFailed, PlatformError, PlatformUnavailable

logger = logging.getLogger(__name__)

#: How far back a stream's first read goes (see ``FetchCursor.started_at``).
HISTORY = dt.timedelta(days=7)
#: Pages read per stream in one fetch (the rest waits for the next round, from the cursor).
MAX_PAGES = 50
#: Requests kept in reserve when the platform says how many are left.
RATE_RESERVE = 2
LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)
#: A refused credential is not asked again for this long (a person must reconnect).
AUTH_BACKOFF = dt.timedelta(hours=1)
#: The platforms whose mentions and replies are fetched (their adapters have
#: ``supports_inbox``); a channel of any other platform is simply not read.
INBOX_PLATFORMS = ("mastodon", "bluesky", "x", "threads", "facebook", "instagram", "linkedin")
#: The platforms whose saved searches (listening) are run.
LISTENING_PLATFORMS = ("mastodon", "bluesky")


def inbox_platform_labels() -> list[str]:
    """The names of the platforms with an inbox, as the pages show them."""
    from platforms.registry import get_client_class

    return [get_client_class(platform).label for platform in INBOX_PLATFORMS]


@dataclass
class StreamReport:
    stream: str
    saved_search_id: int | None = None
    pages: int = 0
    new_messages: int = 0
    new_conversations: int = 0
    error: str = ""
    busy: bool = False
    waiting_until: dt.datetime | None = None


@dataclass
class ChannelReport:
    channel_id: int
    streams: list[StreamReport] = field(default_factory=list)

    @property
    def new_messages(self) -> int:
        return sum(s.new_messages for s in self.streams)

    @property
    def error(self) -> str:
        return "; ".join(s.error for s in self.streams if s.error)


def _cursor_row(channel: Channel, search: SavedSearch | None) -> FetchCursor:
    stream = FetchStream.SEARCH if search else FetchStream.NOTIFICATIONS
    row = FetchCursor.objects.filter(channel=channel, stream=stream, saved_search=search).first()
    if row is None:
        try:
            with transaction.atomic():
                row = FetchCursor.objects.create(
                    channel=channel, stream=stream, saved_search=search
                )
        except IntegrityError:  # made by a concurrent fetch
            row = FetchCursor.objects.get(channel=channel, stream=stream, saved_search=search)
    return row


def _claim(row: FetchCursor, now: dt.datetime, *, force: bool) -> bool:
    """Take the stream for a lease, unless it is leased, backing off or rate limited."""
    qs = FetchCursor.objects.filter(pk=row.pk)
    if not force:
        qs = qs.filter(Q(next_allowed_at__isnull=True) | Q(next_allowed_at__lte=now))
    return bool(qs.update(next_allowed_at=now + LEASE, last_fetched_at=now))


def _backoff(failures: int, retry_after: float | None) -> dt.timedelta:
    wait = BACKOFF_BASE * (2 ** min(max(failures - 1, 0), 12))
    if retry_after:
        wait = max(wait, dt.timedelta(seconds=min(retry_after, BACKOFF_MAX.total_seconds())))
    return min(wait, BACKOFF_MAX)


def _read(client, channel: Channel, search: SavedSearch | None, cursor: str):
    if search is None:
        return client.notifications(own_remote_id=channel.remote_account_id, cursor=cursor)
    return client.search(query=search.query, cursor=cursor)


def fetch_stream(
    *,
    channel: Channel,
    client,
    search: SavedSearch | None = None,
    now: dt.datetime | None = None,
    max_pages: int = MAX_PAGES,
    force: bool = False,
    clock=None,
) -> StreamReport:
    now = now or timezone.now()
    row = _cursor_row(channel, search)
    report = StreamReport(stream=row.stream, saved_search_id=search.pk if search else None)
    if not _claim(row, now, force=force):
        report.busy = True
        return report
    clock = clock or services.brand_clock(channel.brand)
    cursor = row.cursor
    next_allowed = None
    rate_remaining = rate_reset = None
    try:
        for _ in range(max_pages):
            page = _read(client, channel, search, cursor)
            horizon = row.started_at - HISTORY
            messages = [m for m in page.messages if m.created_at is None or m.created_at >= horizon]
            with transaction.atomic():
                result = services.inbox_ingest(
                    channel=channel,
                    messages=messages,
                    saved_search=search,
                    clock=clock,
                    now=now,
                )
                cursor = page.cursor or cursor
                FetchCursor.objects.filter(pk=row.pk).update(cursor=cursor[:500])
            report.pages += 1
            report.new_messages += result.new_messages
            report.new_conversations += result.new_conversations
            limit = page.rate_limit
            rate_remaining, rate_reset = limit.remaining, limit.reset_at
            if limit.remaining is not None and limit.remaining <= RATE_RESERVE:
                next_allowed = limit.reset_at or (timezone.now() + BACKOFF_BASE)
                report.waiting_until = next_allowed
                break
            if not page.more:
                break
    except (PlatformUnavailable, AuthenticationFailed, PlatformError) as exc:
        failures = row.failures + 1
        if isinstance(exc, AuthenticationFailed):
            wait = AUTH_BACKOFF
        else:
            wait = _backoff(failures, getattr(exc, "retry_after", None))
        return _failed(row, report, failures=failures, wait=wait, error=str(exc))
    except Exception as exc:  # a surprise in the answer: recorded, never a crash of the round
        logger.exception("inbox fetch of channel %s failed", channel.pk)
        failures = row.failures + 1
        return _failed(
            row,
            report,
            failures=failures,
            wait=_backoff(failures, None),
            error=f"The answer could not be read ({type(exc).__name__}).",
        )
    FetchCursor.objects.filter(pk=row.pk).update(
        failures=0,
        backoff_seconds=0,
        last_error="",
        last_ok_at=timezone.now(),
        next_allowed_at=next_allowed,
        rate_limit_remaining=rate_remaining,
        rate_limit_reset_at=rate_reset,
    )
    return report


def _failed(
    row: FetchCursor, report: StreamReport, *, failures: int, wait: dt.timedelta, error: str
) -> StreamReport:
    """Record a failed read on the stream's cursor: it waits ``wait`` before the next one."""
    report.error = error[:500]
    report.waiting_until = timezone.now() + wait
    FetchCursor.objects.filter(pk=row.pk).update(
        failures=min(failures, 32767),
        backoff_seconds=int(wait.total_seconds()),
        next_allowed_at=report.waiting_until,
        last_error=report.error,
    )
    return report


def channel_fetch(
    *,
    channel_id: int,
    now: dt.datetime | None = None,
    client=None,
    max_pages: int = MAX_PAGES,
    force: bool = False,
) -> ChannelReport:
    """Read one channel's notifications and its saved searches. Never raises for what the
    platform answers: problems are recorded on each stream's cursor."""
    report = ChannelReport(channel_id=channel_id)
    channel = Channel.objects.select_related("brand").filter(pk=channel_id).first()
    if channel is None or channel.platform not in INBOX_PLATFORMS or channel.needs_reconnect:
        return report
    try:
        if client is None:
            from planner.publishing.clients import cached_client

            client = cached_client(channel)
    except PlatformError as exc:
        report.streams.append(StreamReport(stream="notifications", error=str(exc)[:500]))
        return report
    if not getattr(client, "supports_inbox", False):
        return report
    clock = services.brand_clock(channel.brand)
    report.streams.append(
        fetch_stream(
            channel=channel,
            client=client,
            now=now,
            max_pages=max_pages,
            force=force,
            clock=clock,
        )
    )
    searches = SavedSearch.objects.filter(channel=channel, is_active=True).order_by("pk")
    if channel.platform not in LISTENING_PLATFORMS:
        searches = searches.none()
    for search in searches:
        report.streams.append(
            fetch_stream(
                channel=channel,
                client=client,
                search=search,
                now=now,
                max_pages=max_pages,
                force=force,
                clock=clock,
            )
        )
    return report


def channels_due(*, now: dt.datetime) -> list[int]:
    """Inbox channels whose notifications stream may be read now (not leased, not backing
    off, not rate limited)."""
    blocked = FetchCursor.objects.filter(
        stream=FetchStream.NOTIFICATIONS, next_allowed_at__gt=now
    ).values("channel_id")
    return list(
        Channel.objects.filter(platform__in=INBOX_PLATFORMS, reconnect_reason="")
        .exclude(pk__in=blocked)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def fetch_all_due(*, now: dt.datetime | None = None) -> list[ChannelReport]:
    """One round, inline (tests, the command line): every due channel, each on its own."""
    now = now or timezone.now()
    reports = []
    for channel_id in channels_due(now=now):
        try:
            reports.append(channel_fetch(channel_id=channel_id, now=now))
        except Exception:  # one channel never stops the others
            logger.exception("inbox fetch of channel %s failed", channel_id)
            reports.append(
                ChannelReport(
                    channel_id=channel_id,
                    streams=[StreamReport(stream="notifications", error="failed")],
                )
            )
    return reports
