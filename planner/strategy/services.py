"""Writes for strategy: the brand's mix targets and link rules (brand admins), and the credit
and permission of a customer-content post (its authors). Keyword-only, atomic, validated
before anything is saved; who may do what is asked of ``accounts.permissions``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from accounts import permissions
from accounts.models import Brand, User
from accounts.permissions import Action
from accounts.services import audit_record
from planner.models import (
    DEFAULT_MIX_WINDOW_DAYS,
    Category,
    CustomerCredit,
    LinkTracking,
    MixTarget,
    Post,
)
from planner.posts.checks import clean_string, lock_post
from planner.strategy.links import MAX_DOMAINS, clean_domain
from planner.strategy.selectors import credit_findings, mix_findings


def _int_in(value, *, field: str, low: int, high: int, label: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: f"{label} must be a whole number."})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: f"{label} must be a whole number."}) from None
    if not low <= number <= high:
        raise ValidationError({field: f"{label} must be between {low} and {high}."})
    return number


@transaction.atomic
def mix_target_set(
    *,
    brand: Brand,
    actor: User,
    category: str,
    max_percent: int | None,
    window_days: int = DEFAULT_MIX_WINDOW_DAYS,
) -> MixTarget | None:
    """Set (or, with ``max_percent`` None, remove) the brand's target for one category."""
    permissions.require(actor, Action.ADMIN, brand)
    if category not in Category.values:
        raise ValidationError({"category": f"Choose one of: {', '.join(Category.values)}."})
    if max_percent is None:
        MixTarget.objects.filter(brand=brand, category=category).delete()
        audit_record(
            action="mix_target.removed", actor=actor, brand=brand, data={"category": category}
        )
        return None
    percent = _int_in(max_percent, field="max_percent", low=0, high=100, label="The share")
    days = _int_in(window_days, field="window_days", low=1, high=90, label="The window")
    target, _ = MixTarget.objects.update_or_create(
        brand=brand, category=category, defaults={"max_percent": percent, "window_days": days}
    )
    audit_record(
        action="mix_target.set",
        actor=actor,
        brand=brand,
        data={"category": category, "max_percent": percent, "window_days": days},
    )
    return target


@transaction.atomic
def link_tracking_set(
    *,
    brand: Brand,
    actor: User,
    enabled: bool,
    domains: Sequence[str] | str,
    medium: str = "social",
    content: str = "",
) -> LinkTracking:
    """The brand's UTM rules. Applied to posts saved from now on (a post's text is tagged
    when it is written, so what approvers approve is the tagged link)."""
    permissions.require(actor, Action.ADMIN, brand)
    if isinstance(domains, str):
        domains = domains.replace(",", " ").split()
    if not isinstance(domains, list | tuple):
        raise ValidationError({"domains": "Give the domains as a list."})
    cleaned = []
    for raw in domains:
        domain = clean_domain(raw) if isinstance(raw, str) else ""
        if not domain:
            raise ValidationError({"domains": f"{str(raw)[:80]!r} is not a domain name."})
        if domain not in cleaned:
            cleaned.append(domain)
    if len(cleaned) > MAX_DOMAINS:
        raise ValidationError({"domains": f"At most {MAX_DOMAINS} domains."})
    medium = clean_string(medium or "social", field="medium", label="utm_medium", max_chars=50)
    content = clean_string(
        content or "", field="content", label="utm_content", max_chars=100, required=False
    )
    rules, _ = LinkTracking.objects.update_or_create(
        brand=brand,
        defaults={
            "enabled": bool(enabled),
            "domains": cleaned,
            "medium": medium.strip(),
            "content": content.strip(),
        },
    )
    audit_record(
        action="link_tracking.set",
        actor=actor,
        brand=brand,
        data={"enabled": rules.enabled, "domains": cleaned, "medium": rules.medium},
    )
    return rules


def _clean_url(value) -> str:
    url = clean_string(value, field="source_url", label="The source link", max_chars=500)
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"source_url": "The source link must be an http(s) URL."}) from None
    return url


@transaction.atomic
def customer_credit_record(
    *,
    post: Post,
    actor: User,
    author_handle: str,
    source_url: str,
    permission_from: str = "",
    permission_at: dt.datetime | None = None,
    permission_how: str = "",
) -> CustomerCredit:
    """Record where a customer-content post came from and who allowed it (by someone who may
    draft on its channel). Not part of the content: approvals stay."""
    post = lock_post(post)
    permissions.require(actor, Action.DRAFT, post.channel)
    handle = clean_string(
        author_handle, field="author_handle", label="The author's handle", max_chars=255
    ).strip()
    url = _clean_url(source_url)
    who = clean_string(
        permission_from,
        field="permission_from",
        label="Who gave it",
        max_chars=255,
        required=False,
    ).strip()
    how = clean_string(
        permission_how, field="permission_how", label="How", max_chars=500, required=False
    ).strip()
    if permission_at is not None and not isinstance(permission_at, dt.datetime):
        raise ValidationError({"permission_at": "Give a date and time."})
    if (who or how or permission_at) and not (who and how and permission_at):
        raise ValidationError({"permission_from": "A permission needs who gave it, when and how."})
    credit, _ = CustomerCredit.objects.update_or_create(
        post=post,
        defaults={
            "author_handle": handle,
            "source_url": url,
            "permission_from": who,
            "permission_at": permission_at,
            "permission_how": how,
            "recorded_by": actor,
        },
    )
    audit_record(
        action="post.credit_recorded",
        actor=actor,
        brand=post.brand,
        obj=post,
        data={"author": handle, "source": url, "permission": credit.has_permission},
    )
    return credit


def review_findings_of(post: Post) -> tuple[list[dict], list[dict]]:
    """(blocking, warnings) the strategy adds to the policy's, at submit, approval and send:
    a customer-content post without its credit or permission blocks; a post that pushes its
    channel over the content mix warns."""
    return credit_findings(post), mix_findings(post)
