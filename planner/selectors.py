"""Reads for the planner, with their joins applied, so views and templates never query."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts import permissions
from accounts.models import AuditEvent, Brand, Channel, Membership, User
from accounts.permissions import Action
from planner import lifecycle
from planner.models import (
    Approval,
    CalendarFeed,
    Campaign,
    Comment,
    Media,
    Post,
    ReviewSeen,
    Revision,
    Status,
)
from policy.approvals import (
    Person,
    Refusal,
    Step,
    StepState,
    Tally,
    Vote,
    approve_refusal,
    effective_steps,
    reject_refusal,
    step_refusal,
    tally,
)
from policy.models import ApprovalStep

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


def _posts() -> QuerySet[Post]:
    return Post.objects.select_related(
        "brand", "channel", "channel__brand", "author", "last_editor", "campaign", "rejected_by"
    )


def post_list(*, brand: Brand) -> QuerySet[Post]:
    """The brand's posts, dated ones by time then undated drafts, with their joins."""
    return _posts().filter(brand=brand).order_by(F("scheduled_at").asc(nulls_last=True), "id")


def post_get(*, user: User, pk, brand: Brand | None = None) -> Post:
    """A post the user may see (else 404): the brand's members see all its posts."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such post.") from None
    post = _posts().filter(pk=pk).first() if 0 < pk < 2**63 else None
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
        brand=post.brand, text=post.text, channel=post.channel, category=post.category
    )


def text_findings(*, brand: Brand, text: str, channel: Channel | None, category: str | None):
    from policy import services as policy_services

    return policy_services.policy_lint(brand=brand, text=text, channel=channel, category=category)


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


# --- approvals ---------------------------------------------------------------------------


def approval_list(*, post: Post) -> list[Approval]:
    """Every approval of the post, live and dismissed, oldest first, with the approver."""
    return list(
        Approval.objects.filter(post=post).select_related("approver").order_by("approved_at", "id")
    )


def approvals_prefetch() -> Prefetch:
    """For post lists that show approvals (the API): one query for all of them."""
    return Prefetch(
        "approvals",
        queryset=Approval.objects.select_related("approver").order_by("approved_at", "id"),
    )


def approval_step_list(*, brand: Brand) -> list[ApprovalStep]:
    """The brand's ordered steps as configured (empty: the implicit single step)."""
    return list(ApprovalStep.objects.filter(brand=brand).select_related("group").order_by("order"))


def rule_steps(*, brand: Brand, channel: Channel, steps: list[ApprovalStep]) -> tuple[Step, ...]:
    """The steps that apply to a post on ``channel``, as the approval rule's plain data."""
    return effective_steps(
        steps=[
            Step(
                order=s.order,
                name=s.name,
                required=s.required,
                role=s.role,
                group_id=s.group_id,
                group_name=s.group.name if s.group_id else "",
            )
            for s in steps
        ],
        brand_required=brand.approvals_required,
        channel_required=channel.approvals_required,
    )


def vote_of(approval: Approval) -> Vote:
    return Vote(
        approver_id=approval.approver_id,
        step_order=approval.step_order,
        content_hash=approval.content_hash,
        dismissed=approval.dismissed_at is not None,
    )


def approval_people(*, brand: Brand, channel: Channel, users) -> dict[int, Person]:
    """What the approval rule needs to know about each of ``users`` (ids or users) for a post
    on ``channel``: whether the permissions module lets them approve there, their roles in the
    brand and their groups. People outside the brand are left out (they never count)."""
    ids = {getattr(u, "pk", u) for u in users if u is not None}
    ids.discard(None)
    if not ids:
        return {}
    memberships = list(
        Membership.objects.filter(brand=brand, user_id__in=ids).select_related("user")
    )
    groups: dict[int, set[int]] = {}
    for uid, gid in User.groups.through.objects.filter(user_id__in=ids).values_list(
        "user_id", "group_id"
    ):
        groups.setdefault(uid, set()).add(gid)
    return {
        m.user_id: Person(
            user_id=m.user_id,
            may_approve=permissions.has_perm(m.user, Action.APPROVE, channel),
            roles=frozenset(m.roles),
            group_ids=frozenset(groups.get(m.user_id, ())),
        )
        for m in memberships
    }


@dataclass(frozen=True)
class ApprovalState:
    """A post's approvals judged by the one rule (``policy.approvals.tally``)."""

    steps: tuple[Step, ...]
    approvals: list[Approval]  # all, dismissed included, oldest first
    votes: list[Vote]
    people: dict[int, Person]
    tally: Tally

    @property
    def satisfied(self) -> bool:
        return self.tally.satisfied

    @property
    def live(self) -> list[Approval]:
        return [a for a in self.approvals if a.dismissed_at is None]


def approval_state(
    *, post: Post, extra_people=(), steps: list[ApprovalStep] | None = None
) -> ApprovalState:
    """Gather the facts about the post's approvals and ask the rule. ``extra_people`` adds
    people to describe (e.g. someone about to approve)."""
    approvals = approval_list(post=post)
    rules = rule_steps(
        brand=post.brand,
        channel=post.channel,
        steps=approval_step_list(brand=post.brand) if steps is None else steps,
    )
    votes = [vote_of(a) for a in approvals]
    live_ids = [a.approver_id for a in approvals if a.dismissed_at is None]
    people = approval_people(
        brand=post.brand, channel=post.channel, users=[*live_ids, *extra_people]
    )
    return ApprovalState(
        steps=rules,
        approvals=approvals,
        votes=votes,
        people=people,
        tally=tally(
            steps=rules,
            votes=votes,
            content_hash=post.content_hash,
            author_id=post.author_id,
            last_editor_id=post.last_editor_id,
            people=people,
        ),
    )


def approvals_satisfied(*, post: Post) -> bool:
    """Are the post's live approvals enough for its current content? (The publisher's
    re-check before sending asks this.)"""
    return approval_state(post=post).satisfied


def approve_refusal_for(*, post: Post, user: User, state: ApprovalState) -> Refusal | None:
    """Why ``user`` may not approve ``post`` now (state included), or None."""
    if post.status != Status.IN_REVIEW:
        return Refusal(
            "wrong_state",
            "Only a post in review can be approved; "
            f"this one is {post.get_status_display().lower()}.",
            409,
        )
    person = state.people.get(user.pk) or Person(user_id=user.pk, may_approve=False)
    return approve_refusal(
        result=state.tally,
        votes=state.votes,
        person=person,
        content_hash=post.content_hash,
        author_id=post.author_id,
        last_editor_id=post.last_editor_id,
    )


def reject_refusal_for(*, post: Post, user: User, state: ApprovalState) -> Refusal | None:
    """Why ``user`` may not send ``post`` back to its author now, or None."""
    if (Status(post.status), Status.DRAFT) not in lifecycle.TRANSITIONS:
        return Refusal(
            "wrong_state",
            f"A post that is {post.get_status_display().lower()} cannot be sent back.",
            409,
        )
    person = state.people.get(user.pk) or Person(user_id=user.pk, may_approve=False)
    return reject_refusal(
        result=state.tally,
        person=person,
        author_id=post.author_id,
        last_editor_id=post.last_editor_id,
    )


def approval_candidates(*, post: Post, step: Step, state: ApprovalState) -> list[User]:
    """Who could approve the post at ``step`` and has not yet: the people to tell."""
    memberships = (
        Membership.objects.filter(brand=post.brand, is_approver=True, user__is_active=True)
        .exclude(user_id__in=[post.author_id, post.last_editor_id])
        .select_related("user")
    )
    users = [m.user for m in memberships]
    people = approval_people(brand=post.brand, channel=post.channel, users=users)
    already = {a.approver_id for a in state.live if a.content_hash == post.content_hash}
    return [
        user
        for user in users
        if user.pk not in already and step_refusal(step, people.get(user.pk)) is None
    ]


def post_timeline(*, post: Post) -> list[AuditEvent]:
    """The post's audit events, oldest first: every move and every refused attempt."""
    return list(
        AuditEvent.objects.filter(object_type="post", object_id=str(post.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class StepView:
    """One step for a template: its rule, who counts toward it, and whether it is current."""

    state: StepState
    approvers: list[str]
    current: bool


@dataclass(frozen=True)
class ReviewPanel:
    """Everything the post page shows about review, computed here (templates never query)."""

    state: ApprovalState
    steps: list[StepView]
    approve_refusal: Refusal | None
    reject_refusal: Refusal | None
    can_submit: bool
    review_html: SafeString
    timeline: list[AuditEvent]


def _step_views(state: ApprovalState) -> list[StepView]:
    names = {a.approver_id: a.approver.username for a in state.approvals if a.approver_id}
    current = state.tally.current
    return [
        StepView(
            state=s,
            approvers=[names.get(uid, str(uid)) for uid in s.counted],
            current=current is not None and s.step.order == current.step.order,
        )
        for s in state.tally.steps
    ]


def review_panel(*, post: Post, user: User) -> ReviewPanel:
    from policy.highlight import highlight_findings

    state = approval_state(post=post, extra_people=[user])
    may_draft = permissions.has_perm(user, Action.DRAFT, post.channel)
    return ReviewPanel(
        state=state,
        steps=_step_views(state),
        approve_refusal=approve_refusal_for(post=post, user=user, state=state),
        reject_refusal=reject_refusal_for(post=post, user=user, state=state),
        can_submit=may_draft and post.status == Status.DRAFT,
        review_html=highlight_findings(post.text, post.review_findings or []),
        timeline=post_timeline(post=post),
    )


@dataclass(frozen=True)
class InboxItem:
    post: Post
    state: ApprovalState
    current: StepState
    steps: list[StepView]
    seen_revision: int | None
    diff: RevisionDiff | None
    review_html: SafeString


def inbox(*, user: User, brand: Brand) -> list[InboxItem]:
    """Posts in review that ``user`` may approve at their current step and has not yet
    approved in this version, with what changed since they last looked at each."""
    from policy.highlight import highlight_findings

    channels = permissions.channels_for(user, brand, Action.APPROVE)
    posts = list(
        post_list(brand=brand)
        .filter(status=Status.IN_REVIEW, channel__in=channels)
        .exclude(author=user)
        .exclude(last_editor=user)
        .prefetch_related(approvals_prefetch())
    )
    if not posts:
        return []
    steps = approval_step_list(brand=brand)
    approver_ids = {a.approver_id for p in posts for a in p.approvals.all() if a.is_live}
    people_by_channel: dict[int, dict[int, Person]] = {}
    for channel in {p.channel_id: p.channel for p in posts}.values():
        people_by_channel[channel.pk] = approval_people(
            brand=brand, channel=channel, users=[*approver_ids, user.pk]
        )
    seen = dict(
        ReviewSeen.objects.filter(user=user, post__in=posts).values_list("post_id", "revision")
    )
    wanted: list[tuple[Post, ApprovalState, StepState, int | None]] = []
    for post in posts:
        approvals = list(post.approvals.all())
        rules = rule_steps(brand=brand, channel=post.channel, steps=steps)
        votes = [vote_of(a) for a in approvals]
        people = people_by_channel[post.channel_id]
        result = tally(
            steps=rules,
            votes=votes,
            content_hash=post.content_hash,
            author_id=post.author_id,
            last_editor_id=post.last_editor_id,
            people=people,
        )
        state = ApprovalState(
            steps=rules, approvals=approvals, votes=votes, people=people, tally=result
        )
        if result.current is None or approve_refusal_for(post=post, user=user, state=state):
            continue
        mine = [a.revision for a in approvals if a.approver_id == user.pk]
        looked = [n for n in (seen.get(post.pk), max(mine, default=None)) if n is not None]
        wanted.append((post, state, result.current, max(looked) if looked else None))
    numbers = {(p.pk, n) for p, _, _, n in wanted if n is not None and n != p.revision}
    numbers |= {(p.pk, p.revision) for p, _, _, n in wanted if n is not None}
    revisions: dict[int, list[Revision]] = {}
    if numbers:
        query = Q()
        for post_id, number in numbers:
            query |= Q(post_id=post_id, number=number)
        for rev in Revision.objects.filter(query).select_related(
            "channel", "channel__brand", "campaign"
        ):
            revisions.setdefault(rev.post_id, []).append(rev)
    items = []
    for post, state, current, looked in wanted:
        diff = None
        if looked is not None and looked != post.revision:
            diff = revision_diff(revisions.get(post.pk, []), looked, post.revision, tz=brand.tz)
        items.append(
            InboxItem(
                post=post,
                state=state,
                current=current,
                steps=_step_views(state),
                seen_revision=looked,
                diff=diff,
                review_html=highlight_findings(post.text, post.review_findings or []),
            )
        )
    return items


def inbox_count(*, user: User, brand: Brand) -> int:
    """How many posts await ``user``'s approval in ``brand``, for the menu: in one query.

    The same posts as :func:`inbox` for the usual single approval step (in review, on a
    channel the person may approve on, not written or last edited by them, not yet approved
    by them in this version). With ordered steps the Inbox page also applies each step's
    role and group; the menu's count may then include a post waiting at an earlier step.
    """
    mine = Approval.objects.filter(
        post=OuterRef("pk"),
        approver=user,
        dismissed_at__isnull=True,
        content_hash=OuterRef("content_hash"),
    )
    return (
        Post.objects.filter(
            brand=brand,
            status=Status.IN_REVIEW,
            channel__in=permissions.channels_for(user, brand, Action.APPROVE, checked=True),
        )
        .exclude(author=user)
        .exclude(last_editor=user)
        .exclude(Exists(mine))
        .count()
    )


def approval_settings(*, brand: Brand) -> dict:
    """The approvals settings page: the brand's count, each channel's override, the steps."""
    return {
        "channels": list(channel_choices(brand=brand)),
        "steps": approval_step_list(brand=brand),
    }


def approval_step_get(*, brand: Brand, pk) -> ApprovalStep:
    step = ApprovalStep.objects.select_related("brand", "group").filter(brand=brand, pk=pk).first()
    if step is None:
        raise Http404("No such step.")
    return step
