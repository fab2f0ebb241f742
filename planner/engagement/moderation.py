"""The three-strike moderation record, per customer account and brand.

Don't feed the trolls: (1) the first inappropriate message is answered; (2) at the second
the person is asked to stop; (3) after that the rest is removed and the account reported.
Each step is one click on the conversation page, in order, once. Step 3 also asks the
platform where its API allows: Mastodon ``POST /api/v1/reports`` then a block; Bluesky
``com.atproto.moderation.createReport`` then ``app.bsky.graph.muteActor``. The step is
recorded (committed) before the platform is asked, so a second click cannot report twice;
the platform's answer is kept with it.
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
        .prefetch_related("steps", "steps__actor")
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
            action = "+".join(a for a in (first, second) if a)
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


def next_step(record: ModerationRecord | None) -> int | None:
    strikes = record.strikes if record is not None else 0
    return strikes + 1 if strikes < 3 else None
