"""The one "enough approvals" rule, over plain data: no database."""

from __future__ import annotations

import pytest

from policy.approvals import (
    IMPLICIT_STEP_NAME,
    Person,
    Step,
    Vote,
    approve_refusal,
    effective_steps,
    reject_refusal,
    tally,
)

AUTHOR, EDITOR, A, B, C, LEGAL, OUTSIDER = 1, 2, 10, 11, 12, 20, 99
HASH, OLD = "h-now", "h-before"


def approver(uid: int, *, roles=("approver",), groups=(), may_approve=True) -> Person:
    return Person(
        user_id=uid, may_approve=may_approve, roles=frozenset(roles), group_ids=frozenset(groups)
    )


PEOPLE = {
    AUTHOR: approver(AUTHOR, roles=("author", "approver")),
    EDITOR: approver(EDITOR, roles=("author", "approver")),
    A: approver(A),
    B: approver(B),
    C: approver(C),
    LEGAL: approver(LEGAL, groups=(7,)),
    OUTSIDER: approver(OUTSIDER, may_approve=False),
}
TWO = effective_steps(steps=[], brand_required=2, channel_required=None)
BRAND_THEN_LEGAL = (
    Step(order=1, name="Brand", required=2),
    Step(order=2, name="Legal", required=1, group_id=7, group_name="Legal"),
)


def run(votes, steps=TWO, *, content_hash=HASH, people=PEOPLE):
    return tally(
        steps=steps,
        votes=votes,
        content_hash=content_hash,
        author_id=AUTHOR,
        last_editor_id=EDITOR,
        people=people,
    )


def vote(uid, *, step=1, content_hash=HASH, dismissed=False) -> Vote:
    return Vote(approver_id=uid, step_order=step, content_hash=content_hash, dismissed=dismissed)


def test_the_implicit_step_takes_the_larger_of_brand_and_channel():
    (step,) = effective_steps(steps=[], brand_required=2, channel_required=None)
    assert (step.order, step.name, step.required, step.role) == (
        1,
        IMPLICIT_STEP_NAME,
        2,
        "approver",
    )
    assert effective_steps(steps=[], brand_required=2, channel_required=3)[0].required == 3
    # An override can only raise: a lower channel number changes nothing.
    assert effective_steps(steps=[], brand_required=3, channel_required=1)[0].required == 3


def test_with_steps_the_channel_raises_the_first_step_only():
    steps = effective_steps(
        steps=list(reversed(BRAND_THEN_LEGAL)), brand_required=5, channel_required=3
    )
    assert [(s.name, s.required) for s in steps] == [("Brand", 3), ("Legal", 1)]
    lower = effective_steps(steps=BRAND_THEN_LEGAL, brand_required=5, channel_required=1)
    assert [s.required for s in lower] == [2, 1]


def test_two_distinct_approvers_are_enough():
    assert not run([vote(A)]).satisfied
    result = run([vote(A), vote(B)])
    assert result.satisfied and result.counted_ids == {A, B}
    assert result.current is None and result.missing == 0


@pytest.mark.parametrize(
    ("votes", "why"),
    [
        ([vote(AUTHOR)], "the author never counts"),
        ([vote(EDITOR)], "whoever last edited the content never counts"),
        ([vote(A, content_hash=OLD)], "given for other content"),
        ([vote(A, dismissed=True)], "dismissed"),
        ([vote(OUTSIDER)], "does not hold the approver role on this channel"),
        ([vote(12345)], "does not hold the approver role on this channel"),
        ([vote(None)], "the approver's account was removed"),
        ([vote(A, step=9)], "given at a step that no longer exists"),
    ],
)
def test_approvals_that_never_count(votes, why):
    result = run([vote(B), *votes])
    assert not result.satisfied
    assert result.counted_ids == {B}
    assert result.not_counted[0][1] == why


def test_one_person_counts_once():
    result = run([vote(A), vote(A)])
    assert result.counted_ids == {A} and not result.satisfied
    assert result.not_counted == ((A, "one person counts once"),)


def test_steps_are_satisfied_in_order_and_by_the_right_people():
    result = run([vote(A), vote(B)], steps=BRAND_THEN_LEGAL)
    assert [s.satisfied for s in result.steps] == [True, False]
    assert result.current.step.name == "Legal" and result.missing == 1
    # Someone outside the group does not count toward Legal.
    not_legal = run([vote(A), vote(B), vote(C, step=2)], steps=BRAND_THEN_LEGAL)
    assert not not_legal.satisfied
    assert "group" in not_legal.not_counted[0][1]
    done = run([vote(A), vote(B), vote(LEGAL, step=2)], steps=BRAND_THEN_LEGAL)
    assert done.satisfied and done.steps[1].counted == (LEGAL,)


def test_a_step_role_is_required_on_top_of_approving():
    steps = (Step(order=1, name="Admins", required=1, role="admin"),)
    assert not run([vote(A)], steps=steps).satisfied
    boss = {**PEOPLE, A: approver(A, roles=("approver", "admin"))}
    assert run([vote(A)], steps=steps, people=boss).satisfied


def refusal(uid, votes, steps=TWO, people=PEOPLE):
    result = run(votes, steps=steps, people=people)
    return approve_refusal(
        result=result,
        votes=votes,
        person=people.get(uid) or approver(uid, may_approve=False),
        content_hash=HASH,
        author_id=AUTHOR,
        last_editor_id=EDITOR,
    )


def test_who_may_approve_now():
    assert refusal(A, []) is None
    assert refusal(AUTHOR, []).code == "own_post"
    assert refusal(EDITOR, []).code == "last_editor"
    assert refusal(OUTSIDER, []).code == "needs_approve"
    again = refusal(A, [vote(A)])
    assert again.code == "already_approved" and again.status == 409
    # A dismissed approval, or one for other content, does not stand in the way.
    assert refusal(A, [vote(A, dismissed=True)]) is None


def test_a_later_step_waits_for_the_earlier_one():
    early = refusal(LEGAL, [], steps=(BRAND_THEN_LEGAL[1], BRAND_THEN_LEGAL[0]))
    assert early is None  # Legal first: legal may approve at once
    waiting = refusal(
        LEGAL,
        [vote(A)],
        steps=(
            Step(order=1, name="Brand", required=2, role="admin"),
            BRAND_THEN_LEGAL[1],
        ),
    )
    assert waiting.code == "earlier_step_pending" and waiting.status == 409
    assert "Brand" in waiting.message
    assert refusal(C, [vote(A), vote(B)], steps=BRAND_THEN_LEGAL).code == "wrong_step"
    assert refusal(LEGAL, [vote(A), vote(B)], steps=BRAND_THEN_LEGAL) is None


def test_who_may_send_back():
    result = run([vote(A)], steps=BRAND_THEN_LEGAL)

    def why(uid):
        found = reject_refusal(
            result=result, person=PEOPLE[uid], author_id=AUTHOR, last_editor_id=EDITOR
        )
        return found.code if found else None

    assert why(B) is None  # an approver of the current step
    assert why(AUTHOR) == "own_post" and why(EDITOR) == "last_editor"
    assert why(OUTSIDER) == "needs_approve"
    assert why(LEGAL) is None  # in the group, and holds the approver role of step 1 too
