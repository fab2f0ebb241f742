"""The three-strike moderation record, per customer account and brand.

Don't feed the trolls: (1) the first inappropriate message is answered; (2) at the second
the person is asked to stop; (3) after that the rest is removed and the account reported.
Each step is one click on the conversation page, in order, once. Step 3 also asks the
platform where its API allows: Mastodon ``POST /api/v1/reports`` then a block; Bluesky
``com.atproto.moderation.createReport`` then ``app.bsky.graph.muteActor``; Facebook and
Instagram hide the person's comments in the conversation. The step is recorded
(committed) before the platform is asked, so a second click cannot report twice; the
platform's answer is kept with it.

Where the platform can hide a message (Facebook and Instagram comments), hiding one is also
a click of its own at any time (:func:`message_hide`), kept on its author's record, once per
message. LinkedIn has no hide (and no report API): the organisation may only delete a
comment under its posts, for good, so there the same click deletes it and must be confirmed
(``confirm``); step 3 on LinkedIn records the step and leaves each deletion to that click.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts import services as account_services
from accounts.models import Brand, User
from accounts.permissions import Action
from config.errors import Conflict, DomainError
from planner.engagement.models import (
    Conversation,
    Direction,
    Message,
    ModerationHide,
    ModerationRecord,
    ModerationStrike,
    StrikeStep,
)
from platforms import errors as platform_errors

MAX_REPORTED_STATUSES = 5


def record_for(*, brand: Brand, platform: str, customer_remote_id: str):
    return (
        ModerationRecord.objects.filter(
            brand=brand, platform=platform, customer_remote_id=customer_remote_id
        )
        .prefetch_related("steps", "steps__actor", "hides", "hides__actor")
        .first()
    )


def record_for_conversation(conversation: Conversation) -> ModerationRecord | None:
    """The customer's record with the brand (shown whenever they write again)."""
    return record_for(
        brand=conversation.brand,
        platform=conversation.customer_platform,
        customer_remote_id=conversation.customer_remote_id,
    )


def strikes_by_customer(*, brand: Brand, conversations) -> dict[tuple[str, str], int]:
    """{(platform, customer remote id): strikes} for a page of conversations, in one query
    (the inbox list's badge)."""
    ids = {c.customer_remote_id for c in conversations}
    if not ids:
        return {}
    return {
        (platform, remote_id): strikes
        for platform, remote_id, strikes in ModerationRecord.objects.filter(
            brand=brand, customer_remote_id__in=ids, strikes__gt=0
        ).values_list("platform", "customer_remote_id", "strikes")
    }


def with_strikes(queryset):
    """The inbox list's conversations with their customer's strikes (``moderation_strikes``,
    None when they have no record): a subquery, so the list's query count stays the same."""
    from django.db.models import OuterRef, Subquery

    strikes = ModerationRecord.objects.filter(
        brand=OuterRef("brand"),
        platform=OuterRef("customer_platform"),
        customer_remote_id=OuterRef("customer_remote_id"),
    ).values("strikes")[:1]
    return queryset.annotate(moderation_strikes=Subquery(strikes))


def _inbound_ids(conversation: Conversation) -> list[str]:
    return list(
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.IN,
            author_remote_id=conversation.customer_remote_id,
        )
        .exclude(remote_id="")
        .order_by("-remote_created_at", "-id")
        .values_list("remote_id", flat=True)[:MAX_REPORTED_STATUSES]
    )


def strike_record(
    *, conversation: Conversation, actor: User, step, note: str = ""
) -> ModerationStrike:
    """Record the next step of the three on the customer of ``conversation``. ``step`` must
    be the next one (1, then 2, then 3), each once."""
    channel = conversation.channel
    permissions.require(actor, Action.DRAFT, channel)
    try:
        step = int(step)
    except (TypeError, ValueError):
        raise ValidationError({"step": "Choose step 1, 2 or 3."}) from None
    if step not in StrikeStep.values:
        raise ValidationError({"step": "Choose step 1, 2 or 3."})
    note = note.strip()[:500] if isinstance(note, str) else ""
    if not conversation.customer_remote_id:
        raise Conflict("This conversation has no customer account to record.")
    now = timezone.now()
    brand = conversation.brand
    with transaction.atomic():
        record, _created = ModerationRecord.objects.get_or_create(
            brand=brand,
            platform=conversation.customer_platform,
            customer_remote_id=conversation.customer_remote_id,
            defaults={"customer_handle": conversation.customer_handle[:255]},
        )
        record = ModerationRecord.objects.select_for_update().get(pk=record.pk)
        if step != record.strikes + 1:
            expected = record.strikes + 1
            if record.strikes >= 3:
                raise Conflict(f"{record.customer_handle} already has all three steps recorded.")
            raise Conflict(
                f"{record.customer_handle} has {record.strikes} step(s) recorded; the next is "
                f"step {expected} ({StrikeStep(expected).label.lower()})."
            )
        last_in = (
            Message.objects.filter(conversation=conversation, direction=Direction.IN)
            .order_by("-remote_created_at", "-id")
            .first()
        )
        action = ""
        if step == StrikeStep.REMOVED_REPORTED:
            from platforms.registry import get_client_class

            actions = get_client_class(channel.platform).moderation_actions
            second = "block" if "block" in actions else ("mute" if "mute" in actions else "")
            first = "report" if "report" in actions else ""
            hide = "hide" if "hide" in actions else ""
            action = "+".join(a for a in (first, second, hide) if a)
        try:
            strike = ModerationStrike.objects.create(
                record=record,
                step=step,
                conversation=conversation,
                message=last_in,
                actor=actor,
                at=now,
                note=note,
                platform_action=action,
            )
        except IntegrityError:
            raise Conflict("That step was just recorded by someone else.") from None
        ModerationRecord.objects.filter(pk=record.pk).update(
            strikes=step,
            last_strike_at=now,
            customer_handle=conversation.customer_handle[:255] or record.customer_handle,
        )
        account_services.audit_record(
            action="moderation.strike",
            actor=actor,
            brand=brand,
            obj=conversation,
            message=f"{conversation.customer_handle}: step {step} "
            f"({StrikeStep(step).label.lower()})",
            data={"record": record.pk, "step": step, "platform_action": action},
        )
    if action:
        _platform_action(strike, conversation=conversation, actor=actor, note=note)
    strike.refresh_from_db()
    return strike


def _platform_action(
    strike: ModerationStrike, *, conversation: Conversation, actor: User, note: str
) -> None:
    """Report the account, then block (Mastodon) or mute (Bluesky), as the channel; the
    answers (or the reason it failed) kept on the strike."""
    from planner.publishing import clients

    channel = conversation.channel
    results: dict = {}
    ok = True
    try:
        client = clients.cached_client(channel)
        comment = note or (
            f"Repeated abusive replies to {channel.handle} after being asked to stop "
            "(reported by the brand's social team)."
        )
        if "report" in client.moderation_actions:
            results["report"] = client.report(
                account_id=conversation.customer_remote_id,
                status_ids=_inbound_ids(conversation),
                comment=comment,
            )
        second = "block" if "block" in client.moderation_actions else "mute"
        if second in client.moderation_actions:
            call = client.block if second == "block" else client.mute
            results[second] = call(account_id=conversation.customer_remote_id)
        if "hide" in client.moderation_actions:
            results["hide"] = _hide_customer_messages(conversation=conversation, actor=actor)
            ok = all(results["hide"].values())
            if not ok:
                results["error"] = "Some of their comments could not be hidden."
    except (ValidationError, DomainError, platform_errors.PlatformError) as exc:
        ok = False
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        results["error"] = message[:500]
    ModerationStrike.objects.filter(pk=strike.pk).update(
        platform_action_ok=ok, platform_result=results
    )
    account_services.audit_record(
        action="moderation.platform_action" if ok else "moderation.platform_action_failed",
        actor=actor,
        brand=conversation.brand,
        obj=conversation,
        message=f"{strike.platform_action} on {conversation.customer_handle}: "
        + ("done" if ok else results.get("error", "failed")),
        data={"strike": strike.pk, "result": results},
    )


# --- hiding a message (Facebook, Instagram comments) -----------------------------------------


def can_hide(channel) -> bool:
    """Whether the channel's platform can hide someone's message (or, on LinkedIn, which has
    no hide, delete it: :func:`removes`)."""
    from platforms.registry import get_client_class

    actions = get_client_class(channel.platform).moderation_actions
    return "hide" in actions or "remove" in actions


def removes(channel) -> bool:
    """Whether taking a message down on the channel's platform deletes it (LinkedIn)."""
    from platforms.registry import get_client_class

    actions = get_client_class(channel.platform).moderation_actions
    return "remove" in actions and "hide" not in actions


def hides_in(conversation: Conversation) -> dict[int, ModerationHide]:
    """{message id: its hide} for the conversation's messages (one query)."""
    return {
        h.message_id: h
        for h in ModerationHide.objects.filter(message__conversation=conversation).only(
            "id", "message_id", "platform_action_ok", "platform_result", "at"
        )
    }


def message_hide(
    *, conversation: Conversation, message_id, actor: User, confirm: bool = False
) -> ModerationHide:
    """Hide someone's message of ``conversation`` on the platform (on LinkedIn: delete it,
    which needs ``confirm``), recorded on its author's moderation record with the brand.
    Once per message: hidden, or being hidden, is a conflict; a hide the platform refused
    may be tried again."""
    channel = conversation.channel
    permissions.require(actor, Action.DRAFT, channel)
    if not can_hide(channel):
        raise Conflict(f"{channel.get_platform_display()} has no way to hide a message.")
    deleting = removes(channel)
    if deleting and confirm is not True:
        raise ValidationError(
            {
                "confirm": f"Deleting a comment on {channel.get_platform_display()} is permanent "
                "(it has no hide): confirm it."
            }
        )
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise ValidationError({"message": "Choose a message of this conversation."}) from None
    message = (
        Message.objects.filter(pk=message_id, conversation=conversation, direction=Direction.IN)
        .exclude(remote_id="")
        .first()
    )
    if message is None:
        raise ValidationError({"message": "Choose a message of this conversation."})
    if not message.author_remote_id:
        raise Conflict("This message has no author account to record.")
    now = timezone.now()
    with transaction.atomic():
        record, _created = ModerationRecord.objects.get_or_create(
            brand=conversation.brand,
            platform=conversation.customer_platform,
            customer_remote_id=message.author_remote_id,
            defaults={"customer_handle": message.author_handle[:255]},
        )
        existing = ModerationHide.objects.select_for_update().filter(message=message).first()
        if existing is not None and existing.platform_action_ok is not False:
            done = "deleted" if deleting else "hidden"
            if existing.platform_action_ok:
                raise Conflict(f"That message is already {done}.")
            raise Conflict(f"That message is being {done}.")
        if existing is not None:  # refused before: try again, on the same row
            ModerationHide.objects.filter(pk=existing.pk).update(
                actor=actor, at=now, platform_action_ok=None, platform_result={}
            )
            hide = existing
        else:
            try:
                with transaction.atomic():
                    hide = ModerationHide.objects.create(
                        record=record,
                        message=message,
                        conversation=conversation,
                        actor=actor,
                        at=now,
                    )
            except IntegrityError:
                raise Conflict("That message was just hidden by someone else.") from None
        account_services.audit_record(
            action="moderation.remove" if deleting else "moderation.hide",
            actor=actor,
            brand=conversation.brand,
            obj=conversation,
            message=f"{message.author_handle}: message {message.pk} "
            + ("deleted" if deleting else "hidden"),
            data={"record": record.pk, "message": message.pk, "remote_id": message.remote_id},
        )
    _platform_hide(hide, message=message, conversation=conversation, actor=actor)
    hide.refresh_from_db()
    return hide


def _platform_hide(
    hide: ModerationHide, *, message: Message, conversation: Conversation, actor: User
) -> bool:
    from planner.publishing import clients

    try:
        client = clients.cached_client(conversation.channel)
        if "remove" in client.moderation_actions and "hide" not in client.moderation_actions:
            result, ok = client.remove(message_id=message.remote_id), True
        else:
            result, ok = client.hide(message_id=message.remote_id), True
    except (ValidationError, DomainError, platform_errors.PlatformError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        result, ok = {"error": text[:500]}, False
    ModerationHide.objects.filter(pk=hide.pk).update(platform_action_ok=ok, platform_result=result)
    account_services.audit_record(
        action="moderation.platform_action" if ok else "moderation.platform_action_failed",
        actor=actor,
        brand=conversation.brand,
        obj=conversation,
        message=f"{'deletion' if 'removed' in result else 'hide'} of message {message.pk} by "
        f"{message.author_handle}: " + ("done" if ok else result.get("error", "failed")),
        data={"hide": hide.pk, "result": result},
    )
    return ok


def _hide_customer_messages(*, conversation: Conversation, actor: User) -> dict[str, bool]:
    """Step 3 where the platform hides: the customer's latest messages in the conversation
    hidden (each recorded once, like a click on it); {remote id: hidden}."""
    done: dict[str, bool] = {}
    rows = Message.objects.filter(
        conversation=conversation,
        direction=Direction.IN,
        author_remote_id=conversation.customer_remote_id,
        remote_id__in=_inbound_ids(conversation),
    )
    for message in rows:
        try:
            hide = message_hide(conversation=conversation, message_id=message.pk, actor=actor)
        except Conflict:
            done[message.remote_id] = True  # hidden already (or being hidden)
            continue
        done[message.remote_id] = bool(hide.platform_action_ok)
    return done


def next_step(record: ModerationRecord | None) -> int | None:
    strikes = record.strikes if record is not None else 0
    return strikes + 1 if strikes < 3 else None
