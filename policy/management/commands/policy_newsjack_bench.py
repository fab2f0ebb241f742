"""policy_newsjack_bench [--posts N] [--seed S ...]

Replays the brand-account incidents of ``policy/engine/newsjack_corpus.py`` against the
starter policy with the general preset (the brand's own hashtags as its vocabulary, no
moment; then with the moment an admin would have added that day), and counts the ordinary
posts (recipes, product news, events with the brand's own hashtags) that gain a block or a
warning, for the tuning seeds and the held-out seeds. Exit 1 when an incident passes
unflagged or an ordinary post is blocked.
"""

from django.core.management.base import BaseCommand

from policy.engine import compile_policy
from policy.engine import newsjack_corpus as corpus
from policy.engine.guard import GuardedPolicy
from policy.engine.presets import preset_rules


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=2000)
        parser.add_argument("--seed", type=int, action="append", dest="seeds")
        parser.add_argument("--preset", default="general")

    def handle(self, *args, posts, seeds, preset, **options):
        policy = GuardedPolicy(compile_policy(preset_rules(preset)))
        out = self.stdout
        failed = False
        out.write(f"Incidents against the starter policy ({preset} preset):")
        for r in corpus.replay(policy):
            moment = ""
            if r.with_moment is not None:
                moment = " | with the day's moment: " + (
                    "blocked" if r.with_moment else "NOT blocked"
                )
            failed |= r.outcome == "MISSED"
            out.write(f"  {r.outcome:8} {r.incident.who:24} {', '.join(r.rules) or '-'}{moment}")
        seeds = seeds or [*corpus.TUNING_SEEDS, *corpus.HELD_OUT_SEEDS]
        out.write(f"Ordinary posts ({posts} a seed) that gain a block / a warning:")
        for seed in seeds:
            fp = corpus.false_positives(policy, seed, posts)
            label = "held out" if seed in corpus.HELD_OUT_SEEDS else "tuned"
            out.write(f"  seed {seed:5} ({label:8}): {fp.blocks} blocked, {fp.warned} warned")
            for text, why in fp.blocked[:5]:
                out.write(f"      {why}: {text}")
            failed |= fp.blocks > 0
        if failed:
            raise SystemExit(1)
