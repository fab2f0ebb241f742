"""policy_lint BRAND_SLUG [--channel HANDLE] [--category C] (TEXT | -) [--jsonl]

Prints {"blocked", "findings": [...]} as JSON. Exit 0 when not blocked, 1 when blocked,
2 on bad usage (no such brand, no text, input that is not UTF-8, a text we do not check).

With --jsonl, reads one JSON object a line from stdin ({"text", "channel"?, "category"?})
and writes exactly one line for each input line, in order: the result, or {"error": ...}
for a line that is not valid input (not UTF-8, not JSON, nested too deeply, blank, not an
object with a "text" string). Every line is answered; the exit status is then 2 if any line
was not valid input, else 1 if any post was blocked, else 0 (3 if a linting process died:
the lines answered before it are out, the message on stderr says how many).

A stream that arrives in bulk is linted by forked processes, one per CPU this process may
use (--processes N to choose; 1 lints in this process only); the answers keep the order.
With --timing, the stream's own time (from its first read to its last answer, the start
of the process excluded) is written on stderr when it ends.
"""

import json
import resource
import sys
import time
from concurrent.futures.process import BrokenProcessPool

from django.core.exceptions import ValidationError

from accounts.models import Brand, Channel
from config.commands import DatabaseCommand
from policy.engine import jsonl as jsonl_mod
from policy.selectors import policy_linter
from policy.services import MAX_LINT_CHARS, policy_ensure, policy_lint


class UsageError(Exception):
    pass


class Command(DatabaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("brand_slug")
        parser.add_argument("text", nargs="?", help="the post text, or - to read stdin")
        parser.add_argument("--channel", help="lint as for this channel handle (or platform)")
        parser.add_argument("--category", help="lint as for this category")
        parser.add_argument("--jsonl", action="store_true", help="lint a stream, one JSON a line")
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="with --jsonl, processes that lint a bulk stream (default: the CPUs this "
            "process may use, at most 8; 1 lints in this process only)",
        )
        parser.add_argument(
            "--timing",
            action="store_true",
            help="with --jsonl, write on stderr how long the stream took (wall and CPU, this "
            "process and the ones it forked), the start of the process excluded",
        )

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except UsageError as exc:
            sys.stderr.write(f"policy_lint: {exc}\n")
            sys.exit(2)

    def handle(
        self, *args, brand_slug, text, channel, category, jsonl, processes, timing, **options
    ):
        brand = Brand.objects.filter(slug=brand_slug).first()
        if brand is None:
            raise UsageError(f"no brand with slug {brand_slug!r}")
        if jsonl and text is not None:
            raise UsageError("give either TEXT or --jsonl, not both")
        if not jsonl and text is None:
            raise UsageError("give the text to lint, or - to read it from stdin")
        if processes is not None and not jsonl:
            raise UsageError("--processes is for --jsonl streams")
        if timing and not jsonl:
            raise UsageError("--timing is for --jsonl streams")
        if processes is not None and processes < 1:
            raise UsageError("--processes must be 1 or more")
        version = policy_ensure(brand=brand)
        channels = {c.handle.lower().lstrip("@"): c for c in Channel.objects.filter(brand=brand)}

        def resolve(handle):
            if handle in (None, ""):
                return None
            if not isinstance(handle, str):
                raise ValidationError("channel must be a string")
            return channels.get(handle.lower().lstrip("@"), handle)

        if jsonl:
            sys.exit(self._stream(brand, version, resolve, channel, category, processes, timing))
        if text == "-":
            try:
                text = _decode(_stdin_bytes().read())
            except ValueError as exc:
                raise UsageError(f"standard input: {exc}") from exc
        try:
            linted = policy_lint(
                brand=brand, text=text, channel=resolve(channel), category=category, version=version
            )
        except ValidationError as exc:
            raise UsageError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(linted.result.to_dict(), ensure_ascii=False))
        sys.exit(1 if linted.result.blocked else 0)

    def _stream(
        self, brand, version, resolve, default_channel, default_category, processes, timing=False
    ) -> int:
        """The lines of stdin through ``policy.engine.jsonl``: the same answers as
        ``policy_lint`` gives one text at a time, linted in batches (a bulk stream by
        ``processes`` forked processes)."""

        def scope(handle):
            try:
                channel = resolve(handle)
            except ValidationError:
                channel = None
            if isinstance(channel, Channel):
                return channel.handle, channel.platform
            return (channel or None), None

        stats: dict = {}
        out = self.stdout
        policy = policy_linter(version, brand=brand)  # with its vocabulary and active moments
        policy.prepare()  # before the first line is read
        answered = 0
        try:
            with (
                jsonl_mod.long_lived(),
                jsonl_mod.start_workers(  # forked as the command starts
                    policy,
                    scope,
                    default_channel,
                    default_category,
                    MAX_LINT_CHARS,
                    jsonl_mod.default_processes() if processes is None else processes,
                ) as workers,
            ):
                if workers.refused:
                    sys.stderr.write(
                        f"policy_lint: no linting process could be started "
                        f"({workers.refused}); linting in this process only\n"
                    )
                clock = _Clock() if timing else None  # the stream starts here
                blocks = jsonl_mod.lint_blocks(
                    policy,
                    jsonl_mod.read_batches(_stdin_bytes()),
                    scope,
                    stats=stats,
                    workers=workers,
                )
                for block in blocks:  # one write and a flush a block, not a line
                    out.write("\n".join(block))
                    out.flush()
                    answered += len(block)
                if clock is not None:
                    clock.answered(answered, workers.processes)
            if clock is not None:  # the forked processes have ended: their CPU counts
                sys.stderr.write(f"policy_lint: {clock.summary()}\n")
        except BrokenProcessPool:
            out.flush()
            sys.stderr.write(
                f"policy_lint: a linting process ended without answering (killed, or out of "
                f"memory?); lines 1 to {answered:,} were answered, the rest were not\n"
            )
            return 3
        return 2 if stats["bad"] else 1 if stats["blocked"] else 0


class _Clock:
    """``--timing``: the stream's wall time to its last answer, and the CPU time of this
    process and of the processes it forked (counted once they have ended)."""

    def __init__(self):
        self.started = time.perf_counter()
        self.cpu = self._cpu()
        self.wall = None
        self.lines = 0
        self.processes = 1

    @staticmethod
    def _cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        forked = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + forked.ru_utime + forked.ru_stime

    def answered(self, lines: int, processes: int) -> None:
        self.wall = time.perf_counter() - self.started
        self.lines = lines
        self.processes = processes

    def summary(self) -> str:
        cpu = self._cpu() - self.cpu
        wall = time.perf_counter() - self.started if self.wall is None else self.wall
        per_s = f", {self.lines / wall:,.0f} lines/s" if wall > 0 else ""
        return (
            f"{self.lines:,} line{'' if self.lines == 1 else 's'} in {wall:.3f} s{per_s} "
            f"(CPU {cpu:.3f} s, "
            f"{self.processes} process{'es' if self.processes > 1 else ''})"
        )


def _stdin_bytes():
    """Standard input as bytes (decoded here, so that bytes that are not UTF-8 are an
    answer, not a traceback)."""
    return getattr(sys.stdin, "buffer", None) or _Encoded(sys.stdin)


class _Encoded:
    """A text stream with no ``buffer`` (a test's StringIO), read as UTF-8 bytes."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size).encode("utf-8", "surrogateescape")

    def __iter__(self):
        for line in self.stream:
            yield line.encode("utf-8", "surrogateescape")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start + 1})") from None
