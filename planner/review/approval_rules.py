"""Writes for a brand's approval rules: how many approvals, per-channel raises, ordered steps.

Only brand admins change them. Whether approvals are enough is decided elsewhere, by
``policy.approvals.tally``; these services only keep the rules it reads valid.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts import permissions
from accounts import services as account_services
from accounts.models import Brand, Role, User
from accounts.permissions import Action
from accounts.services import audit_record
from config.errors import Conflict
from policy import services as policy_services
from policy.models import ApprovalStep

MAX_REQUIRED = 10
MAX_STEPS = 10


def _clean_required(value, *, field: str = "required") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "Give a whole number."})
    if not 1 <= value <= MAX_REQUIRED:
        raise ValidationError({field: f"Give a number from 1 to {MAX_REQUIRED}."})
    return value


def brand_approvals_set(*, brand: Brand, actor: User, required: int) -> Brand:
    """The brand's number of distinct approvers (used when it has no steps)."""
    required = _clean_required(required, field="approvals_required")
    return account_services.brand_update(brand=brand, actor=actor, approvals_required=required)


def _clean_step(
    *, brand: Brand, name: str, required: int, role: str, group: Group | None
) -> tuple[str, int, str, Group | None]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the step a name, e.g. Brand or Legal."})
    name = name.strip()
    if len(name) > 60:
        raise ValidationError({"name": "At most 60 characters."})
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    group = policy_services.approval_step_group_clean(brand=brand, group=group)
    return name, _clean_required(required), role, group


def _audit_step(action: str, *, step: ApprovalStep, actor: User, data: dict | None = None):
    audit_record(
        action=action,
        actor=actor,
        brand=step.brand,
        obj=step,
        message=f"{step.order}. {step.name}: {step.required} × {step.role}"
        + (f" in {step.group.name}" if step.group_id else ""),
        data=data or {},
    )


def _save_step(step: ApprovalStep) -> None:
    try:
        with transaction.atomic():
            step.save()
    except IntegrityError as exc:
        raise Conflict(f"The brand already has a step called {step.name!r}.") from exc


@transaction.atomic
def approval_step_create(
    *,
    brand: Brand,
    actor: User,
    name: str,
    required: int = 1,
    role: str = Role.APPROVER,
    group: Group | None = None,
) -> ApprovalStep:
    """Add a step after the brand's last one."""
    permissions.require(actor, Action.ADMIN, brand)
    Brand.objects.select_for_update().filter(pk=brand.pk).first()  # serialise ordering
    name, required, role, group = _clean_step(
        brand=brand, name=name, required=required, role=role, group=group
    )
    existing = ApprovalStep.objects.filter(brand=brand)
    if existing.count() >= MAX_STEPS:
        raise ValidationError(f"A brand can have at most {MAX_STEPS} steps.")
    last = existing.aggregate(last=Max("order"))["last"] or 0
    step = ApprovalStep(
        brand=brand, order=last + 1, name=name, required=required, role=role, group=group
    )
    _save_step(step)
    _audit_step("approval_step.created", step=step, actor=actor)
    return step


@transaction.atomic
def approval_step_update(
    *,
    step: ApprovalStep,
    actor: User,
    name: str,
    required: int,
    role: str,
    group: Group | None,
) -> ApprovalStep:
    permissions.require(actor, Action.ADMIN, step.brand)
    step = ApprovalStep.objects.select_for_update().select_related("brand").get(pk=step.pk)
    name, required, role, group = _clean_step(
        brand=step.brand, name=name, required=required, role=role, group=group
    )
    before = {"name": step.name, "required": step.required, "role": step.role}
    step.name, step.required, step.role, step.group = name, required, role, group
    _save_step(step)
    _audit_step("approval_step.changed", step=step, actor=actor, data={"before": before})
    return step


@transaction.atomic
def approval_step_delete(*, step: ApprovalStep, actor: User) -> None:
    """Remove a step; the later ones move up so the order stays 1, 2, 3…"""
    brand = step.brand
    permissions.require(actor, Action.ADMIN, brand)
    Brand.objects.select_for_update().filter(pk=brand.pk).first()
    step = ApprovalStep.objects.select_related("brand", "group").filter(pk=step.pk).first()
    if step is None:
        return
    _audit_step("approval_step.removed", step=step, actor=actor)
    step.delete()
    _renumber(brand)


@transaction.atomic
def approval_step_move(*, step: ApprovalStep, actor: User, up: bool) -> None:
    """Swap a step with the one before (``up``) or after it."""
    brand = step.brand
    permissions.require(actor, Action.ADMIN, brand)
    Brand.objects.select_for_update().filter(pk=brand.pk).first()
    steps = list(ApprovalStep.objects.filter(brand=brand).order_by("order"))
    index = next((i for i, s in enumerate(steps) if s.pk == step.pk), None)
    if index is None:
        return
    other = index - 1 if up else index + 1
    if not 0 <= other < len(steps):
        return
    steps[index], steps[other] = steps[other], steps[index]
    _renumber(brand, steps=steps)
    audit_record(
        action="approval_step.reordered",
        actor=actor,
        brand=brand,
        message=" → ".join(s.name for s in steps),
        data={"order": [s.pk for s in steps]},
    )


def _renumber(brand: Brand, *, steps: list[ApprovalStep] | None = None) -> None:
    """Give the steps orders 1..n in the given order (the current order by default)."""
    steps = steps if steps is not None else list(brand.approval_steps.order_by("order"))
    offset = MAX_STEPS * 10  # out of the way of the unique (brand, order) constraint
    for index, step in enumerate(steps, start=1):
        ApprovalStep.objects.filter(pk=step.pk).update(order=offset + index)
    for index, step in enumerate(steps, start=1):
        ApprovalStep.objects.filter(pk=step.pk).update(order=index)
