"""Writes for policy: every change makes a new, immutable version; linting text against it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.models import Brand, Channel, User
from accounts.services import audit_record
from policy import selectors
from policy.engine import (
    LintResult,
    PolicyFormatError,
    parse_policy_yaml,
    starter_rules,
    validate_rules,
)
from policy.engine.schema import check_policy_limits
from policy.models import (
    PolicyVersion,
)

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
) -> PolicyVersion:
    """Validate the whole rule list, then write it as the brand's next version."""
    try:
        rules = validate_rules(rules, strict=True)
        check_policy_limits(rules)
    except PolicyFormatError as exc:
        raise _as_validation_error(exc) from exc
    Brand.objects.select_for_update().filter(pk=brand.pk).first()  # serialise numbering
    current = selectors.policy_latest(brand=brand)
    version = PolicyVersion.objects.create(
        brand=brand,
        number=(current.number + 1) if current else 1,
        rules=rules,
        source=source,
        note=note[:300],
        requires_recertification=requires_recertification,
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
            rules=starter_rules(),
            actor=None,
            source=PolicyVersion.Source.STARTER,
            note="Starter policy",
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
    """
    if not isinstance(text, str):
        raise ValidationError("Text must be a string.")
    if len(text) > MAX_LINT_CHARS:
        raise ValidationError(f"Text is {len(text):,} characters; the most we check is 100,000.")
    version = version or policy_ensure(brand=brand, loaded=brand_loaded)
    compiled = selectors.policy_compiled(version)
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
