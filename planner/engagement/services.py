"""Writes for the engagement inbox: ingesting what the platforms send, assignment and status,
the first response, the brand's response settings and saved searches, the overdue digest.

Ingestion writes a page of messages in one transaction with the cursor that follows it (the
caller's, see :mod:`planner.engagement.fetch`): a message is stored once per channel (a
unique constraint, checked first), threads are grouped by the post each message answers, and
each touched conversation's cached figures (count, last activity, first unanswered message,
due times from the business-hours clock) are written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, Membership, User
from accounts.permissions import Action
from accounts.services import audit_record, notify
from config.errors import Conflict, NotAllowed
from planner.engagement import lifecycle
from planner.engagement.clock import BusinessClock, clock_for
from planner.engagement.models import (
    MAX_QUERY,
    Conversation,
    ConversationKind,
    ConversationStatus,
    Direction,
    Message,
    ReplyApprovalMode,
    ReplyStatus,
    ResponseSettings,
    SavedSearch,
    SearchKind,
)
from platforms.engagement import RemoteMessage

EXCERPT_CHARS = 300
MAX_SAVED_SEARCHES = 20
NOTICE_OVERDUE = "inbox.overdue"
S = ConversationStatus


# --- the clock of a brand ---------------------------------------------------------------------


def brand_clock(brand: Brand) -> BusinessClock:
    settings = ResponseSettings.objects.filter(brand=brand).first()
    return clock_for(timezone=brand.timezone, settings=settings)


def _set_due(conversation: Conversation, clock: BusinessClock) -> None:
    if conversation.first_unanswered_at is None or not conversation.addressed_to_brand:
        conversation.due_soon_at = conversation.due_at = None
    else:
        conversation.due_soon_at, conversation.due_at = clock.due_times(
            conversation.first_unanswered_at
        )


# --- ingestion --------------------------------------------------------------------------------


@dataclass
class IngestReport:
    new_messages: int = 0
    new_conversations: int = 0
    skipped: int = 0


def _kind(message: RemoteMessage) -> str:
    if message.kind == "listening":
        return ConversationKind.LISTENING
    if message.kind == "reply":
        return ConversationKind.REPLY
    return ConversationKind.MENTION


def _fold(
    conversation: Conversation,
    rows: Sequence[Message],
    *,
    addressed: bool,
    now: dt.datetime,
) -> bool:
    """Fold new messages (oldest first) into a conversation's cached figures; whether a
    customer message arrived (the clock may start)."""
    inbound = False
    for row in rows:
        at = row.remote_created_at or now
        conversation.message_count += 1
        if conversation.last_activity_at is None or at >= conversation.last_activity_at:
            conversation.last_activity_at = at
            conversation.last_message_excerpt = row.text[:EXCERPT_CHARS]
        if row.direction == Direction.IN:
            inbound = True
            if conversation.last_inbound_at is None or at > conversation.last_inbound_at:
                conversation.last_inbound_at = at
            if addressed and conversation.first_unanswered_at is None:
                conversation.first_unanswered_at = at
    return inbound


def inbox_ingest(
    *,
    channel: Channel,
    messages: Iterable[RemoteMessage],
    saved_search: SavedSearch | None = None,
    clock: BusinessClock | None = None,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Store the messages not stored yet (in the caller's transaction, or one of its own)."""
    now = now or timezone.now()
    clock = clock or brand_clock(channel.brand)
    report = IngestReport()
    unique: dict[str, RemoteMessage] = {}
    for message in messages:
        if message.remote_id and message.remote_id not in unique:
            unique[message.remote_id] = message
    if not unique:
        return report
    with transaction.atomic():
        existing = dict(
            Message.objects.filter(channel=channel, remote_id__in=list(unique)).values_list(
                "remote_id", "conversation_id"
            )
        )
        if saved_search is None and existing:
            _promote_listening(channel, set(existing.values()), clock=clock, now=now)
        fresh = [m for m in unique.values() if m.remote_id not in existing]
        report.skipped = len(unique) - len(fresh)
        if not fresh:
            return report
        # In the order the platform listed them (oldest first): a parent before its replies.
        parents = {m.in_reply_to for m in fresh if m.in_reply_to}
        parent_conversation = (
            dict(
                Message.objects.filter(channel=channel, remote_id__in=list(parents)).values_list(
                    "remote_id", "conversation_id"
                )
            )
            if parents
            else {}
        )
        own = channel.remote_account_id
        listening = saved_search is not None
        # Group: a message joins the conversation of the post it answers (stored, or new in
        # this page); otherwise it starts one of its own.
        new_conversations: dict[str, Conversation] = {}
        group_of: dict[str, tuple[str, object]] = {}  # remote id -> ("old", pk) | ("new", root)
        for message in fresh:
            parent = message.in_reply_to
            if parent and parent in parent_conversation:
                group_of[message.remote_id] = ("old", parent_conversation[parent])
            elif parent and parent in group_of:
                group_of[message.remote_id] = group_of[parent]
            elif message.author_remote_id == own:
                report.skipped += 1  # the brand's own post with nothing to attach it to
                continue
            else:
                group_of[message.remote_id] = ("new", message.remote_id)
                new_conversations[message.remote_id] = Conversation(
                    brand_id=channel.brand_id,
                    channel=channel,
                    root_remote_id=message.remote_id,
                    kind=_kind(message),
                    addressed_to_brand=not listening,
                    saved_search=saved_search,
                    customer_platform=channel.platform,
                    customer_remote_id=message.author_remote_id[:255],
                    customer_handle=message.author_handle[:255],
                    customer_display_name=message.author_display_name[:255],
                    last_activity_at=message.created_at or now,
                )
        rows_by_group: dict[tuple, list[Message]] = defaultdict(list)
        rows: list[Message] = []
        for message in fresh:
            group = group_of.get(message.remote_id)
            if group is None:
                continue
            outgoing = message.author_remote_id == own
            row = Message(
                channel=channel,
                remote_id=message.remote_id,
                in_reply_to_remote_id=message.in_reply_to[:255],
                remote_url=message.url[:500],
                direction=Direction.OUT if outgoing else Direction.IN,
                reply_status=ReplyStatus.SENT if outgoing else ReplyStatus.NONE,
                author_remote_id=message.author_remote_id[:255],
                author_handle=message.author_handle[:255],
                author_display_name=message.author_display_name[:255],
                text=message.text,
                remote_created_at=message.created_at,
                fetched_at=now,
            )
            rows.append(row)
            rows_by_group[group].append(row)
        # New conversations, their figures folded from their messages.
        for root, conversation in new_conversations.items():
            conversation.last_activity_at = None
            _fold(conversation, rows_by_group[("new", root)], addressed=not listening, now=now)
            _set_due(conversation, clock)
        created = Conversation.objects.bulk_create(list(new_conversations.values()))
        report.new_conversations = len(created)
        # Existing conversations touched by this page.
        old_ids = [key[1] for key in rows_by_group if key[0] == "old"]
        touched = []
        if old_ids:
            locked = {
                c.pk: c for c in Conversation.objects.select_for_update().filter(pk__in=old_ids)
            }
            reopened = []
            for pk, conversation in locked.items():
                group_rows = rows_by_group[("old", pk)]
                if (
                    _fold(
                        conversation,
                        group_rows,
                        addressed=conversation.addressed_to_brand,
                        now=now,
                    )
                    and conversation.addressed_to_brand
                ):
                    before = lifecycle.reopen(conversation, now)
                    if before is not None:
                        reopened.append((conversation, before))
                _set_due(conversation, clock)
                touched.append(conversation)
            _write_figures(touched, now=now)
            for conversation, before in reopened:
                audit_record(
                    action="conversation.status",
                    brand=channel.brand,
                    obj=conversation,
                    message="The customer wrote again.",
                    data={"from": before, "to": conversation.status},
                )
        for (kind, key), group_rows in rows_by_group.items():
            conversation = new_conversations[key] if kind == "new" else None
            for row in group_rows:
                if conversation is not None:
                    row.conversation = conversation
                else:
                    row.conversation_id = key
        Message.objects.bulk_create(rows)
        report.new_messages = len(rows)
    return report


#: The cached figures ingestion writes on conversations it touched.
FIGURE_FIELDS = (
    "message_count",
    "last_activity_at",
    "last_message_excerpt",
    "last_inbound_at",
    "first_unanswered_at",
    "due_soon_at",
    "due_at",
    "status",
    "status_changed_at",
    "updated_at",
)


def _write_figures(conversations: Sequence[Conversation], *, now: dt.datetime) -> None:
    """One parameterised UPDATE per conversation, sent as one batch (``executemany``):
    ``bulk_update``'s CASE expressions cost more to build than the page takes to fetch."""
    if not conversations:
        return
    meta = Conversation._meta
    fields = [meta.get_field(name) for name in FIGURE_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Identifiers from the model, quoted by the backend; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    rows = []
    for conversation in conversations:
        conversation.updated_at = now
        rows.append(
            [f.get_db_prep_save(getattr(conversation, f.attname), connection) for f in fields]
            + [conversation.pk]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _promote_listening(channel: Channel, conversation_ids: set, *, clock, now) -> None:
    """A listening result that turns out to be addressed to the brand (its notification
    came later) becomes an ordinary conversation: the clock starts."""
    for conversation in Conversation.objects.select_for_update().filter(
        pk__in=conversation_ids, addressed_to_brand=False
    ):
        conversation.addressed_to_brand = True
        conversation.kind = ConversationKind.MENTION
        conversation.first_unanswered_at = conversation.last_inbound_at or now
        _set_due(conversation, clock)
        conversation.save(
            update_fields=[
                "addressed_to_brand",
                "kind",
                "first_unanswered_at",
                "due_soon_at",
                "due_at",
                "updated_at",
            ]
        )


# --- assignment and status ------------------------------------------------------------------


def _require_sees(actor: User, conversation: Conversation) -> None:
    brand = conversation.brand
    if not permissions.inbox_channels(actor, brand).filter(pk=conversation.channel_id).exists():
        raise NotAllowed("You may not work on that channel's conversations.", code="needs_channel")


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, actor: User, assignee: User | None
) -> Conversation:
    """Give the conversation to a member who sees its channel (None: nobody)."""
    _require_sees(actor, conversation)
    sees = assignee is None or (
        assignee.is_active
        and permissions.inbox_channels(assignee, conversation.brand)
        .filter(pk=conversation.channel_id)
        .exists()
    )
    if not sees:
        raise ValidationError(
            {"assignee": "That person is not a member who works on this channel."}
        )
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    before = locked.assignee_id
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    audit_record(
        action="conversation.assigned",
        actor=actor,
        brand=conversation.brand,
        obj=locked,
        data={"from": before, "to": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee != actor:
        notify(
            users=[assignee],
            kind="inbox.assigned",
            brand=conversation.brand,
            subject=f"A conversation with {locked.customer_handle[:80]} is yours",
            body=f"{actor.username} assigned it to you.",
            url=f"/b/{conversation.brand.slug}/conversations/{locked.pk}/",
            email=False,
        )
    return locked


#: What a member may set by hand here (escalation to a crisis has its own service).
MANUAL_STATUSES = (S.OPEN, S.ANSWERED, S.NO_REPLY_NEEDED, S.ESCALATED)


def conversation_set_status(
    *, conversation: Conversation, actor: User, status: str, reason: str = ""
) -> Conversation:
    """Mark answered (answered elsewhere: the first response is now), no reply needed,
    escalated, or open again."""
    _require_sees(actor, conversation)
    if status not in MANUAL_STATUSES:
        raise ValidationError({"status": f"Choose one of: {', '.join(MANUAL_STATUSES)}."})
    clock = brand_clock(conversation.brand)

    def effects(c: Conversation, now) -> list[str]:
        if status in lifecycle.CLOSED:
            if status == S.ANSWERED:
                _first_response(c, now, clock)
            c.first_unanswered_at = None
        elif c.first_unanswered_at is None and c.addressed_to_brand:
            c.first_unanswered_at = now
        _set_due(c, clock)
        return [
            "first_unanswered_at",
            "due_soon_at",
            "due_at",
            "first_response_at",
            "first_response_business_minutes",
        ]

    return lifecycle.transition(
        conversation_id=conversation.pk, to=status, actor=actor, reason=reason, extra=effects
    )


def _first_response(c: Conversation, at: dt.datetime, clock: BusinessClock) -> None:
    if c.first_response_at is None and c.addressed_to_brand:
        c.first_response_at = at
        started = c.first_unanswered_at or at
        c.first_response_business_minutes = clock.minutes_between(started, at)


def conversation_record_response(
    *, conversation_id: int, at: dt.datetime | None = None, actor: User | None = None
) -> Conversation:
    """The brand answered (a reply was sent): the wait ends, the first response is kept,
    the conversation is answered (unless escalated or in crisis, which stay)."""
    at = at or timezone.now()
    conversation = Conversation.objects.select_related("brand").get(pk=conversation_id)
    clock = brand_clock(conversation.brand)

    def effects(c: Conversation, now) -> list[str]:
        _first_response(c, at, clock)
        c.first_unanswered_at = None
        _set_due(c, clock)
        return [
            "first_unanswered_at",
            "due_soon_at",
            "due_at",
            "first_response_at",
            "first_response_business_minutes",
        ]

    if conversation.status == S.OPEN:
        return lifecycle.transition(
            conversation_id=conversation_id,
            to=S.ANSWERED,
            actor=actor,
            reason="A reply was sent.",
            extra=effects,
        )
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation_id)
        fields = effects(locked, at)
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


# --- response settings ----------------------------------------------------------------------


@transaction.atomic
def response_settings_update(
    *,
    brand: Brand,
    actor: User,
    business_days: Sequence[int],
    start_hour: int,
    end_hour: int,
    target_business_minutes: int | None = None,
    due_soon_business_minutes: int = 60,
    reply_approval_mode: str = ReplyApprovalMode.NONE,
) -> ResponseSettings:
    """Set the brand's business hours and target; every waiting conversation's due times are
    computed again."""
    permissions.require(actor, Action.ADMIN, brand)
    errors = {}
    days = sorted({int(d) for d in business_days if str(d).isdigit() and 1 <= int(d) <= 7})
    if not days:
        errors["business_days"] = "Pick at least one business day."
    if not (0 <= start_hour < end_hour <= 24):
        errors["end_hour"] = "Business hours end after they start (0–24)."
    if target_business_minutes is not None and not (1 <= target_business_minutes <= 60 * 24 * 30):
        errors["target_business_minutes"] = "Between 1 minute and 30 days of business minutes."
    if not (0 <= due_soon_business_minutes <= 60 * 24 * 30):
        errors["due_soon_business_minutes"] = "Between 0 and 30 days of business minutes."
    if reply_approval_mode not in ReplyApprovalMode.values:
        errors["reply_approval_mode"] = f"One of: {', '.join(ReplyApprovalMode.values)}."
    if errors:
        raise ValidationError(errors)
    row, _ = ResponseSettings.objects.select_for_update().get_or_create(brand=brand)
    row.business_days = days
    row.start_hour, row.end_hour = start_hour, end_hour
    row.target_business_minutes = target_business_minutes
    row.due_soon_business_minutes = due_soon_business_minutes
    row.reply_approval_mode = reply_approval_mode
    row.save()
    clock = clock_for(timezone=brand.timezone, settings=row)
    batch = []
    for conversation in (
        Conversation.objects.filter(brand=brand, first_unanswered_at__isnull=False)
        .only("pk", "first_unanswered_at", "addressed_to_brand")
        .iterator(chunk_size=2000)
    ):
        _set_due(conversation, clock)
        batch.append(conversation)
        if len(batch) >= 2000:
            Conversation.objects.bulk_update(batch, ["due_soon_at", "due_at"])
            batch = []
    if batch:
        Conversation.objects.bulk_update(batch, ["due_soon_at", "due_at"])
    audit_record(
        action="inbox.settings_updated",
        actor=actor,
        brand=brand,
        obj=row,
        data={
            "days": days,
            "hours": [start_hour, end_hour],
            "target": target_business_minutes,
            "reply_approval_mode": reply_approval_mode,
        },
    )
    return row


# --- saved searches (listening) -------------------------------------------------------------


@transaction.atomic
def saved_search_create(
    *, brand: Brand, actor: User, channel: Channel, query: str, kind: str = SearchKind.BRAND
) -> SavedSearch:
    permissions.require(actor, Action.ADMIN, brand)
    if channel.brand_id != brand.pk:
        raise ValidationError({"channel": "That channel belongs to another brand."})
    query = " ".join((query or "").split())
    if not query or len(query) > MAX_QUERY:
        raise ValidationError({"query": f"Type 1–{MAX_QUERY} characters."})
    if kind not in SearchKind.values:
        raise ValidationError({"kind": f"One of: {', '.join(SearchKind.values)}."})
    if channel.platform not in ("mastodon", "bluesky"):
        raise ValidationError({"channel": "Listening works on Mastodon and Bluesky channels."})
    if SavedSearch.objects.filter(brand=brand).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError({"query": f"A brand may have at most {MAX_SAVED_SEARCHES}."})
    try:
        with transaction.atomic():
            search = SavedSearch.objects.create(
                brand=brand, channel=channel, query=query, kind=kind, created_by=actor
            )
    except IntegrityError:
        raise Conflict("That channel already has that search.", code="search_exists") from None
    audit_record(
        action="inbox.search_created",
        actor=actor,
        brand=brand,
        obj=search,
        data={"query": query, "channel": channel.pk},
    )
    return search


@transaction.atomic
def saved_search_delete(*, search: SavedSearch, actor: User) -> None:
    permissions.require(actor, Action.ADMIN, search.brand)
    audit_record(
        action="inbox.search_deleted", actor=actor, brand=search.brand, data={"query": search.query}
    )
    search.delete()


# --- the daily overdue digest ---------------------------------------------------------------


def overdue_digest(*, brand: Brand, now: dt.datetime | None = None) -> int:
    """Tell the brand's admins which conversations went overdue since the last digest (each
    once); how many."""
    from planner.engagement import selectors

    now = now or timezone.now()
    with transaction.atomic():
        settings, _ = ResponseSettings.objects.select_for_update().get_or_create(brand=brand)
        rows = list(selectors.newly_overdue(brand=brand, now=now))
        if rows:
            Conversation.objects.filter(pk__in=[c.pk for c in rows]).update(overdue_notified_at=now)
            admins = [
                m.user
                for m in Membership.objects.filter(brand=brand, is_admin=True).select_related(
                    "user"
                )
            ]
            lines = [
                f"- {c.customer_handle[:80]} on {c.channel.handle}: waiting since "
                f"{c.first_unanswered_at.astimezone(brand.tz):%a %d %b %H:%M}"
                for c in rows[:50]
            ]
            more = f"\n…and {len(rows) - 50} more." if len(rows) > 50 else ""
            notify(
                users=admins,
                kind=NOTICE_OVERDUE,
                brand=brand,
                subject=f"{len(rows)} conversation{'s' if len(rows) != 1 else ''} went overdue",
                body="These customers have waited longer than the response target:\n"
                + "\n".join(lines)
                + more,
                url=f"/b/{brand.slug}/conversations/?waiting=overdue",
            )
        settings.last_digest_at = now
        settings.save(update_fields=["last_digest_at", "updated_at"])
    return len(rows)
