"""Approvals in the browser's terms (Django's test client): the post page's review panel and
timeline, submit/approve/reject forms (tampering refused with a 4xx and an audit entry), the
inbox, the approval rules page, and notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditEvent, Notification, Role
from planner.models import Approval, Post, Status
from planner.posts import services
from planner.review import services as review_services
from tests.planner.conftest import BANNED, soon


def url(name, post, **extra):
    return reverse(name, kwargs={"slug": post.brand.slug, "pk": post.pk, **extra})


def refused(post, action):
    return AuditEvent.objects.filter(
        action=f"post.{action}_refused", object_type="post", object_id=str(post.pk)
    )


@pytest.fixture
def in_review(team, make_post):
    post = make_post("Autumn menu is live #food #new", when=soon(3))
    return review_services.post_submit(post_id=post.pk, actor=team["author"])


def test_submit_from_the_post_page(client, team, make_post):
    post = make_post(when=soon(2))
    client.force_login(team["author"])
    page = client.get(url("post_detail", post)).content.decode()
    assert 'data-testid="submit-form"' in page and 'data-testid="approve-form"' not in page
    response = client.post(url("post_submit", post))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Status.IN_REVIEW


def test_a_blocked_submit_shows_the_findings_in_place(client, team, make_post):
    post = make_post(f"Please {BANNED} responsibly", when=soon(2))
    client.force_login(team["author"])
    response = client.post(url("post_submit", post))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="review-error"' in html and "We never say frobnicate." in html
    assert f'<mark class="finding-block" title="We never say frobnicate.">{BANNED}</mark>' in html
    assert refused(post, "submit").count() == 1


def test_a_blocked_submit_of_several_lines_shows_the_finding_on_its_line(client, team, make_post):
    evaded = f"{BANNED[:3]}.{BANNED[3:]}"
    post = make_post(f"Recap:\nwww.example.com\n{evaded}.now", when=soon(2))
    client.force_login(team["author"])
    response = client.post(url("post_submit", post))
    assert response.status_code == 409
    assert f'<mark class="finding-block" title="We never say frobnicate.">{evaded}</mark>' in (
        response.content.decode()
    )


def test_approvers_see_the_review_and_approve_the_version_they_saw(client, team, in_review):
    client.force_login(team["approver1"])
    page = client.get(url("post_detail", in_review)).content.decode()
    assert 'data-testid="approve-form"' in page
    assert f'name="content_hash" value="{in_review.content_hash}"' in page
    assert 'data-testid="review-findings"' in page and "At most one hashtag." in page
    assert 'data-testid="identity-chip"' in page
    assert 'data-testid="timeline"' in page and "post.submit" in page
    response = client.post(url("post_approve", in_review), {"content_hash": in_review.content_hash})
    assert response.status_code == 302
    assert Approval.objects.filter(post=in_review, approver=team["approver1"]).exists()
    page = client.get(url("post_detail", in_review)).content.decode()
    assert "You have already approved this version." in page
    assert 'data-testid="approve-form"' not in page


def test_a_tampered_hash_is_refused(client, team, in_review):
    client.force_login(team["approver1"])
    response = client.post(url("post_approve", in_review), {"content_hash": "f" * 64})
    assert response.status_code == 409
    assert "changed since you looked" in response.content.decode()
    assert not Approval.objects.exists()
    assert refused(in_review, "approve").get().data["content_hash_given"] == "f" * 64


@pytest.mark.parametrize(
    "data",
    [
        {},  # no hash at all
        {"content_hash": "x" * 65},
    ],
)
def test_a_missing_or_malformed_hash_is_a_400(client, team, in_review, data):
    client.force_login(team["approver1"])
    response = client.post(url("post_approve", in_review), data)
    assert response.status_code == 400
    assert refused(in_review, "approve").get().data["code"] == "invalid"
    assert not Approval.objects.exists()


def test_a_forged_field_is_refused(client, team, in_review):
    client.force_login(team["approver1"])
    response = client.post(
        url("post_approve", in_review),
        {"content_hash": in_review.content_hash, "status": "approved"},
    )
    assert response.status_code == 400
    assert "Unexpected field: status" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW and not Approval.objects.exists()
    assert "status" in refused(in_review, "approve").get().message
    client.force_login(team["author"])
    draft = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="x",
        category="news",
    )
    assert client.post(url("post_submit", draft), {"status": "approved"}).status_code == 400
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and refused(draft, "submit").exists()


def test_the_author_cannot_approve_through_the_form(client, team, in_review):
    account_services.membership_set(
        brand=team["brand"], user=team["author"], roles=[Role.AUTHOR, Role.APPROVER], actor=None
    )
    client.force_login(team["author"])
    page = client.get(url("post_detail", in_review)).content.decode()
    assert "You wrote this post" in page and 'data-testid="approve-form"' not in page
    response = client.post(url("post_approve", in_review), {"content_hash": in_review.content_hash})
    assert response.status_code == 403
    assert refused(in_review, "approve").get().data["code"] == "own_post"


def test_another_brand_gets_a_404_and_is_not_recorded_in_the_brand(
    client, team, other, in_review, caplog
):
    client.force_login(other["admin"])
    wrong_brand = reverse("post_approve", kwargs={"slug": "other", "pk": in_review.pk})
    with caplog.at_level("WARNING", logger="countersign.security"):
        assert client.post(wrong_brand, {"content_hash": in_review.content_hash}).status_code == 404
        assert client.post(url("post_approve", in_review), {}).status_code == 404
    # Not written into a brand the person cannot see; their own security log has it.
    assert not refused(in_review, "approve").exists()
    assert "post.approve_refused" in caplog.text and other["admin"].username in caplog.text


def test_reject_from_the_post_page(client, team, in_review):
    client.force_login(team["approver2"])
    response = client.post(url("post_reject", in_review), {"reason": ""})
    assert response.status_code == 400 and refused(in_review, "reject").exists()
    response = client.post(url("post_reject", in_review), {"reason": "Which menu?"})
    assert response.status_code == 302
    client.force_login(team["author"])
    page = client.get(url("post_detail", in_review)).content.decode()
    assert 'data-testid="rejection-reason"' in page and "Which menu?" in page
    assert "approver2" in page


def test_approved_undated_posts_say_they_will_not_be_sent(client, team, make_post):
    post = review_services.post_submit(post_id=make_post("Undated").pk, actor=team["author"])
    for name in ("approver1", "approver2"):
        review_services.approval_grant(post_id=post.pk, actor=team[name])
    client.force_login(team["author"])
    page = client.get(url("post_detail", post)).content.decode()
    assert 'data-testid="undated-approved"' in page
    assert page.count('data-testid="approval"') == 2


def test_the_post_page_does_not_query_per_approval(client, team, in_review, make_user):
    from tests.planner.conftest import count_queries

    client.force_login(team["author"])
    review_services.approval_grant(post_id=in_review.pk, actor=team["approver1"])

    def call():
        return client.get(url("post_detail", in_review))

    one = count_queries(call)
    services.post_update(post=in_review, actor=team["author"], text="New words")
    for name in ("approver1", "approver2"):
        review_services.approval_grant(post_id=in_review.pk, actor=team[name])
    # Three approval rows now (one dismissed), two live approvers: the same page, same queries
    # but for one permission check per extra live approver.
    assert count_queries(call) <= one + 3


def test_the_inbox_page(client, team, in_review):
    client.force_login(team["approver1"])
    client.get(url("post_detail", in_review))  # looked at revision 1
    services.post_update(post=in_review, actor=team["author"], text="Autumn menu, now with soup")
    response = client.get(reverse("approval_inbox", args=["team"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="inbox-item"') == 1
    assert 'data-testid="inbox-diff"' in html and "soup" in html
    assert 'data-testid="identity-chip"' in html
    client.force_login(team["author"])
    html = client.get(reverse("approval_inbox", args=["team"])).content.decode()
    assert 'data-testid="inbox-empty"' in html


def test_the_approval_rules_page_is_for_admins(client, team):
    page = reverse("approval_settings", args=["team"])
    client.force_login(team["author"])
    assert client.get(page).status_code == 403
    client.force_login(team["admin"])
    assert client.get(page).status_code == 200
    assert client.post(page, {"form": "count", "approvals_required": "3"}).status_code == 302
    team["brand"].refresh_from_db()
    assert team["brand"].approvals_required == 3
    response = client.post(
        page, {"form": "channel", "channel": team["channel"].pk, "required": "2"}
    )
    assert response.status_code == 400 and "only raise" in response.content.decode()
    response = client.post(
        page, {"form": "channel", "channel": team["channel"].pk, "required": "4"}
    )
    assert response.status_code == 302
    team["channel"].refresh_from_db()
    assert team["channel"].approvals_required == 4
    response = client.post(
        page, {"form": "step", "name": "Legal", "required": "1", "role": "approver", "group": ""}
    )
    assert response.status_code == 302
    html = client.get(page).content.decode()
    assert html.count('data-testid="approval-step"') == 1 and "Legal" in html
    step = team["brand"].approval_steps.get()
    edit = reverse("approval_step_edit", args=["team", step.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "Legal team", "required": "2", "role": "admin"})
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.name, step.required, step.role) == ("Legal team", 2, "admin")
    action = reverse("approval_step_action", args=["team", step.pk])
    assert client.post(action, {"action": "delete"}).status_code == 302
    assert not team["brand"].approval_steps.exists()


def test_notifications_page_badge_and_mark_read(
    client, team, make_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = review_services.post_submit(post_id=make_post(when=soon(2)).pk, actor=team["author"])
    client.force_login(team["approver1"])
    home = client.get(reverse("post_list", args=["team"])).content.decode()
    assert 'data-testid="unread-count">1<' in home
    page = client.get(reverse("notification_list")).content.decode()
    assert page.count('data-testid="notification"') == 1 and "Awaiting your approval" in page
    note = Notification.objects.get(user=team["approver1"])
    response = client.post(reverse("notification_read"), {"pk": note.pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == url("post_detail", post)
    note.refresh_from_db()
    assert note.read_at is not None
    home = client.get(reverse("post_list", args=["team"])).content.decode()
    assert 'data-testid="unread-count"' not in home
    # Someone else's notification is not mine to mark.
    other_note = Notification.objects.create(user=team["approver2"], kind="x", subject="x")
    client.post(reverse("notification_read"), {"pk": other_note.pk})
    other_note.refresh_from_db()
    assert other_note.read_at is None
    assert client.post(reverse("notification_read"), {"pk": "nope"}).status_code == 400
    assert Post.objects.get(pk=post.pk).status == Status.IN_REVIEW
