"""Brand presets: what the brand is decides which topic rules of the starter policy are on.

A preset only switches starter rules on or off (and, for a charity, lets a disaster term
in an appeal warn rather than block); it never touches the terms an admin edited. A policy
that lacks one of the rules a preset manages (an older policy) gets the starter's copy.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from policy.engine.schema import RuleList
from policy.engine.starter import starter_rules

DEFAULT = "general"


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    description: str
    # rule id -> the fields this preset gives it (a value of None removes the field)
    overrides: dict[str, dict] = field(default_factory=dict)


_ON = {"enabled": True}
_OFF = {"enabled": False}

PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "general",
            "General",
            "The starter policy as it is: alcohol, drugs, gambling and financial promises off; "
            "disasters warn and block in a promotion; new hashtags warn.",
        ),
        Preset(
            "charity",
            "Charity",
            "No alcohol, drugs or gambling. Disasters warn but do not block in a post with a "
            "price, since an appeal names both: an approver decides.",
            {
                "sensitive-alcohol-drugs": _ON,
                "sensitive-gambling": _ON,
                "sensitive-disasters": {"when_promotional": None},
            },
        ),
        Preset(
            "family",
            "Family and children",
            "No alcohol, drugs or gambling on a brand that talks to families and children.",
            {"sensitive-alcohol-drugs": _ON, "sensitive-gambling": _ON},
        ),
        Preset(
            "alcohol",
            "Alcohol",
            "Drinks may be named (the alcohol rule is off); drugs and gambling are not.",
            {"sensitive-alcohol-drugs": _OFF, "sensitive-drugs": _ON, "sensitive-gambling": _ON},
        ),
        Preset(
            "finance",
            "Finance",
            "No gambling, and no guaranteed-returns language (risk-free, double your money).",
            {"sensitive-gambling": _ON, "sensitive-financial-promises": _ON},
        ),
    )
}
CHOICES = [(p.key, p.label) for p in PRESETS.values()]

#: The rules a preset decides about: every rule any preset overrides.
MANAGED = tuple(dict.fromkeys(rid for p in PRESETS.values() for rid in p.overrides))
#: The fields a preset sets on the rules it manages (the rest stay as the admin wrote them).
_FIELDS = ("enabled", "when_promotional")


def apply_preset(rules: list[dict], preset: str) -> RuleList:
    """``rules`` with the preset's choices: each managed rule set as the starter has it, then
    as the preset says (only ``enabled`` and ``when_promotional``; terms stay as written).
    Raises KeyError for an unknown preset."""
    chosen = PRESETS[preset]
    starter = {r["id"]: r for r in starter_rules()}
    out = RuleList(copy.deepcopy(list(rules)))
    out.name, out.description = getattr(rules, "name", None), getattr(rules, "description", None)
    index = {r["id"]: i for i, r in enumerate(out)}
    for rule_id in MANAGED:
        base = starter[rule_id]
        wanted = {k: base[k] for k in _FIELDS if k in base}
        for key, value in chosen.overrides.get(rule_id, {}).items():
            if value is None:
                wanted.pop(key, None)
            else:
                wanted[key] = value
        if rule_id in index:
            rule = out[index[rule_id]]
            if rule["kind"] != base["kind"]:
                continue  # an admin's own rule that happens to share the id
            for key in _FIELDS:
                if key in wanted:
                    rule[key] = wanted[key]
                elif key != "enabled":
                    rule.pop(key, None)
        else:
            rule = copy.deepcopy(base)
            for key in _FIELDS:
                if key in wanted:
                    rule[key] = wanted[key]
                elif key != "enabled":
                    rule.pop(key, None)
            out.append(rule)
    return out


def preset_rules(preset: str = DEFAULT) -> RuleList:
    """The starter policy with ``preset`` applied: where a new brand starts."""
    rules = starter_rules()
    return apply_preset(rules, preset)
