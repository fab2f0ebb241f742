"""Reads for the publishing pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts import permissions
from accounts.models import Brand, User
from accounts.permissions import Action
from config.errors import Conflict, NotFoundError
from planner.models import Delivery, HeldCode, Post, Status
from planner.publishing.release import can_release

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
        needs_reconnect=post.status == Status.HELD and post.held_code == HeldCode.RECONNECT,
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
