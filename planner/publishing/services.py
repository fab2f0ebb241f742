"""The publishing writes other code calls: the dispatcher pass and its steps, pause and
resume, releasing a held post. Each lives in its own module of this package; this one is
the door the web, the API, the admin, tasks and commands go through.
"""

from __future__ import annotations

from planner.publishing.batch import claimed_sets, publish_claimed, publish_many, send_concurrency
from planner.publishing.clients import clear_caches, identity_check
from planner.publishing.dispatch import dispatch, publish_due_inline, sweep
from planner.publishing.pause import (
    Resumed,
    brand_pause,
    brand_resume,
    channel_pause,
    channel_resume,
)
from planner.publishing.reconcile import reconcile_one
from planner.publishing.records import (
    DISPATCH_BATCH,
    MAX_RECONCILE_CHECKS,
    MAX_SEND_ATTEMPTS,
    RECONCILE_FIRST_DELAY_SECONDS,
    RETRY_BASE_SECONDS,
    RETRY_MAX_SECONDS,
    DispatchResult,
    Outcome,
    Result,
    attempt_in_flight,
    idempotency_key,
)
from planner.publishing.release import can_release, post_release
from planner.publishing.send import publish_one

__all__ = [
    "DISPATCH_BATCH",
    "MAX_RECONCILE_CHECKS",
    "MAX_SEND_ATTEMPTS",
    "RECONCILE_FIRST_DELAY_SECONDS",
    "RETRY_BASE_SECONDS",
    "RETRY_MAX_SECONDS",
    "DispatchResult",
    "Outcome",
    "Result",
    "Resumed",
    "attempt_in_flight",
    "brand_pause",
    "brand_resume",
    "can_release",
    "channel_pause",
    "channel_resume",
    "claimed_sets",
    "clear_caches",
    "dispatch",
    "idempotency_key",
    "identity_check",
    "post_release",
    "publish_claimed",
    "publish_due_inline",
    "publish_many",
    "publish_one",
    "reconcile_one",
    "send_concurrency",
    "sweep",
]
