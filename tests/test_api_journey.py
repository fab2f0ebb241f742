"""The whole journey through the stable HTTP API (DESIGN.md), as an outside client drives it:
token, connect a channel, lint, draft, submit, two approvals, the dispatcher, the evidence."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from planner.models import Post
from tests.fakes.mastodon import FakeMastodon


def _client(username: str) -> APIClient:
    anonymous = APIClient()
    response = anonymous.post(
        "/api/auth/token/", {"username": username, "password": "pw-for-tests-1"}, format="json"
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_draft_to_published_over_the_api(brand_with_team):
    slug = brand_with_team["brand"].slug
    admin, author = _client("boss"), _client("author")
    first, second = _client("approver1"), _client("approver2")
    assert (
        APIClient().post("/api/auth/token/", {"username": "author", "password": "no"}).status_code
        == 400
    )

    with FakeMastodon(tokens={"brand-token-123456": "42:kitchen"}) as fake:
        connected = admin.post(
            f"/api/brands/{slug}/channels/",
            {
                "platform": "mastodon",
                "instance_url": fake.url,
                "access_token": "brand-token-123456",
            },
            format="json",
        )
        assert connected.status_code == 201, connected.content
        channel = connected.json()
        assert channel["remote_account_id"] == "42"
        listed = author.get(f"/api/brands/{slug}/channels/").json()
        assert {"id", "platform", "handle", "remote_account_id"} <= set(listed[0])

        lint = author.post(f"/api/brands/{slug}/lint/", {"text": "sh1t happens"}, format="json")
        assert lint.status_code == 200 and lint.json()["blocked"] is True

        when = (timezone.now() + dt.timedelta(hours=2)).isoformat()
        created = author.post(
            f"/api/brands/{slug}/posts/",
            {
                "channel": channel["id"],
                "text": "Tea time.",
                "category": "news",
                "scheduled_at": when,
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        post_id = created.json()["id"]
        assert created.json()["status"] == "draft"

        assert author.post(f"/api/posts/{post_id}/submit/").status_code == 200
        assert author.post(f"/api/posts/{post_id}/approve/").status_code in (403, 409)
        assert first.post(f"/api/posts/{post_id}/approve/").status_code == 200
        assert first.post(f"/api/posts/{post_id}/approve/").status_code in (400, 409)
        assert second.post(f"/api/posts/{post_id}/approve/").status_code == 200
        detail = author.get(f"/api/posts/{post_id}/").json()
        assert detail["status"] == "approved" and len(detail["approvals"]) == 2

        Post.objects.filter(pk=post_id).update(
            scheduled_at=timezone.now() - dt.timedelta(seconds=1)
        )
        call_command("publish_due")
        detail = author.get(f"/api/posts/{post_id}/").json()
        assert detail["status"] == "published", detail
        assert detail["remote_url"]
        assert len(fake.posts()) == 1

    evidence = author.get(f"/api/posts/{post_id}/evidence/")
    assert evidence.status_code == 200
    assert evidence.json()["remote"]["url"] == detail["remote_url"]
