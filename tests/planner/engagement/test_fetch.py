"""Fetching the inbox from the fakes: cursors (nothing twice, nothing missed after downtime),
threads grouped into conversations, rate limits and back-off, one failing channel not
stopping the others, listening, and untrusted text stored exactly."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from planner.engagement import fetch, services
from planner.engagement.models import (
    Conversation,
    ConversationKind,
    ConversationStatus,
    FetchCursor,
    Message,
)
from tests.planner.engagement.conftest import mention, sky_mention
from tests.planner.publishing.support import BRAND_ACCOUNT

pytestmark = pytest.mark.django_db


def test_a_mention_becomes_a_conversation_and_is_fetched_once(inbox):
    channel, fake = inbox["channel"], inbox["mastodon"]
    mention(fake, "Hello @kitchen, my oven is broken & I'm <angry>")
    report = fetch.channel_fetch(channel_id=channel.pk)
    assert report.new_messages == 1 and report.error == ""
    [conversation] = Conversation.objects.filter(channel=channel)
    assert conversation.kind == ConversationKind.MENTION
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.customer_handle.startswith("@carol@")
    assert conversation.first_unanswered_at is not None and conversation.due_at is not None
    [message] = conversation.messages.all()
    assert message.text == "Hello @kitchen, my oven is broken & I'm <angry>"
    # Fetching again finds nothing new, and asks from where it stopped.
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 0
    assert Message.objects.count() == 1
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.cursor and cursor.last_error == ""
    last = [r for r in fake.requests_log() if r["path"] == "/api/v1/notifications"][-1]
    assert f"min_id={cursor.cursor}" in last["query"]


def test_nothing_is_missed_after_downtime_and_nothing_fetched_twice(inbox):
    channel, fake = inbox["channel"], inbox["mastodon"]
    fake.generate_inbound(to=BRAND_ACCOUNT[0], generate=250, authors=40)
    # Only two pages a round: the rest waits for the next rounds, from the cursor.
    first = fetch.channel_fetch(channel_id=channel.pk, max_pages=2)
    assert first.new_messages == 160
    rounds = 0
    while fetch.channel_fetch(channel_id=channel.pk, max_pages=2).new_messages:
        rounds += 1
    assert Message.objects.filter(channel=channel).count() == 250
    assert rounds == 1  # 160, then 90, then nothing
    # Threads: a person's later messages answer their earlier ones, one conversation each.
    assert Conversation.objects.filter(channel=channel).count() < 250
    assert sum(Conversation.objects.values_list("message_count", flat=True)) == 250


def test_a_reply_joins_its_thread_and_reopens_an_answered_conversation(inbox):
    channel, fake, admin = inbox["channel"], inbox["mastodon"], inbox["admin"]
    first = mention(fake, "Is the shop open on Sunday?")
    fetch.channel_fetch(channel_id=channel.pk)
    conversation = Conversation.objects.get()
    services.conversation_set_status(conversation=conversation, actor=admin, status="answered")
    conversation.refresh_from_db()
    assert conversation.status == "answered" and conversation.first_unanswered_at is None
    assert conversation.first_response_business_minutes is not None
    mention(fake, "And on Monday?", reply_to=first["id"])
    fetch.channel_fetch(channel_id=channel.pk)
    conversation.refresh_from_db()
    assert Conversation.objects.count() == 1
    assert conversation.message_count == 2
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.first_unanswered_at is not None
    assert conversation.last_message_excerpt == "And on Monday?"


def test_bluesky_notifications_threads_and_cursor(inbox):
    sky, fake = inbox["sky"], inbox["bluesky"]
    first = sky_mention(fake, "hey @brand.test 🙂 where is my order?")
    for n in range(5):
        sky_mention(fake, f"other question {n}", who=f"p{n}.test")
    report = fetch.channel_fetch(channel_id=sky.pk)
    assert report.new_messages == 6 and report.error == ""
    sky_mention(fake, "still waiting", reply_to=first["uri"])
    assert fetch.channel_fetch(channel_id=sky.pk).new_messages == 1
    conversation = Conversation.objects.get(channel=sky, root_remote_id=first["uri"])
    assert list(conversation.messages.values_list("text", flat=True)) == [
        "hey @brand.test 🙂 where is my order?",
        "still waiting",
    ]
    assert conversation.kind == ConversationKind.MENTION
    assert Message.objects.filter(channel=sky).count() == 7
    assert fetch.channel_fetch(channel_id=sky.pk).new_messages == 0


def test_bluesky_catch_up_over_several_rounds_misses_nothing(inbox):
    sky, fake = inbox["sky"], inbox["bluesky"]
    fake.generate_inbound(to="brand.test", generate=320, authors=50)
    fetch.channel_fetch(channel_id=sky.pk, max_pages=1)
    # New messages arrive while the walk back is under way.
    for n in range(3):
        sky_mention(fake, f"late {n}", who=f"late{n}.test")
    while fetch.channel_fetch(channel_id=sky.pk, max_pages=1).new_messages:
        pass
    fetch.channel_fetch(channel_id=sky.pk, max_pages=1)
    assert Message.objects.filter(channel=sky).count() == 323


def test_rate_limit_headers_make_the_stream_wait_until_the_reset(inbox):
    channel, fake = inbox["channel"], inbox["mastodon"]
    fake.generate_inbound(to=BRAND_ACCOUNT[0], generate=400, authors=10)
    fake.configure(rate_limit=4, rate_window=600)
    report = fetch.channel_fetch(channel_id=channel.pk)
    [stream] = report.streams
    # The identity is not asked; two pages left the budget at the reserve: stop, wait.
    assert stream.pages == 2 and stream.waiting_until is not None
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.next_allowed_at > timezone.now() + dt.timedelta(minutes=5)
    assert cursor.rate_limit_remaining == 2
    # Not due until the reset; another round does not touch the platform.
    assert channel.pk not in fetch.channels_due(now=timezone.now())
    before = len(fake.requests_log())
    assert fetch.channel_fetch(channel_id=channel.pk).streams[0].busy
    assert len(fake.requests_log()) == before


def test_a_429_backs_off_and_a_failing_channel_does_not_stop_the_others(inbox):
    channel, sky = inbox["channel"], inbox["sky"]
    mention(inbox["mastodon"], "mastodon hello")
    sky_mention(inbox["bluesky"], "bluesky hello")
    inbox["mastodon"].add_fault(
        fail_next=5, status=429, path="/api/v1/notifications", headers={"Retry-After": "120"}
    )
    reports = {r.channel_id: r for r in fetch.fetch_all_due()}
    assert "rate limiting" in reports[channel.pk].error
    assert reports[sky.pk].new_messages == 1
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    assert cursor.failures == 1 and cursor.backoff_seconds >= 120
    assert channel.pk not in fetch.channels_due(now=timezone.now())
    # Garbage from the platform is an error on that stream, never a crash.
    inbox["bluesky"].add_fault(
        fail_next=1, status=200, body="<html>", path="/xrpc/app.bsky.notification"
    )
    later = timezone.now() + dt.timedelta(hours=7)
    report = fetch.channel_fetch(channel_id=sky.pk, now=later)
    assert report.error
    # Once the wait is over the Mastodon channel is read again and nothing was lost.
    inbox["mastodon"].clear_faults()
    assert fetch.channel_fetch(channel_id=channel.pk, now=later).new_messages == 1


def test_saved_search_results_land_marked_not_addressed(inbox):
    channel, fake, admin = inbox["channel"], inbox["mastodon"], inbox["admin"]
    services.saved_search_create(
        brand=inbox["brand"], actor=admin, channel=channel, query="#kitchenfail", kind="brand"
    )
    # A stranger talks about the brand without addressing it.
    fake.add_inbound(
        to="9999",
        author={"id": "801", "username": "eve"},
        text="my #kitchenfail today",
        notify=False,
    )
    fetch.channel_fetch(channel_id=channel.pk)  # the first read takes the newest page
    fake.add_inbound(
        to="9999", author={"id": "802", "username": "fay"}, text="#KitchenFail again", notify=False
    )
    fetch.channel_fetch(channel_id=channel.pk)
    listening = Conversation.objects.filter(addressed_to_brand=False).order_by("pk")
    assert [c.customer_handle.split("@")[1] for c in listening] == ["eve", "fay"]
    assert all(c.kind == "listening" and c.due_at is None for c in listening)
    # Not addressed: no clock, no count in the menu.
    from planner.engagement import selectors

    assert selectors.waiting_count(user=admin, brand=inbox["brand"]) == 0


def _blns() -> list[str]:
    path = Path(__file__).resolve().parents[2] / "data" / "blns.json"
    return [s for s in json.loads(path.read_text()) if isinstance(s, str) and s.strip()]


def test_naughty_strings_through_the_fetch_path_are_stored_exactly_and_shown_escaped(inbox, client):
    sky, fake = inbox["sky"], inbox["bluesky"]
    strings = _blns()
    for n, text in enumerate(strings):
        sky_mention(fake, text, who=f"n{n}.test")
    while fetch.channel_fetch(channel_id=sky.pk).new_messages:
        pass
    stored = dict(Message.objects.filter(channel=sky).values_list("author_handle", "text"))
    assert len(stored) == len(strings)
    for n, text in enumerate(strings):
        assert stored[f"n{n}.test"] == text  # exactly, byte for byte
    client.force_login(inbox["admin"])
    slug = inbox["brand"].slug
    page = 1
    while True:
        response = client.get(reverse("conversation_list", args=[slug]), {"page": page})
        assert response.status_code == 200
        body = response.content.decode()
        assert "<script>alert(" not in body
        if 'data-testid="conversation-next"' not in body:
            break
        page += 1
    for conversation in Conversation.objects.filter(
        channel=sky, last_message_excerpt__contains="<"
    ):
        response = client.get(reverse("conversation_detail", args=[slug, conversation.pk]))
        assert response.status_code == 200
        assert "<script>alert(" not in response.content.decode()
    api = client.get(reverse("api_inbox", args=[slug]), {"limit": 500})
    assert api.status_code == 200 and api.json()["count"] == len(strings)


def test_mastodon_text_is_the_status_content_as_text(inbox):
    channel, fake = inbox["channel"], inbox["mastodon"]
    for text in ("<script>alert(1)</script>", "a & b ‮ reversed", "zero\u200bwidth", "1 < 2 > 0"):
        mention(fake, text)
    fetch.channel_fetch(channel_id=channel.pk)
    assert sorted(Message.objects.values_list("text", flat=True)) == sorted(
        ["<script>alert(1)</script>", "a & b ‮ reversed", "zero\u200bwidth", "1 < 2 > 0"]
    )


def test_thread_reads_follow_the_documented_endpoints(inbox):
    fake = inbox["mastodon"]
    first = mention(fake, "first")
    second = mention(fake, "second", reply_to=first["id"])
    client = inbox["channel"].brand and __import__(
        "planner.publishing.clients", fromlist=["cached_client"]
    ).cached_client(inbox["channel"])
    around = client.thread(second["id"])
    assert [m.text for m in around] == ["first"]
    with pytest.raises(Exception):  # noqa: B017 - any PlatformError
        client.thread("../../etc")
    sky_first = sky_mention(inbox["bluesky"], "sky first")
    sky_mention(inbox["bluesky"], "sky reply", reply_to=sky_first["uri"])
    from planner.publishing.clients import cached_client

    sky_client = cached_client(inbox["sky"])
    assert [m.text for m in sky_client.thread(sky_first["uri"])] == ["sky reply"]


def test_the_periodic_round_reads_every_due_channel_and_is_declared(inbox):
    from planner.engagement import tasks
    from planner.periodic import periodic_tasks

    declared = {p.task for p in periodic_tasks()}
    assert {
        "planner.engagement.tasks.fetch_inbox",
        "planner.engagement.tasks.overdue_digest",
    } <= declared
    mention(inbox["mastodon"], "via the periodic round")
    sky_mention(inbox["bluesky"], "via the periodic round too")
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        assert tasks.fetch_inbox() == 2
    finally:
        app.conf.task_always_eager = eager
    assert Message.objects.count() == 2
    assert tasks.overdue_digest() == 0


def test_a_first_read_keeps_the_last_week_and_then_leaves_nothing_out(inbox):
    channel, fake = inbox["channel"], inbox["mastodon"]
    month_ago = time.time() - 30 * 86400
    fake.add_inbound(
        to=BRAND_ACCOUNT[0], author={"id": "801", "username": "old"}, text="Hi", created=month_ago
    )
    recent = mention(fake, "Still there?", who="new", n=2)
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 1
    assert list(Message.objects.values_list("remote_id", flat=True)) == [recent["id"]]
    # What was written more than a week before the stream started stays out...
    fake.add_inbound(
        to=BRAND_ACCOUNT[0],
        author={"id": "802", "username": "late"},
        text="Late",
        created=month_ago,
    )
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 0
    # ... and a stream started two months ago keeps a month-old message.
    cursor = FetchCursor.objects.get(channel=channel, stream="notifications")
    FetchCursor.objects.filter(pk=cursor.pk).update(
        started_at=timezone.now() - dt.timedelta(days=60)
    )
    fake.add_inbound(
        to=BRAND_ACCOUNT[0],
        author={"id": "803", "username": "later"},
        text="Later",
        created=month_ago,
    )
    assert fetch.channel_fetch(channel_id=channel.pk).new_messages == 1
