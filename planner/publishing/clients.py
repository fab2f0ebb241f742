"""The platform side: a thread's cached client per channel and the identity check."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from django.core.cache import cache as django_cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Channel
from planner.publishing.records import IDENTITY_CACHE_SECONDS, iso, logger
from platforms.base import Identity

# --- the platform side: clients and the identity check -------------------------------------


def client_class(channel: Channel):
    from platforms.registry import get_client_class

    return get_client_class(channel.platform)


def _credential_fingerprint(channel: Channel) -> str:
    return hashlib.sha256(channel.credential_encrypted.encode()).hexdigest()[:16]


_clients = threading.local()


def cached_client(channel: Channel):
    """The channel's platform client, reused within a thread while the credential is the
    same (its HTTP session keeps the connection open)."""
    cache = getattr(_clients, "by_channel", None)
    if cache is None:
        cache = _clients.by_channel = {}
    key = (channel.pk, channel.platform, channel.instance_url, _credential_fingerprint(channel))
    client = cache.get(key)
    if client is None:
        for old in [k for k in cache if k[0] == channel.pk]:
            cache.pop(old).close()
        client = account_services.channel_client(channel)
        cache[key] = client
    return client


def forget_client(channel: Channel) -> None:
    cache = getattr(_clients, "by_channel", None) or {}
    for old in [k for k in cache if k[0] == channel.pk]:
        cache.pop(old).close()


#: Identities this process wrote to the shared cache (so :func:`clear_caches` can forget them).
_identity_lock = threading.Lock()
_identity_keys: set[str] = set()


def _identity_key(channel: Channel) -> str:
    account = hashlib.sha256(channel.remote_account_id.encode()).hexdigest()[:16]
    return f"countersign:whoami:{channel.pk}:{account}:{_credential_fingerprint(channel)}"


def clear_caches() -> None:
    """Forget remembered identities and this thread's clients (tests; credential rotation)."""
    with _identity_lock:
        keys = list(_identity_keys)
        _identity_keys.clear()
    if keys:
        try:
            django_cache.delete_many(keys)
        except Exception:  # no database at hand (a test's set-up): nothing to forget there
            logger.debug("the shared cache could not forget identity checks", exc_info=True)
    cache = getattr(_clients, "by_channel", None) or {}
    while cache:
        cache.popitem()[1].close()


@dataclass(frozen=True)
class IdentityCheck:
    identity: Identity
    checked_at: dt.datetime
    from_cache: bool

    def evidence(self, channel: Channel) -> dict:
        return {
            "expected_remote_id": channel.remote_account_id,
            "expected_handle": channel.handle,
            "actual_remote_id": self.identity.remote_id,
            "actual_handle": self.identity.handle,
            "matches": self.identity.remote_id == channel.remote_account_id,
            "checked_at": iso(self.checked_at),
            "from_cache": self.from_cache,
        }


def identity_check(channel: Channel, client) -> IdentityCheck:
    """Who the channel's credential posts as now (``whoami``), reused for a few seconds per
    channel and credential by every worker process (the shared cache: the database's, or
    Redis with CACHE_URL). Only a matching answer is remembered. Raises the client's
    errors."""
    key = _identity_key(channel)
    try:
        cached = django_cache.get(key)
    except Exception:  # a cache that is down means asking the platform
        logger.warning("the shared cache could not be read", exc_info=True)
        cached = None
    if cached is not None:
        remote_id, handle, display_name, avatar_url, profile_url, checked_iso = cached
        if remote_id == channel.remote_account_id:
            return IdentityCheck(
                identity=Identity(remote_id, handle, display_name, avatar_url, profile_url),
                checked_at=dt.datetime.fromisoformat(checked_iso),
                from_cache=True,
            )
    identity = client.whoami()
    checked_at = timezone.now()
    if identity.remote_id == channel.remote_account_id:
        value = (
            identity.remote_id,
            identity.handle,
            identity.display_name,
            identity.avatar_url,
            identity.profile_url,
            checked_at.isoformat(),
        )
        try:
            django_cache.set(key, value, timeout=IDENTITY_CACHE_SECONDS)
        except Exception:  # not remembered: the next send asks again
            logger.warning("the shared cache could not keep an identity check", exc_info=True)
        else:
            with _identity_lock:
                _identity_keys.add(key)
    return IdentityCheck(identity=identity, checked_at=checked_at, from_cache=False)


def reconnect_reason(channel: Channel, exc: Exception) -> str:
    detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return (
        f"The channel {channel.handle} could not be used: {detail} "
        "Reconnect the channel on the Channels page, then re-confirm the post."
    )
