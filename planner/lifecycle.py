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
from django.urls import reverse

from accounts.models import User
from accounts.services import audit_record, notification_resolve
from config.errors import Conflict, NotFoundError
from planner.models import HeldCode, Post, Status


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

#: Where the content (text, channel, category, media, campaign) may be edited. An edit that
#: changes the content hash of an in-review or approved post dismisses its approvals, and an
#: approved post goes back to review (the "edit" move).
EDITABLE: frozenset[Status] = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.APPROVED})
#: Where an edit of the content dismisses approvals (see planner.review.services.review_after_edit).
UNDER_REVIEW: frozenset[Status] = frozenset({Status.IN_REVIEW, Status.APPROVED})
#: Where the scheduled time may be moved (the calendar's drag and drop). The time is not part
#: of the content hash, so moving an approved post keeps its approvals; a held post is moved
#: before it is re-confirmed. Approved and held posts may only move to a future time.
RESCHEDULABLE: frozenset[Status] = frozenset(
    {Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.HELD}
)
#: Where a new time must lie ahead: these posts are (or may become) due for sending.
FUTURE_ONLY: frozenset[Status] = frozenset({Status.APPROVED, Status.HELD})
#: Posts in these states are over: they never change again.
FINAL: frozenset[Status] = frozenset({Status.PUBLISHED, Status.FAILED})

#: Notifications about a post (``accounts.Notification.kind``, see planner.review.services and
#: planner.publishing), each with the states in which it still asks something of its reader.
#: When a post moves to any other state they are resolved (marked read) by :func:`transition`:
#: "Awaiting your approval: post 11" stops being new once post 11 is approved or published.
#: Kinds not listed (a failure, an identity mismatch) stay until the person reads them.
NOTICE_STILL_APPLIES: dict[str, frozenset[Status]] = {
    "approval.awaiting": frozenset({Status.IN_REVIEW}),
    "approval.dismissed": frozenset({Status.IN_REVIEW}),
    "approval.approved": frozenset({Status.APPROVED, Status.PUBLISHING}),
    "approval.rejected": frozenset({Status.DRAFT}),
    "approval.held": frozenset({Status.HELD}),
    "post.held": frozenset({Status.HELD}),
}

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


def require_move(post: Post, to: str, *, message: str, code: str = "wrong_state") -> None:
    """Refuse early, in the caller's words, when :data:`TRANSITIONS` has no move from the
    post's status to ``to`` (the services ask the table instead of listing states again;
    :func:`transition` checks it once more under the lock)."""
    if (Status(post.status), Status(to)) not in TRANSITIONS:
        raise TransitionRefused(message, code=code)


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
    held_code: str = HeldCode.CHECK,
    guard: Callable[[Post], None] | None = None,
    data: dict | None = None,
) -> Post:
    """Move the post to ``to``: lock, check, write status and audit, or refuse.

    ``guard`` runs with the row locked, after the move is known to exist, and refuses by
    raising (a ``DomainError``); ``reason`` is kept on held posts and in the audit event,
    ``held_code`` (a :class:`HeldCode`) on held posts.
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
        post.held_reason, post.held_code = reason[:1000], HeldCode(held_code)
        fields += ["held_reason", "held_code"]
    elif post.held_reason or post.held_code:
        post.held_reason, post.held_code = "", HeldCode.CHECK
        fields += ["held_reason", "held_code"]
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
    _resolve_moot_notices(post)
    return post


def seed(posts: list[Post], *, status: Status, batch_size: int = 500) -> list[Post]:
    """Create ``posts`` already in ``status``, in bulk: for benchmarks and fixtures that stand
    for a history the services would have written (no audit rows). The one bulk creation
    with a status outside the dispatcher's claim."""
    for post in posts:
        post.status = Status(status)
    return Post.objects.bulk_create(posts, batch_size=batch_size)


def _resolve_moot_notices(post: Post) -> None:
    """After a move: resolve the post's notifications that no longer apply (one UPDATE)."""
    moot = [kind for kind, live in NOTICE_STILL_APPLIES.items() if post.status not in live]
    notification_resolve(url=post.get_absolute_url(), kinds=moot, brand=post.brand)


def _label(value: str) -> str:
    try:
        return str(Status(value).label).lower()
    except ValueError:
        return repr(value)


# --- publishing: the dispatcher's bulk claim and the lease sweep ---------------------------
# Appended for scheduled publishing (planner.publishing). The claim is the one place that
# moves many posts at once; it is still a compare-and-set on the status column, so a post
# is claimed by exactly one dispatcher however many run at the same time.


def _due_posts(now):
    return Post.objects.filter(
        status=Status.APPROVED,
        scheduled_at__isnull=False,
        scheduled_at__lte=now,
        brand__is_paused=False,
        channel__is_paused=False,
    ).order_by("scheduled_at", "id")


def _claim_audit_rows(rows, *, lease_until) -> None:
    from accounts.models import AuditEvent

    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                brand_id=brand_id,
                action="post.claim",
                object_type="post",
                object_id=str(pk),
                message="Due: claimed for publishing.",
                data={
                    "from": Status.APPROVED.value,
                    "to": Status.PUBLISHING.value,
                    "content_hash": content_hash,
                    "revision": revision,
                    "lease_until": lease_until.isoformat(),
                },
            )
            for pk, brand_id, content_hash, revision in rows
        ]
    )


def claim_due(now, limit: int, lease_seconds: int) -> list[int]:
    """Claim up to ``limit`` due approved posts (brand and channel not paused): each moves
    approved -> publishing with a lease until ``now + lease_seconds``, one audit row each.

    Atomic and safe to run from several dispatchers at once. PostgreSQL locks the candidate
    rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (another dispatcher skips them); SQLite
    has no row locks, so the move is a compare-and-set ``UPDATE ... WHERE status='approved'``
    and only the rows that this UPDATE changed (marked with this claim's lease) are returned.
    """
    import datetime as dt

    from django.db import connection

    move_for(Status.APPROVED, Status.PUBLISHING)  # the move exists ("claim")
    if limit <= 0:
        return []
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    with transaction.atomic():
        candidates = _due_posts(now)
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Post.objects.filter(pk__in=ids, status=Status.APPROVED).update(
            status=Status.PUBLISHING, lease_expires_at=lease_until, updated_at=now
        )
        rows = list(
            Post.objects.filter(
                pk__in=ids, status=Status.PUBLISHING, lease_expires_at=lease_until
            ).values_list("pk", "brand_id", "content_hash", "revision")
        )
        _claim_audit_rows(rows, lease_until=lease_until)
    return sorted(pk for pk, *_ in rows)


def published_set(rows, *, now) -> None:
    """Move a set of posts publishing -> published ("published"), each with its remote URL,
    an audit row each and their moot notifications resolved, in a few statements for the
    whole set: a worker's group commit. ``rows``: (post, remote_id, remote_url), each post
    locked by the caller and checked to be publishing (its brand loaded, for its URL)."""
    from accounts.models import AuditEvent

    move = move_for(Status.PUBLISHING, Status.PUBLISHED)
    if not rows:
        return
    posts = []
    for post, _remote_id, remote_url in rows:
        post.status, post.remote_url, post.lease_expires_at = move.target, remote_url, None
        post.held_reason, post.held_code, post.updated_at = "", HeldCode.CHECK, now
        posts.append(post)
    from planner.publishing.records import write_rows

    fields = ["status", "remote_url", "lease_expires_at", "held_reason", "held_code"]
    write_rows(Post, posts, [*fields, "updated_at"])
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                brand_id=post.brand_id,
                action=f"post.{move.name}",
                object_type="post",
                object_id=str(post.pk),
                message="",
                data={
                    "from": move.source.value,
                    "to": move.target.value,
                    "content_hash": post.content_hash,
                    "revision": post.revision,
                    "remote_id": remote_id,
                    "remote_url": remote_url,
                },
            )
            for post, remote_id, remote_url in rows
        ]
    )
    moot = [kind for kind, live in NOTICE_STILL_APPLIES.items() if move.target not in live]
    by_brand: dict[int, list[Post]] = {}
    for post in posts:
        by_brand.setdefault(post.brand_id, []).append(post)
    for brand_posts in by_brand.values():
        brand = brand_posts[0].brand
        # Post.get_absolute_url of each, from one reverse() per brand.
        head, tail = reverse("post_detail", kwargs={"slug": brand.slug, "pk": 1}).rsplit("/1/", 1)
        notification_resolve(
            urls=[f"{head}/{p.pk}/{tail}" for p in brand_posts], kinds=moot, brand=brand
        )


def lease_sweep(
    now,
    *,
    in_flight: Callable[[int], bool],
    on_moved: Callable[[Post, Status], None] | None = None,
    limit: int = 500,
) -> dict[int, Status]:
    """Take back expired publishing leases (a worker died, or its message was lost).

    Each post whose lease ended before ``now`` moves, under its row lock:
    - to ``approved`` ("lease_expired") when ``in_flight(post_id)`` says no send may have
      reached the platform, so a dispatcher claims it again (same idempotency key);
    - to ``unconfirmed`` when a send may have gone out: it is reconciled, never re-sent blind.
    ``on_moved(post, target)`` runs in the same transaction (the caller's bookkeeping).
    """
    expired = list(
        Post.objects.filter(status=Status.PUBLISHING, lease_expires_at__lt=now)
        .order_by("lease_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    moved: dict[int, Status] = {}
    for pk in expired:
        with transaction.atomic():
            post = Post.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if (
                post is None
                or post.status != Status.PUBLISHING
                or post.lease_expires_at is None
                or post.lease_expires_at >= now
            ):
                continue  # finished or re-leased meanwhile
            target = Status.UNCONFIRMED if in_flight(pk) else Status.APPROVED
            reason = (
                "The worker stopped after the send may have reached the platform; "
                "it will be checked there, not sent again blindly."
                if target == Status.UNCONFIRMED
                else "The publishing lease ran out before a send; it will be claimed again."
            )
            post = transition(pk, to=target, actor=None, reason=reason, data={"lease": "expired"})
            # Approved: no lease. Unconfirmed: the lease is the next reconcile time (now).
            lease = None if target == Status.APPROVED else now
            Post.objects.filter(pk=pk).update(lease_expires_at=lease)
            post.lease_expires_at = lease
            if on_moved is not None:
                on_moved(post, target)
            moved[pk] = target
    return moved
