"""The conversation lifecycle, as data: which moves are allowed, and the one function that
makes a move (locks the row, checks, writes the status and an audit row). Nothing else
assigns ``Conversation.status``; ingestion's "the customer wrote again" reopening is the
bulk form of the same move (:func:`reopen`, on rows the caller holds locked and saves).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from config.errors import Conflict
from planner.engagement.models import Conversation, ConversationStatus

S = ConversationStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.ANSWERED, S.NO_REPLY_NEEDED, S.ESCALATED, S.CRISIS}),
    S.ANSWERED: frozenset({S.OPEN, S.NO_REPLY_NEEDED, S.ESCALATED, S.CRISIS}),
    S.NO_REPLY_NEEDED: frozenset({S.OPEN, S.ANSWERED, S.ESCALATED, S.CRISIS}),
    S.ESCALATED: frozenset({S.OPEN, S.ANSWERED, S.NO_REPLY_NEEDED, S.CRISIS}),
    S.CRISIS: frozenset({S.ESCALATED, S.OPEN, S.ANSWERED, S.NO_REPLY_NEEDED}),
}
#: Statuses in which a customer's message waits for the brand (the clock runs).
WAITING = frozenset({S.OPEN, S.ESCALATED, S.CRISIS})
#: Statuses a new customer message reopens.
CLOSED = frozenset({S.ANSWERED, S.NO_REPLY_NEEDED})


class TransitionRefused(Conflict):
    code = "conversation_transition"


def reopen_status(current: str) -> str:
    """The status after the customer writes again."""
    return S.OPEN if current in CLOSED else current


def reopen(conversation: Conversation, now) -> str | None:
    """The customer wrote again: an answered (or no-reply-needed) conversation is open again.
    Changes the row in memory (the caller holds it locked and writes it); the status it had
    when it changed, else None."""
    status = reopen_status(conversation.status)
    if status == conversation.status:
        return None
    before = conversation.status
    conversation.status = status
    conversation.status_changed_at = now
    return before


def transition(
    *, conversation_id: int, to: str, actor=None, reason: str = "", extra=None
) -> Conversation:
    """Move a conversation to ``to``: lock the row, check the move, write the status and an
    audit row. ``extra(conversation)`` may set other fields in the same save."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update().select_related("brand").get(pk=conversation_id)
        )
        current = conversation.status
        if to not in TRANSITIONS.get(current, ()):
            raise TransitionRefused(
                f"A conversation that is {S(current).label.lower()} cannot become "
                f"{S(to).label.lower() if to in S.values else to}."
            )
        now = timezone.now()
        conversation.status = to
        conversation.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if extra is not None:
            fields += extra(conversation, now)
        conversation.save(update_fields=sorted(set(fields)))
        audit_record(
            action="conversation.status",
            actor=actor,
            brand=conversation.brand,
            obj=conversation,
            message=reason[:500],
            data={"from": current, "to": to},
        )
    return conversation
