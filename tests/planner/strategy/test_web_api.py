"""Strategy through the web and the API: the composer's mix warning, the approver's view, the
calendar's mix endpoint, the settings and a post's credit (brand checks on every object)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from planner.review import services as review
from tests.planner.conftest import soon


def _promos(make_post, n=2):
    for i in range(n):
        make_post(f"Offer {i}", when=soon(1 + i * 0.1), category="promotional")


def test_the_composer_warns_when_a_post_would_push_the_channel_over(client, team, make_post):
    _promos(make_post)
    client.force_login(team["author"])
    when = soon(2).astimezone(team["brand"].tz).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("compose_preview", args=[team["brand"].slug]),
        {
            "text": "Everything half price",
            "channels": [team["channel"].pk],
            "category": "promotional",
            "scheduled_at": when,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="mix-warning"' in body
    assert "3 of 3 posts (100%)" in body
    # Not promotional: no warning.
    response = client.post(
        reverse("compose_preview", args=[team["brand"].slug]),
        {
            "text": "Hi",
            "channels": [team["channel"].pk],
            "category": "engagement",
            "scheduled_at": when,
        },
    )
    assert 'data-testid="mix-warning"' not in response.content.decode()


def test_the_composer_shows_the_tagged_link(client, tracked):
    client.force_login(tracked["author"])
    response = client.post(
        reverse("compose_preview", args=[tracked["brand"].slug]),
        {"text": "https://example.com/a", "channels": [tracked["channel"].pk], "category": "news"},
    )
    body = response.content.decode()
    assert 'data-testid="links-tagged"' in body and "utm_source=outbox" in body


def test_the_approver_sees_the_mix_warning(client, team, make_post):
    _promos(make_post)
    post = make_post("Big sale", when=soon(2), category="promotional")
    review.post_submit(post_id=post.pk, actor=team["author"])
    client.force_login(team["approver1"])
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Content mix: with this post, promotional would be 3 of 3" in page
    inbox = client.get(reverse("approval_inbox", args=[team["brand"].slug])).content.decode()
    assert "Content mix" in inbox


def test_the_mix_endpoint_gives_each_channel_and_refuses_bad_ranges(api, team, make_post, other):
    _promos(make_post)
    url = reverse("api_channel_mix", args=[team["brand"].slug])
    start = timezone.now().date()
    end = start + dt.timedelta(days=7)
    answer = api(team["author"]).get(url, {"start": start, "end": end})
    assert answer.status_code == 200
    mine = next(c for c in answer.json() if c["channel"] == team["channel"].pk)
    assert mine["over"] and mine["total"] == 2
    assert api(team["author"]).get(url, {"start": end, "end": start}).status_code == 400
    assert api(team["author"]).get(url, {"start": "nope", "end": end}).status_code == 400
    assert api(other["author"]).get(url, {"start": start, "end": end}).status_code == 404


def test_strategy_api_admins_change_others_read(api, team):
    url = reverse("api_strategy", args=[team["brand"].slug])
    payload = {
        "mix_targets": [{"category": "promotional", "max_percent": 30, "window_days": 7}],
        "link_tracking": {"domains": ["example.com"], "medium": "social"},
    }
    assert api(team["author"]).put(url, payload, format="json").status_code == 403
    answer = api(team["admin"]).put(url, payload, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["mix_targets"] == [
        {"category": "promotional", "max_percent": 30, "window_days": 7}
    ]
    assert answer.json()["link_tracking"]["domains"] == ["example.com"]
    bad = {"link_tracking": {"domains": ["not a domain"]}}
    assert api(team["admin"]).put(url, bad, format="json").status_code == 400
    assert api(team["author"]).get(url).json()["link_tracking"]["enabled"] is True


def test_credit_api_records_and_other_brands_cannot_see_it(api, team, make_post, other):
    post = make_post("by @fan", category="user_generated")
    url = reverse("api_post_credit", args=[post.pk])
    assert api(team["author"]).get(url).json()["problems"]
    body = {
        "author_handle": "@fan",
        "source_url": "https://social.example/@fan/1",
        "permission_from": "@fan",
        "permission_at": "2026-01-01T10:00:00Z",
        "permission_how": "DM",
    }
    answer = api(team["author"]).put(url, body, format="json")
    assert answer.status_code == 200 and answer.json()["problems"] == []
    assert answer.json()["has_permission"] is True
    assert api(other["author"]).get(url).status_code == 404
    assert api(other["author"]).put(url, body, format="json").status_code == 404
    assert api(team["author"]).put(url, {"author_handle": "@x"}, format="json").status_code == 400


def test_settings_and_credit_pages(client, team, make_post, other):
    client.force_login(team["admin"])
    url = reverse("strategy_settings", args=[team["brand"].slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "max_promotional": "25",
            "window_days": "14",
            "tracking_enabled": "on",
            "domains": "example.com shop.example",
            "medium": "social",
            "content": "",
        },
    )
    assert response.status_code == 302
    client.force_login(team["author"])
    assert client.post(url, {"window_days": "14"}).status_code == 403
    post = make_post("by @fan", category="user_generated")
    page = client.get(reverse("post_credit", args=[team["brand"].slug, post.pk]))
    assert b'data-testid="credit-problems"' in page.content
    client.force_login(other["author"])
    assert client.get(reverse("post_credit", args=[team["brand"].slug, post.pk])).status_code == 404
    assert (
        client.get(reverse("post_credit", args=[other["brand"].slug, post.pk])).status_code == 404
    )
