"""The one place that decides who may do what.

Roles live on ``Membership``; they are mirrored into django-guardian object permissions on
``Brand`` and ``Channel`` by :func:`sync_membership_permissions`, which every membership and
channel service calls. Views, API views and services ask the functions here, never guardian.

A person who is not a member of a brand cannot learn that it exists: lookups answer 404.
A member who lacks the role answers 403 with the reason.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import BigIntegerField, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from accounts.models import Brand, Channel, Membership, Role, User
from config.errors import NotAllowed


class Action(StrEnum):
    VIEW = "view"  # see the brand and everything in it
    DRAFT = "draft"  # write and edit drafts (brand-wide or on a channel)
    APPROVE = "approve"  # approve or reject (brand-wide or on a channel)
    TRAIN = "train"  # write quizzes, see the training dashboard
    ADMIN = "admin"  # members, channels, policy, pause/resume


BRAND_CODENAMES = {
    Action.VIEW: "view_brand",
    Action.DRAFT: "author_brand",
    Action.APPROVE: "approve_brand",
    Action.TRAIN: "train_brand",
    Action.ADMIN: "admin_brand",
}
CHANNEL_CODENAMES = {
    Action.DRAFT: "post_channel",
    Action.APPROVE: "approve_channel",
}
ROLE_FOR_ACTION = {
    Action.DRAFT: Role.AUTHOR,
    Action.APPROVE: Role.APPROVER,
    Action.TRAIN: Role.TRAINER,
    Action.ADMIN: Role.ADMIN,
}


# --- keeping guardian in step with memberships -------------------------------------------


def _desired_brand_codenames(membership: Membership) -> set[str]:
    codenames = {BRAND_CODENAMES[Action.VIEW]}
    for action, role in ROLE_FOR_ACTION.items():
        if membership.has_role(role):
            codenames.add(BRAND_CODENAMES[action])
    return codenames


def _desired_channel_codenames(membership: Membership) -> set[str]:
    return {
        CHANNEL_CODENAMES[action]
        for action in (Action.DRAFT, Action.APPROVE)
        if membership.has_role(ROLE_FOR_ACTION[action])
    }


@transaction.atomic
def sync_membership_permissions(membership: Membership | None, *, user: User, brand: Brand) -> None:
    """Make the user's guardian permissions on the brand and its channels match the membership.

    ``membership`` None means the person left the brand: every permission is removed.
    """
    brand_ct = ContentType.objects.get_for_model(Brand)
    channel_ct = ContentType.objects.get_for_model(Channel)
    channels = list(brand.channels.values_list("pk", flat=True))
    UserObjectPermission.objects.filter(
        user=user, content_type=brand_ct, object_pk=str(brand.pk)
    ).delete()
    UserObjectPermission.objects.filter(
        user=user, content_type=channel_ct, object_pk__in=[str(pk) for pk in channels]
    ).delete()
    if membership is None:
        return
    from django.contrib.auth.models import Permission

    perms = {
        (p.content_type_id, p.codename): p
        for p in Permission.objects.filter(content_type__in=[brand_ct, channel_ct])
    }
    rows = [
        UserObjectPermission(
            user=user,
            permission=perms[(brand_ct.pk, codename)],
            content_type=brand_ct,
            object_pk=str(brand.pk),
        )
        for codename in _desired_brand_codenames(membership)
    ]
    # A limited member has exactly the channels listed, none if they were all removed.
    allowed = (
        set(membership.channels.values_list("pk", flat=True))
        if membership.channels_restricted
        else set(channels)
    )
    channel_codenames = _desired_channel_codenames(membership)
    rows += [
        UserObjectPermission(
            user=user,
            permission=perms[(channel_ct.pk, codename)],
            content_type=channel_ct,
            object_pk=str(pk),
        )
        for pk in channels
        if pk in allowed
        for codename in channel_codenames
    ]
    UserObjectPermission.objects.bulk_create(rows)


def forget_channel(channel: Channel) -> None:
    """Remove everyone's permissions on a channel that is being removed."""
    UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Channel), object_pk=str(channel.pk)
    ).delete()


def sync_brand_permissions(brand: Brand) -> None:
    """Re-derive every member's permissions (after a channel is added or removed)."""
    for membership in brand.memberships.select_related("user").prefetch_related("channels"):
        sync_membership_permissions(membership, user=membership.user, brand=brand)


# --- asking ---------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def has_perm(user, action: Action, obj: Brand | Channel) -> bool:
    """May ``user`` do ``action`` on the brand, or on the channel (within its brand)?"""
    if not _active(user):
        return False
    if isinstance(obj, Channel):
        if action in CHANNEL_CODENAMES:
            return user.has_perm(f"accounts.{CHANNEL_CODENAMES[action]}", obj)
        return has_perm(user, action, obj.brand)
    return user.has_perm(f"accounts.{BRAND_CODENAMES[action]}", obj)


def require(user, action: Action, obj: Brand | Channel) -> None:
    """Raise ``NotAllowed`` (403 with the reason) unless the user may do it."""
    if has_perm(user, action, obj):
        return
    brand = obj.brand if isinstance(obj, Channel) else obj
    role = ROLE_FOR_ACTION.get(action)
    where = f"the channel {obj.handle}" if isinstance(obj, Channel) else brand.name
    need = f"the {role.label.lower()} role" if role else "membership"
    raise NotAllowed(f"You need {need} for {where} to do that.", code=f"needs_{action}")


def brands_for(user, action: Action = Action.VIEW) -> QuerySet[Brand]:
    if not _active(user):
        return Brand.objects.none()
    return get_objects_for_user(
        user, f"accounts.{BRAND_CODENAMES[action]}", klass=Brand, accept_global_perms=False
    ).order_by("name")


def channels_for(
    user, brand: Brand, action: Action = Action.VIEW, *, checked: bool = False
) -> QuerySet[Channel]:
    """The brand's channels the user may see (VIEW) or draft/approve on. ``checked``: the
    caller already knows the user may see the brand (a lazy queryset, no query of its own)."""
    if not _active(user) or (not checked and not has_perm(user, Action.VIEW, brand)):
        return Channel.objects.none()
    qs = Channel.objects.filter(brand=brand)
    if action in CHANNEL_CODENAMES:
        qs = get_objects_for_user(
            user, f"accounts.{CHANNEL_CODENAMES[action]}", klass=qs, accept_global_perms=False
        )
    return qs.order_by("platform", "handle")


def inbox_channels(
    user, brand: Brand, *, checked: bool = False, is_admin: bool | None = None
) -> QuerySet[Channel]:
    """The brand's channels whose conversations the user sees in the engagement inbox: every
    channel for a brand admin, else the ones they may draft or approve on (a limited member:
    their channels only). Lazy; ``checked`` and ``is_admin`` spare the questions when the
    caller already knows the answers."""
    if not _active(user) or (not checked and not has_perm(user, Action.VIEW, brand)):
        return Channel.objects.none()
    qs = Channel.objects.filter(brand=brand)
    if is_admin is None:
        is_admin = has_perm(user, Action.ADMIN, brand)
    if not is_admin:
        # One subquery on the object permissions (no extra query to resolve them): the
        # menu's count stays a single query.
        granted = (
            UserObjectPermission.objects.filter(
                user=user,
                content_type=ContentType.objects.get_for_model(Channel),
                permission__codename__in=[
                    CHANNEL_CODENAMES[Action.DRAFT],
                    CHANNEL_CODENAMES[Action.APPROVE],
                ],
            )
            .annotate(channel_pk=Cast("object_pk", BigIntegerField()))
            .values("channel_pk")
        )
        qs = qs.filter(pk__in=granted)
    return qs.order_by("platform", "handle")


def get_brand(user, slug: str, action: Action = Action.VIEW) -> Brand:
    """The brand by slug if the user is in it (else 404), checked for ``action`` (else 403)."""
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None or not has_perm(user, Action.VIEW, brand):
        raise Http404("No such brand.")
    if action is not Action.VIEW:
        require(user, action, brand)
    return brand


def get_channel(user, pk, action: Action = Action.VIEW, *, brand: Brand | None = None) -> Channel:
    """A channel the user may see (else 404), checked for ``action`` (else 403)."""
    try:
        channel = Channel.objects.select_related("brand").get(pk=int(pk))
    except (Channel.DoesNotExist, TypeError, ValueError):
        raise Http404("No such channel.") from None
    if (brand is not None and channel.brand_id != brand.pk) or not has_perm(
        user, Action.VIEW, channel.brand
    ):
        raise Http404("No such channel.")
    if action is not Action.VIEW:
        require(user, action, channel)
    return channel


def actions_on(user, brand: Brand) -> frozenset[Action]:
    """Every brand-wide action the user may do on the brand, in one query (menus ask this
    once per page instead of one question per item)."""
    if not _active(user):
        return frozenset()
    from guardian.core import ObjectPermissionChecker

    codenames = set(ObjectPermissionChecker(user).get_perms(brand))
    return frozenset(action for action, name in BRAND_CODENAMES.items() if name in codenames)


def roles_in(user, brand: Brand) -> list[str]:
    if not _active(user):
        return []
    membership = Membership.objects.filter(user=user, brand=brand).first()
    return membership.roles if membership else []
