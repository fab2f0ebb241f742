"""Each publisher backend end to end against its fake: Bluesky (deterministic record key),
the signed webhook (Idempotency-Key header) and the local outbox (deduplicated by key)."""

from __future__ import annotations

import json

import pytest

from accounts import services as account_services
from planner.models import Delivery, Post, Status
from planner.publishing import services as publishing
from platforms import record_key_for
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.guard import loopback_only
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook import FakeWebhookReceiver
from tests.planner.publishing.support import (
    approved_post,
    fake_tokens,
    make_due,
    publishing_team,
)


@pytest.fixture(autouse=True)
def _offline_and_fresh(settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PLATFORM_TIMEOUT_SECONDS": 0.5}
    publishing.clear_caches()
    with loopback_only():
        yield
    publishing.clear_caches()


@pytest.fixture
def pub(db):
    with FakeMastodon(tokens=fake_tokens()) as fake:
        yield publishing_team(instance_url=fake.url)


def _publish(team, channel, text: str) -> Post:
    post = approved_post(team, text, channel=channel)
    make_due([post.pk])
    return post


def test_bluesky_posts_once_under_the_derived_record_key(pub):
    with FakeBluesky(accounts={"brand.test": "app-pass-1234"}) as fake:
        channel = account_services.channel_connect(
            brand=pub["brand"],
            actor=pub["admin"],
            platform="bluesky",
            instance_url=fake.url,
            credential={"identifier": "brand.test", "app_password": "app-pass-1234"},
        )
        post = _publish(pub, channel, "Bluesky gets the bread too.")
        # The answer is lost after the record was stored: unconfirmed, then found by key.
        fake.add_fault(drop_next=1, when="after_store")
        [outcome] = publishing.publish_due_inline()
        assert outcome.result == "unconfirmed"
        publishing.clear_caches()
        Post.objects.filter(pk=post.pk).update(lease_expires_at=None)
        result = publishing.dispatch()
        assert [publishing.reconcile_one(pk).result for pk in result.reconcile] == ["published"]
        [record] = fake.posts()
    delivery = Delivery.objects.get(post=post)
    assert record["uri"].endswith("/" + record_key_for(delivery.idempotency_key))
    post.refresh_from_db()
    assert post.status == Status.PUBLISHED
    assert post.remote_url.startswith("https://bsky.app/profile/")
    assert delivery.evidence["identity"]["actual_remote_id"] == channel.remote_account_id


def test_the_webhook_gets_the_key_and_the_receiver_dedupes(pub):
    endpoints = {"/hook": {"secret": "s3cret-hook-key", "account_id": "hook-1", "handle": "@oven"}}
    with FakeWebhookReceiver(endpoints=endpoints) as fake:
        channel = account_services.channel_connect(
            brand=pub["brand"],
            actor=pub["admin"],
            platform="webhook",
            instance_url=f"{fake.url}/hook",
            credential={"secret": "s3cret-hook-key"},
        )
        post = _publish(pub, channel, "Webhook bread.")
        fake.add_fault(fail_next=1, status=503)
        [first] = publishing.publish_due_inline()
        assert first.result == "retry"
        assert publishing.publish_one(post.pk).result == "published"
        [delivered] = fake.posts()
        keys = {
            r["headers"].get("Idempotency-Key")
            for r in fake.requests_log()
            if r["headers"].get("X-Countersign-Event") == "publish"
        }
    delivery = Delivery.objects.get(post=post)
    assert keys == {delivery.idempotency_key}
    assert delivered["text"] == "Webhook bread."
    post.refresh_from_db()
    assert post.status == Status.PUBLISHED


def test_the_outbox_records_each_post_once(pub, settings, tmp_path):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "OUTBOX_DIR": tmp_path}
    channel = account_services.channel_create_outbox(
        brand=pub["brand"], handle="@oven-outbox", actor=pub["admin"]
    )
    post = _publish(pub, channel, "Outbox bread.")
    assert [o.result for o in publishing.publish_due_inline()] == ["published"]
    delivery = Delivery.objects.get(post=post)
    # A repeated send with the same key (a reconcile re-send) changes nothing.
    client = account_services.channel_client(channel)
    again = client.publish(text=post.text, idempotency_key=delivery.idempotency_key)
    assert again.remote_id == delivery.remote_id
    lines = (tmp_path / pub["brand"].slug / "outbox.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Outbox bread."]
    post.refresh_from_db()
    assert post.remote_url == ""  # outbox:// is not an http(s) URL, so none is stored
    assert delivery.remote_id == delivery.idempotency_key
