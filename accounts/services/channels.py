"""Writes for channels: connecting (the guard's first layer: a personal account or another
brand's channel is never connected), the demo outbox, pausing, removing."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Channel, PersonalAccount, Platform, User, has_control_characters
from accounts.services.audit import audit_record
from accounts.services.members import normalize_handle
from config.errors import Conflict, DomainError
from platforms import addresses
from platforms import errors as platform_errors
from platforms.registry import get_client_class

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


MAX_APPROVALS_REQUIRED = 10  # the model's validators and the brand's check constraint agree


def _clean_approvals_required(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"required": "Give a whole number."})
    if not 1 <= value <= MAX_APPROVALS_REQUIRED:
        raise ValidationError({"required": f"Give a number from 1 to {MAX_APPROVALS_REQUIRED}."})
    return value


@transaction.atomic
def channel_set_required_approvals(
    *, channel: Channel, actor: User, required: int | None
) -> Channel:
    """Raise the number of approvals for one channel (never below the brand's), or clear it
    (``None``: the brand's number applies). Brand admins only; audited when it changes."""
    permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    channel = Channel.objects.select_for_update().select_related("brand").get(pk=channel.pk)
    if required is not None:
        required = _clean_approvals_required(required)
        if required < channel.brand.approvals_required:
            raise ValidationError(
                {
                    "required": f"A channel can only raise the brand's number "
                    f"({channel.brand.approvals_required}); leave it empty to use the brand's."
                }
            )
    before = channel.approvals_required
    if before == required:
        return channel
    channel.approvals_required = required
    channel.save(update_fields=["approvals_required"])
    audit_record(
        action="channel.approvals_changed",
        actor=actor,
        brand=channel.brand,
        obj=channel,
        message=f"{channel.handle}: {before or 'brand default'} → {required or 'brand default'}",
        data={"before": before, "after": required},
    )
    return channel


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


# --- connecting channels (the guard's first layer) -------------------------------------------


class ChannelRefused(DomainError):
    """The credential may not become a channel of this brand; the message says why."""

    status_code = 409
    code = "channel_refused"


class PlatformProblem(DomainError):
    """The platform could not be asked, or its answer could not be used."""

    status_code = 400
    code = "platform_error"


def _client_for(*, platform: str, instance_url: str, credential: dict, **extra):
    """Build a platform client; every refusal becomes a clear validation error. ``extra``:
    the OAuth clients' ``oauth_app``, ``oauth_endpoints`` and ``on_token_refresh``."""

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
            **extra,
        )
    except platform_errors.InvalidInstanceURL as exc:
        raise ValidationError({"instance_url": str(exc)}) from exc
    except platform_errors.PlatformError as exc:
        raise PlatformProblem(str(exc)) from exc


def channel_client(channel: Channel):
    """The platform client that speaks for a connected channel, with its stored credential."""

    if channel.platform == Platform.OUTBOX:
        return _client_for(
            platform=channel.platform,
            instance_url=str(settings.COUNTERSIGN["OUTBOX_DIR"] / channel.brand.slug),
            credential={"handle": channel.handle},
        )
    from accounts.services import oauth_connect

    extra = _oauth_extra(channel.platform)
    if oauth_connect.is_oauth_platform(channel.platform):
        # Refreshed before it expires; the new token is stored (encrypted) at once.
        channel_id = channel.pk
        extra["on_token_refresh"] = lambda token: channel_token_store(
            channel_id=channel_id, credential=token.as_credential()
        )
    return _client_for(
        platform=channel.platform,
        instance_url=channel.instance_url,
        credential=channel.credential,
        **extra,
    )


@transaction.atomic
def channel_token_store(*, channel_id: int, credential: dict) -> None:
    """Keep a refreshed token (merged into the stored credential, encrypted)."""
    channel = Channel.objects.select_for_update().filter(pk=channel_id).first()
    if channel is None:
        return
    merged = {**channel.credential, **{k: str(v) for k, v in credential.items() if v}}
    channel.set_credential(merged)
    channel.save(update_fields=["credential_encrypted"])


@transaction.atomic
def channel_mark_reconnect(*, channel_id: int, reason: str) -> None:
    """The platform refused the channel's credential (a token that could not be refreshed,
    a revoked one): the channel shows "reconnect" until it is connected again."""
    reason = (reason or "The platform refused the credential.").strip()[:500]
    updated = (
        Channel.objects.filter(pk=channel_id)
        .exclude(reconnect_reason=reason)
        .update(reconnect_reason=reason)
    )
    if updated:
        channel = Channel.objects.select_related("brand").get(pk=channel_id)
        audit_record(
            action="channel.needs_reconnect",
            actor=None,
            brand=channel.brand,
            obj=channel,
            message=reason,
        )


def _platform_client(*, platform: str, instance_url: str, credential: dict):

    try:
        needs_url = get_client_class(platform).needs_instance_url
    except Exception:  # unknown platform: _client_for says so
        needs_url = False
    if needs_url or instance_url:
        instance_url = _safe_instance_url(instance_url)
    return _client_for(
        platform=platform,
        instance_url=instance_url,
        credential=credential,
        **_oauth_extra(platform),
    )


def _oauth_extra(platform: str) -> dict:
    """The app an OAuth client refreshes its token with (none for the other platforms)."""
    from accounts.services import oauth_connect

    if not oauth_connect.is_oauth_platform(platform):
        return {}
    return {
        "oauth_app": oauth_connect.oauth_app(platform),
        "oauth_endpoints": oauth_connect.oauth_endpoints(platform),
    }


def _safe_instance_url(url: str) -> str:
    """http(s) only, and no private or loopback hosts unless the operator allows them.

    An early, friendly answer for the connect form; the platform client checks the address
    of every connection it opens too (the name may resolve differently a moment later).
    """

    allow_private = settings.COUNTERSIGN["ALLOW_PRIVATE_INSTANCE_URLS"]
    try:
        url = addresses.public_instance_url(url, allow_private_hosts=allow_private)
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
    if actor is not None:
        permissions.require(actor, permissions.Action.ADMIN, brand)
    if platform == Platform.OUTBOX:
        handle = (credential.get("handle") or f"@{brand.slug}-outbox").strip()
        return channel_create_outbox(brand=brand, handle=handle, actor=actor)
    credential = {k: str(v) for k, v in credential.items() if v not in (None, "")}
    credential.pop("handle", None)
    client = _platform_client(platform=platform, instance_url=instance_url, credential=credential)
    try:
        identity = _identity_of(client)
    except PlatformProblem as exc:
        if isinstance(exc.__cause__, platform_errors.PersonalAccountRefused):
            # The platform itself says this is a person's own profile, not a brand's page.
            audit_record(
                action="channel.refused",
                actor=actor,
                brand=brand,
                message=str(exc.__cause__),
                data={"platform": platform},
            )
            raise ChannelRefused(str(exc.__cause__)) from exc
        raise
    try:
        limits = client.instance_limits()
    except platform_errors.PlatformError:
        limits = {}
    _refuse_if_personal_or_taken(
        brand=brand,
        actor=actor,
        platform=platform,
        identity=identity,
        instance_url=client.instance_url,
    )
    token = getattr(client, "token", None)
    if token is not None:  # refreshed while asking who it is: store the new one
        credential = {**credential, **token.as_credential()}
    return _connected_channel_create(
        brand=brand,
        actor=actor,
        platform=platform,
        instance_url=client.instance_url,
        credential=credential,
        identity=identity,
        max_characters=limits.get("max_characters"),
    )


def _identity_of(client):
    """Who the platform says the credential is; refused when its answer cannot be stored."""
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
    return identity


def _refuse_if_personal_or_taken(
    *, brand: Brand, actor: User | None, platform: str, identity, instance_url: str
) -> None:
    """The guard's first layer: a registered personal account, or an account that is already
    a channel (of this brand or another), is refused and the refusal audited."""
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


@transaction.atomic
def _connected_channel_create(
    *,
    brand: Brand,
    actor: User | None,
    platform: str,
    instance_url: str,
    credential: dict,
    identity,
    max_characters: int | None,
) -> Channel:
    channel = Channel(
        brand=brand,
        platform=platform,
        handle=identity.handle,
        display_name=identity.display_name[:255],
        avatar_url=identity.avatar_url[:500] if identity.avatar_url.startswith("http") else "",
        profile_url=identity.profile_url[:500] if identity.profile_url.startswith("http") else "",
        instance_url=instance_url,
        remote_account_id=identity.remote_id,
        max_characters=max_characters,
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


@transaction.atomic
def channel_pause_clear(*, channel: Channel, actor: User) -> Channel:
    """Clear the channel's pause flag, and nothing else: resume through
    ``planner.publishing.services.channel_resume``, which holds what fell due."""
    permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if not channel.is_paused:
        raise Conflict(f"{channel.handle} is not paused.")
    channel.is_paused, channel.paused_reason, channel.paused_at = False, "", None
    channel.save(update_fields=["is_paused", "paused_reason", "paused_at"])
    audit_record(action="channel.resumed", actor=actor, brand=channel.brand, obj=channel)
    return channel
