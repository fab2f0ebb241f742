"""The benchmark: a small run checks the figures it reports (correctness, not speed)."""

import json
from io import StringIO

from django.core.management import call_command

from policy.engine.bench import evade, format_bench, run_bench

KEYS = {
    "posts",
    "terms",
    "seed",
    "compile_ms",
    "posts_per_s",
    "p50_us",
    "p99_us",
    "evaded_posts",
    "recall_evaded",
    "plain_posts",
    "recall_plain",
    "clean_posts",
    "fp_clean",
    "scunthorpe_posts",
    "fp_scunthorpe",
    "bare_ac_posts_per_s",
    "ratio_to_bare",
    "terms_only_posts_per_s",
    "terms_only_ratio_to_bare",
    "cold_posts_per_s",
    "unseen_posts_per_s",
    "unseen_exact_posts_per_s",
    "repeat",
    "jsonl_posts_per_s",
    "jsonl_bare_posts_per_s",
    "jsonl_ratio_to_bare",
}


def test_small_bench_reports_full_recall_and_no_false_positives():
    result = run_bench(posts=300, terms=50, seed=3, repeat=1)
    assert set(result) == KEYS
    assert result["posts"] == 300 and result["terms"] == 50
    assert result["evaded_posts"] > 0 and result["plain_posts"] > 0
    assert result["recall_evaded"] >= 0.99
    assert result["recall_plain"] == 1.0
    assert result["fp_clean"] == 0
    assert result["fp_scunthorpe"] == 0
    assert result["posts_per_s"] > 0 and result["p99_us"] >= result["p50_us"] > 0
    text = format_bench(result)
    assert "posts/s" in text and "recall" in text and "false positives" in text


def test_the_evasions_actually_change_the_text():
    import random

    rng = random.Random(7)
    changed = sum(evade("bastard", rng) != "bastard" for _ in range(200))
    assert changed > 150


def test_management_command_prints_json():
    out = StringIO()
    call_command(
        "policy_bench", "--posts", "200", "--terms", "30", "--repeat", "1", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert set(result) == KEYS
    assert result["fp_clean"] == 0


def test_outside_path_and_composer_latency_report_their_figures():
    from policy.engine.bench import composer_latency, format_outside, outside_path

    row = outside_path(4241, posts=300, terms=60, repeat=1)
    assert row["posts"] == 300 and row["terms"] == 60
    assert row["posts_per_s"] > 0 and row["bare_posts_per_s"] > 0 and row["ratio"] > 0
    assert row["clean_posts"] > 0 and 0 <= row["fp_clean"] <= row["clean_posts"]
    assert row["recall"] and all(0 <= v <= 1 for v in row["recall"].values())
    assert "held-out" in format_outside([row])
    latency = composer_latency(1, posts=40, terms=50)
    assert latency["posts"] == 40 and latency["chars"] == 280
    assert latency["p99_us"] >= latency["p50_us"] > 0
    assert latency["cpu_p99_us"] >= latency["cpu_p50_us"] > 0
