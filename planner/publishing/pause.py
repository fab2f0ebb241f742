"""Pausing and resuming a brand or a channel. Resuming holds the posts that fell due
meanwhile, in the same transaction, so it never sends a burst.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts import services as account_services
from accounts.models import Brand, Channel, User
from accounts.permissions import Action
from planner import lifecycle
from planner.models import Post, Status

# --- pause and resume ----------------------------------------------------------------------


def _hold_fell_due(posts, *, reason: str, actor: User) -> list[int]:
    held = []
    for pk in posts.values_list("pk", flat=True):
        lifecycle.transition(pk, to=Status.HELD, actor=actor, reason=reason)
        held.append(pk)
    return held


def handle_matches(typed: str, expected: str) -> bool:
    def norm(value: str) -> str:
        return (value or "").strip().lstrip("@").casefold()

    return bool(norm(typed)) and norm(typed) == norm(expected)


@dataclass(frozen=True)
class Resumed:
    target: Brand | Channel
    held: list[int]


def brand_resume(*, brand: Brand, actor: User, confirm: str | None) -> Resumed:
    """Resume publishing for the brand. Posts that fell due during the pause are held for
    re-confirmation, in the same transaction, so resuming never sends a burst.

    In the web the admin types the brand's slug to confirm (``confirm``); an API client may
    leave it out (``None``), but a ``confirm`` that is given must match."""
    permissions.require(actor, Action.ADMIN, brand)
    if confirm is not None and not handle_matches(confirm, brand.slug):
        raise ValidationError(
            {"confirm": f"Type the brand's short name ({brand.slug}) to confirm resuming."}
        )
    now = timezone.now()
    with transaction.atomic():
        brand = account_services.brand_pause_clear(brand=brand, actor=actor)
        due = Post.objects.filter(
            brand=brand, status=Status.APPROVED, scheduled_at__lte=now
        ).order_by("scheduled_at", "id")
        held = _hold_fell_due(
            due,
            reason=f"It fell due while publishing for {brand.name} was paused; "
            "re-confirm its time to send it.",
            actor=actor,
        )
    return Resumed(target=brand, held=held)


def channel_resume(*, channel: Channel, actor: User) -> Resumed:
    """Resume one channel; its posts that fell due meanwhile are held for re-confirmation."""
    now = timezone.now()
    with transaction.atomic():
        channel = account_services.channel_pause_clear(channel=channel, actor=actor)
        due = Post.objects.filter(
            channel=channel, status=Status.APPROVED, scheduled_at__lte=now
        ).order_by("scheduled_at", "id")
        held = _hold_fell_due(
            due,
            reason=f"It fell due while the channel {channel.handle} was paused; "
            "re-confirm its time to send it.",
            actor=actor,
        )
    return Resumed(target=channel, held=held)


def brand_pause(*, brand: Brand, actor: User, reason: str) -> Brand:
    return account_services.brand_pause(brand=brand, actor=actor, reason=reason)


def channel_pause(*, channel: Channel, actor: User, reason: str) -> Channel:
    return account_services.channel_pause(channel=channel, actor=actor, reason=reason)
