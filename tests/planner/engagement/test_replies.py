"""Replies through the policy: lint and count, approval by the brand's choice, sent exactly
once with the identity guard re-checked, kept with their evidence; web and API alike."""

from __future__ import annotations

import json
import pathlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEvent
from config.errors import Conflict, NotAllowed
from planner.engagement import replies
from planner.engagement.models import (
    ChannelReplySettings,
    Conversation,
    Message,
    ReplyApprovalMode,
    ReplyStatus,
    ResponseSettings,
)
from planner.publishing import services as publishing
from tests.planner.engagement.respond_support import *  # noqa: F403
from tests.planner.engagement.respond_support import BANNED, customer_writes
from tests.planner.publishing.support import PERSONAL_ACCOUNT, PERSONAL_TOKEN

BLNS = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "data" / "blns.json").read_text("utf-8")
)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def set_mode(team, mode: str, *, channel_mode: str | None = None) -> None:
    replies.reply_settings_update(
        brand=team["brand"],
        actor=team["admin"],
        mode=mode,
        channel_modes={team["channel"].pk: channel_mode or ""},
    )


def reply_statuses(fake) -> list[dict]:
    return [p for p in fake.posts() if p.get("in_reply_to_id")]


# --- composing: policy, count, pause -------------------------------------------------------


def test_a_reply_without_approval_is_sent_once_in_the_thread_with_its_evidence(
    engage, django_capture_on_commit_callbacks
):
    conversation = customer_writes(engage)
    parent = Message.objects.get(conversation=conversation, direction="in")
    with django_capture_on_commit_callbacks(execute=True):
        reply = replies.reply_create(
            conversation=conversation,
            actor=engage["author"],
            text="@carol Sorry about that! It ships today.",
        )
    assert reply.reply_status == ReplyStatus.APPROVED
    assert engage["queued"] == [reply.pk]  # enqueued after commit

    outcome = replies.reply_send(message_id=reply.pk)
    assert outcome.result == "sent", outcome
    # A repeated doorbell sends nothing more.
    assert replies.reply_send(message_id=reply.pk).result == "skipped"

    sent = reply_statuses(engage["mastodon"])
    assert len(sent) == 1
    assert sent[0]["in_reply_to_id"] == parent.remote_id
    assert sent[0]["idempotency_key"] == reply.idempotency_key
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and not reply.send_in_flight
    assert reply.remote_id == sent[0]["id"] and reply.remote_url == sent[0]["url"]
    evidence = reply.evidence
    assert evidence["text"] == reply.text
    assert evidence["content_hash"] == reply.content_hash
    assert evidence["identity"]["matches"] is True
    assert evidence["identity"]["actual_remote_id"] == engage["channel"].remote_account_id
    assert evidence["policy_version"] >= 1
    assert evidence["remote_id"] == reply.remote_id
    assert evidence["composed_by"] == engage["author"].username
    assert evidence["attempts"][-1]["outcome"] == "sent"
    conversation.refresh_from_db()
    assert conversation.status == "answered"
    assert conversation.first_response_at is not None
    assert conversation.first_unanswered_at is None
    assert AuditEvent.objects.filter(action="reply.sent", brand=engage["brand"]).exists()


def test_a_banned_word_refuses_the_reply_and_stores_nothing(engage):
    conversation = customer_writes(engage)
    with pytest.raises(replies.ReplyRefused) as refused:
        replies.reply_create(
            conversation=conversation, actor=engage["author"], text=f"@carol {BANNED} off"
        )
    assert refused.value.code == "policy_blocked"
    assert refused.value.details["findings"][0]["rule"] == "no-frobnicate"
    assert not Message.objects.filter(direction="out").exists()
    assert engage["queued"] == []
    assert reply_statuses(engage["mastodon"]) == []


def test_the_api_refuses_a_blocked_reply_with_the_findings(engage):
    conversation = customer_writes(engage)
    response = api_for(engage["author"]).post(
        f"/api/conversations/{conversation.pk}/replies/",
        {"text": f"@carol F r 0 b n i c a t e {BANNED.upper()}"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "policy_blocked"
    assert "frobnicate" in body["detail"]
    assert any(f["rule"] == "no-frobnicate" for f in body["findings"])
    assert not Message.objects.filter(direction="out").exists()


def test_the_api_answers_201_with_the_reply_status(engage):
    conversation = customer_writes(engage)
    response = api_for(engage["author"]).post(
        f"/api/conversations/{conversation.pk}/replies/",
        {"text": "@carol Thanks for telling us. #sorry #late"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["conversation"] == conversation.pk
    assert [f["rule"] for f in body["findings"]] == ["few-hashtags"]  # a warning, not a block
    assert body["approvals_needed"] == 0


def test_web_reply_refused_for_a_banned_word_shows_why(client, engage):
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    url = reverse("reply_create", args=[engage["brand"].slug, conversation.pk])
    response = client.post(url, {"text": f"@carol what a {BANNED}"})
    assert response.status_code == 400
    assert b'data-testid="reply-refused"' in response.content
    assert b"We never say frobnicate." in response.content
    assert not Message.objects.filter(direction="out").exists()


def test_too_long_for_the_platform_is_refused(engage):
    conversation = customer_writes(engage)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        replies.reply_create(conversation=conversation, actor=engage["author"], text="a" * 501)
    response = api_for(engage["author"]).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "b" * 501}, format="json"
    )
    assert response.status_code == 400
    assert "500" in json.dumps(response.json())


def test_a_paused_brand_refuses_replies_and_holds_an_approved_one(
    engage, django_capture_on_commit_callbacks
):
    conversation = customer_writes(engage)
    with django_capture_on_commit_callbacks(execute=True):
        reply = replies.reply_create(
            conversation=conversation, actor=engage["author"], text="@carol On it."
        )
    publishing.brand_pause(brand=engage["brand"], actor=engage["admin"], reason="Storm")
    # The approved reply is not sent while paused: the send re-checks.
    outcome = replies.reply_send(message_id=reply.pk)
    assert outcome.result == "held"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.APPROVED and "paused" in reply.last_error
    assert reply_statuses(engage["mastodon"]) == []
    # A new reply is refused with the reason.
    response = api_for(engage["author"]).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "@carol hi"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "paused"
    # After the resume, a person asks again: every check runs, and it goes out once.
    publishing.brand_resume(brand=engage["brand"], actor=engage["admin"], confirm="Kitchen")
    replies.reply_retry(message=reply, actor=engage["author"])
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    assert len(reply_statuses(engage["mastodon"])) == 1


def test_a_paused_channel_stops_replies_too(engage):
    conversation = customer_writes(engage)
    publishing.channel_pause(channel=engage["channel"], actor=engage["admin"], reason="Review")
    with pytest.raises(replies.ReplyRefused) as refused:
        replies.reply_create(conversation=conversation, actor=engage["author"], text="@carol hi")
    assert refused.value.code == "paused"


# --- approvals -----------------------------------------------------------------------------


def test_one_approver_mode_needs_a_distinct_approver_not_the_author(
    engage, django_capture_on_commit_callbacks
):
    set_mode(engage, ReplyApprovalMode.ONE)
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol We will check."
    )
    assert reply.reply_status == ReplyStatus.PENDING_APPROVAL
    assert engage["queued"] == []
    assert replies.reply_send(message_id=reply.pk).result == "skipped"  # not approved yet
    with pytest.raises(NotAllowed):
        replies.reply_approve(message=reply, actor=engage["author"])
    with django_capture_on_commit_callbacks(execute=True):
        reply = replies.reply_approve(message=reply, actor=engage["approver1"])
    assert reply.reply_status == ReplyStatus.APPROVED
    assert engage["queued"] == [reply.pk]
    with pytest.raises(Conflict):
        replies.reply_approve(message=reply, actor=engage["approver2"])  # already approved
    assert replies.reply_send(message_id=reply.pk).result == "sent"
    reply.refresh_from_db()
    assert [a["approver"] for a in reply.evidence["approvals"]] == [engage["approver1"].username]


def test_same_as_posts_needs_as_many_approvers_as_a_post(engage):
    account_services.brand_update(
        brand=engage["brand"], actor=engage["admin"], approvals_required=2
    )
    set_mode(engage, ReplyApprovalMode.SAME_AS_POSTS)
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol A careful answer."
    )
    reply = replies.reply_approve(message=reply, actor=engage["approver1"])
    assert reply.reply_status == ReplyStatus.PENDING_APPROVAL
    with pytest.raises(Conflict):
        replies.reply_approve(message=reply, actor=engage["approver1"])  # counts once
    reply = replies.reply_approve(message=reply, actor=engage["approver2"])
    assert reply.reply_status == ReplyStatus.APPROVED


def test_a_channel_override_beats_the_brand(engage):
    set_mode(engage, ReplyApprovalMode.ONE, channel_mode=ReplyApprovalMode.NONE)
    assert ResponseSettings.objects.get(brand=engage["brand"]).reply_approval_mode == "one"
    assert ChannelReplySettings.objects.get(channel=engage["channel"]).reply_approval_mode == "none"
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol ok"
    )
    assert reply.reply_status == ReplyStatus.APPROVED


def test_an_approval_counts_only_for_the_hash_it_signed(engage):
    set_mode(engage, ReplyApprovalMode.ONE)
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol Signed text."
    )
    reply = replies.reply_approve(message=reply, actor=engage["approver1"])
    # The text changes under the approval (not through Countersign): the send refuses.
    Message.objects.filter(pk=reply.pk).update(text="@carol Something else entirely.")
    assert replies.reply_send(message_id=reply.pk).result == "held"
    reply.refresh_from_db()
    assert "changed" in reply.last_error
    assert reply_statuses(engage["mastodon"]) == []


def test_approving_through_the_api(engage):
    set_mode(engage, ReplyApprovalMode.ONE)
    conversation = customer_writes(engage)
    created = api_for(engage["author"]).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "@carol hello"}, format="json"
    )
    assert created.json()["status"] == "pending_approval"
    pk = created.json()["id"]
    own = api_for(engage["author"]).post(f"/api/replies/{pk}/approve/")
    assert own.status_code == 403
    ok = api_for(engage["approver1"]).post(f"/api/replies/{pk}/approve/")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert ok.json()["approvals"][0]["approver"] == engage["approver1"].username


# --- exactly once, identity guard, reconcile -----------------------------------------------


def test_the_identity_guard_stops_a_reply_from_a_personal_account(engage):
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol hi"
    )
    # The brand channel's credential now authenticates as someone's personal account.
    engage["mastodon"].add_token(
        {
            "token": "brand-token-0123456789",
            "account_id": PERSONAL_ACCOUNT[0],
            "username": PERSONAL_ACCOUNT[1],
        }
    )
    publishing.clear_caches()
    outcome = replies.reply_send(message_id=reply.pk)
    assert outcome.result == "failed"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.FAILED
    assert "not as the brand's account" in reply.last_error
    assert reply_statuses(engage["mastodon"]) == []
    assert AuditEvent.objects.filter(action="guard.identity_mismatch").exists()
    assert PERSONAL_TOKEN  # the personal token itself was never used


def test_a_crash_after_the_in_flight_marker_is_reconciled_without_a_second_reply(engage):
    """The worker committed the marker, sent, and died before recording: the lookup finds
    the reply on the platform and records it; nothing is sent twice."""
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol x1"
    )
    from planner.publishing import clients

    client = clients.cached_client(engage["channel"])
    identity = clients.identity_check(engage["channel"], client)
    begun, _ = replies._begin(
        reply.pk, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=reply.created_at
    )
    client.reply(
        text=begun.text,
        idempotency_key=begun.idempotency_key,
        in_reply_to=begun.in_reply_to_remote_id,
    )
    # ... the worker dies here.
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENDING and reply.send_in_flight
    assert replies.reply_send(message_id=reply.pk).result == "skipped"  # in flight: not again
    assert reply.pk in replies.replies_to_reconcile(now=reply.created_at + replies.RECONCILE_AFTER)
    outcome = replies.reply_reconcile(message_id=reply.pk)
    assert outcome.result == "sent"
    assert len(reply_statuses(engage["mastodon"])) == 1
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENT and reply.evidence["reconciled"] is True


def test_a_crash_before_the_call_is_resent_with_the_same_key_once(engage):
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol x2"
    )
    from planner.publishing import clients

    client = clients.cached_client(engage["channel"])
    identity = clients.identity_check(engage["channel"], client)
    replies._begin(
        reply.pk, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=reply.created_at
    )
    # ... died before the network call: the lookup finds nothing, the key is re-sent.
    assert replies.reply_reconcile(message_id=reply.pk).result == "sent"
    assert replies.reply_reconcile(message_id=reply.pk).result == "skipped"
    sent = reply_statuses(engage["mastodon"])
    assert len(sent) == 1 and sent[0]["idempotency_key"] == reply.idempotency_key


def test_a_reconcile_resend_runs_the_same_checks(engage):
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol x3"
    )
    from planner.publishing import clients

    client = clients.cached_client(engage["channel"])
    identity = clients.identity_check(engage["channel"], client)
    replies._begin(
        reply.pk, expect=ReplyStatus.APPROVED, kind="send", identity=identity, now=reply.created_at
    )
    publishing.brand_pause(brand=engage["brand"], actor=engage["admin"], reason="Crisis")
    outcome = replies.reply_reconcile(message_id=reply.pk)
    assert outcome.result == "unconfirmed"
    assert reply_statuses(engage["mastodon"]) == []
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.SENDING and reply.send_in_flight
    assert "paused" in reply.last_error


def test_an_unreachable_platform_is_retried_then_failed(engage, monkeypatch):
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol x4"
    )
    from platforms import errors as platform_errors
    from platforms.mastodon import MastodonClient

    def down(self, **kwargs):
        raise platform_errors.PlatformUnavailable("down", platform="mastodon")

    monkeypatch.setattr(MastodonClient, "reply", down)
    for _ in range(replies.MAX_SEND_ATTEMPTS - 1):
        outcome = replies.reply_send(message_id=reply.pk)
        assert outcome.result == "retry" and outcome.retry_in > 0
    assert replies.reply_send(message_id=reply.pk).result == "failed"
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.FAILED and "could not be reached" in reply.last_error


# --- the composer ---------------------------------------------------------------------------


def test_the_live_preview_counts_and_lints(client, engage):
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    url = reverse("reply_preview", args=[engage["brand"].slug, conversation.pk])
    response = client.post(url, {"text": f"@carol {BANNED}"})
    assert response.status_code == 200
    assert b'data-testid="reply-count"' in response.content
    assert b"/ 500" in response.content
    assert b'data-testid="reply-blocked"' in response.content
    long = client.post(url, {"text": "x" * 600})
    assert b'data-over="1"' in long.content


def test_the_respond_page_shows_the_thread_and_composer(client, engage):
    conversation = customer_writes(engage, "@kitchen <script>alert(1)</script> where is it?")
    client.force_login(engage["author"])
    response = client.get(
        reverse("conversation_respond", args=[engage["brand"].slug, conversation.pk])
    )
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
    assert b'data-testid="reply-composer"' in response.content


def test_blns_as_reply_text_never_500s(client, engage):
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    api = api_for(engage["author"])
    url = reverse("reply_create", args=[engage["brand"].slug, conversation.pk])
    preview = reverse("reply_preview", args=[engage["brand"].slug, conversation.pk])
    for text in BLNS:
        r1 = client.post(preview, {"text": text})
        assert r1.status_code == 200, text
        r2 = api.post(
            f"/api/conversations/{conversation.pk}/replies/", {"text": text}, format="json"
        )
        assert r2.status_code in (201, 400), (text, r2.status_code)
        if r2.status_code == 201:
            assert Message.objects.get(pk=r2.json()["id"]).text == text
    r3 = client.post(url, {"text": BLNS[-1]})
    assert r3.status_code in (302, 400)


# --- who may -----------------------------------------------------------------------------


def test_another_brand_cannot_see_or_reply(engage, make_user, make_brand):
    conversation = customer_writes(engage)
    stranger = make_user("stranger")
    make_brand("elsewhere", admin=stranger)
    response = api_for(stranger).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 404
    from django.test import Client

    web = Client()
    web.force_login(stranger)
    for name in ("conversation_respond",):
        assert (
            web.get(reverse(name, args=[engage["brand"].slug, conversation.pk])).status_code == 404
        )
    # The right brand slug does not help with another brand's conversation id.
    assert (
        web.get(reverse("conversation_respond", args=["elsewhere", conversation.pk])).status_code
        == 404
    )
    assert (
        web.post(
            reverse("reply_create", args=["elsewhere", conversation.pk]), {"text": "hi"}
        ).status_code
        == 404
    )


def test_a_member_who_may_not_use_the_channel_does_not_see_it(engage):
    conversation = customer_writes(engage)
    response = api_for(engage["trainer"]).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "hi"}, format="json"
    )
    assert response.status_code == 404


def test_an_approver_may_not_write_a_reply(engage):
    conversation = customer_writes(engage)
    response = api_for(engage["approver1"]).post(
        f"/api/conversations/{conversation.pk}/replies/", {"text": "@carol hi"}, format="json"
    )
    assert response.status_code == 403
    assert "author" in response.json()["detail"].lower()


def test_a_reply_id_of_another_conversation_is_404(client, engage):
    set_mode(engage, ReplyApprovalMode.ONE)
    first = customer_writes(engage)
    second = customer_writes(engage)
    reply = replies.reply_create(conversation=first, actor=engage["author"], text="@carol one")
    client.force_login(engage["approver1"])
    url = reverse("reply_approve", args=[engage["brand"].slug, second.pk, reply.pk])
    assert client.post(url).status_code == 404
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.PENDING_APPROVAL
    assert Conversation.objects.count() == 2


def test_after_a_refusal_the_next_send_comes_back_to_the_conversation_page(client, engage):
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    detail = reverse("conversation_detail", args=[engage["brand"].slug, conversation.pk])
    url = reverse("reply_create", args=[engage["brand"].slug, conversation.pk])
    refused = client.post(url, {"text": f"@carol {BANNED}", "next": detail})
    assert refused.status_code == 400
    assert f'name="next" value="{detail}"'.encode() in refused.content
    ok = client.post(url, {"text": "@carol Fixed text.", "next": detail})
    assert ok.status_code == 302 and ok["Location"] == detail
    outside = client.post(url, {"text": "@carol again", "next": "https://evil.example/"})
    assert outside["Location"] == detail


def test_an_approver_approves_on_the_conversation_page(client, engage):
    set_mode(engage, ReplyApprovalMode.ONE)
    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol ok"
    )
    detail = reverse("conversation_detail", args=[engage["brand"].slug, conversation.pk])
    client.force_login(engage["author"])
    assert b'data-testid="reply-approve"' not in client.get(detail).content  # not their own
    client.force_login(engage["approver1"])
    page = client.get(detail)
    assert b'data-testid="reply-approve"' in page.content
    url = reverse("reply_approve", args=[engage["brand"].slug, conversation.pk, reply.pk])
    assert client.post(url, {"next": detail})["Location"] == detail
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.APPROVED
    assert engage["queued"] == [reply.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_reply_send_it_once(engage, monkeypatch):
    """Two workers got the same doorbell: on their own PostgreSQL connections, one marks the
    reply in flight and sends; the other finds it taken and sends nothing."""
    import threading

    from django.db import connection

    from platforms.mastodon import MastodonClient

    conversation = customer_writes(engage)
    reply = replies.reply_create(
        conversation=conversation, actor=engage["author"], text="@carol 1x"
    )
    both_checked = threading.Barrier(2, timeout=10)
    real = replies.reply_checks

    def checks_then_wait(message):
        result = real(message)
        if not connection.in_atomic_block:  # the first look, before the row lock
            both_checked.wait()  # both pass it before either marks the reply in flight
        return result

    monkeypatch.setattr(replies, "reply_checks", checks_then_wait)
    calls = []
    real_reply = MastodonClient.reply

    def counted(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        return real_reply(self, **kwargs)

    monkeypatch.setattr(MastodonClient, "reply", counted)
    results = {}

    def run(key):
        try:
            results[key] = replies.reply_send(message_id=reply.pk).result
        except Exception as exc:  # the outcome is what the test inspects
            results[key] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(str, results.values())) == ["sent", "skipped"], results
    assert len(calls) == 1
    assert len(reply_statuses(engage["mastodon"])) == 1


def test_an_unreachable_identity_check_retries_then_fails(engage, monkeypatch):
    conversation = customer_writes(engage)
    reply = replies.reply_create(conversation=conversation, actor=engage["author"], text="@c x5")
    from platforms import errors as platform_errors
    from platforms.mastodon import MastodonClient

    def down(self):
        raise platform_errors.PlatformUnavailable("no route", platform="mastodon")

    monkeypatch.setattr(MastodonClient, "whoami", down)
    publishing.clear_caches()
    for _ in range(replies.MAX_SEND_ATTEMPTS - 1):
        outcome = replies.reply_send(message_id=reply.pk)
        assert outcome.result == "retry" and outcome.retry_in > 0
    assert replies.reply_send(message_id=reply.pk).result == "failed"
    assert reply_statuses(engage["mastodon"]) == []


def test_a_lost_doorbell_is_rung_again(engage, monkeypatch):
    from django.utils import timezone

    from planner.engagement import reply_tasks

    conversation = customer_writes(engage)
    reply = replies.reply_create(conversation=conversation, actor=engage["author"], text="@c x6")
    assert replies.replies_to_send_again() == []  # just enqueued: give it time
    later = timezone.now() + replies.RECONCILE_AFTER
    assert replies.replies_to_send_again(now=later) == [reply.pk]
    rung = []
    monkeypatch.setattr(reply_tasks.send_reply, "delay", rung.append)
    monkeypatch.setattr(replies, "replies_to_send_again", lambda: [reply.pk])
    reply_tasks.reconcile_replies()
    assert rung == [reply.pk]


def test_another_brand_cannot_approve_a_reply(engage, make_user, make_brand):
    set_mode(engage, ReplyApprovalMode.ONE)
    conversation = customer_writes(engage)
    reply = replies.reply_create(conversation=conversation, actor=engage["author"], text="@c hi")
    stranger = make_user("stranger-approver")
    make_brand("elsewhere", admin=stranger)
    assert api_for(stranger).post(f"/api/replies/{reply.pk}/approve/").status_code == 404
    assert api_for(engage["trainer"]).post(f"/api/replies/{reply.pk}/approve/").status_code == 404
    for bad in ("0", "99999999999999999999", "abc"):
        assert api_for(engage["approver1"]).post(f"/api/replies/{bad}/approve/").status_code == 404
    reply.refresh_from_db()
    assert reply.reply_status == ReplyStatus.PENDING_APPROVAL
