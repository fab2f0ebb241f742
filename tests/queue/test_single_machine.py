"""The single-machine path: SQLite, the server-less SQLite broker, a real worker process
and racing dispatchers, with a ``kill -9`` in the middle. Each post is sent exactly once.

It runs on its own SQLite file (a worker process cannot share pytest's in-memory database),
made by ``manage.py migrate`` and the scenario set-up, so it needs no database fixture."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections import Counter

import pytest

from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import fake_tokens
from tests.queue import stack

pytestmark = pytest.mark.queue

POSTS = 60
LEASE = 6


def _statuses(db) -> Counter:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20) as conn:
        return Counter(
            dict(conn.execute("SELECT status, count(*) FROM planner_post GROUP BY status"))
        )


def _rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20) as conn:
        return list(conn.execute(sql))


def _dispatcher(processes, name: str, env: dict, *args: str) -> stack.Process:
    return processes.spawn(
        name, [sys.executable, "-m", "tests.queue.scenario", "dispatch", *args], env=env
    )


def _claimed(proc: stack.Process) -> list[int]:
    proc.proc.wait(timeout=60)
    assert proc.proc.returncode == 0, proc.log()
    return json.loads(proc.log().strip().splitlines()[-1])["claimed"]


@pytest.mark.sqlite_only
def test_sqlite_and_the_sqlite_broker_send_each_post_exactly_once(processes, tmp_path):
    db = tmp_path / "countersign.sqlite3"
    env = stack.base_env(
        DATABASE_URL=f"sqlite:///{db}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        COUNTERSIGN_VAR_DIR=str(tmp_path / "var"),
        PUBLISH_LEASE_SECONDS=str(LEASE),
        PLATFORM_TIMEOUT_SECONDS="3",
    )
    stack.manage("migrate", "--no-input", "-v", "0", env=env)
    with FakeMastodon(tokens=fake_tokens(), idempotency_ttl=0, latency=0.02) as fake:
        made = json.loads(stack.scenario("setup", "--mastodon", fake.url, "--posts", "60", env=env))
        ids = made["posts"]
        victim = processes.worker("solo", env=env, concurrency=4)
        start_at = f"{time.time() + 3:.3f}"
        racing = [
            _dispatcher(
                processes,
                name,
                env,
                "--until-empty",
                "--limit",
                "5",
                "--pause",
                "0.02",
                "--start-at",
                start_at,
            )
            for name in ("dispatcher-a", "dispatcher-b")
        ]
        a, b = (set(_claimed(proc)) for proc in racing)
        assert not a & b and a | b == set(ids)
        stack.wait_until(
            lambda: _statuses(db)["published"] >= POSTS // 4, timeout=60, what="a quarter sent"
        )
        victim.kill9()
        processes.worker("solo-restarted", env=env, concurrency=4)
        stop = tmp_path / "stop"
        sweeper = _dispatcher(
            processes,
            "dispatcher",
            env,
            "--pause",
            "0.5",
            "--loop-seconds",
            "90",
            "--stop-file",
            str(stop),
        )
        stack.wait_until(
            lambda: _statuses(db)["published"] == POSTS, timeout=90, what="every post sent"
        )
        stop.touch()
        _claimed(sweeper)
        statuses = fake.posts()
    texts = Counter(s["text"] for s in statuses)
    assert len(statuses) == POSTS and max(texts.values()) == 1
    expected = {text for (text,) in _rows(db, "SELECT text FROM planner_post")}
    assert set(texts) == expected
    keys = {key for (key,) in _rows(db, "SELECT idempotency_key FROM planner_delivery")}
    assert {s["idempotency_key"] for s in statuses} == keys
    assert _rows(db, "SELECT count(*) FROM planner_post WHERE lease_expires_at IS NOT NULL") == [
        (0,)
    ]
