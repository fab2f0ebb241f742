"""Connecting a channel through a platform's consent page (OAuth 2.0 authorization code):
X, LinkedIn, Facebook Pages, Instagram and Threads.

1. ``oauth_connect_begin``: a brand admin asks to connect; a state and (where the platform
   takes it) a PKCE verifier are kept server side in the person's session, bound to the
   person, the brand and the platform, for ``STATE_SECONDS``; the browser goes to the
   platform's consent page.
2. ``oauth_connect_finish``: the platform sends the browser back with ``code`` and
   ``state``. The state is taken out of the session (single use) and checked (same person,
   same platform, not expired), the code exchanged for a token, and then either the channel
   is connected through ``channel_connect`` (whoami, then the guard: personal accounts and
   channels already connected are refused) or, for Facebook, Instagram and a LinkedIn member
   with several organisations, a choice of Page is kept (its tokens encrypted) for
3. ``oauth_connect_choose``: the admin picks the Page or organisation; it is connected
   through the same guard.

A reconnect (``channel`` given to begin) stores the new token on the existing channel only
when the platform says it is the same account.

The app credentials and API addresses come from ``settings.COUNTERSIGN["OAUTH_APPS"]``
(read from the environment by ``config/env.py``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts import permissions
from accounts.crypto import decrypt_credential, encrypt_credential
from accounts.models import Brand, Channel, User
from accounts.services.audit import audit_record
from accounts.services.channels import (
    ChannelRefused,
    PlatformProblem,
    _client_for,
    _identity_of,
    channel_connect,
)
from config.errors import DomainError
from platforms import errors as platform_errors
from platforms.oauth import OAuthApp, OAuthClient, OAuthEndpoints, OAuthToken
from platforms.registry import get_client_class

#: The platforms connected through a consent page (the others take a token or password).
OAUTH_PLATFORMS = ("x", "linkedin", "facebook", "instagram", "threads")
SESSION_KEY = "oauth_connect"
STATE_SECONDS = 600  # the consent page must come back within ten minutes
CHOICE_SECONDS = 900
MAX_PENDING = 8  # per session: the oldest are dropped


class ConnectRefused(DomainError):
    """The answer from the consent page cannot be used (unknown, expired or reused state,
    another person's sign-in, the person cancelled)."""

    status_code = 400
    code = "connect_refused"


@dataclass(frozen=True)
class PageChoice:
    id: str
    name: str
    detail: str = ""


@dataclass
class ConnectResult:
    """Either the connected channel, or the Pages/organisations to choose from."""

    channel: Channel | None = None
    choice_id: str = ""
    choices: list[PageChoice] = field(default_factory=list)
    brand: Brand | None = None
    platform: str = ""
    reconnected: bool = False


# --- the installation's apps ----------------------------------------------------------------


def _app_settings(platform: str) -> dict:
    return dict(settings.COUNTERSIGN.get("OAUTH_APPS", {}).get(platform) or {})


def is_oauth_platform(platform: str) -> bool:
    return platform in OAUTH_PLATFORMS


def oauth_configured(platform: str) -> bool:
    return is_oauth_platform(platform) and bool(_app_settings(platform).get("client_id"))


def redirect_uri(platform: str) -> str:
    site = settings.COUNTERSIGN["SITE_URL"].rstrip("/")
    return site + reverse("oauth_callback", kwargs={"platform": platform})


def oauth_app(platform: str) -> OAuthApp | None:
    """This installation's app on the platform, or None when none is configured."""
    if not oauth_configured(platform):
        return None
    conf = _app_settings(platform)
    return OAuthApp(
        client_id=conf["client_id"],
        client_secret=conf.get("client_secret", ""),
        redirect_uri=redirect_uri(platform),
    )


def api_url(platform: str) -> str:
    """Where the platform's API is: the configured address, else the real one."""
    return _app_settings(platform).get("api_url") or get_client_class(platform).default_instance_url


def oauth_endpoints(platform: str) -> OAuthEndpoints:
    endpoints = get_client_class(platform).oauth
    configured = _app_settings(platform).get("api_url")
    return endpoints.on(configured) if configured else endpoints


def consent_origins() -> list[str]:
    """The origins of the configured platforms' consent pages (for the CSP's form-action)."""
    origins = []
    for platform in OAUTH_PLATFORMS:
        if oauth_configured(platform):
            parts = urlsplit(oauth_endpoints(platform).authorize_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


def _oauth_client(platform: str) -> OAuthClient:
    app = oauth_app(platform)
    if app is None:
        raise ConnectRefused(
            f"{get_client_class(platform).label} is not configured by your administrator "
            "(no app credentials on this installation)."
        )
    return OAuthClient(
        oauth_endpoints(platform),
        app,
        platform=platform,
        label=get_client_class(platform).label,
        timeout=settings.COUNTERSIGN["PLATFORM_TIMEOUT_SECONDS"],
        allow_private_hosts=settings.COUNTERSIGN["ALLOW_PRIVATE_INSTANCE_URLS"],
    )


# --- the session store ----------------------------------------------------------------------


def _pending(session: MutableMapping) -> dict:
    store = session.get(SESSION_KEY)
    if not isinstance(store, dict):
        store = {}
    now = time.time()
    store = {k: v for k, v in store.items() if isinstance(v, dict) and v.get("expires", 0) > now}
    if len(store) > MAX_PENDING:
        newest = sorted(store.items(), key=lambda kv: kv[1]["expires"])[-MAX_PENDING:]
        store = dict(newest)
    return store


def _save(session: MutableMapping, store: dict) -> None:
    session[SESSION_KEY] = store
    if hasattr(session, "modified"):
        session.modified = True


def _take(session: MutableMapping, key: str, *, actor: User, kind: str) -> dict:
    """Remove and return a pending entry (single use); refused when unknown, expired or
    not this person's."""
    store = _pending(session)
    entry = store.pop(str(key or ""), None)
    _save(session, store)
    if entry is None or entry.get("kind") != kind:
        raise ConnectRefused(
            "This answer from the platform does not belong to a connection you started here, "
            "or it expired or was already used. Start connecting again."
        )
    if entry.get("user") != actor.pk:
        raise ConnectRefused("This connection was started by someone else; start it again.")
    return entry


# --- 1. begin -------------------------------------------------------------------------------


def oauth_connect_begin(
    *,
    session: MutableMapping,
    brand: Brand,
    actor: User,
    platform: str,
    channel: Channel | None = None,
) -> str:
    """The consent page's address; the state and PKCE verifier are kept in ``session``.
    ``channel``: reconnect that channel (same account, new token)."""
    permissions.require(actor, permissions.Action.ADMIN, brand)
    if not is_oauth_platform(platform):
        raise ValidationError(
            {"platform": f"{platform!r} is not connected through a consent page."}
        )
    if channel is not None and (channel.brand_id != brand.pk or channel.platform != platform):
        raise ValidationError({"channel": "That channel is not this brand's."})
    client = _oauth_client(platform)
    request = client.authorization_request()
    store = _pending(session)
    store[request.state] = {
        "kind": "state",
        "platform": platform,
        "brand": brand.pk,
        "user": actor.pk,
        "verifier": request.code_verifier,
        "channel": channel.pk if channel is not None else None,
        "expires": time.time() + STATE_SECONDS,
    }
    _save(session, store)
    return request.url


# --- 2. the way back ------------------------------------------------------------------------


def oauth_connect_finish(
    *,
    session: MutableMapping,
    actor: User,
    platform: str,
    state: str,
    code: str = "",
    error: str = "",
) -> ConnectResult:
    entry = _take(session, state, actor=actor, kind="state")
    if entry["platform"] != platform:
        raise ConnectRefused("The platform that answered is not the one you started with.")
    brand = Brand.objects.filter(pk=entry["brand"]).first()
    if brand is None:
        raise ConnectRefused("That brand no longer exists.")
    permissions.require(actor, permissions.Action.ADMIN, brand)
    label = get_client_class(platform).label
    if error:
        raise ConnectRefused(f"{label} did not connect: the sign-in was cancelled ({error[:80]}).")
    client = _oauth_client(platform)
    try:
        token = client.exchange_code(code=code, code_verifier=entry.get("verifier") or "")
    except platform_errors.PlatformError as exc:
        raise PlatformProblem(str(exc)) from exc
    reconnect = (
        Channel.objects.filter(pk=entry["channel"], brand=brand, platform=platform).first()
        if entry.get("channel")
        else None
    )
    try:
        credentials = _credentials_after_consent(platform, client, token)
    except platform_errors.PersonalAccountRefused as exc:
        _refused(brand=brand, actor=actor, platform=platform, reason=str(exc))
    except platform_errors.PlatformError as exc:
        raise PlatformProblem(str(exc)) from exc
    if len(credentials) == 1 and platform not in ("facebook", "instagram"):
        [(_choice, credential)] = credentials
        return _connect(
            brand=brand, actor=actor, platform=platform, credential=credential, reconnect=reconnect
        )
    choice_id = secrets.token_urlsafe(16)
    store = _pending(session)
    store[choice_id] = {
        "kind": "choice",
        "platform": platform,
        "brand": brand.pk,
        "user": actor.pk,
        "channel": reconnect.pk if reconnect is not None else None,
        "choices": [
            {"id": c.id, "name": c.name, "detail": c.detail, "secret": encrypt_credential(cred)}
            for c, cred in credentials
        ],
        "expires": time.time() + CHOICE_SECONDS,
    }
    _save(session, store)
    return ConnectResult(
        choice_id=choice_id,
        choices=[c for c, _ in credentials],
        brand=brand,
        platform=platform,
    )


def oauth_choice(*, session: MutableMapping, actor: User, choice_id: str) -> ConnectResult:
    """The Pages waiting to be chosen (without taking them)."""
    entry = _pending(session).get(str(choice_id or ""))
    if not entry or entry.get("kind") != "choice" or entry.get("user") != actor.pk:
        raise ConnectRefused("That choice expired or is not yours; start connecting again.")
    brand = Brand.objects.filter(pk=entry["brand"]).first()
    if brand is None:
        raise ConnectRefused("That brand no longer exists.")
    permissions.require(actor, permissions.Action.ADMIN, brand)
    return ConnectResult(
        choice_id=choice_id,
        choices=[PageChoice(c["id"], c["name"], c.get("detail", "")) for c in entry["choices"]],
        brand=brand,
        platform=entry["platform"],
    )


# --- 3. the chosen Page -----------------------------------------------------------------------


def oauth_connect_choose(
    *, session: MutableMapping, actor: User, choice_id: str, page_id: str
) -> ConnectResult:
    entry = _take(session, choice_id, actor=actor, kind="choice")
    brand = Brand.objects.filter(pk=entry["brand"]).first()
    if brand is None:
        raise ConnectRefused("That brand no longer exists.")
    permissions.require(actor, permissions.Action.ADMIN, brand)
    chosen = next((c for c in entry["choices"] if c["id"] == str(page_id)), None)
    if chosen is None:
        raise ConnectRefused("Choose one of the Pages listed; start connecting again.")
    platform = entry["platform"]
    reconnect = (
        Channel.objects.filter(pk=entry["channel"], brand=brand, platform=platform).first()
        if entry.get("channel")
        else None
    )
    return _connect(
        brand=brand,
        actor=actor,
        platform=platform,
        credential=decrypt_credential(chosen["secret"]),
        reconnect=reconnect,
    )


# --- per platform: from the consent's token to the credentials a channel can hold ------------


def _credentials_after_consent(
    platform: str, oauth: OAuthClient, token: OAuthToken
) -> list[tuple[PageChoice, dict]]:
    """What may become a channel after the consent: one credential (X, Threads, a LinkedIn
    member with one organisation) or one per Page/organisation to choose from."""
    if platform == "x":
        return [(PageChoice("me", "X account"), token.as_credential())]
    if platform == "threads":
        from platforms.threads import ThreadsClient

        long_lived = ThreadsClient.long_lived_token(oauth, token)
        return [(PageChoice("me", "Threads profile"), long_lived.as_credential())]
    if platform == "linkedin":
        client = _api_client(platform, token.as_credential())
        organizations = client.organizations()
        if not organizations:
            client.whoami()  # raises PersonalAccountRefused with LinkedIn's reason
        return [
            (
                PageChoice(o["urn"], o["urn"].rsplit(":", 1)[-1], o["role"].title()),
                {**token.as_credential(), "organization_urn": o["urn"]},
            )
            for o in organizations
        ]
    # Facebook and Instagram: a long-lived user token lists the Pages with a token each.
    from platforms.facebook import FacebookClient

    user_token = FacebookClient.long_lived_user_token(oauth, token)
    pages = _api_client("facebook", {"access_token": user_token.access_token}).list_pages()
    if platform == "instagram":
        pages = [p for p in pages if isinstance(p.get("instagram_business_account"), dict)]
    if not pages:
        what = (
            "no Facebook Page with an Instagram professional account"
            if platform == "instagram"
            else "no Facebook Page"
        )
        raise platform_errors.PersonalAccountRefused(
            f"This Facebook login manages {what}; a personal profile cannot be a channel. "
            "Sign in as someone who manages the brand's Page.",
            platform=platform,
        )
    found = []
    for page in pages:
        if not page.get("access_token"):
            continue
        credential = {"access_token": str(page["access_token"]), "page_id": str(page["id"])}
        detail = ""
        if platform == "instagram":
            ig = page["instagram_business_account"]
            credential["ig_user_id"] = str(ig.get("id") or "")
            detail = "Instagram account linked"
        found.append(
            (PageChoice(str(page["id"]), str(page.get("name") or page["id"]), detail), credential)
        )
    return found


def _api_client(platform: str, credential: dict):
    return _client_for(platform=platform, instance_url=api_url(platform), credential=credential)


def _refused(*, brand: Brand, actor: User, platform: str, reason: str):
    audit_record(
        action="channel.refused",
        actor=actor,
        brand=brand,
        message=reason,
        data={"platform": platform},
    )
    raise ChannelRefused(reason)


def _connect(
    *, brand: Brand, actor: User, platform: str, credential: dict, reconnect: Channel | None
) -> ConnectResult:
    if reconnect is not None:
        channel = channel_reconnect(channel=reconnect, actor=actor, credential=credential)
        return ConnectResult(channel=channel, brand=brand, platform=platform, reconnected=True)
    channel = channel_connect(
        brand=brand,
        actor=actor,
        platform=platform,
        instance_url=api_url(platform),
        credential=credential,
    )
    return ConnectResult(channel=channel, brand=brand, platform=platform)


def channel_reconnect(*, channel: Channel, actor: User, credential: dict) -> Channel:
    """A new credential for an existing channel: only if the platform says it is the same
    account (its stable id); clears the channel's "reconnect" mark."""
    permissions.require(actor, permissions.Action.ADMIN, channel.brand)
    client = _client_for(
        platform=channel.platform, instance_url=channel.instance_url, credential=credential
    )
    try:
        identity = _identity_of(client)
    except PlatformProblem as exc:
        cause = exc.__cause__
        if isinstance(cause, platform_errors.PersonalAccountRefused):
            _refused(brand=channel.brand, actor=actor, platform=channel.platform, reason=str(cause))
        raise
    if identity.remote_id != channel.remote_account_id:
        _refused(
            brand=channel.brand,
            actor=actor,
            platform=channel.platform,
            reason=(
                f"That sign-in is {identity.handle}, not {channel.handle}: a reconnect must be "
                "the same account. Nothing was changed."
            ),
        )
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        locked.set_credential({k: str(v) for k, v in credential.items() if v})
        locked.reconnect_reason = ""
        locked.save(update_fields=["credential_encrypted", "reconnect_reason"])
        audit_record(
            action="channel.reconnected",
            actor=actor,
            brand=locked.brand,
            obj=locked,
            message=f"{locked.handle} ({locked.platform})",
        )
    return locked
