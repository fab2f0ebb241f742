"""The inbox on Facebook Pages and Instagram: comments under the brand's posts fetched from
the fake Graph API into the right brand's inbox, replies sent exactly once (a lost answer is
found among the comment's replies, never sent twice), comments hidden once and kept on the
author's moderation record, and nobody outside the channel sees or acts (404/403)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEvent, Role
from config.errors import Conflict, NotAllowed
from planner.engagement import fetch, moderation, replies
from planner.engagement.models import (
    Conversation,
    FetchCursor,
    Message,
    ModerationHide,
    ModerationRecord,
    ReplyStatus,
)
from planner.publishing import clients
from tests.fakes.graph import V
from tests.planner.engagement.oauth_inbox_support import *  # noqa: F403

pytestmark = pytest.mark.django_db
PAGE, IG = "601", "701"


def _connect(team, fakes, platform: str):
    graph = fakes["facebook"]
    credential = {"access_token": graph.page_token, "page_id": PAGE}
    if platform == "instagram":
        credential["ig_user_id"] = IG
    return account_services.channel_connect(
        brand=team["brand"],
        actor=team["admin"],
        platform=platform,
        instance_url=graph.url,
        credential=credential,
    )


@pytest.fixture
def fb(pub, fakes):
    channel = _connect(pub, fakes, "facebook")
    client = clients.cached_client(channel)
    post = client.publish(text="Our new oven is here", idempotency_key="launch").remote_id
    return {**pub, "fb": channel, "fake": fakes["facebook"], "client": client, "post": post}


@pytest.fixture
def ig(pub, fakes):
    channel = _connect(pub, fakes, "instagram")
    media = fakes["facebook"]._new("ig_media", ig=IG, caption="Oven", published_post=True)
    return {**pub, "ig": channel, "fake": fakes["facebook"], "media": media}


def comment(fb, text: str, *, who: str = "9001", name: str = "Carol", reply_to=None) -> dict:
    return fb["fake"].add_comment(
        on=fb["post"], author={"id": who, "name": name}, text=text, reply_to=reply_to
    )


def _conversation(fb, text="Is my order late?", **kwargs) -> tuple[Conversation, dict]:
    written = comment(fb, text, **kwargs)
    fetch.channel_fetch(channel_id=fb["fb"].pk)
    message = Message.objects.get(channel=fb["fb"], remote_id=written["id"])
    return message.conversation, written


def page_comments(fake) -> list[dict]:
    return [c for c in fake.comments() if c["author"]["id"] == PAGE]


# --- fetching ----------------------------------------------------------------------------


def test_facebook_comments_land_in_the_brands_inbox_once(fb, make_user, make_brand, fakes):
    channel = fb["fb"]
    first = comment(fb, "Does it bake bread?")
    answer = comment(fb, "Mine does!", who="9002", name="Dan", reply_to=first["id"])
    other = comment(fb, "Price?", who="9003", name="Erin")
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.error == "" and report.new_messages == 3
    conversations = Conversation.objects.filter(channel=channel)
    assert conversations.count() == 2  # Dan's answer joins Carol's thread
    assert set(conversations.values_list("brand_id", flat=True)) == {fb["brand"].pk}
    carol = Message.objects.get(remote_id=first["id"]).conversation
    assert Message.objects.get(remote_id=answer["id"]).conversation_id == carol.pk
    assert (carol.customer_handle, carol.customer_remote_id, carol.kind) == (
        "Carol",
        "9001",
        "reply",
    )
    assert carol.first_unanswered_at is not None and carol.due_at is not None
    assert Message.objects.get(remote_id=other["id"]).conversation_id != carol.pk
    # The next round reads nothing twice.
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 0
    assert Message.objects.filter(channel=channel).count() == 3
    # Another brand's Page on the same platform sees none of it, and its comments stay its own.
    boss = make_user("other-boss")
    brand = make_brand("otherco", admin=boss)
    token = fb["fake"].add_page("603", "Other Co")
    elsewhere = account_services.channel_connect(
        brand=brand,
        actor=boss,
        platform="facebook",
        instance_url=fb["fake"].url,
        credential={"access_token": token, "page_id": "603"},
    )
    theirs = clients.cached_client(elsewhere).publish(text="Hi", idempotency_key="o").remote_id
    fb["fake"].add_comment(on=theirs, author={"id": "9009", "name": "Gus"}, text="hello other")
    assert fetch.channel_fetch(channel_id=elsewhere.pk).new_messages == 1
    assert Conversation.objects.filter(brand=brand).count() == 1
    assert Conversation.objects.filter(brand=fb["brand"]).count() == 2
    assert not Message.objects.filter(channel=channel, text="hello other").exists()


def test_a_throttled_page_backs_off_and_the_other_channels_still_fetch(fb):
    channel = fb["fb"]
    comment(fb, "hello?")
    usage = {"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 30}]}
    fb["fake"].add_fault(
        fail_next=1,
        status=400,
        body={"error": {"message": "(#32) Page request limit reached", "code": 32}},
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
        path=f"{V}/{PAGE}/feed",
        method="GET",
    )
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert "rate limiting" in report.error
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.failures == 1 and cursor.backoff_seconds >= 30 * 60
    assert channel.pk not in fetch.channels_due(now=fetch.timezone.now())
    assert fb["channel"].pk in fetch.channels_due(now=fetch.timezone.now())  # Mastodon
    # The budget nearly spent (usage headers): the stream waits, then reads on.
    fb["fake"].configure(usage={"X-App-Usage": {"call_count": 99}})
    report = fetch.channel_fetch(channel_id=channel.pk, force=True)
    assert report.error == "" and report.new_messages == 1
    cursor.refresh_from_db()
    assert cursor.rate_limit_remaining == 1 and cursor.next_allowed_at is not None
    fb["fake"].configure(usage={})


def test_naughty_strings_through_the_facebook_fetch_are_stored_exactly(fb, client):
    path = Path(__file__).resolve().parents[2] / "data" / "blns.json"
    strings = [s for s in json.loads(path.read_text()) if isinstance(s, str) and s.strip()]
    for n, text in enumerate(strings):
        comment(fb, text, who=str(50_000 + n), name=text[:200])
    while fetch.channel_fetch(channel_id=fb["fb"].pk).new_messages:
        pass
    stored = dict(Message.objects.filter(channel=fb["fb"]).values_list("author_remote_id", "text"))
    assert len(stored) == len(strings)
    for n, text in enumerate(strings):
        assert stored[str(50_000 + n)] == text
    client.force_login(fb["admin"])
    slug = fb["brand"].slug
    response = client.get(reverse("conversation_list", args=[slug]))
    assert response.status_code == 200 and "<script>alert(" not in response.content.decode()
    for conversation in Conversation.objects.filter(
        channel=fb["fb"], last_message_excerpt__contains="<"
    )[:40]:
        response = client.get(reverse("conversation_detail", args=[slug, conversation.pk]))
        assert response.status_code == 200
        assert "<script>alert(" not in response.content.decode()


def test_instagram_comments_and_replies_land_in_the_inbox(ig):
    fake, channel = ig["fake"], ig["ig"]
    first = fake.add_comment(on=ig["media"], author={"id": "8001", "username": "zed"}, text="nice")
    answer = fake.add_comment(
        on=ig["media"], reply_to=first["id"], author={"id": "8002", "username": "amy"}, text="+1"
    )
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 2
    conversation = Message.objects.get(remote_id=first["id"]).conversation
    assert conversation.customer_handle == "@zed" and conversation.brand_id == ig["brand"].pk
    assert Message.objects.get(remote_id=answer["id"]).conversation_id == conversation.pk
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 0


# --- replies -------------------------------------------------------------------------------


def test_a_reply_on_facebook_is_sent_once_under_the_comment(fb):
    conversation, written = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="On it!")
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    [sent] = page_comments(fb["fake"])
    assert (sent["parent"], sent["text"]) == (written["id"], "On it!")
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["id"]
    conversation.refresh_from_db()
    assert conversation.status == "answered" and conversation.first_response_at is not None
    # The Page's own answer does not come back as a customer message.
    assert fetch.channel_fetch(channel_id=fb["fb"].pk).new_messages == 0


def test_a_lost_answer_is_found_among_the_comments_replies_not_sent_twice(fb):
    conversation, written = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="Checking")
    fb["fake"].add_fault(
        drop_next=1, when="after_store", path=f"{V}/{written['id']}/comments", method="POST"
    )
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENDING and reply.send_in_flight
    assert replies.reply_send(message_id=reply.pk).result == "skipped"  # never blind
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    [sent] = page_comments(fb["fake"])
    reply.refresh_from_db()
    assert reply.remote_id == sent["id"] and reply.evidence["reconciled"] is True
    lookups = [
        r
        for r in fb["fake"].requests_log()
        if r["method"] == "GET" and r["path"] == f"{V}/{written['id']}/comments"
    ]
    assert lookups


def test_a_reply_lost_before_it_was_stored_fails_without_a_second_send(fb):
    conversation, written = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="Hello")
    fb["fake"].add_fault(
        drop_next=1, when="before_store", path=f"{V}/{written['id']}/comments", method="POST"
    )
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    assert replies.reply_reconcile(message_id=reply.pk).result == "failed"
    assert page_comments(fb["fake"]) == []
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.FAILED and "not sent again" in reply.last_error


@pytest.mark.parametrize(
    "status, body",
    [
        (500, {"error": {"message": "An unknown error occurred", "code": 1}}),
        (503, "Service Unavailable"),
        (400, {"error": {"message": "Service temporarily unavailable", "code": 2}}),
    ],
)
def test_a_server_error_on_a_reply_is_looked_up_never_sent_again(fb, status, body):
    conversation, written = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="Hello")
    fb["fake"].add_fault(
        fail_next=1,
        status=status,
        body=body,
        path=f"{V}/{written['id']}/comments",
        method="POST",
    )
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    assert replies.reply_reconcile(message_id=reply.pk).result == "failed"
    assert page_comments(fb["fake"]) == []  # never a second (blind) send


def test_a_throttled_reply_waits_and_is_sent_once(fb):
    conversation, written = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="Hello")
    fb["fake"].add_fault(
        fail_next=1,
        status=400,
        body={"error": {"message": "(#4) Application request limit reached", "code": 4}},
        path=f"{V}/{written['id']}/comments",
        method="POST",
    )
    outcome = replies.reply_send(message_id=reply.pk)
    assert outcome.result == "retry" and outcome.retry_in > 0
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert len(page_comments(fb["fake"])) == 1


def test_a_reply_with_a_banned_word_is_refused_on_facebook_too(fb):
    from policy import services as policy_services

    policy_services.policy_import(
        brand=fb["brand"],
        actor=fb["admin"],
        yaml_text="rules:\n- {id: no-swearing, kind: banned_terms, severity: block,"
        " message: No swearing, terms: [damn]}\n",
    )
    conversation, _ = _conversation(fb)
    with pytest.raises(replies.ReplyRefused) as refused:
        replies.reply_create(conversation=conversation, actor=fb["author"], text="damn it")
    assert refused.value.code == "policy_blocked"
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()


def test_the_identity_guard_is_asked_again_before_a_reply(fb, monkeypatch):
    conversation, _ = _conversation(fb)
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="Hi")
    channel = fb["fb"]
    channel.remote_account_id = "999"  # as if the Page token now belonged to another Page
    channel.save(update_fields=["remote_account_id"])
    outcome = replies.reply_send(message_id=reply.pk)
    assert outcome.result == "failed"
    assert page_comments(fb["fake"]) == []


def test_an_instagram_reply_is_sent_once_and_a_lost_answer_is_found(ig):
    fake, channel = ig["fake"], ig["ig"]
    written = fake.add_comment(on=ig["media"], author={"id": "8001", "username": "zed"}, text="?")
    fetch.channel_fetch(channel_id=channel.pk)
    conversation = Message.objects.get(remote_id=written["id"]).conversation
    reply = replies.reply_create(conversation=conversation, actor=ig["author"], text="@zed yes!")
    fake.add_fault(
        drop_next=1, when="after_store", path=f"{V}/{written['id']}/replies", method="POST"
    )
    assert replies.reply_send(message_id=reply.pk).result == "unconfirmed"
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    mine = [c for c in fake.comments() if c["author"]["id"] == IG]
    assert len(mine) == 1 and mine[0]["parent"] == written["id"]


# --- hiding -------------------------------------------------------------------------------


def test_hiding_a_facebook_comment_is_recorded_once_on_the_authors_record(fb):
    conversation, written = _conversation(fb, "buy followers at spam.example", who="9666")
    message = Message.objects.get(remote_id=written["id"])
    hide = moderation.message_hide(
        conversation=conversation, message_id=message.pk, actor=fb["author"]
    )
    assert hide.platform_action_ok is True
    assert hide.record.customer_remote_id == "9666" and hide.record.brand_id == fb["brand"].pk
    [stored] = [c for c in fb["fake"].comments() if c["id"] == written["id"]]
    assert stored["hidden"] is True
    with pytest.raises(Conflict, match="already hidden"):
        moderation.message_hide(
            conversation=conversation, message_id=message.pk, actor=fb["author"]
        )
    assert ModerationHide.objects.count() == 1
    hides = [r for r in fb["fake"].requests_log() if r["path"] == f"{V}/{written['id']}"]
    assert len(hides) == 1  # the platform was asked once
    assert AuditEvent.objects.filter(action="moderation.hide").count() == 1
    # Hides are not strikes.
    assert ModerationRecord.objects.get().strikes == 0


def test_a_refused_hide_is_kept_with_the_reason_and_may_be_tried_again(fb):
    conversation, written = _conversation(fb, "rude")
    message = Message.objects.get(remote_id=written["id"])
    fb["fake"].add_fault(
        fail_next=1,
        status=400,
        body={"error": {"message": "(#200) Permissions error", "code": 200}},
        path=f"{V}/{written['id']}",
        method="POST",
    )
    hide = moderation.message_hide(
        conversation=conversation, message_id=message.pk, actor=fb["author"]
    )
    assert hide.platform_action_ok is False and "Permissions error" in hide.platform_result["error"]
    again = moderation.message_hide(
        conversation=conversation, message_id=message.pk, actor=fb["author"]
    )
    assert again.pk == hide.pk and again.platform_action_ok is True
    assert ModerationHide.objects.count() == 1


def test_step_three_on_facebook_hides_the_customers_comments(fb):
    conversation, first = _conversation(fb, "you are idiots", who="9666", name="Troll")
    second = comment(fb, "idiots again", who="9666", name="Troll", reply_to=first["id"])
    fetch.channel_fetch(channel_id=fb["fb"].pk)
    for step in (1, 2):
        moderation.strike_record(conversation=conversation, actor=fb["author"], step=step)
    third = moderation.strike_record(conversation=conversation, actor=fb["author"], step=3)
    assert third.platform_action == "hide" and third.platform_action_ok is True
    assert third.platform_result["hide"] == {first["id"]: True, second["id"]: True}
    hidden = {c["id"] for c in fb["fake"].comments() if c["hidden"]}
    assert hidden == {first["id"], second["id"]}
    assert ModerationHide.objects.filter(record=third.record).count() == 2


def test_hide_is_not_offered_where_the_platform_has_none(fb):
    conversation, _ = _conversation(fb)
    mastodon_conversation = Conversation.objects.create(
        brand=fb["brand"],
        channel=fb["channel"],
        root_remote_id="m1",
        kind="mention",
        customer_platform="mastodon",
        customer_remote_id="77",
        customer_handle="@carol",
        last_activity_at=conversation.last_activity_at,
    )
    inbound = Message.objects.create(
        conversation=mastodon_conversation,
        channel=fb["channel"],
        remote_id="m1",
        direction="in",
        author_remote_id="77",
        text="hi",
    )
    with pytest.raises(Conflict, match="no way to hide"):
        moderation.message_hide(
            conversation=mastodon_conversation, message_id=inbound.pk, actor=fb["author"]
        )


# --- who may see and act -------------------------------------------------------------------


def test_a_member_without_the_channel_cannot_see_or_act(fb, make_user, make_brand):
    conversation, written = _conversation(fb)
    message = Message.objects.get(remote_id=written["id"])
    brand, slug = fb["brand"], fb["brand"].slug
    # The author works on the Mastodon channel only.
    account_services.membership_set(
        brand=brand,
        user=fb["author"],
        roles=[Role.AUTHOR],
        channels=[fb["channel"]],
        actor=fb["admin"],
    )
    web = Client()
    web.force_login(fb["author"])
    assert web.get(reverse("conversation_detail", args=[slug, conversation.pk])).status_code == 404
    hide_url = reverse("message_hide", args=[slug, conversation.pk, message.pk])
    assert web.post(hide_url).status_code == 404
    api = APIClient()
    api.force_authenticate(fb["author"])
    assert api.get(reverse("api_conversation", args=[conversation.pk])).status_code == 404
    answer = api.post(
        reverse("api_conversation_hide", args=[conversation.pk]),
        {"message": message.pk},
        format="json",
    )
    assert answer.status_code == 404
    answer = api.post(
        reverse("api_conversation_replies", args=[conversation.pk]), {"text": "hi"}, format="json"
    )
    assert answer.status_code == 404
    with pytest.raises(NotAllowed):
        moderation.message_hide(
            conversation=conversation, message_id=message.pk, actor=fb["author"]
        )
    # An approver sees the channel but may not act on it: 403 with the reason.
    api.force_authenticate(fb["approver1"])
    answer = api.post(
        reverse("api_conversation_hide", args=[conversation.pk]),
        {"message": message.pk},
        format="json",
    )
    assert answer.status_code == 403
    # Someone of another brand: 404 on every address, theirs or ours.
    stranger = make_user("stranger")
    make_brand("elsewhere", admin=stranger)
    web.force_login(stranger)
    for where in (slug, "elsewhere"):
        url = reverse("message_hide", args=[where, conversation.pk, message.pk])
        assert web.post(url).status_code == 404
    api.force_authenticate(stranger)
    answer = api.post(
        reverse("api_conversation_hide", args=[conversation.pk]),
        {"message": message.pk},
        format="json",
    )
    assert answer.status_code == 404
    assert not ModerationHide.objects.exists()
    assert not [c for c in fb["fake"].comments() if c["hidden"]]


def test_a_message_of_another_conversation_cannot_be_hidden_through_this_one(fb):
    conversation, _ = _conversation(fb, "first")
    _other, written = _conversation(fb, "second", who="9002", name="Dan")
    message = Message.objects.get(remote_id=written["id"])
    api = APIClient()
    api.force_authenticate(fb["author"])
    for bad in (message.pk, 0, -1, "x", None, 2**70):
        answer = api.post(
            reverse("api_conversation_hide", args=[conversation.pk]),
            {"message": bad},
            format="json",
        )
        assert answer.status_code == 400, (bad, answer.content)
    assert not ModerationHide.objects.exists()


def test_the_api_hides_once_and_the_page_shows_it(fb):
    conversation, written = _conversation(fb, "spam spam")
    message = Message.objects.get(remote_id=written["id"])
    api = APIClient()
    api.force_authenticate(fb["author"])
    url = reverse("api_conversation_hide", args=[conversation.pk])
    answer = api.post(url, {"message": message.pk}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["message"] == message.pk and body["platform_action_ok"] is True
    assert body["actor"] == fb["author"].username
    again = api.post(url, {"message": message.pk}, format="json")
    assert again.status_code == 409 and "already hidden" in again.json()["detail"]
    detail = api.get(reverse("api_conversation", args=[conversation.pk])).json()
    assert [m["hidden"] for m in detail["messages"]] == [True]
    web = Client()
    web.force_login(fb["author"])
    page = web.get(reverse("conversation_detail", args=[fb["brand"].slug, conversation.pk]))
    text = page.content.decode()
    assert 'data-testid="message-hidden"' in text and 'data-testid="hide-row"' in text
    assert "@Carol" not in text  # Facebook has no @handles: the composer starts empty
    # The respond page offers the same click on the other comments, not on hidden ones.
    other = comment(fb, "another one", who="9002", name="Dan", reply_to=written["id"])
    fetch.channel_fetch(channel_id=fb["fb"].pk)
    respond = web.get(reverse("conversation_respond", args=[fb["brand"].slug, conversation.pk]))
    html = respond.content.decode()
    assert html.count('data-testid="hide-message"') == 1
    other_pk = Message.objects.get(remote_id=other["id"]).pk
    assert reverse("message_hide", args=[fb["brand"].slug, conversation.pk, other_pk]) in html
    # The reply API works the same on a Facebook conversation.
    answer = api.post(
        reverse("api_conversation_replies", args=[conversation.pk]),
        {"text": "Please stop."},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["status"] == "approved"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_together_hide_once_and_ask_the_platform_once(fb):
    from tests.races import race

    for n in range(4):
        conversation, written = _conversation(fb, f"spam {n}", who=f"96{n}")
        message = Message.objects.get(remote_id=written["id"])
        results = race(
            *[
                lambda c=conversation, m=message: moderation.message_hide(
                    conversation=c, message_id=m.pk, actor=fb["author"]
                )
                for _ in range(3)
            ]
        )
        done = [r for r in results if isinstance(r, ModerationHide)]
        assert len(done) == 1, results
        assert all(isinstance(r, Conflict) for r in results if r not in done), results
        assert ModerationHide.objects.filter(message=message).count() == 1
        calls = [r for r in fb["fake"].requests_log() if r["path"] == f"{V}/{written['id']}"]
        assert len(calls) == 1


def test_a_facebook_reply_is_held_to_a_comments_limit_not_a_posts(fb):
    """A Page post may be 63,206 characters; a comment 8,000: the composer counts against the
    comment's limit and a longer reply is refused before anything is stored or sent."""
    from django.core.exceptions import ValidationError

    conversation, _ = _conversation(fb)
    with pytest.raises(ValidationError) as refused:
        replies.reply_create(conversation=conversation, actor=fb["author"], text="a" * 8001)
    assert "8001 of 8000" in str(refused.value)
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()
    client = Client()
    client.force_login(fb["author"])
    url = reverse("reply_preview", args=[fb["brand"].slug, conversation.pk])
    response = client.post(url, {"text": "Thanks!"})
    assert response.status_code == 200 and "7 / 8000" in response.content.decode()
    reply = replies.reply_create(conversation=conversation, actor=fb["author"], text="a" * 8000)
    assert reply.pk
