"""Celery tasks for publishing: thin and idempotent, ids as arguments.

The database row is the truth and the broker only a doorbell: a lost, repeated or late
message never sends a post twice (see planner.publishing). ``dispatch_due`` is the one
periodic task (planner.periodic, installed by ``manage.py setup_periodic_tasks``).
"""

from __future__ import annotations

import logging

from celery import shared_task

from planner.publishing import services as publishing

logger = logging.getLogger(__name__)


@shared_task(name="planner.tasks.dispatch_due", ignore_result=True)
def dispatch_due(limit: int = publishing.DISPATCH_BATCH) -> dict:
    """Sweep expired leases, claim due posts a chunk at a time, enqueueing after each
    chunk's commit one task per set of its posts on one channel (one broker message a set,
    planner.publishing.batch.set_size), then one per post to reconcile."""
    result = publishing.dispatch(limit=limit, on_claimed=_enqueue_sets)
    for post_id in result.reconcile:
        reconcile_post.delay_on_commit(post_id)
    if result.claimed or result.reconcile or result.swept:
        logger.info(
            "dispatch: claimed %d, reconciling %d, swept %d",
            len(result.claimed),
            len(result.reconcile),
            len(result.swept),
        )
    return {"claimed": result.claimed, "reconcile": result.reconcile, "swept": result.swept}


def _enqueue_sets(claimed: list[int]) -> None:
    """One task per set of claimed posts on one channel, after the claim's commit."""
    for post_ids in publishing.claimed_sets(claimed):
        if len(post_ids) == 1:
            publish_post.delay_on_commit(post_ids[0])
        else:
            publish_set.delay_on_commit(post_ids)


@shared_task(bind=True, name="planner.tasks.publish_post", ignore_result=True, max_retries=None)
def publish_post(self, post_id: int) -> str:
    """Publish one claimed post. A safe retry (nothing was accepted) keeps the same key;
    publishing bounds the number of tries. Run eagerly (no broker), the post keeps its lease
    and a later dispatcher pass claims it again once the wait is over."""
    outcome = publishing.publish_one(post_id)
    if outcome.result == publishing.Result.RETRY and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result.value


@shared_task(bind=True, name="planner.tasks.publish_set", ignore_result=True)
def publish_set(self, post_ids: list[int]) -> list[str]:
    """Publish the claimed posts of one set (one channel, one dispatcher pass): checked
    together under their row locks, every check run for every post, the in-flight markers
    committed, the calls made at the same time, the results recorded together
    (planner.publishing.batch). A post to retry gets its own task later (same key); run
    eagerly, it keeps its lease and a later dispatcher pass claims it again."""
    outcomes = publishing.publish_many([int(pk) for pk in post_ids])
    if not self.request.is_eager:
        for outcome in outcomes:
            if outcome.result == publishing.Result.RETRY:
                publish_post.apply_async((outcome.post_id,), countdown=outcome.retry_in)
    return [outcome.result.value for outcome in outcomes]


@shared_task(name="planner.tasks.reconcile_post", ignore_result=True)
def reconcile_post(post_id: int) -> str:
    """Settle one unconfirmed send against the platform (lookup, or same-key re-send)."""
    return publishing.reconcile_one(post_id).result.value


@shared_task(name="planner.tasks.sweep", ignore_result=True)
def sweep() -> int:
    """Take back expired leases now (the dispatcher also does this on every pass)."""
    return len(publishing.sweep())


# The rooms' tasks, registered with the app through this module (autodiscovery looks here).
from planner.engagement.reply_tasks import (  # noqa: E402, F401
    reconcile_replies,
    reconcile_reply,
    send_reply,
)
from planner.engagement.tasks import (  # noqa: E402, F401
    fetch_inbox,
    fetch_inbox_channel,
    overdue_digest,
)
from planner.feeds.tasks import fetch_due_feeds, fetch_feed  # noqa: E402, F401
from planner.metrics.tasks import (  # noqa: E402, F401
    collect_metrics,
    fetch_followers,
    fetch_post_metrics,
)
