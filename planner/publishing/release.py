"""Releasing a held post: a person re-confirms its time and every check passes again."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import Channel, User
from accounts.permissions import Action
from config.errors import Conflict
from planner import lifecycle
from planner.models import Post, Status
from planner.publishing.checks import run_checks
from planner.publishing.pause import handle_matches
from planner.publishing.records import iso

# --- releasing a held post ---------------------------------------------------------------


def can_release(user: User, post: Post) -> bool:
    return permissions.has_perm(user, Action.ADMIN, post.brand) or permissions.has_perm(
        user, Action.APPROVE, post.channel
    )


def post_release(
    *, post: Post, actor: User, scheduled_at: dt.datetime | None, confirm_handle: str
) -> Post:
    """Re-confirm a held post: a new time (now or later), the channel's handle typed to
    confirm, and every check passing again (held → approved, via the lifecycle)."""
    if not can_release(actor, post):
        permissions.require(actor, Action.APPROVE, post.channel)
    if post.status != Status.HELD:
        raise Conflict(
            f"Only a held post can be released; this one is {post.get_status_display().lower()}."
        )
    if not handle_matches(confirm_handle, post.channel.handle):
        raise ValidationError(
            {"confirm_handle": f"Type the channel's handle ({post.channel.handle}) to confirm."}
        )
    now = timezone.now()
    when = scheduled_at or now
    if timezone.is_naive(when):
        raise ValidationError({"scheduled_at": "The time needs a time zone."})
    if when < now - dt.timedelta(minutes=1):
        raise ValidationError({"scheduled_at": "Pick a time from now on."})
    if when > now + dt.timedelta(days=366 * 5):
        raise ValidationError({"scheduled_at": "That is more than five years ahead."})

    def guard(locked: Post) -> None:
        locked.scheduled_at = max(when, now)
        locked.lease_expires_at = None
        locked.channel = Channel.objects.select_related("brand").get(pk=locked.channel_id)
        if locked.brand.is_paused:
            raise lifecycle.TransitionRefused(
                f"Publishing for {locked.brand.name} is still paused; resume it first."
            )
        if locked.channel.is_paused:
            raise lifecycle.TransitionRefused(
                f"The channel {locked.channel.handle} is still paused; resume it first."
            )
        reason = run_checks(locked, now=now).reason
        if reason:
            raise lifecycle.TransitionRefused(f"It cannot be released yet. {reason}")

    with transaction.atomic():
        before = post.scheduled_at
        released = lifecycle.transition(
            post.pk,
            to=Status.APPROVED,
            actor=actor,
            reason=f"Re-confirmed for {iso(max(when, now))}",
            guard=guard,
            data={"scheduled_at": [iso(before), iso(max(when, now))]},
        )
        Post.objects.filter(pk=post.pk).update(scheduled_at=max(when, now), lease_expires_at=None)
        released.scheduled_at = max(when, now)
    return released
