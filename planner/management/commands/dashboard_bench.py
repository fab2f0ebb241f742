"""Benchmark the KPI dashboard: a throwaway brand with 50,000 published posts (a year, on 10
channels) with their metric snapshots, follower counts and approvals, filled in bulk.

Prints the median and p95 time and the query count of each chart endpoint (a year's range),
the summary endpoint and the dashboard page, beside a trivial view (/healthz/) measured the
same way in the same run. Everything is rolled back afterwards unless --keep.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.commands import DatabaseCommand
from planner.benchmarking import header, signed_in, throwaway_brand, time_get
from planner.metrics.dashboard import CHARTS
from planner.metrics.seed import seed_published


class Command(DatabaseCommand):
    help = "Time each KPI chart endpoint with 50,000 published posts, next to a trivial view."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=50_000)
        parser.add_argument("--channels", type=int, default=10)
        parser.add_argument("--runs", type=int, default=20, help="Requests per endpoint.")
        parser.add_argument("--keep", action="store_true", help="Do not roll back the data.")

    def handle(self, *args, posts: int, channels: int, runs: int, keep: bool, **options):
        if posts < 1 or channels < 1 or runs < 2:
            raise CommandError("--posts and --channels must be >= 1, --runs >= 2.", returncode=2)
        slug = f"kpi-{secrets.token_hex(4)}"
        with transaction.atomic():
            started = time.perf_counter()
            self.stdout.write(f"Filling brand {slug}: {posts:,} published posts…")
            brand, user, channel_list = throwaway_brand(slug, channels=channels)
            approver = User.objects.create_user(
                username=f"{slug}-a", email=f"{slug}-a@example.invalid"
            )
            end = timezone.now()
            seed_published(
                brand=brand,
                channels=channel_list,
                author=user,
                approver=approver,
                n=posts,
                start=end - dt.timedelta(days=365),
                end=end,
            )
            self.stdout.write(f"  filled in {time.perf_counter() - started:.1f}s")
            try:
                self._measure(brand, user, runs=runs)
            finally:
                if not keep:
                    transaction.set_rollback(True)
                    self.stdout.write(f"Rolled back brand {slug}.")

    def _measure(self, brand, user, *, runs: int) -> None:
        today = timezone.now().astimezone(brand.tz).date()
        query = f"?start={today - dt.timedelta(days=364)}&end={today}"
        targets = [("trivial view /healthz/", reverse("healthz"))]
        targets += [
            (f"chart {name}", reverse("api_kpi_chart", args=[brand.slug, name]) + query)
            for name in CHARTS
        ]
        targets += [
            ("kpis summary", reverse("api_kpis", args=[brand.slug]) + query),
            ("dashboard page", reverse("kpi_dashboard", args=[brand.slug]) + query),
        ]
        with signed_in(user) as client:
            self.stdout.write(header("endpoint"))
            for label, url in targets:
                self.stdout.write(time_get(client, url, runs=runs).row(label))
        self.stdout.write(
            f"\n{runs} requests each after 2 warm-ups, a year's range, Django test client in "
            f"this process, database {connection.vendor}."
        )
