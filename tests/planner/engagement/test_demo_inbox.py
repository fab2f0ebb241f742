"""The demo brand's inbox: a newcomer finds people waiting (one overdue), answers one through
the outbox channel exactly once, and records strikes whose platform actions the outbox keeps."""

from __future__ import annotations

import json
import os

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import Brand, User
from planner.demo import DEMO_MENTIONS, demo_seed
from planner.engagement import moderation, replies
from planner.models import Conversation, Message
from planner.publishing import clients

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "OUTBOX_DIR": tmp_path / "outbox"}
    clients.clear_caches()  # a client of an earlier test's outbox directory
    demo_seed(password="pw-for-tests-1")
    yield Brand.objects.get(slug="demo")
    clients.clear_caches()


def _outbox_dir(brand) -> str:
    return str(django_settings.COUNTERSIGN["OUTBOX_DIR"] / brand.slug)


def test_the_demo_inbox_has_people_waiting_and_one_overdue(demo):
    conversations = Conversation.objects.filter(brand=demo)
    assert conversations.count() == len({m[0] for m in DEMO_MENTIONS if not m[5]})
    assert Message.objects.filter(conversation__brand=demo).count() == len(DEMO_MENTIONS)
    now = timezone.now()
    assert conversations.filter(due_at__lt=now).exists()  # Priya, two days ago
    assert conversations.filter(due_at__gt=now).exists()  # Sam, just now
    demo_seed(password="pw-for-tests-1")  # idempotent
    assert Conversation.objects.filter(brand=demo).count() == conversations.count()


def test_a_reply_to_a_demo_mention_lands_once_in_the_outbox(demo):
    author = User.objects.get(username="author")
    conversation = Conversation.objects.get(brand=demo, customer_handle="@sam_bakes")
    message = replies.reply_create(
        conversation=conversation,
        actor=author,
        text="@sam_bakes yes, the dough hook is in the box!",
    )
    replies.reply_send(message_id=message.pk)
    replies.reply_send(message_id=message.pk)  # a repeat sends nothing more
    message.refresh_from_db()
    assert message.reply_status == "sent"
    with open(os.path.join(_outbox_dir(demo), "outbox.jsonl"), encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh if line.strip()]
    answers = [line for line in lines if line.get("in_reply_to")]
    assert len(answers) == 1
    assert answers[0]["in_reply_to"] == conversation.root_remote_id
    assert answers[0]["text"] == "@sam_bakes yes, the dough hook is in the box!"


def test_the_third_strike_on_a_demo_troll_is_reported_through_the_outbox(demo):
    author = User.objects.get(username="author")
    conversation = Conversation.objects.get(brand=demo, customer_handle="@grumpy_gus")
    for step in (1, 2, 3):
        strike = moderation.strike_record(conversation=conversation, actor=author, step=step)
    assert strike.platform_action_ok is True, strike.platform_result
    with open(os.path.join(_outbox_dir(demo), "moderation.jsonl"), encoding="utf-8") as fh:
        actions = [json.loads(line)["action"] for line in fh if line.strip()]
    assert "report" in actions
    assert all(a in ("report", "block", "mute") for a in actions)


def test_the_demo_mention_two_days_old_is_overdue_whatever_the_day(demo):
    # the clock runs Monday to Friday: two days before a Sunday or a Monday is a weekend
    import datetime as dt

    from planner.demo import _overdue_shift
    from planner.engagement.services import brand_clock

    clock = brand_clock(demo)
    for day in range(7):
        for hour in (3, 8, 13, 20):
            now = dt.datetime(2026, 12, 7 + day, hour, 30, tzinfo=dt.UTC)  # the 7th: a Monday
            oldest = now - dt.timedelta(hours=max(m[3] for m in DEMO_MENTIONS))
            _, due = clock.due_times(oldest - _overdue_shift(demo, now))
            assert due < now, now
