"""The post lifecycle: the one module that owns ``Post.status``.

The moves are data (:data:`TRANSITIONS`); :func:`transition` is the only code that writes a
status. It locks the row, checks the move (and an optional guard, run under the lock), writes
the new status and an audit event, or raises :class:`TransitionRefused`.

Services decide *when* a move may happen (policy, approvals, certification, the clock) and
pass that decision in as a ``guard``; this module decides *which* moves exist at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from accounts.services import audit_record
from config.api import Conflict, NotFoundError
from planner.models import Post, Status


@dataclass(frozen=True)
class Move:
    name: str
    source: Status
    target: Status


#: Every move the design allows, as (from, to) → name. See DESIGN.md "The post lifecycle".
TRANSITIONS: dict[tuple[Status, Status], str] = {
    (Status.DRAFT, Status.IN_REVIEW): "submit",
    (Status.IN_REVIEW, Status.DRAFT): "reject",
    (Status.IN_REVIEW, Status.APPROVED): "approve",
    (Status.APPROVED, Status.IN_REVIEW): "edit",
    (Status.APPROVED, Status.DRAFT): "reject",
    (Status.APPROVED, Status.PUBLISHING): "claim",
    (Status.APPROVED, Status.HELD): "hold",
    (Status.PUBLISHING, Status.PUBLISHED): "published",
    (Status.PUBLISHING, Status.UNCONFIRMED): "unconfirmed",
    (Status.PUBLISHING, Status.FAILED): "failed",
    (Status.PUBLISHING, Status.HELD): "hold",
    (Status.PUBLISHING, Status.APPROVED): "lease_expired",
    (Status.UNCONFIRMED, Status.PUBLISHED): "reconciled",
    (Status.UNCONFIRMED, Status.FAILED): "failed",
    (Status.HELD, Status.APPROVED): "reconfirm",
    (Status.HELD, Status.DRAFT): "reject",
}

#: Where the content (text, channel, category, media, campaign) may be edited. The approvals
#: issue widens this: an edit of an in-review or approved post dismisses its approvals.
EDITABLE: frozenset[Status] = frozenset({Status.DRAFT})
#: Where the scheduled time may be moved (the calendar's drag and drop).
RESCHEDULABLE: frozenset[Status] = frozenset({Status.DRAFT})
#: Posts in these states are over: they never change again.
FINAL: frozenset[Status] = frozenset({Status.PUBLISHED, Status.FAILED})

#: Badge colour per status (Bootstrap contextual names), for every template and the calendar.
BADGE: dict[Status, str] = {
    Status.DRAFT: "secondary",
    Status.IN_REVIEW: "info",
    Status.APPROVED: "primary",
    Status.PUBLISHING: "warning",
    Status.PUBLISHED: "success",
    Status.UNCONFIRMED: "warning",
    Status.HELD: "danger",
    Status.FAILED: "dark",
}


class TransitionRefused(Conflict):
    """The post cannot make that move now; the message says why."""

    code = "transition_refused"


def allowed_moves(source: str) -> dict[Status, str]:
    """The states a post in ``source`` may move to, with each move's name."""
    return {to: name for (frm, to), name in TRANSITIONS.items() if frm == source}


def move_for(source: str, target: str) -> Move:
    try:
        name = TRANSITIONS[(Status(source), Status(target))]
    except (KeyError, ValueError):
        raise TransitionRefused(
            f"A post cannot go from {_label(source)} to {_label(target)}.",
            details={"from": source, "to": target},
        ) from None
    return Move(name=name, source=Status(source), target=Status(target))


def is_editable(post: Post) -> bool:
    return post.status in EDITABLE


def is_reschedulable(post: Post) -> bool:
    return post.status in RESCHEDULABLE


@transaction.atomic
def transition(
    post_id: int,
    *,
    to: str,
    actor: User | None,
    reason: str = "",
    guard: Callable[[Post], None] | None = None,
    data: dict | None = None,
) -> Post:
    """Move the post to ``to``: lock, check, write status and audit, or refuse.

    ``guard`` runs with the row locked, after the move is known to exist, and refuses by
    raising (a ``DomainError``); ``reason`` is kept on held posts and in the audit event.
    """
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("brand")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFoundError("No such post.")
    move = move_for(post.status, to)
    if guard is not None:
        guard(post)
    fields = ["status", "updated_at"]
    post.status = move.target
    if move.target == Status.HELD:
        post.held_reason = reason[:1000]
        fields.append("held_reason")
    elif post.held_reason:
        post.held_reason = ""
        fields.append("held_reason")
    post.save(update_fields=fields)
    audit_record(
        action=f"post.{move.name}",
        actor=actor,
        brand=post.brand,
        obj=post,
        message=reason[:500],
        data={
            "from": move.source.value,
            "to": move.target.value,
            "content_hash": post.content_hash,
            "revision": post.revision,
            **(data or {}),
        },
    )
    return post


def _label(value: str) -> str:
    try:
        return str(Status(value).label).lower()
    except ValueError:
        return repr(value)
