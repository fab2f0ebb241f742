"""Notifications about a post resolve when the post moves on: "Awaiting your approval: post 11"
is not new any more once post 11 is approved, sent back or published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notification_resolve
from planner import lifecycle
from planner.models import Status
from planner.posts import services
from planner.review import services as review_services


@pytest.fixture
def post(brand_with_team):
    team = brand_with_team
    return services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="New season, new menu",
        category="news",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )


def unread(post, kind, user=None):
    qs = Notification.objects.filter(url=post.get_absolute_url(), kind=kind, read_at__isnull=True)
    return qs.filter(user=user) if user is not None else qs


def test_awaiting_notices_resolve_when_the_post_is_approved_and_published(brand_with_team, post):
    team = brand_with_team
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    assert unread(post, review_services.NOTICE_AWAITING).count() == 2  # both approvers
    review_services.approval_grant(post_id=post.pk, actor=team["approver1"])
    review_services.approval_grant(post_id=post.pk, actor=team["approver2"])
    assert unread(post, review_services.NOTICE_AWAITING).count() == 0
    assert (
        Notification.objects.filter(kind=review_services.NOTICE_AWAITING).count() == 2
    )  # kept, read
    assert unread(post, review_services.NOTICE_APPROVED, team["author"]).count() == 1
    lifecycle.transition(post.pk, to=Status.PUBLISHING, actor=None)
    assert unread(post, review_services.NOTICE_APPROVED).count() == 1  # still true while it is sent
    lifecycle.transition(post.pk, to=Status.PUBLISHED, actor=None)
    assert unread(post, review_services.NOTICE_APPROVED).count() == 0


def test_awaiting_notices_resolve_when_the_post_is_sent_back_and_rejections_on_resubmit(
    brand_with_team, post
):
    team = brand_with_team
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    review_services.post_reject(post_id=post.pk, actor=team["approver1"], reason="Not this week")
    assert unread(post, review_services.NOTICE_AWAITING).count() == 0
    assert unread(post, review_services.NOTICE_REJECTED, team["author"]).count() == 1
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    assert unread(post, review_services.NOTICE_REJECTED).count() == 0
    assert unread(post, review_services.NOTICE_AWAITING).count() == 2  # the new round is new


def test_notices_of_other_posts_and_other_kinds_stay(brand_with_team, post):
    team = brand_with_team
    other = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="Another one",
        category="news",
        scheduled_at=timezone.now() + dt.timedelta(days=3),
    )
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    review_services.post_submit(post_id=other.pk, actor=team["author"])
    failed = Notification.objects.create(
        user=team["admin"],
        brand=team["brand"],
        kind="post.failed",
        subject="x",
        url=post.get_absolute_url(),
    )
    review_services.post_reject(post_id=post.pk, actor=team["approver1"], reason="No")
    assert unread(other, review_services.NOTICE_AWAITING).count() == 2
    failed.refresh_from_db()
    assert failed.read_at is None


def test_every_post_notice_kind_says_when_it_applies():
    kinds = {
        value
        for name, value in vars(review_services).items()
        if name.startswith("NOTICE_") and isinstance(value, str)
    }
    assert kinds and kinds <= set(lifecycle.NOTICE_STILL_APPLIES)
    for live in lifecycle.NOTICE_STILL_APPLIES.values():
        assert live <= set(Status)


def test_resolve_asks_for_a_url_and_kinds(brand_with_team):
    assert notification_resolve(url="", kinds=["approval.awaiting"]) == 0
    assert notification_resolve(url="/b/team/posts/1/", kinds=[]) == 0


def test_my_awaiting_notice_resolves_when_i_approve(brand_with_team, post):
    team = brand_with_team
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    review_services.approval_grant(post_id=post.pk, actor=team["approver1"])
    assert unread(post, review_services.NOTICE_AWAITING, team["approver1"]).count() == 0
    assert unread(post, review_services.NOTICE_AWAITING, team["approver2"]).count() == 1
