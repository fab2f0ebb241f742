"""Set-up for publishing tests: a brand with a Mastodon channel connected to a fake, and
approved posts made through the real services (submit, then approvals by approvers).

Only "time passing" is simulated: an approved post's time is moved into the past with a
queryset update (the services rightly refuse to schedule an approved post in the past).
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Brand, Channel, Role, User
from planner.models import Post, Status
from planner.posts import services
from planner.review import services as review_services

BRAND_TOKEN = "brand-token-0123456789"
BRAND_ACCOUNT = ("1001", "kitchen")
PERSONAL_TOKEN = "personal-token-9876543210"
PERSONAL_ACCOUNT = ("2002", "alice")
_names = itertools.count(1)


def fake_tokens() -> dict:
    return {
        BRAND_TOKEN: f"{BRAND_ACCOUNT[0]}:{BRAND_ACCOUNT[1]}",
        PERSONAL_TOKEN: f"{PERSONAL_ACCOUNT[0]}:{PERSONAL_ACCOUNT[1]}",
    }


def _user(username: str) -> User:
    return User.objects.create_user(
        username=username, password="pw-for-tests-1", email=f"{username}@example.com"
    )


def publishing_team(
    *, instance_url: str, slug: str = "kitchen", approvals_required: int = 1, token=BRAND_TOKEN
) -> dict:
    """A brand with an admin, an author, two approvers and a Mastodon channel (connected
    through the real guard: the fake answers who the token is)."""
    suffix = next(_names)
    admin = _user(f"{slug}-admin-{suffix}")
    brand = account_services.brand_create(
        slug=slug, name=slug.title(), created_by=admin, approvals_required=approvals_required
    )
    people = {"admin": admin}
    for name, roles in {
        "author": [Role.AUTHOR],
        "approver1": [Role.APPROVER],
        "approver2": [Role.APPROVER],
    }.items():
        people[name] = _user(f"{slug}-{name}-{suffix}")
        account_services.membership_set(brand=brand, user=people[name], roles=roles, actor=admin)
    channel = account_services.channel_connect(
        brand=brand,
        actor=admin,
        platform="mastodon",
        instance_url=instance_url,
        credential={"access_token": token},
    )
    return {"brand": brand, "channel": channel, **people}


def approve(team: dict, post: Post) -> Post:
    """Submit and approve through the approvals services, as many approvers as needed."""
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    brand = Brand.objects.get(pk=team["brand"].pk)
    for approver in ("approver1", "approver2")[: brand.approvals_required]:
        review_services.approval_grant(post_id=post.pk, actor=team[approver])
    post = Post.objects.get(pk=post.pk)
    assert post.status == Status.APPROVED, (post.status, post.held_reason)
    return post


def approved_post(
    team: dict, text: str = "Fresh bread, hot from the oven.", *, channel: Channel | None = None
) -> Post:
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=channel or team["channel"],
        text=text,
        category="engagement",
        scheduled_at=timezone.now() + dt.timedelta(hours=1),
    )
    return approve(team, post)


def approved_posts(team: dict, n: int, *, prefix: str = "Post") -> list[int]:
    return [approved_post(team, f"{prefix} {i} of {n}: fresh bread today.").pk for i in range(n)]


def make_due(post_ids, *, ago: dt.timedelta = dt.timedelta(seconds=1)) -> None:
    """Time passes: the posts' time is now (slightly) in the past."""
    Post.objects.filter(pk__in=list(post_ids)).update(scheduled_at=timezone.now() - ago)


def bulk_approved_posts(team: dict, n: int, *, prefix: str = "Bulk post") -> list[int]:
    """``n`` approved posts, due now, made in bulk for the reliability runs (hundreds of posts
    through the services take minutes). The rows are what the services would have written:
    each post with its first revision, its content hash, and a live approval of that hash by
    an approver who may approve on the channel, so the publisher's re-check really passes.
    Only the status is set directly (test set-up, as in tests/planner/test_lifecycle.py)."""
    from planner.content import fingerprint
    from planner.models import Approval, PostGroup, Revision

    brand, channel = team["brand"], team["channel"]
    now = timezone.now()
    groups = PostGroup.objects.bulk_create(
        [PostGroup(brand=brand, created_by=team["author"]) for _ in range(n)]
    )
    texts = [f"{prefix} {i + 1} of {n}: fresh bread today." for i in range(n)]
    posts = Post.objects.bulk_create(
        [
            Post(
                brand=brand,
                channel=channel,
                group=group,
                author=team["author"],
                last_editor=team["author"],
                text=text,
                category="engagement",
                scheduled_at=now - dt.timedelta(seconds=1),
                status=Status.APPROVED,
                revision=1,
                content_hash=fingerprint(text=text, channel_id=channel.pk, category="engagement"),
            )
            for group, text in zip(groups, texts, strict=True)
        ]
    )
    Revision.objects.bulk_create(
        [
            Revision(
                post=post,
                number=1,
                text=post.text,
                channel=channel,
                category=post.category,
                scheduled_at=post.scheduled_at,
                content_hash=post.content_hash,
                editor=team["author"],
            )
            for post in posts
        ]
    )
    Approval.objects.bulk_create(
        [
            Approval(
                post=post,
                approver=team["approver1"],
                step_order=1,
                step_name="Approval",
                content_hash=post.content_hash,
                revision=1,
                approved_at=now,
            )
            for post in posts
        ]
    )
    return [post.pk for post in posts]


def block_bread(brand: Brand) -> None:
    """A new policy version that blocks the word the publishing tests' posts contain."""
    from policy import services as policy_services

    policy_services.policy_version_create(
        brand=brand,
        actor=None,
        rules=[
            {
                "id": "no-bread",
                "kind": "banned_terms",
                "severity": "block",
                "message": "We stopped selling bread.",
                "terms": ["bread"],
            }
        ],
    )
