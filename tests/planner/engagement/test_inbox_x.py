"""The inbox on X: mentions and replies fetched from the fake X API with a cursor (nothing
twice, nothing missed across pages and rounds), a reply sent exactly once (a crash after the
call is settled by the lookup, never by a second send), mute as the moderation X allows, and
a channel of a platform without an inbox simply not fetched."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts import services as account_services
from planner.engagement import fetch, moderation, replies, services
from planner.engagement.models import (
    Conversation,
    ConversationKind,
    FetchCursor,
    Message,
    ReplyStatus,
)
from planner.publishing import clients
from tests.planner.engagement.oauth_inbox_support import *  # noqa: F403
from tests.planner.engagement.oauth_inbox_support import connect

pytestmark = pytest.mark.django_db
BRAND_X = "1001"


@pytest.fixture
def xteam(pub, fakes):
    return {**pub, "x": connect(pub, fakes, "x", BRAND_X), "fake": fakes["x"]}


def writes(fake, text: str, *, who: str = "carol", uid: str = "7001", reply_to=None) -> dict:
    return fake.add_inbound(
        to=BRAND_X, author={"id": uid, "username": who}, text=text, reply_to=reply_to
    )


def mention_requests(fake) -> list[dict]:
    return [r for r in fake.requests_log() if r["path"] == f"/2/users/{BRAND_X}/mentions"]


def test_x_mentions_are_fetched_by_cursor_nothing_twice_nothing_missed(xteam):
    channel, fake = xteam["x"], xteam["fake"]
    written = [writes(fake, f"is my order late? {n}", uid=f"70{n % 9}") for n in range(130)]
    # One page (100) a round: the walk over older pages goes on next round, from the cursor.
    first = fetch.channel_fetch(channel_id=channel.pk, max_pages=1)
    assert first.new_messages == 100 and first.error == ""
    assert fetch.channel_fetch(channel_id=channel.pk, max_pages=1).new_messages == 30
    assert fetch.channel_fetch(channel_id=channel.pk, max_pages=1).new_messages == 0
    stored = set(Message.objects.filter(channel=channel).values_list("remote_id", flat=True))
    assert stored == {t["id"] for t in written}
    # Later mentions are read from the newest one stored, never from the start again.
    later = writes(fake, "still waiting", who="dan", uid="7100")
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.new_messages == 1
    assert Message.objects.filter(channel=channel).count() == 131
    newest = max((t["id"] for t in written), key=lambda i: (len(i), i))
    assert f"since_id={newest}" in mention_requests(fake)[-1]["query"]
    conversation = Message.objects.get(remote_id=later["id"]).conversation
    assert conversation.kind == ConversationKind.MENTION
    assert conversation.customer_handle == "@dan" and conversation.due_at is not None
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.last_error == "" and cursor.rate_limit_remaining is not None


def test_a_reply_to_the_brands_post_joins_the_conversation(xteam):
    channel, fake = xteam["x"], xteam["fake"]
    first = writes(fake, "my oven broke")
    fetch.channel_fetch(channel_id=channel.pk)
    writes(fake, "@brandco any news?", reply_to=first["id"])  # a follow-up in their thread
    fetch.channel_fetch(channel_id=channel.pk)
    [conversation] = Conversation.objects.filter(channel=channel)
    assert conversation.messages.count() == 2


def test_x_rate_limit_headers_make_the_stream_wait(xteam):
    channel, fake = xteam["x"], xteam["fake"]
    fake.configure(rate_limits={"/2/users/:id/mentions": 3})
    writes(fake, "hello")
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.new_messages == 1
    assert report.streams[0].waiting_until is not None  # 2 left: kept in reserve
    assert channel.pk not in fetch.channels_due(now=fetch.timezone.now())


def _conversation(xteam, text="where is my parcel?") -> Conversation:
    tweet = writes(xteam["fake"], text)
    fetch.channel_fetch(channel_id=xteam["x"].pk)
    return Message.objects.get(channel=xteam["x"], remote_id=tweet["id"]).conversation


def brand_replies(fake) -> list[dict]:
    return [p for p in fake.posts() if p["author_id"] == BRAND_X and p["in_reply_to_id"]]


def test_a_reply_on_x_is_sent_once_in_the_thread(xteam):
    conversation = _conversation(xteam)
    reply = replies.reply_create(conversation=conversation, actor=xteam["author"], text="On it!")
    assert reply.reply_status == ReplyStatus.APPROVED
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    [sent] = brand_replies(xteam["fake"])
    assert sent["in_reply_to_id"] == conversation.root_remote_id and sent["text"] == "On it!"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["id"]


def _begun(xteam, conversation, text):
    reply = replies.reply_create(conversation=conversation, actor=xteam["author"], text=text)
    client = clients.cached_client(xteam["x"])
    identity = clients.identity_check(xteam["x"], client)
    begun, _ = replies._begin(
        reply.pk, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=reply.created_at
    )
    return reply, begun, client


def test_a_crash_after_the_call_is_found_by_lookup_not_sent_again(xteam):
    conversation = _conversation(xteam)
    reply, begun, client = _begun(xteam, conversation, "Sorry, we are checking")
    client.reply(
        text=begun.text,
        idempotency_key=begun.idempotency_key,
        in_reply_to=begun.in_reply_to_remote_id,
    )
    # ... the worker dies here: X has no idempotency key, the lookup settles it.
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    [sent] = brand_replies(xteam["fake"])
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["id"]
    assert reply.evidence["reconciled"] is True


def test_a_crash_before_the_call_is_not_sent_blindly_on_x(xteam):
    conversation = _conversation(xteam)
    reply, _begun_reply, _client = _begun(xteam, conversation, "We will call you")
    # ... died before the call: not found, and X deduplicates nothing, so not sent again.
    assert replies.reply_reconcile(message_id=reply.pk).result == "failed"
    assert brand_replies(xteam["fake"]) == []
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.FAILED and "not sent again" in reply.last_error


def test_three_strikes_on_x_mute_the_account(xteam):
    conversation = _conversation(xteam, "you are all idiots")
    for step in (1, 2):
        moderation.strike_record(conversation=conversation, actor=xteam["author"], step=step)
    third = moderation.strike_record(conversation=conversation, actor=xteam["author"], step=3)
    assert third.platform_action == "mute" and third.platform_action_ok is True
    assert xteam["fake"].relations() == [{"kind": "muting", "source": BRAND_X, "target": "7001"}]


def test_listening_is_not_offered_on_x(xteam):
    with pytest.raises(ValidationError):
        services.saved_search_create(
            brand=xteam["brand"], actor=xteam["admin"], channel=xteam["x"], query="oven"
        )


def test_a_channel_of_a_platform_without_an_inbox_is_not_fetched(pub):
    # LinkedIn has an inbox now; a webhook channel (a receiver of ours) has none.
    from tests.fakes.webhook import FakeWebhookReceiver

    endpoints = {"/hook": {"secret": "s3cret-hook-key", "account_id": "hook-1", "handle": "@oven"}}
    with FakeWebhookReceiver(endpoints=endpoints) as fake:
        webhook = account_services.channel_connect(
            brand=pub["brand"],
            actor=pub["admin"],
            platform="webhook",
            instance_url=f"{fake.url}/hook",
            credential={"secret": "s3cret-hook-key"},
        )
        assert "webhook" not in fetch.INBOX_PLATFORMS
        assert webhook.pk not in fetch.channels_due(now=fetch.timezone.now())
        before = len(fake.requests_log())
        report = fetch.channel_fetch(channel_id=webhook.pk, force=True)
        assert report.streams == [] and report.new_messages == 0
        assert len(fake.requests_log()) == before
    assert not FetchCursor.objects.filter(channel=webhook).exists()


def test_the_inbox_page_says_which_platforms_have_an_inbox(client, xteam):
    client.force_login(xteam["admin"])
    page = client.get(f"/b/{xteam['brand'].slug}/conversations/")
    assert page.status_code == 200
    assert (
        "Fetched from Mastodon, Bluesky, X, Threads, Facebook Page, Instagram, LinkedIn;"
        in page.content.decode()
    )
