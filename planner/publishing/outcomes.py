"""State moves with their bookkeeping: hold, fail, unconfirmed, published."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from planner import lifecycle
from planner.models import Delivery, HeldCode, Post, Status
from planner.publishing.clients import IdentityCheck
from planner.publishing.notifications import tell
from planner.publishing.records import (
    RECONCILE_FIRST_DELAY_SECONDS,
    Outcome,
    Result,
    backoff,
    finish_attempt,
    idempotency_key,
    iso,
    lock_delivery,
    lock_post,
    lock_state,
    logger,
    set_lease,
)
from platforms.base import PublishResult
from policy import services as policy_services


def hold_identity_mismatch(post: Post, check: IdentityCheck, *, expect: Status) -> Outcome:
    """The credential is someone else now: hold, audit ``guard.identity_mismatch``, alert."""
    channel = post.channel
    actual = check.identity
    reason = (
        f"The credential of {channel.handle} ({channel.get_platform_display()}) now posts as "
        f"{actual.handle} (account id {actual.remote_id}), not as the connected account "
        f"{channel.handle} (account id {channel.remote_account_id}). Nothing was sent. "
        "Reconnect the channel with the brand's own credential, then re-confirm the post."
    )
    with transaction.atomic():
        account_services.audit_record(
            action="guard.identity_mismatch",
            brand=post.brand,
            obj=channel,
            message=reason[:500],
            data={
                "post": post.pk,
                "channel": channel.pk,
                "channel_handle": channel.handle,
                "platform": channel.platform,
                "expected_remote_id": channel.remote_account_id,
                "actual_remote_id": actual.remote_id,
                "actual_handle": actual.handle,
            },
        )
        people = tell(
            post,
            kind="guard.identity_mismatch",
            subject=f"Held: {channel.handle} now posts as {actual.handle}",
            body=(
                f"Post {post.pk} was held before sending. The channel {channel.handle} "
                f"({channel.get_platform_display()}) was connected as account id "
                f"{channel.remote_account_id}, but its credential now authenticates as "
                f"{actual.handle} (account id {actual.remote_id}).\n\n"
                "Nothing was sent. Reconnect the channel with the brand's own account."
            ),
            author=False,
        )
        held = hold_post(
            post.pk,
            reason,
            expect=expect,
            data={"notified": people},
            notify=False,
            code=HeldCode.RECONNECT,
        )
    return Outcome(post.pk, Result.HELD if held else Result.SKIPPED, reason)


# --- holding, failing, publishing (state moves with their bookkeeping) ----------------------


def hold_post(
    post_id: int,
    reason: str,
    *,
    expect: Status,
    data: dict | None = None,
    notify: bool = True,
    code: HeldCode = HeldCode.CHECK,
) -> bool:
    """Hold the post (from ``expect``) with the reason and its code; tell the author and the
    admins."""

    def guard(post: Post) -> None:
        if post.status != expect:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            post = lifecycle.transition(
                post_id,
                to=Status.HELD,
                actor=None,
                reason=reason,
                held_code=code,
                guard=guard,
                data=data,
            )
            set_lease(post_id, None)
            if notify:
                post = Post.objects.select_related("brand", "author").get(pk=post_id)
                tell(
                    post,
                    kind="post.held",
                    subject=f"Post {post_id} held: {reason[:120]}",
                    body=f"Post {post_id} was held and not sent.\n\n{reason}",
                )
    except lifecycle.TransitionRefused:
        return False
    return True


def fail_post(
    post_id: int,
    reason: str,
    *,
    sources: tuple[Status, ...],
    outcome: str | None = None,
) -> Outcome:
    """Fail the post (final) with the reason; tell the author and the admins, and keep who
    was told on the delivery."""

    def guard(post: Post) -> None:
        if post.status not in sources:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            post = lock_post(post_id)
            if post is None or post.status not in sources:
                return Outcome(post_id, Result.SKIPPED, "moved on meanwhile")
            people = tell(
                post,
                kind="post.failed",
                subject=f"Post {post_id} failed: {reason[:120]}",
                body=f"Post {post_id} on {post.channel.handle} was not published.\n\n{reason}",
            )
            lifecycle.transition(
                post_id,
                to=Status.FAILED,
                actor=None,
                reason=reason,
                guard=guard,
                data={"notified": people},
            )
            set_lease(post_id, None)
            delivery = lock_delivery(post_id)
            if delivery is None:  # failed before any send: the reason still needs a home
                delivery = Delivery.objects.create(
                    post=post,
                    idempotency_key=idempotency_key(post.pk, post.content_hash),
                    content_hash=post.content_hash,
                )
            if delivery is not None:
                if outcome is not None:
                    finish_attempt(delivery, outcome=outcome, error=reason)
                delivery.last_error = reason[:2000]
                delivery.evidence = {
                    **(delivery.evidence or {}),
                    "failure": {"reason": reason, "notified": people, "at": iso(timezone.now())},
                }
                delivery.save(update_fields=["last_error", "evidence"])
    except lifecycle.TransitionRefused:
        return Outcome(post_id, Result.SKIPPED, "moved on meanwhile")
    return Outcome(post_id, Result.FAILED, reason)


def completed_evidence(
    delivery: Delivery,
    result: PublishResult,
    *,
    platform: str,
    reconciled: bool,
    now,
    outcome: str = "published",
) -> None:
    """The delivery of a send the platform accepted, completed (not saved): the attempt's
    outcome, the remote id and URL, the evidence's final status and timestamps."""
    if delivery.attempts and delivery.attempts[-1].get("outcome") is None:
        delivery.attempts[-1].update({"outcome": outcome, "finished_at": iso(now), "error": ""})
    delivery.remote_id = result.remote_id[:255]
    delivery.remote_url = (result.url or "")[:500]
    delivery.published_at = delivery.published_at or now
    evidence = dict(delivery.evidence or {})
    evidence.pop("failure", None)
    evidence.update(
        {
            "status": "published",
            "remote": {
                "platform": platform,
                "id": delivery.remote_id,
                "url": delivery.remote_url,
            },
            "reconciled": reconciled,
        }
    )
    evidence.setdefault("timestamps", {}).update(
        {
            "first_attempt_at": iso(delivery.first_attempt_at),
            "published_at": iso(delivery.published_at),
            "recorded_at": iso(now),
        }
    )
    delivery.evidence = evidence
    delivery.last_error = ""
    delivery.send_in_flight = False


def record_published(
    post_id: int,
    result: PublishResult,
    *,
    platform: str,
    reconciled: bool,
    outcome: str,
    sent: Post | None = None,
) -> Outcome:
    """The platform has the post: published (or reconciled), with the evidence completed.
    ``sent``: the post as it was sent (its brand and text), else read again."""
    now = timezone.now()
    if sent is None:
        sent = Post.objects.only("id", "brand_id", "text").filter(pk=post_id).first()
    with transaction.atomic():
        if sent is not None:
            # What the platform has is part of the brand's hashtag vocabulary from now on
            # (first: a new tag writes the brand row, which is locked before post rows).
            policy_services.hashtags_learn(
                brand_id=sent.brand_id, text=sent.text, source="published"
            )
        post = lock_state(post_id)
        delivery = lock_delivery(post_id)
        if post is None or delivery is None:
            return Outcome(post_id, Result.SKIPPED, "gone")
        completed_evidence(
            delivery, result, platform=platform, reconciled=reconciled, now=now, outcome=outcome
        )
        delivery.save(
            update_fields=[
                "send_in_flight",
                "remote_id",
                "remote_url",
                "published_at",
                "evidence",
                "last_error",
                "attempts",
            ]
        )
        if post.status == Status.PUBLISHED:
            return Outcome(post_id, Result.SKIPPED, "already published")
        if post.status not in (Status.PUBLISHING, Status.UNCONFIRMED):
            # A person moved it while the send was under way (cannot normally happen: a
            # send takes seconds, a lease minutes). The delivery keeps what the platform has.
            logger.error("post %s was %s when its send was accepted", post_id, post.status)
            return Outcome(post_id, Result.SKIPPED, f"was {post.status} when accepted")
        lifecycle.transition(
            post_id,
            to=Status.PUBLISHED,
            actor=None,
            data={"remote_id": delivery.remote_id, "remote_url": delivery.remote_url},
        )
        Post.objects.filter(pk=post_id).update(
            remote_url=delivery.remote_url, lease_expires_at=None
        )
    return Outcome(post_id, Result.PUBLISHED, delivery.remote_url)


def mark_unconfirmed(post_id: int, detail: str) -> Outcome:
    def guard(post: Post) -> None:
        if post.status != Status.PUBLISHING:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            lifecycle.transition(
                post_id, to=Status.UNCONFIRMED, actor=None, reason=detail, guard=guard
            )
            set_lease(post_id, timezone.now() + dt.timedelta(seconds=RECONCILE_FIRST_DELAY_SECONDS))
    except lifecycle.TransitionRefused:
        return Outcome(post_id, Result.SKIPPED, "moved on meanwhile")
    return Outcome(post_id, Result.UNCONFIRMED, detail)


# --- reconciling unconfirmed sends ---------------------------------------------------------


def reconcile_later(post_id: int, detail: str) -> Outcome:
    """Leave the post unconfirmed and look again later (the lease is the next check time)."""
    checks = 0
    delivery = Delivery.objects.filter(post_id=post_id).first()
    if delivery is not None:
        checks = sum(1 for a in delivery.attempts if a.get("kind") == "lookup")
    delay = backoff(checks + 1)
    Post.objects.filter(pk=post_id, status=Status.UNCONFIRMED).update(
        lease_expires_at=timezone.now() + dt.timedelta(seconds=delay)
    )
    return Outcome(post_id, Result.WAITING, detail, retry_in=delay)
