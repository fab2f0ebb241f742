"""Benchmark the engagement inbox: ingest 100,000 notifications across 10 channels (5 on a fake
Mastodon, 5 on a fake Bluesky, each fake its own process) through the real fetch path
(adapters, cursors, ingestion), then time the inbox page at 100 and at 100,000 items.

Prints items per second of the ingestion and, for the inbox page (and its API), the median
and p95 time and the query count at each size. Everything is rolled back afterwards unless
--keep.
"""

from __future__ import annotations

import math
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from config.commands import DatabaseCommand
from planner.engagement import fetch
from planner.engagement.models import Message

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "bench-app-pass-1234"  # noqa: S105 - the fake's app password


class Command(DatabaseCommand):
    help = "Ingest 100,000 notifications on 10 channels from the fakes; time the inbox page."

    def add_arguments(self, parser):
        parser.add_argument("--notifications", type=int, default=100_000)
        parser.add_argument("--channels", type=int, default=10, help="Half Mastodon, half Bluesky.")
        parser.add_argument("--small", type=int, default=100, help="The small inbox's size.")
        parser.add_argument("--runs", type=int, default=20, help="Requests per page and size.")
        parser.add_argument("--keep", action="store_true", help="Do not roll back the data.")

    def handle(self, *args, notifications: int, channels: int, small: int, runs: int, **opts):
        if notifications < channels or channels < 2 or small < 1 or runs < 2:
            raise CommandError(
                "--notifications >= --channels >= 2, --small >= 1, --runs >= 2.", returncode=2
            )
        started: list[subprocess.Popen] = []
        tag = secrets.token_hex(3)
        n_masto = channels // 2
        n_sky = channels - n_masto
        tokens = {
            f"bench-token-{tag}-{i}": f"{800000 + i}:bench{tag}m{i}" for i in range(n_masto + 1)
        }
        handles = [f"bench{tag}s{i}.test" for i in range(n_sky)]
        countersign = {**settings.COUNTERSIGN, "ALLOW_PRIVATE_INSTANCE_URLS": True}
        try:
            masto_url = self._start(
                "tests.fakes.mastodon",
                [a for t, spec in tokens.items() for a in ("--token", f"{t}={spec}")],
                started,
            )
            sky_url = self._start(
                "tests.fakes.bluesky",
                [a for h in handles for a in ("--account", f"{h}={PASSWORD}")],
                started,
            )
            per = notifications // channels
            self.stdout.write(f"Generating {per * channels:,} notifications on the fakes…")
            token_list = list(tokens.items())
            for _token, spec in token_list[:n_masto]:
                self._generate(masto_url, spec.split(":")[0], per)
            for handle in handles:
                self._generate(sky_url, handle, per)
            small_token, small_spec = token_list[n_masto]
            self._generate(masto_url, small_spec.split(":")[0], small)
            with override_settings(COUNTERSIGN=countersign), transaction.atomic():
                admin = User.objects.create_user(
                    username=f"inbox-bench-{tag}", email=f"inbox-{tag}@example.invalid"
                )
                small_brand = account_services.brand_create(
                    slug=f"inbox-small-{tag}", name="Inbox bench (small)", created_by=admin
                )
                big_brand = account_services.brand_create(
                    slug=f"inbox-big-{tag}", name="Inbox bench (large)", created_by=admin
                )
                small_channel = self._connect(
                    small_brand, admin, "mastodon", masto_url, small_token
                )
                big_channels = [
                    self._connect(big_brand, admin, "mastodon", masto_url, token)
                    for token, _spec in token_list[:n_masto]
                ] + [self._connect(big_brand, admin, "bluesky", sky_url, h) for h in handles]
                self._ingest([small_channel])
                items, seconds = self._ingest(big_channels)
                stored = Message.objects.filter(channel__in=big_channels).count()
                self.stdout.write(
                    f"\nIngested {stored:,} notifications on {len(big_channels)} channels in "
                    f"{seconds:.1f}s: {items / seconds:,.0f} items/s "
                    f"(fetch, parse, group into threads, store; fakes in their own processes)."
                )
                if stored != per * channels:
                    raise CommandError(f"expected {per * channels} messages, stored {stored}")
                try:
                    self._measure(admin, [(small, small_brand), (stored, big_brand)], runs)
                finally:
                    if not opts["keep"]:
                        transaction.set_rollback(True)
                        self.stdout.write("Rolled back the benchmark brands.")
        finally:
            for proc in reversed(started):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()

    def _start(self, module: str, extra: list[str], started: list) -> str:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module, "--port", "0", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append(proc)
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise CommandError(f"{module} did not start: {line!r}")
        return line

    def _generate(self, url: str, to: str, n: int) -> None:
        response = requests.post(
            f"{url}/_fake/inbound", json={"to": to, "generate": n, "authors": 300}, timeout=600
        )
        response.raise_for_status()

    def _connect(self, brand, admin, platform: str, url: str, secret: str):
        credential = (
            {"access_token": secret}
            if platform == "mastodon"
            else {"identifier": secret, "app_password": PASSWORD}
        )
        return account_services.channel_connect(
            brand=brand, actor=admin, platform=platform, instance_url=url, credential=credential
        )

    def _ingest(self, channels) -> tuple[int, float]:
        t0 = time.perf_counter()
        total = 0
        for channel in channels:
            while True:
                report = fetch.channel_fetch(channel_id=channel.pk, max_pages=10_000, force=True)
                if report.error:
                    raise CommandError(f"channel {channel.handle}: {report.error}")
                total += report.new_messages
                if not report.new_messages:
                    break
        return total, time.perf_counter() - t0

    def _measure(self, user, sizes, runs: int) -> None:
        hosts = ["testserver", "localhost", "127.0.0.1"]
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(user)
            self.stdout.write(
                f"\n{'page':<22}{'items':>9}{'median ms':>11}{'p95 ms':>10}{'queries':>9}"
            )
            for label, name in (("inbox page", "conversation_list"), ("inbox API", "api_inbox")):
                for items, brand in sizes:
                    url = reverse(name, args=[brand.slug])
                    if name == "api_inbox":
                        url += "?limit=50"
                    timings, count = [], 0
                    for _ in range(runs + 2):  # two warm-ups
                        reset_queries()  # the ingestion filled the log up to its limit
                        with CaptureQueriesContext(connection) as queries:
                            t0 = time.perf_counter()
                            response = client.get(url)
                            elapsed = (time.perf_counter() - t0) * 1000
                        if response.status_code != 200:
                            raise CommandError(f"{url} answered {response.status_code}")
                        timings.append(elapsed)
                        count = len(queries)
                    timings = sorted(timings[2:])
                    p95 = timings[math.ceil(0.95 * len(timings)) - 1]
                    self.stdout.write(
                        f"{label:<22}{items:>9,}{statistics.median(timings):>11.1f}"
                        f"{p95:>10.1f}{count:>9}"
                    )
        self.stdout.write(
            f"\n{runs} requests each after 2 warm-ups (50 conversations a page), Django test "
            f"client in this process, database {connection.vendor}."
        )
