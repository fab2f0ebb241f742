"""The lifecycle's part in approvals: which states may be edited or moved, and the moves the
review services rely on."""

from __future__ import annotations

from planner import lifecycle
from planner.models import Status


def test_content_is_editable_until_publishing():
    assert {Status.DRAFT, Status.IN_REVIEW, Status.APPROVED} == lifecycle.EDITABLE
    assert {Status.IN_REVIEW, Status.APPROVED} == lifecycle.UNDER_REVIEW
    assert not (lifecycle.EDITABLE & lifecycle.FINAL)
    for status in (Status.PUBLISHING, Status.UNCONFIRMED, Status.HELD):
        assert status not in lifecycle.EDITABLE


def test_times_move_until_publishing_and_approved_ones_only_forward():
    assert Status.APPROVED in lifecycle.RESCHEDULABLE and Status.HELD in lifecycle.RESCHEDULABLE
    assert not (lifecycle.RESCHEDULABLE & {Status.PUBLISHING, Status.UNCONFIRMED})
    assert not (lifecycle.RESCHEDULABLE & lifecycle.FINAL)
    assert lifecycle.FUTURE_ONLY <= lifecycle.RESCHEDULABLE


def test_the_moves_review_relies_on_exist():
    moves = {
        (Status.DRAFT, Status.IN_REVIEW): "submit",
        (Status.IN_REVIEW, Status.APPROVED): "approve",
        (Status.IN_REVIEW, Status.DRAFT): "reject",
        (Status.APPROVED, Status.IN_REVIEW): "edit",
        (Status.APPROVED, Status.HELD): "hold",
        (Status.APPROVED, Status.DRAFT): "reject",
        (Status.HELD, Status.DRAFT): "reject",
    }
    for move, name in moves.items():
        assert lifecycle.TRANSITIONS[move] == name
    # Every state an edit can dismiss approvals in can be reached again from a draft.
    assert lifecycle.allowed_moves(Status.DRAFT) == {Status.IN_REVIEW: "submit"}
