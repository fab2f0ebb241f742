"""Quiz questions generated from a policy: "May this post go out? If not, which rule stops it?"

Pure Python on top of :mod:`policy.engine` (no Django), so it can be tested on its own.

How a question is made:

1. A *sample post* is built from one rule of the policy: a banned term or sensitive topic
   written plainly or disguised (leetspeak, separators, full-width letters, homoglyphs,
   repeated letters), a post in a category without its required disclosure, one item over
   a ``max_count``, a link to a host that is not allowed, a misspelt brand name, or a clean
   post (and "near misses" that are fine: the disclosure present, a subdomain of an allowed
   host, the brand spelt right).
2. The sample is linted by the engine. A sample meant to break a rule is kept only when the
   engine indeed reports that rule, so a disguise the engine does not see through is never
   used.
3. The right answer is **what the engine says**, never what the generator meant: the set
   of rules with a *block* finding, or "It may go out" when there is none. A *warn*
   finding does not stop a post (it travels with it to the approvers), so for a post with
   warnings only "It may go out" is the right answer, and the explanation names the
   warning.

:func:`disagreement` lints a question again and says how its marked answer differs from
the engine's; publishing a quiz refuses any question for which it says something.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from policy.engine import CompiledPolicy
from policy.engine.matcher import parse_term

#: The rule id stored on the "It may go out" choice. Not a valid rule id, so never a clash.
GO = "(may-go-out)"
GO_TEXT = "It may go out: no rule stops it."
PROMPT_SINGLE = "May this post go out? If not, which rule stops it?"
PROMPT_MULTIPLE = "May this post go out? If not, which rules stop it? Tick every one."
MAX_RULE_CHOICES = 5

TECHNIQUES = ("plain", "leetspeak", "separators", "fullwidth", "homoglyph", "repeated")
TECHNIQUE_LABELS = {
    "plain": "written plainly",
    "leetspeak": "disguised with leetspeak (digits for letters)",
    "separators": "disguised with separators between the letters",
    "fullwidth": "disguised with full-width letters",
    "homoglyph": "disguised with look-alike letters from another alphabet",
    "repeated": "disguised with repeated letters",
    "missing_required": "missing the required wording for its category",
    "required_present": "with the required wording for its category",
    "over_max": "with one item more than the policy allows",
    "bad_link": "linking to a host the policy does not allow",
    "allowed_subdomain": "linking to a subdomain of an allowed host",
    "misspelt_brand": "with the brand name spelt wrongly",
    "brand_correct": "with the brand name spelt right",
    "clean": "an ordinary post",
    "promotional": "selling something next to a disaster or tragedy term",
    "new_hashtag": "with a hashtag the brand has not used before",
    "edited": "edited by a trainer",
}

CLEAN_POSTS = (
    "New season, new ideas: see what our team has been working on.",
    "What's the one thing you could not do without in the morning? Tell us below.",
    "Our support line is open until 8pm today.",
    "Caption this photo from our studio. Best answer gets a shout-out.",
    "Sweet or savoury for breakfast? Let us know in the replies.",
    "Thank you for 10,000 followers! Here's to the next chapter.",
    "Behind the scenes: how our new range came together.",
    "Rainy day plans? Our guide has five cosy ideas.",
)
TERM_FRAMES = (
    "Monday mood: {x}. Our new range lands on Friday.",
    "Honestly, {x}! Which colour is your favourite?",
    "Big week ahead, and {x} is all anyone talks about. Stay tuned.",
    "Our team has thoughts on {x}. More on the blog later.",
)
BRAND_FRAMES = (
    "Meet the new {x} range, in shops from Friday.",
    "Thanks for choosing {x}! Tell us what you made this weekend.",
)
HASHTAGS = [
    "#NewIn",
    "#WeekendVibes",
    "#HomeIdeas",
    "#Recipe",
    "#Tips",
    "#Spring",
    "#Summer",
    "#Autumn",
    "#Winter",
    "#Friday",
    "#Family",
    "#Brunch",
    "#Studio",
    "#Design",
    "#Colour",
    "#Cosy",
    "#Fresh",
    "#Weekday",
    "#Morning",
    "#Evening",
]
EMOJI = (
    "🍰",
    "✨",
    "🎉",
    "☕",
    "🔥",
    "👍",
    "😍",
    "🌸",
    "🍋",
    "🥐",
    "🌞",
    "🎈",
    "📸",
    "🧁",
    "🍓",
    "🌈",
)
CATEGORIES = ("engagement", "news", "support")
# A promotion riding on a term of a rule with ``when_promotional`` (a "hurricane sale").
PROMO_FRAMES = (
    "{x} weekend: 20% off everything, today only.",
    "Stuck inside because of the {x}? Free shipping on every order until midnight.",
    "{x} special: use code STAYIN at checkout for $10 off.",
)
# Hashtags a brand is unlikely to have used: real tags of past news events.
NEW_HASHTAGS = ("#WhyIStayed", "#NotGuilty", "#Aurora", "#Cairo", "#TrendingNow")
MAX_ITEMS = 20  # a max_count above this is not worth a question

_LEET = {"a": "4", "e": "3", "i": "1", "l": "1", "o": "0", "s": "5", "t": "7"}
_HOMOGLYPH = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і"}
_WORD_TERM = re.compile(r"^[^\W\d_]+(?:[ \-'][^\W\d_]+)*$")


# --- judging -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    rule: str
    severity: str
    message: str
    match: str


@dataclass(frozen=True)
class Verdict:
    """What the engine says about a sample post."""

    findings: tuple[Hit, ...]

    @property
    def blocking(self) -> list[str]:
        """Rule ids with a block finding, in the order they first appear."""
        return list(dict.fromkeys(h.rule for h in self.findings if h.severity == "block"))

    @property
    def warnings(self) -> list[str]:
        blocking = set(self.blocking)
        return list(dict.fromkeys(h.rule for h in self.findings if h.rule not in blocking))

    @property
    def answer(self) -> frozenset[str]:
        """The right answer: the blocking rules, or :data:`GO` when nothing blocks."""
        return frozenset(self.blocking) or frozenset({GO})

    def reports(self, rule_id: str) -> bool:
        return any(h.rule == rule_id for h in self.findings)


def judge(
    policy: CompiledPolicy, text: str, *, channel: str | None = None, category: str | None = None
) -> Verdict:
    result = policy.lint(text, channel=channel or None, category=category or None)
    return Verdict(tuple(Hit(f.rule, f.severity, f.message, f.match) for f in result.findings))


def disagreement(
    policy: CompiledPolicy,
    *,
    text: str,
    channel: str | None,
    category: str | None,
    choices: Iterable[tuple[str, bool]],
    multiple: bool,
) -> str | None:
    """Why a generated question's marked answer is not the engine's, or None when it is.

    ``choices`` are ``(rule_id, is_correct)`` pairs (:data:`GO` for "It may go out").
    """
    choices = list(choices)
    expected = judge(policy, text, channel=channel, category=category).answer
    offered = {rule for rule, _ in choices}
    marked = {rule for rule, correct in choices if correct}
    missing = sorted(expected - offered)
    if missing:
        return "the engine says " + _describe(expected) + ", which is not among the choices"
    if marked != expected:
        return f"it is marked {_describe(marked)}, but the engine says {_describe(expected)}"
    if multiple != (len(expected) > 1):
        return "its answer type (one or several answers) does not fit the engine's answer"
    return None


def _describe(answer: Iterable[str]) -> str:
    answer = sorted(answer)
    if not answer:
        return "with no answer"
    if answer == [GO]:
        return '"it may go out"'
    return "blocked by " + ", ".join(a for a in answer if a != GO)


# --- the question --------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedChoice:
    text: str
    rule_id: str
    is_correct: bool


@dataclass(frozen=True)
class GeneratedQuestion:
    prompt: str
    multiple: bool
    sample_text: str
    channel: str
    category: str
    technique: str
    target_rule: str
    explanation: str
    choices: tuple[GeneratedChoice, ...]


@dataclass(frozen=True)
class Sample:
    text: str
    technique: str
    target_rule: str = ""  # the rule it is meant to break ("" for a post meant to be fine)
    channel: str = ""
    category: str = ""


def rule_choice_text(rule: dict) -> str:
    message = " ".join(str(rule.get("message", "")).split())
    if len(message) > 160:
        message = message[:159].rstrip() + "…"
    return f"No: rule {rule['id']} stops it. ({message})"


def explain(verdict: Verdict, *, technique: str, version_label: str = "") -> str:
    """The explanation shown after answering: what the engine found, in plain words."""
    where = f" ({version_label})" if version_label else ""
    how = TECHNIQUE_LABELS.get(technique, "")
    disguised = technique in ("leetspeak", "separators", "fullwidth", "homoglyph", "repeated")
    parts = []
    blocking = verdict.blocking
    if blocking:
        lines = []
        for rule in blocking:
            hits = [h for h in verdict.findings if h.rule == rule and h.severity == "block"]
            matches = ", ".join(f"“{h.match}”" for h in hits if h.match)
            found = f" finds {matches}" if matches else ""
            lines.append(f"rule {rule}{found}: {_sentence(hits[0].message)}")
        parts.append(f"It may not go out. The policy{where} says " + " Also, ".join(lines))
        if disguised:
            parts.append(
                f"The post is {how}: the policy sees through disguised spellings, "
                "so they are caught like the plain word."
            )
    else:
        parts.append(f"It may go out: no rule of the policy{where} blocks it.")
    for rule in verdict.warnings:
        hit = next(h for h in verdict.findings if h.rule == rule)
        shown = f" about “{hit.match}”" if hit.match else ""
        parts.append(
            f"Rule {rule} warns{shown}: {_sentence(hit.message)} A warning travels with the "
            "post so approvers see it, but it does not stop the post."
        )
    return " ".join(parts)


def _sentence(message: str) -> str:
    message = " ".join(str(message).split())
    return message if message[-1:] in ".!?" else f"{message}."


def build_question(
    policy: CompiledPolicy,
    sample: Sample,
    rng: random.Random,
    *,
    rules: Sequence[dict],
    version_label: str = "",
) -> GeneratedQuestion:
    """A question on ``sample`` whose answer is the engine's verdict on it."""
    verdict = judge(policy, sample.text, channel=sample.channel, category=sample.category)
    answer = verdict.answer
    by_id = {r["id"]: r for r in rules if r.get("enabled", True)}
    correct = [r for r in verdict.blocking if r in by_id]
    # Distractors: rules that warned here (a classic mistake), then other blocking rules,
    # preferring other kinds than the ones that fired.
    fired_kinds = {by_id[r]["kind"] for r in correct}
    warned = [r for r in verdict.warnings if r in by_id and r not in correct]
    others = [
        r["id"]
        for r in by_id.values()
        if r["id"] not in correct and r["id"] not in warned and r["severity"] == "block"
    ]
    rng.shuffle(others)
    others.sort(key=lambda rid: by_id[rid]["kind"] in fired_kinds)
    wanted = min(MAX_RULE_CHOICES, max(3, len(correct) + 2))
    distractors = (warned[:1] + others)[: max(0, wanted - len(correct))]
    rule_ids = correct + distractors
    rng.shuffle(rule_ids)
    choices = [GeneratedChoice(GO_TEXT, GO, GO in answer)] + [
        GeneratedChoice(rule_choice_text(by_id[rid]), rid, rid in answer) for rid in rule_ids
    ]
    multiple = len(answer) > 1
    return GeneratedQuestion(
        prompt=PROMPT_MULTIPLE if multiple else PROMPT_SINGLE,
        multiple=multiple,
        sample_text=sample.text,
        channel=sample.channel,
        category=sample.category,
        technique=sample.technique,
        target_rule=sample.target_rule,
        explanation=explain(verdict, technique=sample.technique, version_label=version_label),
        choices=tuple(choices),
    )


# --- disguises -----------------------------------------------------------------------------


def evade(term: str, technique: str) -> str:
    """``term`` written with one disguise the engine is meant to see through."""
    if technique == "leetspeak":
        # Digits for letters, keeping each word's first letter so it still reads as a word.
        return " ".join(
            word[:1] + "".join(_LEET.get(ch, ch) if ch.islower() else ch for ch in word[1:])
            for word in term.split(" ")
        )
    if technique == "separators":
        sep = "." if len(term) % 2 else "-"
        return "  ".join(sep.join(word) for word in term.split())
    if technique == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    if technique == "homoglyph":
        return "".join(_HOMOGLYPH.get(c, c) for c in term)
    if technique == "repeated":
        vowels = [i for i, c in enumerate(term) if c.lower() in "aeiou"]
        spot = vowels[-1] if vowels else len(term) - 1
        return term[: spot + 1] + term[spot] * 3 + term[spot + 1 :]
    return term


def usable_terms(rule: dict) -> list[str]:
    """Terms of a term rule that make a readable sample: words, no wildcards or hashtags."""
    out = []
    for term in rule.get("terms") or []:
        term = str(term).strip()
        if "*" in term or term.startswith("#") or not 3 <= len(term) <= 30:
            continue
        if _WORD_TERM.match(term) and parse_term(term) is not None:
            out.append(term)
    return out


# --- samples per rule kind -----------------------------------------------------------------


@dataclass
class _Context:
    rules: list[dict]
    rng: random.Random
    canonical: str = ""  # the brand name, when the policy has a brand_spelling rule
    allowed_host: str = ""  # a host every link_domains rule allows
    used: set[str] = field(default_factory=set)

    def scope(self, rule: dict | None) -> tuple[str, str]:
        """A channel and category in which ``rule`` applies (or neutral ones)."""
        if rule is None:
            return "", self.rng.choice(CATEGORIES)
        channels = sorted(rule.get("channels") or [])
        categories = sorted(rule.get("categories") or [])
        return (channels[0] if channels else ""), (
            categories[0] if categories else self.rng.choice(CATEGORIES)
        )

    def finish(self, text: str, *, channel: str, category: str, skip: str = "") -> str:
        """Add what other rules require in this scope, so only the target rule fires."""
        extra = []
        for rule in self.rules:
            if rule["kind"] != "required_terms" or rule["id"] == skip:
                continue
            if not rule.get("enabled", True) or not _applies(rule, channel, category):
                continue
            term = rule["any_of"][0]
            if term.casefold() not in text.casefold():
                extra.append(term)
        return " ".join([text, *extra]) if extra else text


def _applies(rule: dict, channel: str, category: str) -> bool:
    channels = {str(c).casefold().lstrip("@") for c in rule.get("channels") or []}
    categories = {str(c).casefold() for c in rule.get("categories") or []}
    if channels and channel.casefold().lstrip("@") not in channels:
        return False
    return not categories or category.casefold() in categories


def _term_samples(ctx: _Context, rule: dict, techniques: list[str]) -> list[Sample]:
    terms = usable_terms(rule)
    ctx.rng.shuffle(terms)
    channel, category = ctx.scope(rule)
    out = []
    for term, technique in zip(terms, techniques, strict=False):
        shown = evade(term, technique)
        text = ctx.rng.choice(TERM_FRAMES).format(x=shown)
        text = ctx.finish(text, channel=channel, category=category)
        out.append(Sample(text, technique, rule["id"], channel, category))
    return out


def _promo_samples(ctx: _Context, rule: dict) -> list[Sample]:
    """A rule whose findings block in a promotion: its term in a post that sells."""
    terms = usable_terms(rule)
    ctx.rng.shuffle(terms)
    channel, _ = ctx.scope(rule)
    out = []
    for term in terms[:2]:
        shown = term[:1].upper() + term[1:]
        text = ctx.rng.choice(PROMO_FRAMES).format(x=shown)
        text = ctx.finish(text, channel=channel, category="promotional")
        out.append(Sample(text, "promotional", rule["id"], channel, "promotional"))
    return out


def _hashtag_samples(ctx: _Context, rule: dict) -> list[Sample]:
    """A post with a hashtag the brand has not used (the rule warns: it may go out, and
    the explanation says to check what the tag is about)."""
    channel, category = ctx.scope(rule)
    tags = list(NEW_HASHTAGS)
    ctx.rng.shuffle(tags)
    out = []
    for tag in tags[:2]:
        text = f"{ctx.rng.choice(CLEAN_POSTS)} {tag}"
        text = ctx.finish(text, channel=channel, category=category)
        out.append(Sample(text, "new_hashtag", rule["id"], channel, category))
    return out


def _required_samples(ctx: _Context, rule: dict) -> list[Sample]:
    channel, category = ctx.scope(rule)
    base = ctx.rng.choice(CLEAN_POSTS)
    missing = ctx.finish(base, channel=channel, category=category, skip=rule["id"])
    present = ctx.finish(f"{base} {rule['any_of'][0]}", channel=channel, category=category)
    return [
        Sample(missing, "missing_required", rule["id"], channel, category),
        Sample(present, "required_present", "", channel, category),
    ]


def _items(what: str, n: int, ctx: _Context) -> list[str]:
    host = ctx.allowed_host or "example.com"
    if what == "hashtags":
        return HASHTAGS[:n] if n <= len(HASHTAGS) else []
    if what == "mentions":
        return [f"@friend{i + 1}" for i in range(n)]
    if what == "links":
        return [f"https://{host}/p/{i + 1}" for i in range(n)]
    return list(EMOJI[:n]) if n <= len(EMOJI) else []


def _max_samples(ctx: _Context, rule: dict) -> list[Sample]:
    limit = int(rule["max"])
    if limit + 1 > MAX_ITEMS:
        return []
    items = _items(rule["what"], limit + 1, ctx)
    if not items:
        return []
    channel, category = ctx.scope(rule)
    text = ctx.finish(
        f"{ctx.rng.choice(CLEAN_POSTS)} {' '.join(items)}", channel=channel, category=category
    )
    return [Sample(text, "over_max", rule["id"], channel, category)]


def _link_samples(ctx: _Context, rule: dict) -> list[Sample]:
    allowed = [str(h).lower().lstrip(".") for h in rule.get("allow") or []]
    base = allowed[0].split(".")[0] if allowed else "our-shop"
    channel, category = ctx.scope(rule)
    post = ctx.rng.choice(CLEAN_POSTS)
    out = [
        Sample(
            ctx.finish(
                f"{post} https://{base}-deals.shop/offer", channel=channel, category=category
            ),
            "bad_link",
            rule["id"],
            channel,
            category,
        )
    ]
    if allowed:
        out.append(
            Sample(
                ctx.finish(
                    f"{post} https://shop.{allowed[0]}/new", channel=channel, category=category
                ),
                "allowed_subdomain",
                "",
                channel,
                category,
            )
        )
    return out


def _brand_samples(ctx: _Context, rule: dict) -> list[Sample]:
    canonical = str(rule["canonical"]).strip()
    channel, category = ctx.scope(rule)
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", canonical)
    wrong = [canonical.lower(), canonical.upper(), spaced if spaced != canonical else ""]
    wrong = [w for w in wrong if w and w != canonical]
    frame = ctx.rng.choice(BRAND_FRAMES)
    out = [
        Sample(
            ctx.finish(frame.format(x=w), channel=channel, category=category),
            "misspelt_brand",
            rule["id"],
            channel,
            category,
        )
        for w in wrong
    ]
    out.append(
        Sample(
            ctx.finish(frame.format(x=canonical), channel=channel, category=category),
            "brand_correct",
            "",
            channel,
            category,
        )
    )
    return out


def _clean_sample(ctx: _Context) -> Sample:
    channel, category = ctx.scope(None)
    text = ctx.rng.choice(CLEAN_POSTS)
    if ctx.canonical and ctx.rng.random() < 0.5:
        text = f"{text} From all of us at {ctx.canonical}."
    if ctx.allowed_host and ctx.rng.random() < 0.5:
        text = f"{text} https://{ctx.allowed_host}/"
    return Sample(
        ctx.finish(text, channel=channel, category=category), "clean", "", channel, category
    )


def _allowed_host(rules: list[dict]) -> str:
    lists = [
        [str(h).lower() for h in r.get("allow") or []]
        for r in rules
        if r["kind"] == "link_domains" and r.get("enabled", True)
    ]
    if not lists:
        return ""
    common = [h for h in lists[0] if all(h in other for other in lists[1:])]
    return common[0] if common else ""


def candidate_samples(
    rules: Sequence[dict], rng: random.Random, *, targets: Iterable[str] | None = None
) -> tuple[list[Sample], list[Sample]]:
    """Samples meant to break a rule (of ``targets``, default all), and samples meant to be
    fine, before judging. Every enabled rule shapes the samples (required wording, links)."""
    rules = [dict(r) for r in rules if r.get("enabled", True)]
    wanted = set(targets) if targets is not None else None
    brand = next((r for r in rules if r["kind"] == "brand_spelling"), None)
    ctx = _Context(
        rules=rules,
        rng=rng,
        canonical=str(brand["canonical"]).strip() if brand else "",
        allowed_host=_allowed_host(rules),
    )
    breaking: dict[str, list[list[Sample]]] = {}
    fine: list[Sample] = []
    offset = rng.randrange(len(TECHNIQUES))
    for i, rule in enumerate(rules):
        if wanted is not None and rule["id"] not in wanted:
            continue
        kind = rule["kind"]
        samples: list[Sample] = []
        if kind in ("banned_terms", "sensitive_topics"):
            # Every technique in turn, starting at a different one for each rule.
            techniques = [TECHNIQUES[(offset + i + k) % len(TECHNIQUES)] for k in range(6)]
            samples = _term_samples(ctx, rule, techniques)
            if rule.get("when_promotional"):
                samples = _promo_samples(ctx, rule) + samples
        elif kind == "hashtags":
            samples = _hashtag_samples(ctx, rule)
        elif kind == "required_terms":
            samples = _required_samples(ctx, rule)
        elif kind == "max_count":
            samples = _max_samples(ctx, rule)
        elif kind == "link_domains":
            samples = _link_samples(ctx, rule)
        elif kind == "brand_spelling":
            samples = _brand_samples(ctx, rule)
        breaking.setdefault(kind, []).append([s for s in samples if s.target_rule])
        fine += [s for s in samples if not s.target_rule]
    fine += [_clean_sample(ctx) for _ in range(4)]
    # Interleave, so a few questions cover many kinds of rule: round-robin over the rules of
    # each kind, then round-robin over the kinds.
    per_kind = [_interleave(lists, rng) for lists in breaking.values()]
    return _interleave(per_kind, rng), fine


def _interleave(lists: list[list[Sample]], rng: random.Random) -> list[Sample]:
    """The first of each list (in a random order), then the second of each, and so on."""
    depth = max((len(items) for items in lists), default=0)
    out: list[Sample] = []
    for k in range(depth):
        round_ = [items[k] for items in lists if k < len(items)]
        rng.shuffle(round_)
        out += round_
    return out


def generate(
    policy: CompiledPolicy,
    *,
    count: int,
    seed: int | None = None,
    rule_ids: Iterable[str] | None = None,
    version_label: str = "",
) -> list[GeneratedQuestion]:
    """Up to ``count`` questions from the policy's rules (all, or only ``rule_ids``).

    About a quarter are posts that may go out. Every sample meant to break a rule is kept
    only if the engine reports that rule; every answer is the engine's.
    """
    rng = random.Random(seed)
    rules = [dict(r) for r in policy.rules if r.get("enabled", True)]
    breaking, fine = candidate_samples(rules, rng, targets=rule_ids)
    fine_wanted = 0 if count < 2 else max(1, round(count / 4))
    questions: list[GeneratedQuestion] = []
    seen: set[str] = set()
    kept_breaking: list[Sample] = []
    for sample in breaking:
        if len(kept_breaking) >= count - fine_wanted:
            break
        if sample.text in seen:
            continue
        verdict = judge(policy, sample.text, channel=sample.channel, category=sample.category)
        if not verdict.reports(sample.target_rule):
            continue  # a disguise the engine does not see through is never used
        seen.add(sample.text)
        kept_breaking.append(sample)
    rng.shuffle(fine)
    kept_fine = []
    for sample in fine:
        if len(kept_fine) >= count - len(kept_breaking):
            break
        if sample.text not in seen:
            seen.add(sample.text)
            kept_fine.append(sample)
    picked = kept_breaking + kept_fine
    rng.shuffle(picked)
    for sample in picked:
        questions.append(
            build_question(policy, sample, rng, rules=rules, version_label=version_label)
        )
    return questions
