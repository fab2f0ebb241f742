"""Metrics from the platforms: the adapters against the fakes, snapshots at 1 h / 24 h / 7 d,
daily follower counts, untrusted answers never stored half-written."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from planner.metrics import selectors, services, tasks
from planner.models import Delivery, FollowerCount, MetricSnapshot, PostMetrics
from platforms.bluesky import BlueskyClient
from platforms.errors import PlatformError
from platforms.mastodon import MastodonClient
from tests.planner.publishing.support import BRAND_ACCOUNT, BRAND_TOKEN


def test_mastodon_adapter_reads_status_counts_and_followers(mastodon, published):
    status_id = published.delivery.remote_id
    mastodon.set_metrics(
        statuses={status_id: {"favourites_count": 7, "reblogs_count": 2, "replies_count": 1}},
        followers={BRAND_ACCOUNT[0]: 250},
    )
    client = MastodonClient(instance_url=mastodon.url, credential={"access_token": BRAND_TOKEN})
    metrics = client.metrics(status_id)
    assert (metrics.likes, metrics.reposts, metrics.replies, metrics.quotes) == (7, 2, 1, 0)
    assert metrics.engagement == 10
    assert client.followers() == 250
    mastodon.set_metrics(statuses={status_id: {"favourites_count": "lots"}})
    with pytest.raises(PlatformError):
        client.metrics(status_id)
    mastodon.set_metrics(statuses={status_id: {"favourites_count": -1}})
    with pytest.raises(PlatformError):
        client.metrics(status_id)
    with pytest.raises(PlatformError):
        client.metrics("../../admin")


def test_bluesky_adapter_reads_post_counts_and_followers(offline_publishing):
    from tests.fakes.bluesky import FakeBluesky

    with FakeBluesky() as fake:
        account = fake.add_token({"handle": "brand.bsky.social", "password": "app-pass-word-1234"})
        client = BlueskyClient(
            instance_url=fake.url,
            credential={"identifier": "brand.bsky.social", "app_password": "app-pass-word-1234"},
        )
        result = client.publish(text="Hello metrics", idempotency_key="k" * 64)
        fake.set_metrics(
            posts={
                result.remote_id: {
                    "likeCount": 5,
                    "repostCount": 1,
                    "replyCount": 2,
                    "quoteCount": 3,
                }
            },
            followers={account["did"]: 99},
        )
        metrics = client.metrics(result.remote_id)
        assert (metrics.likes, metrics.reposts, metrics.replies, metrics.quotes) == (5, 1, 2, 3)
        assert client.followers() == 99
        fake.set_metrics(posts={result.remote_id: {"likeCount": True}})
        with pytest.raises(PlatformError):
            client.metrics(result.remote_id)
        with pytest.raises(PlatformError):
            client.metrics(result.remote_id.replace("at://", "at://did:plc:nobody"))


def test_snapshots_fall_due_at_1h_24h_and_7d_and_are_taken_once(mastodon, published):
    status_id = published.delivery.remote_id
    mastodon.set_metrics(statuses={status_id: {"favourites_count": 3, "reblogs_count": 1}})
    t0 = published.delivery.published_at
    assert selectors.snapshots_due(now=t0 + dt.timedelta(minutes=59)) == []
    assert selectors.snapshots_due(now=t0 + dt.timedelta(hours=1, minutes=1)) == [
        (published.pk, "1h")
    ]
    taken = services.snapshot_take(post_id=published.pk, age="1h", now=t0 + dt.timedelta(hours=1))
    assert taken.ok
    assert not services.snapshot_take(post_id=published.pk, age="1h").ok  # once
    latest = PostMetrics.objects.get(post=published)
    assert (latest.likes, latest.reposts, latest.engagement, latest.age) == (3, 1, 4, "1h")
    local = t0.astimezone(published.brand.tz)
    assert (latest.local_weekday, latest.local_hour) == (local.isoweekday(), local.hour)
    mastodon.set_metrics(statuses={status_id: {"favourites_count": 9}})
    services.snapshot_take(post_id=published.pk, age="24h")
    latest.refresh_from_db()
    assert (latest.likes, latest.engagement, latest.age) == (9, 10, "24h")
    assert MetricSnapshot.objects.filter(post=published).count() == 2
    # Given up after the grace period: never retried for ever.
    late = t0 + dt.timedelta(days=7) + selectors.GRACE + dt.timedelta(hours=1)
    assert selectors.snapshots_due(now=late) == []


def test_a_garbage_answer_stores_nothing(mastodon, published):
    status_id = published.delivery.remote_id
    mastodon.set_metrics(statuses={status_id: {"favourites_count": 3, "reblogs_count": "9"}})
    taken = services.snapshot_take(post_id=published.pk, age="1h")
    assert not taken.ok and "not a count" in taken.reason
    mastodon.add_fault(fail_next=1, status=500, scope="all")
    assert not services.snapshot_take(post_id=published.pk, age="1h").ok
    assert not MetricSnapshot.objects.exists() and not PostMetrics.objects.exists()


def test_followers_once_a_day(mastodon, published):
    mastodon.set_metrics(followers={BRAND_ACCOUNT[0]: 1234})
    channel_id = published.channel_id
    today = timezone.now().date()
    assert selectors.channels_due_followers(day=today) == [channel_id]
    assert services.followers_take(channel_id=channel_id).ok
    assert not services.followers_take(channel_id=channel_id).ok
    assert FollowerCount.objects.get(channel_id=channel_id).followers == 1234
    assert selectors.channels_due_followers(day=today) == []


def test_the_periodic_task_is_declared_and_fans_out(published):
    from planner.periodic import periodic_tasks

    assert "planner.metrics.tasks.collect_metrics" in {p.task for p in periodic_tasks()}
    Delivery.objects.filter(post=published).update(
        published_at=timezone.now() - dt.timedelta(hours=2)
    )
    with (
        mock.patch.object(tasks.fetch_post_metrics, "delay") as snap,
        mock.patch.object(tasks.fetch_followers, "delay") as follow,
    ):
        assert tasks.collect_metrics() == {"snapshots": 1, "channels": 1}
    snap.assert_called_once_with(published.pk, "1h")
    follow.assert_called_once_with(published.channel_id)
