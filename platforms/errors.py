"""Typed errors raised by the platform clients.

Every message is written to be shown to a person (a brand admin connecting a channel, an
approver looking at a held post). No message ever contains a credential: clients build
messages from fixed text plus the platform's own error text, and that text passes through
``PlatformClient._redact`` first.

How a publisher reacts to each error:

=====================  =========================================================
``InvalidInstanceURL``  the address cannot be used; fix the channel settings.
``AuthenticationFailed``  the credential was refused (401/403); reconnect.
``BadIdentityResponse``  the whoami answer was not what the platform documents.
``PlatformUnavailable``  nothing was accepted (refused, DNS, 5xx, 429): retry later.
``OutcomeUnknown``  the request went out and no answer came back: reconcile with
                    ``lookup()``, never re-send blind.
``PublishRejected``  the platform refused the content: final, with its reason.
``IdentityMismatch``  the credential is now someone else: hold the post.
=====================  =========================================================
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base class. ``str(error)`` is safe to show to users."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        http_status: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.http_status = http_status
        # The platform's own error text (already redacted), when there was one.
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UnknownPlatform(PlatformError):
    """No client is registered for this platform slug."""


class InvalidInstanceURL(PlatformError):
    """The instance/receiver address is unusable (scheme, host, credentials in it, ...)."""


class AuthenticationFailed(PlatformError):
    """The platform refused the credential (401/403, wrong app password, revoked token)."""


class BadIdentityResponse(PlatformError):
    """The whoami answer was not JSON or lacked the fields the platform documents."""


class PlatformUnavailable(PlatformError):
    """The platform could not be reached or refused to work right now.

    Raised only when the platform has not accepted the request: connection refused, DNS
    failure, connect timeout, TLS failure, 429 and 5xx answers. Safe to retry with the same
    idempotency key. ``retry_after`` is the number of seconds the platform asked us to wait,
    when it said so.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OutcomeUnknown(PlatformError):
    """The request was sent but no usable answer came back (read timeout, dropped connection).

    The post may or may not have gone out. Not safe to re-send blind: the caller marks the
    post ``unconfirmed`` and reconciles with ``PlatformClient.lookup()``.
    """


class PublishRejected(PlatformError):
    """The platform refused the post itself (a 4xx on publish). Final; ``detail`` says why."""


class IdentityMismatch(PlatformError):
    """The credential authenticates as a different remote account than the one expected."""

    def __init__(self, message: str, *, expected: str = "", actual: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.expected = expected
        self.actual = actual


# -- media and OAuth (additive) ---------------------------------------------------------


class MediaFailed(PlatformError):
    """An attachment could not be made ready on the platform, so the post was NOT sent.

    A post with media is never sent without it: when one upload fails the whole send stops
    with a ``MediaFailed`` (never a text-only post). Catch the two concrete kinds below by
    their second base to react as for any other send error. ``media_index`` is the
    attachment's position (0-based) when one item is to blame."""

    def __init__(self, message: str, *, media_index: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.media_index = media_index


class MediaUnavailable(MediaFailed, PlatformUnavailable):
    """An upload or its processing could not finish right now (platform down, rate limited,
    still processing at the deadline). Nothing was posted; retry later with the same key."""


class MediaRejected(MediaFailed, PublishRejected):
    """The platform (or its published media rules) refused an attachment: wrong type, too
    big, too long, processing failed. Nothing was posted; final until the media changes."""


class PersonalAccountRefused(AuthenticationFailed):
    """The credential belongs to a person's own profile, not to a brand's page or
    organisation, and cannot be a channel (a Facebook user token, a LinkedIn member
    acting as themselves, an Instagram account with no business account behind a Page)."""


class ReconnectRequired(AuthenticationFailed):
    """The access token expired and could not be refreshed (refresh token revoked or
    expired, app credentials missing): the channel must be connected again."""
