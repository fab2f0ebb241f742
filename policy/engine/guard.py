"""The newsjacking guard on top of a compiled policy: hashtags nobody vetted, sensitive
moments, and tragedy terms in a post that sells.

``GuardedPolicy`` wraps a ``CompiledPolicy`` and lints the same way (``lint``,
``lint_many``, ``rules``), adding:

- ``hashtags`` rules: every hashtag whose key (``hashtags.tag_key``) is not in the brand's
  vocabulary, the rule's ``known`` tags or the hashtags the policy itself requires
  (``#ad``) is a finding on the tag, '#' included. The vocabulary is data the caller passes
  in a ``LintContext``; without one (``vocabulary=None``) these rules do not run, since only
  the brand can say which tags it uses.
- ``when_promotional: block`` on a ``sensitive_topics`` rule: its findings warn, and block
  when the post is promotional (``promo.promotion``), with the reason in the message.
- sensitive moments (``Moment``): current events with terms and tags, compiled into a small
  policy of their own (``compile_moments``) and passed in the context while active; they
  match like every sensitive topic (case, accents, look-alikes, camel-case hashtags).

Every finding indexes the text as given (``text[start:end] == match``). Pure Python, no
Django, immutable and thread-safe like the policy it wraps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from policy.engine import hashtags as tags_mod
from policy.engine.compiler import (
    CompiledPolicy,
    Finding,
    LintResult,
    compile_policy,
    filled,
)
from policy.engine.promo import Promotion, promotion

MOMENT_PREFIX = "moment-"
_NOTHING = LintResult([])  # read only, never returned


@dataclass(frozen=True, slots=True)
class Moment:
    """A current event a brand should not ride: its terms (matched as words and inside
    hashtags) and tags (matched as hashtags only)."""

    id: int | str
    name: str
    severity: str
    terms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    message: str = ""

    @property
    def rule_id(self) -> str:
        return f"{MOMENT_PREFIX}{self.id}"

    def as_rule(self) -> dict:
        terms = list(dict.fromkeys([*self.terms, *(_as_tag(t) for t in self.tags)]))
        message = self.message or (
            f"Sensitive moment: {self.name}. Brands go quiet on this while it lasts; "
            "check with an admin before you post."
        )
        return {
            "id": self.rule_id,
            "kind": "sensitive_topics",
            "severity": self.severity,
            "message": message,
            "terms": terms,
        }


def _as_tag(tag: str) -> str:
    tag = tag.strip()
    return tag if tag.startswith("#") else f"#{tag}"


def compile_moments(moments: Iterable[Moment]) -> CompiledPolicy | None:
    """One compiled policy for the moments (None when there are none)."""
    rules = [m.as_rule() for m in moments if m.terms or m.tags]
    return compile_policy(rules) if rules else None


@dataclass(frozen=True, slots=True)
class LintContext:
    """What the brand knows at lint time: its hashtag vocabulary (keys, see
    ``hashtags.vocabulary_keys``; None when not known) and its active moments."""

    vocabulary: frozenset[str] | None = None
    moments: CompiledPolicy | None = None


EMPTY = LintContext()


def _handle(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip().casefold()
    value = value[1:] if value.startswith("@") else value
    return value or None


def _applies(rule: dict, channel, platform, category) -> bool:
    """The compiler's scope test, on a rule as written."""
    channels = rule.get("channels")
    if channels:
        wanted = {_handle(c) for c in channels}
        if not (
            (channel and _handle(channel) in wanted) or (platform and _handle(platform) in wanted)
        ):
            return False
    categories = rule.get("categories")
    if categories:
        return bool(category) and category.casefold() in {c.casefold() for c in categories}
    return True


@dataclass(frozen=True, slots=True)
class _TagRule:
    rule: dict
    known: frozenset[str]


class GuardedPolicy:
    """A compiled policy with the newsjacking guard (see the module's docstring)."""

    __slots__ = ("_escalating", "_tag_rules", "base", "context", "rules")

    def __init__(self, base: CompiledPolicy, context: LintContext | None = None):
        self.base = base
        self.context = context or EMPTY
        # the policy's rules, then the active moments' (rule ids "moment-<id>")
        moments = self.context.moments
        self.rules = tuple(base.rules) + (tuple(moments.rules) if moments else ())
        enabled = [r for r in base.rules if r.get("enabled", True)]
        required = tags_mod.vocabulary_keys(
            term
            for r in enabled
            if r["kind"] == "required_terms"
            for term in r["any_of"]
            if term.startswith("#")
        )
        self._tag_rules = tuple(
            _TagRule(r, required | tags_mod.vocabulary_keys(r.get("known") or ()))
            for r in enabled
            if r["kind"] == "hashtags"
        )
        self._escalating = {
            r["id"]: r
            for r in enabled
            if r["kind"] == "sensitive_topics" and r.get("when_promotional")
        }

    def __repr__(self) -> str:
        return f"<GuardedPolicy over {self.base!r}>"

    def with_context(self, context: LintContext | None) -> GuardedPolicy:
        """The same policy linting with ``context`` (the brand's vocabulary, its moments)."""
        return GuardedPolicy(self.base, context)

    @property
    def hashtag_rules(self) -> list[dict]:
        return [t.rule for t in self._tag_rules]

    def lint(
        self,
        text: str,
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
        fast: bool = True,
    ) -> LintResult:
        result = self.base.lint(text, channel, platform, category, fast)
        moments = self.context.moments
        extra = moments.lint(text, channel, platform, category, fast).findings if moments else []
        return self._guard(text, result, extra, channel, platform, category)

    def prepare(self) -> None:
        self.base.prepare()

    def lint_many(
        self,
        texts: list[str],
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
    ) -> list[LintResult]:
        """``[self.lint(text, ...) for text in texts]``, batched (``lint_batch``)."""
        return filled(self.lint_batch(texts, channel, platform, category))

    def lint_batch(
        self,
        texts: list[str],
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
    ) -> list[LintResult | None]:
        """``lint_many``, with None for a text with no findings (``CompiledPolicy.lint_batch``)."""
        results = self.base.lint_batch(texts, channel, platform, category)
        moments = self.context.moments
        extras = moments.lint_batch(texts, channel, platform, category) if moments else None
        tagged = self.context.vocabulary is not None and bool(self._tag_rules)
        out: list[LintResult | None] = []
        for k, (text, result) in enumerate(zip(texts, results, strict=True)):
            extra = extras[k] if extras is not None else None
            if result is None and extra is None and not (tagged and "#" in text):
                out.append(None)  # nothing found, and no hashtag to vet
                continue
            guarded = self._guard(
                text,
                _NOTHING if result is None else result,
                [] if extra is None else extra.findings,
                channel,
                platform,
                category,
            )
            out.append(guarded if guarded.findings else None)
        return out

    # --- the guard -------------------------------------------------------------------------

    def _guard(self, text, result: LintResult, extra, channel, platform, category) -> LintResult:
        findings = list(result.findings)
        changed = bool(extra)
        if self._escalating and findings:
            sold: list[Promotion | None] = []
            for i, f in enumerate(findings):
                rule = self._escalating.get(f.rule)
                if rule is None or f.severity == "block":
                    continue
                if not sold:
                    sold.append(promotion(text, category))
                if sold[0] is not None:
                    findings[i] = replace(
                        f, severity="block", message=_escalated(rule["message"], sold[0])
                    )
                    changed = True
        vocabulary = self.context.vocabulary
        if vocabulary is not None and self._tag_rules and "#" in text:
            for tag_rule in self._tag_rules:
                rule = tag_rule.rule
                if not _applies(rule, channel, platform, category):
                    continue
                known = vocabulary | tag_rule.known
                for start, end in tags_mod.unvetted(text, known):
                    match = text[start:end]
                    findings.append(
                        Finding(
                            rule=rule["id"],
                            severity=rule["severity"],
                            start=start,
                            end=end,
                            match=match,
                            message=tags_mod.message_for(rule["message"], match),
                            kind="hashtags",
                        )
                    )
                    changed = True
        if not changed:
            return result
        findings += extra
        findings.sort(key=lambda f: (f.start, f.end, f.rule))
        return LintResult(findings)


def _escalated(message: str, sold: Promotion) -> str:
    message = message.rstrip()
    if message and message[-1] not in ".!?":
        message += "."
    return (
        f"{message} It blocks here because the post is promotional ({sold.reason}): "
        "a promotion never rides on a disaster or a tragedy."
    )


def guard(base: CompiledPolicy, context: LintContext | None = None) -> GuardedPolicy:
    return GuardedPolicy(base, context)
