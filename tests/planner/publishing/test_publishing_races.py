"""A pause racing a send, for real: the worker and the person on their own PostgreSQL
connections. The pause lands before the last look (nothing is sent) or waits until the send
is marked in flight; it never slips in between the checks and the call."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Brand
from planner import lifecycle
from planner.models import Delivery, Post, Status
from planner.publishing import checks, clients
from planner.publishing import services as publishing
from tests.planner.publishing.support import approved_post, make_due

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("offline_publishing"),
]


def _in_thread(call, results: dict, key: str) -> threading.Thread:
    def run():
        try:
            results[key] = call()
        except Exception as exc:  # the outcome is what the test inspects
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _claimed(pub) -> int:
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    return claimed


def test_a_pause_committed_while_the_worker_is_on_the_network_stops_the_send(
    pub, mastodon, monkeypatch
):
    claimed = _claimed(pub)
    asked, paused = threading.Event(), threading.Event()
    real = clients.identity_check

    def slow_identity(channel, client):
        checked = real(channel, client)
        asked.set()
        assert paused.wait(10)
        return checked

    monkeypatch.setattr(clients, "identity_check", slow_identity)
    results: dict = {}
    worker = _in_thread(lambda: publishing.publish_one(claimed), results, "worker")
    assert asked.wait(10)
    publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis")  # commits
    paused.set()
    worker.join(30)
    assert results["worker"].result == "held", results
    assert Post.objects.get(pk=claimed).status == Status.HELD
    assert mastodon.posts() == []
    assert not Delivery.objects.filter(post_id=claimed).exists()


def test_a_pause_racing_the_last_look_waits_for_the_in_flight_marker(pub, mastodon, monkeypatch):
    claimed = _claimed(pub)
    checked, go = threading.Event(), threading.Event()
    real = checks.run_checks

    def checks_then_wait(post, **kwargs):
        result = real(post, **kwargs)
        checked.set()  # the worker holds its locks, the checks passed, nothing committed yet
        assert go.wait(10)
        return result

    monkeypatch.setattr(checks, "run_checks", checks_then_wait)
    results: dict = {}
    worker = _in_thread(lambda: publishing.publish_one(claimed), results, "worker")
    assert checked.wait(10)
    pauser = _in_thread(
        lambda: publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis"),
        results,
        "pause",
    )
    pauser.join(1.5)
    assert pauser.is_alive(), "the pause must wait for the worker's last step"
    go.set()
    worker.join(30)
    pauser.join(30)
    assert results["worker"].result == "published", results
    assert isinstance(results["pause"], Brand)
    delivery = Delivery.objects.get(post_id=claimed)
    # The send was marked in flight before the pause was written, never the other way round.
    assert delivery.first_attempt_at <= Brand.objects.get(pk=pub["brand"].pk).paused_at
    assert len(mastodon.posts()) == 1
