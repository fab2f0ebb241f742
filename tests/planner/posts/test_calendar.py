"""The calendar: events API (range, filters, bad input), drag-to-reschedule rules, quiet-channel
warnings, and a constant number of queries whatever the number of posts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from planner import lifecycle
from planner.models import Post, Status
from planner.posts import services
from tests.planner.conftest import count_queries, soon

URL = "/api/brands/team/calendar/"


def _range(days_before: int = 1, days_after: int = 40) -> dict:
    now = timezone.now()
    return {
        "start": (now - dt.timedelta(days=days_before)).isoformat(),
        "end": (now + dt.timedelta(days=days_after)).isoformat(),
    }


def test_events_in_range_with_colour_badge_and_editability(api, team, make_post):
    inside = make_post("Inside", when=soon(3))
    make_post("Outside", when=soon(90))
    make_post("Undated")
    events = api(team["author"]).get(URL, _range()).json()
    assert [e["id"] for e in events] == [str(inside.pk)]
    event = events[0]
    assert event["start"].endswith("Z")
    assert event["color"].startswith("#")
    assert event["editable"] is True
    assert event["extendedProps"]["status"] == "draft"
    assert event["extendedProps"]["badge"] == lifecycle.BADGE[Status.DRAFT]
    assert event["url"] == f"/b/team/posts/{inside.pk}/"
    # An approver sees it but may not drag it.
    assert api(team["approver1"]).get(URL, _range()).json()[0]["editable"] is False


def test_dates_only_mean_midnight_in_the_brand_zone(api, team, make_post):
    # 23:30 UTC on 31 May is 00:30 on 1 June in London: it belongs to June.
    post = make_post("Just after midnight", when=dt.datetime(2030, 5, 31, 23, 30, tzinfo=dt.UTC))
    june = api(team["author"]).get(URL, {"start": "2030-06-01", "end": "2030-07-01"}).json()
    may = api(team["author"]).get(URL, {"start": "2030-05-01", "end": "2030-06-01"}).json()
    assert [e["id"] for e in june] == [str(post.pk)] and may == []


def test_filters(api, team, make_post, make_user):
    campaign = services.campaign_create(brand=team["brand"], actor=team["author"], name="C1")
    other_author = make_user("writer2")
    account_services.membership_set(
        brand=team["brand"], user=other_author, roles=[Role.AUTHOR], actor=None
    )
    a = make_post("A", when=soon(1), category="news", campaign=campaign)
    b = make_post("B", when=soon(2), channel=team["second"], category="support")
    c = make_post("C", when=soon(3), actor=other_author)
    lifecycle.transition(c.pk, to=Status.IN_REVIEW, actor=other_author)
    client = api(team["author"])

    def ids(**filters):
        return [int(e["id"]) for e in client.get(URL, {**_range(), **filters}).json()]

    assert ids() == [a.pk, b.pk, c.pk]
    assert ids(channel=team["second"].pk) == [b.pk]
    assert ids(campaign=campaign.pk) == [a.pk]
    assert ids(status="in_review") == [c.pk]
    assert ids(category="support") == [b.pk]
    assert ids(author=other_author.pk) == [c.pk]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2030-01-01"},
        {"start": "nonsense", "end": "2030-01-01"},
        {"start": "2030-02-01", "end": "2030-01-01"},
        {"start": "2020-01-01", "end": "2030-01-01"},
        {"start": "2030-01-01", "end": "2030-02-01", "status": "<script>"},
        {"start": "2030-01-01", "end": "2030-02-01", "channel": "-1"},
        {"start": "2030-01-01", "end": "2030-02-01", "author": "99999999999999999999999"},
        {"start": "2030-01-01T00:00:00+99:00", "end": "2030-02-01"},
        {"start": "99999-01-01", "end": "2030-02-01"},
    ],
)
def test_bad_calendar_queries_are_400_with_a_reason(api, team, params):
    response = api(team["author"]).get(URL, params)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


def test_other_brands_calendar_is_404(api, team, other):
    assert api(other["author"]).get(URL, _range()).status_code == 404


def test_drag_reschedules_a_draft(api, team, make_post):
    post = make_post("Move me", when=soon(2, hour=9))
    target = soon(5, hour=15)
    response = api(team["author"]).patch(
        f"/api/posts/{post.pk}/", {"scheduled_at": target.isoformat()}, format="json"
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.scheduled_at == target and post.revision == 2


def test_drag_is_refused_for_people_who_may_not_draft_there(api, team, make_post):
    post = make_post("Stay", when=soon(2))
    response = api(team["approver1"]).patch(
        f"/api/posts/{post.pk}/", {"scheduled_at": soon(4).isoformat()}, format="json"
    )
    assert response.status_code == 403 and response.json()["detail"]
    post.refresh_from_db()
    assert post.scheduled_at == soon(2)


def test_drag_is_refused_for_posts_that_cannot_be_rescheduled(api, team, make_post):
    post = make_post("Being sent", when=soon(2))
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHING)  # set up the state only
    assert api(team["author"]).get(URL, _range()).json()[0]["editable"] is False
    response = api(team["author"]).patch(
        f"/api/posts/{post.pk}/", {"scheduled_at": soon(4).isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert "cannot be rescheduled" in response.json()["detail"]


def test_quiet_channel_warning(client, team, make_post):
    client.force_login(team["author"])
    make_post("Soon on the first channel", when=soon(2))
    make_post("Too late for the second", channel=team["second"], when=soon(30))
    html = client.get(reverse("calendar", args=["team"])).content.decode()
    assert html.count('data-testid="quiet-warning"') == 1
    warning = html.split('data-testid="quiet-warning"')[1].split("</div>")[0]
    assert "@team2" in warning and "next 7 days" in warning


def test_calendar_page_wires_fullcalendar(client, team):
    client.force_login(team["author"])
    html = client.get(reverse("calendar", args=["team"])).content.decode()
    assert "vendor/fullcalendar-7.1.0/all/global.js" in html
    assert 'data-events-url="/api/brands/team/calendar/"' in html
    assert 'data-timezone="Europe/London"' in html


# --- a constant number of queries --------------------------------------------------------


def _add_posts(team, n: int, *, start_index: int = 0) -> None:
    channels = [team["channel"], team["second"]]
    campaign = services.campaign_create(
        brand=team["brand"], actor=team["author"], name=f"Campaign {start_index}"
    )
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    for i in range(start_index, start_index + n):
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=channels[i % 2],
            text=f"Post {i} with a #tag",
            category=["news", "support", "engagement"][i % 3],
            scheduled_at=base + dt.timedelta(hours=(i % 600) + 1),
            campaign=campaign if i % 4 == 0 else None,
        )


def test_calendar_list_and_api_queries_do_not_grow_with_posts(
    client, team, django_assert_num_queries
):
    client.force_login(team["author"])
    now = timezone.now()
    api_params = {
        "start": (now - dt.timedelta(days=1)).isoformat(),
        "end": (now + dt.timedelta(days=30)).isoformat(),
    }
    requests = {
        "month page": lambda: client.get(reverse("calendar", args=["team"])),
        "list page": lambda: client.get(reverse("post_list", args=["team"])),
        "calendar api": lambda: client.get(URL, api_params),
        "posts api": lambda: client.get("/api/brands/team/posts/"),
        "filtered api": lambda: client.get(
            URL, {**api_params, "channel": team["channel"].pk, "category": "news"}
        ),
    }
    _add_posts(team, 10)
    for call in requests.values():
        call()  # warm per-process caches (content types, permissions)
    small = {name: count_queries(call) for name, call in requests.items()}
    responses = {name: call() for name, call in requests.items()}
    assert len(responses["calendar api"].json()) == 10

    _add_posts(team, 990, start_index=10)
    for name, call in requests.items():
        with django_assert_num_queries(small[name]):
            response = call()
        assert response.status_code == 200, name
    assert len(client.get(URL, api_params).json()) > 500
