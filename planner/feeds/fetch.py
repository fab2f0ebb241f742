"""Fetching and parsing a feed: everything from outside is untrusted.

Only http(s); the address every connection is made to must be public unless private hosts
are allowed (``ALLOW_PRIVATE_INSTANCE_URLS``, checked per connection, so DNS rebinding and
redirects are covered); timeouts; a size cap read in chunks; a few redirects, each checked;
ETag / Last-Modified sent back so an unchanged feed costs a 304.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests

from platforms.addresses import safe_http_url, validate_instance_url
from platforms.base import PrivateAddressRefused, new_session
from platforms.errors import InvalidInstanceURL

MAX_FEED_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
MAX_ITEMS = 50
TIMEOUT = (5.0, 15.0)
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"


class FeedProblem(Exception):
    """The feed could not be fetched or read; the message is safe to show."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent  # retrying will not help (too big, not a feed, refused)


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    link: str
    summary: str


@dataclass
class Fetched:
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    items: list[Item] = field(default_factory=list)


def check_url(url: str, *, allow_private: bool) -> str:
    try:
        return validate_instance_url(
            url, allow_path=True, allow_query=True, allow_private_hosts=allow_private
        )
    except InvalidInstanceURL as exc:
        raise FeedProblem(
            str(exc).replace("server address", "feed address"), permanent=True
        ) from None


def _read_capped(response: requests.Response) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_FEED_BYTES:
        raise FeedProblem(
            f"The feed is larger than {MAX_FEED_BYTES:,} bytes ({int(declared):,}); it was "
            "not read.",
            permanent=True,
        )
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_FEED_BYTES:
            raise FeedProblem(
                f"The feed is larger than {MAX_FEED_BYTES:,} bytes; it was not read.",
                permanent=True,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def download(
    url: str, *, etag: str = "", last_modified: str = "", allow_private: bool = False
) -> tuple[int, bytes, dict]:
    """(status, body, headers) of a GET, following a few checked redirects."""
    url = check_url(url, allow_private=allow_private)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with new_session(allow_private_hosts=allow_private) as session:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = session.get(
                    url, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
                )
            except requests.RequestException as exc:
                if _refused(exc):
                    raise FeedProblem(
                        "The feed's host is a private or local network address.", permanent=True
                    ) from None
                timed_out = isinstance(exc, requests.Timeout)
                raise FeedProblem(
                    "The feed did not answer in time." if timed_out else "Could not reach the feed."
                ) from None
            with response:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location") or ""
                    url = check_url(urljoin(url, location), allow_private=allow_private)
                    continue
                if response.status_code == 304:
                    return 304, b"", dict(response.headers)
                if response.status_code != 200:
                    raise FeedProblem(
                        f"The feed answered HTTP {response.status_code}.",
                        permanent=response.status_code in (401, 403, 404, 410),
                    )
                return 200, _read_capped(response), dict(response.headers)
    raise FeedProblem("The feed redirected too many times.", permanent=True)


def _refused(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, PrivateAddressRefused):
            return True
        for arg in getattr(exc, "args", ()):
            if isinstance(arg, BaseException) and _refused(arg):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain(value, limit: int) -> str:
    """Text of an untrusted HTML fragment: tags dropped, entities decoded, spaces folded,
    control characters removed, at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAGS.sub(" ", value[: limit * 4]))
    text = "".join(ch for ch in text if ch.isprintable() or ch in " \n")
    return _SPACE.sub(" ", text).strip()[:limit]


def parse(body: bytes) -> list[Item]:
    """The feed's items, newest first as the feed lists them (at most :data:`MAX_ITEMS`)."""
    import feedparser

    parsed = feedparser.parse(body)
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries:
        raise FeedProblem("This is not an RSS or Atom feed (it could not be read).")
    if not parsed.get("version") and not entries:
        raise FeedProblem("This is not an RSS or Atom feed.")
    items = []
    for entry in entries[:MAX_ITEMS]:
        link = safe_http_url(entry.get("link") or "")
        ident = entry.get("id") or entry.get("guid") or link
        title = plain(entry.get("title"), 300)
        if not isinstance(ident, str) or not ident or not (title or link):
            continue
        summary = plain(entry.get("summary") or entry.get("description"), 5000)
        key = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()
        items.append(Item(key=key, title=title, link=link, summary=summary))
    return items


def fetch(
    url: str, *, etag: str = "", last_modified: str = "", allow_private: bool = False
) -> Fetched:
    status, body, headers = download(
        url, etag=etag, last_modified=last_modified, allow_private=allow_private
    )
    lowered = {k.lower(): v for k, v in headers.items()}
    new_etag = (lowered.get("etag") or "")[:500]
    new_modified = (lowered.get("last-modified") or "")[:100]
    if status == 304:
        return Fetched(
            not_modified=True, etag=new_etag or etag, last_modified=new_modified or last_modified
        )
    return Fetched(etag=new_etag, last_modified=new_modified, items=parse(body))
