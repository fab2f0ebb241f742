"""Crisis: a conversation escalated to crisis, the admins alerted, the brand's written steps
beside it, and one click that offers to pause the scheduled posts.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import permissions
from accounts import services as account_services
from accounts.models import Brand, User
from accounts.permissions import Action
from config.errors import Conflict
from planner.engagement import lifecycle
from planner.engagement.models import (
    MAX_CHECKLIST_CHARS,
    Conversation,
    ConversationStatus,
    CrisisChecklist,
)

DEFAULT_STEPS = (
    "Pause scheduled posts: nothing cheerful goes out while this is handled.\n"
    "Tell the brand admins and agree who speaks for the brand.\n"
    "Acknowledge quickly and sincerely; say when more will follow.\n"
    "Check the facts before saying more; no jokes, no arguing.\n"
    "Follow up in public when it is resolved."
)


def conversation_url(conversation: Conversation) -> str:
    return f"/b/{conversation.brand.slug}/conversations/{conversation.pk}/"


def conversation_escalate_crisis(
    *, conversation: Conversation, actor: User, note: str = ""
) -> Conversation:
    """Escalate to crisis: the status, who and when, and every brand admin told (in the app
    and by email, after commit)."""
    from planner.publishing.notifications import brand_admins

    permissions.require(actor, Action.DRAFT, conversation.channel)
    note = (note or "").strip()[:500] if isinstance(note, str) else ""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status == ConversationStatus.CRISIS:
            raise Conflict("This conversation is already a crisis.")

        def escalated(c: Conversation, now) -> list[str]:
            c.escalated_at, c.escalated_by = now, actor
            return ["escalated_at", "escalated_by"]

        lifecycle.transition(
            conversation_id=locked.pk,
            to=ConversationStatus.CRISIS,
            actor=actor,
            reason=note or "Escalated to crisis.",
            extra=escalated,
        )
        brand = conversation.brand
        account_services.notify(
            users=brand_admins(brand),
            kind="engagement.crisis",
            subject=f"Crisis: a conversation with {conversation.customer_handle} on "
            f"{conversation.channel.handle}",
            body=(
                f"{actor.get_username()} escalated a conversation to crisis."
                + (f"\n\n{note}" if note else "")
                + f"\n\nLast message: {conversation.last_message_excerpt}"
                "\n\nFollow the brand's crisis steps beside the conversation; consider "
                "pausing scheduled posts."
            ),
            url=conversation_url(conversation),
            brand=brand,
        )
    conversation.refresh_from_db()
    return conversation


def checklist_for(brand: Brand) -> CrisisChecklist:
    """The brand's checklist (unsaved with the default steps when it has none yet)."""
    checklist = CrisisChecklist.objects.filter(brand=brand).first()
    return checklist or CrisisChecklist(brand=brand, steps=DEFAULT_STEPS)


@transaction.atomic
def checklist_update(*, brand: Brand, actor: User, steps) -> CrisisChecklist:
    """Brand admins write the crisis steps, one a line."""
    permissions.require(actor, Action.ADMIN, brand)
    if not isinstance(steps, str):
        raise ValidationError({"steps": "The steps must be text."})
    steps = steps.replace("\r\n", "\n").replace("\x00", "")
    if len(steps) > MAX_CHECKLIST_CHARS:
        raise ValidationError({"steps": f"At most {MAX_CHECKLIST_CHARS:,} characters."})
    checklist, _created = CrisisChecklist.objects.update_or_create(
        brand=brand, defaults={"steps": steps, "updated_by": actor}
    )
    account_services.audit_record(
        action="crisis.checklist_updated",
        actor=actor,
        brand=brand,
        obj=checklist,
        message=f"{len(checklist.step_list)} step(s)",
    )
    return checklist


def crisis_pause_posts(*, brand: Brand, actor: User, conversation: Conversation | None = None):
    """The one click beside a crisis: pause the brand's publishing (the existing pause; an
    admin's action), naming the conversation as the reason."""
    from planner.publishing import services as publishing

    reason = "Crisis"
    if conversation is not None:
        reason = f"Crisis: conversation with {conversation.customer_handle} ({conversation.pk})"
    return publishing.brand_pause(brand=brand, actor=actor, reason=reason)
