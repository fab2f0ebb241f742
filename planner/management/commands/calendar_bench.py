"""Benchmark the calendar: a throwaway brand with 5,000 posts over a year on 10 channels.

Prints the median and p95 time of the calendar month page, the calendar API (one month of
events), the post list, and a trivial view (/healthz/) measured the same way in the same
run, so the figures can be read relative to this machine. Deletes its data afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Brand, User
from config.commands import DatabaseCommand
from planner.benchmarking import header, signed_in, throwaway_brand, time_get
from planner.content import fingerprint
from planner.management.pagedata import first_revisions
from planner.models import Category, Post, PostGroup


class Command(DatabaseCommand):
    help = "Time the calendar month page and API with 5,000 posts, next to a trivial view."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=5000)
        parser.add_argument("--channels", type=int, default=10)
        parser.add_argument("--runs", type=int, default=30, help="Requests per view.")
        parser.add_argument("--keep", action="store_true", help="Do not delete the data.")

    def handle(self, *args, posts: int, channels: int, runs: int, keep: bool, **options):
        if posts < 1 or channels < 1 or runs < 2:
            raise CommandError("--posts and --channels must be >= 1, --runs >= 2.", returncode=2)
        slug = f"bench-{secrets.token_hex(4)}"
        self.stdout.write(f"Filling brand {slug}: {posts:,} posts on {channels} channels…")
        # The audit trail is append-only (a brand and people with history cannot be
        # deleted), so unless --keep the whole run is one transaction, rolled back.
        with transaction.atomic():
            started = time.perf_counter()
            brand, user = self._fill(slug, n_posts=posts, n_channels=channels)
            self.stdout.write(f"  filled in {time.perf_counter() - started:.1f}s")
            try:
                self._measure(brand, user, runs=runs)
            finally:
                if not keep:
                    transaction.set_rollback(True)
                    self.stdout.write(f"Rolled back brand {slug} and its posts.")

    @transaction.atomic
    def _fill(self, slug: str, *, n_posts: int, n_channels: int) -> tuple[Brand, User]:
        brand, user, channel_list = throwaway_brand(slug, channels=n_channels)
        groups = PostGroup.objects.bulk_create(
            PostGroup(brand=brand, created_by=user) for _ in range(n_posts)
        )
        start = timezone.now() - dt.timedelta(days=182)
        step = dt.timedelta(days=365) / n_posts
        categories = Category.values
        rows = []
        for i, group in enumerate(groups):
            channel = channel_list[i % n_channels]
            text = f"Benchmark post {i} for {channel.handle}: something worth saying #{i % 7}"
            category = categories[i % len(categories)]
            rows.append(
                Post(
                    brand=brand,
                    channel=channel,
                    group=group,
                    author=user,
                    last_editor=user,
                    text=text,
                    category=category,
                    scheduled_at=start + step * i,
                    content_hash=fingerprint(text=text, channel_id=channel.pk, category=category),
                    revision=1,
                )
            )
        created = Post.objects.bulk_create(rows, batch_size=500)
        first_revisions(created, editor=user)
        return brand, user

    def _measure(self, brand: Brand, user: User, *, runs: int) -> None:
        now = timezone.now().astimezone(brand.tz)
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        # The six weeks FullCalendar's month grid asks for.
        grid_start = month_start - dt.timedelta(days=month_start.weekday())
        grid_end = grid_start + dt.timedelta(days=42)
        targets = [
            ("trivial view /healthz/", reverse("healthz")),
            ("calendar month page", reverse("calendar", kwargs={"slug": brand.slug})),
            (
                "calendar API (6 weeks)",
                reverse("api_calendar", kwargs={"slug": brand.slug})
                + f"?start={grid_start.isoformat()}&end={grid_end.isoformat()}".replace("+", "%2B"),
            ),
            ("post list page", reverse("post_list", kwargs={"slug": brand.slug})),
        ]
        with signed_in(user) as client:
            self.stdout.write(header() + f"{'events':>8}")
            for label, url in targets:
                timing = time_get(client, url, runs=runs)
                events = len(timing.response.json()) if "API" in label else ""
                self.stdout.write(timing.row(label) + f"{events!s:>8}")
        self.stdout.write(
            f"\n{runs} requests each after 2 warm-ups, Django test client in this process, "
            f"database {connection.vendor}."
        )
