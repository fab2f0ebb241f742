"""The dispatcher pass: sweep expired leases, claim due posts, pick reconciliations."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from planner import lifecycle
from planner.models import Post, Status
from planner.publishing.batch import publish_many
from planner.publishing.reconcile import reconcile_one
from planner.publishing.records import (
    DISPATCH_BATCH,
    DispatchResult,
    Outcome,
    attempt_in_flight,
    finish_attempt,
    in_flight,
    lease_seconds,
    lock_delivery,
    lock_state,
    set_lease,
)

# --- the dispatcher pass -------------------------------------------------------------------


def _on_swept(post: Post, target: Status) -> None:
    if target == Status.UNCONFIRMED:
        delivery = lock_delivery(post.pk)
        if delivery is not None:
            finish_attempt(
                delivery,
                outcome="unknown",
                error="The worker stopped while the send was under way.",
            )


def sweep(*, now: dt.datetime | None = None) -> dict[int, str]:
    """Expired leases: back to approved when no send may have reached the platform,
    to unconfirmed (reconciled later) when one may have."""
    now = now or timezone.now()
    moved = lifecycle.lease_sweep(now, in_flight=attempt_in_flight, on_moved=_on_swept)
    return {pk: str(target) for pk, target in moved.items()}


def _claim_reconciles(now: dt.datetime, limit: int) -> list[int]:
    """Unconfirmed posts due for a check: each gets a lease (so one check runs at a time); a
    re-send left in flight by a stopped worker is marked unknown first."""
    due = list(
        Post.objects.filter(status=Status.UNCONFIRMED, lease_expires_at__lte=now)
        .order_by("lease_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    due += list(
        Post.objects.filter(status=Status.UNCONFIRMED, lease_expires_at__isnull=True).values_list(
            "pk", flat=True
        )[: max(0, limit - len(due))]
    )
    claimed = []
    lease = now + dt.timedelta(seconds=lease_seconds())
    for pk in due:
        with transaction.atomic():
            post = lock_state(pk)
            if post is None or post.status != Status.UNCONFIRMED:
                continue
            if post.lease_expires_at is not None and post.lease_expires_at > now:
                continue
            delivery = lock_delivery(pk)
            if in_flight(delivery):
                finish_attempt(
                    delivery,
                    outcome="unknown",
                    error="The worker stopped while the re-send was under way.",
                )
            set_lease(pk, lease)
            claimed.append(pk)
    return claimed


def _start_missing_policies(claimed: list[int]) -> None:
    """A brand's policy version exists before anything of it is sent: a brand whose claimed
    posts never went through a submit (which lints, and so starts the policy) gets its
    starter version here, after the claim and before any send is enqueued, never from inside
    a send. (After the claim, not before it: a post that falls due between the two is
    claimed too.) One query when none is missing."""
    from accounts.models import Brand
    from policy import services as policy_services

    if not claimed:
        return
    brands = Post.objects.filter(pk__in=claimed).values("brand_id")
    for brand in Brand.objects.filter(policy_version__isnull=True, pk__in=brands):
        policy_services.policy_ensure(brand=brand)


def dispatch(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> DispatchResult:
    """One dispatcher pass: sweep expired leases, claim due posts, pick reconciliations.

    The caller enqueues one publish task per claimed post and one reconcile task per
    unconfirmed post (planner.tasks.dispatch_due), or runs them inline (publish_due)."""
    now = now or timezone.now()
    result = DispatchResult()
    result.swept = sweep(now=now)
    result.claimed = lifecycle.claim_due(now, limit, lease_seconds())
    _start_missing_policies(result.claimed)
    result.reconcile = _claim_reconciles(now, limit)
    return result


def publish_due_inline(*, limit: int = DISPATCH_BATCH) -> list[Outcome]:
    """One pass run synchronously (``manage.py publish_due``): claim, then publish each in
    this process. A post that needs a retry keeps its lease and is claimed again by a later
    pass once the wait is over."""
    result = dispatch(limit=limit)
    outcomes = [reconcile_one(pk) for pk in result.reconcile]
    outcomes += publish_many(result.claimed)
    return outcomes
