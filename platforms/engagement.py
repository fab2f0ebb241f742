"""What the adapters return for the engagement inbox: messages addressed to (or found about)
a brand account, a page of them with where to continue, and the rate-limit state the
platform reported. Plain data, no Django.

Everything here comes from outside and is untrusted: text is kept exactly as the platform
gives it (the caller stores it as is and shows it escaped); ids and handles are strings.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from .base import parse_datetime, safe_http_url

#: Idempotency keys of replies start with this: a lookup for one searches the account's
#: replies, a post's lookup never matches a reply.
REPLY_KEY_PREFIX = "reply-"

MAX_ID = 255
MAX_HANDLE = 255


@dataclass(frozen=True)
class RemoteMessage:
    """One post from the platform. ``kind`` is ``mention``, ``reply``, ``quote`` or
    ``listening``; ``in_reply_to`` the remote id of the post it answers ("" when none)."""

    remote_id: str
    kind: str
    text: str
    author_remote_id: str
    author_handle: str
    author_display_name: str = ""
    created_at: datetime | None = None
    url: str = ""
    in_reply_to: str = ""
    in_reply_to_account: str = ""
    thread_root: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", safe_http_url(self.url))


@dataclass(frozen=True)
class RateLimit:
    """What the platform said about its rate limit on the last answer (None: not said)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


@dataclass
class InboxPage:
    """A page of messages, oldest first, and where the next read continues.

    ``cursor`` is what to store once the page is safely written (Mastodon: the newest
    notification id; Bluesky: see the client); ``more`` whether another page is waiting."""

    messages: list[RemoteMessage] = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    rate_limit: RateLimit = field(default_factory=RateLimit)
    seen: int = 0  # items the platform returned (including ones skipped as not for us)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.lstrip("-").isdigit() or len(value) > 12:
        return None
    return int(value)


def rate_limit_from(response: requests.Response) -> RateLimit:
    """Mastodon's ``X-RateLimit-Limit/Remaining/Reset`` (reset: an ISO 8601 time) or the
    IETF draft headers Bluesky sends, ``RateLimit-Limit/Remaining/Reset`` (reset: a Unix
    time in seconds; some servers send seconds from now, told apart by size), or X's
    ``x-rate-limit-limit/-remaining/-reset`` (reset: a Unix time in seconds); else the
    Graph API's usage headers (:func:`graph_rate_limit`)."""
    headers = response.headers

    def header(name: str) -> str | None:
        # Mastodon ``X-RateLimit-*``, Bluesky ``RateLimit-*``, X ``x-rate-limit-*``.
        return (
            headers.get(f"X-RateLimit-{name}")
            or headers.get(f"RateLimit-{name}")
            or headers.get(f"x-rate-limit-{name.lower()}")
        )

    limit = _int(header("Limit"))
    remaining = _int(header("Remaining"))
    reset_raw = (header("Reset") or "").strip()
    if limit is None and remaining is None and not reset_raw:
        return graph_rate_limit(response)
    reset_at = None
    if reset_raw:
        number = _int(reset_raw)
        if number is not None and number >= 0:
            now = datetime.now(UTC).timestamp()
            seconds = number if number > 1_000_000_000 else now + number
            try:
                reset_at = datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                reset_at = None
        else:
            reset_at = parse_datetime(reset_raw)
            if reset_at is None:
                try:
                    reset_at = email.utils.parsedate_to_datetime(reset_raw)
                except (TypeError, ValueError):
                    reset_at = None
    return RateLimit(limit=limit, remaining=remaining, reset_at=reset_at)


def graph_rate_limit(response: requests.Response) -> RateLimit:
    """The Graph API (Facebook Pages, Instagram, Threads) tells its budget as a share used,
    in ``X-App-Usage``, ``X-Page-Usage`` and ``X-Business-Use-Case-Usage`` (percent of
    ``call_count``, ``total_time``, ``total_cputime``; ``estimated_time_to_regain_access``
    in minutes once throttled). Read as a budget of 100: ``remaining`` is what is left of
    the most used share, nothing while access is to be regained (``reset_at`` then)."""
    from .graph import graph_usage

    used, regain = graph_usage(response.headers)
    if used is None and regain is None:
        return RateLimit()
    remaining = max(0, 100 - int(used or 0))
    reset_at = None
    if regain:
        remaining = 0
        reset_at = datetime.now(UTC) + timedelta(seconds=regain)
    return RateLimit(limit=100, remaining=remaining, reset_at=reset_at)


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def id_of(value: object) -> str:
    """A remote id as a string ("" unless a non-empty string or a number, never a bool)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    value = str(value)
    return value if len(value) <= MAX_ID else ""


def dump_cursor(state: dict) -> str:
    """A stream's state as the cursor kept between reads (empty values left out)."""
    return json.dumps({k: v for k, v in state.items() if v}, separators=(",", ":"))


def load_cursor(
    cursor: str,
    *,
    numbers: tuple[str, ...],
    source: Callable[[str], bool],
    after: re.Pattern,
    after_needs_source: bool = False,
) -> dict:
    """A cursor written by :func:`dump_cursor` read back defensively: the times in
    ``numbers`` (epoch seconds), the source being walked (``src``, if ``source`` accepts it)
    and the platform's page cursor (``after``, if it is of that shape; with
    ``after_needs_source``, only with a source). Anything else is dropped: a damaged
    cursor restarts the walk, it never fails it."""
    try:
        state = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    out: dict = {}
    for key in numbers:
        value = state.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**11:
            out[key] = value
    src = state.get("src")
    if isinstance(src, str) and source(src):
        out["src"] = src
    page = state.get("after")
    if isinstance(page, str) and after.fullmatch(page) and ("src" in out or not after_needs_source):
        out["after"] = page
    return out
