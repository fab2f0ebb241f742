"""Reads for accounts, with their joins applied."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, QuerySet

from accounts import permissions
from accounts.models import (
    AuditEvent,
    Brand,
    Channel,
    Membership,
    Notification,
    PersonalAccount,
    User,
)


def brand_list_for(user: User) -> QuerySet[Brand]:
    return permissions.brands_for(user)


def membership_list(*, brand: Brand) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(brand=brand)
        .select_related("user")
        .prefetch_related(
            "channels",
            Prefetch(
                "user__personal_accounts",
                queryset=PersonalAccount.objects.order_by("platform", "handle"),
            ),
        )
        .order_by("user__username")
    )


def channel_list(*, brand: Brand) -> QuerySet[Channel]:
    return Channel.objects.filter(brand=brand).order_by("platform", "handle")


def brand_summaries_for(user: User) -> QuerySet[Brand]:
    return permissions.brands_for(user).annotate(
        channel_count=Count("channels", distinct=True),
        member_count=Count("memberships", distinct=True),
    )


def audit_list(*, brand: Brand, limit: int = 200) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(brand=brand).select_related("actor")[:limit]


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The person's in-app notifications, newest first, with their brand."""
    return (
        Notification.objects.filter(user=user)
        .select_related("brand")
        .order_by("-created_at", "-id")
    )


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def brand_groups(*, brand: Brand) -> QuerySet[Group]:
    """The brand's own groups, by name: the only groups its admins see and its approval
    steps may name (other brands' groups and the installation's staff groups never are)."""
    return Group.objects.filter(brand_group__brand=brand).order_by("name")


def platform_list() -> list[dict]:
    """The platforms this installation supports, from the adapters' facts: how a channel is
    connected, what it takes, its text limit."""
    from accounts.models import Platform
    from accounts.services.oauth_connect import is_oauth_platform, oauth_configured
    from platforms.registry import get_client_class

    found = []
    for slug in Platform.values:
        cls = get_client_class(slug)
        rules = cls.media_rules
        media = []
        if any(t != "image/gif" for t in rules.image_types):
            media.append("image")
        if "image/gif" in rules.image_types:
            media.append("gif")
        if rules.video_types:
            media.append("video")
        oauth = is_oauth_platform(slug)
        found.append(
            {
                "platform": slug,
                "label": cls.label,
                "connect": "oauth" if oauth else "token",
                "configured": oauth_configured(slug) if oauth else True,
                "media": media if cls.supports_media else [],
                "max_characters": cls.text_limit,
                "max_attachments": rules.max_items if cls.supports_media else 0,
                "alt_text": bool(rules.alt_text and cls.supports_media),
            }
        )
    return found
