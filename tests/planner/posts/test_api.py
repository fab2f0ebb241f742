"""The posts API as DESIGN.md states it: create, list with filters and pagination, get and
patch (a content patch is a revision with a new hash). Brand and role checked everywhere."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Platform, Role
from planner.models import Post, Status
from planner.posts import services
from tests.planner.conftest import BANNED, make_channel, soon


def test_create_post(api, team):
    response = api(team["author"]).post(
        "/api/brands/team/posts/",
        {
            "channel": team["channel"].pk,
            "text": f"Say {BANNED}",
            "category": "news",
            "scheduled_at": "2030-06-01T09:00:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["scheduled_at"] == "2030-06-01T08:00:00Z"
    assert body["approvals"] == [] and body["remote_url"] is None and body["held_reason"] == ""
    assert body["revision"] == 1 and len(body["content_hash"]) == 64
    assert body["channel"] == team["channel"].pk and body["brand"] == "team"
    assert body["blocked"] is True
    assert body["findings"][0] | {"rule": "no-frobnicate"} == body["findings"][0]
    finding = body["findings"][0]
    assert body["text"][finding["start"] : finding["end"]] == finding["match"] == BANNED
    post = Post.objects.get(pk=body["id"])
    assert post.author == team["author"]


def test_create_with_campaign_and_without_a_time(api, team):
    campaign = services.campaign_create(brand=team["brand"], actor=team["author"], name="Q3")
    response = api(team["author"]).post(
        "/api/brands/team/posts/",
        {
            "channel": team["channel"].pk,
            "text": "undated",
            "category": "support",
            "campaign": campaign.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["campaign"] == campaign.pk
    assert response.json()["scheduled_at"] is None


def test_token_auth_works(team):
    _, token = AuthToken.objects.create(user=team["author"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        "/api/brands/team/posts/",
        {"channel": team["channel"].pk, "text": "by token", "category": "news"},
        format="json",
    )
    assert response.status_code == 201


def test_anonymous_is_refused(team):
    assert APIClient().get("/api/brands/team/posts/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "x", "category": "news"}, "channel"),
        ({"channel": "1", "text": "x", "category": "news"}, "channel"),
        ({"channel": True, "text": "x", "category": "news"}, "channel"),
        ({"channel": -5, "text": "x", "category": "news"}, "channel"),
        ({"channel": 10**30, "text": "x", "category": "news"}, "channel"),
        ({"channel": 999999, "text": "x", "category": "news"}, "channel"),
        ({"channel": "CH", "text": 12, "category": "news"}, "text"),
        ({"channel": "CH", "text": ["x"], "category": "news"}, "text"),
        ({"channel": "CH", "text": "", "category": "news"}, "text"),
        ({"channel": "CH", "text": "x", "category": "gossip"}, "category"),
        (
            {"channel": "CH", "text": "x", "category": "news", "scheduled_at": "tomorrow"},
            "scheduled_at",
        ),
        (
            {"channel": "CH", "text": "x", "category": "news", "scheduled_at": "2030-01-01T09:00"},
            "scheduled_at",
        ),
        (
            {"channel": "CH", "text": "x", "category": "news", "scheduled_at": 1700000000},
            "scheduled_at",
        ),
        (
            {"channel": "CH", "text": "x", "category": "news", "scheduled_at": "2030-02-30T09:00Z"},
            "scheduled_at",
        ),
        ({"channel": "CH", "text": "x", "category": "news", "campaign": 424242}, "campaign"),
        ({"channel": "CH", "text": "x\x00y", "category": "news"}, "text"),
    ],
)
def test_bad_input_is_a_clear_400(api, team, payload, field):
    if payload.get("channel") == "CH":
        payload = {**payload, "channel": team["channel"].pk}
    response = api(team["author"]).post("/api/brands/team/posts/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Post.objects.exists()


def test_malformed_json_and_non_objects_are_400(api, team):
    client = api(team["author"])
    response = client.post("/api/brands/team/posts/", "{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post("/api/brands/team/posts/", [1, 2], format="json")
    assert response.status_code == 400


def test_channel_of_another_brand_is_refused(api, team, other):
    response = api(team["author"]).post(
        "/api/brands/team/posts/",
        {"channel": other["channel"].pk, "text": "x", "category": "news"},
        format="json",
    )
    assert response.status_code == 400
    assert "Posts never move between brands" in response.json()["channel"][0]


def test_channel_without_drafting_rights_is_403(api, team, make_user):
    restricted = make_user("restricted")
    account_services.membership_set(
        brand=team["brand"],
        user=restricted,
        roles=[Role.AUTHOR],
        channels=[team["second"]],
        actor=None,
    )
    response = api(restricted).post(
        "/api/brands/team/posts/",
        {"channel": team["channel"].pk, "text": "x", "category": "news"},
        format="json",
    )
    assert response.status_code == 403
    assert "author role" in response.json()["detail"]
    assert (
        api(team["approver1"])
        .post(
            "/api/brands/team/posts/",
            {"channel": team["channel"].pk, "text": "x", "category": "news"},
            format="json",
        )
        .status_code
        == 403
    )


def test_over_long_is_400_with_the_count(api, team):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="t.bsky.social")
    response = api(team["author"]).post(
        "/api/brands/team/posts/",
        {"channel": bluesky.pk, "text": "é" * 310, "category": "news"},
        format="json",
    )
    assert response.status_code == 400
    assert "310 characters, the limit is 300" in str(response.json())


def test_not_a_member_of_the_brand_is_404(api, team, other):
    client = api(other["author"])
    assert client.get("/api/brands/team/posts/").status_code == 404
    assert (
        client.post(
            "/api/brands/team/posts/",
            {"channel": team["channel"].pk, "text": "x", "category": "news"},
            format="json",
        ).status_code
        == 404
    )


def test_get_and_patch_a_post(api, team, make_post):
    post = make_post("Original", when=soon(2))
    client = api(team["author"])
    body = client.get(f"/api/posts/{post.pk}/").json()
    for key in (
        "status",
        "approvals",
        "findings",
        "remote_url",
        "held_reason",
        "channel",
        "text",
        "category",
        "scheduled_at",
        "content_hash",
        "revision",
    ):
        assert key in body
    response = client.patch(f"/api/posts/{post.pk}/", {"text": "Edited"}, format="json")
    assert response.status_code == 200
    edited = response.json()
    assert edited["text"] == "Edited" and edited["revision"] == 2
    assert edited["content_hash"] != body["content_hash"]
    moved = client.patch(
        f"/api/posts/{post.pk}/", {"scheduled_at": "2030-01-01T12:00:00Z"}, format="json"
    ).json()
    assert moved["revision"] == 3 and moved["content_hash"] == edited["content_hash"]
    assert moved["scheduled_at"] == "2030-01-01T12:00:00Z"
    cleared = client.patch(f"/api/posts/{post.pk}/", {"scheduled_at": None}, format="json")
    assert cleared.json()["scheduled_at"] is None


def test_patch_cannot_move_a_post_to_another_brand(api, team, other, make_post):
    account_services.membership_set(
        brand=other["brand"], user=team["author"], roles=[Role.AUTHOR], actor=None
    )
    post = make_post()
    response = api(team["author"]).patch(
        f"/api/posts/{post.pk}/", {"channel": other["channel"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "copy the post" in response.json()["channel"][0]
    post.refresh_from_db()
    assert post.channel == team["channel"]


def test_patch_of_a_published_post_is_a_409(api, team, make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHED)  # set up the state only
    response = api(team["author"]).patch(f"/api/posts/{post.pk}/", {"text": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"


def test_another_brands_post_is_404_everywhere(api, team, other, make_post):
    post = make_post()
    client = api(other["author"])
    assert client.get(f"/api/posts/{post.pk}/").status_code == 404
    assert client.patch(f"/api/posts/{post.pk}/", {"text": "x"}, format="json").status_code == 404
    assert client.get(f"/api/posts/{post.pk}/comments/").status_code == 404
    assert (
        client.post(
            f"/api/posts/{post.pk}/copy/", {"channel": other["channel"].pk}, format="json"
        ).status_code
        == 404
    )
    assert client.get("/api/posts/99999999999999999999/").status_code == 404
    assert client.get("/api/posts/0/").status_code == 404


def test_approver_can_read_but_not_patch(api, team, make_post):
    post = make_post()
    client = api(team["approver1"])
    assert client.get(f"/api/posts/{post.pk}/").status_code == 200
    assert client.patch(f"/api/posts/{post.pk}/", {"text": "x"}, format="json").status_code == 403


def test_list_filters_and_paginates(api, team, make_post):
    for i in range(7):
        make_post(f"Item {i}", when=soon(i + 1), channel=team["second"] if i % 2 else None)
    client = api(team["approver1"])
    body = client.get("/api/brands/team/posts/", {"limit": 3}).json()
    assert body["count"] == 7 and len(body["results"]) == 3 and body["next"]
    body = client.get("/api/brands/team/posts/", {"channel": team["second"].pk}).json()
    assert body["count"] == 3
    response = client.get("/api/brands/team/posts/", {"status": "nope"})
    assert response.status_code == 400 and "status" in response.json()["errors"]
    response = client.get("/api/brands/team/posts/", {"channel": 10**25})
    assert response.status_code == 400


def test_limit_and_offset_past_any_database_integer_are_a_page_not_a_500(api, team, make_post):
    for i in range(3):
        make_post(f"Item {i}", when=soon(i + 1))
    client = api(team["approver1"])
    for params, shown in (
        ({"limit": 2**63}, 3),
        ({"limit": 10**30}, 3),
        ({"offset": 2**63}, 0),
        ({"limit": 2**63, "offset": 2**64}, 0),
    ):
        response = client.get("/api/brands/team/posts/", params)
        assert response.status_code == 200, (params, response.content[:300])
        body = response.json()
        assert body["count"] == 3 and len(body["results"]) == shown, params
    inbox = client.get("/api/brands/team/inbox/", {"limit": 2**63, "offset": 2**63})
    assert inbox.status_code == 200, inbox.content[:300]
    assert inbox.json()["results"] == []


def test_a_copy_over_the_api_of_a_post_whose_time_has_passed_is_undated(api, team, make_post):
    import datetime as dt

    from django.utils import timezone

    post = make_post("Then", when=timezone.now() - dt.timedelta(days=1))
    response = api(team["author"]).post(
        f"/api/posts/{post.pk}/copy/", {"channel": team["second"].pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["scheduled_at"] is None


def test_create_in_the_past_is_a_400_before_any_confirmation(api, team):
    """As for an edit: a time that has passed is refused, not taken as "within 15 minutes"."""
    client = api(team["author"])
    data = {"channel": team["channel"].pk, "text": "Then", "category": "news"}
    for when in ("2020-01-01T10:00:00Z", "2026-01-01T00:00:00+01:00"):
        for confirm in ([], ["@team"]):
            refused = client.post(
                "/api/brands/team/posts/",
                {**data, "scheduled_at": when, "confirm_handles": confirm},
                format="json",
            )
            assert refused.status_code == 400, refused.content
            assert "already passed" in str(refused.json())
    assert not Post.objects.exists()


def test_copy_endpoint(api, team, other, make_post):
    account_services.membership_set(
        brand=other["brand"], user=team["author"], roles=[Role.AUTHOR], actor=None
    )
    post = make_post()
    response = api(team["author"]).post(
        f"/api/posts/{post.pk}/copy/", {"channel": other["channel"].pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["brand"] == "other" and response.json()["id"] != post.pk


def test_comments_endpoint(api, team, make_post):
    post = make_post()
    client = api(team["approver1"])
    response = client.post(f"/api/posts/{post.pk}/comments/", {"body": "<b>hm</b>"}, format="json")
    assert response.status_code == 201
    assert client.get(f"/api/posts/{post.pk}/comments/").json()[0]["body"] == "<b>hm</b>"


def test_campaigns_endpoint(api, team):
    client = api(team["author"])
    assert (
        client.post("/api/brands/team/campaigns/", {"name": "A"}, format="json").status_code == 201
    )
    assert (
        client.post("/api/brands/team/campaigns/", {"name": "A"}, format="json").status_code == 409
    )
    assert (
        client.post(
            "/api/brands/team/campaigns/",
            {"name": "B", "starts_on": "2030-02-01", "ends_on": "2030-01-01"},
            format="json",
        ).status_code
        == 400
    )
    assert [c["name"] for c in client.get("/api/brands/team/campaigns/").json()] == ["A"]


# --- nothing lost: ETag / If-Match, or the revision in the body ---------------------------


def test_get_sends_the_etag_and_a_stale_if_match_is_a_409_with_the_current_content(
    api, team, make_post
):
    post = make_post("As first written", when=soon(3))
    first, second = api(team["author"]), api(team["author"])
    seen = first.get(f"/api/posts/{post.pk}/")
    assert seen["ETag"] == '"rev-1"'
    saved = second.patch(
        f"/api/posts/{post.pk}/", {"text": "Second person"}, format="json", HTTP_IF_MATCH='"rev-1"'
    )
    assert saved.status_code == 200 and saved["ETag"] == '"rev-2"'
    stale = first.patch(
        f"/api/posts/{post.pk}/",
        {"text": "First person"},
        format="json",
        HTTP_IF_MATCH=seen["ETag"],
    )
    assert stale.status_code == 409
    body = stale.json()
    assert "changed while you were editing" in body["detail"]
    assert body["code"] == "stale_edit" and body["revision"] == 2
    assert body["current"]["text"] == "Second person"
    assert body["changed"]["text"] == {"was": "As first written", "now": "Second person"}
    assert stale["ETag"] == '"rev-2"'
    assert Post.objects.get(pk=post.pk).text == "Second person"
    # Retried on top of what is there now, it saves.
    retried = first.patch(
        f"/api/posts/{post.pk}/", {"text": "First person"}, format="json", HTTP_IF_MATCH='"rev-2"'
    )
    assert retried.status_code == 200 and retried.json()["revision"] == 3


def test_revision_or_content_hash_in_the_body_is_checked_too(api, team, make_post):
    post = make_post("Body checks", when=soon(3))
    client = api(team["author"])
    old_hash = post.content_hash
    moved_on = client.patch(f"/api/posts/{post.pk}/", {"category": "news"}, format="json")
    assert moved_on.status_code == 200
    for extra in ({"revision": 1}, {"content_hash": old_hash}):
        response = client.patch(
            f"/api/posts/{post.pk}/", {"text": "Overwrite?", **extra}, format="json"
        )
        assert response.status_code == 409, extra
        assert response.json()["current"]["category"] == "news"
    assert Post.objects.get(pk=post.pk).text == "Body checks"
    # Without any of them a PATCH works as it always did.
    plain = client.patch(f"/api/posts/{post.pk}/", {"text": "Plain"}, format="json")
    assert plain.status_code == 200 and plain.json()["text"] == "Plain"


@pytest.mark.parametrize("header", ['"nope"', "rev-1", '"rev-1", "rev-2"'])
def test_a_malformed_if_match_is_a_400(api, team, make_post, header):
    post = make_post("Tags")
    response = api(team["author"]).patch(
        f"/api/posts/{post.pk}/", {"text": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 400 and "If-Match" in response.json()["errors"]
    assert Post.objects.get(pk=post.pk).text == "Tags"


# --- a time within minutes needs the handle typed ------------------------------------------


def test_create_within_fifteen_minutes_needs_confirm_handles(api, team):
    import datetime as dt

    from django.utils import timezone

    client = api(team["author"])
    soon_at = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
    data = {"channel": team["channel"].pk, "text": "Now", "category": "news"}
    refused = client.post(
        "/api/brands/team/posts/", {**data, "scheduled_at": soon_at}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["confirm_handles"] == ["@team"]
    assert "Type @team to confirm" in refused.json()["detail"]
    wrong = client.post(
        "/api/brands/team/posts/",
        {**data, "scheduled_at": soon_at, "confirm_handles": ["@other"]},
        format="json",
    )
    assert wrong.status_code == 409 and not Post.objects.exists()
    done = client.post(
        "/api/brands/team/posts/",
        {**data, "scheduled_at": soon_at, "confirm_handles": ["@team"]},
        format="json",
    )
    assert done.status_code == 201
    later = (timezone.now() + dt.timedelta(minutes=30)).isoformat()
    assert (
        client.post(
            "/api/brands/team/posts/", {**data, "scheduled_at": later}, format="json"
        ).status_code
        == 201
    )
    bad = client.post(
        "/api/brands/team/posts/",
        {**data, "scheduled_at": soon_at, "confirm_handles": "@team"},
        format="json",
    )
    assert bad.status_code == 400


def test_patch_moving_within_fifteen_minutes_needs_confirm_handles(api, team, make_post):
    import datetime as dt

    from django.utils import timezone

    post = make_post("Move me", when=soon(2))
    client = api(team["author"])
    soon_at = (timezone.now() + dt.timedelta(minutes=10)).isoformat()
    refused = client.patch(f"/api/posts/{post.pk}/", {"scheduled_at": soon_at}, format="json")
    assert refused.status_code == 409 and refused.json()["confirm_handles"] == ["@team"]
    assert Post.objects.get(pk=post.pk).scheduled_at == soon(2)
    done = client.patch(
        f"/api/posts/{post.pk}/",
        {"scheduled_at": soon_at, "confirm_handles": ["@team"]},
        format="json",
    )
    assert done.status_code == 200


def test_patch_into_the_past_is_refused_in_plain_words(api, team, make_post):
    post = make_post("Not yesterday", when=soon(2))
    response = api(team["author"]).patch(
        f"/api/posts/{post.pk}/", {"scheduled_at": "2026-01-01T09:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["errors"]["scheduled_at"][0]
    assert message.startswith("That time has already passed")
    assert Post.objects.get(pk=post.pk).scheduled_at == soon(2)
