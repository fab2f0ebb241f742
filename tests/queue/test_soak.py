"""Soak: the ``make run`` stack stays up and sends every post exactly once.

``scripts/run`` itself (bootstrap, migrate, periodic tasks, demo data, then honcho with the
Procfile: web, worker and beat, each under scripts/supervise) on its defaults: SQLite and the
SQLite broker under a var/ folder of its own. The dispatcher runs every second, a post falls
due every second for ``SOAK_SECONDS`` (300 under CI, 60 otherwise), ``/healthz/`` is asked
every second, and half-way through the worker is killed with ``kill -9``: its supervisor
must start it again while web and beat stay up. At the end every post is published once
(one status per idempotency key on the fake Mastodon), the web server never failed to
answer, and Ctrl-C (SIGINT to honcho) stops everything, leaving no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI
from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import fake_tokens
from tests.queue import stack

pytestmark = [pytest.mark.queue, pytest.mark.soak, pytest.mark.sqlite_only]

SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS") or (300 if IN_CI else 60))
#: A post falls due this often (seconds).
DUE_EVERY = 1.0
#: A post the killed worker held comes back when its lease expires.
LEASE = 30
STARTED = re.compile(r"supervise: (\w+) started \(pid (\d+)\)")


class HealthPoller(threading.Thread):
    """GET /healthz/ once a second; every failure is kept with its time and reason."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.asked = 0
        self.failures: list[tuple[float, str]] = []

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.wait(1.0):
            self.asked += 1
            try:
                response = session.get(self.url, timeout=5)
                if response.status_code != 200:
                    self.failures.append((time.time(), f"HTTP {response.status_code}"))
            except requests.RequestException as exc:
                self.failures.append((time.time(), repr(exc)))


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return list(conn.execute(sql))


POSTS_SQL = (
    "SELECT p.id, p.status, p.scheduled_at, d.idempotency_key, d.published_at "
    "FROM planner_post p LEFT JOIN planner_delivery d ON d.post_id = p.id"
)


def _posts(db: Path, ids: list[int]) -> list[tuple]:
    """(status, scheduled_at, idempotency key, published_at) of each of these posts."""
    wanted = set(ids)
    return [row[1:] for row in _rows(db, POSTS_SQL) if row[0] in wanted]


def _published(db: Path, ids: list[int]) -> int:
    return sum(1 for row in _posts(db, ids) if row[0] == "published")


def _when(value: str) -> float:
    return datetime.fromisoformat(value.replace(" ", "T")).timestamp()


def test_the_make_run_stack_stays_up_and_sends_every_post_exactly_once(tmp_path):
    var = tmp_path / "var"
    port = stack.free_port()
    env = stack.base_env(
        DJANGO_SETTINGS_MODULE="config.settings",  # what make run uses
        COUNTERSIGN_VAR_DIR=str(var),  # database and broker: their defaults, under here
        PORT=str(port),
        DISPATCH_INTERVAL_SECONDS="1",
        PUBLISH_LEASE_SECONDS=str(LEASE),
        PLATFORM_TIMEOUT_SECONDS="3",
        LOG_LEVEL="INFO",
    )
    db = var / "countersign.sqlite3"
    log_path = tmp_path / "make-run.log"
    with FakeMastodon(tokens=fake_tokens(), latency=0.05) as fake, open(log_path, "wb") as log:
        run = subprocess.Popen(
            [str(stack.ROOT / "scripts" / "run")],
            cwd=stack.ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        health = HealthPoller(f"http://127.0.0.1:{port}/healthz/")
        try:
            stack.wait_until(
                lambda: _answers(f"http://127.0.0.1:{port}/healthz/") or run.poll() is not None,
                timeout=240,
                what="make run to answer",
            )
            assert run.poll() is None, log_path.read_text(errors="replace")
            health.start()
            made = json.loads(
                stack.scenario(
                    "setup",
                    "--mastodon",
                    fake.url,
                    "--slug",
                    "soak",
                    "--posts",
                    str(int(SOAK_SECONDS / DUE_EVERY)),
                    "--due-from",
                    "5",
                    "--due-every",
                    str(DUE_EVERY),
                    env=env,
                )
            )
            ids = made["posts"]
            started = time.monotonic()
            time.sleep(SOAK_SECONDS / 2)
            workers = [
                int(pid) for name, pid in STARTED.findall(_log(log_path)) if name == "worker"
            ]
            os.kill(workers[-1], signal.SIGKILL)
            killed_at = time.monotonic() - started
            stack.wait_until(
                lambda: (
                    len([n for n, _ in STARTED.findall(_log(log_path)) if n == "worker"])
                    > len(workers)
                ),
                timeout=30,
                what="the supervisor to start the worker again",
            )
            time.sleep(max(0.0, SOAK_SECONDS + 5 - (time.monotonic() - started)))
            stack.wait_until(
                lambda: _published(db, ids) == len(ids) or run.poll() is not None,
                timeout=LEASE + 90,
                interval=1,
                what=f"every post published ({_published(db, ids)} of {len(ids)} so far)",
            )
            assert run.poll() is None, "make run stopped:\n" + _log(log_path)[-5000:]
        finally:
            health.stop.set()
            if run.poll() is None:
                run.send_signal(signal.SIGINT)  # Ctrl-C
                try:
                    run.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    run.kill()
            time.sleep(1)
            left = stack.pids_with_env("COUNTERSIGN_VAR_DIR", str(var))
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        statuses = fake.posts()
    text = _log(log_path)
    per_key = Counter(s["idempotency_key"] for s in statuses)
    rows = _posts(db, ids)
    keys = {key for _status, _due, key, _published_at in rows if key}
    mine = [s for s in statuses if s["idempotency_key"] in keys]
    lateness = [_when(done) - _when(due) for _status, due, _key, done in rows if done]
    restarts = Counter(
        re.findall(
            r"supervise: (\w+) (?:exited with code -?\d+|was killed by \w+); restarting", text
        )
    )
    worker_restarts = restarts.pop("worker", 0)
    other_restarts = sum(restarts.values())
    slow_to_stop = re.findall(r"supervise: (\w+) did not stop within", text)
    duplicates = sum(n - 1 for n in per_key.values() if n > 1)
    print(
        f"\nsoak: {SOAK_SECONDS} s, posts {len(ids)}, published {_published(db, ids)}, "
        f"statuses on the platform {len(mine)}, duplicates {duplicates}, "
        f"max lateness {max(lateness, default=0):.1f} s "
        f"(median {sorted(lateness)[len(lateness) // 2] if lateness else 0:.1f} s), "
        f"healthz asked {health.asked}, failures {len(health.failures)}, "
        f"worker killed at +{killed_at:.0f} s, "
        f"worker restarts {worker_restarts}, other restarts {other_restarts}, "
        f"processes left after Ctrl-C {len(left)} "
        f"(killed for not stopping within 4 s: {', '.join(slow_to_stop) or 'none'})"
    )
    assert run.returncode is not None
    assert duplicates == 0, per_key.most_common(3)
    assert len(mine) == len(ids) and len(keys) == len(ids)
    assert _published(db, ids) == len(ids)
    assert health.failures == [], health.failures[:5]
    assert worker_restarts == 1 and other_restarts == 0, text[-5000:]
    assert max(lateness) < LEASE + 30, sorted(lateness)[-5:]
    assert left == [], f"processes left running after Ctrl-C: {left}"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _log(path: Path) -> str:
    return path.read_text(errors="replace")
