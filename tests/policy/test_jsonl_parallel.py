"""``policy_lint --jsonl`` on a bulk stream: forked processes lint it, the answers are the
ones one process gives, in order; a client that sends a bulk and waits for its answers
gets them; a process that dies ends the stream with an error, never a silent gap."""

from __future__ import annotations

import gc
import json
import os
import sys
import threading

import pytest

from policy.engine import compile_policy, jsonl

RULES = [
    {
        "id": "banned",
        "kind": "banned_terms",
        "severity": "block",
        "message": "Not on our channels.",
        "terms": ["fuck", "shit", "blow job"],
    }
]
TEXTS = ["a fine day", "f4ck this", "what the sh1t", "blow j0b", "fi.stfuck", "good morning"]


def _lines(count: int) -> list[bytes]:
    out = []
    for k in range(count):
        if k % 97 == 5:
            out.append(b'{"text": "broken')  # not JSON: an error line, numbered
        else:
            out.append(json.dumps({"text": f"{TEXTS[k % len(TEXTS)]} #{k}"}).encode())
    return out


def _run(lines, processes, batches=None):
    policy = compile_policy(RULES)
    stats: dict = {}
    out = list(
        jsonl.lint_lines(
            policy, batches or [lines], lambda c: (c, None), stats=stats, processes=processes
        )
    )
    return out, stats


def test_a_bulk_linted_by_two_processes_answers_as_one_does():
    lines = _lines(2500)
    one, one_stats = _run(lines, 1)
    two, two_stats = _run(lines, 2)
    assert two == one and two_stats == one_stats
    assert len(two) == 2500 and one_stats["bad"] == 26 and one_stats["blocked"] > 1000
    bad = [json.loads(line) for line in two if line.startswith('{"error"')]
    assert [b["line"] for b in bad] == [k + 1 for k in range(2500) if k % 97 == 5]


def test_processes_forked_before_the_first_line_answer_as_one_does():
    """The command forks its processes as it starts (``start_workers``); the pool then
    serves the stream, a conversation first and a bulk after it."""
    lines = _lines(2500)
    one, _ = _run(lines, 1)
    policy = compile_policy(RULES)
    with jsonl.start_workers(policy, lambda c: (c, None), processes=2) as workers:
        assert workers.pool is not None
        pids = {workers.pool.submit(os.getpid).result() for _ in range(4)}
        assert os.getpid() not in pids  # forked already, before any line
        stats: dict = {}
        out = list(
            jsonl.lint_lines(policy, [lines[:3], lines[3:]], None, stats=stats, workers=workers)
        )
    assert out == one and stats["bad"] == 26
    with jsonl.start_workers(policy, lambda c: (c, None), processes=1) as workers:
        assert workers.pool is None  # one process: none forked
        assert list(jsonl.lint_lines(policy, [lines], None, workers=workers)) == one


def test_a_short_stream_stays_in_this_process(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("forked for a conversation")

    monkeypatch.setattr(jsonl._Parallel, "run", forbidden)
    out, _ = _run(_lines(jsonl.BULK - 1), 4)
    assert len(out) == jsonl.BULK - 1


def test_a_client_that_sends_a_bulk_and_waits_gets_its_answers():
    """The second batch is only sent once the first one's answers were read: were the
    stream read ahead of the answers, this would wait for ever (the timeout fails it)."""
    answered = threading.Event()
    first = _lines(600)

    def conversation():
        yield first
        assert answered.wait(timeout=60), "the bulk's answers never came"
        yield [json.dumps({"text": "and one more shit"}).encode()]

    policy = compile_policy(RULES)
    out = []
    for line in jsonl.lint_lines(policy, conversation(), lambda c: (c, None), processes=2):
        out.append(line)
        if len(out) == len(first):
            answered.set()
    assert len(out) == 601 and json.loads(out[-1])["blocked"] is True


class _Dies:
    """A policy whose lint kills the process it runs in, after the first chunk."""

    def __init__(self):
        self.policy = compile_policy(RULES)
        self.parent = os.getpid()
        self.calls = 0

    def lint_many(self, texts, *args):
        self.calls += 1
        if os.getpid() != self.parent and self.calls > 1:
            os._exit(9)
        return self.policy.lint_many(texts, *args)


def test_a_process_that_dies_ends_the_stream_with_an_error():
    from concurrent.futures.process import BrokenProcessPool

    lines = _lines(5000)
    with pytest.raises(BrokenProcessPool):
        list(jsonl.lint_lines(_Dies(), [lines], lambda c: (c, None), processes=2))


def test_a_system_that_refuses_to_fork_lints_in_this_process(monkeypatch):
    """Too many processes or no memory: the stream is still answered, in this process,
    and the caller is told why."""
    import multiprocessing.context

    def refuse(self):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    lines = _lines(600)
    one, _ = _run(lines, 1)
    policy = compile_policy(RULES)
    with jsonl.start_workers(policy, lambda c: (c, None), processes=2) as workers:
        assert workers.processes == 1 and workers.pool is None
        assert "Resource temporarily unavailable" in workers.refused
        assert list(jsonl.lint_lines(policy, [lines], None, workers=workers)) == one


def test_workers_serve_only_the_policy_they_were_started_with():
    policy, other = compile_policy(RULES), compile_policy(RULES)
    stream = [[b'{"text": "x"}']]
    with (
        jsonl.start_workers(policy, lambda c: (c, None), processes=1) as workers,
        pytest.raises(ValueError, match="another policy"),
    ):
        list(jsonl.lint_lines(other, stream, None, workers=workers))


def test_a_stream_gives_back_the_collector_and_thread_settings_it_changes():
    threshold, switch = gc.get_threshold(), sys.getswitchinterval()
    lines = _lines(600)
    one, _ = _run(lines, 1)
    with jsonl.long_lived():
        assert gc.get_threshold()[0] >= jsonl.YOUNG
        two, _ = _run(lines, 2)  # a bulk: the threads that feed the processes are used
    assert two == one
    assert gc.get_threshold() == threshold and sys.getswitchinterval() == switch
