"""A bare Celery app on the default single-machine broker (config/broker.py), to measure it and
to check that concurrent producers and consumers never lose, repeat or half-read a message.

    celery -A tests.queue.broker_stress worker ...      # consumes; each task appends a line
    python -m tests.queue.broker_stress produce N TAG [--rate R]

Environment: STRESS_BROKER_URL (the broker), STRESS_RECEIVED (the file each task appends
``TAG-I LATENCY_SECONDS`` to, one ``write`` of a short line, so lines never interleave).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from celery import Celery

from config import broker

broker.install()

app = Celery("broker_stress", broker=os.environ.get("STRESS_BROKER_URL", "memory://"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="stress.record")
def record(key: str, sent_at: float) -> None:
    line = f"{key} {time.time() - sent_at:.6f}\n".encode()
    fd = os.open(os.environ["STRESS_RECEIVED"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def produce(count: int, tag: str, rate: float) -> dict:
    started = time.monotonic()
    errors = 0
    for i in range(count):
        if rate:
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        try:
            record.delay(f"{tag}-{i}", time.time())
        except Exception as exc:  # counted and reported: a publish that failed
            errors += 1
            print(f"publish {tag}-{i} failed: {exc!r}", file=sys.stderr)
    return {
        "tag": tag,
        "sent": count - errors,
        "errors": errors,
        "seconds": time.monotonic() - started,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.queue.broker_stress")
    sub = parser.add_subparsers(dest="step", required=True)
    prod = sub.add_parser("produce")
    prod.add_argument("count", type=int)
    prod.add_argument("tag")
    prod.add_argument("--rate", type=float, default=0.0, help="messages a second (0: flat out)")
    args = parser.parse_args(argv)
    json.dump(produce(args.count, args.tag, args.rate), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
