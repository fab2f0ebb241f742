"""Tracked links: UTM parameters added to the links of a text that point at the brand's own
domains (pure Python, no Django).

Existing query parameters are kept (a UTM parameter we set replaces one of the same name, so
tagging twice gives the same text); the fragment stays last; links to other hosts are left
exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: An http(s) link as people write it; trailing sentence punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"…"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
MAX_DOMAINS = 50


def clean_domain(value: str) -> str:
    """A bare lower-case host name ("Shop.Example.com/" -> "shop.example.com"), or ""."""
    host = str(value or "").strip().lower()
    if "://" in host:
        host = urlsplit(host).hostname or ""
    host = host.strip("/").strip(".")
    if host.startswith("www."):
        host = host[4:]
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host):
        return ""
    return host


def is_own(host: str, domains: Iterable[str]) -> bool:
    """The host is one of the domains or a subdomain of one (look-alikes are not)."""
    host = (host or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return any(host == d or host.endswith("." + d) for d in domains if d)


def tag_url(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    kept = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in params
    ]
    query = urlencode(kept + [(k, v) for k, v in params.items() if v])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def tag_links(
    text: str,
    *,
    domains: Iterable[str],
    source: str,
    medium: str = "social",
    campaign: str = "",
    content: str = "",
) -> str:
    """``text`` with every link to ``domains`` carrying the UTM parameters."""
    domains = [d for d in (clean_domain(d) for d in domains) if d]
    if not domains or not text:
        return text
    params = {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_content": content,
    }

    def replace(match: re.Match) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            # A closing bracket that belongs to the URL (a wiki-style path) stays.
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            tail = url[-1] + tail
            url = url[:-1]
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return match.group(0)
        if not is_own(host, domains):
            return match.group(0)
        return tag_url(url, params) + tail

    return _URL.sub(replace, text)
