"""The policy commands on their unhappy paths, run as `manage.py` runs them: the documented
exit status (0 / 1 / 2), a one-line reason on stderr, never a traceback, nothing half-done."""

from __future__ import annotations

import json
import re

import pytest

from accounts.models import Channel
from policy import services
from policy.models import PolicyVersion
from tests.commands import manage

POLICY = """rules:
  - id: no-swearing
    kind: banned_terms
    severity: block
    message: Keep it clean.
    terms: [fuck, shit]
"""


@pytest.fixture
def brand(brand_with_team):
    services.policy_import(brand=brand_with_team["brand"], yaml_text=POLICY, actor=None)
    return brand_with_team["brand"]


def _versions(brand) -> int:
    return PolicyVersion.objects.filter(brand=brand).count()


# --- policy_lint ------------------------------------------------------------------------------


def test_lint_exit_status_is_0_clean_1_blocked(brand):
    clean = manage("policy_lint", brand.slug, "All good here")
    assert clean.code == 0 and json.loads(clean.out)["blocked"] is False
    blocked = manage("policy_lint", brand.slug, "-", stdin="oh sh1t")
    assert blocked.code == 1 and json.loads(blocked.out)["blocked"] is True


@pytest.mark.parametrize(
    "argv, words",
    [
        (["policy_lint", "no-such-brand", "x"], "no brand"),
        (["policy_lint", "{brand}"], "give the text"),
        (["policy_lint", "{brand}", "x", "--jsonl"], "not both"),
        (["policy_lint", "{brand}", "x" * 100_001], "100,000"),
        (["policy_lint", "no-such-brand", "--jsonl"], "no brand"),
        (["policy_lint"], "brand_slug"),  # argparse
        (["policy_lint", "{brand}", "x", "--no-such-option"], "unrecognized"),
        (["policy_lint", "{brand}", "x", "--processes", "2"], "--jsonl"),
        (["policy_lint", "{brand}", "--jsonl", "--processes", "x"], "invalid int"),
        (["policy_lint", "{brand}", "x", "--timing"], "--jsonl"),
    ],
)
def test_lint_bad_usage_exits_2_with_a_reason(brand, argv, words):
    ran = manage(*[a.replace("{brand}", brand.slug) for a in argv])
    assert ran.code == 2, ran
    assert words in ran.err and ran.out == ""


def test_lint_stdin_that_is_not_utf8_is_bad_usage(brand):
    ran = manage("policy_lint", brand.slug, "-", stdin=b"caf\xe9 \xff")
    assert ran.code == 2 and "not UTF-8" in ran.err and ran.out == ""


def test_lint_empty_stdin_is_an_empty_post(brand):
    ran = manage("policy_lint", brand.slug, "-", stdin=b"")
    assert ran.code == 0 and json.loads(ran.out) == {"blocked": False, "findings": []}


def test_jsonl_answers_every_line_in_order_with_an_error_object_for_bad_ones(brand):
    lines = [
        json.dumps({"text": "clean"}).encode(),
        b'{"text": "broken',  # not JSON
        b"[" * 100_000,  # nested far too deeply
        json.dumps({"text": "f u c k"}).encode(),
        b"",  # blank
        b'{"text": "caf\xe9"}',  # not UTF-8
        b'"just a string"',
        json.dumps({"text": 42}).encode(),
        json.dumps({"text": "ok", "category": ["news"]}).encode(),
        json.dumps({"text": "ok", "channel": {"handle": "@team"}}).encode(),
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"text": "x" * 100_001}).encode(),
        b"1" * 5000,  # a number too long to read
        json.dumps({"text": "KitchenAid", "channel": "@team"}).encode(),
    ]
    ran = manage("policy_lint", brand.slug, "--jsonl", stdin=b"\n".join(lines) + b"\n")
    results = [json.loads(line) for line in ran.lines]
    assert len(results) == len(lines)  # one answer per input line, in order
    assert ran.code == 2
    good = {0: False, 3: True, 13: False}
    for index, result in enumerate(results):
        if index in good:
            assert result["blocked"] is good[index], (index, result)
        else:
            assert set(result) == {"error", "line"}, (index, result)
            assert result["line"] == index + 1
            assert result["error"].startswith(f"line {index + 1}: ")
    assert "nested too deeply" in results[2]["error"]
    assert "not UTF-8" in results[5]["error"]
    assert "blank" in results[4]["error"]
    assert "not JSON" in results[1]["error"]


def test_jsonl_exit_status_without_bad_lines(brand):
    clean = manage("policy_lint", brand.slug, "--jsonl", stdin='{"text": "hello"}\n')
    assert clean.code == 0 and len(clean.lines) == 1
    blocked = manage(
        "policy_lint", brand.slug, "--jsonl", stdin='{"text": "hello"}\n{"text": "shit"}'
    )
    assert blocked.code == 1 and len(blocked.lines) == 2  # last line without a newline


def test_jsonl_empty_input_prints_nothing_and_exits_0(brand):
    ran = manage("policy_lint", brand.slug, "--jsonl", stdin=b"")
    assert ran.code == 0 and ran.out == ""


def test_jsonl_uses_the_channel_of_the_line_or_the_default(brand):
    Channel.objects.filter(brand=brand).update(handle="@team")
    ran = manage(
        "policy_lint",
        brand.slug,
        "--jsonl",
        "--channel",
        "@nowhere",
        stdin='{"text": "fine"}\n{"text": "fine", "channel": "@team"}\n',
    )
    assert ran.code == 0 and len(ran.lines) == 2


def _bulk(count: int) -> list[bytes]:
    return [
        b'{"text": "broken' if k % 97 == 5 else json.dumps({"text": f"shit #{k}"}).encode()
        for k in range(count)
    ]


def test_the_command_lints_a_bulk_with_processes_and_refuses_none(brand):
    stdin = b"\n".join(_bulk(700)) + b"\n"
    one = manage("policy_lint", brand.slug, "--jsonl", "--processes", "1", stdin=stdin)
    two = manage("policy_lint", brand.slug, "--jsonl", "--processes", "2", stdin=stdin)
    assert two.out == one.out and two.code == one.code == 2  # bad lines: exit 2
    assert len(two.lines) == 700
    zero = manage("policy_lint", brand.slug, "--jsonl", "--processes", "0", stdin=stdin)
    assert zero.code == 2 and "--processes" in zero.err and zero.out == ""


def test_timing_reports_the_stream_on_stderr_and_changes_no_answer(brand):
    stdin = b"\n".join(_bulk(700)) + b"\n"
    plain = manage("policy_lint", brand.slug, "--jsonl", "--processes", "2", stdin=stdin)
    timed = manage(
        "policy_lint", brand.slug, "--jsonl", "--processes", "2", "--timing", stdin=stdin
    )
    assert timed.out == plain.out and timed.code == plain.code == 2
    assert re.search(
        r"^policy_lint: 700 lines in [\d.]+ s, .* \(CPU [\d.]+ s, 2 processes\)$", timed.err, re.M
    ), timed.err
    empty = manage("policy_lint", brand.slug, "--jsonl", "--timing", stdin=b"")
    assert empty.code == 0 and empty.out == "" and "0 lines in" in empty.err


def test_the_command_lints_alone_when_the_system_refuses_to_fork(brand, monkeypatch):
    import multiprocessing.context

    def refuse(self):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    stdin = b"\n".join(_bulk(700)) + b"\n"
    one = manage("policy_lint", brand.slug, "--jsonl", "--processes", "1", stdin=stdin)
    two = manage("policy_lint", brand.slug, "--jsonl", "--processes", "2", stdin=stdin)
    assert two.out == one.out and two.code == one.code == 2  # every line answered
    assert "no linting process could be started" in two.err
    assert "Traceback" not in two.err


# --- policy_import / policy_export --------------------------------------------------------------


def test_import_of_a_missing_file_or_unknown_brand_is_bad_usage(brand, tmp_path):
    before = _versions(brand)
    missing = manage("policy_import", brand.slug, str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "cannot read" in missing.err
    folder = manage("policy_import", brand.slug, str(tmp_path))
    assert folder.code == 2 and "cannot read" in folder.err
    path = tmp_path / "ok.yaml"
    path.write_text(POLICY)
    unknown = manage("policy_import", "no-such-brand", str(path))
    assert unknown.code == 2 and "No brand" in unknown.err
    assert manage("policy_import", brand.slug).code == 2  # argparse: no file
    assert _versions(brand) == before


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b"rules: [\n  - id: x\n", "line"),  # bad YAML
        (b"rules:\n  - id: x\n    kind: banned_terms\n    severity: sometimes\n", "line"),
        (b"rules: " + b"[" * 100_000, "nested too deeply"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"rules: []\nextra: 1\n", "unknown top-level key"),
        (b"- just\n- a list\n", "mapping"),
        (b"rules:\n" + b"  - id: x\n" * 10 + b"#" * 1_100_000, "larger than 1 MB"),
    ],
)
def test_import_of_a_bad_file_exits_2_and_imports_nothing(brand, tmp_path, content, words):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    before = _versions(brand)
    ran = manage("policy_import", brand.slug, str(path))
    assert ran.code == 2, ran
    assert words in ran.err and "nothing was imported" in ran.err
    assert _versions(brand) == before


@pytest.mark.parametrize("content", [b"rules:\n  - id: x\x01\n", b"rules:\n  - id: \x00x\n"])
def test_import_of_a_file_with_a_control_character_exits_2_with_its_place(brand, tmp_path, content):
    path = tmp_path / "control.yaml"
    path.write_bytes(content)
    before = _versions(brand)
    ran = manage("policy_import", brand.slug, str(path))
    assert ran.code == 2 and "line 2" in ran.err and "nothing was imported" in ran.err
    assert _versions(brand) == before


def test_import_from_stdin(brand):
    before = _versions(brand)
    bad = manage("policy_import", brand.slug, "-", stdin=b"\xff")
    assert bad.code == 2 and "not UTF-8" in bad.err
    empty = manage("policy_import", brand.slug, "-", stdin=b"")
    assert empty.code == 2
    assert _versions(brand) == before
    good = manage("policy_import", brand.slug, "-", stdin=POLICY)
    assert good.code == 0 and "Imported 1 rules" in good.out
    assert _versions(brand) == before + 1


def test_export_of_an_unknown_brand_is_bad_usage(brand):
    ran = manage("policy_export", "no-such-brand")
    assert ran.code == 2 and "No brand" in ran.err and ran.out == ""
    assert manage("policy_export").code == 2
    good = manage("policy_export", brand.slug)
    assert good.code == 0 and "no-swearing" in good.out


# --- policy_bench -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["--posts", "0"], ["--terms", "5"], ["--repeat", "0"], ["--posts", "many"]],
)
def test_bench_bad_arguments_exit_2(db, argv):
    ran = manage("policy_bench", *argv)
    assert ran.code == 2 and ran.err


def test_the_benchmark_reads_what_timing_writes(brand):
    from policy.engine.bench import TIMED_RE

    timed = manage("policy_lint", brand.slug, "--jsonl", "--timing", stdin=b'{"text": "hi"}\n')
    found = TIMED_RE.search(timed.err)
    assert found and found[1] == "1" and float(found[2]) >= 0 and int(found[4]) >= 1
    assert "policy_lint: 1 line in" in timed.err
