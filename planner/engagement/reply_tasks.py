"""Celery tasks for replies: thin and idempotent, ids as arguments.

The reply's row is the truth and the broker only a doorbell: a lost, repeated or late
message never sends a reply twice (see planner.engagement.replies).
"""

from __future__ import annotations

from celery import shared_task

from planner.engagement import replies


@shared_task(bind=True, name="planner.engagement.send_reply", ignore_result=True, max_retries=None)
def send_reply(self, message_id: int) -> str:
    """Send one approved reply. A safe retry (nothing was accepted) keeps the same key; the
    service bounds the number of tries."""
    outcome = replies.reply_send(message_id=message_id)
    if outcome.result == "retry" and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="planner.engagement.reconcile_reply", ignore_result=True)
def reconcile_reply(message_id: int) -> str:
    """Settle one in-flight reply against the platform (lookup, or a same-key re-send)."""
    return replies.reply_reconcile(message_id=message_id).result


@shared_task(name="planner.engagement.reconcile_replies", ignore_result=True)
def reconcile_replies() -> list[int]:
    """Periodic: every in-flight reply no worker has any more, one task each; and approved
    replies whose send task was lost, rung again (the row is the truth)."""
    due = replies.replies_to_reconcile()
    for message_id in due:
        reconcile_reply.delay(message_id)
    for message_id in replies.replies_to_send_again():
        send_reply.delay(message_id)
    return due
