"""Benchmark the development web server as a browser meets it: GET /healthz/ over one
kept-alive connection, under the server ``make run`` starts (gunicorn with --reload, as in
the Procfile) and under Django's ``runserver``, in the same run.
"""

from __future__ import annotations

import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _servers(port: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        # The Procfile's web process (make run).
        "gunicorn --reload (make run)": [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--reload",
        ],
        "runserver": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
    }


class Command(BaseCommand):
    help = "p50/p95/p99 of GET /healthz/ on one kept-alive connection, gunicorn vs runserver."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=300)
        parser.add_argument("--server", choices=["gunicorn", "runserver", "both"], default="both")

    def handle(self, *args, requests: int, server: str, **options):
        if requests < 10:
            raise CommandError("--requests must be >= 10.", returncode=2)
        self.stdout.write(f"{'server':<32}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for name, command in _servers(_free_port()).items():
            if server != "both" and not name.startswith(server):
                continue
            timings = self._measure(command, requests)
            p50 = statistics.median(timings)
            p95 = timings[math.ceil(0.95 * len(timings)) - 1]
            p99 = timings[math.ceil(0.99 * len(timings)) - 1]
            self.stdout.write(f"{name:<32}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
        self.stdout.write(
            f"\n{requests} GET /healthz/ each on one kept-alive connection (requests.Session), "
            "after 5 warm-ups; what a browser's connection meets."
        )

    def _measure(self, command: list[str], n: int) -> list[float]:
        address = command[command.index("--bind") + 1] if "--bind" in command else command[-1]
        port = int(address.rsplit(":", 1)[1])
        url = f"http://127.0.0.1:{port}/healthz/"
        log = tempfile.TemporaryFile()  # noqa: SIM115 - read if the server does not start
        env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        try:
            session = requests.Session()
            deadline = time.monotonic() + 60
            while True:
                try:
                    if session.get(url, timeout=10).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still booting
                    session = requests.Session()
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise CommandError(f"{command[0]} did not start:\n{log.read().decode()}")
                time.sleep(0.2)
            for _ in range(5):
                session.get(url, timeout=10)
            timings = []
            for _ in range(n):
                t0 = time.perf_counter()
                response = session.get(url, timeout=10)
                timings.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
            session.close()
            return sorted(timings)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
