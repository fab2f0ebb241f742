"""Every way to the platform's "create" passes the same send-time checks, as the last step
before the call: the first send, a retry, and the re-send of an unconfirmed post whose lookup
found nothing. A check that fails on a re-send never sends; the post stays unconfirmed and is
looked up again, so a first send that did land is still recorded as published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent, Notification, Role
from planner import lifecycle
from planner.models import Approval, Delivery, Post, Status
from planner.publishing import checks, clients
from planner.publishing import services as publishing
from tests.planner.publishing.support import approved_post, block_bread, make_due

pytestmark = pytest.mark.usefixtures("offline_publishing")


def _reload(post) -> Post:
    return Post.objects.get(pk=post.pk)


def _writes(fake) -> list[dict]:
    return [r for r in fake.requests_log() if r["method"] == "POST" and "statuses" in r["path"]]


# What can change between a worker picking a post up and its network call, and the words
# the hold gives for it.
CHANGES = {
    "brand paused": (
        lambda pub, post: publishing.brand_pause(
            brand=pub["brand"], actor=pub["admin"], reason="Crisis on the news"
        ),
        "was paused",
    ),
    "channel paused": (
        lambda pub, post: publishing.channel_pause(
            channel=pub["channel"], actor=pub["admin"], reason="Token leak"
        ),
        "was paused",
    ),
    "approval dismissed": (
        lambda pub, post: Approval.objects.filter(post_id=post.pk).update(
            dismissed_at=timezone.now(), dismissed_reason="withdrawn"
        ),
        "approvals are not valid",
    ),
    "approver lost the role": (
        lambda pub, post: account_services.membership_set(
            brand=pub["brand"], user=pub["approver1"], roles=[Role.AUTHOR], actor=pub["admin"]
        ),
        "approvals are not valid",
    ),
    "policy now blocks it": (lambda pub, post: block_bread(pub["brand"]), "now blocks it"),
}


@pytest.fixture
def unconfirmed(pub, mastodon, settings):
    """A due post whose first send was lost before the platform stored it: unconfirmed."""
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PLATFORM_TIMEOUT_SECONDS": 0.5}
    publishing.clear_caches()
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    mastodon.add_fault(drop_next=1, when="before_store")
    assert publishing.publish_due_inline()[0].result == "unconfirmed"
    assert len(_writes(mastodon)) == 1
    return post


def _reconcile_pass():
    """A dispatcher pass once the post's next check is due, its reconciles run inline."""
    Post.objects.filter(status=Status.UNCONFIRMED).update(lease_expires_at=timezone.now())
    result = publishing.dispatch(now=timezone.now() + dt.timedelta(seconds=1))
    return [publishing.reconcile_one(pk) for pk in result.reconcile]


# --- the re-send of an unconfirmed post -------------------------------------------------------


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_check_that_fails_stops_the_resend_of_an_unconfirmed_post(
    pub, unconfirmed, mastodon, change, django_capture_on_commit_callbacks
):
    make_change, words = CHANGES[change]
    make_change(pub, unconfirmed)
    with django_capture_on_commit_callbacks(execute=True):
        [checked] = _reconcile_pass()
    assert checked.result == "waiting", checked
    assert len(_writes(mastodon)) == 1 and mastodon.posts() == []  # never sent again
    post = _reload(unconfirmed)
    assert post.status == Status.UNCONFIRMED
    assert post.lease_expires_at > timezone.now()  # looked up again later
    delivery = Delivery.objects.get(post=post)
    assert [a["kind"] for a in delivery.attempts] == ["send", "lookup", "resend_stopped"]
    assert words in delivery.attempts[-1]["error"]
    assert "not sent again" in delivery.last_error and words in delivery.last_error
    assert AuditEvent.objects.filter(action="post.resend_stopped", object_id=str(post.pk)).exists()
    told = Notification.objects.filter(kind="post.held", subject__contains="not sent again")
    assert {n.user for n in told} == {pub["admin"], pub["author"]}


def test_a_stopped_resend_stays_stopped_and_fails_after_the_last_lookup(pub, unconfirmed, mastodon):
    publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis")
    assert [o.result for o in _reconcile_pass()] == ["waiting"]
    # The cause goes away: a person decides about the post, the worker does not re-send it.
    publishing.brand_resume(brand=pub["brand"], actor=pub["admin"], confirm=None)
    results = []
    for _ in range(publishing.MAX_RECONCILE_CHECKS):
        results += [o.result for o in _reconcile_pass()]
    assert results[-1] == "failed" and set(results[:-1]) == {"waiting"}
    assert len(_writes(mastodon)) == 1 and mastodon.posts() == []
    post = _reload(unconfirmed)
    assert post.status == Status.FAILED
    error = Delivery.objects.get(post=post).last_error
    assert "not sent again" in error and "was paused" in error
    attempts = Delivery.objects.get(post=post).attempts
    lookups = [a for a in attempts if a["kind"] == "lookup" and a["outcome"] == "not_found"]
    assert len(lookups) == publishing.MAX_RECONCILE_CHECKS


def test_a_first_send_that_did_land_is_recorded_published_even_while_paused(
    pub, mastodon, settings
):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PLATFORM_TIMEOUT_SECONDS": 0.5}
    publishing.clear_caches()
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    mastodon.add_fault(accept_then_hang=1, seconds=2)
    assert publishing.publish_due_inline()[0].result == "unconfirmed"
    publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis")
    [checked] = _reconcile_pass()
    assert checked.result == "published"
    assert _reload(post).status == Status.PUBLISHED
    assert len(_writes(mastodon)) == 1 and len(mastodon.posts()) == 1


def test_a_stopped_resend_keeps_looking_and_records_a_late_arrival(pub, unconfirmed, mastodon):
    publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis")
    assert [o.result for o in _reconcile_pass()] == ["waiting"]
    # The first send shows up on the platform after all (a slow instance).
    delivery = Delivery.objects.get(post=unconfirmed)
    client = clients.cached_client(pub["channel"])
    client.publish(text=unconfirmed.text, idempotency_key=delivery.idempotency_key)
    [checked] = _reconcile_pass()
    assert checked.result == "published"
    assert _reload(unconfirmed).status == Status.PUBLISHED
    assert len(mastodon.posts()) == 1


def test_a_resend_whose_checks_pass_still_goes_out_with_the_same_key(pub, unconfirmed, mastodon):
    [checked] = _reconcile_pass()
    assert checked.result == "published"
    keys = {r["headers"]["Idempotency-Key"] for r in _writes(mastodon)}
    assert len(keys) == 1 and len(mastodon.posts()) == 1


# --- a change landing between the worker's pick-up and the network call ------------------------


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_after_the_pickup_and_before_the_call_stops_the_send(
    pub, mastodon, monkeypatch, change
):
    """The change is committed while the worker asks the platform who the credential is
    (the last step before the send that takes time): the checks made with the row locked,
    right before the in-flight marker and the call, see it."""
    make_change, words = CHANGES[change]
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    real = clients.identity_check

    def identity_then_change(channel, client):
        checked = real(channel, client)
        make_change(pub, post)
        return checked

    monkeypatch.setattr(clients, "identity_check", identity_then_change)
    outcome = publishing.publish_one(claimed)
    assert outcome.result == "held", outcome
    held = _reload(post)
    assert held.status == Status.HELD and words in held.held_reason
    assert _writes(mastodon) == [] and mastodon.posts() == []
    assert not Delivery.objects.filter(post=post).exists()  # nothing marked in flight


def test_a_retry_passes_the_checks_again(pub, mastodon):
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    mastodon.add_fault(fail_next=1, status=503)
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    assert publishing.publish_one(claimed).result == "retry"
    publishing.channel_pause(channel=pub["channel"], actor=pub["admin"], reason="Token leak")
    outcome = publishing.publish_one(claimed)
    assert outcome.result == "held" and "was paused" in outcome.detail
    assert mastodon.posts() == [] and len(_writes(mastodon)) == 1


def test_the_checks_run_once_under_the_lock_as_the_last_step(pub, mastodon, monkeypatch):
    """One function, called once per send, after the identity and before the marker."""
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    calls = []
    real_checks, real_identity = checks.run_checks, clients.identity_check

    def checks_once(post, **kwargs):
        calls.append(("checks", Delivery.objects.filter(post_id=post.pk).exists()))
        return real_checks(post, **kwargs)

    def identity(channel, client):
        calls.append(("identity", None))
        return real_identity(channel, client)

    monkeypatch.setattr(checks, "run_checks", checks_once)
    monkeypatch.setattr(clients, "identity_check", identity)
    assert publishing.publish_one(claimed).result == "published"
    assert calls == [("identity", None), ("checks", False)]


def test_an_unreachable_platform_with_a_failing_check_holds_with_the_check(pub, mastodon):
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    Approval.objects.filter(post_id=claimed).update(
        dismissed_at=timezone.now(), dismissed_reason="withdrawn"
    )
    mastodon.add_fault(fail_next=1, status=503, path="/api/v1/accounts/")
    outcome = publishing.publish_one(claimed)
    assert outcome.result == "held" and "approvals are not valid" in outcome.detail
