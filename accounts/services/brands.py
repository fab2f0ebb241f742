"""Writes for brands: creating, editing, and pausing or resuming all publishing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import BRAND_EDITABLE_FIELDS, Brand, Role, User
from accounts.services.audit import audit_record
from accounts.services.members import membership_set
from config.errors import Conflict

# --- brands ---------------------------------------------------------------------------------


@transaction.atomic
def brand_create(
    *,
    slug: str,
    name: str,
    created_by: User | None,
    timezone_name: str = "UTC",
    colour: str = "#0d6efd",
    approvals_required: int = 2,
) -> Brand:
    brand = Brand(
        slug=slug,
        name=name,
        timezone=timezone_name,
        colour=colour,
        approvals_required=approvals_required,
    )
    brand.full_clean()
    brand.save()
    if created_by is not None:
        membership_set(brand=brand, user=created_by, roles=[Role.ADMIN], actor=created_by)
    audit_record(action="brand.created", actor=created_by, brand=brand, obj=brand)
    return brand


@transaction.atomic
def brand_update(*, brand: Brand, actor: User, **fields) -> Brand:
    permissions.require(actor, permissions.Action.ADMIN, brand)
    unknown = set(fields) - set(BRAND_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown brand fields: {', '.join(sorted(unknown))}")
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    changes = {}
    for key, value in fields.items():
        if getattr(brand, key) != value:
            changes[key] = [str(getattr(brand, key)), str(value)]
            setattr(brand, key, value)
    brand.full_clean()
    brand.save()
    if changes:
        audit_record(
            action="brand.updated", actor=actor, brand=brand, obj=brand, data={"changes": changes}
        )
    return brand


# --- pausing ---------------------------------------------------------------------------------


@transaction.atomic
def brand_pause(*, brand: Brand, actor: User, reason: str) -> Brand:
    """Stop all publishing for the brand. Nothing is sent while paused."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why publishing is paused; everyone will see it."})
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    if brand.is_paused:
        raise Conflict(f"{brand.name} is already paused: {brand.paused_reason}")
    brand.is_paused, brand.paused_reason = True, reason[:500]
    brand.paused_at, brand.paused_by = timezone.now(), actor
    brand.save(update_fields=["is_paused", "paused_reason", "paused_at", "paused_by"])
    audit_record(action="brand.paused", actor=actor, brand=brand, obj=brand, message=reason)
    return brand


@transaction.atomic
def brand_pause_clear(*, brand: Brand, actor: User) -> Brand:
    """Clear the brand's pause flag, and nothing else. Not a way to resume publishing:
    ``planner.publishing.services.brand_resume`` is, and holds the posts that fell due while
    paused (a test keeps it the only caller)."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    if not brand.is_paused:
        raise Conflict(f"{brand.name} is not paused.")
    paused_at = brand.paused_at
    brand.is_paused, brand.paused_reason, brand.paused_at, brand.paused_by = False, "", None, None
    brand.save(update_fields=["is_paused", "paused_reason", "paused_at", "paused_by"])
    audit_record(
        action="brand.resumed",
        actor=actor,
        brand=brand,
        obj=brand,
        data={"paused_at": paused_at.isoformat() if paused_at else None},
    )
    return brand
