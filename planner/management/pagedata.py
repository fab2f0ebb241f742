"""Posts in bulk for the page benchmarks and the page query-count tests: a brand whose
posts are in every state, as the services would have left them (revision, content hash,
approvals of in-review posts, deliveries of published ones). Status is written through the
lifecycle's seed, the one bulk creation with a status."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from planner import lifecycle
from planner.content import fingerprint
from planner.models import Approval, Category, Delivery, Post, PostGroup, Revision, Status

#: The mix of states, repeated: mostly drafts and published posts, some in review.
MIX = (
    Status.DRAFT,
    Status.PUBLISHED,
    Status.APPROVED,
    Status.PUBLISHED,
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.PUBLISHED,
    Status.HELD,
    Status.DRAFT,
    Status.PUBLISHED,
)


def add_posts(*, brand, channels, author, approver, n: int, start: int = 0) -> list[Post]:
    """``n`` posts over a year around now on ``channels``, in the states of :data:`MIX`."""
    groups = PostGroup.objects.bulk_create(
        PostGroup(brand=brand, created_by=author) for _ in range(n)
    )
    begin = timezone.now() - dt.timedelta(days=182)
    step = dt.timedelta(days=365) / max(n, 1)
    categories = Category.values
    by_status: dict[Status, list[Post]] = {}
    for i, group in enumerate(groups):
        k = start + i
        channel = channels[k % len(channels)]
        text = f"Page post {k} for {channel.handle}: something worth saying #{k % 7}"
        category = categories[k % len(categories)]
        post = Post(
            brand=brand,
            channel=channel,
            group=group,
            author=author,
            last_editor=author,
            text=text,
            category=category,
            scheduled_at=begin + step * i,
            content_hash=fingerprint(text=text, channel_id=channel.pk, category=category),
            revision=1,
        )
        by_status.setdefault(MIX[k % len(MIX)], []).append(post)
    created: list[Post] = []
    for status, posts in by_status.items():
        created += lifecycle.seed(posts, status=status)
    first_revisions(created, editor=author)
    now = timezone.now()
    Approval.objects.bulk_create(
        (
            Approval(
                post=post,
                approver=approver,
                step_order=1,
                step_name="Approval",
                content_hash=post.content_hash,
                revision=1,
                approved_at=now,
            )
            for post in created
            if post.status in (Status.APPROVED, Status.PUBLISHED)
        ),
        batch_size=500,
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                post=post,
                idempotency_key=f"page-{post.pk}",
                content_hash=post.content_hash,
                remote_id=str(post.pk),
                remote_url=f"https://social.example/@brand/{post.pk}",
                published_at=post.scheduled_at,
            )
            for post in created
            if post.status == Status.PUBLISHED
        ),
        batch_size=500,
    )
    return created


def first_revisions(posts: list[Post], *, editor) -> None:
    """Each bench post's first revision, as composing it would have written it."""
    Revision.objects.bulk_create(
        (
            Revision(
                post=post,
                number=1,
                text=post.text,
                channel_id=post.channel_id,
                category=post.category,
                scheduled_at=post.scheduled_at,
                content_hash=post.content_hash,
                editor=editor,
            )
            for post in posts
        ),
        batch_size=500,
    )
