"""Races, for real: two threads, two PostgreSQL connections, no mocks.

- Two approvals arriving together both count, exactly once, and the post is approved once.
- An edit racing an approval never leaves a live approval attached to content it did not see:
  the approval is refused (the hash it carried is stale) or it is dismissed by the edit.
"""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.models import AuditEvent, Role
from config.errors import DomainError
from planner.models import Approval, Post, Status
from planner.posts import services
from planner.review import services as review_services
from tests.planner.conftest import soon
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 8


def test_two_approvals_together_count_once_each_and_approve_once(team, make_post):
    for _ in range(ROUNDS):
        post = review_services.post_submit(
            post_id=make_post("Race me", when=soon(2)).pk, actor=team["author"]
        )
        results = race(
            lambda post=post: review_services.approval_grant(
                post_id=post.pk, actor=team["approver1"], content_hash=post.content_hash
            ),
            lambda post=post: review_services.approval_grant(
                post_id=post.pk, actor=team["approver2"], content_hash=post.content_hash
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        post.refresh_from_db()
        assert post.status == Status.APPROVED
        live = Approval.objects.filter(post=post, dismissed_at__isnull=True)
        assert sorted(live.values_list("approver__username", flat=True)) == [
            "approver1",
            "approver2",
        ]
        moves = AuditEvent.objects.filter(action="post.approve", object_id=str(post.pk))
        assert moves.count() == 1


def test_the_same_person_twice_together_counts_once(team, make_post):
    post = review_services.post_submit(
        post_id=make_post("Double click", when=soon(2)).pk, actor=team["author"]
    )
    results = race(
        *[
            lambda: review_services.approval_grant(post_id=post.pk, actor=team["approver1"])
            for _ in range(3)
        ]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(
        getattr(r, "code", None) == "already_approved" for r in results if isinstance(r, Exception)
    )
    assert Approval.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.status == Status.IN_REVIEW


@pytest.mark.parametrize("send_hash", [True, False], ids=["with-hash", "without-hash"])
def test_an_edit_racing_an_approval_never_leaves_it_on_unseen_content(team, make_post, send_hash):
    account_services.membership_set(
        brand=team["brand"], user=team["admin"], roles=[Role.ADMIN, Role.AUTHOR], actor=None
    )
    outcomes = set()
    for n in range(ROUNDS):
        post = review_services.post_submit(
            post_id=make_post(f"Version one, round {n}", when=soon(2)).pk, actor=team["author"]
        )
        seen = post.content_hash
        results = race(
            lambda post=post, seen=seen: review_services.approval_grant(
                post_id=post.pk,
                actor=team["approver1"],
                content_hash=seen if send_hash else None,
            ),
            lambda post=post, n=n: services.post_update(
                post=post, actor=team["admin"], text=f"Version two, round {n}"
            ),
        )
        approved, edited = results
        assert not isinstance(edited, Exception), edited
        post = Post.objects.get(pk=post.pk)
        assert post.status == Status.IN_REVIEW and post.content_hash != seen
        live = list(Approval.objects.filter(post=post, dismissed_at__isnull=True))
        # Never a live approval of content other than the current.
        assert all(a.content_hash == post.content_hash for a in live)
        if isinstance(approved, Exception):
            assert isinstance(approved, DomainError) and approved.code == "stale_content"
            assert send_hash and live == []
            outcomes.add("refused")
        elif Approval.objects.filter(post=post, content_hash=seen).exists():
            # The approval came first: the edit dismissed it.
            assert live == [] and Approval.objects.get(post=post).dismissed_at is not None
            outcomes.add("dismissed")
        else:
            # No hash sent and the edit came first: the approval is for the new content.
            assert not send_hash and [a.content_hash for a in live] == [post.content_hash]
            outcomes.add("new-content")
    assert outcomes  # at least one round ran to an outcome the rules allow
