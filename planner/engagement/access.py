"""Who may see and act on a conversation or a reply: always through the brand first.

A conversation of a brand the person is not in, or on a channel they may not use, is a 404
(they cannot learn it exists); a missing role on a channel they can see is a 403 with the
reason (``accounts.permissions.require``).
"""

from __future__ import annotations

from django.http import Http404

from accounts import permissions
from accounts.models import Brand, User
from accounts.permissions import Action
from planner.engagement.models import Conversation, Message


def _int(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    if value <= 0 or value > 2**63 - 1:
        raise Http404("No such conversation.")
    return value


def may_see_channel(user: User, channel) -> bool:
    """A member sees the conversations of the channels they may use (draft or approve on)
    and brand admins see them all."""
    return permissions.inbox_channels(user, channel.brand).filter(pk=channel.pk).exists()


def conversation_get(
    *, user: User, pk, brand: Brand | None = None, action: Action = Action.VIEW
) -> Conversation:
    """The conversation if the user may see its channel (else 404), checked for ``action``
    on its channel (else 403)."""
    conversation = (
        Conversation.objects.select_related("brand", "channel", "channel__brand")
        .filter(pk=_int(pk))
        .first()
    )
    if (
        conversation is None
        or (brand is not None and conversation.brand_id != brand.pk)
        or conversation.channel.brand_id != conversation.brand_id
        or not may_see_channel(user, conversation.channel)
    ):
        raise Http404("No such conversation.")
    if action is not Action.VIEW:
        permissions.require(user, action, conversation.channel)
    return conversation


def reply_get(
    *, user: User, pk, brand: Brand | None = None, action: Action = Action.VIEW
) -> Message:
    """An outgoing reply, checked like its conversation."""
    message = (
        Message.objects.select_related(
            "conversation", "conversation__brand", "channel", "channel__brand", "composed_by"
        )
        .filter(pk=_int(pk), direction="out")
        .first()
    )
    if message is None:
        raise Http404("No such reply.")
    conversation_get(user=user, pk=message.conversation_id, brand=brand, action=action)
    return message
