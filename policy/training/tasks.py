"""Background work for policy training: the daily certification reminders.

The task keeps the name it was first registered under, which periodic-task rows refer to.
Celery finds it through ``policy.tasks``, the app's task module.
"""

from __future__ import annotations

from celery import shared_task

from policy.training.services import certification_remind_due


@shared_task(name="policy.tasks.certification_reminders")
def certification_reminders() -> dict[str, int]:
    """Email people whose certification lapses within a week, or has lapsed. Idempotent:
    each email is recorded on the certification and never sent twice."""
    return certification_remind_due()
