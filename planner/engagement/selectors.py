"""Reads for the engagement inbox. Every list is limited to the channels the person works
on (``accounts.permissions.inbox_channels``) and comes with its related rows loaded, so a
page's query count does not grow with the number of conversations."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, User
from planner.engagement import lifecycle
from planner.engagement.clock import BusinessClock, waiting_state
from planner.engagement.models import (
    Conversation,
    ConversationStatus,
    Direction,
    FetchCursor,
    Message,
    ResponseSettings,
    SavedSearch,
)

WAITING_FILTERS = ("overdue", "due_soon", "waiting", "none")
KIND_FILTERS = ("addressed", "listening")


@dataclass(frozen=True)
class InboxFilters:
    channel: int | None = None
    status: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    waiting: str = ""
    kind: str = ""
    customer: str = ""


def filters_from(params, *, channels: list[Channel]) -> InboxFilters:
    """Filters from a query string; anything unknown is ignored (never an error page)."""

    def text(name: str) -> str:
        value = params.get(name) or ""
        return value.strip()[:100] if isinstance(value, str) else ""

    channel = text("channel")
    channel_id = int(channel) if channel.isdigit() and len(channel) < 12 else None
    if channel_id is not None and channel_id not in {c.pk for c in channels}:
        channel_id = -1  # a channel the person does not see: shows nothing
    status = text("status")
    if status not in ConversationStatus.values:
        status = ""
    assignee = text("assignee")
    if assignee not in ("me", "none") and not (assignee.isdigit() and len(assignee) < 12):
        assignee = ""
    waiting = text("waiting")
    kind = text("kind")
    return InboxFilters(
        channel=channel_id,
        status=status,
        assignee=assignee,
        waiting=waiting if waiting in WAITING_FILTERS else "",
        kind=kind if kind in KIND_FILTERS else "",
    )


def _visible(user: User, brand: Brand, *, is_admin: bool | None = None) -> QuerySet:
    if is_admin is None:
        is_admin = permissions.has_perm(user, permissions.Action.ADMIN, brand)
    qs = Conversation.objects.filter(brand=brand)
    if is_admin:  # every channel of the brand: no subquery, the (brand, activity) index serves
        return qs
    return qs.filter(
        channel__in=permissions.inbox_channels(user, brand, checked=True, is_admin=False)
    )


def conversation_list(
    *,
    user: User,
    brand: Brand,
    filters: InboxFilters = InboxFilters(),
    now: dt.datetime | None = None,
    is_admin: bool | None = None,
) -> QuerySet[Conversation]:
    """The brand's conversations the person sees, newest activity first."""
    now = now or timezone.now()
    qs = _visible(user, brand, is_admin=is_admin)
    if filters.channel is not None:
        qs = qs.filter(channel_id=filters.channel)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.waiting == "overdue":
        qs = qs.filter(first_unanswered_at__isnull=False, due_at__lte=now)
    elif filters.waiting == "due_soon":
        qs = qs.filter(first_unanswered_at__isnull=False, due_soon_at__lte=now).filter(
            Q(due_at__gt=now) | Q(due_at__isnull=True)
        )
    elif filters.waiting == "waiting":
        qs = qs.filter(first_unanswered_at__isnull=False)
    elif filters.waiting == "none":
        qs = qs.filter(first_unanswered_at__isnull=True)
    if filters.kind == "addressed":
        qs = qs.filter(addressed_to_brand=True)
    elif filters.kind == "listening":
        qs = qs.filter(addressed_to_brand=False)
    return qs.select_related("channel", "assignee", "saved_search").order_by(
        "-last_activity_at", "-id"
    )


def waiting_count(*, user: User, brand: Brand, is_admin: bool | None = None) -> int:
    """For the menu: conversations where a customer waits for the brand, in one query."""
    return (
        _visible(user, brand, is_admin=is_admin)
        .filter(first_unanswered_at__isnull=False, status__in=lifecycle.WAITING)
        .count()
    )


@dataclass
class Row:
    """A conversation with its clock, for the list."""

    conversation: Conversation
    waiting_minutes: int | None
    state: str  # overdue / due_soon / waiting / ""

    @property
    def waiting_label(self) -> str:
        """The wait in business time, e.g. "1 d 2 h" (a business day = the brand's hours)."""
        return business_duration(self.waiting_minutes)


def business_duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def with_clock(conversations, *, clock: BusinessClock, now: dt.datetime) -> list[Row]:
    rows = []
    for c in conversations:
        minutes = (
            clock.minutes_between(c.first_unanswered_at, now) if c.first_unanswered_at else None
        )
        rows.append(
            Row(
                conversation=c,
                waiting_minutes=minutes,
                state=waiting_state(now=now, due_soon_at=c.due_soon_at, due_at=c.due_at)
                if c.first_unanswered_at
                else "",
            )
        )
    return rows


def conversation_get(*, user: User, brand: Brand, pk) -> Conversation | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        _visible(user, brand)
        .select_related("channel__brand", "assignee", "saved_search", "escalated_by", "brand")
        .filter(pk=pk)
        .first()
    )


def conversation_messages(*, conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(conversation=conversation)
        .select_related("composed_by")
        .order_by("remote_created_at", "id")
    )


def customer_history(*, user: User, conversation: Conversation, limit: int = 20) -> list[Message]:
    """The customer's earlier messages to the brand in other conversations (newest first)."""
    return list(
        Message.objects.filter(
            conversation__in=_visible(user, conversation.brand).filter(
                customer_platform=conversation.customer_platform,
                customer_remote_id=conversation.customer_remote_id,
            ),
            direction=Direction.IN,
        )
        .exclude(conversation=conversation)
        .select_related("conversation", "channel")
        .order_by("-remote_created_at", "-id")[:limit]
    )


def assignable_members(*, brand: Brand, channel: Channel) -> list[User]:
    """The brand's active members who work on the channel (assignment choices)."""
    from accounts.models import Membership

    people = []
    for membership in (
        Membership.objects.filter(brand=brand, user__is_active=True)
        .select_related("user")
        .prefetch_related("channels")
        .order_by("user__username")
    ):
        may = membership.is_admin or (
            (membership.is_author or membership.is_approver)
            and (
                not membership.channels_restricted
                or any(c.pk == channel.pk for c in membership.channels.all())
            )
        )
        if may:
            people.append(membership.user)
    return people


def response_settings(*, brand: Brand) -> ResponseSettings | None:
    return ResponseSettings.objects.filter(brand=brand).first()


def saved_searches(*, brand: Brand) -> list[SavedSearch]:
    return list(SavedSearch.objects.filter(brand=brand).select_related("channel").order_by("query"))


def fetch_state(*, brand: Brand) -> list[FetchCursor]:
    return list(
        FetchCursor.objects.filter(channel__brand=brand)
        .select_related("channel", "saved_search")
        .order_by("channel__handle", "stream", "pk")
    )


def newly_overdue(*, brand: Brand, now: dt.datetime) -> QuerySet[Conversation]:
    """Waiting conversations past their target that no digest has reported yet."""
    return (
        Conversation.objects.filter(
            brand=brand,
            addressed_to_brand=True,
            first_unanswered_at__isnull=False,
            status__in=lifecycle.WAITING,
            due_at__lte=now,
            overdue_notified_at__isnull=True,
        )
        .select_related("channel")
        .order_by("due_at", "pk")
    )


def brands_with_overdue(*, now: dt.datetime) -> list[int]:
    return list(
        Conversation.objects.filter(
            addressed_to_brand=True,
            first_unanswered_at__isnull=False,
            status__in=lifecycle.WAITING,
            due_at__lte=now,
            overdue_notified_at__isnull=True,
        )
        .values_list("brand_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class ResponseFigures:
    answered: int
    median_first_response_minutes: float | None
    within_target_percent: float | None
    target_minutes: int
    overdue_now: int
    waiting_now: int


def response_figures(
    *,
    brand: Brand,
    start: dt.datetime,
    end: dt.datetime,
    clock: BusinessClock,
    channel_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> ResponseFigures:
    """First responses in ``[start, end)``: the median in business minutes and the share
    within the target; and, now, how many wait and how many are overdue (three queries)."""
    now = now or timezone.now()
    base = Conversation.objects.filter(brand=brand, addressed_to_brand=True)
    if channel_ids is not None:
        base = base.filter(channel_id__in=channel_ids)
    minutes = list(
        base.filter(
            first_response_at__gte=start,
            first_response_at__lt=end,
            first_response_business_minutes__isnull=False,
        ).values_list("first_response_business_minutes", flat=True)
    )
    waiting = base.filter(first_unanswered_at__isnull=False, status__in=lifecycle.WAITING)
    return ResponseFigures(
        answered=len(minutes),
        median_first_response_minutes=float(statistics.median(minutes)) if minutes else None,
        within_target_percent=(
            round(100 * sum(1 for m in minutes if m <= clock.target_minutes) / len(minutes), 1)
            if minutes
            else None
        ),
        target_minutes=clock.target_minutes,
        overdue_now=waiting.filter(due_at__lte=now).count(),
        waiting_now=waiting.count(),
    )
