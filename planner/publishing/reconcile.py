"""Settling an unconfirmed send: looked up on the platform, re-sent with the same key
while the platform still deduplicates it, or failed with the reason.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Channel
from config.errors import DomainError
from planner.models import Delivery, Post, Status
from planner.publishing import clients
from planner.publishing.clients import (
    cached_client,
    client_class,
    forget_client,
    reconnect_reason,
)
from planner.publishing.notifications import identity_alert, tell
from planner.publishing.outcomes import fail_post, reconcile_later, record_published
from planner.publishing.records import (
    MAX_RECONCILE_CHECKS,
    Outcome,
    Result,
    in_flight,
    iso,
    load_post,
    lock_delivery,
    lock_state,
)
from planner.publishing.send import CheckFailed, ContentChanged, begin_attempt, send_attempt
from platforms import errors as platform_errors


def _within_window(channel: Channel, since: dt.datetime | None, now: dt.datetime) -> bool:
    """Does the platform still deduplicate a send made at ``since``? (The adapter's
    ``idempotency_window``: within it an unconfirmed send may be repeated with its key.)"""
    client = client_class(channel)
    if not client.supports_idempotency_key:
        return False
    window = client.idempotency_window
    return window is None or since is None or now - since < window


def _window_label(channel: Channel) -> str:
    client = client_class(channel)
    window = client.idempotency_window
    if window is None:
        return "unlimited" if client.supports_idempotency_key else "no deduplication"
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 1440} days"


def _give_up(post: Post, *, lookups: int, stopped: str | None) -> Outcome:
    """The last lookup found nothing: failed, with what a person should check."""
    if stopped:
        return fail_post(
            post.pk,
            f"It was not found on {post.channel.get_platform_display()} after {lookups} "
            f"checks, and it was not sent again: {stopped} Check {post.channel.handle} "
            "and post it by hand if it is missing.",
            sources=(Status.UNCONFIRMED,),
        )
    return fail_post(
        post.pk,
        f"It could not be confirmed on {post.channel.get_platform_display()} after "
        f"{lookups} checks. Look at {post.channel.handle} before posting it again by hand.",
        sources=(Status.UNCONFIRMED,),
    )


def _resend(post: Post, client, delivery: Delivery) -> Outcome:
    """Not found, within the platform's window, not stopped before: send again with the
    same key, after the identity check and through the same last checks as a first send."""
    post_id, channel = post.pk, post.channel
    try:
        identity = clients.identity_check(channel, client)
    except platform_errors.PlatformError as exc:
        return reconcile_later(post_id, str(exc))
    if identity.identity.remote_id != channel.remote_account_id:
        identity_alert(post, identity)
        return fail_post(
            post_id,
            f"The credential of {channel.handle} now posts as {identity.identity.handle} "
            f"(account id {identity.identity.remote_id}); the unconfirmed send was not repeated.",
            sources=(Status.UNCONFIRMED,),
        )
    try:
        resend = begin_attempt(
            post_id,
            brand=post.brand,
            expect=Status.UNCONFIRMED,
            kind="resend",
            checked_hash=delivery.content_hash,
            remote_account_id=channel.remote_account_id,
            since=delivery.first_attempt_at,
            now=timezone.now(),
        )
    except CheckFailed as exc:
        return _stop_resend(post, exc.reason)
    except ContentChanged:
        return _stop_resend(
            post, "Its content changed after the first send; it needs reviewing again."
        )
    if resend is None:
        return Outcome(post_id, Result.SKIPPED, "another worker has it")
    return send_attempt(resend.post, client, resend.delivery, kind="resend")


def reconcile_one(post_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Settle an unconfirmed send: look it up; found → published; not found → re-send with
    the same key while the platform deduplicates it; otherwise fail with the reason."""
    now = now or timezone.now()
    post = load_post(post_id)
    if post is None:
        return Outcome(post_id, Result.SKIPPED, "gone")
    if post.status != Status.UNCONFIRMED:
        return Outcome(post_id, Result.SKIPPED, f"is {post.status}")
    with transaction.atomic():
        locked = lock_state(post_id)
        if locked is None or locked.status != Status.UNCONFIRMED:
            return Outcome(post_id, Result.SKIPPED, "settled meanwhile")
        delivery = lock_delivery(post_id)
        if delivery is not None:
            if in_flight(delivery):
                return Outcome(post_id, Result.SKIPPED, "a re-send is in flight")
            lookups = sum(1 for a in delivery.attempts if a.get("kind") == "lookup")
            delivery.attempts.append(
                {"kind": "lookup", "started_at": iso(now), "outcome": "checking"}
            )
            delivery.save(update_fields=["attempts"])
    if delivery is None:
        return fail_post(
            post_id,
            "Its send was never recorded, so it cannot be checked on the platform.",
            sources=(Status.UNCONFIRMED,),
        )
    stopped = _resend_stopped(delivery)
    if lookups >= MAX_RECONCILE_CHECKS:
        return _give_up(post, lookups=lookups, stopped=stopped)
    channel = post.channel
    try:
        client = cached_client(channel)
        found = client.lookup(
            idempotency_key=delivery.idempotency_key,
            text=post.text,
            since=delivery.first_attempt_at,
        )
    except (ValidationError, DomainError) as exc:
        forget_client(channel)
        _set_lookup_outcome(post_id, "error", reconnect_reason(channel, exc))
        return reconcile_later(post_id, reconnect_reason(channel, exc))
    except platform_errors.PlatformError as exc:
        _set_lookup_outcome(post_id, "error", str(exc))
        return reconcile_later(post_id, str(exc))
    if found is not None:
        _set_lookup_outcome(post_id, "found")
        return record_published(
            post_id, found, platform=channel.platform, reconciled=True, outcome="found", sent=post
        )
    _set_lookup_outcome(post_id, "not_found")
    if not _within_window(channel, delivery.first_attempt_at, now):
        return fail_post(
            post_id,
            f"It was not found on {channel.get_platform_display()} and the platform's "
            f"idempotency window ({_window_label(channel)}) has passed, so it was not "
            f"sent again (that could make a second post). Check {channel.handle} and post it "
            "by hand if it is missing.",
            sources=(Status.UNCONFIRMED,),
        )
    if stopped:
        # A send-time check stopped the re-send before: it stays stopped (a person decides),
        # and the lookups go on so that a first send that did land is recorded.
        return reconcile_later(post_id, f"Not found; not sent again: {stopped}")
    return _resend(post, client, delivery)


def _resend_stopped(delivery: Delivery) -> str | None:
    """Why a re-send of this unconfirmed post was stopped by a send-time check, if it was."""
    for attempt in reversed(delivery.attempts):
        if attempt.get("kind") == "resend_stopped":
            return attempt.get("error") or "a send-time check failed."
    return None


def _stop_resend(post: Post, reason: str) -> Outcome:
    """A send-time check failed before re-sending an unconfirmed post: never send. It stays
    unconfirmed and is looked up again on the usual schedule (found: published; still not
    found after the last check: failed with this reason); the re-send stays stopped even
    if the cause goes away, and the admins and the author are told once."""
    now = timezone.now()
    channel = post.channel
    note = (
        f"It was not found on {channel.get_platform_display()} and was not sent again: "
        f"{reason} Countersign keeps looking for the first send; if it is not found it "
        "fails, and a person decides."
    )
    with transaction.atomic():
        locked = lock_state(post.pk)
        delivery = lock_delivery(post.pk)
        if locked is None or locked.status != Status.UNCONFIRMED or delivery is None:
            return Outcome(post.pk, Result.SKIPPED, "settled meanwhile")
        delivery.attempts.append(
            {
                "kind": "resend_stopped",
                "started_at": iso(now),
                "finished_at": iso(now),
                "outcome": "stopped",
                "error": reason[:500],
            }
        )
        delivery.last_error = note[:2000]
        delivery.save(update_fields=["attempts", "last_error"])
        account_services.audit_record(
            action="post.resend_stopped",
            brand=post.brand,
            obj=post,
            message=reason[:500],
            data={"post": post.pk, "channel": channel.pk},
        )
        tell(
            post,
            kind="post.held",
            subject=f"Post {post.pk} not sent again: {reason[:120]}",
            body=f"Post {post.pk} on {channel.handle} is unconfirmed.\n\n{note}",
        )
    later = reconcile_later(post.pk, note)
    return Outcome(post.pk, Result.WAITING, note, retry_in=later.retry_in)


def _set_lookup_outcome(post_id: int, outcome: str, error: str = "") -> None:
    with transaction.atomic():
        lock_state(post_id)
        delivery = lock_delivery(post_id)
        if delivery is None:
            return
        for attempt in reversed(delivery.attempts):
            if attempt.get("kind") == "lookup":
                attempt.update(
                    {"outcome": outcome, "finished_at": iso(timezone.now()), "error": error}
                )
                break
        delivery.save(update_fields=["attempts"])
