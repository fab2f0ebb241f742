"""Writes for review: submit, approve, reject, with the post's row locked.

Each runs in its own transaction, so an approval and an edit of the same post never
interleave. A refused attempt (wrong person, wrong brand, wrong state, stale content hash,
bad input) is written to the audit log *after* the failed transaction has rolled back, so
the record of the attempt survives the refusal. Status moves go through ``planner.lifecycle``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from accounts import permissions
from accounts.models import Brand, Channel, User
from accounts.permissions import Action
from accounts.services import audit_record, notification_resolve, notify
from config.errors import Conflict, DomainError, NotAllowed, NotFoundError
from planner import lifecycle
from planner.models import (
    MAX_REASON_CHARS,
    Approval,
    Post,
    ReviewSeen,
    Status,
)
from planner.posts.checks import check_length, clean_string, lock_post
from planner.review import selectors as review_selectors
from planner.strategy import selectors as strategy_selectors
from policy.training import selectors as training_selectors

# --- review: submit, approve, reject -----------------------------------------------------
#
# Each of these runs in its own transaction with the post's row locked, so an approval and an
# edit of the same post never interleave. A refused attempt (wrong person, wrong brand, wrong
# state, stale content hash, bad input) is written to the audit log *after* the failed
# transaction has rolled back, so the record of the attempt survives the refusal.


class PolicyBlocked(Conflict):
    """The brand's policy blocks the content; ``details`` carries the findings."""

    code = "policy_blocked"


class StaleContent(Conflict):
    """The approver saw another version of the post than the one it is now."""

    code = "stale_content"


class InvalidInput(DomainError):
    """A review action's input was missing, malformed or tampered with (a 400 with a code)."""

    status_code = 400
    code = "invalid"

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> InvalidInput:
        if hasattr(exc, "error_dict"):
            errors = exc.error_dict
            codes = [e.code for items in errors.values() for e in items if e.code]
            return cls(
                " ".join(exc.messages),
                code=codes[0] if codes else None,
                details={"errors": exc.message_dict},
            )
        codes = [e.code for e in exc.error_list if e.code]
        return cls(" ".join(exc.messages), code=codes[0] if codes else None)


#: Notification kinds (accounts.Notification.kind).
NOTICE_AWAITING = "approval.awaiting"
NOTICE_APPROVED = "approval.approved"
NOTICE_REJECTED = "approval.rejected"
NOTICE_DISMISSED = "approval.dismissed"
NOTICE_HELD = "approval.held"


def findings_payload(linted) -> dict:
    return {
        "findings": [finding.to_dict() for finding in linted.result.findings],
        "blocked": linted.result.blocked,
        "policy_version": linted.version.number,
    }


def lint_or_refuse(*, brand: Brand, text: str, channel: Channel, category: str, what: str):
    """The content linted against the brand's current policy; refused when anything blocks."""
    from policy import services as policy_services

    linted = policy_services.policy_lint(brand=brand, text=text, channel=channel, category=category)
    if linted.result.blocked:
        blocking = [f for f in linted.result.findings if f.severity == "block"]
        summary = "; ".join(f"{f.message} (“{f.match}”)" for f in blocking)
        raise PolicyBlocked(
            f"{what} breaks the brand's policy (v{linted.version.number}): {summary}",
            details=findings_payload(linted),
        )
    return linted


def strategy_or_refuse(post: Post, *, what: str, linted) -> list[dict]:
    """The strategy's findings on the post (planner.strategy): refused when a customer-content
    post lacks its credit or permission (a block finding, like the policy's); else the
    content-mix warnings, which travel with the post to its approvers."""
    blocking = strategy_selectors.credit_findings(post)
    if blocking:
        raise PolicyBlocked(
            f"{what} cannot go ahead: " + " ".join(f["message"] for f in blocking),
            details={
                "findings": [f.to_dict() for f in linted.result.findings] + blocking,
                "blocked": True,
                "policy_version": linted.version.number,
            },
        )
    return strategy_selectors.mix_findings(post)


def _certified(*, user: User, brand: Brand, role: str) -> None:
    refusal = training_selectors.certification_gate(user=user, brand=brand, role=role)
    if refusal:
        raise NotAllowed(refusal, code="not_certified")


def _raise_refusal(refusal) -> None:
    if refusal is None:
        return
    if refusal.status == 403:
        raise NotAllowed(refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


def post_url(post: Post) -> str:
    return post.get_absolute_url()


def excerpt(post: Post, limit: int = 80) -> str:
    line = post.text.strip().splitlines()[0] if post.text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def notify_awaiting(post: Post, *, state: review_selectors.ApprovalState, exclude=()) -> None:
    current = state.tally.current
    if current is None:
        return
    people = [
        user
        for user in review_selectors.approval_candidates(post=post, step=current.step, state=state)
        if user.pk not in set(exclude)
    ]
    step = "" if len(state.steps) == 1 else f" (step {current.step.name})"
    notify(
        users=people,
        kind=NOTICE_AWAITING,
        brand=post.brand,
        subject=f"Awaiting your approval{step}: post {post.pk} on {post.channel.handle}",
        body=ngettext(
            "“%(text)s” needs %(n)d more approval%(step)s.",
            "“%(text)s” needs %(n)d more approvals%(step)s.",
            current.missing,
        )
        % {"text": excerpt(post), "n": current.missing, "step": step},
        url=post_url(post),
    )


def dismiss_live(post: Post, *, reason: str) -> list[int]:
    """Dismiss every live approval of the post (rows stay as history); the approver ids."""
    live = Approval.objects.select_for_update().filter(post=post, dismissed_at__isnull=True)
    approver_ids = [uid for uid in live.values_list("approver_id", flat=True) if uid]
    live.update(dismissed_at=timezone.now(), dismissed_reason=reason[:200])
    return approver_ids


def review_after_edit(post: Post, *, actor: User, old_hash: str, linted=None) -> None:
    """After an edit (row locked): if the content hash changed on a post under review,
    dismiss its approvals, tell who had approved, and send an approved post back to review."""
    if post.content_hash == old_hash or post.status not in lifecycle.UNDER_REVIEW:
        return
    was_approved = post.status == Status.APPROVED
    dismissed = dismiss_live(post, reason=f"content changed in revision {post.revision}")
    fields = ["updated_at"]
    if linted is not None:
        post.review_findings = [
            f.to_dict() for f in linted.result.findings
        ] + strategy_selectors.mix_findings(post)
        post.review_policy_version = linted.version.number
        fields += ["review_findings", "review_policy_version"]
    post.save(update_fields=fields)
    if dismissed:
        audit_record(
            action="post.approvals_dismissed",
            actor=actor,
            brand=post.brand,
            obj=post,
            message=f"The content changed in revision {post.revision}.",
            data={
                "approvers": dismissed,
                "old_content_hash": old_hash,
                "content_hash": post.content_hash,
                "revision": post.revision,
            },
        )
    if was_approved:
        lifecycle.transition(
            post.pk,
            to=Status.IN_REVIEW,
            actor=actor,
            reason="The content was edited after approval.",
            data={"dismissed": dismissed},
        )
    post.refresh_from_db(fields=["status", "held_reason", "updated_at"])
    if dismissed:
        notify(
            users=User.objects.filter(pk__in=dismissed),
            kind=NOTICE_DISMISSED,
            brand=post.brand,
            subject=f"Your approval of post {post.pk} was dismissed: the post changed",
            body=(
                f"{actor.username} edited “{excerpt(post)}” (revision {post.revision}). "
                "Approvals are bound to the exact content, so yours no longer counts: "
                "review the new version."
            ),
            url=post_url(post),
        )
    if was_approved:
        state = review_selectors.approval_state(post=post)
        notify_awaiting(post, state=state, exclude=dismissed)


def _visible_post(post_id, *, actor: User, brand: Brand | None) -> Post:
    """The post if it exists (whoever asks); visibility is checked by :func:`_attempt`."""
    try:
        pk = int(post_id)
    except (TypeError, ValueError):
        raise NotFoundError("No such post.") from None
    post = (
        Post.objects.select_related("brand", "channel", "channel__brand").filter(pk=pk).first()
        if 0 < pk < 2**63
        else None
    )
    if post is None:
        raise NotFoundError("No such post.")
    return post


def _attempt(action: str, *, post_id, actor: User, brand: Brand | None, run, data=None):
    """Run one review action on a post in its own transaction; audit it when refused.

    Someone who cannot see the post (another brand, or the wrong brand in the URL) is told it
    does not exist (404); ``audit_record`` then writes the attempt to the security log, not
    into that brand's audit trail.
    """
    post = _visible_post(post_id, actor=actor, brand=brand)
    try:
        if (brand is not None and post.brand_id != brand.pk) or not permissions.has_perm(
            actor, Action.VIEW, post.brand
        ):
            raise NotFoundError("No such post.")
        with transaction.atomic():
            return run(post)
    except ValidationError as exc:
        refusal = InvalidInput.from_validation_error(exc)
        post_attempt_refused(post=post, actor=actor, action=action, error=refusal, data=data)
        raise refusal from exc
    except DomainError as exc:
        post_attempt_refused(post=post, actor=actor, action=action, error=exc, data=data)
        raise


def post_attempt_refused(
    *, post: Post, actor: User, action: str, error: DomainError, data: dict | None = None
) -> None:
    """Record a refused review action (the refusal itself is the caller's to raise)."""
    reason, code, status = error.message, error.code, error.status_code
    current = Post.objects.filter(pk=post.pk).values_list("status", "content_hash").first()
    audit_record(
        action=f"post.{action}_refused",
        actor=actor,
        brand=post.brand,
        obj=post,
        message=reason[:500],
        data={
            "code": code,
            "http_status": status,
            "status": current[0] if current else None,
            "content_hash": current[1] if current else None,
            **(data or {}),
        },
    )


def _check_submittable(post: Post) -> None:
    """The text fits the platform and the time has not passed."""
    try:
        check_length(post.text, post.channel)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages), code="too_long", details={"errors": exc.message_dict}
        ) from exc
    if post.scheduled_at is not None and post.scheduled_at <= timezone.now():
        raise Conflict(
            "The scheduled time has passed: pick a new time (or clear it) before submitting.",
            code="time_passed",
        )


def _move_to_review(post: Post, *, actor: User, linted, extra: list[dict] = ()) -> Post:
    """draft -> in_review for the content that was linted, with the findings kept for the
    approvers and any earlier rejection cleared (row locked again for the caller)."""
    hashed = post.content_hash

    def same_content(locked: Post) -> None:
        if locked.content_hash != hashed:
            raise StaleContent("The post changed while it was being submitted.")

    moved = lifecycle.transition(
        post.pk,
        to=Status.IN_REVIEW,
        actor=actor,
        guard=same_content,
        data={
            "policy_version": linted.version.number,
            "warnings": len(linted.result.findings) + len(extra),
        },
    )
    moved.review_findings = [f.to_dict() for f in linted.result.findings] + list(extra)
    moved.review_policy_version = linted.version.number
    moved.submitted_at = timezone.now()
    moved.rejection_reason, moved.rejected_by, moved.rejected_at = "", None, None
    moved.save(
        update_fields=[
            "review_findings",
            "review_policy_version",
            "submitted_at",
            "rejection_reason",
            "rejected_by",
            "rejected_at",
        ]
    )
    return lock_post(moved)


def post_submit(*, post_id: int, actor: User, brand: Brand | None = None) -> Post:
    """Send a draft for review: the author may draft on the channel (and is certified, when
    the brand asks), the text fits the platform, the time has not passed, and the current
    policy has no blocking finding. Warnings travel with the post to its approvers."""

    def run(post: Post) -> Post:
        post = lock_post(post)
        permissions.require(actor, Action.DRAFT, post.channel)
        _certified(user=actor, brand=post.brand, role="author")
        lifecycle.require_move(
            post,
            Status.IN_REVIEW,
            message="Only a draft can be submitted; "
            f"this post is {post.get_status_display().lower()}.",
        )
        _check_submittable(post)
        linted = lint_or_refuse(
            brand=post.brand,
            text=post.text,
            channel=post.channel,
            category=post.category,
            what="This post",
        )
        warnings = strategy_or_refuse(post, what="This post", linted=linted)
        dismiss_live(post, reason="submitted again")
        moved = _move_to_review(post, actor=actor, linted=linted, extra=warnings)
        notify_awaiting(moved, state=review_selectors.approval_state(post=moved))
        return moved

    return _attempt("submit", post_id=post_id, actor=actor, brand=brand, run=run)


def _record_approval(post: Post, *, actor: User, step, linted) -> Approval:
    """One approval row for this content at ``step`` (a second for the same version is
    refused), the approver's "awaiting" notice resolved, and the audit event."""
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                post=post,
                approver=actor,
                step_order=step.order,
                step_name=step.name[:60],
                content_hash=post.content_hash,
                revision=post.revision,
                policy_version=linted.version.number,
                approved_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict("You have already approved this version.", code="already_approved") from None
    # The approver did what "Awaiting your approval" asked of them.
    notification_resolve(url=post_url(post), kinds=[NOTICE_AWAITING], brand=post.brand, user=actor)
    audit_record(
        action="post.approval_granted",
        actor=actor,
        brand=post.brand,
        obj=post,
        message=f"Approved at step {step.name}.",
        data={
            "approval": approval.pk,
            "step": step.order,
            "content_hash": post.content_hash,
            "revision": post.revision,
            "policy_version": linted.version.number,
        },
    )
    return approval


def approval_grant(
    *, post_id: int, actor: User, content_hash: str | None = None, brand: Brand | None = None
) -> Post:
    """Approve the post as it is now, by someone who may at its current step.

    ``content_hash`` is the version the approver saw: if the post has changed since, the
    approval is refused (409). Without it (an API client that does not say), the approval is
    for the content as it is under the lock. When the approval completes the last step the
    post is approved, or held if its scheduled time has already passed.
    """

    def run(post: Post) -> Post:
        post = lock_post(post)
        permissions.require(actor, Action.APPROVE, post.channel)
        _certified(user=actor, brand=post.brand, role="approver")
        lifecycle.require_move(
            post,
            Status.APPROVED,
            message="Only a post in review can be approved; "
            f"this one is {post.get_status_display().lower()}.",
        )
        if content_hash is not None and content_hash != post.content_hash:
            raise StaleContent(
                "The post changed since you looked: review the new version before approving.",
                details={"content_hash": post.content_hash, "revision": post.revision},
            )
        state = review_selectors.approval_state(post=post, extra_people=[actor])
        _raise_refusal(review_selectors.approve_refusal_for(post=post, user=actor, state=state))
        linted = lint_or_refuse(
            brand=post.brand,
            text=post.text,
            channel=post.channel,
            category=post.category,
            what="Under the current policy this post",
        )
        strategy_or_refuse(post, what="This approval", linted=linted)
        before = state.tally.current
        step = before.step if before is not None else state.steps[-1]
        approval = _record_approval(post, actor=actor, step=step, linted=linted)
        after = review_selectors.approval_state(post=post)
        if not after.satisfied:
            now = after.tally.current
            if before is None or now.step.order != before.step.order:
                notify_awaiting(post, state=after)
            return post
        return _approve(post, actor=actor, approval=approval, state=after)

    return _attempt(
        "approve",
        post_id=post_id,
        actor=actor,
        brand=brand,
        run=run,
        data={"content_hash_given": content_hash},
    )


def _approve(post: Post, *, actor: User, approval: Approval, state) -> Post:
    """The last required approval arrived: approved, or held if its time has passed."""

    def enough_for_this_content(locked: Post) -> None:
        if locked.content_hash != approval.content_hash:
            raise StaleContent("The post changed while it was being approved.")
        if not review_selectors.approval_state(post=locked).satisfied:
            raise Conflict("The approvals are not enough yet.", code="not_enough")

    approvers = [uid for step in state.tally.steps for uid in step.counted]
    post = lifecycle.transition(
        post.pk,
        to=Status.APPROVED,
        actor=actor,
        guard=enough_for_this_content,
        data={"approvers": approvers, "policy_version": approval.policy_version},
    )
    post = lock_post(post)
    if post.scheduled_at is not None and post.scheduled_at <= timezone.now():
        post = lifecycle.transition(
            post.pk,
            to=Status.HELD,
            actor=actor,
            reason="Approved after its scheduled time had passed: re-confirm a time.",
        )
        post = lock_post(post)
        notify(
            users=[post.author],
            kind=NOTICE_HELD,
            brand=post.brand,
            subject=f"Post {post.pk} is approved but held: its time has passed",
            body=(
                f"“{excerpt(post)}” was approved after its scheduled time. It will not be "
                "sent late by surprise: pick a new time and re-confirm it."
            ),
            url=post_url(post),
        )
        return post
    when = (
        f"It goes out {post.scheduled_at.astimezone(post.brand.tz):%a %d %b %Y %H:%M %Z}."
        if post.scheduled_at
        else "It has no time yet, so it will not be sent until you give it one."
    )
    notify(
        users=[post.author],
        kind=NOTICE_APPROVED,
        brand=post.brand,
        subject=f"Post {post.pk} is approved",
        body=f"“{excerpt(post)}” has all the approvals it needs. {when}",
        url=post_url(post),
    )
    return post


def post_reject(*, post_id: int, actor: User, reason: str, brand: Brand | None = None) -> Post:
    """Send a post back to its author as a draft, with the reason (required) shown to them.
    Its approvals are dismissed: a resubmission starts a new round."""

    def run(post: Post) -> Post:
        post = lock_post(post)
        permissions.require(actor, Action.APPROVE, post.channel)
        text = clean_string(
            reason, field="reason", label="The reason", max_chars=MAX_REASON_CHARS
        ).strip()
        _certified(user=actor, brand=post.brand, role="approver")
        lifecycle.require_move(
            post,
            Status.DRAFT,
            message=f"A post that is {post.get_status_display().lower()} cannot be sent back.",
        )
        state = review_selectors.approval_state(post=post, extra_people=[actor])
        _raise_refusal(review_selectors.reject_refusal_for(post=post, user=actor, state=state))
        dismissed = dismiss_live(post, reason="rejected")
        moved = lifecycle.transition(
            post.pk, to=Status.DRAFT, actor=actor, reason=text, data={"dismissed": dismissed}
        )
        moved.rejection_reason, moved.rejected_by = text, actor
        moved.rejected_at = timezone.now()
        moved.save(update_fields=["rejection_reason", "rejected_by", "rejected_at"])
        moved = lock_post(moved)
        notify(
            users=[moved.author],
            kind=NOTICE_REJECTED,
            brand=moved.brand,
            subject=f"Post {moved.pk} was sent back by {actor.username}",
            body=f"“{excerpt(moved)}” is a draft again. The reason: {text}",
            url=post_url(moved),
        )
        return moved

    return _attempt("reject", post_id=post_id, actor=actor, brand=brand, run=run)


@transaction.atomic
def review_seen_record(*, post: Post, user: User) -> None:
    """Remember the revision an approver looked at (for "what changed since you looked")."""
    if post.status not in lifecycle.UNDER_REVIEW or not permissions.has_perm(
        user, Action.APPROVE, post.channel
    ):
        return
    ReviewSeen.objects.update_or_create(
        post=post, user=user, defaults={"revision": post.revision, "seen_at": timezone.now()}
    )


def post_input_refused(
    *, post_id: int, actor: User, action: str, message: str, brand: Brand | None = None
) -> None:
    """Refuse a review action whose input was bad or tampered with (an unexpected field, a
    missing hash): always raises, after recording the attempt like any other refusal."""

    def run(post: Post) -> Post:
        raise InvalidInput(message)

    _attempt(action, post_id=post_id, actor=actor, brand=brand, run=run)
