"""scripts/supervise: a process of the Procfile that dies is started again (and the log says
so), a stop signal stops it for good, and nothing it started is left running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.queue import stack

SUPERVISE = str(stack.ROOT / "scripts" / "supervise")
STARTED = re.compile(r"supervise: demo started \(pid (\d+)\)")


@pytest.fixture
def supervised(tmp_path):
    """Start ``supervise demo CMD...``; afterwards, nothing with this run's mark may be left."""
    mark = uuid.uuid4().hex
    procs = []

    def start(*command: str, **env: str) -> subprocess.Popen:
        log = open(tmp_path / "supervise.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, SUPERVISE, "demo", *command],
            env={**os.environ, "SUPERVISE_MARK": mark, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = tmp_path / "supervise.log"
        proc.mark = mark
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    left = stack.pids_with_env("SUPERVISE_MARK", mark)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"left running: {left}"


def _log(proc) -> str:
    return proc.log_path.read_text()


def _wait_log(proc, pattern: str, count: int = 1, timeout: float = 20) -> str:
    stack.wait_until(
        lambda: len(re.findall(pattern, _log(proc))) >= count,
        timeout=timeout,
        interval=0.05,
        what=f"{pattern!r} ×{count} in:\n{_log(proc)}",
    )
    return _log(proc)


def _starts(proc) -> list[int]:
    return [int(pid) for pid in STARTED.findall(_log(proc))]


def test_a_command_that_exits_is_restarted_with_a_growing_wait_and_the_log_says_so(supervised):
    proc = supervised("sh", "-c", "echo working; exit 3")
    log = _wait_log(proc, r"demo started", count=3)
    assert "supervise: demo exited with code 3; restarting in 1 s" in log
    assert "supervise: demo exited with code 3; restarting in 2 s" in log
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) in (0, 3)  # 3 if it was running and exited on its own
    after = _log(proc).split("SIGTERM received", 1)[1]
    assert "demo started" not in after


def test_kill_9_of_the_command_starts_it_again_and_cleans_up_what_it_left(supervised):
    # The command starts a child of its own (as a Celery worker starts its pool) and waits.
    proc = supervised(
        sys.executable,
        "-c",
        "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)",
    )
    _wait_log(proc, r"demo started")
    first = _starts(proc)[0]
    stack.wait_until(
        lambda: len(stack.pids_with_env("SUPERVISE_MARK", proc.mark)) >= 3,
        timeout=10,
        what="the command and its child",
    )
    os.kill(first, signal.SIGKILL)
    log = _wait_log(proc, r"demo started", count=2)
    assert "supervise: demo was killed by SIGKILL; restarting in 1 s" in log
    time.sleep(0.5)
    # supervise, the new command and its child: the orphan of the killed one is gone
    assert len(stack.pids_with_env("SUPERVISE_MARK", proc.mark)) == 3
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=10) == 0
    assert stack.pids_with_env("SUPERVISE_MARK", proc.mark) == []


def test_a_stop_signal_is_passed_on_once_and_a_command_that_ignores_it_is_killed(supervised):
    counter = stack.ROOT / "var" / f"supervise-{uuid.uuid4().hex}.count"
    script = (
        "import signal, sys, time\n"
        f"path = {str(counter)!r}\n"
        "def seen(*_):\n"
        "    open(path, 'a').write('x')\n"
        "signal.signal(signal.SIGTERM, seen)\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.1)\n"
    )
    proc = supervised(sys.executable, "-c", script, SUPERVISE_STOP_SECONDS="1")
    _wait_log(proc, r"ready")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert 0.9 < time.monotonic() - started < 5
    try:
        assert counter.read_text() == "x"  # passed on exactly once
    finally:
        counter.unlink(missing_ok=True)
    log = _log(proc)
    assert "supervise: demo did not stop within 1 s: killed" in log
    assert "restarting" not in log


def test_when_supervise_itself_is_killed_its_command_dies_with_it(supervised):
    proc = supervised("sleep", "300")
    _wait_log(proc, r"demo started")
    child = _starts(proc)[0]
    proc.kill()
    proc.wait()
    stack.wait_until(
        lambda: not os.path.exists(f"/proc/{child}") or _zombie(child),
        timeout=10,
        what="the command to die with its supervisor",
    )


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def test_a_command_that_cannot_start_is_not_retried(supervised):
    proc = supervised("/nonexistent/command")
    assert proc.wait(timeout=10) == 127
    assert "supervise: cannot start demo (/nonexistent/command): No such file" in _log(proc)
    assert "Traceback" not in _log(proc)
