"""What the page benchmarks share: a throwaway brand with outbox channels, a signed-in test
client, and a view timed the same way everywhere (warm-ups dropped, median and nearest-rank
p95, the queries of the last request).

Benchmarks only: nothing here is imported by the product.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts import services as account_services
from accounts.models import Brand, Channel, Role, User

WARM_UPS = 2


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    queries: int
    response: object

    def row(self, label: str, width: int = 26) -> str:
        return f"{label:<{width}}{self.median_ms:>11.1f}{self.p95_ms:>10.1f}{self.queries:>9}"


def header(first: str = "view", width: int = 26) -> str:
    return f"\n{first:<{width}}{'median ms':>11}{'p95 ms':>10}{'queries':>9}"


def throwaway_brand(
    slug: str, *, channels: int, role: str = Role.AUTHOR
) -> tuple[Brand, User, list[Channel]]:
    """A brand named ``slug`` with one member (``role``) and ``channels`` outbox channels."""
    user = User.objects.create_user(username=slug, email=f"{slug}@example.invalid")
    brand = account_services.brand_create(
        slug=slug, name=f"Benchmark {slug}", created_by=None, timezone_name="Europe/London"
    )
    account_services.membership_set(brand=brand, user=user, roles=[role], actor=None)
    channel_list = [
        account_services.channel_create_outbox(brand=brand, handle=f"@{slug}-{i}", actor=None)
        for i in range(channels)
    ]
    return brand, user, channel_list


@contextlib.contextmanager
def signed_in(user: User) -> Iterator[Client]:
    """A test client signed in as ``user``, on a host the settings accept, without HTTPS."""
    hosts = ["testserver", "localhost", "127.0.0.1"]
    with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
        client = Client()
        client.force_login(user)
        yield client


def time_get(client: Client, url: str, *, runs: int) -> Timing:
    """GET ``url`` ``runs`` times after the warm-ups; any answer but 200 stops the run."""
    timings = []
    for _ in range(runs + WARM_UPS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        timings.append(elapsed)
    timings = sorted(timings[WARM_UPS:])
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]  # nearest rank
    return Timing(statistics.median(timings), p95, len(queries), response)
