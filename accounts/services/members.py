"""Writes for people: accounts, brand memberships and roles, invitations, and the personal
accounts staff register (which the connect guard refuses as channels)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, router, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import permissions
from accounts.models import (
    Brand,
    BrandGroup,
    Channel,
    Membership,
    PersonalAccount,
    Platform,
    Role,
    User,
    has_control_characters,
)
from accounts.services.audit import audit_record
from config.errors import Conflict, NotFoundError

# --- people ---------------------------------------------------------------------------------


def user_has_history(user: User) -> bool:
    """Whether anything that must be kept points at the person (audit events they caused,
    approvals they gave: any PROTECT reference), so they can be deactivated, not deleted."""
    collector = Collector(using=router.db_for_write(User, instance=user))
    try:
        collector.collect([user])
    except (ProtectedError, RestrictedError):
        return True
    return False


@transaction.atomic
def user_remove(*, user: User, actor: User | None) -> str:
    """Delete a person who has no history; deactivate one who has (their name stays on
    their audit events and approvals). Returns "deleted" or "deactivated"."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and actor.pk == user.pk:
        raise Conflict("You cannot remove your own account.")
    if user_has_history(user):
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit_record(
                action="user.deactivated",
                actor=actor,
                obj=user,
                message=f"{user.username} has history, so was deactivated instead of deleted",
            )
        return "deactivated"
    username, pk = user.username, user.pk
    user.delete()
    audit_record(action="user.deleted", actor=actor, message=username, data={"user_id": pk})
    return "deleted"


# --- memberships ----------------------------------------------------------------------------


def _required_roles(roles: Iterable[str]) -> set[str]:
    """The roles as a set of known role names, at least one."""
    roles = {str(role) for role in roles}
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown roles: {', '.join(sorted(unknown))}")
    if not roles:
        raise ValidationError("Give the member at least one role.")
    return roles


@transaction.atomic
def membership_set(
    *,
    brand: Brand,
    user: User,
    roles: Iterable[str],
    actor: User | None,
    channels: Iterable[Channel] | None = None,
    channels_restricted: bool | None = None,
) -> Membership:
    """Add the person to the brand, or change their roles and channel restriction.

    ``channels`` None keeps the current restriction. Otherwise the member is limited to
    those channels, or has all of them when the list is empty; ``channels_restricted=True``
    with an empty list limits them to none. A limited member whose channels are all removed
    later keeps no channels: the restriction is explicit, never "empty means all".
    """
    roles = _required_roles(roles)
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, brand=brand
    )
    before = membership.roles
    before_channels = _restriction(membership)
    if not created and Role.ADMIN.value in before and Role.ADMIN.value not in roles:
        _ensure_another_admin(brand, leaving=user)
    for role in Role:
        setattr(membership, f"is_{role.value}", role.value in roles)
    if channels is not None:
        channels = list(channels)
        foreign = [c for c in channels if c.brand_id != brand.pk]
        if foreign:
            raise ValidationError("A member can only be limited to the brand's own channels.")
        membership.channels_restricted = (
            bool(channels) if channels_restricted is None else bool(channels_restricted)
        )
    elif channels_restricted is not None:
        membership.channels_restricted = bool(channels_restricted)
    membership.save()
    if channels is not None:
        membership.channels.set(channels if membership.channels_restricted else [])
    permissions.sync_membership_permissions(membership, user=user, brand=brand)
    data = {"before": before, "after": sorted(roles)}
    after_channels = _restriction(membership)
    if after_channels != before_channels:
        data["channels"] = {"before": before_channels, "after": after_channels}
    audit_record(
        action="membership.added" if created else "membership.changed",
        actor=actor,
        brand=brand,
        obj=membership,
        message=f"{user.username}: {', '.join(sorted(roles))}",
        data=data,
    )
    return membership


def _restriction(membership: Membership) -> str | list[str]:
    """ "all", or the handles of the channels a limited member has (for the audit trail)."""
    if membership.pk is None or not membership.channels_restricted:
        return "all"
    return sorted(membership.channels.values_list("handle", flat=True))


def _ensure_another_admin(brand: Brand, *, leaving: User) -> None:
    others = brand.memberships.filter(is_admin=True, user__is_active=True).exclude(user=leaving)
    if not others.exists():
        raise Conflict("A brand needs at least one admin: make someone else admin first.")


@transaction.atomic
def membership_remove(*, brand: Brand, user: User, actor: User) -> None:
    membership = Membership.objects.select_for_update().filter(brand=brand, user=user).first()
    if membership is None:
        return
    if membership.is_admin:
        _ensure_another_admin(brand, leaving=user)
    membership.delete()
    user.groups.remove(*Group.objects.filter(brand_group__brand=brand))
    permissions.sync_membership_permissions(None, user=user, brand=brand)
    audit_record(
        action="membership.removed",
        actor=actor,
        brand=brand,
        message=user.username,
        data={"user_id": user.pk},
    )


@transaction.atomic
def member_invite(
    *,
    brand: Brand,
    actor: User,
    roles: Iterable[str],
    username_or_email: str,
    request=None,
) -> Membership:
    """Add an existing person by username or email, or create an account and email a link.

    The link is Django's password-reset link, so the new member chooses their own password.
    Everything is checked before anything is written, and the email leaves only once the
    membership is committed: a refused invitation sends nothing.
    """
    permissions.require(actor, permissions.Action.ADMIN, brand)
    roles = _required_roles(roles)
    ident = (username_or_email or "").strip()
    if not ident:
        raise ValidationError("Enter a username or an email address.")
    user = _find_person(ident)
    if user is None:
        user = _invited_user_create(ident)
        form = PasswordResetForm({"email": ident})
        if form.is_valid():
            # Unusable passwords are skipped by PasswordResetForm.get_users; send directly.
            transaction.on_commit(
                lambda: _send_invite(form, user=user, brand=brand, request=request)
            )
    return membership_set(brand=brand, user=user, roles=roles, actor=actor)


def _find_person(ident: str) -> User | None:
    """The person called ``ident``, or with that email address; None when nobody is."""
    user = User.objects.filter(username__iexact=ident).first()
    if user is None and "@" in ident:
        user = User.objects.filter(email__iexact=ident).first()
    return user


def _invited_user_create(email: str) -> User:
    """A new account for an invited email address, with a free username and no password."""
    if "@" not in email:
        raise ValidationError(
            f"Nobody is called {email!r}. Enter their email address to invite them."
        )
    validate_email(email)
    base = re.sub(r"[^a-z0-9_.-]", "", email.split("@")[0].lower())[:30] or "member"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    user = User.objects.create_user(username=username, email=email)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _send_invite(form: PasswordResetForm, *, user: User, brand: Brand, request) -> None:
    # The link is built from SITE_URL, never from the request's (forgeable) Host header.
    site_url = settings.COUNTERSIGN["SITE_URL"]
    domain, use_https = urlsplit(site_url).netloc, site_url.startswith("https:")
    context = {
        "site_url": site_url,
        "email": user.email,
        "domain": domain,
        "site_name": "Countersign",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
        "brand": brand,
    }
    form.send_mail(
        "accounts/email/invite_subject.txt",
        "accounts/email/invite_body.txt",
        context,
        None,
        user.email,
    )


# --- the brand's groups (e.g. Legal, which an approval step may require) ---------------------


@transaction.atomic
def brand_group_create(*, brand: Brand, name: str, actor: User | None) -> Group:
    """A new group of the brand's people. Group names are unique across the installation."""
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    name = (name or "").strip()
    if not name or len(name) > 150 or has_control_characters(name):
        raise ValidationError({"name": "Give the group a name of at most 150 characters."})
    try:
        with transaction.atomic():
            group = Group.objects.create(name=name)
    except IntegrityError as exc:
        raise Conflict(f"There is already a group called {name!r}; choose another name.") from exc
    BrandGroup.objects.create(group=group, brand=brand)
    audit_record(action="group.created", actor=actor, brand=brand, obj=group, message=name)
    return group


def _brand_of_group(group: Group) -> Brand:
    owned = BrandGroup.objects.select_related("brand").filter(group=group).first()
    if owned is None:
        raise ValidationError({"group": f"{group.name} is not a brand's group."})
    return owned.brand


def brand_group_members_check(*, user: User, groups: Iterable[Group]) -> None:
    """Refuse putting ``user`` in a brand's group unless they are a member of that brand.
    Groups of no brand (the installation's staff groups) are not this check's business."""
    owned = BrandGroup.objects.filter(group__in=list(groups)).select_related("group", "brand")
    member_of = set(Membership.objects.filter(user=user).values_list("brand_id", flat=True))
    outside = sorted(
        f"{o.group.name} ({o.brand.name})" for o in owned if o.brand_id not in member_of
    )
    if outside:
        raise ValidationError(
            {
                "groups": f"{user.username} is not a member of the brand of: "
                f"{', '.join(outside)}. Add them to the brand first."
            }
        )


@transaction.atomic
def brand_group_member_add(*, group: Group, user: User, actor: User | None) -> None:
    """Put a member of the group's brand in the group."""
    brand = _brand_of_group(group)
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    brand_group_members_check(user=user, groups=[group])
    if user.groups.filter(pk=group.pk).exists():
        return
    user.groups.add(group)
    audit_record(
        action="group.member_added",
        actor=actor,
        brand=brand,
        obj=group,
        message=f"{user.username} in {group.name}",
        data={"user_id": user.pk},
    )


@transaction.atomic
def brand_group_member_remove(*, group: Group, user: User, actor: User | None) -> None:
    brand = _brand_of_group(group)
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    if not user.groups.filter(pk=group.pk).exists():
        return
    user.groups.remove(group)
    audit_record(
        action="group.member_removed",
        actor=actor,
        brand=brand,
        obj=group,
        message=f"{user.username} left {group.name}",
        data={"user_id": user.pk},
    )


# --- personal accounts ----------------------------------------------------------------------

HANDLE_RE = re.compile(r"^@?[A-Za-z0-9_.-]{1,100}(@[A-Za-z0-9.-]{1,253})?$")


def normalize_handle(handle: str, *, platform: str, instance_url: str = "") -> str:
    """Case-folded, without a leading @, with the instance domain (no port) for Mastodon.

    ``@Jo``, ``jo@Mastodon.Social`` and ``@jo@mastodon.social:443`` on https://mastodon.social
    are one account.
    """

    value = (handle or "").strip().lower().lstrip("@").rstrip(".")
    local, _, domain = value.partition("@")
    domain = domain.split(":")[0].rstrip(".")
    if platform == Platform.MASTODON and not domain and instance_url:
        domain = (urlsplit(instance_url).hostname or "").lower()
    return f"{local}@{domain}" if domain else local


@transaction.atomic
def personal_account_register(
    *, user: User, platform: str, handle: str, instance_url: str = "", remote_account_id: str = ""
) -> PersonalAccount:
    handle = (handle or "").strip()
    if not HANDLE_RE.fullmatch(handle) or has_control_characters(handle):
        raise ValidationError({"handle": "Enter a handle like @name or @name@instance.social."})
    if platform not in {
        "mastodon",
        "bluesky",
        "x",
        "facebook",
        "instagram",
        "linkedin",
        "threads",
        "tiktok",
    }:
        raise ValidationError({"platform": f"Unknown platform {platform!r}."})
    if instance_url and not re.match(r"^https?://[^\s/]+", instance_url):
        raise ValidationError(
            {"instance_url": "Enter an http(s) URL, e.g. https://mastodon.social"}
        )
    normalized = normalize_handle(handle, platform=platform, instance_url=instance_url)
    existing = PersonalAccount.objects.filter(
        platform=platform, normalized_handle=normalized
    ).first()
    if existing is not None:
        if existing.user_id == user.pk:
            return existing
        raise Conflict("Someone else has already registered that account as theirs.")
    account = PersonalAccount(
        user=user,
        platform=platform,
        instance_url=instance_url.rstrip("/"),
        handle=handle,
        normalized_handle=normalized,
        remote_account_id=remote_account_id,
    )
    account.full_clean()
    account.save()
    return account


def personal_account_delete(*, user: User, pk: int) -> None:
    deleted, _ = PersonalAccount.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        raise NotFoundError("No such personal account.")
