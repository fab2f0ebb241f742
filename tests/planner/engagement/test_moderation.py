"""The three-strike moderation record: in order, once each, one click each; step 3 reports
(and blocks or mutes) on the platform; the record is shown when the person writes again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditEvent
from config.errors import Conflict, NotAllowed
from planner.engagement import moderation
from planner.engagement.models import Conversation, Direction, Message, ModerationRecord
from platforms.bluesky import BlueskyClient, clear_session_cache
from tests.fakes.bluesky import FakeBluesky
from tests.planner.engagement.respond_support import *  # noqa: F403
from tests.planner.engagement.respond_support import TROLL, customer_writes


def strike(team, conversation, step, who="author"):
    return moderation.strike_record(conversation=conversation, actor=team[who], step=step)


def test_three_steps_in_order_and_the_report_reaches_mastodon(engage):
    conversation = customer_writes(engage, "@kitchen you are all idiots", who=TROLL)
    customer_writes(engage, "@kitchen answer me idiots", who=TROLL, conversation=conversation)
    first = strike(engage, conversation, 1)
    assert first.platform_action == "" and engage["mastodon"].reports == []
    with pytest.raises(Conflict):
        strike(engage, conversation, 3)  # not before step 2
    strike(engage, conversation, 2)
    with pytest.raises(Conflict):
        strike(engage, conversation, 2)  # once
    third = strike(engage, conversation, 3)
    assert third.platform_action == "report+block"
    assert third.platform_action_ok is True
    reports = engage["mastodon"].reports
    assert len(reports) == 1
    assert reports[0]["target_account"]["id"] == TROLL["account_id"]
    inbound = set(
        Message.objects.filter(conversation=conversation, direction=Direction.IN).values_list(
            "remote_id", flat=True
        )
    )
    assert set(reports[0]["status_ids"]) == inbound
    assert engage["mastodon"].blocks == [
        {"by": engage["channel"].remote_account_id, "account_id": TROLL["account_id"]}
    ]
    assert third.platform_result["report"]["id"] == reports[0]["id"]
    record = ModerationRecord.objects.get(brand=engage["brand"], customer_remote_id="6001")
    assert record.strikes == 3
    with pytest.raises(Conflict):
        strike(engage, conversation, 3)
    actions = list(
        AuditEvent.objects.filter(brand=engage["brand"], action__startswith="moderation.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "moderation.strike",
        "moderation.strike",
        "moderation.strike",
        "moderation.platform_action",
    ]


def test_the_record_is_shown_when_the_person_writes_again(client, engage):
    old = customer_writes(engage, "@kitchen rubbish", who=TROLL)
    strike(engage, old, 1)
    strike(engage, old, 2)
    new = customer_writes(engage, "@kitchen me again", who=TROLL)
    assert new.pk != old.pk
    client.force_login(engage["author"])
    page = client.get(reverse("conversation_respond", args=[engage["brand"].slug, new.pk]))
    assert b'data-testid="moderation-record"' in page.content
    assert b'data-testid="strike-count">2<' in page.content
    assert b'data-step="3"' in page.content  # the next click is step 3
    badges = moderation.strikes_by_customer(
        brand=engage["brand"], conversations=Conversation.objects.all()
    )
    assert badges == {("mastodon", TROLL["account_id"]): 2}


def test_one_click_on_the_page_records_the_next_step(client, engage):
    conversation = customer_writes(engage, "@kitchen idiots", who=TROLL)
    client.force_login(engage["author"])
    url = reverse("strike_add", args=[engage["brand"].slug, conversation.pk])
    for step in (1, 2, 3):
        response = client.post(url, {"step": step})
        assert response.status_code == 302
    assert ModerationRecord.objects.get().strikes == 3
    assert len(engage["mastodon"].reports) == 1
    # A stale fourth click (or garbage) is refused with a message, never a 500.
    for bad in ("3", "4", "", "x" * 1000, "\x00"):
        assert client.post(url, {"step": bad}).status_code == 302
    assert len(engage["mastodon"].reports) == 1


def test_a_failing_platform_keeps_the_step_with_the_reason(engage, monkeypatch):
    from platforms import errors as platform_errors
    from platforms.mastodon import MastodonClient

    def refuse(self, **kwargs):
        raise platform_errors.PlatformUnavailable("instance down", platform="mastodon")

    monkeypatch.setattr(MastodonClient, "report", refuse)
    conversation = customer_writes(engage, "@kitchen idiots", who=TROLL)
    strike(engage, conversation, 1)
    strike(engage, conversation, 2)
    third = strike(engage, conversation, 3)
    assert third.platform_action_ok is False
    assert "instance down" in third.platform_result["error"]
    assert AuditEvent.objects.filter(action="moderation.platform_action_failed").exists()


def test_who_may_record_strikes(engage, make_user, make_brand):
    conversation = customer_writes(engage, "@kitchen idiots", who=TROLL)
    with pytest.raises(NotAllowed):
        strike(engage, conversation, 1, who="approver1")
    stranger = make_user("stranger")
    make_brand("elsewhere", admin=stranger)
    web = Client()
    web.force_login(stranger)
    for slug in (engage["brand"].slug, "elsewhere"):
        response = web.post(reverse("strike_add", args=[slug, conversation.pk]), {"step": 1})
        assert response.status_code == 404
    trainer = Client()
    trainer.force_login(engage["trainer"])
    response = trainer.post(
        reverse("strike_add", args=[engage["brand"].slug, conversation.pk]), {"step": 1}
    )
    assert response.status_code == 404
    assert not ModerationRecord.objects.exists()


@pytest.fixture
def sky(engage):
    clear_session_cache()
    with FakeBluesky(
        accounts={"brand.test": "app-pass-1234", "troll.test": "troll-pass-1234"}
    ) as fake:
        channel = account_services.channel_connect(
            brand=engage["brand"],
            actor=engage["admin"],
            platform="bluesky",
            instance_url=fake.url,
            credential={"identifier": "brand.test", "app_password": "app-pass-1234"},
        )
        yield {"fake": fake, "channel": channel}
    clear_session_cache()


def _bluesky_mention(engage, sky, text: str) -> Conversation:
    troll = BlueskyClient(
        instance_url=sky["fake"].url,
        credential={"identifier": "troll.test", "app_password": "troll-pass-1234"},
    )
    me = troll.whoami()
    posted = troll.publish(text=text, idempotency_key=f"troll-{text}")
    from django.utils import timezone

    now = timezone.now()
    conversation = Conversation.objects.create(
        brand=engage["brand"],
        channel=sky["channel"],
        root_remote_id=posted.remote_id,
        kind="mention",
        customer_platform="bluesky",
        customer_remote_id=me.remote_id,
        customer_handle=me.handle,
        last_activity_at=now,
        first_unanswered_at=now,
    )
    Message.objects.create(
        conversation=conversation,
        channel=sky["channel"],
        remote_id=posted.remote_id,
        direction=Direction.IN,
        author_remote_id=me.remote_id,
        author_handle=me.handle,
        text=text,
        remote_created_at=now,
    )
    return conversation


def test_bluesky_step_three_reports_and_mutes(engage, sky):
    conversation = _bluesky_mention(engage, sky, "@brand.test you are the worst")
    strike(engage, conversation, 1)
    strike(engage, conversation, 2)
    third = strike(engage, conversation, 3)
    assert third.platform_action == "report+mute" and third.platform_action_ok is True
    report = sky["fake"].reports[0]
    assert report["reasonType"] == "com.atproto.moderation.defs#reasonRude"
    assert report["subject"] == {
        "$type": "com.atproto.admin.defs#repoRef",
        "did": conversation.customer_remote_id,
    }
    assert report["reportedBy"] == sky["channel"].remote_account_id
    assert sky["fake"].mutes == [
        {"by": sky["channel"].remote_account_id, "account_id": conversation.customer_remote_id}
    ]


def test_a_bluesky_reply_carries_root_and_parent_refs(engage, sky):
    from planner.engagement import replies

    conversation = _bluesky_mention(engage, sky, "@brand.test where is my parcel?")
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@troll.test It ships today."
    )
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    records = [p for p in sky["fake"].posts() if "reply" in p["value"]]
    assert len(records) == 1
    body = records[0]["value"]
    assert body["reply"]["parent"]["uri"] == conversation.root_remote_id
    assert body["reply"]["root"]["uri"] == conversation.root_remote_id
    assert body["reply"]["parent"]["cid"].startswith("bafyrei")
    reply.refresh_from_db()
    assert reply.remote_id.startswith("at://" + sky["channel"].remote_account_id)


def test_the_inbox_list_badges_a_customer_on_the_record(client, engage):
    troll = customer_writes(engage, "@kitchen idiots", who=TROLL)
    polite = customer_writes(engage, "@kitchen thanks!")
    strike(engage, troll, 1)
    client.force_login(engage["author"])
    response = client.get(reverse("conversation_list", args=[engage["brand"].slug]))
    body = response.content.decode()
    assert body.count('data-testid="strike-badge"') == 1
    row = body[body.index(f'data-conversation-id="{troll.pk}"') :]
    row = row[: row.index("</a>")]
    assert "1/3 strikes" in row
    assert f'data-conversation-id="{polite.pk}"' in body


def test_the_conversation_page_carries_the_record_and_the_steps(client, engage):
    old = customer_writes(engage, "@kitchen rubbish", who=TROLL)
    strike(engage, old, 1)
    new = customer_writes(engage, "@kitchen again", who=TROLL)
    client.force_login(engage["author"])
    page = client.get(reverse("conversation_detail", args=[engage["brand"].slug, new.pk]))
    assert page.status_code == 200
    assert b'data-testid="moderation-record"' in page.content
    assert b'data-testid="strike-next" data-step="2"' in page.content
    assert b'data-testid="reply-composer"' in page.content
