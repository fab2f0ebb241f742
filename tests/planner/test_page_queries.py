"""Every main page makes the same, exact number of queries with 10 posts in the brand as
with 1,000 (Zulip-style pins: a change in either direction is seen)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from planner.management.pagedata import add_posts
from planner.models import Post, Status
from policy import services as policy_services

pytestmark = pytest.mark.django_db

#: Queries per page, the same on SQLite and PostgreSQL, at 10 and at 1,000 posts.
# Each full page counts the conversations waiting for an answer for the menu (one query).
EXPECTED = {
    "post detail": 25,
    "approval inbox": 16,  # every post in review judged from narrow rows, the page read in full
    "calendar": 12,
    "post list": 13,
    "policy version": 10,
    "training dashboard": 19,
}


@pytest.fixture
def site(brand_with_team, make_user):
    brand = brand_with_team["brand"]
    second = account_services.channel_create_outbox(brand=brand, handle="@second", actor=None)
    viewer = make_user("everything")
    account_services.membership_set(
        brand=brand,
        user=viewer,
        roles=[Role.AUTHOR, Role.APPROVER, Role.TRAINER, Role.ADMIN],
        actor=None,
    )
    policy_services.policy_ensure(brand=brand)
    policy_services.policy_rule_save(
        brand=brand,
        actor=brand_with_team["admin"],
        rule={
            "id": "no-frobnicate",
            "kind": "banned_terms",
            "severity": "block",
            "message": "No.",
            "terms": ["frobnicate"],
        },
    )
    return {
        **brand_with_team,
        "channels": [brand_with_team["channel"], second],
        "viewer": viewer,
    }


def _pages(site, post) -> dict[str, str]:
    slug = site["brand"].slug
    return {
        "post detail": reverse("post_detail", args=[slug, post.pk]),
        "approval inbox": reverse("approval_inbox", args=[slug]),
        "calendar": reverse("calendar", args=[slug]),
        "post list": reverse("post_list", args=[slug]),
        "policy version": reverse("policy_version", args=[slug, 2]),
        "training dashboard": reverse("training_home", args=[slug]),
    }


def _count(client, url) -> int:
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # per-process caches (content types, url resolvers) warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_page_queries_are_pinned_and_do_not_grow_with_posts(
    client, site, django_assert_num_queries
):
    add = {
        "brand": site["brand"],
        "channels": site["channels"],
        "author": site["author"],
        "approver": site["approver1"],
    }
    add_posts(**add, n=10)
    post = Post.objects.filter(brand=site["brand"], status=Status.IN_REVIEW).first()
    client.force_login(site["viewer"])
    pages = _pages(site, post)
    small = {name: _count(client, url) for name, url in pages.items()}
    add_posts(**add, n=990, start=10)
    large = {name: _count(client, url) for name, url in pages.items()}
    assert large == small
    for name, url in pages.items():
        with django_assert_num_queries(EXPECTED[name]):
            assert client.get(url).status_code == 200


def test_the_inbox_shows_a_page_at_a_time(client, site):
    add_posts(
        brand=site["brand"],
        channels=site["channels"],
        author=site["author"],
        approver=site["approver1"],
        n=600,
    )
    waiting = Post.objects.filter(brand=site["brand"], status=Status.IN_REVIEW).count()
    assert waiting == 60
    client.force_login(site["viewer"])
    url = reverse("approval_inbox", args=[site["brand"].slug])
    first = client.get(url)
    assert first.content.decode().count('data-testid="inbox-item"') == 50
    assert "60 posts" in first.content.decode() and "?page=2" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert second.content.decode().count('data-testid="inbox-item"') == 10
    shown = {i.post.pk for i in first.context["items"]} | {
        i.post.pk for i in second.context["items"]
    }
    assert len(shown) == 60
    assert client.get(url, {"page": "x"}).status_code == 200  # bad input is page 1
