"""The claimed posts of a pass are checked, sent and recorded as a set: every check still
runs for every post right before its call, a few queries for the whole set."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from planner.models import Approval, Delivery, Post, Status
from planner.publishing import services as publishing
from tests.planner.publishing.support import bulk_approved_posts

pytestmark = pytest.mark.usefixtures("offline_publishing")


def _claim(pub, n):
    ids = bulk_approved_posts(pub, n)
    claimed = publishing.dispatch().claimed
    assert sorted(claimed) == sorted(ids)
    return sorted(ids)


def test_a_task_sends_the_unstarted_posts_of_its_pass_as_one_set(pub, mastodon, settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SEND_CONCURRENCY": 4}
    ids = _claim(pub, 6)
    outcomes = publishing.publish_claimed(ids[0])
    assert outcomes[0].post_id == ids[0]
    assert {o.post_id for o in outcomes} == set(ids[:4])
    assert {o.result for o in outcomes} == {"published"}
    # The others' own tasks skip what the set sent; the rest go in the next set.
    assert publishing.publish_claimed(ids[1])[0].result == "skipped"
    assert {o.post_id for o in publishing.publish_claimed(ids[4])} == set(ids[4:])
    assert len(mastodon.posts()) == 6
    for delivery in Delivery.objects.filter(post_id__in=ids):
        assert not delivery.send_in_flight
        assert delivery.evidence["status"] == "published"
        assert delivery.evidence["policy"]["version"] >= 1
        assert [a["outcome"] for a in delivery.attempts] == ["published"]
    assert AuditEvent.objects.filter(action="post.published").count() == 6
    assert set(Post.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.PUBLISHED
    }


def test_every_post_of_a_set_is_checked_on_its_own(pub, mastodon, settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SEND_CONCURRENCY": 8}
    ids = _claim(pub, 5)
    Post.objects.filter(pk=ids[1]).update(text="Changed after approval: 90% off!")
    Approval.objects.filter(post_id=ids[2]).update(
        dismissed_at=timezone.now(), dismissed_reason="withdrawn"
    )
    outcomes = {o.post_id: o for o in publishing.publish_claimed(ids[0])}
    assert outcomes[ids[1]].result == "held" and "content changed" in outcomes[ids[1]].detail
    assert outcomes[ids[2]].result == "held"
    assert "approvals are not valid" in outcomes[ids[2]].detail
    assert {outcomes[pk].result for pk in (ids[0], ids[3], ids[4])} == {"published"}
    assert len(mastodon.posts()) == 3


def test_a_set_costs_a_few_queries_whatever_its_size(pub, mastodon, settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SEND_CONCURRENCY": 8}

    def queries_for(n: int) -> int:
        ids = _claim(pub, n)
        with CaptureQueriesContext(connection) as queries:
            outcomes = publishing.publish_claimed(ids[0])
        assert len(outcomes) == n and {o.result for o in outcomes} == {"published"}
        return len(queries)

    queries_for(1)  # warm the identity check and the per-process caches
    two, eight = queries_for(2), queries_for(8)
    assert eight == two, (two, eight)
    assert eight <= 24


def test_the_identity_check_is_remembered_in_the_shared_cache(pub, mastodon):
    """Every worker process reads the same remembered answer (the database cache, or Redis
    with CACHE_URL), not one per process."""
    from django.core.cache import cache

    from planner.publishing import clients

    channel = pub["channel"]
    client = clients.cached_client(channel)
    first = clients.identity_check(channel, client)
    assert not first.from_cache
    assert cache.get(clients._identity_key(channel))[0] == channel.remote_account_id
    whoami = sum(r["path"].endswith("verify_credentials") for r in mastodon.requests_log())
    again = clients.identity_check(channel, client)
    assert again.from_cache and again.identity == first.identity
    assert sum(r["path"].endswith("verify_credentials") for r in mastodon.requests_log()) == whoami
    publishing.clear_caches()
    assert cache.get(clients._identity_key(channel)) is None
