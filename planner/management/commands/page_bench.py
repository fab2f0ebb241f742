"""Benchmark the main pages with 5,000 posts in the brand: post detail, approval inbox,
calendar, post list, policy version and training dashboard, next to a trivial view
(/healthz/) measured the same way in the same run. Everything is rolled back afterwards.

Timed in this process with Django's test client: the server-side time of each request
(middleware, view, queries, template), not the network.
"""

from __future__ import annotations

import math
import secrets
import statistics
import time

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role, User
from config.commands import DatabaseCommand
from planner.management.pagedata import add_posts
from planner.models import Post, Status
from policy import services as policy_services

TARGET_MS = 100.0


class Command(DatabaseCommand):
    help = "Median and p95 of the main pages with 5,000 posts, next to /healthz/."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=5000)
        parser.add_argument("--channels", type=int, default=10)
        parser.add_argument("--runs", type=int, default=30, help="Requests per page.")

    def handle(self, *args, posts: int, channels: int, runs: int, **options):
        if posts < 10 or channels < 1 or runs < 2:
            raise CommandError("--posts >= 10, --channels >= 1, --runs >= 2.", returncode=2)
        slug = f"bench-{secrets.token_hex(4)}"
        self.stdout.write(f"Filling brand {slug}: {posts:,} posts on {channels} channels…")
        # The audit trail is append-only: the whole run is one transaction, rolled back.
        with transaction.atomic():
            started = time.perf_counter()
            viewer, urls = self._fill(slug, posts=posts, channels=channels)
            self.stdout.write(f"  filled in {time.perf_counter() - started:.1f}s")
            try:
                self._measure(viewer, urls, runs=runs, posts=posts)
            finally:
                transaction.set_rollback(True)
                self.stdout.write(f"Rolled back brand {slug}.")

    def _fill(self, slug: str, *, posts: int, channels: int):
        def person(role: str) -> User:
            return User.objects.create_user(
                username=f"{slug}-{role}", email=f"{role}@example.invalid"
            )

        viewer, author, approver = person("viewer"), person("author"), person("approver")
        brand = account_services.brand_create(
            slug=slug, name=f"Benchmark {slug}", created_by=None, timezone_name="Europe/London"
        )
        roles = [Role.AUTHOR, Role.APPROVER, Role.TRAINER, Role.ADMIN]
        account_services.membership_set(brand=brand, user=viewer, roles=roles, actor=None)
        account_services.membership_set(brand=brand, user=author, roles=[Role.AUTHOR], actor=None)
        account_services.membership_set(
            brand=brand, user=approver, roles=[Role.APPROVER], actor=None
        )
        channel_list = [
            account_services.channel_create_outbox(brand=brand, handle=f"@{slug}-{i}", actor=None)
            for i in range(channels)
        ]
        policy_services.policy_ensure(brand=brand)
        policy_services.policy_rule_save(
            brand=brand,
            actor=viewer,
            rule={
                "id": "bench-terms",
                "kind": "banned_terms",
                "severity": "warn",
                "message": "A benchmark term.",
                "terms": [f"benchterm{i}" for i in range(200)],
            },
        )
        add_posts(brand=brand, channels=channel_list, author=author, approver=approver, n=posts)
        post = Post.objects.filter(brand=brand, status=Status.IN_REVIEW).first()
        urls = [
            ("trivial view /healthz/", reverse("healthz")),
            ("post detail", reverse("post_detail", args=[slug, post.pk])),
            ("approval inbox", reverse("approval_inbox", args=[slug])),
            ("calendar", reverse("calendar", args=[slug])),
            ("post list", reverse("post_list", args=[slug])),
            ("policy version", reverse("policy_version", args=[slug, 2])),
            ("training dashboard", reverse("training_home", args=[slug])),
        ]
        return viewer, urls

    def _measure(self, viewer: User, urls, *, runs: int, posts: int) -> None:
        hosts = ["testserver", "localhost", "127.0.0.1"]
        worst = 0.0
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(viewer)
            self.stdout.write(f"\n{'page':<26}{'median ms':>11}{'p95 ms':>10}{'queries':>9}")
            for label, url in urls:
                timings = []
                for _ in range(runs + 2):  # two warm-up requests
                    with CaptureQueriesContext(connection) as queries:
                        t0 = time.perf_counter()
                        response = client.get(url)
                        elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                    timings.append(elapsed)
                timings = sorted(timings[2:])
                median = statistics.median(timings)
                p95 = timings[math.ceil(0.95 * len(timings)) - 1]  # nearest rank
                if "healthz" not in label:
                    worst = max(worst, median)
                self.stdout.write(f"{label:<26}{median:>11.1f}{p95:>10.1f}{len(queries):>9}")
        verdict = "meets" if worst < TARGET_MS else "misses"
        self.stdout.write(
            f"\n{posts:,} posts in the brand; {runs} requests a page after 2 warm-ups, Django's "
            f"test client in this process, database {connection.vendor}. Slowest median "
            f"{worst:.1f} ms: {verdict} the target of {TARGET_MS:.0f} ms."
        )
