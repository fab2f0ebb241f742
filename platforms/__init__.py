"""Platform clients (publisher backends): pure Python + requests, no Django.

See ``base.py`` for the interface and ``errors.py`` for what each error means to a caller.
"""

from .addresses import validate_instance_url
from .base import Identity, MediaItem, PlatformClient, PublishResult, UploadedMedia
from .bluesky import BlueskyClient, record_key_for
from .errors import (
    AuthenticationFailed,
    BadIdentityResponse,
    IdentityMismatch,
    InvalidInstanceURL,
    MediaFailed,
    MediaRejected,
    MediaUnavailable,
    OutcomeUnknown,
    PersonalAccountRefused,
    PlatformError,
    PlatformUnavailable,
    PublishRejected,
    ReconnectRequired,
    UnknownPlatform,
)
from .mastodon import MastodonClient
from .media import MediaRules
from .outbox import OutboxClient
from .registry import (
    PLATFORMS,
    get_client,
    get_client_class,
    platform_choices,
    registry_problems,
)
from .webhook import WebhookClient, sign, verify_signature

__all__ = [
    "PLATFORMS",
    "AuthenticationFailed",
    "BadIdentityResponse",
    "BlueskyClient",
    "Identity",
    "IdentityMismatch",
    "InvalidInstanceURL",
    "MastodonClient",
    "MediaFailed",
    "MediaItem",
    "MediaRejected",
    "MediaRules",
    "MediaUnavailable",
    "OutboxClient",
    "OutcomeUnknown",
    "PersonalAccountRefused",
    "PlatformClient",
    "PlatformError",
    "PlatformUnavailable",
    "PublishRejected",
    "PublishResult",
    "ReconnectRequired",
    "UnknownPlatform",
    "UploadedMedia",
    "WebhookClient",
    "get_client",
    "get_client_class",
    "platform_choices",
    "record_key_for",
    "registry_problems",
    "sign",
    "validate_instance_url",
    "verify_signature",
]
