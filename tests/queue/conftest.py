"""Fixtures for runs with real worker processes: a private redis-server for the session,
workers started (and killed) by pid, logs kept under pytest's temporary directory."""

from __future__ import annotations

import pytest

from tests.conftest import require_service
from tests.queue import stack


@pytest.fixture(scope="session")
def queue_logs(tmp_path_factory):
    return tmp_path_factory.mktemp("queue-logs")


@pytest.fixture(scope="session")
def redis_url(queue_logs):
    require_service(stack.redis_available(), "redis-server")
    proc, url = stack.start_redis(queue_logs)
    yield url
    proc.stop()


@pytest.fixture
def redis(redis_url):
    """The session's Redis, emptied before and after each test (no messages carried over)."""
    import redis as redis_client

    client = redis_client.Redis.from_url(redis_url)
    client.flushall()
    yield redis_url
    client.flushall()
    client.close()


@pytest.fixture
def processes(tmp_path):
    """Start workers and helper processes for one test; every one is stopped afterwards."""
    started: list[stack.Process] = []

    class Processes:
        logdir = tmp_path

        def worker(self, name: str, *, env: dict, concurrency: int = 4) -> stack.Process:
            proc = stack.start_worker(name, env=env, logdir=tmp_path, concurrency=concurrency)
            started.append(proc)
            return proc

        def spawn(self, name: str, args: list[str], *, env: dict) -> stack.Process:
            proc = stack.Process(name, args, env=env, logdir=tmp_path)
            started.append(proc)
            return proc

        def track(self, proc: stack.Process) -> stack.Process:
            started.append(proc)
            return proc

    yield Processes()
    for proc in reversed(started):
        proc.stop()
