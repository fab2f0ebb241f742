"""Scheduled publishing: claim due posts, check everything again, send once, keep evidence.

The database row is the truth and the broker only a doorbell (DESIGN.md, "The post
lifecycle"):

- :func:`dispatch` (the periodic task's body) sweeps expired leases, claims due approved
  posts with a lease (:func:`planner.lifecycle.claim_due`) and picks unconfirmed posts that
  are due for reconciliation. The task layer enqueues one task per post.
- :func:`publish_one` re-reads the post, checks the identity of the channel's credential,
  then, as the last step before the network call and with the post's row locked, re-runs
  every send-time check (:func:`_run_checks`, in :func:`_begin_attempt`) and stores the
  delivery with its deterministic idempotency key; sends, and records the outcome:
  published (with evidence), held (a check failed), a retry (nothing was accepted),
  unconfirmed (the outcome is unknown) or failed (the platform refused the post).
- :func:`reconcile_one` settles an unconfirmed send: looked up on the platform, or re-sent
  with the *same* key while the platform still deduplicates it (through the same
  :func:`_begin_attempt`, so the same checks), or failed with the reason. A re-send stopped
  by a check is never made; the lookups go on.

An attempt that may have reached the platform is marked "in flight" in ``Delivery.attempts``
(committed before the request). It is also the per-post mutex: no second send starts while
one is in flight, and the sweeper turns an expired lease with a send in flight into
``unconfirmed`` instead of handing the post back to the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import permissions
from accounts import services as account_services
from accounts.models import Brand, Channel, Membership, Platform, User
from accounts.permissions import Action
from config.errors import Conflict, DomainError, NotFoundError
from planner import lifecycle
from planner.content import fingerprint
from planner.models import Delivery, Post, Status
from platforms import errors as platform_errors
from platforms.base import Identity, MediaItem, PublishResult

logger = logging.getLogger(__name__)

#: Sends of one post (first try and retries together) before it fails.
MAX_SEND_ATTEMPTS = 5
#: Exponential backoff between retries: base * 2**(n-1), capped, with jitter.
RETRY_BASE_SECONDS = 10.0
RETRY_MAX_SECONDS = 600.0
#: Lookups of an unconfirmed post before it fails; and the wait between them.
MAX_RECONCILE_CHECKS = 8
RECONCILE_FIRST_DELAY_SECONDS = 5.0
#: A channel's whoami answer is reused this long (per process), then asked again.
IDENTITY_CACHE_SECONDS = 15.0
#: A post claimed this long after its time is held for a person to re-confirm.
MISSED_TIME_GRACE = dt.timedelta(hours=1)
#: Posts claimed per dispatcher pass.
DISPATCH_BATCH = 500

#: How long each platform deduplicates a repeated idempotency key (None: for ever). Within
#: it, an unconfirmed send that cannot be found is re-sent with the same key; after it, the
#: post fails with the reason instead (a re-send could make a second post).
IDEMPOTENCY_WINDOWS: dict[str, dt.timedelta | None] = {
    Platform.MASTODON: dt.timedelta(minutes=55),  # Mastodon keeps keys one hour
    Platform.BLUESKY: None,  # the record key is derived from the idempotency key
    Platform.WEBHOOK: dt.timedelta(days=7),  # the receiver contract: at least 7 days
    Platform.OUTBOX: None,  # the outbox file is searched for the key
}

_KEY_SALT = "countersign-publish-v1"


# --- small helpers ---------------------------------------------------------------------------


def _lease_seconds() -> int:
    return int(settings.COUNTERSIGN["PUBLISH_LEASE_SECONDS"])


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def idempotency_key(post_id: int, content_hash: str) -> str:
    """The key a send of this content of this post always carries (64 hex characters)."""
    raw = f"{_KEY_SALT}\x00{int(post_id)}\x00{content_hash}".encode()
    return hashlib.sha256(raw).hexdigest()


def _in_flight(delivery: Delivery | None) -> bool:
    """Whether the last send may have reached the platform and has no recorded outcome."""
    if delivery is None or not delivery.attempts:
        return False
    last = delivery.attempts[-1]
    return last.get("kind") in ("send", "resend") and last.get("outcome") is None


def attempt_in_flight(post_id: int) -> bool:
    return _in_flight(Delivery.objects.filter(post_id=post_id).first())


def _lock_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("brand", "channel", "channel__brand", "author")
        .filter(pk=post_id)
        .first()
    )


def _lock_state(post_id: int) -> Post | None:
    """The post's publishing state only, locked (the row lock is the per-post mutex)."""
    return (
        Post.objects.select_for_update()
        .only("id", "status", "lease_expires_at", "content_hash", "publish_attempts")
        .filter(pk=post_id)
        .first()
    )


def _lock_delivery(post_id: int) -> Delivery | None:
    return Delivery.objects.select_for_update().filter(post_id=post_id).first()


def _media_of(post: Post) -> list:
    """The post's attachments, read once per post object (checks, evidence and the send)."""
    cached = getattr(post, "_publishing_media", None)
    if cached is None:
        cached = post._publishing_media = list(post.media.order_by("pk"))
    return cached


def _current_fingerprint(post: Post) -> str:
    """planner.content.content_fingerprint, from the attachments already read."""
    return fingerprint(
        text=post.text,
        channel_id=post.channel_id,
        category=post.category,
        media=[(m.pk, m.alt_text) for m in _media_of(post)],
    )


def _set_lease(post_id: int, when: dt.datetime | None) -> None:
    Post.objects.filter(pk=post_id).update(lease_expires_at=when)


def _finish_attempt(delivery: Delivery, *, outcome: str, error: str = "", now=None) -> None:
    """Record the outcome of the last attempt (the caller holds the post's row lock)."""
    now = now or timezone.now()
    if delivery.attempts and delivery.attempts[-1].get("outcome") is None:
        delivery.attempts[-1].update(
            {"outcome": outcome, "finished_at": _iso(now), "error": error[:500]}
        )
    if error:
        delivery.last_error = error[:2000]
    delivery.save(update_fields=["attempts", "last_error"])


def _admins(brand: Brand) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(brand=brand, is_admin=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ]


def _tell(post: Post, *, kind: str, subject: str, body: str, author: bool = True) -> list[str]:
    """Notify the brand admins (and the author): in the app and by email. Returns who."""
    people = _admins(post.brand)
    if author and post.author is not None and post.author.is_active:
        people.append(post.author)
    people = list({u.pk: u for u in people}.values())
    account_services.notify(
        users=people,
        kind=kind,
        subject=subject,
        body=body,
        url=post.get_absolute_url(),
        brand=post.brand,
    )
    return sorted(u.username for u in people)


# --- outcomes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one publish or reconcile step did. ``retry_in``: send again after that long."""

    post_id: int
    result: str  # published | held | failed | unconfirmed | retry | waiting | skipped
    detail: str = ""
    retry_in: float | None = None


@dataclass
class DispatchResult:
    swept: dict[int, str] = field(default_factory=dict)
    claimed: list[int] = field(default_factory=list)
    reconcile: list[int] = field(default_factory=list)


# --- the checks made again at send time -----------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    reason: str | None
    linted: object | None = None  # policy.services.Linted at send time
    approvals: tuple = ()  # evidence entries: who approved which content hash, when
    approvers: tuple = ()  # those people (for their certification at send time)


def _approval_problem(post: Post) -> tuple[str | None, tuple, tuple]:
    """Are the post's approvals enough for its current content hash? (reason, approvals).

    Asks the one approval rule (``planner.selectors.approval_state`` over
    ``policy.approvals.tally``), the same answer the approve button and the inbox get.
    """
    from planner import selectors

    state = selectors.approval_state(post=post)
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
            "approved_at": _iso(a.approved_at),
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


def _run_checks(
    post: Post, *, now: dt.datetime | None = None, since: dt.datetime | None = None
) -> CheckResult:
    """The send-time checks: everything but the platform identity, in the order a person
    would want to hear it. The one function every way to the platform's "create" passes
    (first send, retry and reconcile re-send in :func:`_begin_attempt`, under the post's
    row lock, as the last step before the call; and a person's release of a held post).

    ``since``: when the send being completed started (a re-send of an unconfirmed post is
    that send, so its missed-time check is measured from it); else the claim (the lease's
    start), so a retry's wait does not count."""
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
        claimed_at = post.lease_expires_at - dt.timedelta(seconds=_lease_seconds())
    else:
        claimed_at = now
    if post.scheduled_at < min(now, claimed_at) - MISSED_TIME_GRACE:
        return CheckResult(
            f"It missed its time ({_iso(post.scheduled_at)}) by more than "
            f"{int(MISSED_TIME_GRACE.total_seconds() // 60)} minutes; re-confirm a new time."
        )
    if _current_fingerprint(post) != post.content_hash:
        return CheckResult(
            "Its content changed after it was approved (the fingerprint no longer matches); "
            "it needs reviewing again."
        )
    reason, approvals, approvers = _approval_problem(post)
    if reason:
        return CheckResult(reason, approvals=approvals, approvers=approvers)
    linted = policy_services.policy_lint(
        brand=brand, text=post.text, channel=channel, category=post.category
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
    if _media_of(post) and not _client_class(channel).supports_media:
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
    return _run_checks(post).reason


# --- the platform side: clients and the identity check -------------------------------------


def _client_class(channel: Channel):
    from platforms.registry import get_client_class

    return get_client_class(channel.platform)


def _credential_fingerprint(channel: Channel) -> str:
    return hashlib.sha256(channel.credential_encrypted.encode()).hexdigest()[:16]


_clients = threading.local()


def _client_for(channel: Channel):
    """The channel's platform client, reused within a thread while the credential is the
    same (its HTTP session keeps the connection open)."""
    cache = getattr(_clients, "by_channel", None)
    if cache is None:
        cache = _clients.by_channel = {}
    key = (channel.pk, channel.platform, channel.instance_url, _credential_fingerprint(channel))
    client = cache.get(key)
    if client is None:
        for old in [k for k in cache if k[0] == channel.pk]:
            cache.pop(old).close()
        client = account_services.channel_client(channel)
        cache[key] = client
    return client


def _forget_client(channel: Channel) -> None:
    cache = getattr(_clients, "by_channel", None) or {}
    for old in [k for k in cache if k[0] == channel.pk]:
        cache.pop(old).close()


_identity_lock = threading.Lock()
_identities: dict[tuple, tuple[Identity, float, dt.datetime]] = {}


def clear_caches() -> None:
    """Forget remembered identities and this thread's clients (tests; credential rotation)."""
    with _identity_lock:
        _identities.clear()
    cache = getattr(_clients, "by_channel", None) or {}
    while cache:
        cache.popitem()[1].close()


@dataclass(frozen=True)
class IdentityCheck:
    identity: Identity
    checked_at: dt.datetime
    from_cache: bool

    def evidence(self, channel: Channel) -> dict:
        return {
            "expected_remote_id": channel.remote_account_id,
            "expected_handle": channel.handle,
            "actual_remote_id": self.identity.remote_id,
            "actual_handle": self.identity.handle,
            "matches": self.identity.remote_id == channel.remote_account_id,
            "checked_at": _iso(self.checked_at),
            "from_cache": self.from_cache,
        }


def identity_check(channel: Channel, client) -> IdentityCheck:
    """Who the channel's credential posts as now (``whoami``), reused for a few seconds per
    channel and credential. Raises the client's errors."""
    key = (channel.pk, channel.remote_account_id, _credential_fingerprint(channel))
    now = time.monotonic()
    with _identity_lock:
        cached = _identities.get(key)
    if cached is not None and now - cached[1] < IDENTITY_CACHE_SECONDS:
        return IdentityCheck(identity=cached[0], checked_at=cached[2], from_cache=True)
    identity = client.whoami()
    checked_at = timezone.now()
    if identity.remote_id == channel.remote_account_id:
        with _identity_lock:
            _identities[key] = (identity, now, checked_at)
    return IdentityCheck(identity=identity, checked_at=checked_at, from_cache=False)


def _identity_mismatch(post: Post, check: IdentityCheck, *, expect: Status) -> Outcome:
    """The credential is someone else now: hold, audit ``guard.identity_mismatch``, alert."""
    channel = post.channel
    actual = check.identity
    reason = (
        f"The credential of {channel.handle} ({channel.get_platform_display()}) now posts as "
        f"{actual.handle} (account id {actual.remote_id}), not as the connected account "
        f"{channel.handle} (account id {channel.remote_account_id}). Nothing was sent. "
        "Reconnect the channel with the brand's own credential, then re-confirm the post."
    )
    with transaction.atomic():
        account_services.audit_record(
            action="guard.identity_mismatch",
            brand=post.brand,
            obj=channel,
            message=reason[:500],
            data={
                "post": post.pk,
                "channel": channel.pk,
                "channel_handle": channel.handle,
                "platform": channel.platform,
                "expected_remote_id": channel.remote_account_id,
                "actual_remote_id": actual.remote_id,
                "actual_handle": actual.handle,
            },
        )
        people = _tell(
            post,
            kind="guard.identity_mismatch",
            subject=f"Held: {channel.handle} now posts as {actual.handle}",
            body=(
                f"Post {post.pk} was held before sending. The channel {channel.handle} "
                f"({channel.get_platform_display()}) was connected as account id "
                f"{channel.remote_account_id}, but its credential now authenticates as "
                f"{actual.handle} (account id {actual.remote_id}).\n\n"
                "Nothing was sent. Reconnect the channel with the brand's own account."
            ),
            author=False,
        )
        held = _hold(post.pk, reason, expect=expect, data={"notified": people}, tell=False)
    return Outcome(post.pk, "held" if held else "skipped", reason)


# --- holding, failing, publishing (state moves with their bookkeeping) ----------------------


def _hold(
    post_id: int, reason: str, *, expect: Status, data: dict | None = None, tell: bool = True
) -> bool:
    """Hold the post (from ``expect``) with the reason; tell the author and the admins."""

    def guard(post: Post) -> None:
        if post.status != expect:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            post = lifecycle.transition(
                post_id, to=Status.HELD, actor=None, reason=reason, guard=guard, data=data
            )
            _set_lease(post_id, None)
            if tell:
                post = Post.objects.select_related("brand", "author").get(pk=post_id)
                _tell(
                    post,
                    kind="post.held",
                    subject=f"Post {post_id} held: {reason[:120]}",
                    body=f"Post {post_id} was held and not sent.\n\n{reason}",
                )
    except lifecycle.TransitionRefused:
        return False
    return True


def _fail(
    post_id: int,
    reason: str,
    *,
    sources: tuple[Status, ...],
    outcome: str | None = None,
) -> Outcome:
    """Fail the post (final) with the reason; tell the author and the admins, and keep who
    was told on the delivery."""

    def guard(post: Post) -> None:
        if post.status not in sources:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            post = _lock_post(post_id)
            if post is None or post.status not in sources:
                return Outcome(post_id, "skipped", "moved on meanwhile")
            people = _tell(
                post,
                kind="post.failed",
                subject=f"Post {post_id} failed: {reason[:120]}",
                body=f"Post {post_id} on {post.channel.handle} was not published.\n\n{reason}",
            )
            lifecycle.transition(
                post_id,
                to=Status.FAILED,
                actor=None,
                reason=reason,
                guard=guard,
                data={"notified": people},
            )
            _set_lease(post_id, None)
            delivery = _lock_delivery(post_id)
            if delivery is None:  # failed before any send: the reason still needs a home
                delivery = Delivery.objects.create(
                    post=post,
                    idempotency_key=idempotency_key(post.pk, post.content_hash),
                    content_hash=post.content_hash,
                )
            if delivery is not None:
                if outcome is not None:
                    _finish_attempt(delivery, outcome=outcome, error=reason)
                delivery.last_error = reason[:2000]
                delivery.evidence = {
                    **(delivery.evidence or {}),
                    "failure": {"reason": reason, "notified": people, "at": _iso(timezone.now())},
                }
                delivery.save(update_fields=["last_error", "evidence"])
    except lifecycle.TransitionRefused:
        return Outcome(post_id, "skipped", "moved on meanwhile")
    return Outcome(post_id, "failed", reason)


def _record_published(
    post_id: int, result: PublishResult, *, platform: str, reconciled: bool, outcome: str
) -> Outcome:
    """The platform has the post: published (or reconciled), with the evidence completed."""
    now = timezone.now()
    with transaction.atomic():
        post = _lock_state(post_id)
        delivery = _lock_delivery(post_id)
        if post is None or delivery is None:
            return Outcome(post_id, "skipped", "gone")
        if delivery.attempts and delivery.attempts[-1].get("outcome") is None:
            delivery.attempts[-1].update(
                {"outcome": outcome, "finished_at": _iso(now), "error": ""}
            )
        delivery.remote_id = result.remote_id[:255]
        delivery.remote_url = (result.url or "")[:500]
        delivery.published_at = delivery.published_at or now
        evidence = dict(delivery.evidence or {})
        evidence.pop("failure", None)
        evidence.update(
            {
                "status": "published",
                "remote": {
                    "platform": platform,
                    "id": delivery.remote_id,
                    "url": delivery.remote_url,
                },
                "reconciled": reconciled,
            }
        )
        evidence.setdefault("timestamps", {}).update(
            {
                "first_attempt_at": _iso(delivery.first_attempt_at),
                "published_at": _iso(delivery.published_at),
                "recorded_at": _iso(now),
            }
        )
        delivery.evidence = evidence
        delivery.last_error = ""
        delivery.save(
            update_fields=[
                "remote_id",
                "remote_url",
                "published_at",
                "evidence",
                "last_error",
                "attempts",
            ]
        )
        if post.status == Status.PUBLISHED:
            return Outcome(post_id, "skipped", "already published")
        if post.status not in (Status.PUBLISHING, Status.UNCONFIRMED):
            # A person moved it while the send was under way (cannot normally happen: a
            # send takes seconds, a lease minutes). The delivery keeps what the platform has.
            logger.error("post %s was %s when its send was accepted", post_id, post.status)
            return Outcome(post_id, "skipped", f"was {post.status} when accepted")
        lifecycle.transition(
            post_id,
            to=Status.PUBLISHED,
            actor=None,
            data={"remote_id": delivery.remote_id, "remote_url": delivery.remote_url},
        )
        Post.objects.filter(pk=post_id).update(
            remote_url=delivery.remote_url, lease_expires_at=None
        )
    return Outcome(post_id, "published", delivery.remote_url)


# --- evidence ---------------------------------------------------------------------------------


def _certifications(post: Post, approvers: tuple) -> dict:
    from policy.training import selectors as training_selectors

    gate = getattr(training_selectors, "certification_gate", None)

    def entry(user: User | None, role: str) -> dict:
        if user is None:
            return {"user": None, "role": role, "certified": None, "reason": "account removed"}
        reason = gate(user=user, brand=post.brand, role=role) if gate else None
        return {"user": user.username, "role": role, "certified": reason is None, "reason": reason}

    approvers = sorted(approvers, key=lambda user: user.username)
    return {
        "required": post.brand.require_certification,
        "author": entry(post.author, "author"),
        "approvers": [entry(user, "approver") for user in approvers],
    }


def _draft_evidence(
    post: Post, *, key: str, checks: CheckResult, identity: IdentityCheck, now: dt.datetime
) -> dict:
    """Everything known before the send; completed by :func:`_record_published`."""
    linted = checks.linted
    policy = None
    if linted is not None:
        policy = {
            "version": linted.version.number,
            "version_id": linted.version.pk,
            "rules": [r.get("id") for r in linted.version.rules],
            **linted.result.to_dict(),
        }
    media = [
        {"pk": m.pk, "mime_type": m.mime_type, "size": m.size, "alt_text": m.alt_text}
        for m in _media_of(post)
    ]
    return {
        "schema": 1,
        "status": "sending",
        "post": post.pk,
        "brand": post.brand.slug,
        "channel": {
            "id": post.channel.pk,
            "platform": post.channel.platform,
            "handle": post.channel.handle,
            "instance_url": post.channel.instance_url,
        },
        "content": {
            "fingerprint": post.content_hash,
            "revision": post.revision,
            "text": post.text,
            "category": post.category,
            "media": media,
        },
        "idempotency_key": key,
        "policy": policy,
        "approvals": list(checks.approvals),
        "identity": identity.evidence(post.channel),
        "certification": _certifications(post, checks.approvers),
        "timestamps": {
            "scheduled_at": _iso(post.scheduled_at),
            "checked_at": _iso(now),
        },
    }


# --- sending -------------------------------------------------------------------------------


class _ContentChanged(Exception):
    pass


class _CheckFailed(Exception):
    """A send-time check failed at the last look before the call: nothing was sent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Attempt:
    """A send that may start: its delivery (committed, in flight) and the post as checked."""

    delivery: Delivery
    post: Post


def _share_lock_brand_and_channel(post_id: int) -> None:
    """Until the transaction ends, a pause (which locks the brand or channel row to write
    it) waits: it lands before the checks read the flags, or after the send is marked in
    flight, never in between. PostgreSQL: ``FOR SHARE`` (sends of a brand do not wait for
    each other). SQLite: every write transaction is IMMEDIATE, so a pause already waits."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    post_table, brand_table, channel_table = (
        Post._meta.db_table,
        Brand._meta.db_table,
        Channel._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT b."id" FROM "{post_table}" p '  # noqa: S608 - table names from _meta
            f'JOIN "{brand_table}" b ON b."id" = p."brand_id" '
            f'JOIN "{channel_table}" c ON c."id" = p."channel_id" '
            'WHERE p."id" = %s FOR SHARE OF b, c',
            [post_id],
        )


def _begin_attempt(
    post_id: int,
    *,
    brand: Brand,
    expect: Status,
    kind: str,
    checked_hash: str,
    remote_account_id: str,
    evidence: dict | None = None,
    identity: IdentityCheck | None = None,
    since: dt.datetime | None = None,
    now: dt.datetime,
) -> _Attempt | None:
    """The last step before the network call. Under the post's row lock: still ``expect``
    (and still leased, for publishing), the content still the one checked, nothing in
    flight, and every send-time check (:func:`_run_checks`: pause flags, approvals, policy,
    ...) passing on the rows as they are now. Then store the delivery with its key and an
    in-flight attempt, and commit, before any network call.

    None: someone else has it. Raises :class:`_CheckFailed` (nothing stored, nothing to
    send) when a check fails, :class:`_ContentChanged` when the content moved on.
    ``identity``: the evidence is drafted from these checks and that identity check;
    else ``evidence`` (or the delivery's evidence is kept, for a re-send)."""
    from policy import services as policy_services

    # The brand's policy must exist before its row is share-locked: starting the starter
    # policy locks the row FOR UPDATE, and two sends of one brand holding FOR SHARE would
    # deadlock on that upgrade.
    policy_services.policy_ensure(brand=brand)
    with transaction.atomic():
        _share_lock_brand_and_channel(post_id)
        post = _lock_post(post_id)
        if post is None or post.status != expect:
            return None
        if expect == Status.PUBLISHING and (
            post.lease_expires_at is None or post.lease_expires_at <= timezone.now()
        ):
            return None  # the lease ran out meanwhile: the sweeper has (or will have) it
        if post.content_hash != checked_hash:
            raise _ContentChanged()
        key = idempotency_key(post.pk, post.content_hash)
        delivery = _lock_delivery(post_id)
        if _in_flight(delivery):
            return None
        # A pause, a withdrawn approval or a new policy version committed since the worker
        # picked the post up stops it here: the pause flags, approvals and policy are read
        # again with the row locked, right before the in-flight marker is committed.
        checks = _run_checks(post, now=now, since=since)
        if checks.reason:
            raise _CheckFailed(checks.reason)
        if identity is not None:
            evidence = _draft_evidence(post, key=key, checks=checks, identity=identity, now=now)
        if delivery is None:
            delivery = Delivery(post_id=post_id, idempotency_key=key, content_hash=checked_hash)
        elif delivery.idempotency_key != key:
            # New content since the last key: nothing under the old key was accepted (it
            # would be published or unconfirmed, never back here), so a new key is right.
            delivery.attempts.append(
                {"kind": "rekey", "started_at": _iso(now), "previous_key": delivery.idempotency_key}
            )
            delivery.idempotency_key, delivery.content_hash = key, post.content_hash
            delivery.first_attempt_at = None
        delivery.attempts.append(
            {
                "n": sum(1 for a in delivery.attempts if a.get("kind") in ("send", "resend")) + 1,
                "kind": kind,
                "started_at": _iso(now),
                "outcome": None,
            }
        )
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.last_attempt_at = now
        delivery.remote_account_id = remote_account_id
        if evidence is not None:
            delivery.evidence = evidence
        delivery.save()
        fields = {"publish_attempts": post.publish_attempts + 1}
        if expect == Status.PUBLISHING:
            fields["lease_expires_at"] = now + dt.timedelta(seconds=_lease_seconds())
        Post.objects.filter(pk=post_id).update(**fields)
    return _Attempt(delivery=delivery, post=post)


def _media_items(post: Post) -> list[MediaItem]:
    items = []
    for media in _media_of(post):
        with media.file.open("rb") as fh:
            items.append(MediaItem(fh.read(), media.mime_type, media.alt_text))
    return items


def _backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**(attempt-1)."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after:
        delay = max(delay, min(float(retry_after), RETRY_MAX_SECONDS))
    return delay


def _load(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("brand", "channel", "channel__brand", "author", "delivery")
        .filter(pk=post_id)
        .first()
    )


def _delivery_of(post: Post) -> Delivery | None:
    try:
        return post.delivery
    except Delivery.DoesNotExist:
        return None


def _reconnect_reason(channel: Channel, exc: Exception) -> str:
    detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return (
        f"The channel {channel.handle} could not be used: {detail} "
        "Reconnect the channel on the Channels page, then re-confirm the post."
    )


def publish_one(post_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Publish one claimed post: re-check, store the key, send once, record the outcome."""
    now = now or timezone.now()
    post = _load(post_id)
    if post is None:
        return Outcome(post_id, "skipped", "gone")
    if post.status != Status.PUBLISHING:
        return Outcome(post_id, "skipped", f"is {post.status}")
    if post.lease_expires_at is None or post.lease_expires_at <= now:
        return Outcome(post_id, "skipped", "lease lost")
    if _in_flight(_delivery_of(post)):
        return Outcome(post_id, "skipped", "a send is in flight")
    # The send-time checks run once, in _begin_attempt, under the row lock, as the last
    # step before the call; the identity of the credential (a network call) comes first.
    # When that cannot be checked, a failing send-time check is the reason given (a person
    # must act on it whatever the platform does).
    channel = post.channel

    def hold(reason: str) -> Outcome:
        reason = _run_checks(post, now=now).reason or reason
        held = _hold(post_id, reason, expect=Status.PUBLISHING)
        return Outcome(post_id, "held" if held else "skipped", reason)

    try:
        client = _client_for(channel)
        identity = identity_check(channel, client)
    except (ValidationError, DomainError, platform_errors.AuthenticationFailed) as exc:
        _forget_client(channel)
        return hold(_reconnect_reason(channel, exc))
    except platform_errors.PlatformUnavailable as exc:
        blocked = _run_checks(post, now=now).reason
        if blocked:
            held = _hold(post_id, blocked, expect=Status.PUBLISHING)
            return Outcome(post_id, "held" if held else "skipped", blocked)
        return _retry_or_fail(post, exc, before_send=True)
    except platform_errors.PlatformError as exc:
        return hold(f"The identity of {channel.handle} could not be checked: {exc}")
    if identity.identity.remote_id != channel.remote_account_id:
        return _identity_mismatch(post, identity, expect=Status.PUBLISHING)
    try:
        attempt = _begin_attempt(
            post_id,
            brand=post.brand,
            expect=Status.PUBLISHING,
            kind="send",
            checked_hash=post.content_hash,
            remote_account_id=channel.remote_account_id,
            identity=identity,
            now=now,
        )
    except _CheckFailed as exc:
        held = _hold(post_id, exc.reason, expect=Status.PUBLISHING)
        return Outcome(post_id, "held" if held else "skipped", exc.reason)
    except _ContentChanged:
        reason = "Its content changed while it was being sent; it needs reviewing again."
        held = _hold(post_id, reason, expect=Status.PUBLISHING)
        return Outcome(post_id, "held" if held else "skipped", reason)
    if attempt is None:
        return Outcome(post_id, "skipped", "another worker has it")
    return _send(attempt.post, client, attempt.delivery, kind="send")


def _send(post: Post, client, delivery: Delivery, *, kind: str) -> Outcome:
    """The network call, then its outcome recorded. ``kind``: send (publishing) or resend
    (reconciling an unconfirmed post, same key)."""
    source = Status.PUBLISHING if kind == "send" else Status.UNCONFIRMED
    try:
        result = client.publish(
            text=post.text,
            idempotency_key=delivery.idempotency_key,
            media=_media_items(post),
        )
    except platform_errors.PlatformUnavailable as exc:
        _note(post.pk, outcome="unavailable", error=str(exc))
        if kind == "resend":
            return _reconcile_later(post.pk, str(exc))
        return _retry_or_fail(post, exc, before_send=False)
    except platform_errors.OutcomeUnknown as exc:
        _note(post.pk, outcome="unknown", error=str(exc))
        if kind == "resend":
            return _reconcile_later(post.pk, str(exc))
        return _unconfirmed(post.pk, str(exc))
    except platform_errors.PublishRejected as exc:
        reason = f"{post.channel.get_platform_display()} refused the post: {exc.detail or exc}"
        return _fail(post.pk, reason, sources=(source,), outcome="rejected")
    except (platform_errors.AuthenticationFailed, platform_errors.PlatformError) as exc:
        # Refused before anything was stored (bad credential, redirect, unsupported media):
        # nothing was published, and nothing will be until a person fixes the channel.
        _forget_client(post.channel)
        _note(post.pk, outcome="refused", error=str(exc))
        reason = _reconnect_reason(post.channel, exc)
        if kind == "resend":
            return _fail(post.pk, reason, sources=(source,))
        held = _hold(post.pk, reason, expect=Status.PUBLISHING)
        return Outcome(post.pk, "held" if held else "skipped", reason)
    return _record_published(
        post.pk,
        result,
        platform=post.channel.platform,
        reconciled=kind == "resend",
        outcome="published",
    )


def _note(post_id: int, *, outcome: str, error: str = "") -> None:
    with transaction.atomic():
        _lock_state(post_id)
        delivery = _lock_delivery(post_id)
        if delivery is not None:
            _finish_attempt(delivery, outcome=outcome, error=error)


def _retry_or_fail(post: Post, exc: platform_errors.PlatformUnavailable, *, before_send: bool):
    """Nothing was accepted: send again later with the same key, or fail after the last try."""
    attempts = Post.objects.filter(pk=post.pk).values_list("publish_attempts", flat=True).first()
    attempts = (attempts or 0) + (1 if before_send else 0)
    if before_send:
        Post.objects.filter(pk=post.pk).update(publish_attempts=attempts)
    if attempts >= MAX_SEND_ATTEMPTS:
        reason = (
            f"{post.channel.get_platform_display()} could not be reached after "
            f"{attempts} tries: {exc}"
        )
        return _fail(post.pk, reason, sources=(Status.PUBLISHING,))
    delay = _backoff(attempts, getattr(exc, "retry_after", None))
    # The lease covers the wait, so the sweeper leaves the post alone until the retry is
    # due; if the retry message is lost, the lease runs out and the dispatcher claims it.
    lease = timezone.now() + dt.timedelta(seconds=delay + _lease_seconds())
    Post.objects.filter(pk=post.pk, status=Status.PUBLISHING).update(lease_expires_at=lease)
    return Outcome(post.pk, "retry", str(exc), retry_in=delay)


def _unconfirmed(post_id: int, detail: str) -> Outcome:
    def guard(post: Post) -> None:
        if post.status != Status.PUBLISHING:
            raise lifecycle.TransitionRefused("The post moved on meanwhile.")

    try:
        with transaction.atomic():
            lifecycle.transition(
                post_id, to=Status.UNCONFIRMED, actor=None, reason=detail, guard=guard
            )
            _set_lease(
                post_id, timezone.now() + dt.timedelta(seconds=RECONCILE_FIRST_DELAY_SECONDS)
            )
    except lifecycle.TransitionRefused:
        return Outcome(post_id, "skipped", "moved on meanwhile")
    return Outcome(post_id, "unconfirmed", detail)


# --- reconciling unconfirmed sends ---------------------------------------------------------


def _reconcile_later(post_id: int, detail: str) -> Outcome:
    """Leave the post unconfirmed and look again later (the lease is the next check time)."""
    checks = 0
    delivery = Delivery.objects.filter(post_id=post_id).first()
    if delivery is not None:
        checks = sum(1 for a in delivery.attempts if a.get("kind") == "lookup")
    delay = _backoff(checks + 1)
    Post.objects.filter(pk=post_id, status=Status.UNCONFIRMED).update(
        lease_expires_at=timezone.now() + dt.timedelta(seconds=delay)
    )
    return Outcome(post_id, "waiting", detail, retry_in=delay)


def _within_window(platform: str, since: dt.datetime | None, now: dt.datetime) -> bool:
    if platform not in IDEMPOTENCY_WINDOWS:
        return False
    window = IDEMPOTENCY_WINDOWS[platform]
    return window is None or since is None or now - since < window


def _window_label(platform: str) -> str:
    window = IDEMPOTENCY_WINDOWS.get(platform)
    if window is None:
        return "no deduplication" if platform not in IDEMPOTENCY_WINDOWS else "unlimited"
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 1440} days"


def reconcile_one(post_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Settle an unconfirmed send: look it up; found → published; not found → re-send with
    the same key while the platform deduplicates it; otherwise fail with the reason."""
    now = now or timezone.now()
    post = _load(post_id)
    if post is None:
        return Outcome(post_id, "skipped", "gone")
    if post.status != Status.UNCONFIRMED:
        return Outcome(post_id, "skipped", f"is {post.status}")
    with transaction.atomic():
        locked = _lock_state(post_id)
        if locked is None or locked.status != Status.UNCONFIRMED:
            return Outcome(post_id, "skipped", "settled meanwhile")
        delivery = _lock_delivery(post_id)
        if delivery is not None:
            if _in_flight(delivery):
                return Outcome(post_id, "skipped", "a re-send is in flight")
            checks = sum(1 for a in delivery.attempts if a.get("kind") == "lookup")
            delivery.attempts.append(
                {"kind": "lookup", "started_at": _iso(now), "outcome": "checking"}
            )
            delivery.save(update_fields=["attempts"])
    if delivery is None:
        return _fail(
            post_id,
            "Its send was never recorded, so it cannot be checked on the platform.",
            sources=(Status.UNCONFIRMED,),
        )
    stopped = _resend_stopped(delivery)
    if checks >= MAX_RECONCILE_CHECKS:
        if stopped:
            return _fail(
                post_id,
                f"It was not found on {post.channel.get_platform_display()} after {checks} "
                f"checks, and it was not sent again: {stopped} Check {post.channel.handle} "
                "and post it by hand if it is missing.",
                sources=(Status.UNCONFIRMED,),
            )
        return _fail(
            post_id,
            f"It could not be confirmed on {post.channel.get_platform_display()} after "
            f"{checks} checks. Look at {post.channel.handle} before posting it again by hand.",
            sources=(Status.UNCONFIRMED,),
        )
    channel = post.channel
    try:
        client = _client_for(channel)
        found = client.lookup(
            idempotency_key=delivery.idempotency_key,
            text=post.text,
            since=delivery.first_attempt_at,
        )
    except (ValidationError, DomainError) as exc:
        _forget_client(channel)
        _set_lookup_outcome(post_id, "error", _reconnect_reason(channel, exc))
        return _reconcile_later(post_id, _reconnect_reason(channel, exc))
    except platform_errors.PlatformError as exc:
        _set_lookup_outcome(post_id, "error", str(exc))
        return _reconcile_later(post_id, str(exc))
    if found is not None:
        _set_lookup_outcome(post_id, "found")
        return _record_published(
            post_id, found, platform=channel.platform, reconciled=True, outcome="found"
        )
    _set_lookup_outcome(post_id, "not_found")
    if not _within_window(channel.platform, delivery.first_attempt_at, now):
        return _fail(
            post_id,
            f"It was not found on {channel.get_platform_display()} and the platform's "
            f"idempotency window ({_window_label(channel.platform)}) has passed, so it was not "
            f"sent again (that could make a second post). Check {channel.handle} and post it "
            "by hand if it is missing.",
            sources=(Status.UNCONFIRMED,),
        )
    if stopped:
        # A send-time check stopped the re-send before: it stays stopped (a person decides),
        # and the lookups go on so that a first send that did land is recorded.
        return _reconcile_later(post_id, f"Not found; not sent again: {stopped}")
    try:
        identity = identity_check(channel, client)
    except platform_errors.PlatformError as exc:
        return _reconcile_later(post_id, str(exc))
    if identity.identity.remote_id != channel.remote_account_id:
        _identity_alert_only(post, identity)
        return _fail(
            post_id,
            f"The credential of {channel.handle} now posts as {identity.identity.handle} "
            f"(account id {identity.identity.remote_id}); the unconfirmed send was not repeated.",
            sources=(Status.UNCONFIRMED,),
        )
    try:
        resend = _begin_attempt(
            post_id,
            brand=post.brand,
            expect=Status.UNCONFIRMED,
            kind="resend",
            checked_hash=delivery.content_hash,
            remote_account_id=channel.remote_account_id,
            since=delivery.first_attempt_at,
            now=timezone.now(),
        )
    except _CheckFailed as exc:
        return _stop_resend(post, exc.reason)
    except _ContentChanged:
        return _stop_resend(
            post, "Its content changed after the first send; it needs reviewing again."
        )
    if resend is None:
        return Outcome(post_id, "skipped", "another worker has it")
    return _send(resend.post, client, resend.delivery, kind="resend")


def _resend_stopped(delivery: Delivery) -> str | None:
    """Why a re-send of this unconfirmed post was stopped by a send-time check, if it was."""
    for attempt in reversed(delivery.attempts):
        if attempt.get("kind") == "resend_stopped":
            return attempt.get("error") or "a send-time check failed."
    return None


def _stop_resend(post: Post, reason: str) -> Outcome:
    """A send-time check failed before re-sending an unconfirmed post: never send. It stays
    unconfirmed and is looked up again on the usual schedule (found: published; still not
    found after the last check: failed with this reason); the re-send stays stopped even
    if the cause goes away, and the admins and the author are told once."""
    now = timezone.now()
    channel = post.channel
    note = (
        f"It was not found on {channel.get_platform_display()} and was not sent again: "
        f"{reason} Countersign keeps looking for the first send; if it is not found it "
        "fails, and a person decides."
    )
    with transaction.atomic():
        locked = _lock_state(post.pk)
        delivery = _lock_delivery(post.pk)
        if locked is None or locked.status != Status.UNCONFIRMED or delivery is None:
            return Outcome(post.pk, "skipped", "settled meanwhile")
        delivery.attempts.append(
            {
                "kind": "resend_stopped",
                "started_at": _iso(now),
                "finished_at": _iso(now),
                "outcome": "stopped",
                "error": reason[:500],
            }
        )
        delivery.last_error = note[:2000]
        delivery.save(update_fields=["attempts", "last_error"])
        account_services.audit_record(
            action="post.resend_stopped",
            brand=post.brand,
            obj=post,
            message=reason[:500],
            data={"post": post.pk, "channel": channel.pk},
        )
        _tell(
            post,
            kind="post.held",
            subject=f"Post {post.pk} not sent again: {reason[:120]}",
            body=f"Post {post.pk} on {channel.handle} is unconfirmed.\n\n{note}",
        )
    later = _reconcile_later(post.pk, note)
    return Outcome(post.pk, "waiting", note, retry_in=later.retry_in)


def _set_lookup_outcome(post_id: int, outcome: str, error: str = "") -> None:
    with transaction.atomic():
        _lock_state(post_id)
        delivery = _lock_delivery(post_id)
        if delivery is None:
            return
        for attempt in reversed(delivery.attempts):
            if attempt.get("kind") == "lookup":
                attempt.update(
                    {"outcome": outcome, "finished_at": _iso(timezone.now()), "error": error}
                )
                break
        delivery.save(update_fields=["attempts"])


def _identity_alert_only(post: Post, check: IdentityCheck) -> None:
    channel = post.channel
    account_services.audit_record(
        action="guard.identity_mismatch",
        brand=post.brand,
        obj=channel,
        message=f"{channel.handle} now posts as {check.identity.handle}",
        data={
            "post": post.pk,
            "channel": channel.pk,
            "expected_remote_id": channel.remote_account_id,
            "actual_remote_id": check.identity.remote_id,
            "actual_handle": check.identity.handle,
        },
    )
    account_services.notify(
        users=_admins(post.brand),
        kind="guard.identity_mismatch",
        subject=f"{channel.handle} now posts as {check.identity.handle}",
        body=(
            f"The channel {channel.handle} was connected as account id "
            f"{channel.remote_account_id}; its credential now authenticates as "
            f"{check.identity.handle} (account id {check.identity.remote_id})."
        ),
        url=post.get_absolute_url(),
        brand=post.brand,
    )


# --- the dispatcher pass -------------------------------------------------------------------


def _on_swept(post: Post, target: Status) -> None:
    if target == Status.UNCONFIRMED:
        delivery = _lock_delivery(post.pk)
        if delivery is not None:
            _finish_attempt(
                delivery,
                outcome="unknown",
                error="The worker stopped while the send was under way.",
            )


def sweep(*, now: dt.datetime | None = None) -> dict[int, str]:
    """Expired leases: back to approved when no send may have reached the platform,
    to unconfirmed (reconciled later) when one may have."""
    now = now or timezone.now()
    moved = lifecycle.lease_sweep(now, in_flight=attempt_in_flight, on_moved=_on_swept)
    return {pk: str(target) for pk, target in moved.items()}


def _claim_reconciles(now: dt.datetime, limit: int) -> list[int]:
    """Unconfirmed posts due for a check: each gets a lease (so one check runs at a time); a
    re-send left in flight by a stopped worker is marked unknown first."""
    due = list(
        Post.objects.filter(status=Status.UNCONFIRMED, lease_expires_at__lte=now)
        .order_by("lease_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    due += list(
        Post.objects.filter(status=Status.UNCONFIRMED, lease_expires_at__isnull=True).values_list(
            "pk", flat=True
        )[: max(0, limit - len(due))]
    )
    claimed = []
    lease = now + dt.timedelta(seconds=_lease_seconds())
    for pk in due:
        with transaction.atomic():
            post = _lock_state(pk)
            if post is None or post.status != Status.UNCONFIRMED:
                continue
            if post.lease_expires_at is not None and post.lease_expires_at > now:
                continue
            delivery = _lock_delivery(pk)
            if _in_flight(delivery):
                _finish_attempt(
                    delivery,
                    outcome="unknown",
                    error="The worker stopped while the re-send was under way.",
                )
            _set_lease(pk, lease)
            claimed.append(pk)
    return claimed


def dispatch(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> DispatchResult:
    """One dispatcher pass: sweep expired leases, claim due posts, pick reconciliations.

    The caller enqueues one publish task per claimed post and one reconcile task per
    unconfirmed post (planner.tasks.dispatch_due), or runs them inline (publish_due)."""
    now = now or timezone.now()
    result = DispatchResult()
    result.swept = sweep(now=now)
    result.claimed = lifecycle.claim_due(now, limit, _lease_seconds())
    result.reconcile = _claim_reconciles(now, limit)
    return result


def publish_due_inline(*, limit: int = DISPATCH_BATCH) -> list[Outcome]:
    """One pass run synchronously (``manage.py publish_due``): claim, then publish each in
    this process. A post that needs a retry keeps its lease and is claimed again by a later
    pass once the wait is over."""
    result = dispatch(limit=limit)
    outcomes = [reconcile_one(pk) for pk in result.reconcile]
    outcomes += [publish_one(pk) for pk in result.claimed]
    return outcomes


# --- pause and resume ----------------------------------------------------------------------


def _hold_fell_due(posts, *, reason: str, actor: User) -> list[int]:
    held = []
    for pk in posts.values_list("pk", flat=True):
        lifecycle.transition(pk, to=Status.HELD, actor=actor, reason=reason)
        held.append(pk)
    return held


def _handle_matches(typed: str, expected: str) -> bool:
    def norm(value: str) -> str:
        return (value or "").strip().lstrip("@").casefold()

    return bool(norm(typed)) and norm(typed) == norm(expected)


@dataclass(frozen=True)
class Resumed:
    target: Brand | Channel
    held: list[int]


def brand_resume(*, brand: Brand, actor: User, confirm: str | None) -> Resumed:
    """Resume publishing for the brand. Posts that fell due during the pause are held for
    re-confirmation, in the same transaction, so resuming never sends a burst.

    In the web the admin types the brand's slug to confirm (``confirm``); an API client may
    leave it out (``None``), but a ``confirm`` that is given must match."""
    permissions.require(actor, Action.ADMIN, brand)
    if confirm is not None and not _handle_matches(confirm, brand.slug):
        raise ValidationError(
            {"confirm": f"Type the brand's short name ({brand.slug}) to confirm resuming."}
        )
    now = timezone.now()
    with transaction.atomic():
        brand = account_services.brand_resume(brand=brand, actor=actor)
        due = Post.objects.filter(
            brand=brand, status=Status.APPROVED, scheduled_at__lte=now
        ).order_by("scheduled_at", "id")
        held = _hold_fell_due(
            due,
            reason=f"It fell due while publishing for {brand.name} was paused; "
            "re-confirm its time to send it.",
            actor=actor,
        )
    return Resumed(target=brand, held=held)


def channel_resume(*, channel: Channel, actor: User) -> Resumed:
    """Resume one channel; its posts that fell due meanwhile are held for re-confirmation."""
    now = timezone.now()
    with transaction.atomic():
        channel = account_services.channel_resume(channel=channel, actor=actor)
        due = Post.objects.filter(
            channel=channel, status=Status.APPROVED, scheduled_at__lte=now
        ).order_by("scheduled_at", "id")
        held = _hold_fell_due(
            due,
            reason=f"It fell due while the channel {channel.handle} was paused; "
            "re-confirm its time to send it.",
            actor=actor,
        )
    return Resumed(target=channel, held=held)


def brand_pause(*, brand: Brand, actor: User, reason: str) -> Brand:
    return account_services.brand_pause(brand=brand, actor=actor, reason=reason)


def channel_pause(*, channel: Channel, actor: User, reason: str) -> Channel:
    return account_services.channel_pause(channel=channel, actor=actor, reason=reason)


# --- releasing a held post ---------------------------------------------------------------


def can_release(user: User, post: Post) -> bool:
    return permissions.has_perm(user, Action.ADMIN, post.brand) or permissions.has_perm(
        user, Action.APPROVE, post.channel
    )


def post_release(
    *, post: Post, actor: User, scheduled_at: dt.datetime | None, confirm_handle: str
) -> Post:
    """Re-confirm a held post: a new time (now or later), the channel's handle typed to
    confirm, and every check passing again (held → approved, via the lifecycle)."""
    if not can_release(actor, post):
        permissions.require(actor, Action.APPROVE, post.channel)
    if post.status != Status.HELD:
        raise Conflict(
            f"Only a held post can be released; this one is {post.get_status_display().lower()}."
        )
    if not _handle_matches(confirm_handle, post.channel.handle):
        raise ValidationError(
            {"confirm_handle": f"Type the channel's handle ({post.channel.handle}) to confirm."}
        )
    now = timezone.now()
    when = scheduled_at or now
    if timezone.is_naive(when):
        raise ValidationError({"scheduled_at": "The time needs a time zone."})
    if when < now - dt.timedelta(minutes=1):
        raise ValidationError({"scheduled_at": "Pick a time from now on."})
    if when > now + dt.timedelta(days=366 * 5):
        raise ValidationError({"scheduled_at": "That is more than five years ahead."})

    def guard(locked: Post) -> None:
        locked.scheduled_at = max(when, now)
        locked.lease_expires_at = None
        locked.channel = Channel.objects.select_related("brand").get(pk=locked.channel_id)
        if locked.brand.is_paused:
            raise lifecycle.TransitionRefused(
                f"Publishing for {locked.brand.name} is still paused; resume it first."
            )
        if locked.channel.is_paused:
            raise lifecycle.TransitionRefused(
                f"The channel {locked.channel.handle} is still paused; resume it first."
            )
        reason = _run_checks(locked, now=now).reason
        if reason:
            raise lifecycle.TransitionRefused(f"It cannot be released yet. {reason}")

    with transaction.atomic():
        before = post.scheduled_at
        released = lifecycle.transition(
            post.pk,
            to=Status.APPROVED,
            actor=actor,
            reason=f"Re-confirmed for {_iso(max(when, now))}",
            guard=guard,
            data={"scheduled_at": [_iso(before), _iso(max(when, now))]},
        )
        Post.objects.filter(pk=post.pk).update(scheduled_at=max(when, now), lease_expires_at=None)
        released.scheduled_at = max(when, now)
    return released


# --- reads for the pages and the API ---------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPanel:
    post: Post
    delivery: Delivery | None
    can_release: bool
    can_admin: bool
    needs_reconnect: bool
    release_url: str
    channels_url: str


def delivery_panel(*, post: Post, user: User) -> DeliveryPanel:
    delivery = Delivery.objects.filter(post=post).first()
    return DeliveryPanel(
        post=post,
        delivery=delivery,
        can_release=post.status == Status.HELD and can_release(user, post),
        can_admin=permissions.has_perm(user, Action.ADMIN, post.brand),
        needs_reconnect="Reconnect the channel" in (post.held_reason or ""),
        release_url=reverse("post_release", kwargs={"slug": post.brand.slug, "pk": post.pk}),
        channels_url=reverse("channel_list", kwargs={"slug": post.brand.slug}),
    )


def evidence_for(*, post: Post) -> dict:
    """The evidence record of a published post; refuses with the reason otherwise."""
    if post.status != Status.PUBLISHED:
        raise Conflict(
            f"Post {post.pk} is {post.get_status_display().lower()}: evidence exists only for "
            "published posts.",
            code="not_published",
            details={"status": post.status},
        )
    delivery = Delivery.objects.filter(post=post).first()
    if delivery is None or not delivery.evidence:
        raise NotFoundError("No evidence was recorded for this post.")
    return {
        **delivery.evidence,
        "idempotency_key": delivery.idempotency_key,
        "attempts": delivery.attempts,
    }


def attention_list(*, brand: Brand):
    """Posts a person should look at: held, unconfirmed, failed (newest first)."""
    return (
        Post.objects.filter(
            brand=brand, status__in=[Status.HELD, Status.UNCONFIRMED, Status.FAILED]
        )
        .select_related("channel", "channel__brand", "brand")
        .order_by("-updated_at", "-id")[:100]
    )
