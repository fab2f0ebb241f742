"""The publishing bookkeeping on the post and delivery rows: settings, the idempotency key,
row locks, the in-flight marker, attempts and the outcome of a step.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from planner.content import fingerprint
from planner.models import Delivery, Post

logger = logging.getLogger(__name__)

#: Sends of one post (first try and retries together) before it fails.
MAX_SEND_ATTEMPTS = 5
#: Exponential backoff between retries: base * 2**(n-1), capped, with jitter.
RETRY_BASE_SECONDS = 10.0
RETRY_MAX_SECONDS = 600.0
#: Lookups of an unconfirmed post before it fails; and the wait between them.
MAX_RECONCILE_CHECKS = 8
RECONCILE_FIRST_DELAY_SECONDS = 5.0
#: A channel's whoami answer is reused this long (by every worker), then asked again.
IDENTITY_CACHE_SECONDS = 15.0
#: A post claimed this long after its time is held for a person to re-confirm.
MISSED_TIME_GRACE = dt.timedelta(hours=1)
#: Posts claimed per dispatcher pass.
DISPATCH_BATCH = 500

_KEY_SALT = "countersign-publish-v1"


# --- small helpers ---------------------------------------------------------------------------


def lease_seconds() -> int:
    return int(settings.COUNTERSIGN["PUBLISH_LEASE_SECONDS"])


def iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def idempotency_key(post_id: int, content_hash: str) -> str:
    """The key a send of this content of this post always carries (64 hex characters)."""
    raw = f"{_KEY_SALT}\x00{int(post_id)}\x00{content_hash}".encode()
    return hashlib.sha256(raw).hexdigest()


def in_flight(delivery: Delivery | None) -> bool:
    """Whether the last send may have reached the platform and has no recorded outcome
    (``Delivery.send_in_flight``: set with the attempt, cleared with its outcome)."""
    return delivery is not None and delivery.send_in_flight


def attempt_in_flight(post_id: int) -> bool:
    return in_flight(Delivery.objects.filter(post_id=post_id).first())


def lock_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("brand", "channel", "channel__brand", "author")
        .filter(pk=post_id)
        .first()
    )


def lock_state(post_id: int) -> Post | None:
    """The post's publishing state only, locked (the row lock is the per-post mutex)."""
    return (
        Post.objects.select_for_update()
        .only("id", "status", "lease_expires_at", "content_hash", "publish_attempts")
        .filter(pk=post_id)
        .first()
    )


def lock_delivery(post_id: int) -> Delivery | None:
    return Delivery.objects.select_for_update().filter(post_id=post_id).first()


def media_of(post: Post) -> list:
    """The post's attachments, read once per post object (checks, evidence and the send)."""
    cached = getattr(post, "_publishing_media", None)
    if cached is None:
        cached = post._publishing_media = list(post.media.order_by("pk"))
    return cached


def prefetch_media(posts: list[Post]) -> None:
    """Read the attachments of many posts in one query (what :func:`media_of` returns)."""
    from planner.models import Media

    missing = [p for p in posts if getattr(p, "_publishing_media", None) is None]
    if not missing:
        return
    by_post: dict[int, list] = {p.pk: [] for p in missing}
    for media in Media.objects.filter(post_id__in=list(by_post)).order_by("pk"):
        by_post[media.post_id].append(media)
    for post in missing:
        for media in by_post[post.pk]:
            media.post = post  # as post.media gives them (the send's threads read no rows)
        post._publishing_media = by_post[post.pk]


def current_fingerprint(post: Post) -> str:
    """planner.content.content_fingerprint, from the attachments already read."""
    return fingerprint(
        text=post.text,
        channel_id=post.channel_id,
        category=post.category,
        media=[(m.pk, m.alt_text) for m in media_of(post)],
    )


def write_rows(model, objs: list, fields: list[str]) -> None:
    """Save ``fields`` of each of ``objs`` (rows the caller holds locked), one prepared
    ``UPDATE ... WHERE pk = %s`` run for all of them (``executemany``): what
    ``bulk_update`` writes, without building a ``CASE`` expression per row and field."""
    if not objs:
        return
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "  # noqa: S608 - names from the model's _meta
        + ", ".join(f"{qn(c.column)} = %s" for c in columns)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def set_lease(post_id: int, when: dt.datetime | None) -> None:
    Post.objects.filter(pk=post_id).update(lease_expires_at=when)


def finish_attempt(delivery: Delivery, *, outcome: str, error: str = "", now=None) -> None:
    """Record the outcome of the last attempt (the caller holds the post's row lock)."""
    now = now or timezone.now()
    if delivery.attempts and delivery.attempts[-1].get("outcome") is None:
        delivery.attempts[-1].update(
            {"outcome": outcome, "finished_at": iso(now), "error": error[:500]}
        )
    if error:
        delivery.last_error = error[:2000]
    delivery.send_in_flight = False
    delivery.save(update_fields=["attempts", "last_error", "send_in_flight"])


# --- outcomes --------------------------------------------------------------------------------


class Result(enum.StrEnum):
    """What one publish or reconcile step did to the post."""

    PUBLISHED = "published"
    HELD = "held"  # a check failed: a person decides
    FAILED = "failed"  # final, with the reason
    UNCONFIRMED = "unconfirmed"  # the outcome is unknown: reconciled later
    RETRY = "retry"  # nothing was accepted: send again after ``retry_in``
    WAITING = "waiting"  # still unconfirmed: look again after ``retry_in``
    SKIPPED = "skipped"  # someone else has it, or it moved on


@dataclass(frozen=True)
class Outcome:
    """What one publish or reconcile step did. ``retry_in``: send again after that long."""

    post_id: int
    result: Result
    detail: str = ""
    retry_in: float | None = None


@dataclass
class DispatchResult:
    swept: dict[int, str] = field(default_factory=dict)
    claimed: list[int] = field(default_factory=list)
    reconcile: list[int] = field(default_factory=list)


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**(attempt-1)."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after:
        delay = max(delay, min(float(retry_after), RETRY_MAX_SECONDS))
    return delay


def load_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("brand", "channel", "channel__brand", "author", "delivery")
        .filter(pk=post_id)
        .first()
    )


def delivery_of(post: Post) -> Delivery | None:
    try:
        return post.delivery
    except Delivery.DoesNotExist:
        return None
