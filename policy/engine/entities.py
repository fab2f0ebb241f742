"""Links, hashtags, mentions and emoji in a post, with their spans in the original text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import regex

from policy.engine.normalize import non_ascii_runs


def _words(text: str) -> list[str]:
    return text.split()


# Generic top-level domains a bare host (no scheme, no www.) may end with. A bare
# "name.tld" with one of these is a link the platforms would make clickable.
_GENERIC_TLDS = _words(
    """
com net org info biz edu gov mil int app dev io co ai tv ly gg me xyz shop
store online site tech blog news live club page link click top icu vip win bid art
design cloud social media agency digital email events fashion fitness food games gift
gifts global group guide health house life love market marketing money network one
photo photos pics pizza plus press pro rocks run sale school services show solutions
space studio style support team today tips tools travel video vin wine wiki work works
world zone bar beer cafe coffee fun ninja wtf
"""
)
# Country codes that are also everyday words or abbreviations ("today.So", "us.In"):
# a bare host ending in one of these is a link only with a path, or with three labels.
_WORDLIKE_TLDS = _words("am as at be by do id in is it me my no so to us")
_COUNTRY_TLDS = _words(
    """
ac ad ae af ag al ao ar au aw az ba bb bd bf bg bh bj bn bo br bs bw bz ca cc cd
ch ci cl cm cn cr cu cv cy cz de dk dm dz ec ee eg es et eu fi fj fm fo fr ga ge gh gi
gl gm gr gt hk hn hr ht hu ie il im iq ir je jm jo jp ke kg kh kr kw kz la lb li lk lt
lu lv ma mc md mg mk ml mn mt mu mv mw mx mz na ng ni nl np nz om pa pe ph pk pl pr ps
pt py qa re ro rs ru rw sa sc se sg si sk sn su sv sy th tn tr tt tw tz ua ug uk uy uz
va ve vn ws za zm zw
"""
)
_TLDS = sorted(set(_GENERIC_TLDS) | set(_COUNTRY_TLDS) | set(_WORDLIKE_TLDS), key=len)[::-1]
_WORDLIKE = frozenset(_WORDLIKE_TLDS)

_TLD_SET = frozenset(_TLDS)
_DOTS = ".\u3002\uff0e\uff61"
# Links are found from cheap anchors (a scheme, or a dot followed by a letter) and then
# grown to their full extent; a pattern that could start anywhere would cost a full
# regular-expression attempt at every character of every post.
_ANCHOR_RE = re.compile(rf"://|[{_DOTS}](?=[^\W\d_])")
_SCHEME_RE = re.compile(r"(?:https?|ftp)$", re.IGNORECASE)
_HOST_CHARS_RE = re.compile(rf"[\w\-{_DOTS}]+")
_REST_RE = re.compile(r"[^\s<>\"'`]*")
_TRAILING = ".,;:!?'\"»…)]}>*"
_HASHTAG_RE = re.compile(r"#\w+")
_MENTION_RE = re.compile(r"@\w+(?:[.-]\w+)*(?:@[\w-]+(?:\.[\w-]+)+)?")
EMOJI_RE = regex.compile(
    r"\p{RI}\p{RI}"
    r"|[#*0-9]\uFE0F?\u20E3"
    r"|(?:\p{Emoji_Presentation}"
    r"|(?![\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa])\p{Extended_Pictographic}"
    r"|\p{Extended_Pictographic}\uFE0F)"
    r"(?:\p{Emoji_Modifier}|\uFE0F|[\U000E0020-\U000E007F])*"
    r"(?:\u200D\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F)*)*"
)
_HOST_END = re.compile(r"[/?#\\]")
_PORT = re.compile(r":\d*$")
_SPLIT_DOTS = re.compile(f"[{_DOTS}]")


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        last = url[-1]
        if last == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


_HOST_RUN_RE = re.compile(rf"[\w\-{_DOTS}]*")


def _host_start(text: str, end: int) -> int:
    """Where the host that ends at ``end`` begins (host characters: word, '-', dots)."""
    # Usually a space comes before it: check the whole stretch since the last space at
    # once (``\w`` is ``str.isalnum`` or "_"), and walk back only when that fails.
    after_space = text.rfind(" ", 0, end) + 1
    if _HOST_RUN_RE.fullmatch(text, after_space, end):
        return after_space
    start = end
    while start > 0:
        ch = text[start - 1]
        if ch.isalnum() or ch in "-_" or ch in _DOTS:
            start -= 1
        else:
            break
    return start


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of links: with a scheme, starting www., or a bare host with a known TLD."""
    spans: list[tuple[int, int]] = []
    covered = 0
    for anchor in _ANCHOR_RE.finditer(text):
        at = anchor.start()
        if at < covered:
            continue
        if anchor.group() == "://":
            scheme_start = _host_start(text, at)
            if not _SCHEME_RE.match(text, scheme_start, at):
                continue
            start = scheme_start
            end = _REST_RE.match(text, at + 3).end()
        else:
            start = _host_start(text, at)
            if start > 0 and text[start - 1] in "@./\\":
                continue  # an e-mail address, or part of a path
            host_end = _HOST_CHARS_RE.match(text, at).end()
            host = text[start:host_end]
            labels = _SPLIT_DOTS.split(host.rstrip(_DOTS))
            if len(labels) < 2 or not all(labels):
                continue
            tld = labels[-1].lower()
            end = host_end
            if end < len(text) and text[end] in "/?#":
                end = _REST_RE.match(text, end).end()
            if not labels[0].lower().startswith("www"):
                if tld not in _TLD_SET:
                    covered = host_end
                    continue
                if tld in _WORDLIKE and len(labels) < 3 and end == host_end:
                    covered = host_end
                    continue  # "today.So", "us.In": words, not a link
        url = _trim(text[start:end])
        if url:
            spans.append((start, start + len(url)))
            covered = end
    return spans


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in spans)


def find_hashtags(text: str, url_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if "#" not in text:
        return []
    found = []
    for m in _HASHTAG_RE.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_#&"):
            continue
        if m.group()[1:].isdigit() or (url_spans and _inside(m.span(), url_spans)):
            continue
        found.append(m.span())
    return found


def find_mentions(text: str, url_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if "@" not in text:
        return []
    found = []
    for m in _MENTION_RE.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_@"):
            continue  # an e-mail address
        if url_spans and _inside(m.span(), url_spans):
            continue
        found.append(m.span())
    return found


def find_emoji(text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Emoji, counting a ZWJ sequence, a flag, a keycap or a skin tone as one.

    ``runs``: the non-ASCII runs of ``text`` when the caller has them already."""
    spans = []
    for a, b in non_ascii_runs(text) if runs is None else runs:
        if a and text[a - 1] in "#*0123456789":
            a -= 1  # keycap: 1 + U+FE0F + U+20E3
        spans.extend(m.span() for m in EMOJI_RE.finditer(text, a, b))
    return spans


def url_host(url: str) -> str:
    """The normalised host of a link (lower case, IDNA/punycode, no port or user)."""
    rest = url
    if "://" in rest:
        rest = rest.split("://", 1)[1]
        authority = _HOST_END.split(rest, 1)[0]
        host = authority.rsplit("@", 1)[-1]
    else:
        host = _HOST_END.split(rest, 1)[0]
    if not host.startswith("["):
        host = _PORT.sub("", host)
    return normalise_host(host)


@lru_cache(maxsize=4096)
def normalise_host(host: str) -> str:
    host = unicodedata.normalize("NFKC", host)
    host = host.replace("\u3002", ".").replace("\uff61", ".").lower().strip(".")
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except (UnicodeError, ValueError):
            labels.append(label)  # stays non-ASCII, so never equals an allowed host
    return ".".join(labels)


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)
