"""The inbox pages and API: filters, the clock, assignment and status with audit, who sees
which channels, the menu count, the query count pinned, the digest and the figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEvent, Notification, Role
from planner.engagement import selectors, services
from planner.engagement.models import Conversation, ConversationStatus, Direction, Message
from platforms.engagement import RemoteMessage

pytestmark = pytest.mark.django_db


def _ingest(channel, n: int, *, start=None, prefix="msg", author="cust"):
    start = start or timezone.now() - dt.timedelta(hours=1)
    return services.inbox_ingest(
        channel=channel,
        messages=[
            RemoteMessage(
                remote_id=f"{prefix}-{i}",
                kind="mention",
                text=f"{prefix} number {i}",
                author_remote_id=f"{author}-{i % 7}",
                author_handle=f"@{author}{i % 7}@example.social",
                created_at=start + dt.timedelta(seconds=i),
            )
            for i in range(n)
        ],
    )


@pytest.fixture
def brand_inbox(team):
    from tests.planner.conftest import make_channel

    masto = make_channel(team["brand"], platform="mastodon", handle="@team@social.example")
    sky = make_channel(team["brand"], platform="bluesky", handle="team.bsky.social")
    return {**team, "masto": masto, "sky": sky}


def test_the_list_shows_conversations_newest_first_with_their_clock(brand_inbox, client):
    old = timezone.now() - dt.timedelta(days=10)
    _ingest(brand_inbox["masto"], 2, start=old, prefix="old")
    _ingest(brand_inbox["sky"], 1, prefix="new")
    client.force_login(brand_inbox["admin"])
    response = client.get(reverse("conversation_list", args=[brand_inbox["brand"].slug]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.conversation.root_remote_id for r in rows] == ["new-0", "old-1", "old-0"]
    assert rows[-1].state == "overdue"
    body = response.content.decode()
    assert 'data-state="overdue"' in body and "new number 0" in body
    overdue = client.get(
        reverse("conversation_list", args=[brand_inbox["brand"].slug]), {"waiting": "overdue"}
    )
    assert [r.conversation.root_remote_id for r in overdue.context["rows"]] == ["old-1", "old-0"]
    by_channel = client.get(
        reverse("conversation_list", args=[brand_inbox["brand"].slug]),
        {"channel": brand_inbox["sky"].pk, "status": "open", "assignee": "none", "kind": "x"},
    )
    assert [r.conversation.root_remote_id for r in by_channel.context["rows"]] == ["new-0"]
    # Nonsense filters are ignored, never an error.
    assert (
        client.get(
            reverse("conversation_list", args=[brand_inbox["brand"].slug]),
            {"channel": "99999999999999999999", "page": "x", "waiting": "\x00"},
        ).status_code
        == 200
    )


def test_the_list_page_takes_the_same_queries_at_small_and_larger_sizes(brand_inbox, client):
    client.force_login(brand_inbox["approver1"])
    url = reverse("conversation_list", args=[brand_inbox["brand"].slug])
    _ingest(brand_inbox["masto"], 3, prefix="a")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _ingest(brand_inbox["masto"], 120, prefix="b")
    _ingest(brand_inbox["sky"], 40, prefix="c")
    Conversation.objects.filter(root_remote_id__startswith="b-").update(
        assignee=brand_inbox["author"]
    )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["rows"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_limited_member_sees_only_their_channels(brand_inbox, client):
    brand = brand_inbox["brand"]
    _ingest(brand_inbox["masto"], 2, prefix="m")
    _ingest(brand_inbox["sky"], 2, prefix="s")
    author = brand_inbox["author"]
    account_services.membership_set(
        brand=brand,
        user=author,
        roles=[Role.AUTHOR],
        channels=[brand_inbox["sky"]],
        actor=brand_inbox["admin"],
    )
    client.force_login(author)
    rows = client.get(reverse("conversation_list", args=[brand.slug])).context["rows"]
    assert {r.conversation.channel_id for r in rows} == {brand_inbox["sky"].pk}
    hidden = Conversation.objects.filter(channel=brand_inbox["masto"]).first()
    assert (
        client.get(reverse("conversation_detail", args=[brand.slug, hidden.pk])).status_code == 404
    )
    api = APIClient()
    api.force_authenticate(author)
    data = api.get(reverse("api_inbox", args=[brand.slug])).json()
    assert data["count"] == 2
    assert {r["channel"] for r in data["results"]} == {brand_inbox["sky"].pk}
    assert api.get(reverse("api_conversation", args=[hidden.pk])).status_code == 404
    with pytest.raises(Exception):  # noqa: B017 - NotAllowed
        services.conversation_set_status(conversation=hidden, actor=author, status="answered")
    # A trainer works on no channel: sees none.
    assert selectors.waiting_count(user=brand_inbox["trainer"], brand=brand) == 0


def test_an_outsider_gets_404_everywhere(brand_inbox, other, client):
    _ingest(brand_inbox["masto"], 1)
    conversation = Conversation.objects.get()
    outsider = other["admin"]
    client.force_login(outsider)
    slug = brand_inbox["brand"].slug
    assert client.get(reverse("conversation_list", args=[slug])).status_code == 404
    assert (
        client.get(reverse("conversation_detail", args=[slug, conversation.pk])).status_code == 404
    )
    assert (
        client.post(
            reverse("conversation_status", args=[slug, conversation.pk]), {"status": "answered"}
        ).status_code
        == 404
    )
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get(reverse("api_conversation", args=[conversation.pk])).status_code == 404
    assert (
        api.post(
            reverse("api_conversation_status", args=[conversation.pk]),
            {"status": "answered"},
            format="json",
        ).status_code
        == 404
    )


def test_assign_and_status_are_audited_and_the_api_agrees(brand_inbox, client):
    _ingest(brand_inbox["masto"], 1)
    conversation = Conversation.objects.get()
    slug = brand_inbox["brand"].slug
    client.force_login(brand_inbox["admin"])
    response = client.post(
        reverse("conversation_assign", args=[slug, conversation.pk]),
        {"assignee": brand_inbox["author"].pk},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == brand_inbox["author"]
    assert Notification.objects.filter(user=brand_inbox["author"], kind="inbox.assigned").exists()
    # Someone outside the channel's people cannot be assigned.
    client.post(
        reverse("conversation_assign", args=[slug, conversation.pk]),
        {"assignee": brand_inbox["trainer"].pk},
    )
    conversation.refresh_from_db()
    assert conversation.assignee == brand_inbox["author"]
    client.post(
        reverse("conversation_status", args=[slug, conversation.pk]), {"status": "no_reply_needed"}
    )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.NO_REPLY_NEEDED
    assert conversation.first_unanswered_at is None and conversation.due_at is None
    # Crisis is not a status to click here; nonsense is refused without a 500.
    for bad in ("crisis", "", "x" * 100):
        assert (
            client.post(
                reverse("conversation_status", args=[slug, conversation.pk]), {"status": bad}
            ).status_code
            == 302
        )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.NO_REPLY_NEEDED
    actions = list(
        AuditEvent.objects.filter(object_type="conversation", object_id=str(conversation.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["conversation.assigned", "conversation.status"]
    api = APIClient()
    api.force_authenticate(brand_inbox["approver1"])
    data = api.post(
        reverse("api_conversation_status", args=[conversation.pk]),
        {"status": "escalated", "reason": "legal"},
        format="json",
    ).json()
    assert data["status"] == "escalated" and data["waiting"] in ("waiting", "due_soon")
    assert data["messages"][0]["text"] == "msg number 0"
    assert (
        api.post(
            reverse("api_conversation_assign", args=[conversation.pk]),
            {"assignee": 99999999},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            reverse("api_conversation_status", args=[conversation.pk]),
            {"status": "escalated"},
            format="json",
        ).status_code
        == 409
    )


def test_the_api_lists_paginated_and_filtered(brand_inbox):
    _ingest(brand_inbox["masto"], 30)
    _ingest(brand_inbox["sky"], 5, prefix="s")
    api = APIClient()
    api.force_authenticate(brand_inbox["admin"])
    url = reverse("api_inbox", args=[brand_inbox["brand"].slug])
    page = api.get(url, {"limit": 10}).json()
    assert page["count"] == 35 and len(page["results"]) == 10 and page["next"]
    assert page["results"][0]["customer_handle"]
    sky = api.get(url, {"channel": brand_inbox["sky"].pk, "status": "open"}).json()
    assert sky["count"] == 5
    assert api.get(url, {"status": "answered"}).json()["count"] == 0
    assert api.get(url, {"channel": "abc", "status": "<x>"}).status_code == 200


def test_the_menu_count_is_one_query_and_counts_what_waits(brand_inbox, client):
    brand, approver = brand_inbox["brand"], brand_inbox["approver1"]
    _ingest(brand_inbox["masto"], 4)
    Conversation.objects.filter(root_remote_id="msg-0").update(first_unanswered_at=None)
    # The menu knows whether the person is an admin (one question a page, shared).
    selectors.waiting_count(user=approver, brand=brand, is_admin=False)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.waiting_count(user=approver, brand=brand, is_admin=False) == 3
    assert len(queries.captured_queries) == 1
    client.force_login(approver)
    body = client.get(reverse("calendar", args=[brand.slug])).content.decode()
    assert 'data-testid="nav-conversation-count">3<' in body


def test_first_response_figures_and_the_overdue_digest(brand_inbox):
    brand, admin = brand_inbox["brand"], brand_inbox["admin"]
    services.response_settings_update(
        brand=brand,
        actor=admin,
        business_days=[1, 2, 3, 4, 5, 6, 7],
        start_hour=0,
        end_hour=24,
        target_business_minutes=60,
    )
    now = timezone.now()
    _ingest(brand_inbox["masto"], 3, start=now - dt.timedelta(hours=5), prefix="late")
    _ingest(brand_inbox["sky"], 1, start=now - dt.timedelta(minutes=10), prefix="fresh")
    fresh = Conversation.objects.get(root_remote_id="fresh-0")
    services.conversation_record_response(conversation_id=fresh.pk, at=now)
    fresh.refresh_from_db()
    assert fresh.status == "answered" and 9 <= fresh.first_response_business_minutes <= 11
    clock = services.brand_clock(brand)
    figures = selectors.response_figures(
        brand=brand, start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1), clock=clock
    )
    assert figures.answered == 1 and figures.within_target_percent == 100.0
    assert figures.overdue_now == 3 and figures.waiting_now == 3
    mail.outbox.clear()
    assert services.overdue_digest(brand=brand) == 3
    assert services.overdue_digest(brand=brand) == 0  # each once
    [notice] = Notification.objects.filter(user=admin, kind="inbox.overdue")
    assert "3 conversations went overdue" in notice.subject
    # Changing the target recomputes what is due.
    services.response_settings_update(
        brand=brand,
        actor=admin,
        business_days=[1, 2, 3, 4, 5, 6, 7],
        start_hour=0,
        end_hour=24,
        target_business_minutes=600,
    )
    assert (
        selectors.response_figures(
            brand=brand,
            start=now - dt.timedelta(days=1),
            end=now,
            clock=services.brand_clock(brand),
        ).overdue_now
        == 0
    )
    with pytest.raises(Exception):  # noqa: B017 - ValidationError
        services.response_settings_update(
            brand=brand, actor=admin, business_days=[], start_hour=10, end_hour=9
        )


def test_customer_history_shows_their_earlier_messages(brand_inbox, client):
    _ingest(brand_inbox["masto"], 14, prefix="h")  # authors cust-0..6, two each
    conversation = Conversation.objects.get(root_remote_id="h-8")  # cust-1's second
    client.force_login(brand_inbox["admin"])
    response = client.get(
        reverse("conversation_detail", args=[brand_inbox["brand"].slug, conversation.pk])
    )
    assert [m.text for m in response.context["history"]] == ["h number 1"]
    assert Message.objects.filter(direction=Direction.IN).count() == 14


def test_settings_page_saves_hours_and_searches(brand_inbox, client):
    slug = brand_inbox["brand"].slug
    client.force_login(brand_inbox["admin"])
    url = reverse("inbox_settings", args=[slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "form": "settings",
            "business_days": ["1", "2", "3"],
            "start_hour": "8",
            "end_hour": "16",
            "target_hours": "4",
            "due_soon_minutes": "30",
            "reply_approval_mode": "one",
        },
    )
    assert response.status_code == 302
    settings = selectors.response_settings(brand=brand_inbox["brand"])
    assert settings.business_days == [1, 2, 3] and settings.target_business_minutes == 240
    response = client.post(
        url,
        {
            "form": "search",
            "query": "#teamfail",
            "kind": "brand",
            "channel": brand_inbox["masto"].pk,
        },
    )
    assert response.status_code == 302
    assert [s.query for s in selectors.saved_searches(brand=brand_inbox["brand"])] == ["#teamfail"]
    client.force_login(brand_inbox["author"])
    assert client.get(url).status_code == 403


def test_the_dashboard_shows_the_response_figures(brand_inbox, client):
    brand, admin = brand_inbox["brand"], brand_inbox["admin"]
    now = timezone.now()
    _ingest(brand_inbox["masto"], 2, start=now - dt.timedelta(days=9), prefix="d")
    waiting = Conversation.objects.get(root_remote_id="d-0")
    services.conversation_record_response(conversation_id=waiting.pk, at=now)
    client.force_login(admin)
    response = client.get(reverse("kpi_dashboard", args=[brand.slug]))
    figures = response.context["response"]
    assert figures.answered == 1 and figures.within_target_percent == 0.0
    assert figures.overdue_now == 1
    body = response.content.decode()
    assert 'data-testid="kpi-response-overdue">1<' in body
    assert 'data-testid="kpi-response-within">0.0%<' in body
