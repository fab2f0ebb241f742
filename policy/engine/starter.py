"""The starter policy a new brand begins with.

Profanity comes from the LDNOOBW word lists (CC BY 4.0, Shutterstock; see
``policy/data/wordlists/ATTRIBUTION.md``), curated by ``policy/data/curation.yaml``:
everyday words are left out and slurs get their own rule. The topic lists in
``policy/data/starter_topics.yaml`` are Countersign's own.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import yaml

from policy.engine.normalize import DATA_DIR
from policy.engine.schema import RuleList, validate_rules

HASHTAG_MESSAGE = "{tag} has not been used by this brand: check what it is about before you post"
#: Rules that are off in the starter policy; the presets (``presets.py``) switch them on.
OFF_BY_DEFAULT = (
    "sensitive-alcohol-drugs",
    "sensitive-gambling",
    "sensitive-financial-promises",
    "sensitive-drugs",
)

LANGUAGES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese"}


def read_wordlist(lang: str) -> list[str]:
    text = (DATA_DIR / "wordlists" / f"{lang}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_curation() -> dict:
    return yaml.safe_load((DATA_DIR / "curation.yaml").read_text(encoding="utf-8"))


def read_topics() -> dict[str, list[str]]:
    return yaml.safe_load((DATA_DIR / "starter_topics.yaml").read_text(encoding="utf-8"))


def _profanity(lang: str, curation: dict) -> tuple[list[str], list[str]]:
    drop = {w.casefold() for w in curation[lang].get("drop", [])}
    slurs = {w.casefold() for w in curation[lang].get("slurs", [])}
    kept, moved = [], []
    for word in read_wordlist(lang):
        key = word.casefold()
        if key in slurs:
            moved.append(word)
        elif key not in drop:
            kept.append(word)
    return kept, moved


@lru_cache(maxsize=1)
def _starter() -> RuleList:
    curation = read_curation()
    topics = read_topics()
    rules: list[dict] = []
    slurs: list[str] = []
    for lang, language in LANGUAGES.items():
        kept, moved = _profanity(lang, curation)
        slurs.extend(w for w in moved if w.casefold() not in {s.casefold() for s in slurs})
        rules.append(
            {
                "id": f"profanity-{lang}",
                "kind": "banned_terms",
                "severity": "block",
                "message": f"Profanity ({language}) is not allowed on brand channels.",
                "terms": kept,
            }
        )
    rules.append(
        {
            "id": "slurs",
            "kind": "banned_terms",
            "severity": "block",
            "message": "Slurs and hate terms are never allowed.",
            "terms": slurs,
        }
    )
    voice = "Brand accounts do not post about {}. Is this meant for your personal account?"
    rules += [
        {
            "id": "sensitive-politics",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": voice.format("politics"),
            "terms": topics["politics"],
        },
        {
            "id": "sensitive-elections",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": voice.format("elections"),
            "terms": topics["elections"],
        },
        {
            "id": "sensitive-tragedies",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": (
                "This mentions a tragedy, disaster or attack. Brands stay out of these "
                "unless a person decides otherwise. Is this meant for your personal account?"
            ),
            "terms": topics["tragedies"],
        },
        {
            "id": "sensitive-religion",
            "kind": "sensitive_topics",
            "severity": "warn",
            "message": "This mentions religion. Check that it is right for the brand.",
            "terms": topics["religion"],
        },
        {
            "id": "sensitive-alcohol-drugs",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": "This brand does not mention alcohol or drugs.",
            "enabled": False,
            "terms": topics["alcohol_drugs"],
        },
        # The newsjacking guard: disasters warn, and block in a post that sells; memorial
        # wording warns; hashtags outside the brand's vocabulary warn.
        {
            "id": "sensitive-disasters",
            "kind": "sensitive_topics",
            "severity": "warn",
            "when_promotional": "block",
            "message": (
                "This mentions a disaster, an attack or a tragedy's anniversary. Brands do not "
                "ride on these: check that the post is not about it."
            ),
            "terms": topics["disasters"],
        },
        {
            "id": "sensitive-memorial",
            "kind": "sensitive_topics",
            "severity": "warn",
            "message": (
                "Memorial or solidarity wording: if this is about a tragedy, a disaster or its "
                "anniversary, the brand stays out of it unless a person decides otherwise."
            ),
            "terms": topics["memorial"],
        },
        {
            "id": "new-hashtags",
            "kind": "hashtags",
            "severity": "warn",
            "message": HASHTAG_MESSAGE,
            "known": ["#ad", "#sponsored", "#gifted"],
        },
        {
            "id": "sensitive-gambling",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": "This brand does not mention gambling or betting.",
            "enabled": False,
            "terms": topics["gambling"],
        },
        {
            "id": "sensitive-financial-promises",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": (
                "Never promise returns: no guaranteed profits, no risk-free investments, no "
                "getting rich."
            ),
            "enabled": False,
            "terms": topics["financial_promises"],
        },
        {
            "id": "sensitive-drugs",
            "kind": "sensitive_topics",
            "severity": "block",
            "message": "This brand does not mention drugs.",
            "enabled": False,
            "terms": topics["drugs"],
        },
    ]
    result = validate_rules(rules)
    result.name = "Starter policy"
    result.description = (
        "Profanity (English, French, Spanish, German, Portuguese), slurs, the topics "
        "that belong on personal accounts rather than the brand's, disasters a promotion "
        "must never ride on, and hashtags the brand has not used before."
    )
    return result


def starter_rules() -> RuleList:
    """A fresh copy of the starter rules (validated, so safe to store as they are)."""
    rules = _starter()
    out = RuleList(copy.deepcopy(list(rules)))
    out.name, out.description = rules.name, rules.description
    return out
