"""Validation and normalisation of the addresses a brand admin types in, and the one rule
for which network addresses a platform may live at.

``validate_instance_url`` is the gate every client passes its address through before any
request is made. It does not resolve names; ``allow_private_hosts=False`` refuses literal
private, loopback and link-local addresses and the usual local-only names.

``address_problem`` is the single rule for an IP address (private, loopback, link-local,
multicast, reserved, unspecified, shared, IPv4-mapped/6to4/Teredo forms of those). It is
used for literal hosts here, for the friendly check when a channel is connected
(``resolve_public``), and, what actually protects, for the address every connection was
made to (``base.GuardedAdapter``), so a name that resolves to a public address when it is
checked and to 127.0.0.1 when it is used (DNS rebinding) is still refused.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit, urlunsplit

from .errors import InvalidInstanceURL

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048


def _fail(message: str) -> InvalidInstanceURL:
    return InvalidInstanceURL(message)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_problem(ip: IPAddress | str, *, allow_private: bool = False) -> str | None:
    """Why a platform may not be reached at this IP address, or None when it may.

    Unspecified and multicast addresses are never usable. Unless ``allow_private``, only
    globally routable unicast addresses are: private, loopback, link-local, reserved and
    shared (100.64/10) ranges are refused, also when written as IPv4-mapped, 6to4, Teredo
    or NAT64 IPv6 addresses.
    """
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return "The address is not a valid IP address."
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates.extend(_embedded_ipv4(ip))
    for candidate in candidates:
        if candidate.is_unspecified or candidate.is_multicast:
            return "The address points at an IP address that cannot be used."
    if allow_private:
        return None
    for candidate in candidates:
        if (
            candidate.is_private
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_reserved
            or not candidate.is_global
        ):
            return "The address points at a private or local network address."
    return None


def resolve_public(host: str, *, allow_private: bool = False) -> None:
    """Resolve ``host`` and refuse it when any of its addresses breaks ``address_problem``.

    A friendly early answer for a form; it is not what protects (the name may resolve
    differently a moment later): the connection itself is checked too.
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _fail(f"The host {host} cannot be found.") from None
    for info in infos:
        problem = address_problem(str(info[4][0]), allow_private=allow_private)
        if problem:
            raise _fail(f"{host} is a private or local address; it cannot be a platform.")


def _check_ip(ip: IPAddress, allow_private: bool) -> None:
    problem = address_problem(ip, allow_private=allow_private)
    if problem:
        raise _fail(problem)


def _normalise_host(hostname: str, allow_private: bool) -> str:
    """Return the host as it goes into the URL (IDNA-encoded, IPv6 bracketed)."""
    if ":" in hostname:  # IPv6 literal; urlsplit already removed the brackets
        try:
            ip6 = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise _fail("The address has an invalid IPv6 host.") from None
        _check_ip(ip6, allow_private)
        return f"[{ip6.compressed}]"
    host = hostname.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _fail("The address has an invalid host name.") from None
    if not host or len(host) > 253:
        raise _fail("The address has no usable host name.")
    labels = host.split(".")
    if labels[-1].isdigit() or re.fullmatch(r"0x[0-9a-f]*", labels[-1]):
        # Looks numeric: only a well-formed dotted-quad IPv4 address is accepted, so that
        # forms like "127.1" or "0x7f.1" cannot sneak past the checks below.
        try:
            ip4 = ipaddress.IPv4Address(host)
        except ValueError:
            raise _fail("The address has an invalid IP address as host.") from None
        _check_ip(ip4, allow_private)
        return str(ip4)
    if not all(_LABEL.match(label) for label in labels):
        raise _fail("The address has an invalid host name.")
    if not allow_private and (host == "localhost" or host.endswith(_LOCAL_SUFFIXES)):
        raise _fail("The address points at a local-only host name.")
    return host


def validate_instance_url(
    url: str,
    *,
    allow_path: bool = True,
    allow_query: bool = False,
    allow_private_hosts: bool = True,
) -> str:
    """Check a server address and return it normalised.

    Accepts only ``http``/``https`` URLs with a host, without user name/password and without
    a fragment. The result has a lower-case scheme and host (IDNA-encoded), no default port
    and no trailing slash, e.g. ``" HTTPS://Mastodon.Social/ "`` -> ``"https://mastodon.social"``.

    ``allow_path=False`` refuses anything after the host (instance APIs live at the root);
    ``allow_query`` allows a query string (webhook receivers sometimes route on one).
    Raises ``InvalidInstanceURL`` with a message that is safe to show (it never repeats the
    URL, which may contain a password).
    """
    if not isinstance(url, str):
        raise _fail("The server address must be text.")
    url = url.strip()
    if not url:
        raise _fail("Enter the server address, for example https://mastodon.social.")
    if len(url) > MAX_URL_LENGTH:
        raise _fail("The server address is too long.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url) or "\\" in url:
        raise _fail("The server address contains spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _fail("The server address is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _fail("The server address must start with https:// (or http://).")
    if not parts.netloc:
        raise _fail("The server address has no host.")
    if "@" in parts.netloc:
        raise _fail(
            "The server address must not contain a user name or password; "
            "enter credentials in their own fields."
        )
    if parts.fragment or url.endswith("#"):
        raise _fail("The server address must not contain a #fragment.")
    if (parts.query or url.endswith("?")) and not allow_query:
        raise _fail("The server address must not contain a ?query.")
    hostname = parts.hostname
    if not hostname:
        raise _fail("The server address has no host.")
    try:
        port = parts.port
    except ValueError:
        raise _fail("The server address has an invalid port.") from None
    if port == 0:
        raise _fail("The server address has an invalid port.")
    host = _normalise_host(hostname, allow_private_hosts)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if path and not allow_path:
        raise _fail("Enter the server address only (like https://mastodon.social), without a path.")
    return urlunsplit((scheme, netloc, path, parts.query if allow_query else "", ""))


def safe_http_url(value: object, *, max_length: int = 500) -> str:
    """``value`` when it is an absolute http(s) URL with a host, no user name or password, no
    spaces or control characters and at most ``max_length`` characters; otherwise "".

    For URLs a platform hands back (a published post's address, an avatar): anything else
    (``javascript:``, ``data:``, relative or malformed) is dropped, never stored or linked.
    """
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or len(url) > max_length:
        return ""
    if any(ord(ch) < 33 or 127 <= ord(ch) < 160 for ch in url) or "\\" in url:
        return ""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return ""
    if parts.scheme.lower() not in _DEFAULT_PORTS or not hostname or "@" in parts.netloc:
        return ""
    return url


def public_instance_url(url: str, *, allow_private_hosts: bool) -> str:
    """The one early check of a server address a person typed: :func:`validate_instance_url`,
    then, unless private hosts are allowed, every address the host resolves to is public
    (:func:`resolve_public`). The connection itself is checked again when it is opened
    (``base.GuardedAdapter``); this is the friendly answer for a form."""
    url = validate_instance_url(url, allow_private_hosts=allow_private_hosts)
    if not allow_private_hosts:
        resolve_public(urlsplit(url).hostname or "")
    return url
