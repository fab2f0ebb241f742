"""policy_import_bench [--runs N] [--json]

Times policy imports at and over the documented limits (policy/engine/schema.py), through
the API and the web import page of a throwaway brand, and what follows an import: the
version page, the first lint (which compiles the policy) and generating quiz questions.
Prints the best of N runs of each; deletes its data afterwards.
"""

from __future__ import annotations

import json
import random
import secrets
import string
import time

from django.core.management.base import CommandError
from django.test import Client
from django.test.utils import override_settings

from accounts import services as account_services
from accounts.models import Brand, Role, User
from config.commands import DatabaseCommand
from policy import selectors, services
from policy.engine import schema
from policy.training import services as training_services


def _words(rng: random.Random, n: int) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < n:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))
        # one term in five is a phrase of two words, as real banned lists have
        out[f"{word} {word[::-1]}" if len(out) % 5 == 0 else word] = None
    return list(out)


def _rules_yaml(rules: list[tuple[str, str, list[str]]]) -> str:
    lines = ["rules:"]
    for rule_id, kind, terms in rules:
        lines += [
            f"  - id: {rule_id}",
            f"    kind: {kind}",
            "    severity: block",
            "    message: Not on our accounts.",
            f"    terms: [{', '.join(terms)}]",  # letters and spaces only: plain scalars
        ]
    return "\n".join(lines) + "\n"


def at_limit_policy(seed: int = 1) -> str:
    """MAX_TERMS_TOTAL terms, MAX_TERMS_PER_RULE to a rule, as a banned list grows."""
    rng = random.Random(seed)
    terms = _words(rng, schema.MAX_TERMS_TOTAL)
    per = schema.MAX_TERMS_PER_RULE
    return _rules_yaml(
        [(f"banned-{i + 1}", "banned_terms", terms[i : i + per]) for i in range(0, len(terms), per)]
    )


def many_spellings_policy(seed: int = 1) -> str:
    """Terms of five words with eight letters that read as i or l, each looked for in ~527
    spellings (the most a term makes): as many as MAX_SPELLINGS allows, the most the
    engine's compile has to build; and brand names at their total limit."""
    rng = random.Random(seed)
    terms: dict[str, None] = {}
    while len(terms) < schema.MAX_SPELLINGS // 545:
        words = [rng.choice("il") + rng.choice("abcdefgh") + rng.choice("il") for _ in "1234"]
        terms[" ".join([*words, rng.choice("abcdefgh") * 2])] = None
    body = _rules_yaml([("look-alikes", "sensitive_topics", list(terms))])
    n = schema.MAX_CANONICAL_TOTAL_CHARS // schema.MAX_CANONICAL_CHARS
    for i in range(n):
        name = ("KitchenAidBlenderProfessionalSeries" + "XYZW")[: schema.MAX_CANONICAL_CHARS - 1]
        body += (
            f"  - id: brand-{i}\n    kind: brand_spelling\n    severity: warn\n"
            f"    message: Spell it right.\n    canonical: {name}{i}\n"
        )
    return body


def over_limit_files() -> dict[str, str]:
    rng = random.Random(2)
    total = _words(rng, schema.MAX_TERMS_TOTAL + 10_000)
    per = schema.MAX_TERMS_PER_RULE
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for letter in "bcdefghi":
        prev = chr(ord(letter) - 1)
        bomb += f"{letter}: &{letter} [{', '.join([f'*{prev}'] * 9)}]\n"
    return {
        f"{len(total):,} terms in {len(total) // per + 1} rules": _rules_yaml(
            [(f"r{i}", "banned_terms", total[i : i + per]) for i in range(0, len(total), per)]
        ),
        f"one rule of {per * 3:,} terms": _rules_yaml([("big", "banned_terms", total[: per * 3])]),
        "1.2 MB file": "rules: []\n#" + "x" * 1_200_000 + "\n",
        "a list of 480,000 one-letter terms": (
            "rules:\n  - {id: a, kind: banned_terms, severity: block, message: m, terms: ["
            + "a," * 480_000
            + "a]}\n"
        ),
        "aliases expanding to 387 million values": bomb + "rules: []\n",
        "nested 20,000 deep": "rules: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "a control character (U+0001)": "rules:\n  - id: a\x01\n",
    }


class Command(DatabaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="runs of each; the best counts")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, runs: int, json: bool = False, **options):
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        slug = f"bench-{secrets.token_hex(4)}"
        user = User.objects.create_user(username=slug, email=f"{slug}@example.invalid")
        brand = account_services.brand_create(slug=slug, name=f"Benchmark {slug}", created_by=None)
        account_services.membership_set(
            brand=brand, user=user, roles=[Role.ADMIN, Role.TRAINER], actor=None
        )
        try:
            with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
                figures = self._measure(brand, user, runs=runs)
        finally:
            Brand.objects.filter(pk=brand.pk).delete()
            user.delete()
        if json:
            self.stdout.write(_dumps(figures))
            return
        self.stdout.write(
            f"Limits: {schema.MAX_POLICY_BYTES:,} bytes, {schema.MAX_RULES} rules, "
            f"{schema.MAX_TERMS_PER_RULE:,} terms a rule, {schema.MAX_TERMS_TOTAL:,} in all, "
            f"{schema.MAX_TERM_CHARS} characters a term, {schema.MAX_SPELLINGS:,} spellings, "
            f"brand names {schema.MAX_CANONICAL_CHARS} characters ("
            f"{schema.MAX_CANONICAL_TOTAL_CHARS} together). Best of {runs}."
        )
        self.stdout.write("Refused (API):                            status  wall ms (CPU ms)")
        for name, (code, (wall, cpu), detail) in figures["refused"].items():
            self.stdout.write(
                f"  {name:<42} {code}  {wall * 1000:6.0f} ({cpu * 1000:4.0f})  {detail[:60]}"
            )
        self.stdout.write(f"{'At the limits:':<56}status  wall s (CPU s)")
        for name, (code, (wall, cpu)) in figures["allowed"].items():
            self.stdout.write(f"  {name:<52} {code}  {wall:6.2f} ({cpu:5.2f})")

    def _measure(self, brand: Brand, user: User, *, runs: int) -> dict:
        client = Client()
        client.force_login(user)
        api = f"/api/brands/{brand.slug}/policy/"

        def best(call):
            times, result = [], None
            for _ in range(runs):
                result, seconds = _timed(call)
                times.append(seconds)
            return result, min(times)

        refused = {}
        for name, text in over_limit_files().items():
            response, seconds = best(
                lambda text=text: client.post(api, {"yaml": text}, content_type="application/json")
            )
            detail = response.json().get("detail", "") if response.status_code < 500 else ""
            refused[name] = (response.status_code, seconds, detail)

        allowed = {}
        at_limit = at_limit_policy()
        size = f"{len(at_limit.encode()) / 1e6:.2f} MB"
        response, seconds = best(
            lambda: client.post(api, {"yaml": at_limit}, content_type="application/json")
        )
        allowed[f"API import, {schema.MAX_TERMS_TOTAL:,} terms ({size})"] = (
            response.status_code,
            seconds,
        )
        page = f"/b/{brand.slug}/policy/import/"
        response, seconds = best(lambda: client.post(page, {"yaml_text": at_limit}))
        allowed["web import of the same"] = (response.status_code, seconds)
        location = response.headers.get("Location", page)
        response, seconds = best(lambda: client.get(location))
        allowed["its version page (diff and YAML)"] = (response.status_code, seconds)
        allowed["first lint after it (compiles the policy)"] = self._first_lint(brand)
        allowed["generate 30 quiz questions from it"] = self._generate(brand, user)

        worst = many_spellings_policy()
        response, seconds = best(
            lambda: client.post(api, {"yaml": worst}, content_type="application/json")
        )
        allowed[f"API import, {schema.MAX_SPELLINGS:,} spellings + brand names"] = (
            response.status_code,
            seconds,
        )
        allowed["first lint after it (compiles the policy)"[:-1] + ", worst case)"] = (
            self._first_lint(brand)
        )
        return {"runs": runs, "refused": refused, "allowed": allowed}

    @staticmethod
    def _first_lint(brand: Brand) -> tuple[str, tuple[float, float]]:
        selectors._compiled.cache_clear()
        _, seconds = _timed(lambda: services.policy_lint(brand=brand, text="A great blender"))
        return "ok", seconds

    @staticmethod
    def _generate(brand: Brand, user: User) -> tuple[str, tuple[float, float]]:
        quiz = training_services.quiz_create(brand=brand, actor=user, title="Bench")
        questions, seconds = _timed(
            lambda: training_services.quiz_generate(quiz=quiz, actor=user, count=30, seed=1)
        )
        return f"{len(questions)}q", seconds


def _timed(call):
    """The result, and (wall-clock seconds, CPU seconds of this process): on a shared machine
    the CPU time says what the work costs, the wall time what a person waited."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def _dumps(figures: dict) -> str:
    return json.dumps(figures, indent=2, sort_keys=True)
