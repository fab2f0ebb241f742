"""Reads for review: a post's approvals judged by the one rule, the review panel, the
approval inbox and the approval rules' settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils.safestring import SafeString

from accounts import permissions
from accounts.models import AuditEvent, Brand, Channel, Membership, User
from accounts.permissions import Action
from planner import lifecycle
from planner.models import (
    Approval,
    Post,
    ReviewSeen,
    Revision,
    Status,
)
from planner.posts.selectors import (
    RevisionDiff,
    channel_choices,
    posts_query,
    revision_diff,
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
    permissions.load_channel_limits(memberships)
    groups: dict[int, set[int]] = {}
    for uid, gid in User.groups.through.objects.filter(user_id__in=ids).values_list(
        "user_id", "group_id"
    ):
        groups.setdefault(uid, set()).add(gid)
    return {
        m.user_id: person_of(m, channel=channel, group_ids=groups.get(m.user_id, ()))
        for m in memberships
    }


def person_of(membership: Membership, *, channel: Channel, group_ids) -> Person:
    """What the approval rule needs to know about one member for a post on ``channel``
    (the membership row decides: roles and channel limits)."""
    return Person(
        user_id=membership.user_id,
        may_approve=permissions.member_may(membership, Action.APPROVE, channel),
        roles=frozenset(membership.roles),
        group_ids=frozenset(group_ids),
    )


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
    return _state(post, rules, approvals, votes, people)


def approval_states(*, posts: list[Post]) -> dict[int, ApprovalState]:
    """:func:`approval_state` for many posts at once (the send-time checks of a batch): the
    approvals, the steps, the approvers' memberships and groups in one query each, then the
    same rule per post."""
    if not posts:
        return {}
    approvals: dict[int, list[Approval]] = {p.pk: [] for p in posts}
    for approval in (
        Approval.objects.filter(post_id__in=list(approvals))
        .select_related("approver")
        .order_by("approved_at", "id")
    ):
        approvals[approval.post_id].append(approval)
    brand_ids = {p.brand_id for p in posts}
    steps: dict[int, list[ApprovalStep]] = {pk: [] for pk in brand_ids}
    for step in (
        ApprovalStep.objects.filter(brand_id__in=brand_ids)
        .select_related("group")
        .order_by("order")
    ):
        steps[step.brand_id].append(step)
    user_ids = {
        a.approver_id for rows in approvals.values() for a in rows if a.dismissed_at is None
    }
    user_ids.discard(None)
    memberships: dict[tuple[int, int], Membership] = {}
    groups: dict[int, set[int]] = {}
    if user_ids:
        rows = list(
            Membership.objects.filter(brand_id__in=brand_ids, user_id__in=user_ids).select_related(
                "user"
            )
        )
        permissions.load_channel_limits(rows)
        memberships = {(m.brand_id, m.user_id): m for m in rows}
        for uid, gid in User.groups.through.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "group_id"
        ):
            groups.setdefault(uid, set()).add(gid)
    states = {}
    for post in posts:
        rows = approvals[post.pk]
        rules = rule_steps(brand=post.brand, channel=post.channel, steps=steps[post.brand_id])
        votes = [vote_of(a) for a in rows]
        people = {}
        for a in rows:
            membership = memberships.get((post.brand_id, a.approver_id))
            if a.dismissed_at is None and membership is not None:
                people[a.approver_id] = person_of(
                    membership, channel=post.channel, group_ids=groups.get(a.approver_id, ())
                )
        states[post.pk] = _state(post, rules, rows, votes, people)
    return states


def _state(post, rules, approvals, votes, people) -> ApprovalState:
    """The approvals of ``post`` and their tally against its steps."""
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


def step_views(state: ApprovalState) -> list[StepView]:
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
        steps=step_views(state),
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


#: Inbox items on one page.
INBOX_PAGE_SIZE = 50


def inbox(*, user: User, brand: Brand) -> list[InboxItem]:
    """Posts in review that ``user`` may approve at their current step and has not yet
    approved in this version, with what changed since they last looked at each."""
    return _inbox_items(_inbox_page_posts(_inbox_wanted(user=user, brand=brand)), brand=brand)


def inbox_page(
    *, user: User, brand: Brand, page: int = 1, per_page: int = INBOX_PAGE_SIZE
) -> tuple[list[InboxItem], int, int]:
    """One page of :func:`inbox` (soonest first, as the inbox lists them): its items, how
    many posts await the user in all, and the page number actually shown."""
    wanted = _inbox_wanted(user=user, brand=brand)
    pages = max(1, -(-len(wanted) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    shown = _inbox_page_posts(wanted[start : start + per_page])
    return _inbox_items(shown, brand=brand), len(wanted), page


#: What the inbox reads of every post in review to decide whether it awaits the user (the
#: full rows, with their joins, are read only for the page shown).
_INBOX_FIELDS = (
    "id",
    "brand_id",
    "channel_id",
    "author_id",
    "last_editor_id",
    "status",
    "content_hash",
    "revision",
    "scheduled_at",
)


def _inbox_wanted(*, user: User, brand: Brand) -> list:
    """(post, state, current step, revision last seen) for each post awaiting ``user``.

    Every post in review on the user's channels is judged by the approval rule, from narrow
    rows: the posts' own columns, their approvals in one query, the channels, steps and
    people once. The posts are plain rows here; :func:`_inbox_page_posts` swaps in the full
    ones for the page shown."""

    channels = permissions.channels_for(user, brand, Action.APPROVE)
    posts = list(
        Post.objects.filter(brand=brand, status=Status.IN_REVIEW, channel__in=channels)
        .exclude(author=user)
        .exclude(last_editor=user)
        .select_related("channel")
        .order_by(F("scheduled_at").asc(nulls_last=True), "id")
        .only(*_INBOX_FIELDS, "channel")
    )
    if not posts:
        return []
    approvals: dict[int, list[Approval]] = {p.pk: [] for p in posts}
    for approval in (
        Approval.objects.filter(post_id__in=list(approvals))
        .select_related("approver")
        .order_by("approved_at", "id")
    ):
        approvals[approval.post_id].append(approval)
    steps = approval_step_list(brand=brand)
    approver_ids = {a.approver_id for rows in approvals.values() for a in rows if a.is_live}
    people_by_channel: dict[int, dict[int, Person]] = {}
    rules_by_channel = {}
    for channel_id, channel in {p.channel_id: p.channel for p in posts}.items():
        people_by_channel[channel_id] = approval_people(
            brand=brand, channel=channel, users=[*approver_ids, user.pk]
        )
        rules_by_channel[channel_id] = rule_steps(brand=brand, channel=channel, steps=steps)
    seen = dict(
        ReviewSeen.objects.filter(user=user, post_id__in=list(approvals)).values_list(
            "post_id", "revision"
        )
    )
    wanted: list[tuple[Post, ApprovalState, StepState, int | None]] = []
    for post in posts:
        rows = approvals[post.pk]
        rules = rules_by_channel[post.channel_id]
        votes = [vote_of(a) for a in rows]
        people = people_by_channel[post.channel_id]
        result = tally(
            steps=rules,
            votes=votes,
            content_hash=post.content_hash,
            author_id=post.author_id,
            last_editor_id=post.last_editor_id,
            people=people,
        )
        state = ApprovalState(steps=rules, approvals=rows, votes=votes, people=people, tally=result)
        if result.current is None or approve_refusal_for(post=post, user=user, state=state):
            continue
        mine = [a.revision for a in rows if a.approver_id == user.pk]
        looked = [n for n in (seen.get(post.pk), max(mine, default=None)) if n is not None]
        wanted.append((post, state, result.current, max(looked) if looked else None))
    return wanted


def _inbox_page_posts(wanted: list) -> list:
    """``wanted`` with each post read in full, with its joins (the page's cards show them);
    their approvals are the ones judged (``state.approvals``)."""
    if not wanted:
        return []
    full = {p.pk: p for p in posts_query().filter(pk__in=[p.pk for p, *_ in wanted])}
    return [(full.get(post.pk, post), *rest) for post, *rest in wanted]


def _inbox_items(wanted: list, *, brand: Brand) -> list[InboxItem]:
    """The inbox cards of ``wanted``: highlighted text, and the diff since last seen."""
    from policy.highlight import highlight_findings

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
                steps=step_views(state),
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
