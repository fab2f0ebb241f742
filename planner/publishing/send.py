"""Sending one claimed post: the last checks under the row lock, the in-flight marker,
the network call and its outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Brand, Channel
from config.errors import DomainError
from planner.media import media_item, public_url
from planner.models import Delivery, HeldCode, Post, Status
from planner.publishing import checks, clients
from planner.publishing.clients import (
    IdentityCheck,
    cached_client,
    forget_client,
    reconnect_reason,
)
from planner.publishing.evidence import draft_evidence
from planner.publishing.outcomes import (
    fail_post,
    hold_identity_mismatch,
    hold_post,
    mark_unconfirmed,
    reconcile_later,
    record_published,
)
from planner.publishing.records import (
    MAX_SEND_ATTEMPTS,
    Outcome,
    Result,
    backoff,
    delivery_of,
    finish_attempt,
    idempotency_key,
    in_flight,
    iso,
    lease_seconds,
    load_post,
    lock_delivery,
    lock_post,
    lock_state,
    media_of,
)
from platforms import errors as platform_errors
from platforms.base import MediaItem

# --- sending -------------------------------------------------------------------------------


class ContentChanged(Exception):
    pass


class CheckFailed(Exception):
    """A send-time check failed at the last look before the call: nothing was sent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Attempt:
    """A send that may start: its delivery (committed, in flight) and the post as checked."""

    delivery: Delivery
    post: Post


def share_lock_brands_and_channels(post_ids: list[int]) -> None:
    """Until the transaction ends, a pause of the brand or channel of any of ``post_ids``
    (which locks that row to write it) waits: it lands before the checks read the flags, or
    after the send is marked in flight, never in between. PostgreSQL: ``FOR SHARE`` (sends
    of a brand do not wait for each other). SQLite: every write transaction is IMMEDIATE, so
    a pause already waits."""
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
            'WHERE p."id" = ANY(%s) FOR SHARE OF b, c',
            [list(post_ids)],
        )


def _store_attempt(delivery: Delivery | None, **attempt) -> Delivery:
    """The delivery (new, or re-keyed for new content) with one more attempt, in flight,
    saved."""
    delivery = attempt_row(delivery, **attempt)
    delivery.save()
    return delivery


def attempt_row(
    delivery: Delivery | None,
    *,
    post: Post,
    key: str,
    checked_hash: str,
    kind: str,
    remote_account_id: str,
    evidence: dict | None,
    now: dt.datetime,
) -> Delivery:
    """The delivery (new, or re-keyed for new content) with one more attempt, in flight; not
    saved (a batch writes its rows together)."""
    if delivery is None:
        delivery = Delivery(post_id=post.pk, idempotency_key=key, content_hash=checked_hash)
    elif delivery.idempotency_key != key:
        # New content since the last key: nothing under the old key was accepted (it
        # would be published or unconfirmed, never back here), so a new key is right.
        delivery.attempts.append(
            {"kind": "rekey", "started_at": iso(now), "previous_key": delivery.idempotency_key}
        )
        delivery.idempotency_key, delivery.content_hash = key, post.content_hash
        delivery.first_attempt_at = None
    delivery.attempts.append(
        {
            "n": sum(1 for a in delivery.attempts if a.get("kind") in ("send", "resend")) + 1,
            "kind": kind,
            "started_at": iso(now),
            "outcome": None,
        }
    )
    delivery.send_in_flight = True
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_attempt_at = now
    delivery.remote_account_id = remote_account_id
    if evidence is not None:
        delivery.evidence = evidence
    return delivery


def begin_attempt(
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
    flight, and every send-time check (:func:`run_checks`: pause flags, approvals, policy,
    ...) passing on the rows as they are now. Then store the delivery with its key and an
    in-flight attempt, and commit, before any network call.

    None: someone else has it. Raises :class:`CheckFailed` (nothing stored, nothing to
    send) when a check fails, :class:`ContentChanged` when the content moved on.
    ``identity``: the evidence is drafted from these checks and that identity check;
    else ``evidence`` (or the delivery's evidence is kept, for a re-send)."""
    # The brand's policy version exists already (started by the dispatcher with the claim,
    # or by the submit): nothing here writes anything but the send's own rows.
    with transaction.atomic():
        share_lock_brands_and_channels([post_id])
        post = lock_post(post_id)
        if post is None or post.status != expect:
            return None
        if expect == Status.PUBLISHING and (
            post.lease_expires_at is None or post.lease_expires_at <= timezone.now()
        ):
            return None  # the lease ran out meanwhile: the sweeper has (or will have) it
        if post.content_hash != checked_hash:
            raise ContentChanged()
        key = idempotency_key(post.pk, post.content_hash)
        delivery = lock_delivery(post_id)
        if in_flight(delivery):
            return None
        # A pause, a withdrawn approval or a new policy version committed since the worker
        # picked the post up stops it here: the pause flags, approvals and policy are read
        # again with the row locked, right before the in-flight marker is committed.
        result = checks.run_checks(post, now=now, since=since)
        if result.reason:
            raise CheckFailed(result.reason)
        if identity is not None:
            evidence = draft_evidence(post, key=key, checks=result, identity=identity, now=now)
        delivery = _store_attempt(
            delivery,
            post=post,
            key=key,
            checked_hash=checked_hash,
            kind=kind,
            remote_account_id=remote_account_id,
            evidence=evidence,
            now=now,
        )
        fields = {"publish_attempts": post.publish_attempts + 1}
        if expect == Status.PUBLISHING:
            fields["lease_expires_at"] = now + dt.timedelta(seconds=lease_seconds())
        Post.objects.filter(pk=post_id).update(**fields)
    return _Attempt(delivery=delivery, post=post)


def _media_items(post: Post) -> list[MediaItem]:
    """The post's attachments with their metadata, and the signed public address the
    platforms that fetch media themselves (Instagram, Threads) are given."""
    items = []
    for media in media_of(post):
        with media.file.open("rb") as fh:
            content = fh.read()
        items.append(media_item(media, content=content, url=public_url(media)))
    return items


@dataclass(frozen=True)
class Prepared:
    """A claimed post whose channel's credential was just checked: who it posts as."""

    post: Post
    client: object
    identity: IdentityCheck


def prepare(post_id: int, *, now: dt.datetime) -> Prepared | Outcome:
    """The part of a send before the last checks: the post is still claimed and not in
    flight, and the channel's credential still posts as the connected account. An
    :class:`Outcome` when the send stops here (skipped, held, a retry)."""
    post = load_post(post_id)
    if post is None:
        return Outcome(post_id, Result.SKIPPED, "gone")
    if post.status != Status.PUBLISHING:
        return Outcome(post_id, Result.SKIPPED, f"is {post.status}")
    if post.lease_expires_at is None or post.lease_expires_at <= now:
        return Outcome(post_id, Result.SKIPPED, "lease lost")
    if in_flight(delivery_of(post)):
        return Outcome(post_id, Result.SKIPPED, "a send is in flight")
    # The send-time checks run once, in _begin_attempt, under the row lock, as the last
    # step before the call; the identity of the credential (a network call) comes first.
    # When that cannot be checked, a failing send-time check is the reason given (a person
    # must act on it whatever the platform does).
    channel = post.channel

    def hold(reason: str, code: HeldCode = HeldCode.CHECK) -> Outcome:
        failed_check = checks.run_checks(post, now=now).reason
        if failed_check:
            reason, code = failed_check, HeldCode.CHECK
        held = hold_post(post_id, reason, expect=Status.PUBLISHING, code=code)
        return Outcome(post_id, Result.HELD if held else Result.SKIPPED, reason)

    try:
        client = cached_client(channel)
        identity = clients.identity_check(channel, client)
    except (ValidationError, DomainError, platform_errors.AuthenticationFailed) as exc:
        forget_client(channel)
        _mark_reconnect(channel, exc)
        return hold(reconnect_reason(channel, exc), HeldCode.RECONNECT)
    except platform_errors.PlatformUnavailable as exc:
        blocked = checks.run_checks(post, now=now).reason
        if blocked:
            held = hold_post(post_id, blocked, expect=Status.PUBLISHING)
            return Outcome(post_id, Result.HELD if held else Result.SKIPPED, blocked)
        return _retry_or_fail(post, exc, before_send=True)
    except platform_errors.PlatformError as exc:
        return hold(f"The identity of {channel.handle} could not be checked: {exc}")
    if identity.identity.remote_id != channel.remote_account_id:
        return hold_identity_mismatch(post, identity, expect=Status.PUBLISHING)
    return Prepared(post=post, client=client, identity=identity)


def publish_one(post_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Publish one claimed post: re-check, store the key, send once, record the outcome."""
    now = now or timezone.now()
    prepared = prepare(post_id, now=now)
    if isinstance(prepared, Outcome):
        return prepared
    post, client, identity = prepared.post, prepared.client, prepared.identity
    channel = post.channel
    try:
        attempt = begin_attempt(
            post_id,
            brand=post.brand,
            expect=Status.PUBLISHING,
            kind="send",
            checked_hash=post.content_hash,
            remote_account_id=channel.remote_account_id,
            identity=identity,
            now=now,
        )
    except CheckFailed as exc:
        held = hold_post(post_id, exc.reason, expect=Status.PUBLISHING)
        return Outcome(post_id, Result.HELD if held else Result.SKIPPED, exc.reason)
    except ContentChanged:
        reason = "Its content changed while it was being sent; it needs reviewing again."
        held = hold_post(post_id, reason, expect=Status.PUBLISHING)
        return Outcome(post_id, Result.HELD if held else Result.SKIPPED, reason)
    if attempt is None:
        return Outcome(post_id, Result.SKIPPED, "another worker has it")
    return send_attempt(attempt.post, client, attempt.delivery, kind="send")


def send_attempt(post: Post, client, delivery: Delivery, *, kind: str) -> Outcome:
    """The network call, then its outcome recorded. ``kind``: send (publishing) or resend
    (reconciling an unconfirmed post, same key)."""
    try:
        result = call_platform(post, client, delivery)
    except Exception as exc:
        return outcome_of(post, kind=kind, error=exc)
    return outcome_of(post, kind=kind, result=result)


def call_platform(post: Post, client, delivery: Delivery):
    """The network call: the platform's "create" with the delivery's key."""
    return client.publish(
        text=post.text,
        idempotency_key=delivery.idempotency_key,
        media=_media_items(post),
    )


def outcome_of(post: Post, *, kind: str, result=None, error: Exception | None = None) -> Outcome:
    """Record what the call did: its result (published), or its error (a retry, unconfirmed,
    failed or held). An error that is not a platform's is raised again after the attempt is
    noted, so it is never mistaken for an answer."""
    source = Status.PUBLISHING if kind == "send" else Status.UNCONFIRMED
    if error is None:
        return record_published(
            post.pk,
            result,
            platform=post.channel.platform,
            reconciled=kind == "resend",
            outcome="published",
            sent=post,
        )
    try:
        raise error
    except platform_errors.PlatformUnavailable as exc:
        _note(post.pk, outcome="unavailable", error=str(exc))
        if kind == "resend":
            return reconcile_later(post.pk, str(exc))
        return _retry_or_fail(post, exc, before_send=False)
    except platform_errors.OutcomeUnknown as exc:
        _note(post.pk, outcome="unknown", error=str(exc))
        if kind == "resend":
            return reconcile_later(post.pk, str(exc))
        return mark_unconfirmed(post.pk, str(exc))
    except platform_errors.PublishRejected as exc:
        reason = f"{post.channel.get_platform_display()} refused the post: {exc.detail or exc}"
        return fail_post(post.pk, reason, sources=(source,), outcome="rejected")
    except (platform_errors.AuthenticationFailed, platform_errors.PlatformError) as exc:
        # Refused before anything was stored (bad credential, redirect, unsupported media):
        # nothing was published, and nothing will be until a person fixes the channel.
        forget_client(post.channel)
        _note(post.pk, outcome="refused", error=str(exc))
        _mark_reconnect(post.channel, exc)
        reason = reconnect_reason(post.channel, exc)
        if kind == "resend":
            return fail_post(post.pk, reason, sources=(source,))
        held = hold_post(post.pk, reason, expect=Status.PUBLISHING, code=HeldCode.RECONNECT)
        return Outcome(post.pk, Result.HELD if held else Result.SKIPPED, reason)


def _mark_reconnect(channel: Channel, exc: Exception) -> None:
    """A credential the platform refused (a token that could not be refreshed): the channel
    shows "reconnect" on the Channels page until it is connected again."""
    if isinstance(exc, platform_errors.AuthenticationFailed):
        from accounts import services as account_services

        account_services.channel_mark_reconnect(channel_id=channel.pk, reason=str(exc))


def _note(post_id: int, *, outcome: str, error: str = "") -> None:
    with transaction.atomic():
        lock_state(post_id)
        delivery = lock_delivery(post_id)
        if delivery is not None:
            finish_attempt(delivery, outcome=outcome, error=error)


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
        return fail_post(post.pk, reason, sources=(Status.PUBLISHING,))
    delay = backoff(attempts, getattr(exc, "retry_after", None))
    # The lease covers the wait, so the sweeper leaves the post alone until the retry is
    # due; if the retry message is lost, the lease runs out and the dispatcher claims it.
    lease = timezone.now() + dt.timedelta(seconds=delay + lease_seconds())
    Post.objects.filter(pk=post.pk, status=Status.PUBLISHING).update(lease_expires_at=lease)
    return Outcome(post.pk, Result.RETRY, str(exc), retry_in=delay)
