"""Who is told about a publishing problem, in the app and by email."""

from __future__ import annotations

from accounts import services as account_services
from accounts.models import Brand, Membership, User
from planner.models import Post
from planner.publishing.clients import IdentityCheck


def brand_admins(brand: Brand) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(brand=brand, is_admin=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ]


def tell(post: Post, *, kind: str, subject: str, body: str, author: bool = True) -> list[str]:
    """Notify the brand admins (and the author): in the app and by email. Returns who."""
    people = brand_admins(post.brand)
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


def identity_alert(post: Post, check: IdentityCheck) -> None:
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
        users=brand_admins(post.brand),
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
