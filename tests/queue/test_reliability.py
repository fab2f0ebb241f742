"""Exactly once, for real: PostgreSQL, Redis and Celery worker processes publishing to the
fake Mastodon.

Where nothing crashes, the fake keeps no idempotency keys (``idempotency_ttl=0``), so any
second send would show up as a second status. The crash run uses Mastodon's own rule (a
key is remembered for an hour): reconciliation may then re-send with the same key after a
lookup, which the platform answers with the first status; every send is checked to carry
the post's one key, and every re-send to follow a lookup (never blind)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from itertools import pairwise

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from planner.models import Approval, Delivery, Post, Status
from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import bulk_approved_posts, fake_tokens, publishing_team
from tests.queue import stack

pytestmark = [pytest.mark.postgres, pytest.mark.queue, pytest.mark.django_db(transaction=True)]

#: A short lease for the crash run, so what a killed worker held comes back quickly.
SHORT_LEASE = 8


def _env(redis_url: str, *, lease: int = 300) -> dict:
    return stack.base_env(
        DATABASE_URL=stack.database_url(),
        CELERY_BROKER_URL=redis_url,
        PUBLISH_LEASE_SECONDS=str(lease),
        PLATFORM_TIMEOUT_SECONDS="3",
    )


def _counts(ids) -> Counter:
    return Counter(Post.objects.filter(pk__in=ids).values_list("status", flat=True))


def _dispatcher(processes, name: str, env: dict, *args: str) -> stack.Process:
    return processes.spawn(
        name, [sys.executable, "-m", "tests.queue.scenario", "dispatch", *args], env=env
    )


def _output(proc: stack.Process, timeout: float = 60) -> dict:
    proc.proc.wait(timeout=timeout)
    assert proc.proc.returncode == 0, proc.log()
    return json.loads(proc.log().strip().splitlines()[-1])


def _assert_sent_exactly_once(fake: FakeMastodon, ids: list[int]) -> None:
    statuses = fake.posts()
    posts = {p.pk: p for p in Post.objects.filter(pk__in=ids)}
    texts = Counter(s["text"] for s in statuses)
    twice = [text for text, n in texts.items() if n > 1]
    if twice:  # say how it happened: the post's deliveries and moves
        post = Post.objects.filter(pk__in=ids, text=twice[0]).first()
        trail = list(
            AuditEvent.objects.filter(object_type="post", object_id=str(post.pk))
            .order_by("id")
            .values_list("action", "created_at", "message")
        )
        delivery = Delivery.objects.filter(post=post).first()
        raise AssertionError(
            f"post {post.pk} sent {texts[twice[0]]} times; attempts "
            f"{delivery.attempts if delivery else None}; trail {trail}"
        )
    assert len(statuses) == len(ids), f"{len(statuses)} statuses for {len(ids)} posts"
    assert max(texts.values()) == 1, texts.most_common(3)
    assert set(texts) == {p.text for p in posts.values()}
    by_id = {s["id"]: s for s in statuses}
    deliveries = list(Delivery.objects.filter(post_id__in=ids))
    for delivery in deliveries:
        status = by_id[delivery.remote_id]
        assert status["text"] == posts[delivery.post_id].text
        assert status["idempotency_key"] == delivery.idempotency_key
        attempts = delivery.attempts
        for before, after in pairwise(attempts):
            if after["kind"] == "resend":  # only ever after a lookup that did not find it
                assert (before["kind"], before["outcome"]) == ("lookup", "not_found"), attempts
            if before.get("outcome") == "unknown":  # an unknown outcome is looked up first
                assert after["kind"] == "lookup", attempts
    # Every request that could make a status carried the post's one key.
    sent_keys = {
        r["headers"].get("Idempotency-Key")
        for r in fake.requests_log()
        if r["method"] == "POST" and r["path"] == "/api/v1/statuses"
    }
    assert sent_keys == {d.idempotency_key for d in deliveries}


def test_two_dispatchers_racing_over_500_posts_send_each_once(processes, redis):
    with FakeMastodon(tokens=fake_tokens(), idempotency_ttl=0) as fake:
        team = publishing_team(instance_url=fake.url)
        ids = bulk_approved_posts(team, 500)
        env = _env(redis)
        processes.worker("w1", env=env)
        processes.worker("w2", env=env)
        start_at = f"{time.time() + 4:.3f}"
        racing = [
            _dispatcher(
                processes,
                name,
                env,
                "--until-empty",
                "--limit",
                "20",
                "--pause",
                "0.01",
                "--start-at",
                start_at,
            )
            for name in ("dispatcher-a", "dispatcher-b")
        ]
        claims = [_output(proc)["claimed"] for proc in racing]
        stack.wait_until(
            lambda: _counts(ids)[Status.PUBLISHED] == len(ids), timeout=120, what="all published"
        )
        _assert_sent_exactly_once(fake, ids)
    # Each post was claimed by exactly one dispatcher, and both took part in the race.
    a, b = (set(c) for c in claims)
    assert not a & b
    assert a | b == set(ids)
    assert len(claims[0]) + len(claims[1]) == len(ids)
    assert a and b, "the dispatchers did not overlap"
    assert AuditEvent.objects.filter(action="post.claim").count() == len(ids)


def _holding(log: str) -> bool:
    return log.count("] received") > log.count("] succeeded")


def test_kill_9_of_a_worker_mid_run_loses_and_duplicates_nothing(processes, redis, tmp_path):
    with FakeMastodon(tokens=fake_tokens(), latency=0.02) as fake:
        team = publishing_team(instance_url=fake.url)
        ids = bulk_approved_posts(team, 300)
        env = _env(redis, lease=SHORT_LEASE)
        victim = processes.worker("w1", env=env)
        processes.worker("w2", env=env)
        stop = tmp_path / "stop-dispatcher"
        dispatcher = _dispatcher(
            processes,
            "dispatcher",
            env,
            "--limit",
            "40",
            "--pause",
            "0.5",
            "--loop-seconds",
            "150",
            "--stop-file",
            str(stop),
        )
        stack.wait_until(
            lambda: _counts(ids)[Status.PUBLISHED] >= 90, timeout=90, what="a third published"
        )
        # Mid-run: at a moment the victim holds a task (a set of posts sends in a fraction of
        # the dispatcher's pause, so a kill at a random moment often finds it idle).
        stack.wait_until(
            lambda: _holding(victim.log()),
            timeout=60,
            interval=0.005,
            what="the victim to hold a task",
        )
        victim.kill9()
        killed_at = time.monotonic()
        log = victim.log()
        held_by_victim = log.count("] received") - log.count("] succeeded")
        processes.worker("w1-restarted", env=env)
        stack.wait_until(
            lambda: _counts(ids)[Status.PUBLISHED] == len(ids),
            timeout=90,
            what="every post published after the restart",
        )
        finished_in = time.monotonic() - killed_at
        stop.touch()
        _output(dispatcher)
        _assert_sent_exactly_once(fake, ids)
    assert held_by_victim > 0, "the worker was killed with nothing in hand"
    # Nothing stayed stuck: what the dead worker held came back once its lease ran out.
    assert finished_in < SHORT_LEASE + 45, finished_in
    assert not Post.objects.filter(pk__in=ids, lease_expires_at__isnull=False).exists()
    swept = AuditEvent.objects.filter(
        action__in=["post.lease_expired", "post.unconfirmed"], object_id__in=[str(i) for i in ids]
    )
    assert swept.exists(), "the kill hit nothing the sweeper had to bring back"


def test_an_edit_between_claim_and_send_is_not_sent(processes, redis):
    with FakeMastodon(tokens=fake_tokens(), idempotency_ttl=0) as fake:
        team = publishing_team(instance_url=fake.url)
        ids = bulk_approved_posts(team, 20)
        env = _env(redis)
        # Claimed and enqueued while no worker runs: the messages wait in Redis.
        claimed = _output(
            _dispatcher(processes, "dispatcher", env, "--until-empty", "--pause", "0")
        )["claimed"]
        assert sorted(claimed) == sorted(ids)
        assert _counts(ids) == Counter({Status.PUBLISHING: 20})
        edited, unapproved = ids[:5], ids[5:10]
        for pk in edited:  # an edit that reached the row after the claim
            Post.objects.filter(pk=pk).update(text=f"Changed after approval ({pk}): 90% off!")
        Approval.objects.filter(post_id__in=unapproved).update(
            dismissed_at=timezone.now(), dismissed_reason="withdrawn"
        )
        processes.worker("w1", env=env)
        stack.wait_until(
            lambda: _counts(ids)[Status.PUBLISHING] == 0, timeout=60, what="every task done"
        )
        sent = {s["text"] for s in fake.posts()}
    posts = {p.pk: p for p in Post.objects.filter(pk__in=ids)}
    for pk in edited:
        assert posts[pk].status == Status.HELD
        assert "content changed" in posts[pk].held_reason
    for pk in unapproved:
        assert posts[pk].status == Status.HELD
        assert "approvals are not valid" in posts[pk].held_reason
    rest = [pk for pk in ids if pk not in edited + unapproved]
    assert all(posts[pk].status == Status.PUBLISHED for pk in rest)
    assert sent == {posts[pk].text for pk in rest}
