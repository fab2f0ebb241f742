"""``policy_lint --jsonl`` as a function of the engine: many lines in, one line out for
each, in order. The command (and ``policy_bench``, which times exactly this path) give it
the compiled policy, how to read a channel, and the most characters a text may have.

Lines are read with orjson when it is installed (the standard library's json gives the
error message for a line that is not valid, so answers are the same either way); the
texts of a batch of lines are linted together (``CompiledPolicy.lint_many``); an answer
with no findings is one constant line. A bulk stream is shared out among processes
(``lint_blocks``, ``_Parallel``).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

try:
    import orjson
except ImportError:  # pragma: no cover - optional speed-up
    orjson = None

BATCH = 2000
PARALLEL_CHUNK = 1000  # lines a forked process lints at a time
BULK = 256  # a batch this long arrived at once: the stream is a bulk, not a conversation
CLEAN = '{"blocked": false, "findings": []}'
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False)
YOUNG = 50_000  # allocations between the garbage collector's passes over young objects
SWITCH = 0.0005  # s: how soon the threads that feed the forked processes get their turn


class LineError(ValueError):
    pass


def _loads(line: str):
    if orjson is not None:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass  # json tells why (and reads what orjson does not: NaN, big numbers)
    try:
        return json.loads(line)
    except RecursionError:
        raise LineError("the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:  # a number too long to read
        raise LineError(str(exc)) from None


def parse_line(raw: bytes, default_channel, default_category, max_chars: int):
    """(text, channel, category) of one input line, or LineError with the reason."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"not UTF-8 (byte {exc.start + 1})") from None
    if not line.strip():
        raise LineError("a blank line; each line must be a JSON object")
    item = _loads(line)
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise LineError('each line must be an object with a "text" string')
    category = item.get("category", default_category)
    if category is not None and not isinstance(category, str):
        raise LineError("category must be a string")
    channel = item.get("channel", default_channel)
    if channel not in (None, "") and not isinstance(channel, str):
        raise LineError("channel must be a string")
    text = item["text"]
    if len(text) > max_chars:
        raise LineError(f"Text is {len(text):,} characters; the most we check is {max_chars:,}.")
    return text, channel, category


def lint_lines(*args, **kwargs) -> Iterator[str]:
    """One output line (without its newline) for each input line: ``lint_blocks``, line
    by line."""
    for block in lint_blocks(*args, **kwargs):
        yield from block


def lint_blocks(
    policy,
    batches: Iterable[list[bytes]],
    resolve: Callable[[str | None], tuple[str | None, str | None]],
    default_channel: str | None = None,
    default_category: str | None = None,
    max_chars: int = 100_000,
    stats: dict | None = None,
    processes: int = 1,
    workers: Workers | None = None,
) -> Iterator[list[str]]:
    """One output line (without its newline) for each input line, given in batches of
    lines as they arrive, a list of them for each chunk of a batch (each batch is
    answered before the next is waited for: see ``read_batches``; a writer writes and
    flushes a block at a time). ``resolve`` maps a channel as given to (handle,
    platform). ``stats`` counts "bad" and "blocked".

    With ``processes`` above 1, a stream that arrives in bulk (a batch of ``BULK`` lines
    or more) is linted by that many processes, this one and forked ones, a chunk of
    ``PARALLEL_CHUNK`` lines each in turn, the answers still in order (see
    ``_Parallel``); what comes before is linted here. ``workers`` (``start_workers``):
    processes forked already, with what they lint (the arguments before ``stats`` are
    then theirs, and so is ``processes``)."""
    stats = {} if stats is None else stats
    stats.setdefault("bad", 0)
    stats.setdefault("blocked", 0)
    if workers is not None:
        if policy is not None and policy is not workers.work.policy:
            raise ValueError("the workers were started with another policy")
        work, processes = workers.work, workers.processes
    else:
        work = _Work(policy, resolve, default_channel, default_category, max_chars)
    number = 0
    batches = iter(batches)
    for lines in batches:
        if processes > 1 and len(lines) >= BULK:
            rest = itertools.chain([lines], batches)
            if workers is not None:
                yield from _Parallel(work, processes).run(rest, number, stats, workers.pool)
            else:
                with _forked(work, processes) as pool:
                    yield from _Parallel(work, processes).run(rest, number, stats, pool)
            return
        for lo in range(0, len(lines), BATCH):
            chunk = lines[lo : lo + BATCH]
            out, bad, blocked = work(number, chunk)
            number += len(chunk)
            stats["bad"] += bad
            stats["blocked"] += blocked
            yield out


class _Work:
    """The answers to a chunk of lines, numbered from ``number + 1``: (lines, bad, blocked)."""

    def __init__(self, policy, resolve, default_channel, default_category, max_chars):
        self.policy = policy
        self.resolve = resolve
        self.default_channel = default_channel
        self.default_category = default_category
        self.max_chars = max_chars

    def __call__(self, number: int, lines: list[bytes]) -> tuple[list[str], int, int]:
        default_channel, max_chars = self.default_channel, self.max_chars
        default = (default_channel, self.default_category or None)
        fast = orjson.loads if orjson is not None else None
        first = number
        texts: list[str] = []  # while every line is {"text": "..."}: their texts
        batch: list | None = None  # once one is not: (number, text, channel, category)
        for raw in lines:
            number += 1
            if fast is not None:  # the common line, {"text": "..."}, read at once
                try:
                    item = fast(raw)  # bytes: orjson checks the UTF-8 itself
                except orjson.JSONDecodeError:
                    item = None
                if type(item) is dict and len(item) == 1:
                    text = item.get("text")
                    if type(text) is str and len(text) <= max_chars:
                        if batch is None:
                            texts.append(text)
                        else:
                            batch.append((number, text, *default))
                        continue
            if batch is None:
                batch = [(first + k + 1, text, *default) for k, text in enumerate(texts)]
            try:
                text, channel, category = parse_line(
                    raw, default_channel, self.default_category, max_chars
                )
            except LineError as exc:
                batch.append((number, str(exc)))
            else:
                batch.append((number, text, channel, category or None))
        if batch is None:  # one scope for all: no grouping, no line numbers
            return self._plain(texts)
        stats = {"bad": 0, "blocked": 0}
        out = list(_flush(self.policy, batch, self.resolve, stats))
        return out, stats["bad"], stats["blocked"]

    def _plain(self, texts: list[str]) -> tuple[list[str], int, int]:
        """The answers to lines that are all ``{"text": "..."}``, linted in the default
        scope (``_flush``, without the bookkeeping of lines that differ)."""
        handle, platform = self.resolve(self.default_channel)
        lint = getattr(self.policy, "lint_batch", None) or self.policy.lint_many
        out: list[str] = []
        blocked = 0
        for result in lint(texts, handle, platform, self.default_category or None):
            if result is None or not result.findings:
                out.append(CLEAN)
            else:
                blocked += result.blocked
                out.append(_ENCODE(result.to_dict()))
        return out, 0, blocked


_WORK: _Work | None = None  # what a forked process lints with (see ``_Parallel``)


def _work_in_child(task: tuple[int, bytes]) -> tuple[str, int, int]:
    """A chunk's lines in, as one string each way (cheaper to pass than lists: no line
    holds a newline)."""
    number, lines = task
    out, bad, blocked = _WORK(number, lines.split(b"\n"))
    return "\n".join(out), bad, blocked


def _ready() -> None:
    pass


class _Parallel:
    """Chunks of lines linted by ``processes`` processes: this one, which lints every
    ``processes``-th chunk itself when its answers are due, and forked ones that inherit
    the compiled policy (it is never pickled) for the others. A thread reads the stream
    and hands chunks out while the caller writes answers in order, so a client that
    sends a bulk of lines and waits for their answers gets them (no chunk waits for more
    input than has arrived). A process that dies ends the stream with an error, never a
    silent gap."""

    def __init__(self, work: _Work, processes: int):
        self.work = work
        self.processes = processes

    def run(
        self, batches: Iterator[list[bytes]], number: int, stats: dict, pool
    ) -> Iterator[list[str]]:
        """The answers, a chunk at a time; ``pool``: the forked processes (``_forked``)."""
        pending: queue.Queue = queue.Queue(maxsize=4 * self.processes)
        done = threading.Event()
        reader = threading.Thread(
            target=self._read, args=(pool, batches, number, pending, done), daemon=True
        )
        # The threads that hand chunks to the forked processes and take their answers
        # wait for this one, which lints, to let go of the interpreter: every 5 ms by
        # default, so the first chunk reached the first process ~10 ms late.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH))
        reader.start()
        try:
            while (item := pending.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, tuple):  # this process's own chunk
                    lines, bad, blocked = self.work(*item)
                else:
                    out, bad, blocked = item.result()
                    lines = out.split("\n")
                stats["bad"] += bad
                stats["blocked"] += blocked
                yield lines
        finally:
            sys.setswitchinterval(switch)
            done.set()
            while True:  # let the reader see that it is done
                try:
                    pending.get_nowait()
                except queue.Empty:
                    break

    def _read(self, pool, batches, number, pending, done) -> None:
        try:
            k = 0
            for lines in batches:
                for lo in range(0, len(lines), PARALLEL_CHUNK):
                    chunk = lines[lo : lo + PARALLEL_CHUNK]
                    if k % self.processes == 0:
                        item = (number, chunk)  # linted here when its answers are due
                    else:
                        item = pool.submit(_work_in_child, (number, b"\n".join(chunk)))
                    k += 1
                    number += len(chunk)
                    while not done.is_set():
                        try:
                            pending.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if done.is_set():
                        return
            pending.put(None)
        except BaseException as exc:  # the stream's own error, raised where answers are
            pending.put(exc)


@contextlib.contextmanager
def _forked(work: _Work, processes: int):
    """``processes - 1`` processes forked now, each with ``work`` (inherited, never
    pickled), as an executor."""
    global _WORK
    # The processes never touch the database (the policy is compiled and the channels
    # resolved in memory) and leave by os._exit, so the connections they inherit are
    # neither used nor closed there.
    prepare = getattr(work.policy, "prepare", None)
    if prepare is not None:  # built once here, not in each process
        prepare()
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes - 1, mp_context=context) as pool:
            pool.submit(_ready).result()  # forked here, before any thread starts
            yield pool
    finally:
        _WORK = None


class Workers:
    """Processes forked before a stream's first line (``start_workers``), for
    ``lint_blocks``: what they lint, how many processes lint (this one too), the pool."""

    def __init__(self, work: _Work, processes: int, pool, refused: str | None = None):
        self.work = work
        self.processes = processes
        self.pool = pool
        self.refused = refused  # why none could be forked


@contextlib.contextmanager
def start_workers(
    policy,
    resolve: Callable[[str | None], tuple[str | None, str | None]],
    default_channel: str | None = None,
    default_category: str | None = None,
    max_chars: int = 100_000,
    processes: int = 1,
) -> Iterator[Workers]:
    """The processes a bulk stream will be linted with, forked now (the command forks them
    as it starts, not when the first bulk of lines has arrived), ended on leaving. With
    ``processes`` 1, none. When the system refuses to fork (too many processes, no
    memory), none either: ``Workers.processes`` is then 1 and ``Workers.refused`` says why,
    and the stream is linted in this process."""
    work = _Work(policy, resolve, default_channel, default_category, max_chars)
    if processes <= 1:
        yield Workers(work, 1, None)
        return
    with contextlib.ExitStack() as stack:
        try:
            pool = stack.enter_context(_forked(work, processes))
        except (OSError, BrokenProcessPool) as exc:
            workers = Workers(work, 1, None, refused=str(exc) or type(exc).__name__)
        else:
            workers = Workers(work, processes, pool)
        yield workers


def default_processes(limit: int = 8) -> int:
    """The CPUs this process may run on, at most ``limit``."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 1
    return max(1, min(count, limit))


@contextlib.contextmanager
def long_lived():
    """What is in memory now (the compiled policy, the dictionary, Django) kept out of
    the garbage collector's passes while a stream is linted: a full pass over it cost
    ~50 ms each time one ran. (And forked processes do not copy those pages to count
    them.) The youngest objects are looked at every ``YOUNG`` allocations, not 700:
    a text's objects are freed by reference counting, so the frequent passes found next
    to nothing (55 passes, ~6 ms, a stream of 20,000 lines). Given back when the stream
    ends."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def read_batches(stream, size: int = 1 << 16) -> Iterator[list[bytes]]:
    """The lines of a binary stream, in batches of what has arrived: a batch is yielded
    before the next read that could wait, so a caller writing one line and waiting for its
    answer gets it. A last line without a newline counts."""
    read = getattr(stream, "read1", None) or stream.read
    tail = b""
    while True:
        chunk = read(size)
        if not chunk:
            break
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        if lines:
            yield lines
    if tail:
        yield [tail]


def _flush(policy, batch, resolve, stats) -> Iterator[str]:
    lint = getattr(policy, "lint_batch", None) or policy.lint_many
    groups: dict[tuple, list[int]] = {}
    scopes: dict = {}  # each channel resolved once a batch
    for k, item in enumerate(batch):
        if len(item) == 4:
            channel = item[2]
            scope = scopes.get(channel)
            if scope is None:
                scope = scopes[channel] = resolve(channel)
            groups.setdefault((*scope, item[3]), []).append(k)
    results: list = [None] * len(batch)
    for (handle, platform, category), ks in groups.items():
        linted = lint([batch[k][1] for k in ks], handle, platform, category)
        for k, result in zip(ks, linted, strict=True):
            results[k] = result
    for item, result in zip(batch, results, strict=True):
        if len(item) == 2:
            stats["bad"] += 1
            number = item[0]
            yield json.dumps({"error": f"line {number}: {item[1]}", "line": number})
            continue
        if result is None or not result.findings:
            yield CLEAN
            continue
        if result.blocked:
            stats["blocked"] += 1
        yield _ENCODE(result.to_dict())
