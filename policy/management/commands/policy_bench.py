"""policy_bench [--posts N] [--terms N] [--seed N] [--repeat N] [--json] [--runs N] [--subprocess]

Benchmarks the policy engine on a generated corpus of marketing posts and prints
throughput, latency, recall and false positives next to a bare Aho-Corasick pass; then
recall and false positives per evasion class for the tuning and held-out seeds; the
single-post lint of a 280-character post (the composer's); and the ``policy_lint --jsonl``
path on the outside-like corpus for a tuning and a held-out seed, next to the bare pass
in the same run. ``--subprocess`` also runs ``policy_import`` and ``policy_lint --jsonl``
as processes on that corpus (the stream as ``--timing`` reports it).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from policy.engine import bench as bench_mod
from policy.engine.bench import format_bench, run_bench
from policy.engine.corpus import HELD_OUT_SEEDS, TUNING_SEEDS


class Command(BaseCommand):
    help = __doc__.splitlines()[0]
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=20000, help="posts in the corpus")
        parser.add_argument("--terms", type=int, default=1000, help="banned terms in the policy")
        parser.add_argument("--seed", type=int, default=1, help="seed of the generated corpus")
        parser.add_argument(
            "--repeat", type=int, default=5, help="passes per timed loop; the best one counts"
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument(
            "--runs", type=int, default=2, help="runs of each outside-corpus figure (median)"
        )
        parser.add_argument(
            "--subprocess",
            action="store_true",
            help="also time policy_import + policy_lint --jsonl as processes",
        )

    def handle(self, *args, posts, terms, seed, repeat, json: bool = False, runs=2, **options):
        if posts < 1 or terms < 10 or repeat < 1 or runs < 1:
            raise CommandError(
                "--posts, --repeat and --runs must be at least 1 and --terms at least 10",
                returncode=2,
            )
        result = run_bench(posts=posts, terms=terms, seed=seed, repeat=repeat)
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(format_bench(result))
        rows = [bench_mod.accuracy(s) for s in (*TUNING_SEEDS, *HELD_OUT_SEEDS)]
        self.stdout.write(bench_mod.format_accuracy(rows, bench_mod.hazard_false_positives()))
        self.stdout.write(
            f"policy_lint --jsonl path, marketing corpus (compile included): "
            f"{result['jsonl_posts_per_s']:,} posts/s; bare casefolded pass "
            f"{result['jsonl_bare_posts_per_s']:,}; ratio {result['jsonl_ratio_to_bare']}"
        )
        latency = bench_mod.composer_latency(seed, terms=terms)
        self.stdout.write(
            f"single-post lint, {latency['chars']}-character posts, {terms:,} terms and every "
            f"other rule kind, each post new: p50 {latency['p50_us']} us, "
            f"p99 {latency['p99_us']} us (CPU time of the call: p50 {latency['cpu_p50_us']} "
            f"us, p99 {latency['cpu_p99_us']} us)"
        )
        seeds = (TUNING_SEEDS[0], HELD_OUT_SEEDS[0])
        rows = [bench_mod.outside_path(s, posts, terms, runs) for s in seeds]
        self.stdout.write(bench_mod.format_outside(rows))
        if options.get("subprocess"):
            found = bench_mod.outside_subprocess(seeds, posts, terms, runs)
            self.stdout.write(bench_mod.format_subprocess(found))


def _dumps(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=True)
