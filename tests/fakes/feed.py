"""A fake blog/shop serving an RSS 2.0 feed (and an Atom one) with ETag and Last-Modified.

Serves:
- ``GET /feed.xml``  RSS 2.0 of the items, newest first; ``If-None-Match`` with the current
  ETag (or ``If-Modified-Since`` at or after the last change) answers 304
- ``GET /atom.xml``  the same items as Atom 1.0
- ``GET /broken.xml`` not XML at all; ``GET /huge.xml`` a body larger than any feed we read;
  ``GET /moved`` a redirect to /feed.xml; ``GET /gone`` a 404

Control (besides the base ``/_fake/`` API): ``POST /_fake/items`` adds an item
``{"title", "link", "summary", "guid"?}`` (or a list of them).
"""

from __future__ import annotations

import hashlib
import html
import time
from email.utils import formatdate

from tests.fakes.base import FakeServer, Request, Response, json_response, run_cli

HUGE_BYTES = 3 * 1024 * 1024


class FakeFeed(FakeServer):
    name = "feed"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items: list[dict] = []
        self.changed = time.time()

    def add_item(self, *, title: str, link: str, summary: str = "", guid: str = "") -> dict:
        with self.lock:
            item = {"title": title, "link": link, "summary": summary, "guid": guid or link}
            self.items.insert(0, item)
            self.changed = time.time() + len(self.items) * 0.001
            return item

    def reset_state(self) -> None:
        self.items.clear()
        self.changed = time.time()

    def posts(self) -> list[dict]:
        with self.lock:
            return list(self.items)

    def control(self, request: Request, action: str) -> Response | None:
        if action == "items" and request.method == "POST":
            payload = request.json()
            specs = payload if isinstance(payload, list) else [payload]
            return json_response(200, [self.add_item(**spec) for spec in specs])
        return None

    def _etag(self) -> str:
        digest = hashlib.sha256(repr(self.items).encode()).hexdigest()[:16]
        return f'"{digest}"'

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/moved":
            return Response(301, b"", headers={"Location": "/feed.xml"})
        if path == "/gone":
            return Response(404, b"not here", content_type="text/plain")
        if path == "/broken.xml":
            return Response(200, b"<html><body>Oops {{ not a feed", content_type="text/html")
        if path == "/huge.xml":
            return Response(200, b"<rss>" + b" " * HUGE_BYTES + b"</rss>", "application/rss+xml")
        if path not in ("/feed.xml", "/atom.xml"):
            return Response(404, b"not here", content_type="text/plain")
        with self.lock:
            etag, changed = self._etag(), self.changed
            items = list(self.items)
        last_modified = formatdate(changed, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etag:
            return Response(304, b"", headers=headers)
        body = _atom(items, self.url) if path == "/atom.xml" else _rss(items, self.url)
        kind = "application/atom+xml" if path == "/atom.xml" else "application/rss+xml"
        return Response(200, body.encode("utf-8"), content_type=kind, headers=headers)


def _rss(items: list[dict], url: str) -> str:
    entries = "".join(
        f"<item><title>{html.escape(i['title'])}</title><link>{html.escape(i['link'])}</link>"
        f"<guid>{html.escape(i['guid'])}</guid>"
        f"<description>{html.escape(i['summary'])}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Fake blog</title><link>{url}/</link><description>Fake</description>"
        f"{entries}</channel></rss>"
    )


def _atom(items: list[dict], url: str) -> str:
    entries = "".join(
        f"<entry><title>{html.escape(i['title'])}</title>"
        f'<link href="{html.escape(i["link"])}"/><id>{html.escape(i["guid"])}</id>'
        f"<updated>2026-01-01T00:00:00Z</updated>"
        f"<summary>{html.escape(i['summary'])}</summary></entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Fake blog</title><id>{url}/</id><updated>2026-01-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    )


def main(argv=None) -> None:
    run_cli("Fake RSS/Atom feed for tests.", lambda args: FakeFeed(), None, argv)


if __name__ == "__main__":
    main()
