"""Compiled policies and lint results."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from policy.engine import brand as brand_mod
from policy.engine import entities
from policy.engine import normalize as nz
from policy.engine.matcher import TermAutomaton
from policy.engine.schema import validate_rules

TERM_KINDS = ("banned_terms", "sensitive_topics")
_LEET_OR_TAG = re.compile(r"[0-9@$!|#]")
_SCOPE_CACHE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Finding:
    """One place in the text that a rule objects to; ``text[start:end] == match``."""

    rule: str
    severity: str
    start: int
    end: int
    match: str
    message: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "match": self.match,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class LintResult:
    """Findings sorted by (start, end, rule); blocked when any has severity "block"."""

    findings: list[Finding]

    @property
    def blocked(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class _Rule:
    slot: int  # position among the enabled rules
    id: str
    kind: str
    severity: str
    message: str
    channels: frozenset[str] | None
    categories: frozenset[str] | None
    data: Any = None  # kind-specific compiled data

    def applies(self, channel: str | None, platform: str | None, category: str | None) -> bool:
        if self.channels is not None and not (
            (channel is not None and channel in self.channels)
            or (platform is not None and platform in self.channels)
        ):
            return False
        return self.categories is None or (category is not None and category in self.categories)


# A word of letters with stars in it (starting with a letter, so *bold* is not one).
_MASKED_TOKEN_RE = re.compile(r"(?<![\w*])[^\W\d_](?:[^\W\d_]|\*)*\*(?:[^\W\d_]|\*)*(?![\w*])")
_MASKABLE_RE = re.compile(r"[^\W\d_]{3,}")


def _spelled_out(written: str) -> bool:
    """Whether no two different letters touch: b.l.o.w y.o.u.r, not "blowyour"."""
    chars = [c for c in written if unicodedata.category(c) not in ("Mn", "Me", "Cf")]
    return not any(
        _letterish(a) and _letterish(b) and a.casefold() != b.casefold()
        for a, b in itertools.pairwise(chars)
    )


def _letterish(ch: str) -> bool:
    return ch.isalnum() or ch in "@$!|"


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return (f.start, f.end, f.rule)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to run for one scope (channel, platform, category), grouped by rule kind so
    that ``lint`` does no per-rule dispatch."""

    terms: frozenset[int] | None  # slots of the term rules that apply
    needs_urls: bool
    brands: tuple[_Rule, ...] = ()
    required: tuple[_Rule, ...] = ()
    counts: tuple[tuple[_Rule, str, int], ...] = ()  # (rule, what, max)
    links: tuple[_Rule, ...] = ()
    needs_runs: bool = False  # the non-ASCII runs (brand and emoji rules)


@dataclass(frozen=True, slots=True)
class _Brand:
    canonical: str  # without leading/trailing punctuation
    joined: str  # the same without spaces and hyphens, as in a hashtag
    pattern: re.Pattern  # every spelling
    ascii_pattern: re.Pattern  # the same for texts without non-ASCII letters


def _handle(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip().casefold()
    value = value[1:] if value.startswith("@") else value
    return value or None


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class _Required:
    """required_terms: present when one of the terms is written, case-insensitively,
    as a whole word (a hashtag term as a whole hashtag)."""

    pattern: re.Pattern

    @classmethod
    def build(cls, terms: list[str]) -> _Required:
        parts = [r"\s+".join(re.escape(w) for w in term.split()) for term in terms]
        return cls(re.compile(f"(?:{'|'.join(parts)})(?!\\w)", re.IGNORECASE))

    def present(self, text: str) -> bool:
        for m in self.pattern.finditer(text):
            start = m.start()
            before = text[start - 1] if start else ""
            if before and (
                before.isalnum() or before in "_@" or (before == "#" and m.group()[0] == "#")
            ):
                continue
            return True
        return False


class CompiledPolicy:
    """A policy ready to lint with. Immutable; ``lint`` is safe to call from many threads."""

    __slots__ = (
        "_automaton",
        "_frozen",
        "_masked",
        "_rules",
        "_scope_cache",
        "rules",
    )

    def __init__(self, rules: list[dict]):
        rules = validate_rules(rules)
        compiled: list[_Rule] = []
        terms = TermAutomaton()
        masked: dict[int, list[tuple[int, str]]] = {}
        for rule in rules:
            if not rule["enabled"]:
                continue
            kind = rule["kind"]
            data: Any = None
            slot = len(compiled)
            if kind in TERM_KINDS:
                for term in rule["terms"]:
                    terms.add(slot, term)
                    word = term.strip().casefold()
                    if _MASKABLE_RE.fullmatch(word):
                        masked.setdefault(len(word), []).append((slot, word))
            elif kind == "brand_spelling":
                core = brand_mod.core(rule["canonical"])
                data = _Brand(
                    canonical=core,
                    joined=re.sub(r"[\s\-\u2010-\u2015_.]", "", core),
                    pattern=brand_mod.brand_pattern(core),
                    ascii_pattern=brand_mod.brand_pattern(core, alikes=False),
                )
            elif kind == "required_terms":
                data = _Required.build(rule["any_of"])
            elif kind == "max_count":
                data = (rule["what"], rule["max"])
            elif kind == "link_domains":
                data = tuple(entities.normalise_host(h) for h in rule["allow"])
            channels = rule.get("channels")
            categories = rule.get("categories")
            compiled.append(
                _Rule(
                    slot=slot,
                    id=rule["id"],
                    kind=kind,
                    severity=rule["severity"],
                    message=rule["message"],
                    channels=frozenset(_handle(c) for c in channels) if channels else None,
                    categories=frozenset(c.casefold() for c in categories) if categories else None,
                    data=data,
                )
            )
        self._rules = tuple(compiled)
        self._automaton = terms.build()
        self._masked = {n: tuple(words) for n, words in masked.items()}
        self._scope_cache: dict[tuple, _Plan] = {}
        self.rules = _freeze([dict(r) for r in rules])
        self._frozen = True

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError("a CompiledPolicy cannot be changed; compile a new one")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"<CompiledPolicy: {len(self.rules)} rules, {len(self._rules)} enabled>"

    # --- scope ----------------------------------------------------------------------------

    def _plan(self, channel, platform, category) -> _Plan:
        key = (channel, platform, category)
        plan = self._scope_cache.get(key)
        if plan is None:
            scope = (_handle(channel), _handle(platform), category.casefold() if category else None)
            active = [rule for rule in self._rules if rule.applies(*scope)]
            terms = frozenset(r.slot for r in active if r.kind in TERM_KINDS)
            plan = _Plan(
                terms=terms if terms and self._automaton is not None else None,
                needs_urls=any(
                    r.kind in ("brand_spelling", "link_domains")
                    or (r.kind == "max_count" and r.data[0] != "emoji")
                    for r in active
                ),
                brands=tuple(r for r in active if r.kind == "brand_spelling"),
                required=tuple(r for r in active if r.kind == "required_terms"),
                counts=tuple((r, *r.data) for r in active if r.kind == "max_count"),
                links=tuple(r for r in active if r.kind == "link_domains"),
                needs_runs=any(
                    r.kind == "brand_spelling" or (r.kind == "max_count" and r.data[0] == "emoji")
                    for r in active
                ),
            )
            if len(self._scope_cache) >= _SCOPE_CACHE_LIMIT:
                self._scope_cache.clear()
            self._scope_cache[key] = plan
        return plan

    # --- lint -----------------------------------------------------------------------------

    def lint(
        self,
        text: str,
        channel: str | None = None,
        platform: str | None = None,
        category: str | None = None,
    ) -> LintResult:
        """Check ``text``; ``channel`` (a handle), ``platform`` and ``category`` select
        the scoped rules that apply. Any string is accepted."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        plan = self._plan(channel, platform, category)
        urls = entities.find_urls(text) if plan.needs_urls else []
        findings = self._terms(text, plan.terms) if plan.terms else []
        # The non-ASCII runs, found once for the brand and emoji rules.
        runs = nz.non_ascii_runs(text) if plan.needs_runs and not text.isascii() else None
        for rule in plan.brands:
            found = self._brand(rule, text, urls, runs)
            if found:
                findings += found
        for rule in plan.required:
            if not rule.data.present(text):
                findings.append(self._finding(rule, text, 0, 0))
        if plan.counts:
            items: dict[str, list[tuple[int, int]]] = {"links": urls}
            for rule, what, limit in plan.counts:
                found = items.get(what)
                if found is None:
                    if what == "hashtags":
                        found = entities.find_hashtags(text, urls)
                    elif what == "mentions":
                        found = entities.find_mentions(text, urls)
                    else:
                        found = entities.find_emoji(text, runs or [])
                    items[what] = found
                if len(found) > limit:
                    findings += [self._finding(rule, text, a, b) for a, b in found[limit:]]
        if plan.links and urls:
            hosts = [entities.url_host(text[a:b]) for a, b in urls]
            for rule in plan.links:
                allowed = rule.data
                for (a, b), host in zip(urls, hosts, strict=True):
                    if not entities.host_allowed(host, allowed):
                        findings.append(self._finding(rule, text, a, b))
        if len(findings) > 1:
            findings.sort(key=_sort_key)
        return LintResult(findings)

    @staticmethod
    def _finding(rule: _Rule, text: str, start: int, end: int) -> Finding:
        return Finding(
            rule=rule.id,
            severity=rule.severity,
            start=start,
            end=end,
            match=text[start:end],
            message=rule.message,
            kind=rule.kind,
        )

    def _masked_hits(self, text: str, active: frozenset[int]) -> dict[int, set[tuple[int, int]]]:
        """Self-censored words: ``f*ck``, ``f**k``, ``sh*t``, ``f***`` stand for a term of the
        same length whose letters agree where they are shown. A lone trailing star is a
        footnote (``free*``), not a mask."""
        found: dict[int, set[tuple[int, int]]] = {}
        for m in _MASKED_TOKEN_RE.finditer(text):
            token = m.group().casefold()
            if token.count("*") < 2 and token.endswith("*"):
                continue
            for slot, word in self._masked.get(len(token), ()):
                if slot in active and all(c in ("*", w) for c, w in zip(token, word, strict=True)):
                    found.setdefault(slot, set()).add((m.start(), m.end()))
        return found

    def _terms(self, text: str, active: frozenset[int]) -> list[Finding]:
        masked = self._masked_hits(text, active) if self._masked and "*" in text else {}
        s = nz.skeleton(text)
        padded = nz.collapse(s)
        flagged = None
        hits = []
        for end, (length, entries) in self._automaton.iter(padded):
            for entry in entries:
                if entry.slot not in active:
                    continue
                if entry.required:
                    if flagged is None:
                        flagged = nz.flags(s)
                    first = end - length + 1
                    if not all(flagged[first + o] in nz.FLAG_CHARS for o in entry.required):
                        continue
                hits.append((end, length, entry))
        if not hits and not masked:
            return []
        tracked = nz.tracked_skeleton(text) if hits else None
        urls = None
        per_rule: dict[int, set[tuple[int, int]]] = masked
        for end, length, entry in hits:
            start, stop = tracked.span(end - length + 2, end - entry.trail)
            if entry.spelled and not _spelled_out(text[start:stop]):
                continue
            # A link made only of single letters (4.s.s.h.o.l.ee) is spelled-out evasion.
            if _LEET_OR_TAG.search(text, start, stop) and not _spelled_out(text[start:stop]):
                if urls is None:
                    urls = entities.find_urls(text)
                if any(a <= start and stop <= b for a, b in urls):
                    continue  # bit.ly/a55 is a short link, not leetspeak
            per_rule.setdefault(entry.slot, set()).add((start, stop))
        findings: list[Finding] = []
        for slot, spans in per_rule.items():
            rule = self._rules[slot]
            kept: list[tuple[int, int]] = []
            for start, stop in sorted(spans, key=lambda s: (s[0], -s[1])):
                if kept and kept[-1][0] <= start and stop <= kept[-1][1]:
                    continue  # inside a longer match of the same rule
                kept.append((start, stop))
            findings.extend(self._finding(rule, text, a, b) for a, b in kept)
        return findings

    def _brand(self, rule: _Rule, text: str, urls, runs=None) -> list[Finding]:
        brand: _Brand = rule.data
        found = []
        mentions = None
        alikes = runs is not None and brand_mod.has_latin_alikes(text, runs)
        pattern = brand.pattern if alikes else brand.ascii_pattern
        canonical = brand.canonical
        for m in pattern.finditer(text):
            written = m.group()
            if written == canonical:
                continue  # the right spelling: nothing more to check
            start, stop = m.span()
            if not brand_mod.is_word_start(text, start):
                continue
            before = text[start - 1] if start else ""
            if before and before in "@./":
                continue  # an e-mail address, a handle or part of a host name
            if any(a <= start and stop <= b for a, b in urls):
                continue  # a link is not copy
            if mentions is None:
                mentions = entities.find_mentions(text, urls)
            if any(a <= start and stop <= b for a, b in mentions):
                continue
            if before == "#" and written == brand.joined:
                continue  # #CocaCola for Coca-Cola
            found.append(self._finding(rule, text, start, stop))
        return found


def compile_policy(rules) -> CompiledPolicy:
    """Validate and compile rules (from ``parse_policy_yaml``, a form or the database)."""
    return CompiledPolicy(rules)
