"""Benchmark publishing: N due posts through real workers to a local fake Mastodon, next to a
plain loop of the same HTTP POSTs to the same server, in the same run.

The fake Mastodon (``tests/fakes/mastodon.py``) runs as a separate process. The workers are
``celery -A config worker`` processes on this configuration's broker (Redis when
CELERY_BROKER_URL is set, else the default SQLite broker) and database, consuming a queue of
their own so that a running ``make run`` worker does not take part. The posts belong to a
throwaway brand whose posts and channel are deleted afterwards (``--keep`` keeps them; the
brand and its people stay, deactivated, since the audit trail is append-only and people and
brands with history cannot be deleted). Stop ``make run`` first: its
dispatcher would otherwise claim some of the posts.

What is timed for Countersign: from the moment the posts fall due to the moment the last one
is recorded as published, i.e. the claim, the queue, every re-check (approvals, policy,
pause, identity), the delivery row written before each send, the send and the evidence.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Brand, Role, User
from config.commands import DatabaseCommand
from planner import lifecycle
from planner.content import fingerprint
from planner.models import Approval, Post, PostGroup, Revision, Status
from policy import services as policy_services

TOKEN = "bench-token-0123456789"  # noqa: S105 - a credential for the local fake only
ROOT = Path(settings.BASE_DIR)


class Command(DatabaseCommand):
    help = (
        "Publish N due posts through real workers to a local fake Mastodon, next to a plain "
        "loop of the same HTTP POSTs to the same server."
    )

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=1000)
        parser.add_argument(
            "--workers", type=int, default=1, help="Celery workers (the Procfile runs one)."
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=2,
            help="Pool size per worker (the Procfile's --concurrency=2).",
        )
        parser.add_argument(
            "--pool",
            choices=["prefork", "threads"],
            default="prefork",
            help="Celery pool (the Procfile's is prefork).",
        )
        parser.add_argument(
            "--queries-posts",
            type=int,
            default=200,
            help="Posts of the in-process run that counts the queries per send (0: skip).",
        )
        parser.add_argument(
            "--latency",
            type=float,
            default=0.0,
            help="Seconds the fake adds to every request (0: a local server with no delay; "
            "real platforms answer in 50-300 ms).",
        )
        parser.add_argument("--timeout", type=float, default=600.0)
        parser.add_argument(
            "--warm-up",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Two untimed posts a worker process first, as a running worker has sent "
            "some (--no-warm-up: time the workers' first posts too).",
        )
        parser.add_argument("--keep", action="store_true", help="Do not delete the data.")

    def handle(self, *args, posts: int, workers: int, concurrency: int, latency: float, **opts):
        if posts < 1 or workers < 1 or concurrency < 1 or latency < 0:
            raise CommandError(
                "--posts, --workers and --concurrency must be >= 1, --latency >= 0.", returncode=2
            )
        logs = Path(tempfile.mkdtemp(prefix="countersign-bench-"))
        started: list[subprocess.Popen] = []
        slug = f"bench-{secrets.token_hex(4)}"
        stack = contextlib.ExitStack()
        try:
            url = self._start_fake(logs, latency, started)
            plain = self._plain_loop(url, posts)
            requests.post(f"{url}/_fake/reset", timeout=10).raise_for_status()
            self.stdout.write(f"Setting up brand {slug} with {posts:,} approved posts…")
            brand, people, ids = self._fill(slug, url, posts)
            queue = f"bench-{secrets.token_hex(4)}"
            # The dispatcher (this process) spreads a pass over the processes started here.
            processes = {"WORKER_CONCURRENCY": workers * concurrency}
            stack.enter_context(
                override_settings(COUNTERSIGN={**settings.COUNTERSIGN, **processes})
            )
            for n in range(workers):
                self._start_worker(f"bench{n}", queue, concurrency, opts["pool"], logs, started)
            if opts["warm_up"]:
                self._warm_up(brand, people, workers * concurrency, queue, opts["timeout"])
                requests.post(f"{url}/_fake/reset", timeout=10).raise_for_status()
            elapsed = self._run(ids, queue, opts["timeout"])
            sent = requests.get(f"{url}/_fake/posts", timeout=30).json()
            if len(sent) != posts or len({s["idempotency_key"] for s in sent}) != posts:
                raise CommandError(f"expected {posts} posts at the fake, found {len(sent)}")
            per_send = None
            if opts["queries_posts"] > 0:
                per_send = self._queries_per_send(brand, people, opts["queries_posts"])
            self._report(
                posts, workers, concurrency, opts["pool"], latency, plain, elapsed, per_send
            )
            if not opts["keep"]:
                self._clean(brand, people)
                self.stdout.write(
                    f"Deleted the posts of brand {slug}; the brand and its people stay "
                    f"(deactivated) with their audit trail. Logs: {logs}"
                )
        finally:
            stack.close()
            for proc in reversed(started):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()

    # -- processes ---------------------------------------------------------------------------

    def _start_fake(self, logs: Path, latency: float, started: list) -> str:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "tests.fakes.mastodon",
                "--port",
                "0",
                "--latency",
                str(latency),
                "--token",
                f"{TOKEN}=9001:benchbrand",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=open(logs / "fake.log", "wb"),  # noqa: SIM115 - lives as long as the fake
            text=True,
        )
        started.append(proc)
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise CommandError(f"the fake Mastodon did not start: {line!r}")
        return line

    def _start_worker(
        self, name: str, queue: str, concurrency: int, pool: str, logs: Path, started: list
    ):
        log_path = logs / f"{name}.log"
        proc = subprocess.Popen(  # noqa: S603 - the virtualenv's celery
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--hostname={name}@%h",
                f"--queues={queue}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
            stdout=open(log_path, "wb"),  # noqa: SIM115 - lives as long as the worker
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        deadline = time.monotonic() + 60
        while " ready." not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"worker {name} did not start:\n{log_path.read_text()}")
            time.sleep(0.1)

    # -- the two measurements ----------------------------------------------------------------

    def _plain_loop(self, url: str, n: int) -> float:
        """N POSTs of the same statuses, one after another, on one keep-alive connection."""
        session = requests.Session()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        started = time.perf_counter()
        for i in range(n):
            response = session.post(
                f"{url}/api/v1/statuses",
                json={"status": _text(i, n), "visibility": "public"},
                headers={**headers, "Idempotency-Key": f"plain-{i}"},
                timeout=30,
            )
            response.raise_for_status()
        elapsed = time.perf_counter() - started
        session.close()
        return elapsed

    def _run(self, ids: list[int], queue: str, timeout: float) -> float:
        from config.celery import app
        from planner import tasks

        app.conf.task_default_queue = queue
        posts = Post.objects.filter(pk__in=ids)
        started = time.perf_counter()
        posts.update(scheduled_at=timezone.now())  # they fall due now
        # Only the bench's own posts count: a pass also claims other brands' due posts (the
        # demo's, say), which would otherwise stand in for bench posts never claimed.
        own, claimed, others = set(ids), set(), 0
        while claimed != own:
            passed = set(tasks.dispatch_due(limit=len(ids))["claimed"])
            claimed |= passed & own
            others += len(passed - own)
            if time.perf_counter() - started > timeout:
                raise CommandError(
                    f"only {len(claimed)} of {len(own)} posts could be claimed in {timeout}s"
                )
            if not passed & own and claimed != own:
                time.sleep(0.05)
        if others:
            self.stdout.write(
                f"  ({others} due post(s) of other brands were claimed too; not counted)"
            )
        while posts.filter(status=Status.PUBLISHED).count() < len(ids):
            if time.perf_counter() - started > timeout:
                counts = dict(posts.values_list("status").annotate(n=models_count()))
                raise CommandError(f"not all published after {timeout}s: {counts}")
            time.sleep(0.05)
        return time.perf_counter() - started

    def _warm_up(self, brand: Brand, people: dict, processes: int, queue: str, timeout: float):
        """Before the timed run, two posts a worker process, each in a pass of its own (so
        every process takes some): each process then has what a worker that has been running
        has (the brand's compiled policy, the client, its database connection), as the plain
        loop has its connection. Not counted."""
        from config.celery import app
        from planner import tasks

        app.conf.task_default_queue = queue
        ids = self._seed_posts(brand, brand.channels.get(), people, 2 * processes)
        posts = Post.objects.filter(pk__in=ids)
        posts.update(scheduled_at=timezone.now())
        for _ in ids:
            tasks.dispatch_due(limit=1)
        started = time.perf_counter()
        while posts.filter(status=Status.PUBLISHED).count() < len(ids):
            if time.perf_counter() - started > timeout:
                raise CommandError(f"the warm-up posts were not published in {timeout}s")
            time.sleep(0.05)

    def _queries_per_send(self, brand: Brand, people: dict, n: int) -> float:
        """The queries of the worker's path, counted in this process: one dispatcher pass
        (sweep, claim, the sets cut) and every set's publish task body, over ``n`` more due
        posts of the bench's channel."""
        from django.test.utils import CaptureQueriesContext

        from planner import tasks
        from planner.publishing import services as publishing

        channel = brand.channels.get()
        ids = self._seed_posts(brand, channel, people, n)
        Post.objects.filter(pk__in=ids).update(scheduled_at=timezone.now())
        with CaptureQueriesContext(connection) as queries:
            claimed = publishing.dispatch(limit=n).claimed
            for post_ids in publishing.claimed_sets(claimed):
                tasks.publish_set(post_ids)  # the task's body, as a worker runs it
        counts = dict(
            Post.objects.filter(pk__in=ids).values_list("status").annotate(n=models_count())
        )
        published = counts.get(Status.PUBLISHED, 0)
        if published != n:
            self.stdout.write(f"  (the counted run: {counts}; per send counts the published)")
        if not published:
            raise CommandError("the counted run published nothing")
        return len(queries) / published

    def _report(
        self, n, workers, concurrency, pool, latency, plain, elapsed, per_send=None
    ) -> None:
        from planner.publishing.batch import send_concurrency

        plain_rate, rate = n / plain, n / elapsed
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(
            f"\npublish_bench: {n:,} posts to a local fake Mastodon "
            f"(latency {latency * 1000:.0f} ms per request), database {connection.vendor}, "
            f"broker {broker}, {workers} worker{'' if workers == 1 else 's'} "
            f"× {concurrency} {pool} {'processes' if pool == 'prefork' else 'threads'}, "
            f"each sending up to {send_concurrency()} posts at once "
            f"(PUBLISH_SEND_CONCURRENCY), {os.cpu_count()} CPUs"
        )
        self.stdout.write(
            f"  {'plain loop of the same POSTs (requests.Session)':<52}"
            f"{plain_rate:>9.1f} posts/s  ({plain:.2f} s)"
        )
        self.stdout.write(
            f"  {'Countersign (claim, queue, re-check, send, record)':<52}"
            f"{rate:>9.1f} posts/s  ({elapsed:.2f} s)"
        )
        target = 0.5 if latency == 0 else 5.0
        verdict = "meets" if rate >= plain_rate * target else "misses"
        self.stdout.write(
            f"  ratio {rate / plain_rate:.2f} of the plain loop: {verdict} the target of "
            f"{target:g} (at {'0 latency' if latency == 0 else 'a real latency'})"
        )
        if per_send is not None:
            self.stdout.write(f"  queries per send (amortised, worker path): {per_send:.1f}")

    # -- data --------------------------------------------------------------------------------

    @transaction.atomic
    def _fill(self, slug: str, url: str, n: int):
        """A brand, its people and a Mastodon channel connected through the real guard; N
        approved posts written in bulk as the services would have (revision, content hash,
        a live approval of that hash), due tomorrow until the run starts."""
        people = {
            role: User.objects.create_user(
                username=f"{slug}-{role}", email=f"{role}@example.invalid"
            )
            for role in ("admin", "author", "approver")
        }
        brand = account_services.brand_create(
            slug=slug, name=f"Benchmark {slug}", created_by=people["admin"], approvals_required=1
        )
        account_services.membership_set(
            brand=brand, user=people["author"], roles=[Role.AUTHOR], actor=None
        )
        account_services.membership_set(
            brand=brand, user=people["approver"], roles=[Role.APPROVER], actor=None
        )
        channel = account_services.channel_connect(
            brand=brand,
            actor=people["admin"],
            platform="mastodon",
            instance_url=url,
            credential={"access_token": TOKEN},
        )
        # The posts are written as a submit would have left them, policy version included.
        policy_services.policy_ensure(brand=brand)
        return brand, people, self._seed_posts(brand, channel, people, n)

    def _seed_posts(self, brand: Brand, channel, people: dict, n: int) -> list[int]:
        """N approved posts due tomorrow, each with its revision and a live approval of its
        content hash; status written by the lifecycle's seed."""
        later = timezone.now() + timezone.timedelta(days=1)
        groups = PostGroup.objects.bulk_create(
            [PostGroup(brand=brand, created_by=people["author"]) for _ in range(n)]
        )
        posts = lifecycle.seed(
            [
                Post(
                    brand=brand,
                    channel=channel,
                    group=group,
                    author=people["author"],
                    last_editor=people["author"],
                    text=_text(i, n),
                    category="news",
                    scheduled_at=later,
                    revision=1,
                    content_hash=fingerprint(
                        text=_text(i, n), channel_id=channel.pk, category="news"
                    ),
                )
                for i, group in enumerate(groups)
            ],
            status=Status.APPROVED,
        )
        Revision.objects.bulk_create(
            [
                Revision(
                    post=p,
                    number=1,
                    text=p.text,
                    channel=channel,
                    category=p.category,
                    scheduled_at=p.scheduled_at,
                    content_hash=p.content_hash,
                    editor=people["author"],
                )
                for p in posts
            ],
            batch_size=500,
        )
        Approval.objects.bulk_create(
            [
                Approval(
                    post=p,
                    approver=people["approver"],
                    step_order=1,
                    step_name="Approval",
                    content_hash=p.content_hash,
                    revision=1,
                    approved_at=timezone.now(),
                )
                for p in posts
            ],
            batch_size=500,
        )
        return [p.pk for p in posts]

    @transaction.atomic
    def _clean(self, brand: Brand, people: dict) -> None:
        Post.objects.filter(brand=brand).delete()
        PostGroup.objects.filter(brand=brand).delete()
        brand.channels.all().delete()
        # The brand and its people have audit history, which is append-only: they stay.
        User.objects.filter(pk__in=[u.pk for u in people.values()]).update(is_active=False)


def _text(i: int, n: int) -> str:
    return f"Benchmark status {i + 1} of {n}: today's bake is ready at the counter."


def models_count():
    from django.db.models import Count

    return Count("id")
