"""The default single-machine broker (config/broker.py): a SQLite file through kombu's
SQLAlchemy transport. Messages are rows, taken whole by one consumer in one transaction."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest
from kombu import Connection

from config import broker
from tests.queue import stack


def test_the_default_broker_is_a_sqlite_file_under_var_not_the_filesystem_transport(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env["COUNTERSIGN_VAR_DIR"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", "from config import env; print(env.CELERY_BROKER_URL)"],
        cwd=stack.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


def test_sqla_urls_use_countersigns_transport(tmp_path):
    with Connection(f"sqla+sqlite:///{tmp_path / 'b.sqlite3'}") as conn:
        assert isinstance(conn.transport, broker.Transport)
        assert conn.transport.polling_interval == broker.POLLING_INTERVAL


def test_a_taken_message_is_deleted_and_the_file_is_in_wal_mode(tmp_path):
    path = tmp_path / "b.sqlite3"
    with Connection(f"sqla+sqlite:///{path}") as conn:
        queue = conn.SimpleQueue("q")
        for i in range(5):
            queue.put({"n": i})
        got = []
        for _ in range(5):
            message = queue.get(timeout=5)
            got.append(message.payload["n"])
            message.ack()
        queue.close()
    assert got == [0, 1, 2, 3, 4]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (0,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_brokers_folder_is_made_when_it_does_not_exist_yet(tmp_path):
    path = tmp_path / "fresh" / "var" / "broker.sqlite3"
    with Connection(f"sqla+sqlite:///{path}") as conn:
        queue = conn.SimpleQueue("q")
        queue.put({"n": 1})
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.payload == {"n": 1} and path.exists()


def test_a_queue_another_process_made_first_is_used_not_a_failed_session(tmp_path):
    url = f"sqla+sqlite:///{tmp_path / 'b.sqlite3'}"
    with Connection(url) as first, Connection(url) as second:
        first_channel, second_channel = first.default_channel, second.default_channel
        real = second_channel.session.query

        def looked_up_before_the_other_made_it(*args):
            # The look-up misses, as when the other process inserts right after it.
            first_channel._get_or_create("celery")
            query = real(*args)
            second_channel.session.query = real
            return query.filter(False)

        second_channel.session.query = looked_up_before_the_other_made_it
        made = second_channel._get_or_create("celery")
        assert made.name == "celery"
        second.SimpleQueue("celery").put({"n": 1})  # the session still works
        message = first.SimpleQueue("celery").get(timeout=5)
        message.ack()
    assert message.payload == {"n": 1}


def test_the_polling_interval_is_a_transport_option_not_an_engine_argument(tmp_path):
    url = f"sqla+sqlite:///{tmp_path / 'b.sqlite3'}"
    with Connection(url, transport_options={"polling_interval": 0.5}) as conn:
        queue = conn.SimpleQueue("q")
        queue.put({"n": 1})
        assert queue.get(timeout=5).payload == {"n": 1}
        assert conn.transport.polling_interval == 0.5
        queue.close()


@pytest.mark.queue
@pytest.mark.sqlite_only
def test_concurrent_producers_and_a_prefork_worker_pass_every_message_exactly_once(
    processes, tmp_path
):
    """Two producers flat out into a worker with two pool processes (the Procfile's worker):
    every message arrives once, none twice, and nobody sees "database is locked"."""
    received = tmp_path / "received.txt"
    env = stack.base_env(
        STRESS_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        STRESS_RECEIVED=str(received),
    )
    per_producer = 400
    worker = processes.spawn(
        "stress-worker",
        [
            str(stack.BIN / "celery"),
            "-A",
            "tests.queue.broker_stress",
            "worker",
            "--loglevel=INFO",
            "--pool=prefork",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
    )
    worker.wait_for(" ready.", timeout=60)
    started = time.monotonic()
    producers = [
        processes.spawn(
            f"producer-{tag}",
            [sys.executable, "-m", "tests.queue.broker_stress", "produce", str(per_producer), tag],
            env=env,
        )
        for tag in ("a", "b")
    ]
    for proc in producers:
        proc.proc.wait(timeout=120)
        assert proc.proc.returncode == 0, proc.log()
        assert json.loads(proc.log().strip().splitlines()[-1])["errors"] == 0, proc.log()
    total = 2 * per_producer

    def lines() -> list[str]:
        return received.read_text().splitlines() if received.exists() else []

    stack.wait_until(lambda: len(lines()) >= total, timeout=120, what=f"{total} messages")
    elapsed = time.monotonic() - started
    time.sleep(1)  # anything more would be a duplicate
    keys = Counter(line.split()[0] for line in lines())
    latencies = sorted(float(line.split()[1]) for line in lines())
    print(
        f"\nbroker: {total} messages from 2 producers through a prefork worker ×2 in "
        f"{elapsed:.1f} s ({total / elapsed:.0f} messages/s); queue wait p50 "
        f"{latencies[len(latencies) // 2]:.3f} s"
    )
    assert len(keys) == total and max(keys.values()) == 1
    assert set(keys) == {f"{tag}-{i}" for tag in ("a", "b") for i in range(per_producer)}
    for text in ("database is locked", "Traceback", "Unrecoverable error"):
        assert text not in worker.log()


def test_a_forked_process_makes_its_own_engine(tmp_path):
    """A worker's pool processes are forked from it: they must not use its SQLite connections."""
    url = f"sqla+sqlite:///{tmp_path / 'b.sqlite3'}"
    with Connection(url) as conn:
        channel = conn.default_channel
        inherited, _ = channel._open()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a new engine, and it works
            try:
                engine, _ = channel._open()
                queue = conn.SimpleQueue("forked")
                queue.put({"from": "child"})
                ok = engine is not inherited and queue.get(timeout=5).payload == {"from": "child"}
                os.write(write, b"1" if ok else b"0")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 1) == b"1"
        assert channel._open()[0] is inherited
