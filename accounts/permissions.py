"""The one place that decides who may do what.

Roles live on ``Membership``; they are mirrored into django-guardian object permissions on
``Brand`` and ``Channel`` by :func:`sync_membership_permissions`, which every membership and
channel service calls. Views, API views and services ask the functions here, never guardian.

A person who is not a member of a brand cannot learn that it exists: lookups answer 404.
A member who lacks the role answers 403 with the reason.

One decision per request: inside :func:`request_scope` (the ``PermissionScopeMiddleware``
opens one around every request) a person's object permissions are read from guardian once,
in one query, and every question of the request is answered from that set. Outside a scope
(services called from tasks, commands and tests) each question asks guardian. Writing
permissions (:func:`sync_membership_permissions`, :func:`forget_channel`) forgets the set.
Other people's permissions (who may approve a post) come from their ``Membership`` rows,
already loaded: :func:`member_may`.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
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


# --- one decision per request ------------------------------------------------------------


@dataclass
class _Scope:
    decisions: dict[int, _Decision] = field(default_factory=dict)


@dataclass(frozen=True)
class _Decision:
    """Everything guardian holds for one person: codenames by (content type id, object pk)."""

    granted: dict[tuple[int, str], frozenset[str]]
    superuser: bool

    def allows(self, codename: str, obj: Brand | Channel) -> bool:
        if self.superuser:
            return True
        ct = ContentType.objects.get_for_model(type(obj))  # cached per process
        return codename in self.granted.get((ct.pk, str(obj.pk)), frozenset())

    def object_ids(self, model, codename: str) -> list[int]:
        ct = ContentType.objects.get_for_model(model)
        return [
            int(pk)
            for (ct_id, pk), names in self.granted.items()
            if ct_id == ct.pk and codename in names
        ]


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "countersign_permission_scope", default=None
)


@contextlib.contextmanager
def request_scope():
    """Answer every permission question inside from one read of guardian per person."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def _forget_decisions() -> None:
    scope = _scope.get()
    if scope is not None:
        scope.decisions.clear()


def _decision(user) -> _Decision | None:
    """The person's permissions, read once in this scope (None outside a scope)."""
    scope = _scope.get()
    if scope is None:
        return None
    decision = scope.decisions.get(user.pk)
    if decision is None:
        granted: dict[tuple[int, str], set[str]] = {}
        if not user.is_superuser:
            rows = list(
                UserObjectPermission.objects.filter(user_id=user.pk).values_list(
                    "content_type_id", "object_pk", "permission_id"
                )
            )
            codenames = _codenames({permission_id for *_, permission_id in rows})
            for ct_id, object_pk, permission_id in rows:
                granted.setdefault((ct_id, object_pk), set()).add(codenames[permission_id])
        decision = _Decision(
            granted={key: frozenset(names) for key, names in granted.items()},
            superuser=bool(user.is_superuser),
        )
        scope.decisions[user.pk] = decision
    return decision


_CODENAMES: dict[int, str] = {}


def _codenames(ids: set[int]) -> dict[int, str]:
    """Permission codenames by id, read once per process (the rows are written by migrations
    and never change; an id not seen yet reads them again). The map is replaced whole, never
    changed in place, so a request on another thread always reads a complete one."""
    global _CODENAMES
    known = _CODENAMES
    if not ids <= known.keys():
        from django.contrib.auth.models import Permission

        known = dict(Permission.objects.values_list("pk", "codename"))
        _CODENAMES = known
    return known


def forget_codenames(**_kwargs) -> None:
    global _CODENAMES
    _CODENAMES = {}


def _allowed(user, codename: str, obj: Brand | Channel) -> bool:
    decision = _decision(user)
    if decision is None:
        return user.has_perm(f"accounts.{codename}", obj)
    return decision.allows(codename, obj)


def member_may(membership: Membership, action: Action, channel: Channel | None = None) -> bool:
    """May the member do ``action`` in the membership's brand (on ``channel``)? Decided from
    the row itself, the roles and channel limits guardian mirrors, without asking guardian.
    A limited member's channel ids come from ``membership.limited_channel_ids`` when the
    caller loaded them (a set), else from the database."""
    user = membership.user
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if channel is not None and channel.brand_id != membership.brand_id:
        return False
    role = ROLE_FOR_ACTION.get(action)
    if role is not None and not membership.has_role(role):
        return False
    if channel is None or action not in CHANNEL_CODENAMES or not membership.channels_restricted:
        return True
    allowed = getattr(membership, "limited_channel_ids", None)
    if allowed is None:
        allowed = set(membership.channels.values_list("pk", flat=True))
    return channel.pk in allowed


def load_channel_limits(memberships) -> None:
    """Set ``limited_channel_ids`` on each membership (one query, only for limited ones)."""
    limited = [m for m in memberships if m.channels_restricted]
    for m in memberships:
        m.limited_channel_ids = set()
    if not limited:
        return
    through = Membership.channels.through
    by_id = {m.pk: m for m in limited}
    for membership_id, channel_id in through.objects.filter(
        membership_id__in=list(by_id)
    ).values_list("membership_id", "channel_id"):
        by_id[membership_id].limited_channel_ids.add(channel_id)


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
    _forget_decisions()
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
    _forget_decisions()
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
            return _allowed(user, CHANNEL_CODENAMES[action], obj)
        return has_perm(user, action, obj.brand)
    return _allowed(user, BRAND_CODENAMES[action], obj)


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
    decision = _decision(user)
    if decision is not None and not decision.superuser:
        ids = decision.object_ids(Brand, BRAND_CODENAMES[action])
        return Brand.objects.filter(pk__in=ids).order_by("name")
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
    decision = _decision(user)
    if action in CHANNEL_CODENAMES and decision is not None and not decision.superuser:
        qs = qs.filter(pk__in=decision.object_ids(Channel, CHANNEL_CODENAMES[action]))
    elif action in CHANNEL_CODENAMES:
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
    if is_admin:
        return qs.order_by("platform", "handle")
    decision = _decision(user)
    if decision is not None and not decision.superuser:  # the request's one read of guardian
        ids = {
            pk
            for action in (Action.DRAFT, Action.APPROVE)
            for pk in decision.object_ids(Channel, CHANNEL_CODENAMES[action])
        }
        qs = qs.filter(pk__in=ids)
    elif decision is None:
        # Outside a request: one subquery on the object permissions (no extra query to
        # resolve them), so a count stays a single query.
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
    # The slug is unique: no ordering and no clone for .first() (the hot path of every page).
    brand = next(iter(Brand.objects.filter(slug=slug).order_by()[:1]), None)
    if brand is None or not has_perm(user, Action.VIEW, brand):
        raise Http404("No such brand.")
    if action is not Action.VIEW:
        require(user, action, brand)
    return brand


def get_brand_and_channel(user, slug: str, channel_pk) -> tuple[Brand, Channel | None]:
    """The brand by slug, checked as :func:`get_brand` does for viewing, and its channel
    ``channel_pk`` if it has one by that id (else None), in one query when it has."""
    try:
        pk = int(channel_pk)
    except (TypeError, ValueError):
        pk = 0
    if not 0 < pk < 2**63:  # no such id (and none the database would overflow on)
        return get_brand(user, slug), None
    found = Channel.objects.select_related("brand").filter(pk=pk, brand__slug=slug).order_by()
    channel = next(iter(found[:1]), None)
    if channel is None:
        return get_brand(user, slug), None
    if not has_perm(user, Action.VIEW, channel.brand):
        raise Http404("No such brand.")
    return channel.brand, channel


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
    decision = _decision(user)
    if decision is not None:
        return frozenset(
            action for action, name in BRAND_CODENAMES.items() if decision.allows(name, brand)
        )
    from guardian.core import ObjectPermissionChecker

    codenames = set(ObjectPermissionChecker(user).get_perms(brand))
    return frozenset(action for action, name in BRAND_CODENAMES.items() if name in codenames)


def roles_in(user, brand: Brand) -> list[str]:
    if not _active(user):
        return []
    membership = Membership.objects.filter(user=user, brand=brand).first()
    return membership.roles if membership else []
