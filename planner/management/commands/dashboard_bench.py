"""Benchmark the KPI dashboard: a throwaway brand with 50,000 published posts (a year, on 10
channels) with their metric snapshots, follower counts and approvals, filled in bulk.

Prints the median and p95 time and the query count of each chart endpoint (a year's range),
the summary endpoint and the dashboard page, beside a trivial view (/healthz/) measured the
same way in the same run. Everything is rolled back afterwards unless --keep.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role, User
from planner.metrics.dashboard import CHARTS
from planner.metrics.seed import seed_published


class Command(BaseCommand):
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
            user = User.objects.create_user(username=slug, email=f"{slug}@example.invalid")
            approver = User.objects.create_user(
                username=f"{slug}-a", email=f"{slug}-a@example.invalid"
            )
            brand = account_services.brand_create(
                slug=slug, name=f"Benchmark {slug}", created_by=None, timezone_name="Europe/London"
            )
            account_services.membership_set(brand=brand, user=user, roles=[Role.AUTHOR], actor=None)
            channel_list = [
                account_services.channel_create_outbox(
                    brand=brand, handle=f"@{slug}-{i}", actor=None
                )
                for i in range(channels)
            ]
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
        hosts = ["testserver", "localhost", "127.0.0.1"]
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(user)
            self.stdout.write(f"\n{'endpoint':<26}{'median ms':>11}{'p95 ms':>10}{'queries':>9}")
            for label, url in targets:
                timings = []
                for _ in range(runs + 2):  # two warm-ups
                    with CaptureQueriesContext(connection) as queries:
                        t0 = time.perf_counter()
                        response = client.get(url)
                        elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                    timings.append(elapsed)
                timings = sorted(timings[2:])
                p95 = timings[math.ceil(0.95 * len(timings)) - 1]
                self.stdout.write(
                    f"{label:<26}{statistics.median(timings):>11.1f}{p95:>10.1f}{len(queries):>9}"
                )
        self.stdout.write(
            f"\n{runs} requests each after 2 warm-ups, a year's range, Django test client in "
            f"this process, database {connection.vendor}."
        )
