"""Writes for accounts: brands, memberships, channels, personal accounts, audit events.

Services are keyword-only, atomic, and validate before saving.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import Q
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from accounts import permissions
from accounts.models import (
    BRAND_EDITABLE_FIELDS,
    AuditEvent,
    Brand,
    Channel,
    Membership,
    PersonalAccount,
    Platform,
    Role,
    User,
    has_control_characters,
)
from config.errors import Conflict, DomainError, NotFoundError

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


# --- memberships ----------------------------------------------------------------------------


def _clean_roles(roles: Iterable[str]) -> set[str]:
    roles = {str(role) for role in roles}
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown roles: {', '.join(sorted(unknown))}")
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
    roles = _clean_roles(roles)
    if not roles:
        raise ValidationError("Give the member at least one role.")
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
    """
    permissions.require(actor, permissions.Action.ADMIN, brand)
    ident = (username_or_email or "").strip()
    if not ident:
        raise ValidationError("Enter a username or an email address.")
    user = User.objects.filter(username__iexact=ident).first()
    if user is None and "@" in ident:
        user = User.objects.filter(email__iexact=ident).first()
    if user is None:
        if "@" not in ident:
            raise ValidationError(
                f"Nobody is called {ident!r}. Enter their email address to invite them."
            )
        from django.core.validators import validate_email

        validate_email(ident)
        base = re.sub(r"[^a-z0-9_.-]", "", ident.split("@")[0].lower())[:30] or "member"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{n}"
        user = User.objects.create_user(username=username, email=ident)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        form = PasswordResetForm({"email": ident})
        if form.is_valid():
            # Unusable passwords are skipped by PasswordResetForm.get_users; send directly.
            _send_invite(form, user=user, brand=brand, request=request)
    return membership_set(brand=brand, user=user, roles=roles, actor=actor)


def _send_invite(form: PasswordResetForm, *, user: User, brand: Brand, request) -> None:
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

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


# --- channels -------------------------------------------------------------------------------


@transaction.atomic
def channel_create_outbox(*, brand: Brand, handle: str, actor: User | None) -> Channel:
    """The local demo channel: records what would be sent under var/outbox/<brand>/."""
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    handle = handle.strip()
    if not handle:
        raise ValidationError("Give the outbox channel a handle.")
    channel = Channel(
        brand=brand,
        platform=Platform.OUTBOX,
        handle=handle,
        display_name=f"{brand.name} outbox",
        instance_url="",
        remote_account_id=f"outbox:{brand.slug}:{handle.lstrip('@').lower()}",
        connected_by=actor,
    )
    channel.full_clean()
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError as exc:
        raise Conflict("That outbox channel already exists.") from exc
    permissions.sync_brand_permissions(brand)
    audit_record(action="channel.connected", actor=actor, brand=brand, obj=channel)
    return channel


@transaction.atomic
def channel_remove(*, channel: Channel, actor: User | None) -> None:
    """Remove a channel that has never been used. A channel with posts is kept (pause it):
    its posts and their evidence name it. Members limited to it keep their other channels,
    or none; they never gain all of them."""
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    channel = Channel.objects.select_for_update().select_related("brand").get(pk=channel.pk)
    brand, pk, handle = channel.brand, channel.pk, channel.handle
    permissions.forget_channel(channel)
    try:
        with transaction.atomic():
            channel.delete()
    except ProtectedError as exc:
        raise Conflict(f"{handle} has posts, so it cannot be removed; pause it instead.") from exc
    permissions.sync_brand_permissions(brand)
    audit_record(
        action="channel.removed",
        actor=actor,
        brand=brand,
        message=f"{handle} ({channel.platform})",
        data={"channel_id": pk, "remote_id": channel.remote_account_id},
    )


@transaction.atomic
def channel_pause(*, channel: Channel, actor: User, reason: str) -> Channel:
    permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the channel is paused; everyone will see it.")
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    channel.is_paused, channel.paused_reason, channel.paused_at = True, reason[:500], timezone.now()
    channel.save(update_fields=["is_paused", "paused_reason", "paused_at"])
    audit_record(
        action="channel.paused", actor=actor, brand=channel.brand, obj=channel, message=reason
    )
    return channel


# --- personal accounts ----------------------------------------------------------------------

HANDLE_RE = re.compile(r"^@?[A-Za-z0-9_.-]{1,100}(@[A-Za-z0-9.-]{1,253})?$")


def normalize_handle(handle: str, *, platform: str, instance_url: str = "") -> str:
    """Case-folded, without a leading @, with the instance domain (no port) for Mastodon.

    ``@Jo``, ``jo@Mastodon.Social`` and ``@jo@mastodon.social:443`` on https://mastodon.social
    are one account.
    """
    from urllib.parse import urlsplit

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
    if platform not in {"mastodon", "bluesky", "x", "instagram", "linkedin", "threads", "tiktok"}:
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


# --- connecting channels (the guard's first layer) -------------------------------------------


class ChannelRefused(DomainError):
    """The credential may not become a channel of this brand; the message says why."""

    status_code = 409
    code = "channel_refused"


class PlatformProblem(DomainError):
    """The platform could not be asked, or its answer could not be used."""

    status_code = 400
    code = "platform_error"


def _client_for(*, platform: str, instance_url: str, credential: dict):
    """Build a platform client; every refusal becomes a clear validation error."""
    from django.conf import settings

    from platforms import errors as platform_errors
    from platforms.registry import get_client_class

    try:
        client_class = get_client_class(platform)
    except platform_errors.PlatformError as exc:
        raise ValidationError({"platform": f"Unknown platform {platform!r}."}) from exc
    missing = [f for f in client_class.credential_fields if not credential.get(f)]
    if missing:
        raise ValidationError(dict.fromkeys(missing, "This field is required."))
    try:
        return client_class(
            instance_url=instance_url,
            credential=credential,
            timeout=settings.COUNTERSIGN["PLATFORM_TIMEOUT_SECONDS"],
            allow_private_hosts=settings.COUNTERSIGN["ALLOW_PRIVATE_INSTANCE_URLS"],
        )
    except platform_errors.InvalidInstanceURL as exc:
        raise ValidationError({"instance_url": str(exc)}) from exc
    except platform_errors.PlatformError as exc:
        raise PlatformProblem(str(exc)) from exc


def channel_client(channel: Channel):
    """The platform client that speaks for a connected channel, with its stored credential."""
    from django.conf import settings

    if channel.platform == Platform.OUTBOX:
        return _client_for(
            platform=channel.platform,
            instance_url=str(settings.COUNTERSIGN["OUTBOX_DIR"] / channel.brand.slug),
            credential={"handle": channel.handle},
        )
    return _client_for(
        platform=channel.platform,
        instance_url=channel.instance_url,
        credential=channel.credential,
    )


def _platform_client(*, platform: str, instance_url: str, credential: dict):
    from platforms.registry import get_client_class

    try:
        needs_url = get_client_class(platform).needs_instance_url
    except Exception:  # unknown platform: _client_for says so
        needs_url = False
    if needs_url or instance_url:
        instance_url = _safe_instance_url(instance_url)
    return _client_for(platform=platform, instance_url=instance_url, credential=credential)


def _safe_instance_url(url: str) -> str:
    """http(s) only, and no private or loopback hosts unless the operator allows them.

    An early, friendly answer for the connect form; the platform client checks the address
    of every connection it opens too (the name may resolve differently a moment later).
    """
    from urllib.parse import urlsplit

    from django.conf import settings

    from platforms import addresses
    from platforms import errors as platform_errors

    allow_private = settings.COUNTERSIGN["ALLOW_PRIVATE_INSTANCE_URLS"]
    try:
        url = addresses.validate_instance_url(url, allow_private_hosts=allow_private)
        if not allow_private:
            addresses.resolve_public(urlsplit(url).hostname or "")
    except platform_errors.PlatformError as exc:
        raise ValidationError({"instance_url": str(exc)}) from exc
    return url


def _refuse_connect(*, brand: Brand, actor: User | None, platform: str, identity, reason: str):
    audit_record(
        action="channel.refused",
        actor=actor,
        brand=brand,
        message=reason,
        data={"platform": platform, "remote_id": identity.remote_id, "handle": identity.handle},
    )
    raise ChannelRefused(reason)


def channel_connect(
    *,
    brand: Brand,
    actor: User | None,
    platform: str,
    instance_url: str = "",
    credential: dict,
) -> Channel:
    """Ask the platform who the credential is; connect it only if it is safe to.

    Refused when the identity is anyone's registered personal account, or is already a channel
    (of this brand or another). The network call happens outside any transaction.
    """
    from platforms import errors as platform_errors

    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    if platform == Platform.OUTBOX:
        handle = (credential.get("handle") or f"@{brand.slug}-outbox").strip()
        return channel_create_outbox(brand=brand, handle=handle, actor=actor)
    credential = {k: str(v) for k, v in credential.items() if v not in (None, "")}
    credential.pop("handle", None)
    client = _platform_client(platform=platform, instance_url=instance_url, credential=credential)
    try:
        identity = client.whoami()
    except platform_errors.PlatformError as exc:
        raise PlatformProblem(str(exc)) from exc
    for what, value in (
        ("handle", identity.handle),
        ("display name", identity.display_name),
        ("account id", identity.remote_id),
    ):
        if has_control_characters(value):
            raise PlatformProblem(
                f"The platform returned a {what} with control characters (such as a newline); "
                "the channel was not connected."
            )
    try:
        limits = client.instance_limits()
    except platform_errors.PlatformError:
        limits = {}
    instance_url = client.instance_url
    normalized = normalize_handle(identity.handle, platform=platform, instance_url=instance_url)
    personal = (
        PersonalAccount.objects.filter(platform=platform)
        .filter(Q(remote_account_id=identity.remote_id) | Q(normalized_handle=normalized))
        .select_related("user")
        .first()
    )
    if personal is not None:
        _refuse_connect(
            brand=brand,
            actor=actor,
            platform=platform,
            identity=identity,
            reason=(
                f"This credential belongs to {identity.handle}, which {personal.user.username} "
                "registered as a personal account. Countersign never publishes to personal "
                "accounts: connect the brand's own account instead."
            ),
        )
    existing = (
        Channel.objects.filter(platform=platform, remote_account_id=identity.remote_id)
        .select_related("brand")
        .first()
    )
    if existing is not None:
        where = "this brand" if existing.brand_id == brand.pk else "another brand"
        _refuse_connect(
            brand=brand,
            actor=actor,
            platform=platform,
            identity=identity,
            reason=f"{identity.handle} is already connected as a channel of {where}.",
        )
    with transaction.atomic():
        channel = Channel(
            brand=brand,
            platform=platform,
            handle=identity.handle,
            display_name=identity.display_name[:255],
            avatar_url=identity.avatar_url[:500] if identity.avatar_url.startswith("http") else "",
            profile_url=identity.profile_url[:500]
            if identity.profile_url.startswith("http")
            else "",
            instance_url=instance_url,
            remote_account_id=identity.remote_id,
            max_characters=limits.get("max_characters"),
            connected_by=actor,
        )
        channel.set_credential(credential)
        channel.full_clean(exclude=["avatar_url", "profile_url"])
        try:
            with transaction.atomic():
                channel.save()
        except IntegrityError as exc:
            raise ChannelRefused(f"{identity.handle} is already connected.") from exc
        permissions.sync_brand_permissions(brand)
        audit_record(
            action="channel.connected",
            actor=actor,
            brand=brand,
            obj=channel,
            message=f"{channel.handle} ({platform})",
            data={"remote_id": identity.remote_id},
        )
    return channel


# --- notifications ----------------------------------------------------------------------------


def notify(
    *,
    users: Iterable[User],
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    brand: Brand | None = None,
    email: bool = True,
) -> list:
    """Tell people something: an in-app notification each, and an email after commit.

    ``url`` is a path inside Countersign (e.g. a post's page). Inactive users are skipped.
    """
    from django.conf import settings
    from django.core.mail import send_mail

    from accounts.models import Notification

    recipients = {u.pk: u for u in users if u is not None and u.is_active}.values()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user=u, brand=brand, kind=kind, subject=subject[:200], body=body, url=url[:500]
            )
            for u in recipients
        ]
    )
    addresses = [u.email for u in recipients if u.email]
    if email and addresses:
        prefix = f"[{brand.name}] " if brand else ""
        link = f"{settings.COUNTERSIGN['SITE_URL']}{url}" if url.startswith("/") else url
        text = f"{body}\n\n{link}" if link else body

        def send() -> None:
            for address in addresses:
                send_mail(
                    f"{prefix}{subject}"[:200],
                    text,
                    settings.DEFAULT_FROM_EMAIL,
                    [address],
                    fail_silently=True,
                )

        transaction.on_commit(send)
    return rows


def notification_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark one notification (or all of them) read; returns how many changed."""
    from accounts.models import Notification

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


def notification_resolve(
    *, url: str, kinds: Iterable[str], brand: Brand | None = None, user: User | None = None
) -> int:
    """Everyone's (or ``user``'s) unread notifications of ``kinds`` about the thing at ``url``
    are moot (the thing moved on, or the person did what was asked): mark them read. Returns
    how many changed."""
    from accounts.models import Notification

    kinds = list(kinds)
    if not url or not kinds:
        return 0
    qs = Notification.objects.filter(url=url, kind__in=kinds, read_at__isnull=True)
    if brand is not None:
        qs = qs.filter(brand=brand)
    if user is not None:
        qs = qs.filter(user=user)
    return qs.update(read_at=timezone.now())


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
def brand_resume(*, brand: Brand, actor: User) -> Brand:
    """Let publishing go on. (Posts that fell due meanwhile are held by the planner.)"""
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


@transaction.atomic
def channel_resume(*, channel: Channel, actor: User) -> Channel:
    permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if not channel.is_paused:
        raise Conflict(f"{channel.handle} is not paused.")
    channel.is_paused, channel.paused_reason, channel.paused_at = False, "", None
    channel.save(update_fields=["is_paused", "paused_reason", "paused_at"])
    audit_record(action="channel.resumed", actor=actor, brand=channel.brand, obj=channel)
    return channel
