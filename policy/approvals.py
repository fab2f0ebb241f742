"""How many approvals are enough, and who counts: the one rule, over plain data.

Nothing here touches the database. The planner gathers the facts (the brand's steps, the
post's approvals, who wrote and last edited it, and what each person may do) and asks
:func:`tally`; the answer says which steps are satisfied, whose approvals count, and what is
missing. :func:`approve_refusal` and :func:`reject_refusal` answer "may this person act on
the post now?" from the same facts, so the inbox, the approve button, the service and the
publisher's re-check can never disagree.

The rule:

- A brand with no steps has one implicit step needing ``max(brand count, channel count)``
  approvers with the approver role. With steps, each step needs its own count; a channel's
  count (a raise-only override) raises the first step's.
- An approval counts only if it is not dismissed, is for the post's current content hash,
  is not by the author nor by whoever last edited the content, is by someone who may
  approve on the post's channel and who still meets its step's role and group, and is that
  person's only counted approval (one person counts once).
- An approval counts toward the step it was given at. Steps are satisfied in order: the
  current step is the first one that is not; a later step's approvers act only once every
  earlier step is satisfied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

#: The role a step asks for when it names none, and the only role of the implicit step.
APPROVER_ROLE = "approver"
#: The implicit step's name, for a brand without steps.
IMPLICIT_STEP_NAME = "Approval"


@dataclass(frozen=True)
class Step:
    """One step of sign-off: ``required`` distinct approvers with ``role`` (and ``group``)."""

    order: int
    name: str
    required: int
    role: str = APPROVER_ROLE
    group_id: int | None = None
    group_name: str = ""

    def describe(self) -> str:
        who = f"{self.role}s" if self.role else "approvers"
        if self.group_id is not None:
            who += f" in the group {self.group_name or self.group_id}"
        return f"{self.required} {who}"


@dataclass(frozen=True)
class Vote:
    """An approval as recorded: who, at which step, for which content."""

    approver_id: int | None
    step_order: int
    content_hash: str
    dismissed: bool = False


@dataclass(frozen=True)
class Person:
    """What the rule needs to know about someone.

    ``may_approve`` is the answer of the permissions module for the post's channel (the
    approver role, with any channel restriction applied); ``roles`` their roles in the brand.
    """

    user_id: int
    may_approve: bool
    roles: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class StepState:
    step: Step
    counted: tuple[int, ...] = ()

    @property
    def missing(self) -> int:
        return max(0, self.step.required - len(self.counted))

    @property
    def satisfied(self) -> bool:
        return self.missing == 0


@dataclass(frozen=True)
class Tally:
    """The answer: each step with the approvers who count toward it."""

    steps: tuple[StepState, ...]
    #: (approver id, why it does not count) for every approval that does not.
    not_counted: tuple[tuple[int | None, str], ...] = field(default=())

    @property
    def satisfied(self) -> bool:
        return all(state.satisfied for state in self.steps)

    @property
    def current(self) -> StepState | None:
        """The first step that is not satisfied (None once all are)."""
        return next((state for state in self.steps if not state.satisfied), None)

    @property
    def counted_ids(self) -> frozenset[int]:
        return frozenset(uid for state in self.steps for uid in state.counted)

    @property
    def missing(self) -> int:
        return sum(state.missing for state in self.steps)

    @property
    def required(self) -> int:
        return sum(state.step.required for state in self.steps)


@dataclass(frozen=True)
class Refusal:
    """Why someone may not act: a stable ``code`` and a message for people."""

    code: str
    message: str
    #: The answer an interface gives: 403 "not you", 409 "not now".
    status: int = 403


def effective_steps(
    *, steps: Iterable[Step], brand_required: int, channel_required: int | None
) -> tuple[Step, ...]:
    """The steps that apply to a post on a channel (see the module's rule)."""
    ordered = sorted(steps, key=lambda step: step.order)
    if not ordered:
        return (
            Step(
                order=1,
                name=IMPLICIT_STEP_NAME,
                required=max(brand_required, channel_required or 0),
            ),
        )
    first = ordered[0]
    if channel_required and channel_required > first.required:
        ordered[0] = replace(first, required=channel_required)
    return tuple(ordered)


def step_refusal(step: Step, person: Person | None) -> str | None:
    """Why ``person`` cannot approve at ``step``, or None when they can."""
    if person is None or not person.may_approve:
        return "does not hold the approver role on this channel"
    if step.role and step.role not in person.roles:
        return f"the step {step.name!r} needs the {step.role} role"
    if step.group_id is not None and step.group_id not in person.group_ids:
        return f"the step {step.name!r} needs membership of the group {step.group_name!r}"
    return None


def tally(
    *,
    steps: Sequence[Step],
    votes: Iterable[Vote],
    content_hash: str,
    author_id: int | None,
    last_editor_id: int | None,
    people: Mapping[int, Person],
) -> Tally:
    """Which steps are satisfied and whose approvals count. "Enough" is ``.satisfied``.

    ``votes`` in the order they were given; ``people`` describes (at least) every approver.
    """
    by_order = {step.order: step for step in steps}
    counted: dict[int, list[int]] = {step.order: [] for step in steps}
    seen: set[int] = set()
    not_counted: list[tuple[int | None, str]] = []
    for vote in votes:
        uid = vote.approver_id
        if vote.dismissed:
            reason = "dismissed"
        elif vote.content_hash != content_hash:
            reason = "given for other content"
        elif uid is None:
            reason = "the approver's account was removed"
        elif uid == author_id:
            reason = "the author never counts"
        elif uid == last_editor_id:
            reason = "whoever last edited the content never counts"
        elif uid in seen:
            reason = "one person counts once"
        elif vote.step_order not in by_order:
            reason = "given at a step that no longer exists"
        else:
            reason = step_refusal(by_order[vote.step_order], people.get(uid))
        if reason is None:
            seen.add(uid)
            counted[vote.step_order].append(uid)
        else:
            not_counted.append((uid, reason))
    return Tally(
        steps=tuple(StepState(step=step, counted=tuple(counted[step.order])) for step in steps),
        not_counted=tuple(not_counted),
    )


def _not_author_or_editor(
    person: Person, *, author_id: int | None, last_editor_id: int | None, verb: str
) -> Refusal | None:
    if person.user_id == author_id:
        return Refusal("own_post", f"You wrote this post: someone else must {verb} it.")
    if person.user_id == last_editor_id:
        return Refusal(
            "last_editor",
            f"You last edited this post's content: someone else must {verb} it.",
        )
    return None


def approve_refusal(
    *,
    result: Tally,
    votes: Iterable[Vote],
    person: Person,
    content_hash: str,
    author_id: int | None,
    last_editor_id: int | None,
) -> Refusal | None:
    """Why ``person`` may not approve the post now, or None when their approval would count
    at the current step. (The post's state is the caller's to check.)"""
    if not person.may_approve:
        return Refusal("needs_approve", "You need the approver role on this channel.")
    refusal = _not_author_or_editor(
        person, author_id=author_id, last_editor_id=last_editor_id, verb="approve"
    )
    if refusal is not None:
        return refusal
    if any(
        v.approver_id == person.user_id and not v.dismissed and v.content_hash == content_hash
        for v in votes
    ):
        return Refusal("already_approved", "You have already approved this version.", 409)
    current = result.current
    if current is None:
        return None  # enough already: one more approval changes nothing
    why = step_refusal(current.step, person)
    if why is None:
        return None
    for later in result.steps:
        if later.step.order > current.step.order and step_refusal(later.step, person) is None:
            return Refusal(
                "earlier_step_pending",
                f"Waiting for the step {current.step.name!r} ({current.missing} more "
                f"approval{'' if current.missing == 1 else 's'}) before {later.step.name!r} "
                "can approve.",
                409,
            )
    return Refusal("wrong_step", f"You cannot approve at this step: {why}.")


def reject_refusal(
    *, result: Tally, person: Person, author_id: int | None, last_editor_id: int | None
) -> Refusal | None:
    """Why ``person`` may not send the post back, or None when they may: anyone who could
    approve at the current step or an earlier one (any step once all are satisfied)."""
    if not person.may_approve:
        return Refusal("needs_approve", "You need the approver role on this channel.")
    refusal = _not_author_or_editor(
        person, author_id=author_id, last_editor_id=last_editor_id, verb="reject"
    )
    if refusal is not None:
        return refusal
    current = result.current
    reachable = [
        state.step
        for state in result.steps
        if current is None or state.step.order <= current.step.order
    ]
    if any(step_refusal(step, person) is None for step in reachable):
        return None
    return Refusal("wrong_step", "You are not an approver of this post's current step.")
