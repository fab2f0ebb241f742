"""Background work for policy training: the daily certification reminders."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="policy.tasks.certification_reminders")
def certification_reminders() -> dict[str, int]:
    """Email people whose certification lapses within a week, or has lapsed. Idempotent:
    each email is recorded on the certification and never sent twice."""
    from policy.services import certification_remind_due

    return certification_remind_due()
