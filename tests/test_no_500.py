"""Every route, as a member, an outsider and anonymously, with ordinary ids, other brands'
ids, absurd ids and junk bodies: a clear 2xx/3xx/4xx, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from planner.posts import services

JUNK_BODIES = [
    {},
    {"text": None, "channel": "x", "scheduled_at": "yesterday", "reason": ["a"]},
    {"answers": {"abc": ["x"], "-1": [99999999999]}, "confirm": 7, "content_hash": "zz"},
]


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _fill(pattern: str, *, slug: str, pk: str) -> str | None:
    if pattern.startswith(("admin/", "password/", "^")) or "(?P" in pattern:
        return None
    url = pattern
    for name, value in {
        "<slug:slug>": slug,
        "<slug:rule_id>": "profanity-en",
        "<str:token>": "nope",
    }.items():
        url = url.replace(name, value)
    for converter in ("int", "id", "str", "slug", "path", "uuid"):
        while f"<{converter}:" in url:
            start = url.index(f"<{converter}:")
            url = url[:start] + pk + url[url.index(">", start) + 1 :]
    return "/" + url


@pytest.fixture
def world(brand_with_team, make_user, make_brand):
    team = brand_with_team
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="Hello",
        category="news",
        scheduled_at=timezone.now() + dt.timedelta(days=1),
    )
    other = make_brand("elsewhere", admin=make_user("elsewhere-admin"))
    return {**team, "post": post, "other": other, "outsider": make_user("outsider")}


def test_no_route_answers_500(world):
    patterns = [p for p in _patterns() if not p.startswith("admin/")]
    assert len(patterns) > 40
    clients = {}
    for name in ("admin", "author", "approver1", "outsider"):
        client = APIClient()
        client.force_login(world[name])
        clients[name] = client
    clients["anonymous"] = APIClient()
    failures, tried = [], 0
    for pattern in patterns:
        for slug, pk in (
            (world["brand"].slug, str(world["post"].pk)),
            (world["other"].slug, "1"),
            ("no-such-brand", "999999999999999999999"),
        ):
            url = _fill(pattern, slug=slug, pk=pk)
            if url is None:
                continue
            for who, client in clients.items():
                responses = [client.get(url)]
                for body in JUNK_BODIES:
                    responses.append(client.post(url, body, format="json"))
                    form = {k: json.dumps(v) for k, v in body.items()}
                    responses.append(client.post(url, form))  # as a form
                responses.append(client.post(url, "{not json", content_type="application/json"))
                tried += len(responses)
                for response in responses:
                    if response.status_code >= 500:
                        failures.append((who, response.request["REQUEST_METHOD"], url))
    assert not failures, json.dumps(failures[:20], indent=1)
    assert tried > 3000  # every route really was exercised (a 500 also raises in the client)
