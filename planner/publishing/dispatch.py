"""The dispatcher pass: sweep expired leases, claim due posts, pick reconciliations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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


def claim_chunk() -> int:
    """Due posts claimed in one transaction: one round of sets for every worker process
    (``WORKER_CONCURRENCY`` sets of the largest size), so the first sets of a large pass
    are being sent while the rest of it is claimed."""
    from django.conf import settings

    from planner.publishing.batch import set_size

    processes = max(1, int(settings.COUNTERSIGN.get("WORKER_CONCURRENCY", 1) or 1))
    return processes * set_size(2**31)


def dispatch(
    *,
    now: dt.datetime | None = None,
    limit: int = DISPATCH_BATCH,
    on_claimed: Callable[[list[int]], None] | None = None,
) -> DispatchResult:
    """One dispatcher pass: sweep expired leases, claim due posts, pick reconciliations.

    Up to ``limit`` posts are claimed, :func:`claim_chunk` at a time, each chunk in its own
    transaction and handed to ``on_claimed`` once its policies are started (the task
    enqueues its sets there). The caller enqueues the reconcile tasks
    (planner.tasks.dispatch_due), or runs everything inline (publish_due)."""
    now = now or timezone.now()
    result = DispatchResult()
    result.swept = sweep(now=now)
    step = claim_chunk()
    while len(result.claimed) < limit:
        wanted = min(step, limit - len(result.claimed))
        claimed = lifecycle.claim_due(now, wanted, lease_seconds())
        _start_missing_policies(claimed)
        result.claimed += claimed
        if claimed and on_claimed is not None:
            on_claimed(claimed)
        if len(claimed) < wanted:
            break
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
