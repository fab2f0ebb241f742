"""Bad input never gives a 500 and never half-saves: the Big List of Naughty Strings as post
text, campaign names, comments and filter values is stored and shown exactly (escaped) or
refused with a clear 4xx."""

from __future__ import annotations

import json
import pathlib

from django.urls import reverse
from django.utils.html import escape

from planner.models import Campaign, Comment, Post

BLNS = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "data" / "blns.json").read_text("utf-8")
)
POSTS = "/api/brands/team/posts/"


def test_blns_loaded():
    assert len(BLNS) > 500


def test_blns_as_post_text_is_stored_and_shown_exactly(api, team, client):
    author = api(team["author"])
    client.force_login(team["author"])
    stored = 0
    for text in BLNS:
        response = author.post(
            POSTS,
            {"channel": team["channel"].pk, "text": text, "category": "news"},
            format="json",
        )
        if not text.strip():
            assert response.status_code == 400, repr(text)
            continue
        assert response.status_code == 201, (repr(text), response.content)
        body = response.json()
        assert body["text"] == text
        post = Post.objects.get(pk=body["id"])
        assert post.text == text
        assert author.get(f"/api/posts/{post.pk}/").json()["text"] == text
        stored += 1
    assert stored == Post.objects.count() == len([t for t in BLNS if t.strip()])
    # Shown escaped on the post page (a sample of the markup-shaped ones).
    for post in Post.objects.filter(text__contains="<")[:40]:
        html = client.get(reverse("post_detail", args=["team", post.pk])).content.decode()
        assert "<script>alert" not in html.split("</nav>", 1)[1].split("<script src=")[0]
        assert escape(post.text)[:30] in html or "<mark" in html


def test_blns_in_the_composer_and_its_preview(client, team):
    client.force_login(team["author"])
    preview = reverse("compose_preview", args=["team"])
    for text in BLNS:
        response = client.post(
            preview, {"text": text, "channels": [team["channel"].pk], "category": text}
        )
        assert response.status_code == 200, repr(text)
    compose = reverse("post_compose", args=["team"])
    for text in BLNS[:120]:
        response = client.post(
            compose, {"text": text, "channels": [team["channel"].pk], "category": "news"}
        )
        assert response.status_code in (200, 302), repr(text)
    saved = {p.text for p in Post.objects.all()}
    # Django's form layer turns \r\n into \n; everything else arrives as typed.
    expected = {t.replace("\r\n", "\n").replace("\r", "\n") for t in BLNS[:120] if t.strip()}
    assert saved == expected


def test_blns_as_campaign_names(api, team, client):
    author = api(team["author"])
    client.force_login(team["author"])
    for name in BLNS:
        response = author.post("/api/brands/team/campaigns/", {"name": name}, format="json")
        assert response.status_code in (201, 400, 409), (repr(name), response.content)
        if response.status_code == 201:
            assert Campaign.objects.get(pk=response.json()["id"]).name == name
    names = set(Campaign.objects.values_list("name", flat=True))
    assert names == {n for n in BLNS if n.strip() and len(n) <= 200}
    html = client.get(reverse("campaign_list", args=["team"])).content.decode()
    assert "&lt;script&gt;alert(123)&lt;/script&gt;" in html
    assert client.get(reverse("calendar", args=["team"])).status_code == 200


def test_blns_as_comments(api, team, make_post, client):
    post = make_post()
    approver = api(team["approver1"])
    for body in BLNS:
        response = approver.post(f"/api/posts/{post.pk}/comments/", {"body": body}, format="json")
        assert response.status_code == (201 if body.strip() else 400), repr(body)
    assert [c.body for c in Comment.objects.order_by("pk")] == [b for b in BLNS if b.strip()]
    client.force_login(team["approver1"])
    html = client.get(reverse("post_detail", args=["team", post.pk])).content.decode()
    assert "&lt;script&gt;alert(123)&lt;/script&gt;" in html


FILTERS = ["q", "status", "category", "channel", "campaign", "author"]


def test_blns_as_filter_values(api, team, client, make_post):
    make_post()
    reader = api(team["approver1"])
    client.force_login(team["approver1"])
    calendar = {"start": "2030-01-01", "end": "2030-02-01"}
    for value in BLNS:
        for param in FILTERS:
            response = reader.get(POSTS, {param: value})
            assert response.status_code in (200, 400), (param, repr(value), response.content)
        every = dict.fromkeys(FILTERS, value)
        response = reader.get("/api/brands/team/calendar/", {**calendar, **every})
        assert response.status_code in (200, 400), repr(value)
        page = client.get(reverse("post_list", args=["team"]), every)
        assert page.status_code == 200, repr(value)
    page = client.get(reverse("post_list", args=["team"]), {"q": "<script>alert(123)</script>"})
    assert 'value="&lt;script&gt;alert(123)&lt;/script&gt;"' in page.content.decode()


def test_blns_as_calendar_dates(api, team):
    reader = api(team["author"])
    for value in BLNS:
        response = reader.get("/api/brands/team/calendar/", {"start": value, "end": value})
        assert response.status_code == 400, repr(value)
        response = reader.patch("/api/posts/1/", {"scheduled_at": value}, format="json")
        assert response.status_code in (400, 404), repr(value)


def test_lone_surrogates_and_nul_are_refused_not_crashed(api, team, make_post):
    author = api(team["author"])
    channel = team["channel"].pk
    body = f'{{"channel": {channel}, "text": "a\\ud800b", "category": "news"}}'
    response = author.post(POSTS, body, content_type="application/json")
    assert response.status_code == 400
    body = f'{{"channel": {channel}, "text": "a\\u0000b", "category": "news"}}'
    assert author.post(POSTS, body, content_type="application/json").status_code == 400
    post = make_post()
    response = author.patch(
        f"/api/posts/{post.pk}/", '{"text": "\\udfff"}', content_type="application/json"
    )
    assert response.status_code == 400
    post.refresh_from_db()
    assert post.text == "Hello from the team" and post.revision == 1


def test_wrong_types_in_patch(api, team, make_post):
    post = make_post()
    author = api(team["author"])
    for payload in (
        {"text": None},
        {"text": 5},
        {"category": ["news"]},
        {"channel": "x"},
        {"channel": None},
        {"campaign": "1"},
        {"scheduled_at": {"date": "2030-01-01"}},
    ):
        response = author.patch(f"/api/posts/{post.pk}/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    post.refresh_from_db()
    assert post.revision == 1
