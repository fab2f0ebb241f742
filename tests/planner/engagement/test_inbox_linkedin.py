"""The inbox on LinkedIn organisation pages: comments under the organisation's posts
fetched from the fake LinkedIn API into the right brand's inbox, replies sent exactly once
in the comment's thread (a lost answer is found among the thread's replies, never sent
twice), a comment deleted (LinkedIn has no hide) only with a confirmation and once, kept on
the author's moderation record, and nobody outside the channel sees or acts (404/403)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEvent, Role
from config.errors import NotAllowed
from planner.engagement import fetch, moderation, replies
from planner.engagement.models import (
    Conversation,
    FetchCursor,
    Message,
    ModerationHide,
    ReplyStatus,
)
from planner.publishing import clients
from tests.planner.engagement.oauth_inbox_support import *  # noqa: F403
from tests.planner.engagement.oauth_inbox_support import connect

pytestmark = pytest.mark.django_db
ORG = "urn:li:organization:9001"


@pytest.fixture
def li(pub, fakes):
    channel = connect(pub, fakes, "linkedin", "m1")
    client = clients.cached_client(channel)
    post = client.publish(text="Our new oven is here", idempotency_key="launch").remote_id
    return {**pub, "li": channel, "fake": fakes["linkedin"], "client": client, "post": post}


def comment(li, text: str, *, who: str = "carol", reply_to=None, ago: float = 0) -> dict:
    return li["fake"].add_comment(
        on=li["post"], actor=f"urn:li:person:{who}", text=text, reply_to=reply_to, ago=ago
    )


def _conversation(li, text="Is my order late?", **kwargs) -> tuple[Conversation, dict]:
    written = comment(li, text, **kwargs)
    fetch.channel_fetch(channel_id=li["li"].pk)
    message = Message.objects.get(channel=li["li"], remote_id=written["commentUrn"])
    return message.conversation, written


def org_comments(fake) -> list[dict]:
    return [c for c in fake.comments() if c["actor"] == ORG]


def test_linkedin_is_an_inbox_platform():
    assert "linkedin" in fetch.INBOX_PLATFORMS and "LinkedIn" in fetch.inbox_platform_labels()
    assert "linkedin" not in fetch.LISTENING_PLATFORMS


# --- fetching ----------------------------------------------------------------------------


def test_linkedin_comments_land_in_the_brands_inbox_once(li, make_user, make_brand):
    channel = li["li"]
    first = comment(li, "Does it bake bread?", ago=600)
    answer = comment(li, "Mine does!", who="dan", reply_to=first["commentUrn"], ago=500)
    other = comment(li, "Price?", who="erin", ago=400)
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.error == "" and report.new_messages == 3
    conversations = Conversation.objects.filter(channel=channel)
    assert conversations.count() == 2  # Dan's answer joins Carol's thread
    assert set(conversations.values_list("brand_id", flat=True)) == {li["brand"].pk}
    carol = Message.objects.get(remote_id=first["commentUrn"]).conversation
    assert Message.objects.get(remote_id=answer["commentUrn"]).conversation_id == carol.pk
    assert (carol.customer_remote_id, carol.kind, carol.customer_platform) == (
        "urn:li:person:carol",
        "reply",
        "linkedin",
    )
    assert carol.first_unanswered_at is not None and carol.due_at is not None
    assert Message.objects.get(remote_id=other["commentUrn"]).conversation_id != carol.pk
    # The next round reads nothing twice.
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 0
    assert Message.objects.filter(channel=channel).count() == 3
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert json.loads(cursor.cursor)["p"] and cursor.failures == 0
    # Another brand's organisation sees none of it, and its comments stay its own.
    fake = li["fake"]
    fake.add_organization("9002", "Other Co", "other-co", admins={"m2": "ADMINISTRATOR"})
    boss = make_user("other-boss")
    brand = make_brand("otherco", admin=boss)
    elsewhere = account_services.channel_connect(
        brand=brand,
        actor=boss,
        platform="linkedin",
        instance_url=fake.url,
        credential={
            "access_token": fake.issue_token("m2")["access_token"],
            "organization_urn": "urn:li:organization:9002",
        },
    )
    theirs = clients.cached_client(elsewhere).publish(text="Hi", idempotency_key="o").remote_id
    fake.add_comment(on=theirs, actor="urn:li:person:gus", text="hello other")
    assert fetch.channel_fetch(channel_id=elsewhere.pk).new_messages == 1
    assert Conversation.objects.filter(brand=brand).count() == 1
    assert Conversation.objects.filter(brand=li["brand"]).count() == 2
    assert not Message.objects.filter(channel=channel, text="hello other").exists()


def test_a_reply_to_an_old_comment_joins_its_conversation_and_reopens_it(li):
    conversation, written = _conversation(li, "Broken door", ago=7200)
    conversation.status = "answered"
    conversation.save(update_fields=["status"])
    follow = comment(li, "Still broken", reply_to=written["commentUrn"])
    assert fetch.channel_fetch(channel_id=li["li"].pk).new_messages == 1
    conversation.refresh_from_db()
    assert Message.objects.get(remote_id=follow["commentUrn"]).conversation_id == conversation.pk
    assert conversation.status == "open"


def test_a_throttled_organisation_backs_off_and_the_other_channels_still_fetch(li):
    channel = li["li"]
    comment(li, "hello?")
    li["fake"].add_fault(
        fail_next=1,
        status=429,
        body={"status": 429, "message": "Resource level throttle APPLICATION DAY limit"},
        headers={"Retry-After": "600"},
        path="/rest/socialActions/",
        method="GET",
    )
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert "rate limiting" in report.error
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.failures == 1 and cursor.backoff_seconds >= 600
    assert fetch.channel_fetch(channel_id=channel.pk).streams[0].busy  # waiting
    assert fetch.channel_fetch(channel_id=channel.pk, force=True).new_messages == 1
    cursor.refresh_from_db()
    assert cursor.failures == 0


def test_an_expired_token_backs_the_channel_off_for_an_hour(li):
    comment(li, "hello?")
    li["fake"].expire_access_tokens()
    report = fetch.channel_fetch(channel_id=li["li"].pk)
    assert report.error and "LinkedIn" in report.error
    cursor = FetchCursor.objects.get(channel=li["li"], stream="notifications")
    assert cursor.backoff_seconds == int(fetch.AUTH_BACKOFF.total_seconds())
    assert not Message.objects.filter(channel=li["li"]).exists()


def test_naughty_strings_through_the_linkedin_fetch_are_stored_exactly(li, client):
    path = Path(__file__).resolve().parents[2] / "data" / "blns.json"
    strings = [s for s in json.loads(path.read_text()) if isinstance(s, str) and s.strip()]
    for n, text in enumerate(strings):
        comment(li, text, who=f"p{50_000 + n}")
    while fetch.channel_fetch(channel_id=li["li"].pk).new_messages:
        pass
    stored = dict(Message.objects.filter(channel=li["li"]).values_list("author_remote_id", "text"))
    assert len(stored) == len(strings)
    for n, text in enumerate(strings):
        assert stored[f"urn:li:person:p{50_000 + n}"] == text
    client.force_login(li["admin"])
    slug = li["brand"].slug
    response = client.get(reverse("conversation_list", args=[slug]))
    assert response.status_code == 200 and "<script>alert(" not in response.content.decode()
    for conversation in Conversation.objects.filter(
        channel=li["li"], last_message_excerpt__contains="<"
    )[:40]:
        for name in ("conversation_detail", "conversation_respond"):
            response = client.get(reverse(name, args=[slug, conversation.pk]))
            assert response.status_code == 200
            assert "<script>alert(" not in response.content.decode()


# --- replies -------------------------------------------------------------------------------


def test_a_reply_on_linkedin_is_sent_once_in_the_comments_thread(li):
    conversation, written = _conversation(li)
    reply = replies.reply_create(conversation=conversation, actor=li["author"], text="On it!")
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    [sent] = org_comments(li["fake"])
    assert (sent["parentComment"], sent["message"]["text"]) == (written["commentUrn"], "On it!")
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["commentUrn"]
    assert reply.remote_url.startswith("https://www.linkedin.com/feed/update/")
    conversation.refresh_from_db()
    assert conversation.status == "answered" and conversation.first_response_at is not None
    # The organisation's own answer does not come back as a customer message.
    assert fetch.channel_fetch(channel_id=li["li"].pk).new_messages == 0


def test_a_lost_answer_is_found_in_the_thread_not_sent_twice(li):
    conversation, written = _conversation(li)
    reply = replies.reply_create(conversation=conversation, actor=li["author"], text="Checking")
    target = f"/rest/socialActions/{quote(written['commentUrn'], safe='')}/comments"
    li["fake"].add_fault(drop_next=1, when="after_store", path=target, method="POST")
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENDING and reply.send_in_flight
    assert replies.reply_send(message_id=reply.pk).result == "skipped"  # never blind
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    [sent] = org_comments(li["fake"])
    reply.refresh_from_db()
    assert reply.remote_id == sent["commentUrn"] and reply.evidence["reconciled"] is True
    lookups = [r for r in li["fake"].requests_log() if r["method"] == "GET" and r["path"] == target]
    assert lookups


def test_a_reply_lost_before_it_was_stored_fails_without_a_second_send(li):
    conversation, written = _conversation(li)
    reply = replies.reply_create(conversation=conversation, actor=li["author"], text="Hello")
    target = f"/rest/socialActions/{quote(written['commentUrn'], safe='')}/comments"
    li["fake"].add_fault(drop_next=1, when="before_store", path=target, method="POST")
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    assert replies.reply_reconcile(message_id=reply.pk).result == "failed"
    assert org_comments(li["fake"]) == []
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.FAILED and "not sent again" in reply.last_error


def test_a_reply_to_a_reply_goes_to_the_top_level_comment(li):
    conversation, written = _conversation(li, "Question", ago=100)
    follow = comment(li, "And another thing", who="carol", reply_to=written["commentUrn"])
    fetch.channel_fetch(channel_id=li["li"].pk)
    reply = replies.reply_create(conversation=conversation, actor=li["author"], text="Noted")
    reply.refresh_from_db()
    assert reply.in_reply_to_remote_id == follow["commentUrn"]  # the latest customer message
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    [sent] = org_comments(li["fake"])
    assert sent["parentComment"] == written["commentUrn"]  # LinkedIn threads have two levels


def test_a_reply_with_a_banned_word_is_refused_on_linkedin_too(li):
    from policy import services as policy_services

    policy_services.policy_import(
        brand=li["brand"],
        actor=li["admin"],
        yaml_text="rules:\n- {id: no-swearing, kind: banned_terms, severity: block,"
        " message: No swearing, terms: [damn]}\n",
    )
    conversation, _ = _conversation(li)
    with pytest.raises(replies.ReplyRefused) as refused:
        replies.reply_create(conversation=conversation, actor=li["author"], text="damn it")
    assert refused.value.code == "policy_blocked"
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()


def test_a_credential_that_no_longer_administers_the_page_sends_nothing(li):
    conversation, _ = _conversation(li)
    reply = replies.reply_create(conversation=conversation, actor=li["author"], text="Hi")
    organization = li["fake"].organizations["9001"]
    admins = dict(organization["admins"])
    organization["admins"] = {}
    try:
        outcome = replies.reply_send(message_id=reply.pk)
    finally:
        organization["admins"] = admins
    assert outcome.result == "failed"
    assert org_comments(li["fake"]) == []


# --- deleting a comment (LinkedIn has no hide) ----------------------------------------------


def test_deleting_a_comment_needs_a_confirmation_and_is_recorded_once(li):
    conversation, written = _conversation(li, "spam spam")
    message = Message.objects.get(remote_id=written["commentUrn"])
    assert moderation.can_hide(li["li"]) and moderation.removes(li["li"])
    with pytest.raises(Exception, match="confirm"):
        moderation.message_hide(
            conversation=conversation, message_id=message.pk, actor=li["author"]
        )
    assert not ModerationHide.objects.exists() and li["fake"].comments()
    hide = moderation.message_hide(
        conversation=conversation, message_id=message.pk, actor=li["author"], confirm=True
    )
    assert hide.platform_action_ok is True and hide.platform_result["removed"] is True
    assert li["fake"].comments() == []
    assert hide.record.customer_remote_id == "urn:li:person:carol"
    assert AuditEvent.objects.filter(action="moderation.remove").count() == 1
    with pytest.raises(Exception, match="already deleted"):
        moderation.message_hide(
            conversation=conversation, message_id=message.pk, actor=li["author"], confirm=True
        )
    deletes = [r for r in li["fake"].requests_log() if r["method"] == "DELETE"]
    assert len(deletes) == 1


def test_step_three_on_linkedin_records_the_step_and_deletes_nothing(li):
    conversation, _ = _conversation(li, "you are all idiots")
    for step in (1, 2, 3):
        strike = moderation.strike_record(conversation=conversation, actor=li["author"], step=step)
    assert strike.platform_action == "" and li["fake"].comments()


def test_the_page_and_the_api_delete_only_when_confirmed(li):
    conversation, written = _conversation(li, "spam spam")
    message = Message.objects.get(remote_id=written["commentUrn"])
    slug = li["brand"].slug
    web = Client()
    web.force_login(li["author"])
    respond = web.get(reverse("conversation_respond", args=[slug, conversation.pk]))
    html = respond.content.decode()
    assert 'data-testid="remove-message"' in html and 'data-testid="remove-confirm"' in html
    assert 'data-testid="hide-message"' not in html
    assert "@urn" not in html  # LinkedIn has no @handles: the composer starts empty
    url = reverse("message_hide", args=[slug, conversation.pk, message.pk])
    page = web.post(url, {"next": ""}, follow=True)
    assert "confirm" in page.content.decode() and li["fake"].comments()
    assert not ModerationHide.objects.exists()
    api = APIClient()
    api.force_authenticate(li["author"])
    hide_url = reverse("api_conversation_hide", args=[conversation.pk])
    answer = api.post(hide_url, {"message": message.pk}, format="json")
    assert answer.status_code == 400 and "confirm" in answer.json()["errors"]
    answer = api.post(hide_url, {"message": message.pk, "confirm": True}, format="json")
    assert answer.status_code == 201 and answer.json()["platform_action_ok"] is True
    assert li["fake"].comments() == []
    again = api.post(hide_url, {"message": message.pk, "confirm": True}, format="json")
    assert again.status_code == 409 and "already deleted" in again.json()["detail"]
    detail = api.get(reverse("api_conversation", args=[conversation.pk])).json()
    assert [m["hidden"] for m in detail["messages"]] == [True]
    page = web.get(reverse("conversation_detail", args=[slug, conversation.pk])).content.decode()
    assert "Deleted on LinkedIn" in page and "Message deleted" in page


def test_a_member_without_the_channel_cannot_see_reply_or_delete(li, make_user, make_brand):
    conversation, written = _conversation(li)
    message = Message.objects.get(remote_id=written["commentUrn"])
    brand, slug = li["brand"], li["brand"].slug
    account_services.membership_set(
        brand=brand,
        user=li["author"],
        roles=[Role.AUTHOR],
        channels=[li["channel"]],  # the Mastodon channel only
        actor=li["admin"],
    )
    web = Client()
    web.force_login(li["author"])
    assert web.get(reverse("conversation_detail", args=[slug, conversation.pk])).status_code == 404
    url = reverse("message_hide", args=[slug, conversation.pk, message.pk])
    assert web.post(url, {"confirm": "1"}).status_code == 404
    api = APIClient()
    api.force_authenticate(li["author"])
    assert api.get(reverse("api_conversation", args=[conversation.pk])).status_code == 404
    for name, body in (
        ("api_conversation_hide", {"message": message.pk, "confirm": True}),
        ("api_conversation_replies", {"text": "hi"}),
    ):
        answer = api.post(reverse(name, args=[conversation.pk]), body, format="json")
        assert answer.status_code == 404
    with pytest.raises(NotAllowed):
        moderation.message_hide(
            conversation=conversation, message_id=message.pk, actor=li["author"], confirm=True
        )
    # An approver sees the channel but may not act on it: 403.
    api.force_authenticate(li["approver1"])
    answer = api.post(
        reverse("api_conversation_hide", args=[conversation.pk]),
        {"message": message.pk, "confirm": True},
        format="json",
    )
    assert answer.status_code == 403
    # Someone of another brand: 404.
    stranger = make_user("stranger")
    make_brand("elsewhere", admin=stranger)
    api.force_authenticate(stranger)
    answer = api.post(
        reverse("api_conversation_replies", args=[conversation.pk]), {"text": "hi"}, format="json"
    )
    assert answer.status_code == 404
    assert not ModerationHide.objects.exists() and len(li["fake"].comments()) == 1
    assert org_comments(li["fake"]) == []
