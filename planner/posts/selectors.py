"""Reads for posts, revisions, the calendar and feeds, with their joins applied, so views
and templates never query.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts import permissions
from accounts.models import Brand, Channel, Membership, User
from accounts.permissions import Action
from planner import lifecycle
from planner.models import (
    Approval,
    CalendarFeed,
    Campaign,
    Comment,
    Media,
    Post,
    Revision,
    Status,
)

#: The longest range the calendar answers for in one request.
MAX_CALENDAR_RANGE = dt.timedelta(days=370)
#: How far back and ahead the ICS feed lists posts.
ICS_PAST = dt.timedelta(days=90)
ICS_AHEAD = dt.timedelta(days=400)
ICS_MAX_EVENTS = 5000

#: Channel colours on the calendar: a fixed palette, chosen by channel id.
CHANNEL_PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
]


def channel_colour(channel_id: int) -> str:
    return CHANNEL_PALETTE[channel_id % len(CHANNEL_PALETTE)]


# --- posts -------------------------------------------------------------------------------


def posts_query() -> QuerySet[Post]:
    return Post.objects.select_related(
        "brand", "channel", "channel__brand", "author", "last_editor", "campaign", "rejected_by"
    )


def post_list(*, brand: Brand) -> QuerySet[Post]:
    """The brand's posts, dated ones by time then undated drafts, with their joins."""
    return posts_query().filter(brand=brand).order_by(F("scheduled_at").asc(nulls_last=True), "id")


def post_get(*, user: User, pk, brand: Brand | None = None) -> Post:
    """A post the user may see (else 404): the brand's members see all its posts."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such post.") from None
    post = posts_query().filter(pk=pk).first() if 0 < pk < 2**63 else None
    if post is None or (brand is not None and post.brand_id != brand.pk):
        raise Http404("No such post.")
    if not permissions.has_perm(user, Action.VIEW, post.brand):
        raise Http404("No such post.")
    return post


def post_siblings(*, post: Post) -> list[Post]:
    """The other drafts composed together with this one."""
    return list(
        Post.objects.filter(group_id=post.group_id)
        .exclude(pk=post.pk)
        .select_related("channel", "channel__brand")
        .order_by("channel__platform", "channel__handle")
    )


def revision_list(*, post: Post) -> list[Revision]:
    return list(
        Revision.objects.filter(post=post)
        .select_related("editor", "channel", "channel__brand", "campaign")
        .order_by("number")
    )


def comment_list(*, post: Post) -> list[Comment]:
    return list(
        Comment.objects.filter(post=post).select_related("author").order_by("created_at", "id")
    )


def media_list(*, post: Post) -> list[Media]:
    return list(Media.objects.filter(post=post).order_by("pk"))


def post_findings(*, post: Post):
    """The post's text linted against the brand's current policy (a ``policy`` Linted)."""
    from policy import services as policy_services

    return policy_services.policy_lint(
        brand=post.brand,
        text=post.text,
        channel=post.channel,
        category=post.category,
        brand_loaded=True,  # read with the post, in this request
    )


def text_findings(*, brand: Brand, text: str, channel: Channel | None, category: str | None):
    from policy import services as policy_services

    return policy_services.policy_lint(
        brand=brand, text=text, channel=channel, category=category, brand_loaded=True
    )


# --- revisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionDiff:
    older: Revision
    newer: Revision
    fields: list[tuple[str, str, str]]  # (label, before, after) for changed non-text fields
    text_html: SafeString  # the text diff, escaped, with <del>/<ins>
    text_changed: bool


def _revision_fields(rev: Revision, tz) -> dict[str, str]:
    when = (
        rev.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if rev.scheduled_at else "—"
    )
    return {
        "Channel": f"{rev.channel.handle} ({rev.channel.get_platform_display()})",
        "Category": rev.get_category_display(),
        "Scheduled": when,
        "Campaign": rev.campaign.name if rev.campaign else "—",
        "Media": rev.media_summary or "—",
    }


def _text_diff(before: str, after: str) -> SafeString:
    """A readable, escaped word-level diff: unchanged text, <del>removed</del>, <ins>added</ins>."""
    split = re.compile(r"(\s+)")
    a, b = split.split(before), split.split(after)
    out = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f'<del class="diff-del">{escape("".join(a[i1:i2]))}</del>')
        if op in ("insert", "replace"):
            out.append(f'<ins class="diff-ins">{escape("".join(b[j1:j2]))}</ins>')
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def revision_diff(revisions: list[Revision], a, b, *, tz) -> RevisionDiff | None:
    """The difference between revision numbers ``a`` and ``b`` (either order); None if either
    is not one of ``revisions``."""
    by_number = {rev.number: rev for rev in revisions}
    try:
        first, second = by_number[int(a)], by_number[int(b)]
    except (KeyError, TypeError, ValueError):
        return None
    older, newer = (first, second) if first.number <= second.number else (second, first)
    before, after = _revision_fields(older, tz), _revision_fields(newer, tz)
    fields = [(key, before[key], after[key]) for key in before if before[key] != after[key]]
    return RevisionDiff(
        older=older,
        newer=newer,
        fields=fields,
        text_html=_text_diff(older.text, newer.text),
        text_changed=older.text != newer.text,
    )


@dataclass(frozen=True)
class EditDismissal:
    """What saving an edit would do to the post's approvals."""

    under_review: bool
    approvers: list[str]  # usernames of the live approvals
    content_changed: bool  # the edited content has another hash than the post's

    @property
    def count(self) -> int:
        return len(self.approvers)

    @property
    def dismisses(self) -> int:
        """How many approvals saving this would dismiss."""
        return self.count if self.under_review and self.content_changed else 0


def edit_dismissal(*, post: Post, text=None, channel_id=None, category=None) -> EditDismissal:
    """The approvals an edit to ``text``/``channel_id``/``category`` (None: as they are) would
    dismiss: every live one, when the content hash changes on a post under review. Moving
    only the time keeps them (the time is not part of the hash)."""
    from planner.content import fingerprint

    under_review = post.status in lifecycle.UNDER_REVIEW
    approvers = []
    if under_review:
        approvers = [
            username or "a removed user"
            for username in Approval.objects.filter(post=post, dismissed_at__isnull=True)
            .order_by("approved_at", "pk")
            .values_list("approver__username", flat=True)
        ]
    changed = False
    if under_review and approvers:
        try:
            channel_pk = int(channel_id) if channel_id not in (None, "") else post.channel_id
        except (TypeError, ValueError):
            channel_pk = post.channel_id
        new_hash = fingerprint(
            text=text if isinstance(text, str) else post.text,
            channel_id=channel_pk,
            category=category if isinstance(category, str) and category else post.category,
            media=list(post.media.order_by("pk").values_list("pk", "alt_text")),
        )
        changed = new_hash != post.content_hash
    return EditDismissal(under_review=under_review, approvers=approvers, content_changed=changed)


# --- campaigns, people -------------------------------------------------------------------


def channel_choices(*, brand: Brand) -> QuerySet[Channel]:
    return (
        Channel.objects.filter(brand=brand).select_related("brand").order_by("platform", "handle")
    )


def campaign_list(*, brand: Brand) -> QuerySet[Campaign]:
    return Campaign.objects.filter(brand=brand).order_by("name")


def brand_people(*, brand: Brand) -> QuerySet[User]:
    return User.objects.filter(
        Exists(Membership.objects.filter(brand=brand, user=OuterRef("pk")))
    ).order_by("username")


# --- calendar ----------------------------------------------------------------------------


def calendar_posts(
    *, posts: QuerySet[Post], start: dt.datetime, end: dt.datetime
) -> QuerySet[Post]:
    """Dated posts in ``[start, end)``, from an already filtered brand queryset, loading only
    what a calendar event shows (a month can hold hundreds of posts)."""
    return (
        posts.filter(scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related(None)
        .select_related("channel", "author", "campaign")
        .only(
            "id",
            "brand_id",
            "text",
            "category",
            "status",
            "scheduled_at",
            "channel__id",
            "channel__handle",
            "channel__platform",
            "author__id",
            "author__username",
            "campaign__id",
            "campaign__name",
        )
        .order_by("scheduled_at", "id")
    )


def draftable_channel_ids(*, user: User, brand: Brand) -> set[int]:
    return set(permissions.channels_for(user, brand, Action.DRAFT).values_list("pk", flat=True))


@dataclass(frozen=True)
class QuietChannel:
    channel: Channel
    days: int


def quiet_channels(*, brand: Brand, now: dt.datetime | None = None) -> list[QuietChannel]:
    """Channels with nothing planned in the next ``brand.quiet_days`` days (one query)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=brand.quiet_days)
    planned = Post.objects.filter(
        channel=OuterRef("pk"), scheduled_at__gte=now, scheduled_at__lt=horizon
    ).exclude(status=Status.FAILED)
    channels = (
        Channel.objects.filter(brand=brand)
        .select_related("brand")
        .annotate(has_planned=Exists(planned))
        .filter(has_planned=False)
        .order_by("platform", "handle")
    )
    return [QuietChannel(channel=channel, days=brand.quiet_days) for channel in channels]


def calendar_event(post: Post, *, editable_channels: set[int], url_template: str) -> dict:
    """One post as a FullCalendar event (the calendar API's item).

    ``url_template`` is the post page's URL with ``{id}`` in place of the post's id.
    """
    status = Status(post.status)
    editable = post.channel_id in editable_channels and lifecycle.is_reschedulable(post)
    first_line = post.text.strip().splitlines()[0] if post.text.strip() else ""
    return {
        "id": str(post.pk),
        "title": f"{first_line[:80]} · {post.channel.handle}",
        "start": post.scheduled_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "allDay": False,
        "color": channel_colour(post.channel_id),
        "editable": editable,
        "url": url_template.format(id=post.pk),
        "class": f"post-status-{status.value}",
        "extendedProps": {
            "status": status.value,
            "status_label": str(status.label),
            "badge": lifecycle.BADGE[status],
            "channel": post.channel_id,
            "channel_handle": post.channel.handle,
            "platform": post.channel.platform,
            "category": post.category,
            "campaign": post.campaign.name if post.campaign else None,
            "author": post.author.username if post.author else None,
            "text": post.text,
        },
    }


# --- ICS feeds ---------------------------------------------------------------------------


def feed_token_hash(token: str) -> str:
    """Only this hash of a feed's secret token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def feed_active(*, user: User, brand: Brand) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, brand=brand, revoked_at__isnull=True).first()


def feed_by_token(token: str) -> CalendarFeed | None:
    """The active feed for a secret token, if its owner may still see the brand."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user", "brand")
        .filter(token_hash=feed_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not permissions.has_perm(feed.user, Action.VIEW, feed.brand):
        return None
    return feed


def ics_posts(*, feed: CalendarFeed, now: dt.datetime | None = None) -> list[Post]:
    now = now or timezone.now()
    visible = permissions.channels_for(feed.user, feed.brand, Action.VIEW)
    return list(
        post_list(brand=feed.brand)
        .filter(
            channel__in=visible,
            scheduled_at__gte=now - ICS_PAST,
            scheduled_at__lt=now + ICS_AHEAD,
        )
        .order_by("scheduled_at", "id")[:ICS_MAX_EVENTS]
    )
