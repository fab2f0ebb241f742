"""policy_bench [--posts N] [--terms N] [--seed N] [--repeat N] [--json]

Benchmarks the policy engine on a generated corpus of marketing posts and prints
throughput, latency, recall and false positives next to a bare Aho-Corasick pass.
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

    def handle(self, *args, posts, terms, seed, repeat, json: bool = False, **options):
        if posts < 1 or terms < 10 or repeat < 1:
            raise CommandError(
                "--posts and --repeat must be at least 1 and --terms at least 10", returncode=2
            )
        result = run_bench(posts=posts, terms=terms, seed=seed, repeat=repeat)
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(format_bench(result))
        rows = [bench_mod.accuracy(s) for s in (*TUNING_SEEDS, *HELD_OUT_SEEDS)]
        self.stdout.write(bench_mod.format_accuracy(rows, bench_mod.hazard_false_positives()))
        self.stdout.write(
            f"policy_lint --jsonl path (compile included): {result['jsonl_posts_per_s']:,} "
            f"posts/s; bare casefolded pass {result['jsonl_bare_posts_per_s']:,}; "
            f"ratio {result['jsonl_ratio_to_bare']}"
        )


def _dumps(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=True)
