"""Set-up for the reply, moderation and crisis tests: the publishing team's brand on the fake
Mastodon (a policy that bans one word), a customer who writes to it on the fake, and the
conversation as the inbox stores it.

Import the fixtures into a test module with ``from tests.planner.engagement.respond_support
import *``. The conversation rows are written as ingestion writes them (the inbox's fetch is
tested with the inbox); the customer's post is real on the fake, so a reply answers it there.
"""

from __future__ import annotations

import itertools

import pytest
import requests
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from planner.engagement import reply_tasks
from planner.engagement.models import Conversation, Direction, Message
from policy import services as policy_services
from tests.planner.publishing.support import BRAND_ACCOUNT, publishing_team

BANNED = "frobnicate"
CUSTOMER = {"token": "customer-token-5550001", "account_id": "5001", "username": "carol"}
TROLL = {"token": "troll-token-6660001", "account_id": "6001", "username": "grumpy"}
_texts = itertools.count(1)

__all__ = [
    "BANNED",
    "CUSTOMER",
    "TROLL",
    "customer_writes",
    "engage",
    "offline",
    "queued",
]


@pytest.fixture(autouse=True)
def offline(offline_publishing):
    """Nothing but loopback is reachable; no client or identity cache between tests."""
    yield


@pytest.fixture
def queued(monkeypatch):
    """The reply tasks enqueued (after commit), instead of a broker."""
    sent: list[int] = []
    monkeypatch.setattr(reply_tasks.send_reply, "delay_on_commit", lambda pk: sent.append(pk))
    return sent


@pytest.fixture
def engage(db, mastodon, queued):
    """The brand (one approval for posts) with a Mastodon channel on the fake, a trainer who
    may not use the channel, and a policy banning one word."""
    team = publishing_team(instance_url=mastodon.url, approvals_required=1)
    mastodon.add_token(CUSTOMER)
    mastodon.add_token(TROLL)
    from tests.planner.publishing.support import _user

    team["trainer"] = _user(f"trainer-{next(_texts)}")
    account_services.membership_set(
        brand=team["brand"], user=team["trainer"], roles=[Role.TRAINER], actor=team["admin"]
    )
    policy_services.policy_version_create(
        brand=team["brand"],
        actor=None,
        rules=[
            {
                "id": "no-frobnicate",
                "kind": "banned_terms",
                "severity": "block",
                "message": "We never say frobnicate.",
                "terms": [BANNED],
            },
            {
                "id": "few-hashtags",
                "kind": "max_count",
                "severity": "warn",
                "message": "At most one hashtag.",
                "what": "hashtags",
                "max": 1,
            },
        ],
    )
    team["mastodon"] = mastodon
    team["queued"] = queued
    return team


def customer_writes(
    team: dict, text: str | None = None, *, who: dict = CUSTOMER, conversation=None
):
    """The customer posts on the fake (mentioning the brand); the conversation and message
    stored as the inbox stores them. Returns the conversation."""
    fake = team["mastodon"]
    text = text if text is not None else f"@{BRAND_ACCOUNT[1]} is my order late? #{next(_texts)}"
    response = requests.post(
        f"{fake.url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {who['token']}"},
        json={"status": text, "visibility": "public"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    status = response.json()
    now = timezone.now()
    channel = team["channel"]
    handle = f"@{who['username']}@{fake.url.split('://', 1)[1]}"
    if conversation is None:
        conversation = Conversation.objects.create(
            brand=team["brand"],
            channel=channel,
            root_remote_id=status["id"],
            kind="mention",
            customer_platform="mastodon",
            customer_remote_id=who["account_id"],
            customer_handle=handle,
            customer_display_name=who["username"].title(),
            last_message_excerpt=text[:300],
            message_count=0,
            last_activity_at=now,
            last_inbound_at=now,
            first_unanswered_at=now,
        )
    Message.objects.create(
        conversation=conversation,
        channel=channel,
        remote_id=status["id"],
        remote_url=status["url"],
        direction=Direction.IN,
        author_remote_id=who["account_id"],
        author_handle=handle,
        text=text,
        remote_created_at=now,
        fetched_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=1)
    conversation.refresh_from_db()
    return conversation
