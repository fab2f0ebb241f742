"""Periodic tasks, declared in code and installed by `manage.py setup_periodic_tasks`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every_seconds: int
    description: str


def periodic_tasks() -> list[Periodic]:
    from django.conf import settings

    return [
        Periodic(
            name="Dispatch due posts",
            task="planner.tasks.dispatch_due",
            every_seconds=settings.COUNTERSIGN["DISPATCH_INTERVAL_SECONDS"],
            description="Claim approved posts that are due and enqueue one publish task each.",
        ),
    ]
