"""The checks made again at send time: pause flags, the time, the content fingerprint,
the approvals, the policy and the platform's capabilities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from planner.models import Post
from planner.publishing.clients import client_class
from planner.publishing.records import (
    MISSED_TIME_GRACE,
    current_fingerprint,
    iso,
    lease_seconds,
    media_of,
    prefetch_media,
)

# --- the checks made again at send time -----------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    reason: str | None
    linted: object | None = None  # policy.services.Linted at send time
    approvals: tuple = ()  # evidence entries: who approved which content hash, when
    approvers: tuple = ()  # those people (for their certification at send time)


@dataclass(frozen=True)
class Facts:
    """What the send-time checks read from other tables, for a set of posts at once:
    their approvals judged by the approval rule and their brands' current policy versions
    (the attachments are kept on each post, see ``records.media_of``). Read under the posts'
    row locks, right before the in-flight markers are committed."""

    approvals: dict  # post pk -> planner.review.selectors.ApprovalState
    versions: dict  # policy version pk -> PolicyVersion


def gather(posts: list[Post]) -> Facts:
    """The facts for ``posts`` in a few queries whatever their number: attachments,
    approvals, approval steps, approvers' memberships and groups, policy versions."""
    from planner.review import selectors as review_selectors
    from policy import selectors as policy_selectors

    prefetch_media(posts)
    return Facts(
        approvals=review_selectors.approval_states(posts=posts),
        versions=policy_selectors.policy_versions_by_id(p.brand.policy_version_id for p in posts),
    )


def _approval_problem(post: Post, facts: Facts) -> tuple[str | None, tuple, tuple]:
    """Are the post's approvals enough for its current content hash? (reason, approvals).

    Asks the one approval rule (``planner.review.selectors.approval_states`` over
    ``policy.approvals.tally``), the same answer the approve button and the inbox get.
    """
    state = facts.approvals[post.pk]
    counted = state.tally.counted_ids
    valid = [a for a in state.live if a.content_hash == post.content_hash]
    people = tuple({a.approver_id: a.approver for a in valid if a.approver_id}.values())
    approvals = tuple(
        {
            "approver": a.approver.username if a.approver_id else None,
            "content_hash": a.content_hash,
            "revision": a.revision,
            "step": a.step_name,
            "policy_version": a.policy_version,
            "approved_at": iso(a.approved_at),
            "counted": a.approver_id in counted,
        }
        for a in valid
    )
    if state.satisfied:
        return None, approvals, people
    current = state.tally.current
    missing = (
        f"the step {current.step.name!r} needs {current.step.describe()} "
        f"({current.missing} missing)"
        if current is not None
        else "they are not enough"
    )
    return (
        f"Its approvals are not valid for the content as it is now: {missing}. "
        "It needs approving again.",
        approvals,
        people,
    )


def run_checks(
    post: Post,
    *,
    now: dt.datetime | None = None,
    since: dt.datetime | None = None,
    facts: Facts | None = None,
) -> CheckResult:
    """The send-time checks: everything but the platform identity, in the order a person
    would want to hear it. The one function every way to the platform's "create" passes
    (first send, retry and reconcile re-send in :func:`begin_attempt`, under the post's
    row lock, as the last step before the call; and a person's release of a held post).

    ``since``: when the send being completed started (a re-send of an unconfirmed post is
    that send, so its missed-time check is measured from it); else the claim (the lease's
    start), so a retry's wait does not count. ``facts``: what :func:`gather` read for a set
    of posts including this one (a batch's checks); else they are read for this post."""
    from policy import services as policy_services

    now = now or timezone.now()
    brand, channel = post.brand, post.channel
    if brand.is_paused:
        return CheckResult(
            f"It fell due while publishing for {brand.name} was paused "
            f"({brand.paused_reason or 'no reason given'}); re-confirm its time to send it."
        )
    if channel.is_paused:
        return CheckResult(
            f"It fell due while the channel {channel.handle} was paused "
            f"({channel.paused_reason or 'no reason given'}); re-confirm its time to send it."
        )
    if post.scheduled_at is None:
        return CheckResult("It has no scheduled time; re-confirm a time to send it.")
    if since is not None:
        claimed_at = since
    elif post.lease_expires_at is not None:
        claimed_at = post.lease_expires_at - dt.timedelta(seconds=lease_seconds())
    else:
        claimed_at = now
    if post.scheduled_at < min(now, claimed_at) - MISSED_TIME_GRACE:
        return CheckResult(
            f"It missed its time ({iso(post.scheduled_at)}) by more than "
            f"{int(MISSED_TIME_GRACE.total_seconds() // 60)} minutes; re-confirm a new time."
        )
    if current_fingerprint(post) != post.content_hash:
        return CheckResult(
            "Its content changed after it was approved (the fingerprint no longer matches); "
            "it needs reviewing again."
        )
    if facts is None or post.pk not in facts.approvals:
        facts = gather([post])
    reason, approvals, approvers = _approval_problem(post, facts)
    if reason:
        return CheckResult(reason, approvals=approvals, approvers=approvers)
    version = facts.versions.get(brand.policy_version_id)
    if version is None:
        return CheckResult(
            f"{brand.name} has no policy version yet; open its policy page to start one, "
            "then re-confirm the post.",
            approvals=approvals,
            approvers=approvers,
        )
    # The post and its brand were read just now (under the row lock, for a send): the brand
    # row's policy version (above) and lint context stamp are current.
    linted = policy_services.policy_lint(
        brand=brand,
        text=post.text,
        channel=channel,
        category=post.category,
        version=version,
        brand_loaded=True,
    )
    if linted.result.blocked:
        blocking = [f for f in linted.result.findings if f.severity == "block"]
        first = blocking[0]
        more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
        return CheckResult(
            f"Policy v{linted.version.number} now blocks it: {first.message} "
            f"(rule {first.rule}, “{first.match}”){more}.",
            linted=linted,
            approvals=approvals,
            approvers=approvers,
        )
    from planner.strategy.selectors import credit_problems

    credit = credit_problems(post)
    if credit:
        return CheckResult(
            f"Customer content: {credit[0]}",
            linted=linted,
            approvals=approvals,
            approvers=approvers,
        )
    if media_of(post) and not client_class(channel).supports_media:
        return CheckResult(
            f"{channel.get_platform_display()} channels cannot send attachments yet; "
            "remove them or post by hand.",
            linted=linted,
            approvals=approvals,
            approvers=approvers,
        )
    return CheckResult(None, linted=linted, approvals=approvals, approvers=approvers)


def publish_checks(post: Post) -> str | None:
    """Why the post must be held instead of sent (brand/channel paused, missed its time,
    content changed, approvals not valid for this content, policy now blocks it), or None.

    The platform identity of the channel's credential is checked separately, right before
    the send (:func:`identity_check`)."""
    return run_checks(post).reason
