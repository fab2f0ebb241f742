"""One dispatcher pass, synchronously: for cron users (no worker, no beat) and tests."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import CommandError

from config.commands import DatabaseCommand
from planner.publishing import services as publishing


class Command(DatabaseCommand):
    help = (
        "Publish the posts that are due now, in this process: sweep expired leases, claim "
        "due approved posts, re-check and send each once, reconcile unconfirmed sends."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=publishing.DISPATCH_BATCH,
            help=f"Posts claimed in this pass (default {publishing.DISPATCH_BATCH}).",
        )

    def handle(self, *args, limit: int, verbosity: int = 1, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        outcomes = publishing.publish_due_inline(limit=limit)
        for outcome in outcomes:
            if outcome.result != publishing.Result.PUBLISHED and verbosity >= 1:
                self.stdout.write(f"post {outcome.post_id}: {outcome.result} {outcome.detail}")
        counts = Counter(outcome.result for outcome in outcomes)
        summary = ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
        self.stdout.write(f"publish_due: {summary or 'nothing due'}")
