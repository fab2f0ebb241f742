"""The audit trail: one append-only event per change, refusals outside a brand to the
security log."""

from __future__ import annotations

import logging

from accounts import permissions
from accounts.models import AuditEvent, Brand, User

security_log = logging.getLogger("countersign.security")

# --- audit ----------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    brand: Brand | None = None,
    obj=None,
    message: str = "",
    data: dict | None = None,
) -> AuditEvent | None:
    """Append one audit event. Never updated or deleted afterwards (the database refuses).

    A refusal (an action ending in ``refused``) by someone who may not see the brand is not
    written into that brand's trail, which they cannot read and should not be able to fill:
    it goes to the ``countersign.security`` log instead, and None is returned.
    """
    actor = actor if actor is not None and actor.is_authenticated else None
    object_type = obj._meta.model_name if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    if (
        action.endswith("refused")
        and brand is not None
        and actor is not None
        and not permissions.has_perm(actor, permissions.Action.VIEW, brand)
    ):
        security_log.warning(
            "refused %s by %s (id %s) on %s:%s outside their brands: %s",
            action,
            actor.get_username(),
            actor.pk,
            object_type or "-",
            object_id or "-",
            message[:200],
            extra={"action": action, "actor_id": actor.pk, "brand_id": brand.pk},
        )
        return None
    return AuditEvent.objects.create(
        brand=brand,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        message=message,
        data=data or {},
    )
