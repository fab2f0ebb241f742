"""Real processes for the reliability runs and browser journeys: redis-server, Celery workers,
celery beat, the web server and one-off management commands, each with its own log file.

Every process gets the same environment as ``make run`` would give it (config.env reads
it), pointed at the database and broker under test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: this process's settings (same keys, so
    credentials encrypted here decrypt there), test settings, quiet logs."""
    from django.conf import settings

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DATABASE_URL", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "SECRET_KEY": settings.SECRET_KEY,
            "CREDENTIAL_KEYS": ",".join(settings.COUNTERSIGN["CREDENTIAL_KEYS"]),
            "PUBLISH_LEASE_SECONDS": str(settings.COUNTERSIGN["PUBLISH_LEASE_SECONDS"]),
            "PLATFORM_TIMEOUT_SECONDS": str(settings.COUNTERSIGN["PLATFORM_TIMEOUT_SECONDS"]),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"], safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


class Process:
    """A child process writing to a log file, stopped (or killed) by its own pid only."""

    def __init__(self, name: str, args: list[str], *, env: dict, logdir: Path):
        self.name = name
        self.args = args
        self.log_path = logdir / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not print {text!r} in {timeout}s:\n{self.log()}")

    def kill9(self) -> None:
        """``kill -9``: no warm shutdown, no acknowledgements, nothing written back."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._log.close()
        return self.proc.returncode


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def start_redis(logdir: Path) -> tuple[Process, str]:
    port = free_port()
    proc = Process(
        "redis",
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(logdir),
        ],
        env=dict(os.environ),
        logdir=logdir,
    )
    proc.wait_for("Ready to accept connections", timeout=15)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_worker(
    name: str, *, env: dict, logdir: Path, concurrency: int = 4, pool: str = "threads"
) -> Process:
    """``celery -A config worker``, as the Procfile starts it (threads pool: one process, so
    ``kill -9`` takes all of it at once)."""
    proc = Process(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        logdir=logdir,
    )
    proc.wait_for(" ready.", timeout=60)
    return proc


def start_beat(*, env: dict, logdir: Path) -> Process:
    proc = Process(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            f"--schedule={logdir / 'beat-schedule'}",
            "--pidfile=",
        ],
        env=env,
        logdir=logdir,
    )
    proc.wait_for("beat: Starting", timeout=60)
    return proc


def manage(*args: str, env: dict, timeout: float = 120) -> str:
    """Run ``manage.py`` to completion; its output, or an error with it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def scenario(*args: str, env: dict, timeout: float = 120) -> str:
    """Run ``python -m tests.queue.scenario`` (set-up and dispatchers in their own process)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.queue.scenario", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scenario {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_until(predicate, *, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def pids_with_env(name: str, value: str) -> list[int]:
    """Every process (but this one) whose environment has ``name=value``: what a stack of
    processes started with that variable left running, whoever its parent is now."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found
