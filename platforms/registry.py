"""The registry of publisher backends, by platform slug."""

from __future__ import annotations

from .base import PlatformClient
from .bluesky import BlueskyClient
from .errors import UnknownPlatform
from .facebook import FacebookClient
from .instagram import InstagramClient
from .linkedin import LinkedInClient
from .mastodon import MastodonClient
from .outbox import OutboxClient
from .threads import ThreadsClient
from .webhook import WebhookClient
from .x import XClient

PLATFORMS: dict[str, type[PlatformClient]] = {
    cls.platform: cls
    for cls in (
        MastodonClient,
        BlueskyClient,
        XClient,
        LinkedInClient,
        FacebookClient,
        InstagramClient,
        ThreadsClient,
        WebhookClient,
        OutboxClient,
    )
}


def get_client_class(platform: str) -> type[PlatformClient]:
    try:
        return PLATFORMS[platform]
    except (KeyError, TypeError):
        raise UnknownPlatform(f"Unknown platform: {str(platform)[:40]!r}.") from None


def get_client(platform: str, **kwargs) -> PlatformClient:
    """``get_client_class(platform)(**kwargs)``."""
    return get_client_class(platform)(**kwargs)


def platform_choices() -> list[tuple[str, str]]:
    """``(slug, label)`` pairs for form and model choices, in registry order."""
    return [(slug, cls.label) for slug, cls in PLATFORMS.items()]


def registry_problems(required: tuple[str, ...] = ()) -> list[str]:
    """Consistency problems in the registry (for a system check): a missing platform, a
    class registered under another slug, a capability that is not declared."""
    problems = [
        f"no client registered for platform {slug!r}" for slug in required if slug not in PLATFORMS
    ]
    for slug, cls in PLATFORMS.items():
        problems += client_problems(cls, slug=slug)
    return problems


def client_problems(cls: type[PlatformClient], *, slug: str | None = None) -> list[str]:
    """What keeps one client class from being registered (under ``slug``)."""
    problems = []
    slug = cls.platform if slug is None else slug
    if cls.platform != slug:
        problems.append(f"{cls.__name__} is registered as {slug!r} but says {cls.platform!r}")
    if not cls.label:
        problems.append(f"{cls.__name__} has no label")
    if not set(cls.secret_credential_fields) <= set(cls.credential_fields):
        problems.append(f"{cls.__name__} marks unknown credential fields as secret")
    for method in ("whoami", "publish", "lookup"):
        if getattr(cls, method) is getattr(PlatformClient, method):
            problems.append(f"{cls.__name__} does not implement {method}()")
    if cls.supports_lookup is False and cls.supports_idempotency_key is False:
        problems.append(f"{cls.__name__} can neither deduplicate nor reconcile a send")
    return problems
