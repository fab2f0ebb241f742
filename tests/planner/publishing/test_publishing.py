"""Publishing against the local fake Mastodon: claim, re-check, send once, keep evidence;
retries keep the key, unknown outcomes are reconciled, failures say why and who was told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from planner import lifecycle
from planner.models import Approval, Delivery, Post, Status
from planner.publishing import outcomes, records, send
from planner.publishing import services as publishing
from tests.planner.publishing.support import (
    BRAND_ACCOUNT,
    PERSONAL_ACCOUNT,
    approved_post,
    block_bread,
    make_due,
)

pytestmark = pytest.mark.usefixtures("offline_publishing")


@pytest.fixture
def due(pub):
    post = approved_post(pub, "Fresh bread, hot from the oven at 9.")
    make_due([post.pk])
    return post


def _reload(post) -> Post:
    return Post.objects.get(pk=post.pk)


def _writes(fake) -> list[dict]:
    return [r for r in fake.requests_log() if r["method"] == "POST" and "statuses" in r["path"]]


# --- the happy path ----------------------------------------------------------------------------


def test_a_due_post_is_sent_once_with_its_key_and_evidence(pub, due, mastodon):
    outcomes = publishing.publish_due_inline()
    assert [(o.post_id, o.result) for o in outcomes] == [(due.pk, "published")]
    post = _reload(due)
    assert post.status == Status.PUBLISHED
    [status] = mastodon.posts()
    assert status["text"] == due.text
    assert post.remote_url == status["url"] and post.lease_expires_at is None
    delivery = Delivery.objects.get(post=post)
    assert status["idempotency_key"] == delivery.idempotency_key
    assert delivery.idempotency_key == publishing.idempotency_key(post.pk, post.content_hash)
    assert len(delivery.idempotency_key) == 64
    assert delivery.remote_id == status["id"] and delivery.remote_url == status["url"]
    assert delivery.remote_account_id == BRAND_ACCOUNT[0]
    assert [a["outcome"] for a in delivery.attempts] == ["published"]
    evidence = delivery.evidence
    assert evidence["status"] == "published"
    assert evidence["content"]["fingerprint"] == post.content_hash
    assert evidence["content"]["text"] == post.text
    assert evidence["policy"]["version"] >= 1 and evidence["policy"]["blocked"] is False
    assert evidence["identity"]["expected_remote_id"] == BRAND_ACCOUNT[0]
    assert evidence["identity"]["actual_remote_id"] == BRAND_ACCOUNT[0]
    assert evidence["identity"]["matches"] is True
    assert [a["approver"] for a in evidence["approvals"]] == [pub["approver1"].username]
    assert evidence["approvals"][0]["content_hash"] == post.content_hash
    assert evidence["remote"] == {"platform": "mastodon", "id": status["id"], "url": status["url"]}
    assert evidence["certification"]["author"] == {
        "user": pub["author"].username,
        "role": "author",
        "certified": True,
        "reason": None,
    }
    assert evidence["timestamps"]["published_at"]
    # Another pass finds nothing to do, and the platform still has one status.
    assert publishing.publish_due_inline() == []
    assert len(mastodon.posts()) == 1
    moves = list(
        AuditEvent.objects.filter(object_type="post", object_id=str(post.pk))
        .filter(action__in=["post.claim", "post.published"])
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert moves == ["post.claim", "post.published"]


def test_only_due_approved_posts_of_running_brands_and_channels_are_claimed(pub, mastodon):
    later = approved_post(pub, "Tomorrow's special.")
    paused_channel = approved_post(pub, "On a paused channel.")
    now = approved_post(pub, "Right now.")
    make_due([paused_channel.pk, now.pk])
    publishing.channel_pause(channel=pub["channel"], actor=pub["admin"], reason="Crisis")
    assert lifecycle.claim_due(timezone.now(), 10, 60) == []
    publishing.channel_resume(channel=pub["channel"], actor=pub["admin"])
    # Resuming held what fell due meanwhile; the future post is untouched.
    assert _reload(paused_channel).status == Status.HELD
    assert _reload(now).status == Status.HELD
    assert _reload(later).status == Status.APPROVED
    assert lifecycle.claim_due(timezone.now(), 10, 60) == []
    assert mastodon.posts() == []


def test_a_claim_is_a_compare_and_set_with_a_lease_and_an_audit_row(pub):
    post = approved_post(pub)
    make_due([post.pk])
    now = timezone.now()
    assert lifecycle.claim_due(now, 10, 120) == [post.pk]
    assert lifecycle.claim_due(now, 10, 120) == []
    claimed = _reload(post)
    assert claimed.status == Status.PUBLISHING
    assert claimed.lease_expires_at == now + dt.timedelta(seconds=120)
    assert AuditEvent.objects.filter(action="post.claim", object_id=str(post.pk)).count() == 1


# --- checks made again before the send ---------------------------------------------------------


def test_identity_mismatch_holds_audits_and_alerts_the_admins(
    pub, due, mastodon, django_capture_on_commit_callbacks
):
    # The brand's token now authenticates as someone's personal account.
    mastodon.add_token(
        {"token": "brand-token-0123456789", "account_id": "2002", "username": "alice"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    post = _reload(due)
    assert post.status == Status.HELD
    assert "@alice" in post.held_reason and PERSONAL_ACCOUNT[0] in post.held_reason
    assert BRAND_ACCOUNT[0] in post.held_reason
    assert mastodon.posts() == [] and _writes(mastodon) == []
    event = AuditEvent.objects.get(action="guard.identity_mismatch")
    assert event.data["expected_remote_id"] == BRAND_ACCOUNT[0]
    assert event.data["actual_remote_id"] == PERSONAL_ACCOUNT[0]
    assert event.data["channel_handle"] == pub["channel"].handle
    notes = Notification.objects.filter(kind="guard.identity_mismatch")
    assert [n.user for n in notes] == [pub["admin"]]
    [email] = [m for m in mail.outbox if pub["admin"].email in m.to]
    for fact in (pub["channel"].handle, BRAND_ACCOUNT[0], PERSONAL_ACCOUNT[0], "@alice"):
        assert fact in email.body or fact in email.subject
    assert not Delivery.objects.filter(post=post).exists()


def test_a_refused_credential_holds_with_reconnect(pub, due, mastodon):
    channel = pub["channel"]
    channel.set_credential({"access_token": "revoked-token-000000"})
    channel.save(update_fields=["credential_encrypted"])
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    post = _reload(due)
    assert "Reconnect the channel" in post.held_reason
    assert mastodon.posts() == []


def test_a_policy_that_now_blocks_the_text_holds_it(pub, due, mastodon):
    block_bread(pub["brand"])
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    held = _reload(due)
    assert "Policy v2 now blocks it" in held.held_reason and "no-bread" in held.held_reason
    assert mastodon.posts() == []


def test_an_edit_between_claim_and_send_is_not_sent(pub, due, mastodon):
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    # The services refuse to edit a post that is being published...
    from planner.posts import services

    with pytest.raises(lifecycle.TransitionRefused):
        services.post_update(post=_reload(due), actor=pub["author"], text="Changed")
    # ...and an edit that reaches the row anyway is caught by the fingerprint.
    Post.objects.filter(pk=claimed).update(text="Bread is 90% off, today only!")
    outcome = publishing.publish_one(claimed)
    assert outcome.result == "held"
    assert "content changed" in _reload(due).held_reason
    assert mastodon.posts() == []


def test_dismissed_approvals_hold_the_post(pub, due, mastodon):
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    Approval.objects.filter(post_id=claimed).update(
        dismissed_at=timezone.now(), dismissed_reason="test"
    )
    assert publishing.publish_one(claimed).result == "held"
    assert "approvals are not valid" in _reload(due).held_reason
    assert mastodon.posts() == []


def test_a_post_claimed_long_after_its_time_is_held_for_reconfirmation(pub, mastodon):
    post = approved_post(pub)
    make_due([post.pk], ago=dt.timedelta(hours=3))
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    assert "missed its time" in _reload(post).held_reason
    assert mastodon.posts() == []


def test_a_task_for_a_post_that_is_not_publishing_does_nothing(pub, due, mastodon):
    assert publishing.publish_one(due.pk).result == "skipped"  # approved, never claimed
    assert publishing.publish_one(10**9).result == "skipped"
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    Post.objects.filter(pk=claimed).update(lease_expires_at=timezone.now() - dt.timedelta(1))
    assert publishing.publish_one(claimed).detail == "lease lost"
    assert mastodon.posts() == []


# --- the platform's answers ------------------------------------------------------------------


def test_unavailable_is_retried_with_backoff_and_the_same_key(pub, due, mastodon):
    mastodon.add_fault(fail_next=1, status=503)
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    first = publishing.publish_one(claimed)
    assert first.result == "retry"
    assert publishing.RETRY_BASE_SECONDS / 2 <= first.retry_in <= publishing.RETRY_BASE_SECONDS
    waiting = _reload(due)
    assert waiting.status == Status.PUBLISHING
    assert waiting.lease_expires_at > timezone.now() + dt.timedelta(seconds=first.retry_in)
    assert publishing.publish_one(claimed).result == "published"
    keys = [r["headers"]["Idempotency-Key"] for r in _writes(mastodon)]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert len(mastodon.posts()) == 1
    delivery = Delivery.objects.get(post_id=claimed)
    assert [a["outcome"] for a in delivery.attempts] == ["unavailable", "published"]
    assert _reload(due).publish_attempts == 2


def test_backoff_grows_has_jitter_and_respects_retry_after():
    delays = [records.backoff(n) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(publishing.RETRY_MAX_SECONDS, publishing.RETRY_BASE_SECONDS * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(records.backoff(3), 6) for _ in range(20)}) > 1
    assert records.backoff(1, retry_after=120) >= 120


def test_the_last_failed_try_fails_the_post_and_tells_people(
    pub, due, mastodon, django_capture_on_commit_callbacks
):
    mastodon.add_fault(fail_next=publishing.MAX_SEND_ATTEMPTS, status=502)
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    results = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(publishing.MAX_SEND_ATTEMPTS):
            results.append(publishing.publish_one(claimed).result)
    assert results == ["retry"] * (publishing.MAX_SEND_ATTEMPTS - 1) + ["failed"]
    post = _reload(due)
    assert post.status == Status.FAILED
    delivery = Delivery.objects.get(post=post)
    assert "could not be reached after 5 tries" in delivery.last_error
    told = delivery.evidence["failure"]["notified"]
    assert set(told) == {pub["admin"].username, pub["author"].username}
    assert {m.to[0] for m in mail.outbox} >= {pub["admin"].email, pub["author"].email}
    assert mastodon.posts() == []
    assert len({r["headers"]["Idempotency-Key"] for r in _writes(mastodon)}) == 1


def test_a_refusal_by_the_platform_is_final_with_its_message(pub, due, mastodon):
    mastodon.configure(max_characters=10)
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "failed"
    post = _reload(due)
    assert post.status == Status.FAILED
    delivery = Delivery.objects.get(post=post)
    assert "character limit of 10 exceeded" in delivery.last_error
    assert Notification.objects.filter(kind="post.failed", user=pub["author"]).exists()


@pytest.fixture
def short_timeout(settings):
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PLATFORM_TIMEOUT_SECONDS": 0.5}
    publishing.clear_caches()


def _reconcile_pass(after=None):
    """A dispatcher pass a little later, with its reconcile checks run inline."""
    later = (after or timezone.now()) + dt.timedelta(
        seconds=publishing.RECONCILE_FIRST_DELAY_SECONDS + 1
    )
    result = publishing.dispatch(now=later)
    return [publishing.reconcile_one(pk) for pk in result.reconcile]


def test_a_timeout_after_sending_is_unconfirmed_then_found(pub, due, mastodon, short_timeout):
    mastodon.add_fault(accept_then_hang=1, seconds=2)
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "unconfirmed"
    post = _reload(due)
    assert post.status == Status.UNCONFIRMED
    [checked] = _reconcile_pass()
    assert checked.result == "published"
    post = _reload(due)
    assert post.status == Status.PUBLISHED
    [status] = mastodon.posts()
    assert post.remote_url == status["url"]
    delivery = Delivery.objects.get(post=post)
    assert delivery.evidence["reconciled"] is True
    assert [a["outcome"] for a in delivery.attempts] == ["unknown", "found"]
    assert len(_writes(mastodon)) == 1  # found by lookup: never sent again
    assert AuditEvent.objects.filter(action="post.reconciled", object_id=str(post.pk)).exists()


def test_an_unconfirmed_send_not_found_is_resent_with_the_same_key(
    pub, due, mastodon, short_timeout
):
    mastodon.add_fault(drop_next=1, when="before_store")
    assert publishing.publish_due_inline()[0].result == "unconfirmed"
    [checked] = _reconcile_pass()
    assert checked.result == "published"
    keys = [r["headers"]["Idempotency-Key"] for r in _writes(mastodon)]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert len(mastodon.posts()) == 1
    delivery = Delivery.objects.get(post=due)
    assert [a["kind"] for a in delivery.attempts] == ["send", "lookup", "resend"]


def test_an_unconfirmed_send_past_the_idempotency_window_fails_instead_of_resending(
    pub, due, mastodon, short_timeout
):
    mastodon.add_fault(drop_next=1, when="before_store")
    assert publishing.publish_due_inline()[0].result == "unconfirmed"
    Delivery.objects.filter(post=due).update(
        first_attempt_at=timezone.now() - dt.timedelta(hours=2)
    )
    [checked] = _reconcile_pass()
    assert checked.result == "failed"
    post = _reload(due)
    assert post.status == Status.FAILED
    assert (
        "idempotency window (55 minutes) has passed" in Delivery.objects.get(post=post).last_error
    )
    assert len(_writes(mastodon)) == 1 and mastodon.posts() == []


def test_reconciling_gives_up_after_bounded_checks(pub, due, mastodon, short_timeout):
    mastodon.add_fault(drop_next=1, when="before_store")
    assert publishing.publish_due_inline()[0].result == "unconfirmed"
    # The platform stops answering lookups.
    mastodon.add_fault(fail_next=100, status=503, path="/api/v1/accounts/")
    results = []
    for _ in range(publishing.MAX_RECONCILE_CHECKS + 1):
        Post.objects.filter(pk=due.pk).update(lease_expires_at=timezone.now())
        results += [o.result for o in _reconcile_pass()]
    assert results[-1] == "failed"
    assert "could not be confirmed" in Delivery.objects.get(post=due).last_error
    assert mastodon.posts() == []


# --- the sweeper -------------------------------------------------------------------------------


def test_an_expired_lease_without_a_send_goes_back_to_be_claimed_again(pub, due, mastodon):
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    later = timezone.now() + dt.timedelta(seconds=61)
    assert publishing.sweep(now=later) == {claimed: "approved"}
    post = _reload(due)
    assert post.status == Status.APPROVED and post.lease_expires_at is None
    assert publishing.publish_due_inline()[0].result == "published"


def test_an_expired_lease_with_a_send_in_flight_becomes_unconfirmed(pub, due, mastodon):
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    post = _reload(due)
    # A worker stored its attempt and was killed before the answer came back.
    send.begin_attempt(
        claimed,
        brand=post.brand,
        expect=Status.PUBLISHING,
        kind="send",
        checked_hash=post.content_hash,
        remote_account_id=BRAND_ACCOUNT[0],
        evidence={"status": "sending"},
        now=timezone.now(),
    )
    assert publishing.attempt_in_flight(claimed)
    assert publishing.publish_one(claimed).detail == "a send is in flight"
    later = timezone.now() + dt.timedelta(seconds=records.lease_seconds() + 1)
    assert publishing.sweep(now=later) == {claimed: "unconfirmed"}
    delivery = Delivery.objects.get(post_id=claimed)
    assert delivery.attempts[-1]["outcome"] == "unknown"
    # Never re-sent blind: reconciled (not found, within the window: same key).
    [checked] = _reconcile_pass(after=later)
    assert checked.result == "published"
    assert len(mastodon.posts()) == 1


# --- tasks enqueue after commit ---------------------------------------------------------------


def test_the_dispatcher_task_enqueues_one_publish_task_per_post_after_commit(
    pub, mastodon, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from planner import tasks

    settings.COUNTERSIGN = {
        **settings.COUNTERSIGN,
        "PUBLISH_SEND_CONCURRENCY": 1,
        "PUBLISH_SET_SIZE": 1,
    }

    posts = [approved_post(pub, f"Batch {i}") for i in range(3)]
    make_due([p.pk for p in posts])
    sent = []
    monkeypatch.setattr(tasks.publish_post, "delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from django.db import transaction

        with transaction.atomic():
            tasks.dispatch_due()
            assert sent == []  # nothing before the commit
    assert len(callbacks) == 3
    assert sorted(sent) == sorted(p.pk for p in posts)
    for pk in sent:
        assert tasks.publish_post.apply(args=[pk]).get() == "published"
    assert len(mastodon.posts()) == 3


def test_the_dispatcher_task_enqueues_one_publish_task_per_set_after_commit(
    pub, mastodon, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """One broker message a set of claimed posts on one channel, not one a post; each set's
    task checks, sends and records its posts."""
    from planner import tasks

    settings.COUNTERSIGN = {
        **settings.COUNTERSIGN,
        "PUBLISH_SEND_CONCURRENCY": 2,
        "PUBLISH_SET_SIZE": 3,
    }
    posts = [approved_post(pub, f"Set {i}") for i in range(7)]
    make_due([p.pk for p in posts])
    sets, singles = [], []
    monkeypatch.setattr(tasks.publish_set, "delay", lambda ids: sets.append(ids))
    monkeypatch.setattr(tasks.publish_post, "delay", lambda pk: singles.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            tasks.dispatch_due()
            assert sets == [] and singles == []  # nothing before the commit
    ids = sorted(p.pk for p in posts)
    assert sets == [ids[0:3], ids[3:6]] and singles == [ids[6]]
    for post_ids in sets:
        assert tasks.publish_set.apply(args=[post_ids]).get() == ["published"] * 3
    assert tasks.publish_post.apply(args=[ids[6]]).get() == "published"
    assert len(mastodon.posts()) == 7


def test_a_pass_spreads_a_channels_posts_over_the_worker_processes(pub, settings):
    """By default a set is neither one post nor the whole pass: a channel's claimed posts are
    shared out among the worker's processes, at least the send concurrency and at most
    PUBLISH_SET_MAX a set (many posts falling due together cost few sets' overheads)."""
    from planner.publishing.batch import claimed_sets, set_size
    from tests.planner.publishing.support import bulk_approved_posts

    settings.COUNTERSIGN = {
        **settings.COUNTERSIGN,
        "PUBLISH_SET_SIZE": 0,
        "PUBLISH_SEND_CONCURRENCY": 8,
        "PUBLISH_SET_MAX": 100,
        "WORKER_CONCURRENCY": 2,
    }
    assert [set_size(n) for n in (1, 8, 17, 40, 200, 1000)] == [8, 8, 9, 20, 100, 100]
    assert set_size(40, processes=4) == 10 and set_size(40, processes=1) == 40
    ids = bulk_approved_posts(pub, 250)
    assert [len(s) for s in claimed_sets(ids)] == [100, 100, 50]
    assert [len(s) for s in claimed_sets(ids[:40])] == [20, 20]
    assert [pk for s in claimed_sets(ids) for pk in s] == ids  # claim order, each once
    settings.COUNTERSIGN = {**settings.COUNTERSIGN, "PUBLISH_SET_SIZE": 3}
    assert set_size(1000) == 3  # a set size, when configured, is the size


def test_a_large_pass_is_claimed_a_round_of_sets_at_a_time(pub, settings):
    """The sets of the first chunk can be queued (after its commit) while the rest of the
    pass is still being claimed; every due post is claimed once, in due order."""
    from tests.planner.publishing.support import bulk_approved_posts

    settings.COUNTERSIGN = {
        **settings.COUNTERSIGN,
        "PUBLISH_SET_SIZE": 0,
        "PUBLISH_SEND_CONCURRENCY": 4,
        "PUBLISH_SET_MAX": 10,
        "WORKER_CONCURRENCY": 2,
    }
    ids = bulk_approved_posts(pub, 45)
    make_due(ids)
    chunks = []
    result = publishing.dispatch(limit=42, on_claimed=chunks.append)
    assert [len(c) for c in chunks] == [20, 20, 2]
    assert result.claimed == [pk for c in chunks for pk in c] and len(set(result.claimed)) == 42
    assert Post.objects.filter(pk__in=ids, status=Status.PUBLISHING).count() == 42
    assert publishing.dispatch(limit=100, on_claimed=chunks.append).claimed == sorted(
        set(ids) - set(result.claimed)
    )


def test_publish_due_command_runs_one_pass(pub, due, mastodon):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("publish_due", stdout=out)
    assert "1 published" in out.getvalue()
    out = io.StringIO()
    call_command("publish_due", stdout=out)
    assert "nothing due" in out.getvalue()
    assert len(mastodon.posts()) == 1


def test_a_stored_token_swapped_to_a_personal_account_is_held_and_nothing_sent(
    pub, due, mastodon, django_capture_on_commit_callbacks
):
    """The replay: someone pastes their own token into the brand's channel."""
    from tests.planner.publishing.support import PERSONAL_TOKEN

    channel = pub["channel"]
    channel.set_credential({"access_token": PERSONAL_TOKEN})
    channel.save(update_fields=["credential_encrypted"])
    with django_capture_on_commit_callbacks(execute=True):
        [outcome] = publishing.publish_due_inline()
    assert outcome.result == "held"
    assert _writes(mastodon) == [] and mastodon.posts() == []
    event = AuditEvent.objects.get(action="guard.identity_mismatch")
    assert (event.data["expected_remote_id"], event.data["actual_remote_id"]) == (
        BRAND_ACCOUNT[0],
        PERSONAL_ACCOUNT[0],
    )
    assert Notification.objects.filter(
        kind="guard.identity_mismatch", user=pub["admin"], subject__contains="@alice"
    ).exists()
    assert any(pub["admin"].email in m.to and channel.handle in m.body for m in mail.outbox)


def test_an_outcome_says_what_happened_as_a_type_not_a_loose_string(pub, mastodon):
    post = approved_post(pub, "Typed outcome.")
    make_due([post.pk])
    [outcome] = publishing.publish_due_inline()
    assert outcome.result is publishing.Result.PUBLISHED
    assert {r.value for r in publishing.Result} == {
        "published",
        "held",
        "failed",
        "unconfirmed",
        "retry",
        "waiting",
        "skipped",
    }


def test_a_held_post_says_why_as_a_code_not_by_its_words(pub, due, mastodon):
    """The delivery panel offers "Reconnect" for a hold coded so, never because the words of
    another reason happen to contain the phrase."""
    from planner.models import HeldCode
    from planner.publishing import selectors as publishing_selectors

    channel = pub["channel"]
    channel.set_credential({"access_token": "revoked-token-000000"})
    channel.save(update_fields=["credential_encrypted"])
    [held_outcome] = publishing.publish_due_inline()
    assert held_outcome.result == "held"
    held = _reload(due)
    assert held.held_code == HeldCode.RECONNECT
    panel = publishing_selectors.delivery_panel(post=held, user=pub["admin"])
    assert panel.needs_reconnect

    other = approved_post(pub, "Fresh bread, second batch.")
    outcomes.hold_post(
        other.pk, "Held by a check; Reconnect the channel is in its words.", expect=Status.APPROVED
    )
    other = _reload(other)
    assert other.status == Status.HELD and "Reconnect the channel" in other.held_reason
    assert other.held_code == HeldCode.CHECK
    assert not publishing_selectors.delivery_panel(post=other, user=pub["admin"]).needs_reconnect


def test_a_send_in_flight_is_a_field_of_the_delivery(pub, due, mastodon):
    [claimed] = lifecycle.claim_due(timezone.now(), 10, 60)
    post = _reload(due)
    send.begin_attempt(
        claimed,
        brand=post.brand,
        expect=Status.PUBLISHING,
        kind="send",
        checked_hash=post.content_hash,
        remote_account_id=BRAND_ACCOUNT[0],
        evidence={"status": "sending"},
        now=timezone.now(),
    )
    assert Delivery.objects.get(post_id=claimed).send_in_flight
    later = timezone.now() + dt.timedelta(seconds=records.lease_seconds() + 1)
    publishing.sweep(now=later)
    assert not Delivery.objects.get(post_id=claimed).send_in_flight


def test_resuming_goes_through_the_one_safe_resume():
    """Only planner.publishing.pause may call the accounts' flag flip: every other resume
    (web, API, admin, commands) uses the publishing one, which holds what fell due."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[3]
    callers = [
        str(path.relative_to(root))
        for app in ("accounts", "policy", "planner", "config")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and re.search(r"(?<!def )\b(brand|channel)_pause_clear\(", path.read_text())
    ]
    assert callers == ["planner/publishing/pause.py"]
