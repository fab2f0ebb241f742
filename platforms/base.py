"""The publisher backend interface: one ``PlatformClient`` subclass per platform.

Clients are plain Python (``requests`` only, no Django) so they can be tested against the
local fake servers in ``tests/fakes``. Settings such as timeouts are passed in.

A client is built from a channel's stored settings::

    client = get_client_class(channel.platform)(
        instance_url=channel.instance_url, credential=channel.credential, timeout=10.0
    )
    identity = client.whoami()                  # who does this credential post as?
    result = client.publish(text=..., idempotency_key=post.idempotency_key)

Capabilities are class attributes (``supports_idempotency_key``, ``supports_lookup``, ...)
so callers never need ``isinstance``. Every failure is a ``PlatformError`` subclass (see
``errors.py``); the split that matters for publishing is ``PlatformUnavailable`` (nothing
was accepted: retry) versus ``OutcomeUnknown`` (the request went out, no answer came back:
reconcile with ``lookup()``).

Every request has an explicit (connect, read) timeout and ``allow_redirects=False``; the
credential only ever travels in headers or request bodies, never in URLs, logs or messages.
Unless private hosts are allowed (``ALLOW_PRIVATE_INSTANCE_URLS``), every connection is
checked after it is opened and before a byte is sent: the address it was actually made to
must be public (``GuardedAdapter``), whatever the name resolved to when it was typed in.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

from .addresses import address_problem, safe_http_url, validate_instance_url
from .errors import (
    AuthenticationFailed,
    BadIdentityResponse,
    IdentityMismatch,
    InvalidInstanceURL,
    MediaRejected,
    MediaUnavailable,
    OutcomeUnknown,
    PlatformError,
    PlatformUnavailable,
    PublishRejected,
)
from .media import NO_MEDIA, MediaRules, media_kind

USER_AGENT = "Countersign/0.1 (self-hosted publisher)"
MAX_DETAIL_LENGTH = 300
#: How far a post's timestamp may trail the send that made it, when a lookup looks for it.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Identity:
    """Who a credential posts as. ``remote_id`` is the platform's stable account id
    (Mastodon account id, Bluesky DID, ...); handles can change, ids do not."""

    remote_id: str
    handle: str
    display_name: str = ""
    avatar_url: str = ""
    profile_url: str = ""

    def __post_init__(self) -> None:  # only http(s) links are kept
        object.__setattr__(self, "avatar_url", safe_http_url(self.avatar_url))
        object.__setattr__(self, "profile_url", safe_http_url(self.profile_url))


@dataclass(frozen=True)
class PublishResult:
    """A post the platform accepted. ``raw`` is the platform's answer, for the evidence.

    ``url`` is the post's address if the platform gave an http(s) one, else "" (a
    ``javascript:`` or otherwise unusable URL is dropped here, so it is never stored or
    rendered as a link, on first send or on reconcile)."""

    remote_id: str
    url: str
    raw: dict = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", safe_http_url(self.url))


@dataclass(frozen=True)
class MediaItem:
    """One attachment: a file path or the bytes themselves, its MIME type and alt text."""

    path_or_bytes: str | os.PathLike | bytes
    mime_type: str
    alt_text: str = ""
    # Metadata for the platforms' media rules (read with ffprobe/mediainfo by the caller;
    # None = not known, not checked). ``duration`` in seconds, ``frame_rate`` per second.
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    frame_rate: float | None = None
    #: A public https address of the same file, for platforms that fetch media themselves
    #: (Instagram images, Threads); "" when the installation has none.
    url: str = ""

    @property
    def kind(self) -> str:
        """``image`` | ``gif`` | ``video`` | ``other``."""
        return media_kind(self.mime_type)

    def byte_size(self) -> int | None:
        if self.size is not None:
            return self.size
        if isinstance(self.path_or_bytes, bytes):
            return len(self.path_or_bytes)
        try:
            return os.path.getsize(self.path_or_bytes)
        except OSError:
            return None

    def aspect_ratio(self) -> float | None:
        if self.width and self.height:
            return self.width / self.height
        return None

    def digest(self) -> str:
        """SHA-256 of the content (hex), which names the upload of this item."""
        return hashlib.sha256(self.read_bytes()).hexdigest()

    def read_bytes(self) -> bytes:
        if isinstance(self.path_or_bytes, bytes):
            return self.path_or_bytes
        with open(self.path_or_bytes, "rb") as fh:
            return fh.read()

    def describe(self) -> dict:
        """Metadata without the content (for outbox lines, webhook bodies, logs)."""
        info: dict[str, Any] = {"mime_type": self.mime_type, "alt_text": self.alt_text}
        if isinstance(self.path_or_bytes, bytes):
            info["size"] = len(self.path_or_bytes)
        else:
            info["name"] = os.path.basename(os.fspath(self.path_or_bytes))
        return info


@dataclass
class UploadedMedia:
    """One attachment as the platform knows it: its id there (``remote_id``: a Mastodon
    media id, an X media id, a LinkedIn image URN, an Instagram container id, ...), the
    item, whether it is ready to be used in a post, and platform-specific ``data`` (a
    Bluesky blob reference, an upload session...)."""

    remote_id: str
    item: MediaItem
    key: str = ""
    ready: bool = True
    data: dict = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    reuse_seconds: float = 3600.0

    def reusable(self) -> bool:
        return time.monotonic() - self.created < self.reuse_seconds


class _NoNetrc(requests.auth.AuthBase):
    """Session-level auth that does nothing, so ``requests`` never reads ``~/.netrc`` and
    attaches someone's stored password to a host a brand admin typed in (proxies from the
    environment are still honoured)."""

    def __call__(self, r):
        return r


class PrivateAddressRefused(urllib3.exceptions.NewConnectionError):
    """The connection was made to an address a platform may not have; it was closed before
    anything was sent. (A NewConnectionError, so callers see "nothing was sent".)"""


def _check_peer(conn: urllib3.connection.HTTPConnection, sock) -> None:
    try:
        peer = sock.getpeername()[0]
    except OSError:
        peer = ""
    problem = address_problem(str(peer)) if peer else "The connection has no peer address."
    if problem:
        sock.close()
        raise PrivateAddressRefused(
            conn, f"{conn.host} connected to {peer or 'an unknown address'}: {problem}"
        )


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self):  # before the TLS handshake: SNI and certificate stay the host's
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _GuardedHTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose every connection is checked against ``address_problem`` once it is
    open and before anything is written to it, so DNS rebinding (a name that was public
    when checked and is 127.0.0.1 when used) and redirects to private hosts cannot reach
    the local network."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }


def new_session(*, allow_private_hosts: bool = True) -> requests.Session:
    session = requests.Session()
    session.auth = _NoNetrc()
    session.headers["User-Agent"] = USER_AGENT
    if not allow_private_hosts:
        # The address actually connected to is checked, which a proxy would hide: go direct.
        session.trust_env = False
        adapter = GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def parse_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp from a platform answer (``Z`` or offset); aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timeout_pair(timeout: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    if connect <= 0 or read <= 0:
        raise ValueError("timeouts must be positive")
    return float(connect), float(read)


class PlatformClient:
    """Base class of every platform client. Subclasses set the class attributes and
    implement ``whoami``, ``publish``, ``lookup`` and (optionally) ``instance_limits``."""

    platform: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Capability flags.
    supports_idempotency_key: ClassVar[bool] = False  # the platform dedupes a repeated key
    supports_lookup: ClassVar[bool] = False  # lookup() can find an earlier send
    supports_media: ClassVar[bool] = False
    # The engagement inbox: notifications(), thread() and search() (platforms/engagement.py).
    supports_inbox: ClassVar[bool] = False
    # How long the platform deduplicates a repeated idempotency key (None: for ever; only
    # meaningful with supports_idempotency_key). Within it an unconfirmed send that cannot
    # be found is re-sent with the same key; after it, a re-send could make a second post.
    idempotency_window: ClassVar[timedelta | None] = None
    # The text limit the composer and submit enforce, in the platform's own counting
    # (None: no limit), and whether the channel's instance may set another one (its
    # ``instance_limits()['max_characters']``, stored on the channel at connect time).
    text_limit: ClassVar[int | None] = None
    # a reply's limit where the platform's comments have their own (Facebook, LinkedIn)
    reply_text_limit: ClassVar[int | None] = None
    text_byte_limit: ClassVar[int | None] = None  # a cap on the UTF-8 size as well
    limit_from_instance: ClassVar[bool] = False
    # Default limit when instance_limits() is not asked; "mastodon" counting = URLs count 23,
    # "graphemes" = user-perceived characters, "characters" = code points.
    max_characters: ClassVar[int] = 500
    character_counting: ClassVar[str] = "characters"
    # Names of the credential fields the connect form asks for, and which of them are secret.
    credential_fields: ClassVar[list[str]] = []
    secret_credential_fields: ClassVar[list[str]] = []
    needs_instance_url: ClassVar[bool] = True
    default_instance_url: ClassVar[str] = ""

    def __init__(
        self,
        *,
        instance_url: str,
        credential: Mapping[str, Any],
        timeout: float | tuple[float, float] = 10.0,
        session: requests.Session | None = None,
        allow_private_hosts: bool = True,
    ) -> None:
        self.instance_url = self.normalise_instance_url(
            instance_url or self.default_instance_url, allow_private_hosts=allow_private_hosts
        )
        self._credential = dict(credential or {})
        missing = [name for name in self.credential_fields if not self._credential.get(name)]
        if missing:
            raise AuthenticationFailed(
                f"The {self.label} credential is incomplete: {', '.join(missing)} missing.",
                platform=self.platform,
            )
        self.timeout = _timeout_pair(timeout)
        self._owns_session = session is None
        self.allow_private_hosts = allow_private_hosts
        self.session = (
            session if session is not None else new_session(allow_private_hosts=allow_private_hosts)
        )

    # -- construction helpers ---------------------------------------------------------

    @classmethod
    def normalise_instance_url(cls, url: str, *, allow_private_hosts: bool = True) -> str:
        """Validate and normalise the address for this platform (see addresses.py)."""
        return validate_instance_url(url, allow_private_hosts=allow_private_hosts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.instance_url}>"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def host(self) -> str:
        return urlsplit(self.instance_url).netloc or self.instance_url

    # -- the interface ----------------------------------------------------------------

    def whoami(self) -> Identity:
        """Ask the platform who the credential is."""
        raise NotImplementedError

    def publish(
        self, *, text: str, idempotency_key: str, media: Iterable[MediaItem] = ()
    ) -> PublishResult:
        """Publish one post. The same ``idempotency_key`` must never produce two posts on
        platforms with ``supports_idempotency_key``."""
        raise NotImplementedError

    def lookup(
        self, *, idempotency_key: str, text: str, since: datetime | None
    ) -> PublishResult | None:
        """Reconcile an unconfirmed send: the post if it went out, ``None`` if it did not.
        Raises ``PlatformUnavailable`` when the platform cannot be asked right now."""
        raise NotImplementedError

    def instance_limits(self) -> dict:
        """Limits the composer needs, e.g. ``{"max_characters": 500}``."""
        return {"max_characters": self.max_characters}

    # -- the engagement inbox: replies and moderation (capability flags) ---------------
    #: ``reply()`` answers a post on the platform (as a reply in its thread).
    supports_reply: ClassVar[bool] = False
    #: The moderation calls the platform's API allows: any of report, block, mute, hide,
    #: remove (delete someone's comment under the account's post: LinkedIn, which has no hide).
    moderation_actions: ClassVar[tuple[str, ...]] = ()

    def reply(
        self, *, text: str, idempotency_key: str, in_reply_to: str, root: str = ""
    ) -> PublishResult:
        """Send ``text`` as a reply to the remote post ``in_reply_to`` (``root``: its
        thread's first post, where the platform needs it). Errors as :meth:`publish`."""
        raise PlatformError(f"{self.label} replies are not supported.", platform=self.platform)

    def lookup_reply(
        self,
        *,
        idempotency_key: str,
        text: str,
        since: datetime | None,
        in_reply_to: str,
        root: str = "",
    ) -> PublishResult | None:
        """Reconcile an unconfirmed reply: :meth:`lookup` unless the platform keeps replies
        under the message they answer (Graph comments), where it looks instead."""
        return self.lookup(idempotency_key=idempotency_key, text=text, since=since)

    def report(self, *, account_id: str, status_ids=(), comment: str = "") -> dict:
        raise PlatformError(f"{self.label} has no report API.", platform=self.platform)

    def hide(self, *, message_id: str) -> dict:
        """Hide someone's message (a comment under the account's post) from everyone but
        its author and friends; with ``hide`` in ``moderation_actions``."""
        raise PlatformError(f"{self.label} cannot hide messages.", platform=self.platform)

    def remove(self, *, message_id: str) -> dict:
        """Delete someone's comment under the account's post, for good; with ``remove`` in
        ``moderation_actions``."""
        raise PlatformError(f"{self.label} cannot delete messages.", platform=self.platform)

    def block(self, *, account_id: str) -> dict:
        raise PlatformError(f"{self.label} has no block API.", platform=self.platform)

    def mute(self, *, account_id: str) -> dict:
        raise PlatformError(f"{self.label} has no mute API.", platform=self.platform)

    def assert_identity(self, expected_remote_id: str) -> Identity:
        """whoami(), then refuse if the credential is not the expected remote account
        (the account-separation guard's check before every publish)."""
        identity = self.whoami()
        if identity.remote_id != expected_remote_id:
            raise IdentityMismatch(
                f"The {self.label} credential now posts as {identity.handle}, "
                "not as the account this channel was connected to.",
                platform=self.platform,
                expected=expected_remote_id,
                actual=identity.remote_id,
            )
        return identity

    # -- helpers for subclasses -------------------------------------------------------

    def _identity_answer(
        self,
        response: requests.Response,
        *,
        not_here: tuple[int, ...],
        not_here_message: str,
        no_json_message: str | None = None,
    ) -> dict:
        """The JSON body of an identity-check answer, or ``BadIdentityResponse``: the address
        does not serve this platform (a status in ``not_here``), the platform refused (see
        ``_check``), or the answer is not JSON."""
        if response.status_code in not_here:
            raise BadIdentityResponse(
                not_here_message, platform=self.platform, http_status=response.status_code
            )
        self._check(response, write=False, action="the identity check")
        body = self._json(response)
        if body is None:
            raise BadIdentityResponse(
                no_json_message or f"{self.host} did not answer the identity check with JSON.",
                platform=self.platform,
            )
        return body

    def _account_id_and_name(
        self, body: dict, id_key: str, name_keys: tuple[str, ...], *, missing: str
    ) -> tuple[str, str]:
        """A non-empty account id (text or number, never a boolean) and a non-empty name
        (the first of ``name_keys`` that is set) from an identity answer, or
        ``BadIdentityResponse`` with ``missing``."""
        remote_id = body.get(id_key)
        name = next((body.get(key) for key in name_keys if body.get(key)), None)
        if (
            isinstance(remote_id, bool)
            or not isinstance(remote_id, str | int)
            or str(remote_id) == ""
            or not isinstance(name, str)
            or not name
        ):
            raise BadIdentityResponse(missing, platform=self.platform)
        return str(remote_id), name

    def _no_media(self, media: Iterable[MediaItem]) -> None:
        if list(media or ()):
            raise PlatformError(
                f"Attaching media to {self.label} posts is not supported yet.",
                platform=self.platform,
            )

    def _secrets(self) -> list[str]:
        """Strings that must never appear in a message. Subclasses add session tokens."""
        return [str(v) for v in self._credential.values() if isinstance(v, str | bytes) and v]

    def _redact(self, text: Any) -> str:
        """Platform-supplied text, made safe to show: no secrets, no control characters,
        one line, at most MAX_DETAIL_LENGTH characters."""
        text = "" if text is None else str(text)
        for secret in self._secrets():
            if isinstance(secret, str) and len(secret) >= 4:
                text = text.replace(secret, "[redacted]")
        text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) > MAX_DETAIL_LENGTH:
            text = text[: MAX_DETAIL_LENGTH - 1] + "…"
        return text

    def _url(self, path: str) -> str:
        return self.instance_url + path

    def _request(
        self,
        method: str,
        url: str,
        *,
        write: bool = False,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
    ) -> requests.Response:
        """One HTTP request with the client's timeouts and no redirects.

        ``write=True`` marks a request that may change state on the platform (a publish):
        once it may have reached the platform, a lost answer is ``OutcomeUnknown`` instead
        of ``PlatformUnavailable``.
        """
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if headers:
            all_headers.update(headers)
        try:
            return self.session.request(
                method,
                url,
                headers=all_headers,
                json=json,
                data=data,
                params=params,
                files=files,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, write=write) from exc

    def _transport_error(self, exc: requests.RequestException, *, write: bool) -> PlatformError:
        """Map a requests exception to a typed error.

        Before the connection was made (refused, DNS, connect timeout, TLS) nothing can
        have been accepted: ``PlatformUnavailable``. After it was made the request body
        may have been processed: for writes that is ``OutcomeUnknown``; reads are safe to
        repeat and stay ``PlatformUnavailable``.
        """
        host = self.host
        refused = _find(exc, PrivateAddressRefused)
        if refused is not None:
            return InvalidInstanceURL(
                f"{host} resolved to a private or local network address when it was "
                "contacted; nothing was sent. Check the server address.",
                platform=self.platform,
            )
        if _caused_by(exc, urllib3.exceptions.NameResolutionError):
            # A mistyped server name is the usual cause: say so, not "try again later".
            return PlatformUnavailable(
                f"Could not find the server {host} — check the address. Nothing was sent.",
                platform=self.platform,
            )
        if _is_connect_failure(exc):
            reason = _connect_failure_reason(exc)
            return PlatformUnavailable(
                f"Could not connect to {host} ({reason}). Nothing was sent; try again later.",
                platform=self.platform,
            )
        timed_out = isinstance(exc, requests.Timeout) or _caused_by(
            exc, urllib3.exceptions.ReadTimeoutError
        )
        if write:
            what = (
                f"no answer within {self.timeout[1]:g} s"
                if timed_out
                else "the connection was lost before the answer"
            )
            return OutcomeUnknown(
                f"The post was sent to {host} but {what}; it may or may not have been "
                "published. It will be checked on the platform, not sent again blindly.",
                platform=self.platform,
            )
        what = "did not answer in time" if timed_out else "dropped the connection"
        return PlatformUnavailable(f"{host} {what}; try again later.", platform=self.platform)

    @staticmethod
    def _json(response: requests.Response) -> dict | None:
        """The answer as a JSON object, or None."""
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _error_text(self, response: requests.Response) -> str:
        """The platform's own explanation of an error answer, redacted."""
        body = self._json(response)
        if body:
            for key in ("message", "error_description", "error", "detail"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return self._redact(value)
            return ""
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/plain"):
            return self._redact(response.text)
        return ""

    def _check(self, response: requests.Response, *, write: bool, action: str) -> None:
        """Raise the typed error for a non-2xx answer; return for 2xx."""
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = self._error_text(response)
        suffix = f": {detail}" if detail else ""
        kwargs = {"platform": self.platform, "http_status": status, "detail": detail}
        if 300 <= status < 400:
            try:  # the host only: a Location may carry credentials or tokens
                target = urlsplit(response.headers.get("Location", "")).hostname or ""
            except ValueError:
                target = ""
            where = f" to {target}" if target else ""
            raise PlatformError(
                f"{self.host} answered {action} with a redirect{where}; check the server address.",
                **kwargs,
            )
        if status in (401, 403):
            raise AuthenticationFailed(
                f"{self.label} refused the credential ({status}){suffix}. "
                "Reconnect the channel with a valid credential.",
                **kwargs,
            )
        if status == 429:
            raise PlatformUnavailable(
                f"{self.label} is rate limiting requests ({status}){suffix}; try again later.",
                retry_after=_retry_after(response),
                **kwargs,
            )
        if status == 408:
            raise PlatformUnavailable(
                f"{self.host} timed out reading the request ({status}); try again later.",
                **kwargs,
            )
        if status >= 500:
            if write and status == 504:
                # A gateway gave up waiting for the platform, which may still have
                # processed the post.
                raise OutcomeUnknown(
                    f"{self.host} answered {status} (gateway timeout) to the post; it may or "
                    "may not have been published and will be checked, not re-sent blindly.",
                    **kwargs,
                )
            raise PlatformUnavailable(
                f"{self.host} had a server error ({status}){suffix}; try again later.",
                retry_after=_retry_after(response),
                **kwargs,
            )
        if write:
            raise PublishRejected(f"{self.label} refused the post ({status}){suffix}", **kwargs)
        raise PlatformError(f"{self.host} answered {status} to {action}{suffix}", **kwargs)

    # -- the media contract (see publish_media / UploadedMedia) -------------------------

    #: What the platform accepts (types, sizes, counts, video limits, alt text).
    media_rules: ClassVar[MediaRules] = NO_MEDIA
    #: Tries per upload when the platform is unavailable or the answer is lost (an upload
    #: that is not attached to a post is never shown, so trying again is safe).
    media_upload_attempts: ClassVar[int] = 3
    media_retry_delay: ClassVar[float] = 1.0  # seconds before the 2nd try, doubled after
    media_retry_max_delay: ClassVar[float] = 15.0  # a longer wait is left to the caller
    media_poll_interval: ClassVar[float] = 2.0  # unless the platform says when to ask again
    media_ready_timeout: ClassVar[float] = 300.0  # then: MediaUnavailable, nothing posted
    #: How long an upload the platform made ready may be reused by a retry of the same send.
    media_reuse_seconds: ClassVar[float] = 3600.0

    @classmethod
    def validate_media(cls, items: Iterable[MediaItem]) -> list[str]:
        """Every reason these attachments cannot go in one post here, one clear sentence
        each (empty when they can). Uses the metadata passed in the items."""
        return cls.media_rules.problems(list(items or ()), label=cls.label)

    def prepare_media(
        self, media: Iterable[MediaItem], *, idempotency_key: str
    ) -> list[UploadedMedia]:
        """Upload every attachment and wait until the platform has all of them ready.

        Each item is its own upload with its own retries, named by the send's idempotency
        key, its position and its content: a retry of the same send (same client) reuses
        uploads that already succeeded. Raises ``MediaRejected`` (a rule is broken, the
        platform refused or failed to process an item) or ``MediaUnavailable`` (try the
        whole send again later); in both cases nothing has been posted, and the caller must
        not post the text alone."""
        items = list(media or ())
        if not items:
            return []
        if not self.supports_media:
            self._no_media(items)
        problems = self.validate_media(items)
        if problems:
            raise MediaRejected(
                " ".join(problems), platform=self.platform, detail="; ".join(problems)
            )
        uploaded = []
        for index, item in enumerate(items):
            key = f"{idempotency_key}:{index}:{item.digest()[:32]}"
            cached = self._media_cache().get(key)
            if cached is not None and cached.reusable():
                uploaded.append(cached)
                continue
            ref = self._media_attempts(
                index, lambda i=item, k=key: self._upload_media_item(i, key=k)
            )
            self._media_cache()[key] = ref
            uploaded.append(ref)
        for index, ref in enumerate(uploaded):
            if not ref.ready:
                self._wait_until_ready(ref, index)
        return uploaded

    def forget_media(self, idempotency_key: str) -> None:
        """Drop the reusable uploads of a send (once the post exists)."""
        cache = self._media_cache()
        for key in [k for k in cache if k.startswith(f"{idempotency_key}:")]:
            del cache[key]

    # Hooks for clients with media.

    def _upload_media_item(self, item: MediaItem, *, key: str) -> UploadedMedia:
        """Upload one item; return it (``ready=False`` when the platform processes it)."""
        raise NotImplementedError

    def _media_state(self, ref: UploadedMedia) -> tuple[str, str, float | None]:
        """``(state, detail, check_after)`` of an upload being processed: state is
        ``ready``, ``processing`` or ``failed``; check_after is the wait the platform asked
        for (seconds) or None."""
        return "ready", "", None

    def _uploaded(
        self, remote_id: str, item: MediaItem, *, key: str, ready: bool = True, data=None
    ) -> UploadedMedia:
        return UploadedMedia(
            remote_id=str(remote_id),
            item=item,
            key=key,
            ready=ready,
            data=dict(data or {}),
            reuse_seconds=self.media_reuse_seconds,
        )

    # Machinery.

    def _media_cache(self) -> dict[str, UploadedMedia]:
        cache = self.__dict__.get("_uploaded_media")
        if cache is None:
            cache = self.__dict__["_uploaded_media"] = {}
        return cache

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def _media_attempts(self, index: int, upload) -> UploadedMedia:
        delay = self.media_retry_delay
        last: PlatformError | None = None
        for attempt in range(1, max(1, self.media_upload_attempts) + 1):
            try:
                return upload()
            except MediaRejected:
                raise
            except AuthenticationFailed:
                raise
            except PublishRejected as exc:
                raise MediaRejected(
                    f"{self.label} refused attachment {index + 1}: {exc.detail or exc}",
                    platform=self.platform,
                    http_status=exc.http_status,
                    detail=exc.detail,
                    media_index=index,
                ) from exc
            except (PlatformUnavailable, OutcomeUnknown) as exc:
                last = exc
                wait = getattr(exc, "retry_after", None) or delay
                if attempt >= self.media_upload_attempts or wait > self.media_retry_max_delay:
                    break
                self._sleep(wait)
                delay *= 2
        raise MediaUnavailable(
            f"Attachment {index + 1} could not be uploaded to {self.label} ({last}); "
            "nothing was posted. It will be tried again later.",
            platform=self.platform,
            retry_after=getattr(last, "retry_after", None),
            media_index=index,
        )

    def _wait_until_ready(self, ref: UploadedMedia, index: int) -> None:
        deadline = time.monotonic() + self.media_ready_timeout
        failures = 0
        while True:
            try:
                state, detail, check_after = self._media_state(ref)
            except (PlatformUnavailable, OutcomeUnknown) as exc:
                failures += 1
                if failures >= self.media_upload_attempts:
                    raise MediaUnavailable(
                        f"{self.label} could not say whether attachment {index + 1} is ready "
                        f"({exc}); nothing was posted.",
                        platform=self.platform,
                        retry_after=getattr(exc, "retry_after", None),
                        media_index=index,
                    ) from exc
                state, detail, check_after = "processing", "", None
            if state == "ready":
                ref.ready = True
                return
            if state == "failed":
                self._media_cache().pop(ref.key, None)
                raise MediaRejected(
                    f"{self.label} could not process attachment {index + 1} ({ref.item.kind})"
                    + (f": {self._redact(detail)}" if detail else "")
                    + "; nothing was posted.",
                    platform=self.platform,
                    detail=self._redact(detail),
                    media_index=index,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MediaUnavailable(
                    f"{self.label} was still processing attachment {index + 1} after "
                    f"{self.media_ready_timeout:g} s; nothing was posted. It will be tried again.",
                    platform=self.platform,
                    retry_after=self.media_poll_interval,
                    media_index=index,
                )
            wait = check_after if check_after is not None else self.media_poll_interval
            self._sleep(max(0.0, min(wait, remaining)))


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is anywhere in the exception's args/reason/cause chain."""
    return _find(exc, kind) is not None


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first ``kind`` in the exception's args/reason/cause chain, or None."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, kind):
            return item
        stack.extend(item.args)
        stack.append(getattr(item, "reason", None))
        stack.append(item.__cause__)
        stack.append(item.__context__)
    return None


def _is_connect_failure(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    inner = exc.args[0] if exc.args else None
    # With retries off, urllib3 wraps failures to open the connection (refused, DNS,
    # connect timeout, TLS handshake) in MaxRetryError; failures after it was open arrive
    # as ProtocolError, OSError or a bare SSLError instead.
    if isinstance(inner, urllib3.exceptions.MaxRetryError):
        return isinstance(
            inner.reason, urllib3.exceptions.ConnectTimeoutError | urllib3.exceptions.SSLError
        )
    return False


def _connect_failure_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy refused the connection"
    if _caused_by(exc, urllib3.exceptions.NameResolutionError):
        return "the name did not resolve"
    if _caused_by(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    return "connection failed"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())
