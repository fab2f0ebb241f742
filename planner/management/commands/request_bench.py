"""Benchmark the live requests of the composer: the lint API (a 280-character post against a
1,000-term policy, token auth) and the composer's live preview (session, htmx), next to
/healthz/ in the same run. Rolled back afterwards.

Server-side time: each request goes through the whole Django stack in this process
(middleware, authentication, permissions, the view, the policy engine, the response), timed
around the handler, without a network or an HTTP server in between.
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
from accounts.tokens import token_create
from config.commands import DatabaseCommand
from policy import services as policy_services

TARGETS_MS = {"lint API": 5.0, "composer preview": 15.0}


def _terms(n: int) -> list[str]:
    """``n`` distinct made-up words and phrases (the shape of a real banned-terms list)."""
    syllables = ["ka", "lo", "mi", "ter", "van", "qui", "zor", "pel", "dra", "nu", "sef", "brio"]
    terms = []
    i = 0
    while len(terms) < n:
        a, b, c = (
            syllables[i % 12],
            syllables[(i // 12) % 12],
            syllables[(i // 144) % 12],
        )
        word = f"{a}{b}{c}{i}"
        terms.append(word if i % 5 else f"{word} {b}{a}")
        i += 1
    return terms


TEXT = (
    "Fresh from the oven this morning: our sourdough loaves, cinnamon buns and the new "
    "rye with caraway. Come early, the first batch goes fast! Open 7am to 6pm, Tuesday to "
    "Sunday. Order online at https://example.com/order #bakery #sourdough @localfoodies 🍞"
)


class Command(DatabaseCommand):
    help = "p50/p95/p99 of the lint API and the composer preview, next to /healthz/."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=500, help="Requests per endpoint.")
        parser.add_argument("--terms", type=int, default=1000, help="Terms in the policy.")

    def handle(self, *args, runs: int, terms: int, **options):
        if runs < 10 or terms < 1:
            raise CommandError("--runs >= 10 and --terms >= 1.", returncode=2)
        text = TEXT[:280].ljust(280, ".")
        with transaction.atomic():
            try:
                self._run(runs=runs, terms=terms, text=text)
            finally:
                transaction.set_rollback(True)

    def _run(self, *, runs: int, terms: int, text: str) -> None:
        slug = f"bench-{secrets.token_hex(4)}"
        user = User.objects.create_user(username=slug, email=f"{slug}@example.invalid")
        brand = account_services.brand_create(slug=slug, name=f"Benchmark {slug}", created_by=None)
        account_services.membership_set(brand=brand, user=user, roles=[Role.AUTHOR], actor=None)
        channel = account_services.channel_create_outbox(brand=brand, handle=f"@{slug}", actor=None)
        policy_services.policy_version_create(
            brand=brand,
            actor=None,
            rules=[
                {
                    "id": "banned",
                    "kind": "banned_terms",
                    "severity": "block",
                    "message": "A banned term.",
                    "terms": _terms(terms),
                }
            ],
        )
        token = token_create(user=user)
        api, web = Client(), Client()
        web.force_login(user)
        lint_url = f"/api/brands/{slug}/lint/"
        preview_url = reverse("compose_preview", args=[slug])
        calls = {
            "trivial view /healthz/": lambda: api.get(reverse("healthz")),
            "lint API": lambda: api.post(
                lint_url,
                {"text": text, "channel": channel.pk},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {token}",
            ),
            "composer preview": lambda: web.post(
                preview_url,
                {"text": text, "channels": [channel.pk], "category": "news"},
                HTTP_HX_REQUEST="true",
            ),
        }
        hosts = ["testserver", "localhost", "127.0.0.1"]
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            self.stdout.write(
                f"\n{'endpoint':<26}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queries':>9}"
                f"{'target':>9}"
            )
            # Interleaved rounds, so noise on this machine falls on every endpoint alike.
            timings: dict[str, list[float]] = {name: [] for name in calls}
            queries: dict[str, int] = {}
            for name, call in calls.items():
                for _ in range(5):  # warm-up: compiled policy, url resolvers, content types
                    response = call()
                    if response.status_code != 200:
                        raise CommandError(f"{name} answered {response.status_code}")
            for _ in range(runs):
                for name, call in calls.items():
                    with CaptureQueriesContext(connection) as captured:
                        t0 = time.perf_counter()
                        call()
                        timings[name].append((time.perf_counter() - t0) * 1000)
                    queries[name] = len(captured)
            for name, values in timings.items():
                values.sort()
                p50 = statistics.median(values)
                p95 = values[math.ceil(0.95 * len(values)) - 1]
                p99 = values[math.ceil(0.99 * len(values)) - 1]
                target = TARGETS_MS.get(name)
                mark = "" if target is None else f"{'<' if p99 < target else '>='} {target:g}"
                self.stdout.write(
                    f"{name:<26}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}{queries[name]:>9}{mark:>9}"
                )
        self.stdout.write(
            f"\n{runs} requests each, interleaved, after 5 warm-ups; a {len(text)}-character "
            f"post, a {terms:,}-term policy; Django's test client in this process (server-side "
            f"time), database {connection.vendor}."
        )
