"""The inbox on Threads: mentions and the replies under the brand's recent posts fetched
from the fake Threads API by cursor (nothing twice, nothing missed across pages and rounds),
a reply sent exactly once as a reply container (a crash after the call is settled by the
lookup among the account's replies), and no platform moderation (Threads has none)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from planner.engagement import fetch, moderation, replies, services
from planner.engagement.models import Conversation, FetchCursor, Message, ReplyStatus
from planner.publishing import clients
from tests.planner.engagement.oauth_inbox_support import *  # noqa: F403
from tests.planner.engagement.oauth_inbox_support import connect

pytestmark = pytest.mark.django_db
BRAND = "3001"


@pytest.fixture
def th(pub, fakes):
    channel = connect(pub, fakes, "threads", BRAND)
    client = clients.cached_client(channel)
    return {**pub, "threads": channel, "fake": fakes["threads"], "client": client}


def writes(fake, text: str, *, who: str = "carol", uid: str = "9001", reply_to=None) -> dict:
    return fake.add_inbound(
        to=BRAND, author={"id": uid, "username": who}, text=text, reply_to=reply_to
    )


def test_threads_replies_and_mentions_are_fetched_once_across_pages_and_rounds(th):
    channel, fake, client = th["threads"], th["fake"], th["client"]
    posts = [client.publish(text=f"Post {n}", idempotency_key=f"p{n}") for n in range(3)]
    written = [
        writes(
            fake,
            f"question {n}",
            uid=f"90{n % 5}",
            who=f"fan{n % 5}",
            reply_to=posts[n % 3].remote_id,
        )
        for n in range(120)
    ]
    written += [writes(fake, f"hey {n}", who="erin", uid="9100") for n in range(60)]
    # Two pages a round: the walk continues next round from the stored cursor.
    total, rounds = 0, 0
    while True:
        report = fetch.channel_fetch(channel_id=channel.pk, max_pages=2)
        assert report.error == ""
        total += report.new_messages
        rounds += 1
        cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
        if '"src"' not in cursor.cursor and rounds > 1:
            break
        assert rounds < 20
    stored = list(Message.objects.filter(channel=channel).values_list("remote_id", flat=True))
    assert sorted(stored) == sorted(o["id"] for o in written)  # nothing missed, none twice
    assert total == len(written)
    # Later messages come in the next round; what was read before is not stored again.
    late = writes(fake, "anyone there?", reply_to=posts[0].remote_id)
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.new_messages == 1
    assert Message.objects.filter(channel=channel, remote_id=late["id"]).exists()
    assert Message.objects.filter(channel=channel).count() == len(written) + 1


def _conversation(th, text="is my order late?") -> Conversation:
    post = th["client"].publish(text="News", idempotency_key="news")
    question = writes(th["fake"], text, reply_to=post.remote_id)
    fetch.channel_fetch(channel_id=th["threads"].pk)
    return Message.objects.get(channel=th["threads"], remote_id=question["id"]).conversation


def brand_replies(fake) -> list[dict]:
    return [p for p in fake.posts() if p["user"] == BRAND and p["reply_to"]]


def test_a_reply_on_threads_is_sent_once_in_the_thread(th):
    conversation = _conversation(th)
    assert conversation.customer_handle == "@carol"
    reply = replies.reply_create(conversation=conversation, actor=th["author"], text="On it!")
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert replies.reply_send(message_id=reply.pk).result == "skipped"
    [sent] = brand_replies(th["fake"])
    assert sent["reply_to"] == conversation.root_remote_id and sent["text"] == "On it!"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["id"]
    # The brand's own reply does not come back into the inbox as a customer message.
    assert fetch.channel_fetch(channel_id=th["threads"].pk).new_messages == 0


def test_a_crash_after_the_call_is_found_by_lookup_not_sent_again(th):
    conversation = _conversation(th)
    reply = replies.reply_create(conversation=conversation, actor=th["author"], text="Checking")
    client = clients.cached_client(th["threads"])
    identity = clients.identity_check(th["threads"], client)
    begun, _ = replies._begin(
        reply.pk, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=reply.created_at
    )
    client.reply(
        text=begun.text,
        idempotency_key=begun.idempotency_key,
        in_reply_to=begun.in_reply_to_remote_id,
    )
    # ... the worker dies here.
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    [sent] = brand_replies(th["fake"])
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.remote_id == sent["id"]
    assert reply.evidence["reconciled"] is True


def test_three_strikes_on_threads_are_recorded_without_a_platform_action(th):
    conversation = _conversation(th, "you are all idiots")
    for step in (1, 2):
        moderation.strike_record(conversation=conversation, actor=th["author"], step=step)
    third = moderation.strike_record(conversation=conversation, actor=th["author"], step=3)
    assert third.platform_action == ""  # Threads has no block, mute or report API
    record = third.record
    record.refresh_from_db()
    assert record.strikes == 3


def test_listening_is_not_offered_on_threads(th):
    with pytest.raises(ValidationError):
        services.saved_search_create(
            brand=th["brand"], actor=th["admin"], channel=th["threads"], query="oven"
        )
