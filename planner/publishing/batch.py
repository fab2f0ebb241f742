"""Sending the claimed posts of a pass as a set: checked together, sent together, recorded
together.

A worker's publish task takes its own post and up to ``PUBLISH_SEND_CONCURRENCY - 1`` other
posts of the same claim pass on the same channel that no one has started (the pass: the
posts one dispatcher claim gave the same lease). Then, for the whole set:

1. the credential's identity is checked once (:func:`send.prepare`, shared cache);
2. in one transaction, with the posts' rows locked (and on PostgreSQL the brand and channel
   rows share-locked, so a pause lands before the checks or after the markers): the rows
   are read again, the facts every check needs are read in a few queries for the set
   (:func:`checks.gather`), the one check function (:func:`checks.run_checks`) runs for
   every post, and the deliveries of those that pass are written with their key and the
   in-flight marker, and committed, before any network call;
3. the calls go out at the same time, one thread each, right after that commit;
4. the published ones are recorded together (:func:`record_published_set`); any other
   outcome (a retry, unknown, refused) goes through the same per-post code as a single send.

The other posts' own tasks then find them in flight or published and skip them. A worker
that dies between 2 and 4 leaves markers in flight: the sweeper turns those posts into
``unconfirmed`` and they are reconciled (looked up, never re-sent blind), as for one post.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from planner import lifecycle
from planner.models import Delivery, Post, Status
from planner.publishing import checks
from planner.publishing.clients import _credential_fingerprint, cached_client
from planner.publishing.evidence import draft_evidence
from planner.publishing.outcomes import completed_evidence, hold_post, logger
from planner.publishing.records import (
    Outcome,
    Result,
    idempotency_key,
    in_flight,
    iso,
    lease_seconds,
    write_rows,
)
from planner.publishing.send import (
    Prepared,
    attempt_row,
    call_platform,
    outcome_of,
    prepare,
    publish_one,
    share_lock_brands_and_channels,
)
from policy import services as policy_services


def send_concurrency() -> int:
    """Calls a set makes at the same time (its threads)."""
    return max(1, int(settings.COUNTERSIGN.get("PUBLISH_SEND_CONCURRENCY", 1)))


def set_size(posts: int = 0, *, processes: int | None = None) -> int:
    """Posts of one channel a dispatcher pass puts in one publish task: checked together,
    their in-flight markers committed together, then sent ``send_concurrency()`` at a time.

    ``PUBLISH_SET_SIZE`` when set. Else by the pass: the channel's ``posts`` spread over the
    worker's ``processes`` (``WORKER_CONCURRENCY``), so every process has a share, in sets
    of at least the send concurrency and at most ``PUBLISH_SET_MAX``: a set's fixed cost
    (its message, its checks' queries, its two commits) is paid once for many posts when
    many fall due together, and a few posts still go out as soon as there is a free call."""
    fixed = int(settings.COUNTERSIGN.get("PUBLISH_SET_SIZE", 0) or 0)
    if fixed:
        return max(1, fixed)
    if processes is None:
        processes = int(settings.COUNTERSIGN.get("WORKER_CONCURRENCY", 1) or 1)
    largest = max(1, int(settings.COUNTERSIGN.get("PUBLISH_SET_MAX", 100) or 100))
    spread = -(-posts // max(1, processes))  # ceiling
    return max(send_concurrency(), min(largest, spread))


@dataclass
class _Ready:
    post: Post
    delivery: Delivery


# --- entry points --------------------------------------------------------------------------


def publish_claimed(post_id: int, *, now: dt.datetime | None = None) -> list[Outcome]:
    """The publish task's body: the post and the other unstarted posts of its claim pass on
    its channel, up to the send concurrency. Outcomes for every post it handled, its own
    first (the others' own tasks skip them later)."""
    now = now or timezone.now()
    skipped = _skip(post_id, now=now)
    if skipped is not None:
        return [skipped]
    prepared = prepare(post_id, now=now)
    if isinstance(prepared, Outcome):
        return [prepared]
    post = prepared.post
    others = list(
        Post.objects.filter(
            status=Status.PUBLISHING,
            channel_id=post.channel_id,
            lease_expires_at=post.lease_expires_at,
        )
        .exclude(pk=post.pk)
        .exclude(delivery__send_in_flight=True)
        .order_by("pk")
        .values_list("pk", flat=True)[: send_concurrency() - 1]
    )
    return _publish_set(prepared, others, now=now)


def _skip(post_id: int, *, now: dt.datetime) -> Outcome | None:
    """The cheap look first: most tasks of a pass find their post already sent by a set
    (the same answers :func:`send.prepare` gives, from one narrow query)."""
    row = (
        Post.objects.filter(pk=post_id)
        .values_list("status", "lease_expires_at", "delivery__send_in_flight")
        .first()
    )
    if row is None:
        return Outcome(post_id, Result.SKIPPED, "gone")
    status, lease, sending = row
    if status != Status.PUBLISHING:
        return Outcome(post_id, Result.SKIPPED, f"is {status}")
    if lease is None or lease <= now:
        return Outcome(post_id, Result.SKIPPED, "lease lost")
    if sending:
        return Outcome(post_id, Result.SKIPPED, "a send is in flight")
    return None


def claimed_sets(post_ids: list[int], *, size: int | None = None) -> list[list[int]]:
    """The claimed posts of a pass cut into sets of up to ``size`` (else :func:`set_size`)
    posts on one channel, in claim order: one publish task each (one broker message a set,
    not one a post). A set's posts are claimed by this pass alone, so no other task sends
    them (a lost or late message: the leases run out and the sweeper brings them back)."""
    channels = dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "channel_id"))
    by_channel: dict[int, list[int]] = {}
    for pk in post_ids:
        if pk in channels:
            by_channel.setdefault(channels[pk], []).append(pk)
    sets = []
    for ids in by_channel.values():
        step = size or set_size(len(ids))
        sets += [ids[i : i + step] for i in range(0, len(ids), step)]
    order = {pk: i for i, pk in enumerate(post_ids)}
    return sorted(sets, key=lambda ids: order[ids[0]])


def publish_many(post_ids: list[int], *, now: dt.datetime | None = None) -> list[Outcome]:
    """Publish claimed posts in this process, a set per channel and pass at a time
    (``manage.py publish_due``). Outcomes in the order of ``post_ids``."""
    now = now or timezone.now()
    rows = dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "channel_id").order_by("pk"))
    outcomes: dict[int, Outcome] = {}
    pending = [pk for pk in post_ids if pk in rows]
    while pending:
        first, rest = pending[0], pending[1:]
        same = [pk for pk in rest if rows[pk] == rows[first]]
        same = same[: set_size(len(same) + 1, processes=1) - 1]  # this process sends them all
        pending = [pk for pk in rest if pk not in same]
        prepared = prepare(first, now=now)
        if isinstance(prepared, Outcome):
            outcomes[first] = prepared
            pending = same + pending  # each gets its own look (its own identity outcome)
            continue
        for outcome in _publish_set(prepared, same, now=now, pass_only=False):
            outcomes.setdefault(outcome.post_id, outcome)
    for pk in post_ids:
        if pk not in outcomes:
            outcomes[pk] = publish_one(pk, now=now)
    return [outcomes[pk] for pk in post_ids]


# --- the set -------------------------------------------------------------------------------


def _publish_set(
    prepared: Prepared, others: list[int], *, now: dt.datetime, pass_only: bool = True
) -> list[Outcome]:
    first = prepared.post
    outcomes: list[Outcome] = []
    held: list[tuple[int, str]] = []
    if others:
        _refresh_before_the_set(prepared)
    ready = _begin_set(prepared, others, now=now, outcomes=outcomes, held=held, pass_only=pass_only)
    for pk, reason in held:
        done = hold_post(pk, reason, expect=Status.PUBLISHING)
        outcomes.append(Outcome(pk, Result.HELD if done else Result.SKIPPED, reason))
    answers = _call_all(prepared, ready)
    pairs = list(zip(ready, answers, strict=True))
    published = [(r, answer) for r, (answer, error) in pairs if error is None]
    outcomes += record_published_set(published, now=timezone.now())
    for r, (_answer, error) in pairs:
        if error is not None:
            outcomes.append(outcome_of(r.post, kind="send", error=error))
    outcomes.sort(key=lambda o: o.post_id != first.pk)
    return outcomes


def _refresh_before_the_set(prepared: Prepared) -> None:
    """An OAuth token about to expire is refreshed (and stored) here, once, before the set's
    rows are read: the set's threads then all start from the new token instead of each
    refreshing it (a platform that rotates refresh tokens accepts one refresh, not several).
    A refresh that fails is left to the calls, which report it per post."""
    fresh = getattr(prepared.client, "_fresh_token", None)
    if fresh is None:
        return
    try:
        fresh()
    except Exception:  # each call meets the same error and reports it
        logger.info("the token of channel %s could not be refreshed", prepared.post.channel_id)


def _begin_set(
    prepared: Prepared,
    others: list[int],
    *,
    now: dt.datetime,
    outcomes: list[Outcome],
    held: list[tuple[int, str]],
    pass_only: bool,
) -> list[_Ready]:
    """Under the rows' locks: read again, check every post, write the in-flight deliveries
    of those that pass, and commit. Another worker's posts (locked, started, moved on) are
    left out; the first post's fate is reported as a single send's would be."""
    first = prepared.post
    ids = [first.pk, *others]
    credential = None  # the first post's credential as locked (a refresh may have stored one)
    ready: list[_Ready] = []
    with transaction.atomic():
        share_lock_brands_and_channels(ids)
        locking = Post.objects.select_for_update(
            of=("self",), skip_locked=connection.vendor == "postgresql"
        )
        locked = {
            p.pk: p for p in locking.select_related("brand", "channel", "author").filter(pk__in=ids)
        }
        for post in locked.values():  # the channel's brand is the post's (read once, not twice)
            if post.channel.brand_id == post.brand_id:
                post.channel.brand = post.brand
        deliveries = {
            d.post_id: d for d in Delivery.objects.select_for_update().filter(post_id__in=locked)
        }
        lease_now = timezone.now()
        if first.pk in locked:
            credential = _credential_fingerprint(locked[first.pk].channel)
        candidates = []
        for pk in ids:
            post = locked.get(pk)
            is_first = pk == first.pk
            if (
                post is None
                or post.status != Status.PUBLISHING
                or post.lease_expires_at is None
                or post.lease_expires_at <= lease_now
                or in_flight(deliveries.get(pk))
            ):
                if is_first:
                    outcomes.append(Outcome(pk, Result.SKIPPED, "another worker has it"))
                continue
            if not is_first and (
                post.channel_id != first.channel_id
                or _credential_fingerprint(post.channel) != credential
                or (pass_only and post.lease_expires_at != first.lease_expires_at)
            ):
                continue  # not part of this set after all: its own task sends it
            if is_first and post.content_hash != first.content_hash:
                held.append(
                    (pk, "Its content changed while it was being sent; it needs reviewing again.")
                )
                continue
            candidates.append(post)
        facts = checks.gather(candidates)
        for post in candidates:
            result = checks.run_checks(post, now=now, facts=facts)
            if result.reason:
                held.append((post.pk, result.reason))
                continue
            key = idempotency_key(post.pk, post.content_hash)
            delivery = attempt_row(
                deliveries.get(post.pk),
                post=post,
                key=key,
                checked_hash=post.content_hash,
                kind="send",
                remote_account_id=post.channel.remote_account_id,
                evidence=draft_evidence(
                    post, key=key, checks=result, identity=prepared.identity, now=now
                ),
                now=now,
            )
            ready.append(_Ready(post=post, delivery=delivery))
        if ready:
            new = [r.delivery for r in ready if r.delivery.pk is None]
            old = [r.delivery for r in ready if r.delivery.pk is not None]
            if new:
                Delivery.objects.bulk_create(new)
            write_rows(Delivery, old, _ATTEMPT_FIELDS)
            lease = now + dt.timedelta(seconds=lease_seconds())
            Post.objects.filter(pk__in=[r.post.pk for r in ready]).update(
                publish_attempts=F("publish_attempts") + 1, lease_expires_at=lease
            )
            for r in ready:
                r.post.publish_attempts += 1
                r.post.lease_expires_at = lease
    return ready


_ATTEMPT_FIELDS = [
    "idempotency_key",
    "content_hash",
    "attempts",
    "send_in_flight",
    "first_attempt_at",
    "last_attempt_at",
    "remote_account_id",
    "evidence",
]

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=send_concurrency(), thread_name_prefix="countersign-send"
            )
        return _pool


def _call_all(prepared: Prepared, ready: list[_Ready]) -> list[tuple[object, Exception | None]]:
    """Every call at once, one thread each (each thread keeps its own client and connection).
    (answer, None) or (None, error) per post.

    The threads never touch the database: what a call must write while it runs (an OAuth
    token the client refreshed, which must be stored before the call goes on) is handed to
    this thread, which writes it on its own connection and lets the call continue."""
    if len(ready) == 1:
        return [_call(ready[0], prepared.client)]
    inbox: queue.SimpleQueue = queue.SimpleQueue()

    def call(index: int, r: _Ready) -> None:
        client = None
        original = None
        try:
            with connection.execute_wrapper(_no_queries):
                client = cached_client(r.post.channel)
                original = getattr(client, "on_token_refresh", None)
                if original is not None:
                    client.on_token_refresh = _relay(original, inbox)
                answer = _call(r, client)
        except BaseException as exc:  # the set must hear from every call
            answer = (None, exc)
        finally:
            if original is not None:
                client.on_token_refresh = original
        inbox.put(("done", index, answer))

    pool = _executor()
    for index, r in enumerate(ready):
        pool.submit(call, index, r)
    answers: dict[int, tuple[object, Exception | None]] = {}
    while len(answers) < len(ready):
        kind, first, second = inbox.get()
        if kind == "done":
            answers[first] = second
        else:  # a write a call asked for: run here, then let the call go on
            job, finished = first, second
            try:
                job.result = job.work()
            except BaseException as exc:
                job.error = exc
            finished.set()
    return [answers[i] for i in range(len(ready))]


class SendThreadQuery(RuntimeError):
    """A send's thread asked the database something (they must not: everything a call
    needs is read before, every write is relayed to the set's own thread)."""


def _no_queries(execute, sql, params, many, context):
    raise SendThreadQuery(f"a send thread tried to query the database: {sql[:200]}")


class _Job:
    def __init__(self, work):
        self.work, self.result, self.error = work, None, None


def _relay(original, inbox: queue.SimpleQueue):
    """A callback run by the set's own thread (on its database connection) while the calling
    thread waits for it."""

    def relayed(*args, **kwargs):
        job, finished = _Job(lambda: original(*args, **kwargs)), threading.Event()
        inbox.put(("job", job, finished))
        finished.wait()
        if job.error is not None:
            raise job.error
        return job.result

    return relayed


def _call(r: _Ready, client) -> tuple[object, Exception | None]:
    try:
        return call_platform(r.post, client, r.delivery), None
    except Exception as exc:
        return None, exc


# --- recording a set of published posts ----------------------------------------------------


def record_published_set(published: list[tuple[_Ready, object]], *, now) -> list[Outcome]:
    """The platform has these posts: each delivery completed (evidence, remote id, attempt
    outcome), each post moved publishing -> published, in one transaction with a few
    statements for the whole set (the same rows :func:`outcomes.record_published` writes)."""
    if not published:
        return []
    answers = {r.post.pk: (r.post, answer) for r, answer in published}
    outcomes = []
    by_brand: dict[int, list[str]] = {}
    for sent, _answer in answers.values():
        by_brand.setdefault(sent.brand_id, []).append(sent.text)
    with transaction.atomic():
        # What the platform has is part of the brands' hashtag vocabularies from now on
        # (first: a new tag writes the brand row, which is locked before post rows).
        for brand_id, texts in by_brand.items():
            policy_services.hashtags_learn(brand_id=brand_id, texts=texts, source="published")
        posts = {
            p.pk: p
            for p in Post.objects.select_for_update()
            .only("id", "status", "brand_id", "content_hash", "revision")
            .filter(pk__in=answers)
        }
        deliveries = _locked_deliveries(posts, {r.post.pk: r.delivery for r, _ in published})
        changed, moves = [], []
        for pk, (sent, answer) in answers.items():
            post, delivery = posts.get(pk), deliveries.get(pk)
            if post is None or delivery is None:
                outcomes.append(Outcome(pk, Result.SKIPPED, "gone"))
                continue
            completed_evidence(
                delivery, answer, platform=sent.channel.platform, reconciled=False, now=now
            )
            changed.append(delivery)
            if post.status == Status.PUBLISHED:
                outcomes.append(Outcome(pk, Result.SKIPPED, "already published"))
            elif post.status != Status.PUBLISHING:
                logger.error("post %s was %s when its send was accepted", pk, post.status)
                outcomes.append(Outcome(pk, Result.SKIPPED, f"was {post.status} when accepted"))
            else:
                moves.append((post, delivery))
                outcomes.append(Outcome(pk, Result.PUBLISHED, delivery.remote_url))
        write_rows(Delivery, changed, _RECORD_FIELDS)
        lifecycle.published_set(
            [(answers[post.pk][0], d.remote_id, d.remote_url) for post, d in moves], now=now
        )
    return outcomes


def _locked_deliveries(post_ids, held: dict[int, Delivery]) -> dict[int, Delivery]:
    """The posts' deliveries, locked. One this set wrote is used as it is in hand when its
    row is still in flight under the same key: nothing has written it since (the sweeper,
    the only other writer of a delivery in flight, ends the flight); any other is read."""
    rows = Delivery.objects.select_for_update().filter(post_id__in=post_ids)
    found: dict[int, Delivery] = {}
    others = []
    for post_id, pk, flying, key in rows.values_list(
        "post_id", "pk", "send_in_flight", "idempotency_key"
    ):
        mine = held.get(post_id)
        if mine is not None and mine.pk == pk and flying and mine.idempotency_key == key:
            found[post_id] = mine
        else:
            others.append(post_id)
    if others:  # locked just now
        found.update({d.post_id: d for d in Delivery.objects.filter(post_id__in=others)})
    return found


_RECORD_FIELDS = [
    "send_in_flight",
    "remote_id",
    "remote_url",
    "published_at",
    "evidence",
    "last_error",
    "attempts",
]

__all__ = ["claimed_sets", "iso", "publish_claimed", "publish_many", "record_published_set"]
