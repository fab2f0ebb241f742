"""Replies from the brand, through the same policy as posts, sent exactly once.

The reply's life (one field, ``Message.reply_status``, written only by :func:`_transition`):
pending_approval → approved (straight to approved when the brand needs no approval) →
sending (checks passed, in-flight marker committed) → sent, or failed with the reason. A
send whose outcome is unknown stays sending and in flight, and is reconciled by lookup.

- Composing refuses what the policy blocks (nothing is stored), what is too long for the
  platform, and anything while the brand or the channel is paused.
- Approvals are bound to the reply's content hash (text, channel, the post it answers); the
  person who wrote it never counts; approvers are distinct people with the approver role on
  the channel. How many are needed: the channel's ``reply_approval_mode``, else the brand's
  (none: 0; one: 1; same as posts: the channel's, else the brand's, ``approvals_required``).
- Every way to the platform (the first send, a retry, a re-send when reconciling) passes
  :func:`reply_checks` under the row lock, after the identity guard
  (``planner.publishing.clients.identity_check``, the one posts use), and commits the
  in-flight marker with the idempotency key before the network call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import permissions
from accounts import services as account_services
from accounts.models import Channel, Membership, User
from accounts.permissions import Action
from config.errors import Conflict, DomainError, NotAllowed
from planner.engagement.models import (
    MAX_REPLY_CHARS,
    ChannelReplySettings,
    Conversation,
    Direction,
    Message,
    ReplyApproval,
    ReplyApprovalMode,
    ReplyStatus,
    ResponseSettings,
)
from platforms import errors as platform_errors
from platforms.engagement import REPLY_KEY_PREFIX

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
#: An in-flight reply older than this (a worker died, or the answer was lost) is looked up.
RECONCILE_AFTER = dt.timedelta(minutes=2)
MAX_RECONCILE_LOOKUPS = 5

# The one state machine of a reply: which move is allowed from where.
TRANSITIONS: dict[str, set[str]] = {
    ReplyStatus.DRAFT: {ReplyStatus.PENDING_APPROVAL, ReplyStatus.APPROVED, ReplyStatus.FAILED},
    ReplyStatus.PENDING_APPROVAL: {ReplyStatus.APPROVED, ReplyStatus.FAILED},
    ReplyStatus.APPROVED: {ReplyStatus.SENDING, ReplyStatus.FAILED},
    ReplyStatus.SENDING: {ReplyStatus.SENT, ReplyStatus.APPROVED, ReplyStatus.FAILED},
    ReplyStatus.SENT: set(),
    ReplyStatus.FAILED: set(),
}


class ReplyRefused(DomainError):
    """The reply may not be sent as it is (policy, length, pause, platform)."""

    status_code = 400
    code = "reply_refused"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _transition(message_id: int, source: str, target: str, **fields) -> bool:
    """Move a reply from ``source`` to ``target`` if it is still there (compare-and-set)."""
    if target not in TRANSITIONS.get(source, set()):
        raise ValueError(f"A reply cannot go from {source!r} to {target!r}.")
    return bool(
        Message.objects.filter(pk=message_id, direction=Direction.OUT, reply_status=source).update(
            reply_status=target, **fields
        )
    )


# --- what the brand decided --------------------------------------------------------------


def approval_mode(channel: Channel) -> str:
    """The reply approval mode in force on the channel: its own, else the brand's."""
    own = (
        ChannelReplySettings.objects.filter(channel_id=channel.pk)
        .values_list("reply_approval_mode", flat=True)
        .first()
    )
    if own:
        return own
    brand_mode = (
        ResponseSettings.objects.filter(brand_id=channel.brand_id)
        .values_list("reply_approval_mode", flat=True)
        .first()
    )
    return brand_mode or ReplyApprovalMode.NONE


def approvals_needed(channel: Channel) -> int:
    mode = approval_mode(channel)
    if mode == ReplyApprovalMode.NONE:
        return 0
    if mode == ReplyApprovalMode.ONE:
        return 1
    return channel.approvals_required or channel.brand.approvals_required


def content_hash(*, text: str, channel_id: int, in_reply_to: str) -> str:
    """What an approval signs: the exact text, where it goes, what it answers."""
    payload = "\x1f".join(["reply", str(channel_id), in_reply_to, text])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def message_hash(message: Message) -> str:
    return content_hash(
        text=message.text,
        channel_id=message.channel_id,
        in_reply_to=message.in_reply_to_remote_id,
    )


def idempotency_key_for(message_id: int, digest: str) -> str:
    return REPLY_KEY_PREFIX + hashlib.sha256(f"{message_id}:{digest}".encode()).hexdigest()[:40]


# --- the checks (every path) ---------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    reason: str | None
    linted: object | None = None
    approvals: tuple = ()


def _check_text(text, channel: Channel) -> str:
    """The text as it will be sent, or a ValidationError: a string, not empty, not over
    the platform's count."""
    from planner.posts.checks import character_count

    if not isinstance(text, str):
        raise ValidationError({"text": "The reply must be text."})
    if "\x00" in text:
        raise ValidationError({"text": "The reply contains a NUL character, which cannot be sent."})
    if not text.strip():
        raise ValidationError({"text": "Write the reply first."})
    if len(text) > MAX_REPLY_CHARS:
        raise ValidationError({"text": f"The reply is {len(text):,} characters; too long."})
    count = character_count(text, channel, reply=True)
    if count.over:
        raise ValidationError(
            {
                "text": f"The reply is {count.length} of {count.limit} "
                f"{channel.get_platform_display()} characters; shorten it."
            }
        )
    return text


def _pause_reason(brand, channel: Channel) -> str | None:
    if brand.is_paused:
        return (
            f"Publishing for {brand.name} is paused "
            f"({brand.paused_reason or 'no reason given'}); replies wait too."
        )
    if channel.is_paused:
        return (
            f"The channel {channel.handle} is paused "
            f"({channel.paused_reason or 'no reason given'}); replies wait too."
        )
    return None


def _blocking(linted) -> list:
    return [f for f in linted.result.findings if f.severity == "block"]


def _approval_state(message: Message, needed: int) -> tuple[list[ReplyApproval], bool]:
    """The live approvals valid for the reply's current hash, by distinct approvers who may
    approve on the channel and did not write it; and whether they are enough."""
    live = list(
        ReplyApproval.objects.filter(
            message_id=message.pk, dismissed_at__isnull=True, content_hash=message.content_hash
        )
        .select_related("approver")
        .order_by("approved_at", "id")
    )
    counted = {}
    for approval in live:
        person = approval.approver
        if (
            person.pk != message.composed_by_id
            and person.pk not in counted
            and permissions.has_perm(person, Action.APPROVE, message.channel)
        ):
            counted[person.pk] = approval
    return list(counted.values()), len(counted) >= needed


def reply_checks(message: Message) -> Checked:
    """Everything checked again before a reply goes out (the first send, a retry, a
    re-send): pause flags, the content fingerprint, the approvals for that fingerprint, the
    policy as it is now, the platform's count."""
    from policy import services as policy_services

    conversation, channel = message.conversation, message.channel
    brand = conversation.brand
    paused = _pause_reason(brand, channel)
    if paused:
        return Checked(paused)
    if channel.pk != conversation.channel_id or channel.brand_id != brand.pk:
        return Checked("The reply is not on its conversation's channel.")
    if message_hash(message) != message.content_hash:
        return Checked("Its content changed after it was written; write it again.")
    needed = approvals_needed(channel)
    approvals, enough = _approval_state(message, needed)
    evidence = tuple(
        {
            "approver": a.approver.username,
            "content_hash": a.content_hash,
            "approved_at": _iso(a.approved_at),
        }
        for a in approvals
    )
    if not enough:
        return Checked(
            f"It needs {needed} approval{'s' if needed != 1 else ''} for this text "
            f"({len(approvals)} given).",
            approvals=evidence,
        )
    try:
        _check_text(message.text, channel)
    except ValidationError as exc:
        return Checked(" ".join(exc.messages), approvals=evidence)
    linted = policy_services.policy_lint(brand=brand, text=message.text, channel=channel)
    blocking = _blocking(linted)
    if blocking:
        first = blocking[0]
        return Checked(
            f"Policy v{linted.version.number} blocks it: {first.message} "
            f"(rule {first.rule}, “{first.match}”).",
            linted=linted,
            approvals=evidence,
        )
    return Checked(None, linted=linted, approvals=evidence)


# --- composing and approving --------------------------------------------------------------


def _answered_message(conversation: Conversation) -> Message | None:
    """The customer message a reply answers: the newest one with a remote id."""
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.IN)
        .exclude(remote_id="")
        .order_by("-remote_created_at", "-id")
        .first()
    )


def _findings_json(linted) -> list[dict]:
    return [
        {
            "rule": f.rule,
            "severity": f.severity,
            "start": f.start,
            "end": f.end,
            "match": f.match,
            "message": f.message,
        }
        for f in linted.result.findings
    ]


def reply_create(*, conversation: Conversation, actor: User, text) -> Message:
    """Write a reply. Refused (nothing stored) when the policy blocks it, when it is too
    long, or while the brand or channel is paused. Needs approval when the brand says so;
    otherwise it is approved and sent (after commit)."""
    from platforms.registry import get_client_class
    from policy import services as policy_services

    channel = Channel.objects.select_related("brand").get(pk=conversation.channel_id)
    permissions.require(actor, Action.DRAFT, channel)
    text = _check_text(text, channel)
    paused = _pause_reason(channel.brand, channel)
    if paused:
        raise ReplyRefused(paused, code="paused")
    if not get_client_class(channel.platform).supports_reply:
        raise ReplyRefused(
            f"{channel.get_platform_display()} channels cannot send replies from Countersign.",
            code="not_supported",
        )
    linted = policy_services.policy_lint(brand=channel.brand, text=text, channel=channel)
    findings = _findings_json(linted)
    blocking = _blocking(linted)
    if blocking:
        account_services.audit_record(
            action="reply.refused",
            actor=actor,
            brand=channel.brand,
            obj=conversation,
            message=f"Policy v{linted.version.number} blocked a reply",
            data={"rules": sorted({f.rule for f in blocking})},
        )
        first = blocking[0]
        raise ReplyRefused(
            f"The policy blocks this reply: {first.message} (rule {first.rule}, "
            f"“{first.match}”). Change the text; nothing was sent.",
            code="policy_blocked",
            details={
                "findings": findings,
                "blocked": True,
                "policy_version": linted.version.number,
            },
        )
    parent = _answered_message(conversation)
    if parent is None:
        raise ReplyRefused(
            "There is no customer message in this conversation to answer.", code="nothing_to_answer"
        )
    needed = approvals_needed(channel)
    digest = content_hash(text=text, channel_id=channel.pk, in_reply_to=parent.remote_id)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            channel=channel,
            direction=Direction.OUT,
            in_reply_to_remote_id=parent.remote_id,
            author_remote_id=channel.remote_account_id,
            author_handle=channel.handle,
            text=text,
            reply_status=ReplyStatus.DRAFT,
            composed_by=actor,
            content_hash=digest,
            findings=findings,
            evidence={
                "composed_by": actor.username,
                "composed_at": _iso(timezone.now()),
                "approvals_needed": needed,
                "approval_mode": approval_mode(channel),
                "policy_version_at_compose": linted.version.number,
            },
        )
        message.idempotency_key = idempotency_key_for(message.pk, digest)
        message.save(update_fields=["idempotency_key"])
        target = ReplyStatus.APPROVED if needed == 0 else ReplyStatus.PENDING_APPROVAL
        _transition(message.pk, ReplyStatus.DRAFT, target)
        account_services.audit_record(
            action="reply.composed",
            actor=actor,
            brand=channel.brand,
            obj=conversation,
            message=f"Reply {message.pk} written ({needed} approval(s) needed)",
            data={"reply": message.pk, "content_hash": digest},
        )
        if target == ReplyStatus.APPROVED:
            enqueue_send(message.pk)
        else:
            _ask_approvers(message, channel, needed)
    message.refresh_from_db()
    return message


def _ask_approvers(message: Message, channel: Channel, needed: int) -> None:
    people = [
        m.user
        for m in Membership.objects.filter(brand_id=channel.brand_id, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        if m.user_id != message.composed_by_id
        and permissions.has_perm(m.user, Action.APPROVE, channel)
    ]
    account_services.notify(
        users=people,
        kind="reply.needs_approval",
        subject=f"A reply on {channel.handle} needs approval",
        body=message.text[:500],
        url=f"/b/{channel.brand.slug}/conversations/{message.conversation_id}/",
        brand=channel.brand,
        email=False,
    )


def reply_approve(*, message: Message, actor: User) -> Message:
    """One approver signs off this exact text. The author never counts; an approver counts
    once. Enough approvals: approved, and sent after commit."""
    channel = message.channel
    permissions.require(actor, Action.APPROVE, channel)
    if actor.pk == message.composed_by_id:
        raise NotAllowed("You wrote this reply; someone else must approve it.", code="own_reply")
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.reply_status != ReplyStatus.PENDING_APPROVAL:
            raise Conflict(f"This reply is {locked.get_reply_status_display().lower()}.")
        if message_hash(locked) != locked.content_hash:
            raise Conflict("The reply's content changed; it cannot be approved as it is.")
        try:
            with transaction.atomic():
                ReplyApproval.objects.create(
                    message=locked,
                    approver=actor,
                    content_hash=locked.content_hash,
                    approved_at=timezone.now(),
                )
        except IntegrityError:
            raise Conflict("You already approved this reply.") from None
        locked.channel = channel
        needed = approvals_needed(channel)
        _approvals, enough = _approval_state(locked, needed)
        account_services.audit_record(
            action="reply.approved",
            actor=actor,
            brand=channel.brand,
            obj=locked.conversation,
            message=f"Reply {locked.pk} approved",
            data={"reply": locked.pk, "content_hash": locked.content_hash},
        )
        if enough and _transition(locked.pk, ReplyStatus.PENDING_APPROVAL, ReplyStatus.APPROVED):
            enqueue_send(locked.pk)
    message.refresh_from_db()
    return message


def reply_retry(*, message: Message, actor: User) -> Message:
    """Ask again to send an approved reply that a check held back (e.g. after a pause)."""
    permissions.require(actor, Action.DRAFT, message.channel)
    if message.reply_status != ReplyStatus.APPROVED or message.send_in_flight:
        raise Conflict(f"This reply is {message.get_reply_status_display().lower()}.")
    enqueue_send(message.pk)
    return message


def enqueue_send(message_id: int) -> None:
    """The send task, after commit (the row is the truth; the broker only a doorbell)."""
    from planner.engagement import reply_tasks

    reply_tasks.send_reply.delay_on_commit(message_id)


# --- sending ------------------------------------------------------------------------------


def _load(message_id: int) -> Message | None:
    return (
        Message.objects.select_related(
            "conversation", "conversation__brand", "channel", "channel__brand", "composed_by"
        )
        .filter(pk=message_id, direction=Direction.OUT)
        .first()
    )


def _share_lock(*, brand_id: int, channel_id: int) -> None:
    """Until the transaction ends, a pause (which locks the brand or channel row to write
    it) waits: it lands before the checks read the flags, or after the reply is marked in
    flight, never in between. PostgreSQL ``FOR SHARE``; SQLite serialises write
    transactions already."""
    from django.db import connection

    from accounts.models import Brand

    if connection.vendor != "postgresql":
        return
    brand_table, channel_table = Brand._meta.db_table, Channel._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT b."id" FROM "{brand_table}" b, "{channel_table}" c '  # noqa: S608 - _meta
            'WHERE b."id" = %s AND c."id" = %s FOR SHARE OF b, c',
            [brand_id, channel_id],
        )


def _hold(message_id: int, reason: str) -> str:
    """A check failed: nothing is sent; the reply keeps its status with the reason."""
    Message.objects.filter(pk=message_id).update(last_error=reason[:2000])
    return "held"


def _fail(message_id: int, source: str, reason: str) -> str:
    _transition(
        message_id, source, ReplyStatus.FAILED, send_in_flight=False, last_error=reason[:2000]
    )
    message = _load(message_id)
    if message is not None:
        account_services.audit_record(
            action="reply.failed",
            brand=message.conversation.brand,
            obj=message.conversation,
            message=f"Reply {message_id} failed: {reason[:300]}",
            data={"reply": message_id},
        )
    return "failed"


def _identity(message: Message):
    """The identity guard, as for posts: who the channel's credential posts as now.
    Returns (client, None) or (None, result string)."""
    from planner.publishing import clients
    from planner.publishing.notifications import brand_admins

    channel = message.channel
    try:
        client = clients.cached_client(channel)
        identity = clients.identity_check(channel, client)
    except platform_errors.PlatformUnavailable as exc:
        return None, ("retry", str(exc))
    except (ValidationError, DomainError, platform_errors.PlatformError) as exc:
        clients.forget_client(channel)
        return None, ("fail", clients.reconnect_reason(channel, exc))
    if identity.identity.remote_id != channel.remote_account_id:
        brand = channel.brand
        account_services.audit_record(
            action="guard.identity_mismatch",
            brand=brand,
            obj=channel,
            message=f"{channel.handle} now posts as {identity.identity.handle}",
            data={
                "reply": message.pk,
                "channel": channel.pk,
                "expected_remote_id": channel.remote_account_id,
                "actual_remote_id": identity.identity.remote_id,
                "actual_handle": identity.identity.handle,
            },
        )
        account_services.notify(
            users=brand_admins(brand),
            kind="guard.identity_mismatch",
            subject=f"{channel.handle} now posts as {identity.identity.handle}",
            body=(
                f"A reply was not sent: the channel {channel.handle} was connected as account "
                f"id {channel.remote_account_id}; its credential now authenticates as "
                f"{identity.identity.handle} (account id {identity.identity.remote_id})."
            ),
            url=f"/b/{brand.slug}/conversations/{message.conversation_id}/",
            brand=brand,
        )
        return None, (
            "fail",
            f"The credential of {channel.handle} now posts as {identity.identity.handle} "
            f"(account id {identity.identity.remote_id}), not as the brand's account; "
            "the reply was not sent.",
        )
    return (client, identity), None


def _begin(message_id: int, *, expect: str, kind: str, identity, now: dt.datetime):
    """Under the row lock: still ``expect``, nothing in flight, every check passing; then the
    in-flight marker, the attempt and the evidence committed. Returns (message, None) or
    (None, outcome)."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message_id).first()
        if locked is None:
            return None, "gone"
        brand_id = (
            Conversation.objects.filter(pk=locked.conversation_id)
            .values_list("brand_id", flat=True)
            .first()
        )
        _share_lock(brand_id=brand_id, channel_id=locked.channel_id)
        message = _load(message_id)  # read after the locks: the pause flags as they are now
        if locked.reply_status != expect:
            return None, f"is {locked.reply_status}"
        if expect == ReplyStatus.APPROVED and locked.send_in_flight:
            return None, "in flight"
        message.text, message.content_hash = locked.text, locked.content_hash
        checked = reply_checks(message)
        if checked.reason:
            return None, _hold(message_id, checked.reason)
        evidence = dict(locked.evidence or {})
        attempts = list(evidence.get("attempts") or [])
        attempts.append({"kind": kind, "started_at": _iso(now), "outcome": None})
        evidence.update(
            {
                "text": locked.text,
                "content_hash": locked.content_hash,
                "in_reply_to": locked.in_reply_to_remote_id,
                "channel": message.channel.handle,
                "platform": message.channel.platform,
                "idempotency_key": locked.idempotency_key,
                "approvals": list(checked.approvals),
                "policy_version": checked.linted.version.number,
                "policy_findings": _findings_json(checked.linted),
                "identity": identity.evidence(message.channel),
                "first_attempt_at": evidence.get("first_attempt_at") or _iso(now),
                "attempt_started_at": _iso(now),
                "attempts": attempts,
            }
        )
        fields = {
            "send_in_flight": True,
            "send_attempts": F("send_attempts") + 1,
            "evidence": evidence,
            "last_error": "",
        }
        if expect == ReplyStatus.APPROVED:
            moved = _transition(message_id, ReplyStatus.APPROVED, ReplyStatus.SENDING, **fields)
        else:
            moved = bool(
                Message.objects.filter(pk=message_id, reply_status=expect).update(**fields)
            )
        if not moved:
            return None, "moved on"
    return _load(message_id), None


def _note_attempt(message_id: int, outcome: str, error: str = "") -> None:
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message_id).first()
        if locked is None:
            return
        evidence = dict(locked.evidence or {})
        attempts = list(evidence.get("attempts") or [])
        if attempts:
            attempts[-1] = {**attempts[-1], "outcome": outcome, "error": error[:300]}
        evidence["attempts"] = attempts
        Message.objects.filter(pk=message_id).update(evidence=evidence)


def _record_sent(message_id: int, result, *, reconciled: bool) -> str:
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message_id).first()
        if locked is None or locked.reply_status != ReplyStatus.SENDING:
            return "skipped"
        evidence = dict(locked.evidence or {})
        attempts = list(evidence.get("attempts") or [])
        if attempts:
            attempts[-1] = {**attempts[-1], "outcome": "found" if reconciled else "sent"}
        evidence.update(
            {
                "attempts": attempts,
                "remote_id": result.remote_id,
                "remote_url": result.url,
                "sent_at": _iso(now),
                "reconciled": reconciled,
            }
        )
        # The inbox may have fetched the reply from the thread before it was recorded here:
        # that copy gives way to this row (the one with the evidence).
        fetched_copy = (
            Message.objects.filter(channel_id=locked.channel_id, remote_id=result.remote_id[:255])
            .exclude(pk=message_id)
            .filter(reply_status="")
            .delete()[0]
        )
        _transition(
            message_id,
            ReplyStatus.SENDING,
            ReplyStatus.SENT,
            send_in_flight=False,
            remote_id=result.remote_id[:255],
            remote_url=(result.url or "")[:500],
            remote_created_at=now,
            sent_at=now,
            evidence=evidence,
            last_error="",
        )
        message = _load(message_id)
        _conversation_answered(message, at=now, counted=bool(fetched_copy))
        account_services.audit_record(
            action="reply.sent",
            actor=message.composed_by,
            brand=message.conversation.brand,
            obj=message.conversation,
            message=f"Reply {message_id} sent as {result.remote_id}",
            data={"reply": message_id, "remote_id": result.remote_id, "url": result.url},
        )
    return "sent"


def _conversation_answered(message: Message, *, at: dt.datetime, counted: bool = False) -> None:
    """The conversation after a reply went out: the message counted and shown as its latest,
    then the inbox's own service ends the wait, keeps the first response (in business time)
    and marks an open conversation answered (escalated and crisis stay)."""
    from planner.engagement import services as inbox_services

    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_activity_at=max(conversation.last_activity_at, at),
        message_count=F("message_count") + (0 if counted else 1),
        last_message_excerpt=message.text[:300],
    )
    inbox_services.conversation_record_response(
        conversation_id=conversation.pk, at=at, actor=message.composed_by
    )


def _after_network_error(message: Message, exc: Exception, *, kind: str) -> tuple[str, int]:
    """What a failed call means. Returns (result, retry_in seconds)."""
    message_id = message.pk
    if isinstance(exc, platform_errors.OutcomeUnknown):
        # It may have gone out: stays sending and in flight; the lookup settles it.
        _note_attempt(message_id, "unknown", str(exc))
        Message.objects.filter(pk=message_id).update(last_error=str(exc)[:2000])
        return "unconfirmed", 0
    if isinstance(exc, platform_errors.PlatformUnavailable):
        _note_attempt(message_id, "unavailable", str(exc))
        if kind == "resend":
            Message.objects.filter(pk=message_id).update(last_error=str(exc)[:2000])
            return "unconfirmed", 0
        attempts = Message.objects.filter(pk=message_id).values_list("send_attempts", flat=True)
        attempts = attempts.first() or 0
        if attempts >= MAX_SEND_ATTEMPTS:
            return (
                _fail(
                    message_id,
                    ReplyStatus.SENDING,
                    f"{message.channel.get_platform_display()} could not be reached after "
                    f"{attempts} tries: {exc}",
                ),
                0,
            )
        _transition(
            message_id,
            ReplyStatus.SENDING,
            ReplyStatus.APPROVED,
            send_in_flight=False,
            last_error=str(exc)[:2000],
        )
        delay = getattr(exc, "retry_after", None) or RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        return "retry", int(min(delay, 3600))
    if isinstance(exc, platform_errors.PublishRejected):
        _note_attempt(message_id, "rejected", str(exc))
        reason = f"{message.channel.get_platform_display()} refused the reply: {exc.detail or exc}"
        return _fail(message_id, ReplyStatus.SENDING, reason), 0
    # Refused before anything was stored (credential, unknown parent post, ...).
    from planner.publishing import clients

    clients.forget_client(message.channel)
    _note_attempt(message_id, "refused", str(exc))
    return _fail(message_id, ReplyStatus.SENDING, str(exc)), 0


@dataclass(frozen=True)
class SendOutcome:
    result: str  # sent, held, failed, retry, unconfirmed, skipped
    retry_in: int = 0
    detail: str = ""


def reply_send(*, message_id: int, now: dt.datetime | None = None) -> SendOutcome:
    """Send one approved reply: identity guard, checks under the lock, the in-flight marker
    committed, one call with the idempotency key, the outcome recorded."""
    now = now or timezone.now()
    message = _load(message_id)
    if message is None:
        return SendOutcome("skipped", detail="gone")
    if message.reply_status != ReplyStatus.APPROVED or message.send_in_flight:
        return SendOutcome("skipped", detail=f"is {message.reply_status}")
    checked = reply_checks(message)
    if checked.reason:  # before asking the platform anything
        return SendOutcome(_hold(message_id, checked.reason), detail=checked.reason)
    found, problem = _identity(message)
    if problem:
        verdict, reason = problem
        if verdict == "retry":  # the platform could not be asked: nothing was sent
            Message.objects.filter(pk=message_id).update(send_attempts=F("send_attempts") + 1)
            attempts = message.send_attempts + 1
            if attempts >= MAX_SEND_ATTEMPTS:
                reason = (
                    f"{message.channel.get_platform_display()} could not be reached after "
                    f"{attempts} tries: {reason}"
                )
                return SendOutcome(_fail(message_id, ReplyStatus.APPROVED, reason), detail=reason)
            _hold(message_id, reason)
            delay = int(min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600))
            return SendOutcome("retry", retry_in=delay, detail=reason)
        return SendOutcome(_fail(message_id, ReplyStatus.APPROVED, reason), detail=reason)
    client, identity = found
    message, skipped = _begin(
        message_id, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=now
    )
    if message is None:
        return SendOutcome("held" if skipped == "held" else "skipped", detail=skipped)
    return _call(message, client, kind="send")


def _call(message: Message, client, *, kind: str) -> SendOutcome:
    try:
        result = client.reply(
            text=message.text,
            idempotency_key=message.idempotency_key,
            in_reply_to=message.in_reply_to_remote_id,
            root=message.conversation.root_remote_id,
        )
    except platform_errors.PlatformError as exc:
        outcome, retry_in = _after_network_error(message, exc, kind=kind)
        return SendOutcome(outcome, retry_in=retry_in, detail=str(exc))
    return SendOutcome(_record_sent(message.pk, result, reconciled=kind == "resend"))


# --- reconciling an in-flight reply (a crash, a lost answer) -------------------------------


def replies_to_reconcile(*, now: dt.datetime | None = None) -> list[int]:
    """In-flight replies whose attempt started long enough ago that no worker has them."""
    now = now or timezone.now()
    due = []
    for pk, evidence in Message.objects.filter(
        direction=Direction.OUT, reply_status=ReplyStatus.SENDING, send_in_flight=True
    ).values_list("pk", "evidence"):
        started = (evidence or {}).get("attempt_started_at")
        try:
            started_at = dt.datetime.fromisoformat(started) if started else None
        except (TypeError, ValueError):
            started_at = None
        if started_at is None or now - started_at >= RECONCILE_AFTER:
            due.append(pk)
    return due


def replies_to_send_again(*, now: dt.datetime | None = None) -> list[int]:
    """Approved replies nobody is sending (the doorbell was lost): not in flight, not held
    back by a check (those wait for a person's "Send again"), older than a few minutes."""
    now = now or timezone.now()
    return list(
        Message.objects.filter(
            direction=Direction.OUT,
            reply_status=ReplyStatus.APPROVED,
            send_in_flight=False,
            last_error="",
            created_at__lte=now - RECONCILE_AFTER,
        ).values_list("pk", flat=True)[:500]
    )


def reply_reconcile(*, message_id: int, now: dt.datetime | None = None) -> SendOutcome:
    """Settle an in-flight reply: look it up on the platform (found: sent); not found and the
    platform still deduplicates the key: send again with the same key, through the identity
    guard and the same checks; otherwise failed with what to check by hand. Never a blind
    second send."""
    from planner.publishing import clients

    now = now or timezone.now()
    message = _load(message_id)
    if message is None or message.reply_status != ReplyStatus.SENDING:
        return SendOutcome("skipped")
    evidence = message.evidence or {}
    lookups = sum(1 for a in evidence.get("attempts") or [] if a.get("kind") == "lookup")
    first = evidence.get("first_attempt_at")
    since = dt.datetime.fromisoformat(first) if first else None
    channel = message.channel
    if lookups >= MAX_RECONCILE_LOOKUPS:
        return SendOutcome(
            _fail(
                message_id,
                ReplyStatus.SENDING,
                f"It could not be confirmed on {channel.get_platform_display()} after "
                f"{lookups} checks. Look at {channel.handle} before answering again by hand.",
            )
        )
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message_id)
        ev = dict(locked.evidence or {})
        ev["attempts"] = [
            *(ev.get("attempts") or []),
            {"kind": "lookup", "started_at": _iso(now), "outcome": "checking"},
        ]
        ev["attempt_started_at"] = _iso(now)
        Message.objects.filter(pk=message_id).update(evidence=ev)
    try:
        client = clients.cached_client(channel)
        found = client.lookup_reply(
            idempotency_key=message.idempotency_key,
            text=message.text,
            since=since,
            in_reply_to=message.in_reply_to_remote_id,
            root=message.conversation.root_remote_id,
        )
    except (ValidationError, DomainError, platform_errors.PlatformError) as exc:
        _note_attempt(message_id, "error", str(exc))
        return SendOutcome("unconfirmed", detail=str(exc))
    if found is not None:
        _note_attempt(message_id, "found")
        return SendOutcome(_record_sent(message_id, found, reconciled=True))
    _note_attempt(message_id, "not_found")
    client_class = clients.client_class(channel)
    window = client_class.idempotency_window
    within = client_class.supports_idempotency_key and (
        window is None or since is None or now - since < window
    )
    if not within:
        return SendOutcome(
            _fail(
                message_id,
                ReplyStatus.SENDING,
                f"It was not found on {channel.get_platform_display()} and the platform no "
                "longer deduplicates its key, so it was not sent again (that could make a "
                f"second reply). Check {channel.handle} and answer by hand if it is missing.",
            )
        )
    found_identity, problem = _identity(message)
    if problem:
        verdict, reason = problem
        if verdict == "retry":
            return SendOutcome("unconfirmed", detail=reason)
        return SendOutcome(_fail(message_id, ReplyStatus.SENDING, reason), detail=reason)
    client, identity = found_identity
    # The same key, through the same checks as a first send, marked in flight again.
    with transaction.atomic():
        Message.objects.filter(pk=message_id).update(send_in_flight=False)
    message, skipped = _begin(
        message_id, expect=ReplyStatus.SENDING, kind="resend", identity=identity, now=now
    )
    if message is None:
        Message.objects.filter(pk=message_id, reply_status=ReplyStatus.SENDING).update(
            send_in_flight=True
        )
        return SendOutcome("unconfirmed", detail=skipped)
    return _call(message, client, kind="resend")


# --- the brand's choice -------------------------------------------------------------------


@transaction.atomic
def reply_settings_update(
    *, brand, actor: User, mode: str, channel_modes: dict[int, str] | None = None
) -> str:
    """Brand admins choose whether replies need approval: for the brand, and per channel
    (an empty value removes the channel's own choice)."""
    permissions.require(actor, Action.ADMIN, brand)
    if mode not in ReplyApprovalMode.values:
        raise ValidationError({"mode": "Choose none, one approver or the same as posts."})
    ResponseSettings.objects.update_or_create(brand=brand, defaults={"reply_approval_mode": mode})
    for channel_id, channel_mode in (channel_modes or {}).items():
        channel = Channel.objects.filter(pk=channel_id, brand=brand).first()
        if channel is None:
            raise ValidationError("No such channel in this brand.")
        if channel_mode:
            if channel_mode not in ReplyApprovalMode.values:
                raise ValidationError({"mode": "Choose none, one approver or the same as posts."})
            ChannelReplySettings.objects.update_or_create(
                channel=channel, defaults={"reply_approval_mode": channel_mode}
            )
        else:
            ChannelReplySettings.objects.filter(channel=channel).delete()
    account_services.audit_record(
        action="engagement.reply_mode_updated",
        actor=actor,
        brand=brand,
        obj=brand,
        message=f"Replies: {mode}",
        data={"mode": mode, "channels": {str(k): v for k, v in (channel_modes or {}).items()}},
    )
    return mode
