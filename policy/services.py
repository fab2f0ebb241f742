"""Writes for policy: every change makes a new, immutable version; linting text against it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.models import Brand, Channel, User, new_stamp
from accounts.services import audit_record
from config.errors import NotAllowed
from policy import selectors
from policy.engine import (
    LintResult,
    PolicyFormatError,
    parse_policy_yaml,
    validate_rules,
)
from policy.engine import hashtags as tags_mod
from policy.engine import presets as presets_mod
from policy.engine.guard import Moment
from policy.engine.schema import check_policy_limits
from policy.models import HashtagVocabulary, PolicyVersion, SensitiveMoment

MAX_POLICY_BYTES = 1_000_000
MAX_LINT_CHARS = 100_000


def _as_validation_error(exc: PolicyFormatError) -> ValidationError:
    return ValidationError(str(exc), code="policy_format")


@transaction.atomic
def policy_version_create(
    *,
    brand: Brand,
    rules: list[dict],
    actor: User | None,
    source: str = PolicyVersion.Source.EDITOR,
    note: str = "",
    requires_recertification: bool = False,
    preset: str | None = None,
) -> PolicyVersion:
    """Validate the whole rule list, then write it as the brand's next version. ``preset``
    names what the brand is (``presets.PRESETS``); by default the version keeps the one of
    the version before."""
    if preset is not None and preset not in presets_mod.PRESETS:
        raise ValidationError({"preset": f"Unknown preset {preset!r}."})
    try:
        rules = validate_rules(rules, strict=True)
        check_policy_limits(rules)
    except PolicyFormatError as exc:
        raise _as_validation_error(exc) from exc
    Brand.objects.select_for_update().filter(pk=brand.pk).first()  # serialise numbering
    current = selectors.policy_latest(brand=brand)
    if preset is None:
        preset = current.preset if current else ""
    version = PolicyVersion.objects.create(
        brand=brand,
        number=(current.number + 1) if current else 1,
        rules=rules,
        source=source,
        note=note[:300],
        requires_recertification=requires_recertification,
        preset=preset,
        created_by=actor,
    )
    # The brand names its current version (read with the brand row by every check).
    Brand.objects.filter(pk=brand.pk).update(policy_version=version)
    brand.policy_version = version
    selectors.policy_version_remember(version)
    audit_record(
        action="policy.version_created",
        actor=actor,
        brand=brand,
        obj=version,
        message=f"v{version.number}: {note}"[:500],
        data={"number": version.number, "source": source, "rules": len(rules)},
    )
    return version


def policy_ensure(*, brand: Brand, loaded: bool = False) -> PolicyVersion:
    """The brand's current policy, starting it from the starter policy the first time.
    ``loaded``: see :func:`policy.selectors.policy_current`."""
    current = selectors.policy_current(brand=brand, loaded=loaded)
    if current is not None:
        return current
    with transaction.atomic():
        locked = Brand.objects.select_for_update().filter(pk=brand.pk).first()
        current = (
            selectors.policy_current(brand=locked, loaded=True) if locked is not None else None
        )
        if current is not None:
            brand.policy_version = current
            return current
        return policy_version_create(
            brand=brand,
            rules=presets_mod.preset_rules(presets_mod.DEFAULT),
            actor=None,
            source=PolicyVersion.Source.STARTER,
            note="Starter policy",
            preset=presets_mod.DEFAULT,
        )


def policy_preset_apply(*, brand: Brand, actor: User, preset: str) -> PolicyVersion:
    """Say what the brand is: the preset's topic rules switched on or off, as a new version
    (the terms of the rules stay as the admin wrote them)."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    if preset not in presets_mod.PRESETS:
        raise ValidationError({"preset": f"Choose one of: {', '.join(presets_mod.PRESETS)}."})
    with transaction.atomic():
        current = policy_ensure(brand=brand)
        rules = presets_mod.apply_preset(current.rules, preset)
        label = presets_mod.PRESETS[preset].label
        return policy_version_create(
            brand=brand,
            rules=rules,
            actor=actor,
            note=f"Preset: {label}",
            preset=preset,
        )


def policy_import(
    *,
    brand: Brand,
    yaml_text: str,
    actor: User | None,
    note: str = "",
    requires_recertification=False,
) -> PolicyVersion:
    """Import a YAML policy as a new version. A malformed file is refused whole."""
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    if len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise ValidationError("The policy file is larger than 1 MB.")
    try:
        rules = parse_policy_yaml(yaml_text)
    except PolicyFormatError as exc:
        raise _as_validation_error(exc) from exc
    return policy_version_create(
        brand=brand,
        rules=rules,
        actor=actor,
        source=PolicyVersion.Source.IMPORT,
        note=note or "Imported from YAML",
        requires_recertification=requires_recertification,
    )


def policy_rule_save(
    *,
    brand: Brand,
    actor: User,
    rule: dict,
    replaces: str | None = None,
    requires_recertification: bool = False,
) -> PolicyVersion:
    """Add a rule, or replace the rule with id ``replaces``, as a new version."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    current = policy_ensure(brand=brand)
    rules = [dict(r) for r in current.rules]
    if replaces is not None:
        index = next((i for i, r in enumerate(rules) if r["id"] == replaces), None)
        if index is None:
            raise ValidationError(f"There is no rule {replaces!r} in the current policy.")
        rules[index] = rule
        note = f"Changed rule {rule.get('id')}"
    else:
        rules.append(rule)
        note = f"Added rule {rule.get('id')}"
    return policy_version_create(
        brand=brand,
        rules=rules,
        actor=actor,
        note=note,
        requires_recertification=requires_recertification,
    )


def policy_rule_delete(*, brand: Brand, actor: User, rule_id: str) -> PolicyVersion:
    permissions.require(actor, permissions.Action.ADMIN, brand)
    current = policy_ensure(brand=brand)
    rules = [r for r in current.rules if r["id"] != rule_id]
    if len(rules) == len(current.rules):
        raise ValidationError(f"There is no rule {rule_id!r} in the current policy.")
    return policy_version_create(
        brand=brand, rules=rules, actor=actor, note=f"Removed rule {rule_id}"
    )


@dataclass(frozen=True)
class Linted:
    result: LintResult
    version: PolicyVersion

    def as_dict(self) -> dict:
        data = self.result.to_dict()
        data["policy_version"] = self.version.number
        return data


def policy_lint(
    *,
    brand: Brand,
    text: str,
    channel: Channel | str | None = None,
    category: str | None = None,
    version: PolicyVersion | None = None,
    brand_loaded: bool = False,
) -> Linted:
    """Lint text against the brand's current policy (or a given version).

    ``channel`` is a Channel or a handle. Any string is accepted; over-long text is refused.
    ``brand_loaded``: the brand row was read just now (this request, or under a send's lock);
    else what linting depends on is read again (one query).
    """
    if not isinstance(text, str):
        raise ValidationError("Text must be a string.")
    if len(text) > MAX_LINT_CHARS:
        raise ValidationError(f"Text is {len(text):,} characters; the most we check is 100,000.")
    if not brand_loaded:
        # The brand object may be older than the brand row (a newer policy version, vocabulary
        # or moment): read what linting depends on again, in one query.
        fresh = (
            Brand.objects.filter(pk=brand.pk)
            .values_list("policy_version_id", "lint_context_stamp")
            .first()
        )
        if fresh is not None:
            brand.policy_version_id, brand.lint_context_stamp = fresh
    version = version or policy_ensure(brand=brand, loaded=True)
    compiled = selectors.policy_linter(version, brand=brand, loaded=True)
    if isinstance(channel, Channel):
        handle, platform = channel.handle, channel.platform
    else:
        handle, platform = (channel or None), None
    result = compiled.lint(text, channel=handle, platform=platform, category=category or None)
    return Linted(result=result, version=version)


# --- approval steps ----------------------------------------------------------------------------


def approval_step_group_clean(*, brand: Brand, group: Group | None) -> Group | None:
    """The group an approval step of ``brand`` names: none, or one of the brand's own groups
    (never another brand's, nor one of the installation's staff groups)."""
    if group is None:
        return None
    if not account_selectors.brand_groups(brand=brand).filter(pk=group.pk).exists():
        raise ValidationError({"group": "Choose one of the brand's own groups."})
    return group


# --- the newsjacking guard: the hashtag vocabulary -------------------------------------------

MAX_VOCABULARY = 5_000


def hashtag_vetter(actor: User, brand: Brand) -> bool:
    """Whether ``actor`` may add hashtags to the brand's vocabulary: its admins, and its
    approvers (brand-wide or on any of its channels)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return (
        permissions.has_perm(actor, permissions.Action.ADMIN, brand)
        or permissions.has_perm(actor, permissions.Action.APPROVE, brand)
        or permissions.channels_for(actor, brand, permissions.Action.APPROVE).exists()
    )


def _require_vetter(actor: User, brand: Brand) -> None:
    if hashtag_vetter(actor, brand):
        return
    raise NotAllowed("Only the brand's approvers and admins add hashtags to its vocabulary.")


def _clean_tag(tag) -> tuple[str, str]:
    if not isinstance(tag, str):
        raise ValidationError({"tag": "A hashtag is text, like #BakingDay."})
    tag = tag.strip()
    body = tag.lstrip("#")
    if not body or len(body) > tags_mod.MAX_TAG_CHARS or not re.fullmatch(r"\w+", body):
        raise ValidationError({"tag": "Write one hashtag, like #BakingDay (letters and digits)."})
    key = tags_mod.tag_key(body)
    if not key:
        raise ValidationError({"tag": "That hashtag has no letters or digits once normalised."})
    return f"#{body}", key


def hashtag_add(
    *,
    brand: Brand,
    actor: User,
    tag: str,
    source: str = HashtagVocabulary.Source.APPROVED,
    note: str = "",
) -> tuple[HashtagVocabulary, bool]:
    """Add a hashtag to the brand's vocabulary (audited); (the row, whether it is new). A tag
    that is there already, in any spelling of it, is left as it is."""
    _require_vetter(actor, brand)
    if source not in (HashtagVocabulary.Source.APPROVED, HashtagVocabulary.Source.OWN):
        raise ValidationError({"source": "A person adds a tag as approved or as the brand's own."})
    tag, key = _clean_tag(tag)
    existing = HashtagVocabulary.objects.filter(brand=brand, key=key).first()
    if existing is not None:
        return existing, False
    if HashtagVocabulary.objects.filter(brand=brand).count() >= MAX_VOCABULARY:
        raise ValidationError(f"The vocabulary holds at most {MAX_VOCABULARY:,} hashtags.")
    try:
        with transaction.atomic():
            row = HashtagVocabulary.objects.create(
                brand=brand, tag=tag, key=key, source=source, note=note[:300], added_by=actor
            )
            audit_record(
                action="policy.hashtag_added",
                actor=actor,
                brand=brand,
                obj=row,
                message=f"{tag} added to the hashtag vocabulary",
                data={"tag": tag, "key": key, "source": source},
            )
    except IntegrityError:  # added meanwhile by someone else
        return HashtagVocabulary.objects.get(brand=brand, key=key), False
    return row, True


def hashtag_remove(*, brand: Brand, actor: User, pk) -> None:
    """Take a hashtag out of the vocabulary (admins; audited)."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    with transaction.atomic():
        row = HashtagVocabulary.objects.select_for_update().filter(brand=brand, pk=pk).first()
        if row is None:
            raise ValidationError("There is no such hashtag in the brand's vocabulary.")
        audit_record(
            action="policy.hashtag_removed",
            actor=actor,
            brand=brand,
            obj=row,
            message=f"{row.tag} removed from the hashtag vocabulary",
            data={"tag": row.tag, "key": row.key},
        )
        row.delete()


def lint_context_changed(*, brand_id: int | None) -> None:
    """The brand's (None: every brand's) hashtag vocabulary or sensitive moments changed:
    a new ``Brand.lint_context_stamp``, so every process reads its lint context again
    (``policy.selectors.lint_context``). Called for every write to those tables (the
    signals in ``policy.apps``, and :func:`hashtags_learn`, whose bulk insert sends none)."""
    brands = Brand.objects.all() if brand_id is None else Brand.objects.filter(pk=brand_id)
    brands.update(lint_context_stamp=new_stamp())


def hashtags_learn(
    *, brand_id: int, tags=(), text: str | None = None, texts=(), source: str
) -> int:
    """Record tags the brand uses by its own doing (a campaign's name, a published post's
    hashtags, the demo's own tags): no person vets them. Returns how many were new.
    ``texts``: several texts at once (a set of published posts), one query for all.

    Inside a transaction that locks posts, call it before locking them: a new tag writes
    the brand row (its lint context stamp), and brand rows are locked before post rows."""
    if source not in HashtagVocabulary.Source.values or source == "approved":
        raise ValueError(f"learned tags are the brand's own, a campaign's or published: {source}")
    written = list(tags)
    for each in [text, *texts]:
        if each:
            written += [each[a:b] for a, b in tags_mod.hashtag_spans(each)]
    rows = {}
    for tag in written:
        try:
            tag, key = _clean_tag(tag)
        except ValidationError:
            continue
        rows.setdefault(key, tag)
    if not rows:
        return 0
    known = set(
        HashtagVocabulary.objects.filter(brand_id=brand_id, key__in=rows).values_list(
            "key", flat=True
        )
    )
    new = [
        HashtagVocabulary(brand_id=brand_id, tag=tag, key=key, source=source)
        for key, tag in rows.items()
        if key not in known
    ]
    if new:
        lint_context_changed(brand_id=brand_id)
        HashtagVocabulary.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- the newsjacking guard: sensitive moments ------------------------------------------------

MAX_MOMENT_ENTRIES = 200
MAX_MOMENT_DAYS = 366


def moment_entries(value) -> tuple[list[str], list[str]]:
    """Terms and tags from one field ("Sandy, #Sandy, hurricane sandy"): entries split at
    commas and line breaks; those starting with '#' are tags."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = re.split(r"[,\n]", value)
    else:
        raise ValidationError({"terms": "List the terms and #tags, separated by commas."})
    terms, tags = [], []
    for item in items:
        item = item.strip()
        if item:
            (tags if item.startswith("#") else terms).append(item)
    return terms, tags


def _clean_moment(*, name, terms, tags, severity, starts_at, ends_at) -> dict:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Name the moment, e.g. Hurricane Sandy."})
    name = " ".join(name.split())[:120]
    terms = list(dict.fromkeys(t.strip() for t in terms if isinstance(t, str) and t.strip()))
    cleaned = []
    for raw in tags:
        try:
            cleaned.append(_clean_tag(raw)[0])
        except ValidationError:
            raise ValidationError({"terms": f"{str(raw)[:40]!r} is not a hashtag."}) from None
    tags = cleaned
    tags = list(dict.fromkeys(tags))
    if not terms and not tags:
        raise ValidationError({"terms": "Give at least one term or #tag to look for."})
    if len(terms) + len(tags) > MAX_MOMENT_ENTRIES:
        raise ValidationError({"terms": f"At most {MAX_MOMENT_ENTRIES} terms and tags."})
    if severity not in SensitiveMoment.Severity.values:
        raise ValidationError({"severity": "Choose block or warn."})
    if not isinstance(ends_at, dt.datetime) or not isinstance(starts_at, dt.datetime):
        raise ValidationError({"ends_at": "Give when the moment ends."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "A moment ends after it starts."})
    if ends_at - starts_at > dt.timedelta(days=MAX_MOMENT_DAYS):
        raise ValidationError({"ends_at": f"A moment lasts at most {MAX_MOMENT_DAYS} days."})
    try:  # the terms must be terms the engine can look for
        validate_rules(
            [Moment(0, name, severity, tuple(terms), tuple(tags)).as_rule()], strict=True
        )
    except PolicyFormatError as exc:
        raise ValidationError({"terms": exc.detail}) from exc
    return {
        "name": name,
        "terms": terms,
        "tags": tags,
        "severity": severity,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


@transaction.atomic
def moment_create(
    *,
    brand: Brand | None,
    actor: User,
    name: str,
    terms=(),
    tags=(),
    severity: str = SensitiveMoment.Severity.BLOCK,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    days: int | None = None,
    note: str = "",
) -> SensitiveMoment:
    """Start a sensitive moment for the brand (its admins) or, with no brand, for every brand
    (staff). It lasts until ``ends_at`` or for ``days`` from its start (default 3)."""
    if brand is None:
        if not (actor.is_active and actor.is_staff):
            raise NotAllowed("Only the installation's staff add moments for every brand.")
    else:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    starts_at = starts_at or timezone.now()
    if ends_at is None:
        if days is None:
            days = 3
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_MOMENT_DAYS:
            raise ValidationError({"days": f"From 1 to {MAX_MOMENT_DAYS} days."})
        ends_at = starts_at + dt.timedelta(days=days)
    fields = _clean_moment(
        name=name, terms=terms, tags=tags, severity=severity, starts_at=starts_at, ends_at=ends_at
    )
    moment = SensitiveMoment.objects.create(
        brand=brand, note=(note or "")[:500], created_by=actor, **fields
    )
    audit_record(
        action="policy.moment_created",
        actor=actor,
        brand=brand,
        obj=moment,
        message=f"Sensitive moment {moment.name} until {moment.ends_at:%Y-%m-%d %H:%M} UTC",
        data={
            "name": moment.name,
            "terms": moment.terms,
            "tags": moment.tags,
            "severity": moment.severity,
            "starts_at": moment.starts_at.isoformat(),
            "ends_at": moment.ends_at.isoformat(),
        },
    )
    return moment


@transaction.atomic
def moment_end(*, moment: SensitiveMoment, actor: User) -> SensitiveMoment:
    """End a moment now (it stays in the history)."""
    if moment.brand is None:
        if not (actor.is_active and actor.is_staff):
            raise NotAllowed("Only the installation's staff end a moment for every brand.")
    else:
        permissions.require(actor, permissions.Action.ADMIN, moment.brand)
    moment = SensitiveMoment.objects.select_for_update().get(pk=moment.pk)
    now = timezone.now()
    if moment.ends_at <= now:
        return moment
    moment.ends_at = max(now, moment.starts_at + dt.timedelta(microseconds=1))
    moment.save(update_fields=["ends_at", "updated_at"])
    audit_record(
        action="policy.moment_ended",
        actor=actor,
        brand=moment.brand,
        obj=moment,
        message=f"Sensitive moment {moment.name} ended",
        data={"ends_at": moment.ends_at.isoformat()},
    )
    return moment
