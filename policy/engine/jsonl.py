"""``policy_lint --jsonl`` as a function of the engine: many lines in, one line out for
each, in order. The command (and ``policy_bench``, which times exactly this path) give it
the compiled policy, how to read a channel, and the most characters a text may have.

Lines are read with orjson when it is installed (the standard library's json gives the
error message for a line that is not valid, so answers are the same either way); the
texts of a batch of lines are linted together (``CompiledPolicy.lint_many``); an answer
with no findings is one constant line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

try:
    import orjson
except ImportError:  # pragma: no cover - optional speed-up
    orjson = None

BATCH = 2000
CLEAN = '{"blocked": false, "findings": []}'


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


def lint_lines(
    policy,
    batches: Iterable[list[bytes]],
    resolve: Callable[[str | None], tuple[str | None, str | None]],
    default_channel: str | None = None,
    default_category: str | None = None,
    max_chars: int = 100_000,
    stats: dict | None = None,
) -> Iterator[str]:
    """One output line (without its newline) for each input line, given in batches of
    lines as they arrive (each batch is answered before the next is waited for: see
    ``read_batches``). ``resolve`` maps a channel as given to (handle, platform).
    ``stats`` counts "bad" and "blocked"."""
    stats = {} if stats is None else stats
    stats.setdefault("bad", 0)
    stats.setdefault("blocked", 0)
    number = 0
    default = (default_channel, default_category or None)
    fast = orjson.loads if orjson is not None else None
    for lines in batches:
        for lo in range(0, len(lines), BATCH):
            batch: list = []
            for raw in lines[lo : lo + BATCH]:
                number += 1
                if fast is not None:  # the common line, {"text": "..."}, read at once
                    try:
                        item = fast(raw)  # bytes: orjson checks the UTF-8 itself
                    except orjson.JSONDecodeError:
                        item = None
                    if type(item) is dict and len(item) == 1:
                        text = item.get("text")
                        if type(text) is str and len(text) <= max_chars:
                            batch.append((number, text, *default))
                            continue
                try:
                    text, channel, category = parse_line(
                        raw, default_channel, default_category, max_chars
                    )
                except LineError as exc:
                    batch.append((number, str(exc)))
                else:
                    batch.append((number, text, channel, category or None))
            yield from _flush(policy, batch, resolve, stats)


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
    groups: dict[tuple, list[int]] = {}
    for k, item in enumerate(batch):
        if len(item) == 4:
            handle, platform = resolve(item[2])
            groups.setdefault((handle, platform, item[3]), []).append(k)
    results: dict[int, object] = {}
    for (handle, platform, category), ks in groups.items():
        linted = policy.lint_many([batch[k][1] for k in ks], handle, platform, category)
        results.update(zip(ks, linted, strict=True))
    for k, item in enumerate(batch):
        if len(item) == 2:
            stats["bad"] += 1
            number = item[0]
            yield json.dumps({"error": f"line {number}: {item[1]}", "line": number})
            continue
        result = results[k]
        if not result.findings:
            yield CLEAN
            continue
        if result.blocked:
            stats["blocked"] += 1
        yield json.dumps(result.to_dict(), ensure_ascii=False)
