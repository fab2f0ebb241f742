"""Reads for policy: the current version, compiled once per version, and version diffs."""

from __future__ import annotations

from functools import lru_cache

from accounts.models import Brand
from policy.engine import CompiledPolicy, compile_policy
from policy.models import (
    PolicyVersion,
)


def policy_current(*, brand: Brand) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(brand=brand).order_by("-number").first()


def policy_versions(*, brand: Brand):
    return (
        PolicyVersion.objects.filter(brand=brand).select_related("created_by").order_by("-number")
    )


@lru_cache(maxsize=64)
def _compiled(version_pk: int, created_at: str) -> CompiledPolicy:
    # Versions are immutable, so a compiled policy never goes stale. The key includes the
    # creation time so a recycled primary key (a restored database) cannot hit an old entry.
    # Each one keeps up to ~4 MB of token summaries (policy/engine/summaries.py).
    rules = PolicyVersion.objects.values_list("rules", flat=True).get(pk=version_pk)
    return compile_policy(rules)


def policy_compiled(version: PolicyVersion) -> CompiledPolicy:
    """The compiled policy of a version, built once per process."""
    return _compiled(version.pk, version.created_at.isoformat())


def policy_diff(older: PolicyVersion | None, newer: PolicyVersion) -> dict:
    """What changed from one version to the next, rule by rule and field by field."""
    before = {rule["id"]: rule for rule in (older.rules if older else [])}
    after = {rule["id"]: rule for rule in newer.rules}
    changed = []
    for rule_id in after.keys() & before.keys():
        fields = sorted(
            key
            for key in before[rule_id].keys() | after[rule_id].keys()
            if before[rule_id].get(key) != after[rule_id].get(key)
        )
        if fields:
            changed.append(
                {
                    "id": rule_id,
                    "fields": [
                        {
                            "name": key,
                            "before": before[rule_id].get(key),
                            "after": after[rule_id].get(key),
                            "added_terms": _list_delta(
                                before[rule_id].get(key), after[rule_id].get(key)
                            ),
                            "removed_terms": _list_delta(
                                after[rule_id].get(key), before[rule_id].get(key)
                            ),
                        }
                        for key in fields
                    ],
                }
            )
    return {
        "added": [after[i] for i in after if i not in before],
        "removed": [before[i] for i in before if i not in after],
        "changed": sorted(changed, key=lambda c: c["id"]),
    }


def _list_delta(a, b) -> list:
    """The entries of ``b`` that are not in ``a``, in ``b``'s order (linear: term lists run
    to thousands)."""
    if isinstance(a, list) and isinstance(b, list):
        seen = set(a)
        return [item for item in b if item not in seen]
    return []
