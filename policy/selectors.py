"""Reads for policy: the current version, compiled once per version, and version diffs."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone

from accounts.models import Brand
from policy.engine import compile_policy
from policy.engine import hashtags as tags_mod
from policy.engine.guard import GuardedPolicy, LintContext, Moment, compile_moments
from policy.models import HashtagVocabulary, PolicyVersion, SensitiveMoment


def policy_current(*, brand: Brand, loaded: bool = False) -> PolicyVersion | None:
    """The brand's current version: ``Brand.policy_version`` (kept by the service that writes
    versions), the version itself from this process's cache of immutable versions.

    ``loaded``: the brand row was read just now (this request, or under the send's lock), so
    its ``policy_version_id`` is current and no query is needed; else the id is read again
    (an object held for a while may predate a newer version)."""
    if loaded:
        version_id = brand.policy_version_id
    else:
        version_id = (
            Brand.objects.filter(pk=brand.pk).values_list("policy_version_id", flat=True).first()
        )
    if version_id is None:
        return None
    return policy_version_by_id(version_id)


def policy_latest(*, brand: Brand) -> PolicyVersion | None:
    """The highest-numbered version in the database (numbering a new one)."""
    return PolicyVersion.objects.filter(brand=brand).order_by("-number").first()


_VERSIONS: dict[int, PolicyVersion] = {}
_VERSIONS_MAX = 256


def policy_cache_clear() -> None:
    """Forget the versions read so far (tests, whose rolled-back ids are used again)."""
    _VERSIONS.clear()
    _compiled.cache_clear()
    _CONTEXTS.clear()


def policy_version_by_id(pk: int) -> PolicyVersion | None:
    """A version by id, read once per process (versions are never changed once written)."""
    version = _VERSIONS.get(pk)
    if version is None:
        version = PolicyVersion.objects.filter(pk=pk).first()
        if version is None:
            return None
        if len(_VERSIONS) >= _VERSIONS_MAX:
            _VERSIONS.clear()
        _VERSIONS[pk] = version
    return version


def policy_version_remember(version: PolicyVersion) -> None:
    """A version just written (its rules as validated, not as stored: read it back once)."""
    _VERSIONS.pop(version.pk, None)


def policy_versions_by_id(pks) -> dict[int, PolicyVersion]:
    """Several versions by id (the send-time checks of a batch): one query for the missing."""
    wanted = {pk for pk in pks if pk is not None}
    missing = wanted - _VERSIONS.keys()
    if missing:
        if len(_VERSIONS) + len(missing) > _VERSIONS_MAX:
            _VERSIONS.clear()
            missing = wanted
        for version in PolicyVersion.objects.filter(pk__in=missing):
            _VERSIONS[version.pk] = version
    return {pk: _VERSIONS[pk] for pk in wanted if pk in _VERSIONS}


def policy_versions(*, brand: Brand):
    return (
        PolicyVersion.objects.filter(brand=brand).select_related("created_by").order_by("-number")
    )


@lru_cache(maxsize=64)
def _compiled(version_pk: int, created_at: str) -> GuardedPolicy:
    # Versions are immutable, so a compiled policy never goes stale. The key includes the
    # creation time so a recycled primary key (a restored database) cannot hit an old entry.
    # Each one keeps up to ~4 MB of token summaries (policy/engine/summaries.py).
    rules = PolicyVersion.objects.values_list("rules", flat=True).get(pk=version_pk)
    return GuardedPolicy(compile_policy(rules))


def policy_compiled(version: PolicyVersion) -> GuardedPolicy:
    """The compiled policy of a version, built once per process. Without the brand's
    context: hashtag rules do not run and no moment matches (see ``policy_linter``)."""
    return _compiled(version.pk, version.created_at.isoformat())


def policy_linter(
    version: PolicyVersion, *, brand: Brand, now: dt.datetime | None = None, loaded: bool = False
) -> GuardedPolicy:
    """The version's compiled policy with the brand's context: its hashtag vocabulary and
    the sensitive moments active ``now`` (see :func:`lint_context`; ``loaded``: the brand row
    was read just now)."""
    return policy_compiled(version).with_context(lint_context(brand=brand, now=now, loaded=loaded))


# --- the newsjacking guard: vocabulary and moments ----------------------------------------


def hashtag_vocabulary(*, brand: Brand):
    return HashtagVocabulary.objects.filter(brand=brand).select_related("added_by").order_by("key")


def vocabulary_keys(*, brand: Brand) -> frozenset[str]:
    """The keys of every tag the brand uses: its vocabulary, and its name and short name
    written as tags (#DemoKitchen, #demo)."""
    keys = set(HashtagVocabulary.objects.filter(brand=brand).values_list("key", flat=True))
    keys.update(
        k for k in (tags_mod.joined_name_key(brand.name), tags_mod.tag_key(brand.slug)) if k
    )
    return frozenset(keys)


def _moments_of(brand: Brand | None):
    if brand is None:
        return SensitiveMoment.objects.filter(brand__isnull=True)
    return SensitiveMoment.objects.filter(Q(brand=brand) | Q(brand__isnull=True))


def moments_active(*, brand: Brand | None, now: dt.datetime | None = None):
    """The moments that match now: the brand's and the installation's."""
    now = now or timezone.now()
    return (
        _moments_of(brand)
        .filter(starts_at__lte=now, ends_at__gt=now)
        .select_related("brand", "created_by")
        .order_by("ends_at", "id")
    )


def moments_upcoming(*, brand: Brand | None, now: dt.datetime | None = None):
    now = now or timezone.now()
    return _moments_of(brand).filter(starts_at__gt=now).select_related("brand", "created_by")


def moments_past(*, brand: Brand | None, now: dt.datetime | None = None, limit: int = 50):
    """The history: moments that have ended, latest first."""
    now = now or timezone.now()
    return (
        _moments_of(brand)
        .filter(ends_at__lte=now)
        .select_related("brand", "created_by")
        .order_by("-ends_at", "-id")[:limit]
    )


def moment_get(*, brand: Brand, pk) -> SensitiveMoment | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _moments_of(brand).select_related("brand").filter(pk=pk).first()


@lru_cache(maxsize=128)
def _moments_compiled(key: tuple):
    return compile_moments(
        Moment(pk, name, severity, tuple(terms), tuple(tags))
        for pk, _, name, severity, terms, tags in key
    )


#: (brand id, its lint_context_stamp, name, slug) -> (vocabulary keys, moments not ended
#: when read).
_CONTEXTS: dict[tuple, tuple[frozenset[str], tuple]] = {}
_CONTEXTS_MAX = 256


def _context_rows(brand: Brand, stamp: str) -> tuple[frozenset[str], tuple]:
    """The brand's vocabulary keys (with its name and short name as tags) and its (and the
    installation's) moments that had not ended when read, kept per process until the brand's
    stamp changes (every write to the vocabulary or the moments changes it:
    :func:`policy.services.lint_context_changed`)."""
    brand_id = brand.pk
    key = (brand_id, stamp, brand.name, brand.slug)
    found = _CONTEXTS.get(key)
    if found is None:
        vocabulary = set(
            HashtagVocabulary.objects.filter(brand_id=brand_id).values_list("key", flat=True)
        )
        vocabulary.update(
            k for k in (tags_mod.joined_name_key(brand.name), tags_mod.tag_key(brand.slug)) if k
        )
        moments = tuple(
            (pk, updated.isoformat(), name, severity, tuple(terms or ()), tuple(tags or ()), a, b)
            for pk, updated, name, severity, terms, tags, a, b in SensitiveMoment.objects.filter(
                Q(brand_id=brand_id) | Q(brand__isnull=True), ends_at__gt=timezone.now()
            )
            .order_by("ends_at", "id")
            .values_list(
                "pk", "updated_at", "name", "severity", "terms", "tags", "starts_at", "ends_at"
            )
        )
        if len(_CONTEXTS) >= _CONTEXTS_MAX:
            _CONTEXTS.clear()
        found = _CONTEXTS[key] = (frozenset(vocabulary), moments)
    return found


def lint_context(
    *, brand: Brand, now: dt.datetime | None = None, loaded: bool = False
) -> LintContext:
    """The brand's vocabulary and its active moments, compiled (once per set of moments).

    Read once per process for each value of ``Brand.lint_context_stamp``; ``loaded``: the
    brand row was read just now (this request, or under a send's lock), so its stamp is
    current and no query is needed; else the stamp is read again (one query)."""
    now = now or timezone.now()
    stamp = brand.lint_context_stamp
    if not loaded:
        stamp = (
            Brand.objects.filter(pk=brand.pk).values_list("lint_context_stamp", flat=True).first()
            or ""
        )
    vocabulary, moments = _context_rows(brand, stamp)
    key = tuple(m[:6] for m in moments if m[6] <= now < m[7])
    return LintContext(
        vocabulary=vocabulary,
        moments=_moments_compiled(key) if key else None,
    )


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
