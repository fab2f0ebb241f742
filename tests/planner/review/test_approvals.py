"""Approvals through the services: submit, approve, reject, edits that dismiss, steps, the
inbox, notifications and the audit trail. Data is made through the real services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent, Notification, Role
from config.errors import Conflict, NotAllowed, NotFoundError
from planner import lifecycle
from planner.models import Approval, Post, Status
from planner.posts import services
from planner.review import approval_rules
from planner.review import selectors as review_selectors
from planner.review import services as review_services
from tests.planner.conftest import BANNED, count_queries, make_channel, png, soon


def submit(post, who):
    return review_services.post_submit(post_id=post.pk, actor=who)


def approve(post, who, content_hash=None):
    return review_services.approval_grant(post_id=post.pk, actor=who, content_hash=content_hash)


def refusals(post, action):
    return list(
        AuditEvent.objects.filter(
            action=f"post.{action}_refused", object_type="post", object_id=str(post.pk)
        ).order_by("id")
    )


def kinds(user):
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


@pytest.fixture
def in_review(team, make_post):
    post = make_post("Autumn menu is live #food", when=soon(3))
    return submit(post, team["author"])


# --- submit --------------------------------------------------------------------------------


def test_submit_runs_the_policy_and_keeps_its_warnings(
    team, make_post, django_capture_on_commit_callbacks
):
    post = make_post("Two tags #one #two", when=soon(2))
    with django_capture_on_commit_callbacks(execute=True):
        moved = submit(post, team["author"])
    assert moved.status == Status.IN_REVIEW
    assert moved.submitted_at is not None and moved.review_policy_version == 1
    assert [f["rule"] for f in moved.review_findings] == ["few-hashtags"]
    assert moved.review_findings[0]["severity"] == "warn"
    event = AuditEvent.objects.get(action="post.submit", object_id=str(post.pk))
    assert event.data["policy_version"] == 1 and event.data["content_hash"] == post.content_hash
    assert event.data["from"] == "draft" and event.data["to"] == "in_review"
    # The approvers of the (implicit) step are told, in-app and by email.
    assert kinds(team["approver1"]) == kinds(team["approver2"]) == [review_services.NOTICE_AWAITING]
    assert kinds(team["author"]) == [] and kinds(team["trainer"]) == []
    assert sorted(m.to[0] for m in mail.outbox) == [
        "approver1@example.com",
        "approver2@example.com",
    ]
    assert "Awaiting your approval" in mail.outbox[0].subject


def test_a_blocking_finding_refuses_submit_with_the_findings(team, make_post):
    text = f"Time to {BANNED} the kettles"
    post = make_post(text)
    with pytest.raises(review_services.PolicyBlocked) as exc:
        submit(post, team["author"])
    assert exc.value.status_code == 409 and exc.value.code == "policy_blocked"
    (finding,) = exc.value.details["findings"]
    assert text[finding["start"] : finding["end"]] == BANNED
    assert exc.value.details["blocked"] is True
    assert exc.value.details["policy_version"] == 1
    post.refresh_from_db()
    assert post.status == Status.DRAFT
    (refused,) = refusals(post, "submit")
    assert refused.actor == team["author"] and refused.data["code"] == "policy_blocked"
    assert refused.data["status"] == "draft"


def test_an_over_long_post_cannot_be_submitted(team):
    channel = make_channel(team["brand"], platform="mastodon", handle="@tiny", max_characters=20)
    post = services.post_create(
        brand=team["brand"], actor=team["author"], channel=channel, text="short", category="news"
    )
    Post.objects.filter(pk=post.pk).update(text="x" * 30)  # as if the limit shrank since
    with pytest.raises(review_services.InvalidInput) as exc:
        submit(post, team["author"])
    assert "Too long" in exc.value.message and exc.value.code == "too_long"
    assert exc.value.status_code == 400 and "text" in exc.value.details["errors"]
    assert refusals(post, "submit")[0].data["http_status"] == 400


def test_only_authors_of_the_channel_submit(team, make_post, other):
    post = make_post()
    with pytest.raises(NotAllowed):
        submit(post, team["approver1"])
    with pytest.raises(NotFoundError):
        submit(post, other["author"])
    # The refused attempt by another brand's person is not written into a brand they cannot
    # see (it goes to the security log instead).
    assert [e.actor for e in refusals(post, "submit")] == [team["approver1"]]


def test_submit_twice_or_after_the_time_passed_is_refused(team, make_post):
    post = make_post(when=soon(2))
    submit(post, team["author"])
    with pytest.raises(lifecycle.TransitionRefused) as exc:
        submit(post, team["author"])
    assert exc.value.code == "wrong_state"
    late = make_post("Too late")
    Post.objects.filter(pk=late.pk).update(scheduled_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(Conflict) as exc:
        submit(late, team["author"])
    assert exc.value.code == "time_passed"


def test_the_certification_gate_is_asked(team, make_post, monkeypatch):
    from policy.training import selectors as training_selectors

    asked = []

    def gate(*, user, brand, role):
        asked.append(role)
        return f"You need a valid policy certification to act as {role}."

    monkeypatch.setattr(training_selectors, "certification_gate", gate)
    post = make_post()
    with pytest.raises(NotAllowed, match="certification to act as author"):
        submit(post, team["author"])
    Post.objects.filter(pk=post.pk).update(status=Status.IN_REVIEW)  # set up the state only
    with pytest.raises(NotAllowed, match="as approver"):
        approve(post, team["approver1"])
    with pytest.raises(NotAllowed, match="as approver"):
        review_services.post_reject(post_id=post.pk, actor=team["approver1"], reason="no")
    assert asked == ["author", "approver", "approver"]


# --- approve -------------------------------------------------------------------------------


def test_two_distinct_approvers_approve(team, in_review, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = approve(in_review, team["approver1"], in_review.content_hash)
    assert first.status == Status.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        done = approve(in_review, team["approver2"], in_review.content_hash)
    assert done.status == Status.APPROVED
    approvals = list(Approval.objects.filter(post=in_review).order_by("id"))
    assert [a.approver for a in approvals] == [team["approver1"], team["approver2"]]
    assert all(a.content_hash == in_review.content_hash and a.is_live for a in approvals)
    assert all(a.revision == 1 and a.policy_version == 1 for a in approvals)
    assert review_selectors.approvals_satisfied(post=done)
    actions = list(
        AuditEvent.objects.filter(object_id=str(in_review.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == ["post.approval_granted", "post.approval_granted", "post.approve"]
    assert kinds(team["author"]) == [review_services.NOTICE_APPROVED]
    assert any(m.to == ["author@example.com"] and "approved" in m.subject for m in mail.outbox)


def test_the_author_and_the_last_editor_never_approve(team, make_post):
    brand = team["brand"]
    for name in ("author", "approver1"):
        account_services.membership_set(
            brand=brand, user=team[name], roles=[Role.AUTHOR, Role.APPROVER], actor=None
        )
    post = make_post(when=soon(2))
    post = services.post_update(post=post, actor=team["approver1"], text="Edited by approver1")
    submit(post, team["author"])
    with pytest.raises(NotAllowed) as exc:
        approve(post, team["author"])
    assert exc.value.code == "own_post"
    with pytest.raises(NotAllowed) as exc:
        approve(post, team["approver1"])
    assert exc.value.code == "last_editor"
    assert [e.data["code"] for e in refusals(post, "approve")] == ["own_post", "last_editor"]
    assert not Approval.objects.exists()


def test_one_person_approves_once(team, in_review):
    approve(in_review, team["approver1"])
    with pytest.raises(Conflict) as exc:
        approve(in_review, team["approver1"])
    assert exc.value.code == "already_approved"
    assert Approval.objects.filter(post=in_review).count() == 1
    assert refusals(in_review, "approve")[0].data["code"] == "already_approved"


def test_the_channel_restriction_is_respected(team, make_post):
    account_services.membership_set(
        brand=team["brand"],
        user=team["approver2"],
        roles=[Role.APPROVER],
        actor=None,
        channels=[team["second"]],
    )
    post = submit(make_post(when=soon(2)), team["author"])
    with pytest.raises(NotAllowed) as exc:
        approve(post, team["approver2"])
    assert "@team" in exc.value.message
    assert refusals(post, "approve")[0].actor == team["approver2"]


def test_another_brands_approver_gets_a_404(team, in_review, other, make_user):
    outsider = make_user("other-approver")
    account_services.membership_set(
        brand=other["brand"], user=outsider, roles=[Role.APPROVER], actor=None
    )
    with pytest.raises(NotFoundError):
        approve(in_review, outsider)
    with pytest.raises(NotFoundError):
        review_services.approval_grant(
            post_id=in_review.pk, actor=team["approver1"], brand=other["brand"]
        )
    # Only the attempt by someone who may see the post is in its brand's trail; the
    # outsider's goes to the security log.
    (only,) = refusals(in_review, "approve")
    assert only.actor == team["approver1"] and only.data["code"] == "not_found"


def test_approving_a_post_in_the_wrong_state(team, make_post):
    post = make_post()
    with pytest.raises(lifecycle.TransitionRefused) as exc:
        approve(post, team["approver1"])
    assert exc.value.code == "wrong_state" and exc.value.status_code == 409
    assert refusals(post, "approve")[0].data["status"] == "draft"


def test_the_approval_is_bound_to_the_hash_the_approver_saw(team, in_review):
    with pytest.raises(review_services.StaleContent) as exc:
        approve(in_review, team["approver1"], content_hash="0" * 64)
    assert exc.value.status_code == 409
    assert "changed since you looked" in exc.value.message
    assert exc.value.details["content_hash"] == in_review.content_hash
    event = refusals(in_review, "approve")[0]
    assert event.data["content_hash_given"] == "0" * 64
    assert not Approval.objects.exists()


def test_approved_after_its_time_is_held(team, in_review, django_capture_on_commit_callbacks):
    approve(in_review, team["approver1"])
    Post.objects.filter(pk=in_review.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        held = approve(in_review, team["approver2"])
    assert held.status == Status.HELD
    assert "re-confirm a time" in held.held_reason
    actions = list(
        AuditEvent.objects.filter(object_id=str(in_review.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["post.approve", "post.hold"]
    assert kinds(team["author"]) == [review_services.NOTICE_HELD]


def test_undated_approved_posts_stay_approved(team, make_post):
    post = submit(make_post("Undated"), team["author"])
    approve(post, team["approver1"])
    assert approve(post, team["approver2"]).status == Status.APPROVED


def test_a_policy_that_changed_to_block_stops_the_approval(team, in_review):
    from policy import selectors as policy_selectors
    from policy import services as policy_services

    rules = policy_selectors.policy_current(brand=team["brand"]).rules
    policy_services.policy_version_create(
        brand=team["brand"],
        actor=None,
        rules=[
            *rules,
            {
                "id": "no-autumn",
                "kind": "banned_terms",
                "severity": "block",
                "message": "Not autumn.",
                "terms": ["autumn"],
            },
        ],
    )
    with pytest.raises(review_services.PolicyBlocked) as exc:
        approve(in_review, team["approver1"])
    assert exc.value.details["policy_version"] == 2


# --- edits dismiss approvals -------------------------------------------------------------


def test_editing_an_approved_post_sends_it_back_to_review(
    team, in_review, django_capture_on_commit_callbacks
):
    account_services.membership_set(
        brand=team["brand"], user=team["admin"], roles=[Role.ADMIN, Role.AUTHOR], actor=None
    )
    approve(in_review, team["approver1"])
    approve(in_review, team["approver2"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edited = services.post_update(post=in_review, actor=team["admin"], text="Winter menu")
    assert edited.status == Status.IN_REVIEW
    assert edited.last_editor == team["admin"] and edited.revision == 2
    rows = list(Approval.objects.filter(post=in_review))
    assert len(rows) == 2 and all(not a.is_live for a in rows)
    assert all("revision 2" in a.dismissed_reason for a in rows)
    assert not review_selectors.approvals_satisfied(post=edited)
    for name in ("approver1", "approver2"):
        assert review_services.NOTICE_DISMISSED in kinds(team[name])
    assert any("was dismissed" in m.subject for m in mail.outbox)
    edit_event = AuditEvent.objects.get(action="post.edit", object_id=str(in_review.pk))
    assert edit_event.data["from"] == "approved" and edit_event.data["to"] == "in_review"
    dismissed = AuditEvent.objects.get(action="post.approvals_dismissed")
    assert sorted(dismissed.data["approvers"]) == sorted(
        [team["approver1"].pk, team["approver2"].pk]
    )
    # Both may approve the new version.
    approve(edited, team["approver1"], edited.content_hash)
    assert approve(edited, team["approver2"], edited.content_hash).status == Status.APPROVED


@pytest.mark.parametrize(
    "change",
    [
        {"text": "New words"},
        {"category": "news"},
        {"channel": "second"},
    ],
)
def test_any_content_edit_in_review_dismisses(team, in_review, change):
    approve(in_review, team["approver1"])
    if change.get("channel"):
        change = {"channel": team["second"]}
    edited = services.post_update(post=in_review, actor=team["author"], **change)
    assert edited.status == Status.IN_REVIEW
    assert not Approval.objects.filter(post=in_review, dismissed_at__isnull=True).exists()


def test_a_media_change_dismisses_too(team, in_review):
    approve(in_review, team["approver1"])
    services.media_attach(
        post=in_review,
        actor=team["author"],
        upload=services.MediaUpload(file=png(), alt_text="A cake"),
    )
    assert not Approval.objects.filter(post=in_review, dismissed_at__isnull=True).exists()


def test_an_edit_under_review_must_pass_the_policy(team, in_review):
    with pytest.raises(review_services.PolicyBlocked):
        services.post_update(post=in_review, actor=team["author"], text=f"We {BANNED}")
    in_review.refresh_from_db()
    assert in_review.text == "Autumn menu is live #food" and in_review.revision == 1


def test_rescheduling_keeps_approvals_and_refuses_the_past(team, in_review):
    approve(in_review, team["approver1"])
    approve(in_review, team["approver2"])
    moved = services.post_reschedule(post=in_review, actor=team["author"], scheduled_at=soon(5))
    assert moved.status == Status.APPROVED and moved.content_hash == in_review.content_hash
    assert Approval.objects.filter(post=in_review, dismissed_at__isnull=True).count() == 2
    assert moved.last_editor == team["author"]  # the time is not content
    with pytest.raises(ValidationError, match="future"):
        services.post_reschedule(
            post=in_review, actor=team["author"], scheduled_at=timezone.now() - dt.timedelta(1)
        )
    undated = services.post_reschedule(post=in_review, actor=team["author"], scheduled_at=None)
    assert undated.status == Status.APPROVED


def test_a_campaign_change_keeps_approvals(team, in_review):
    campaign = services.campaign_create(brand=team["brand"], actor=team["author"], name="Autumn")
    approve(in_review, team["approver1"])
    services.post_update(post=in_review, actor=team["author"], campaign=campaign)
    assert Approval.objects.filter(post=in_review, dismissed_at__isnull=True).count() == 1


def test_published_and_held_posts_are_not_editable(team, make_post):
    post = make_post()
    for status in (Status.PUBLISHING, Status.PUBLISHED, Status.HELD, Status.FAILED):
        Post.objects.filter(pk=post.pk).update(status=status)  # set up the state only
        post.refresh_from_db()
        with pytest.raises(lifecycle.TransitionRefused):
            services.post_update(post=post, actor=team["author"], text="changed")


# --- reject --------------------------------------------------------------------------------


def test_reject_needs_a_reason_and_goes_back_to_the_author(
    team, in_review, django_capture_on_commit_callbacks
):
    approve(in_review, team["approver1"])
    with pytest.raises(review_services.InvalidInput) as exc:
        review_services.post_reject(post_id=in_review.pk, actor=team["approver2"], reason="   ")
    assert "reason" in exc.value.details["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        back = review_services.post_reject(
            post_id=in_review.pk, actor=team["approver2"], reason="Say which menu."
        )
    assert back.status == Status.DRAFT
    assert back.rejection_reason == "Say which menu." and back.rejected_by == team["approver2"]
    assert not Approval.objects.filter(post=in_review, dismissed_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="post.reject", object_id=str(in_review.pk))
    assert event.message == "Say which menu." and event.actor == team["approver2"]
    assert kinds(team["author"]) == [review_services.NOTICE_REJECTED]
    assert any("Say which menu." in m.body for m in mail.outbox if m.to == ["author@example.com"])
    # Resubmitting starts a new round and clears the reason.
    again = submit(back, team["author"])
    assert again.status == Status.IN_REVIEW and again.rejection_reason == ""


def test_reject_refusals(team, in_review, make_post):
    with pytest.raises(NotAllowed):
        review_services.post_reject(post_id=in_review.pk, actor=team["author"], reason="mine")
    draft = make_post()
    with pytest.raises(lifecycle.TransitionRefused):
        review_services.post_reject(post_id=draft.pk, actor=team["approver1"], reason="no")
    assert refusals(in_review, "reject")[0].data["code"] == "needs_approve"
    assert refusals(draft, "reject")[0].data["code"] == "wrong_state"


# --- steps and per-channel counts ----------------------------------------------------------


@pytest.fixture
def legal(team, make_user):
    group = account_services.brand_group_create(brand=team["brand"], name="Legal", actor=None)
    lawyer = make_user("lawyer")
    account_services.membership_set(
        brand=team["brand"], user=lawyer, roles=[Role.APPROVER], actor=None
    )
    account_services.brand_group_member_add(group=group, user=lawyer, actor=None)
    approval_rules.approval_step_create(
        brand=team["brand"], actor=team["admin"], name="Brand", required=1
    )
    approval_rules.approval_step_create(
        brand=team["brand"], actor=team["admin"], name="Legal", required=1, group=group
    )
    return lawyer


def test_a_later_step_waits_for_the_earlier(
    team, make_post, legal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = submit(make_post(when=soon(2)), team["author"])
    # Only the first step's people are told; the lawyer is also an approver, so told too.
    assert review_services.NOTICE_AWAITING in kinds(team["approver1"])
    assert [
        i.post.pk for i in review_selectors.inbox(user=team["approver1"], brand=team["brand"])
    ] == [post.pk]
    assert review_selectors.inbox(user=legal, brand=team["brand"])[0].current.step.name == "Brand"
    with django_capture_on_commit_callbacks(execute=True):
        approve(post, team["approver1"])
    assert review_selectors.inbox(user=team["approver2"], brand=team["brand"]) == []
    assert [i.post.pk for i in review_selectors.inbox(user=legal, brand=team["brand"])] == [post.pk]
    assert kinds(legal).count(review_services.NOTICE_AWAITING) == 2
    with pytest.raises(NotAllowed) as exc:
        approve(post, team["approver2"])
    assert exc.value.code == "wrong_step"
    assert approve(post, legal).status == Status.APPROVED
    steps = [a.step_name for a in Approval.objects.filter(post=post).order_by("id")]
    assert steps == ["Brand", "Legal"]


def test_a_group_step_first_makes_the_brand_step_wait(team, make_post, legal):
    _, legal_step = review_selectors.approval_step_list(brand=team["brand"])
    approval_rules.approval_step_move(step=legal_step, actor=team["admin"], up=True)
    post = submit(make_post(when=soon(2)), team["author"])
    assert review_selectors.inbox(user=team["approver1"], brand=team["brand"]) == []
    with pytest.raises(Conflict) as exc:
        approve(post, team["approver1"])
    assert exc.value.code == "earlier_step_pending"
    approve(post, legal)
    assert approve(post, team["approver1"]).status == Status.APPROVED


def test_a_channel_can_raise_the_count(team, make_post, make_user):
    account_services.channel_set_required_approvals(
        channel=team["channel"], actor=team["admin"], required=3
    )
    third = make_user("approver3")
    account_services.membership_set(
        brand=team["brand"], user=third, roles=[Role.APPROVER], actor=None
    )
    post = submit(make_post(when=soon(2)), team["author"])
    approve(post, team["approver1"])
    assert approve(post, team["approver2"]).status == Status.IN_REVIEW
    assert approve(post, third).status == Status.APPROVED


def test_approval_rules_are_for_admins_and_raise_only(team):
    with pytest.raises(NotAllowed):
        account_services.channel_set_required_approvals(
            channel=team["channel"], actor=team["author"], required=3
        )
    with pytest.raises(ValidationError, match="only raise"):
        account_services.channel_set_required_approvals(
            channel=team["channel"], actor=team["admin"], required=1
        )
    account_services.channel_set_required_approvals(
        channel=team["channel"], actor=team["admin"], required=3
    )
    cleared = account_services.channel_set_required_approvals(
        channel=team["channel"], actor=team["admin"], required=None
    )
    assert cleared.approvals_required is None
    brand = approval_rules.brand_approvals_set(brand=team["brand"], actor=team["admin"], required=3)
    assert brand.approvals_required == 3
    with pytest.raises(ValidationError):
        approval_rules.brand_approvals_set(brand=team["brand"], actor=team["admin"], required=0)
    with pytest.raises(NotAllowed):
        approval_rules.approval_step_create(brand=team["brand"], actor=team["author"], name="X")
    assert AuditEvent.objects.filter(action="channel.approvals_changed").count() == 2


def test_steps_keep_their_order_when_one_goes(team):
    for name in ("One", "Two", "Three"):
        approval_rules.approval_step_create(brand=team["brand"], actor=team["admin"], name=name)
    _, two, three = review_selectors.approval_step_list(brand=team["brand"])
    approval_rules.approval_step_delete(step=two, actor=team["admin"])
    assert [
        (s.order, s.name) for s in review_selectors.approval_step_list(brand=team["brand"])
    ] == [
        (1, "One"),
        (2, "Three"),
    ]
    approval_rules.approval_step_move(step=three, actor=team["admin"], up=True)
    assert [s.name for s in review_selectors.approval_step_list(brand=team["brand"])] == [
        "Three",
        "One",
    ]
    with pytest.raises(Conflict):
        approval_rules.approval_step_create(brand=team["brand"], actor=team["admin"], name="One")
    with pytest.raises(ValidationError):
        approval_rules.approval_step_create(
            brand=team["brand"], actor=team["admin"], name="Bad", role="boss"
        )


# --- the inbox -----------------------------------------------------------------------------


def test_the_inbox_lists_what_i_may_approve_and_what_changed(team, make_post):
    post = submit(make_post("First version #one", when=soon(2)), team["author"])
    assert review_selectors.inbox(user=team["author"], brand=team["brand"]) == []
    (item,) = review_selectors.inbox(user=team["approver1"], brand=team["brand"])
    assert item.seen_revision is None and item.diff is None
    assert "finding-warn" not in str(item.review_html)  # one hashtag is fine
    review_services.review_seen_record(post=post, user=team["approver1"])
    services.post_update(post=post, actor=team["author"], text="Second version #one #two")
    (item,) = review_selectors.inbox(user=team["approver1"], brand=team["brand"])
    assert item.seen_revision == 1
    assert item.diff.older.number == 1 and item.diff.newer.number == 2
    assert "<ins" in str(item.diff.text_html) and "Second" in str(item.diff.text_html)
    assert 'class="finding-warn"' in str(item.review_html)  # the new warning travels
    approve(post, team["approver1"])
    assert review_selectors.inbox(user=team["approver1"], brand=team["brand"]) == []
    assert len(review_selectors.inbox(user=team["approver2"], brand=team["brand"])) == 1


def test_the_inbox_query_count_does_not_grow_with_posts(team, make_post):
    first = submit(make_post("One", when=soon(2)), team["author"])
    approve(first, team["approver2"])

    def call():
        return review_selectors.inbox(user=team["approver1"], brand=team["brand"])

    small = count_queries(call)
    for n in range(4):
        post = submit(make_post(f"More {n}", when=soon(3)), team["author"])
        approve(post, team["approver2"])
    assert len(call()) == 5
    assert count_queries(call) == small
