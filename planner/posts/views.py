"""Web views for posts: compose, edit, list, calendar, copy, comments, campaigns, feeds.
Interfaces only: parse input, call one service, render selector results.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts.models import Brand, Channel
from accounts.permissions import Action
from config.errors import DomainError
from config.web import call_service
from planner import lifecycle
from planner import media as media_rules
from planner.models import MAX_TEXT_CHARS, Category, Post, Status
from planner.posts import checks as post_checks
from planner.posts import ics, selectors, services, uploads
from planner.posts.filters import PostFilter
from planner.posts.forms import (
    CampaignForm,
    CommentForm,
    ComposeForm,
    CopyForm,
    MediaForm,
    PostEditForm,
)
from planner.review import selectors as review_selectors
from planner.review import services as review_services
from planner.review.forms import (
    ApproveForm,
    RejectForm,
    SubmitForm,
)
from planner.strategy import selectors as strategy_selectors
from policy import services as policy_services
from policy.highlight import highlight_findings

LIST_PAGE_SIZE = 25
FILTER_FIELDS = ("channel", "campaign", "status", "category", "author", "q")


def drafting_channels(user, brand: Brand):
    return permissions.channels_for(user, brand, Action.DRAFT).select_related("brand")


def media_uploads(form, *, user=None) -> list[services.MediaUpload]:
    """The form's attachment: a file sent with the form, or a finished chunked upload."""
    alt_text = form.cleaned_data.get("alt_text") or ""
    upload_id = form.cleaned_data.get("upload_id") or ""
    if upload_id and user is not None:
        upload = uploads.upload_file(user_id=user.pk, upload_id=upload_id)
        return [services.MediaUpload(file=upload, alt_text=alt_text)]
    upload = form.cleaned_data.get("media_file")
    if not upload:
        return []
    return [services.MediaUpload(file=upload, alt_text=alt_text)]


def _discard_upload(form, user) -> None:
    upload_id = form.cleaned_data.get("upload_id") if hasattr(form, "cleaned_data") else ""
    if upload_id:
        uploads.upload_discard(user_id=user.pk, upload_id=upload_id)


# --- composer ----------------------------------------------------------------------------


def run_service(form, call, *, stale: list | None = None):
    """Run one service for a valid form (see ``call_service``). A missing handle confirmation
    becomes an error on the confirmation field, where the person types it; a stale edit is
    put in ``stale`` (when given) for the page to show what changed."""
    refused = object()

    def guarded():
        try:
            return call()
        except services.ConfirmationNeeded as exc:
            form.add_error("confirm_handles", exc.message)
        except services.StaleEdit as exc:
            if stale is None:
                raise
            stale.append(exc)
        return refused

    result = call_service(form, guarded)
    return None if result is refused else result


@login_required
def post_compose(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.DRAFT)
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        brand=brand,
        campaigns=selectors.campaign_list(brand=brand),
        channels=drafting_channels(request.user, brand),
        initial={"category": Category.ENGAGEMENT},
    )
    saved: list[Post] = []
    refused: list[services.ComposeRefusal] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = run_service(
            form,
            lambda: services.post_compose_fitting(
                brand=brand,
                actor=request.user,
                channels=list(data["channels"]),
                text=data["text"],
                category=data["category"],
                scheduled_at=data["scheduled_at"],
                campaign=data["campaign"],
                media=media_uploads(form, user=request.user),
                confirm_handles=form.handles(),
            ),
        )
        if result is not None and not result.refused:
            _discard_upload(form, request.user)
            names = ", ".join(post.channel.handle for post in result.posts)
            count = len(result.posts)
            messages.success(
                request,
                ngettext("Saved %(n)d draft: %(names)s.", "Saved %(n)d drafts: %(names)s.", count)
                % {"n": count, "names": names},
            )
            return redirect(result.posts[0].get_absolute_url())
        if result is not None:
            # Saved what fits; the form comes back with only the channels it did not fit,
            # the text as typed, and each refused channel's count.
            saved, refused = result.posts, result.refused
            data = request.POST.copy()
            data.setlist("channels", [str(r.channel.pk) for r in refused])
            form = ComposeForm(
                data,
                brand=brand,
                campaigns=selectors.campaign_list(brand=brand),
                channels=drafting_channels(request.user, brand),
            )
            form.is_valid()
    preview = _preview_context(
        request.user,
        brand,
        text=form.data.get("text", "") if form.is_bound else "",
        channel_ids=form.data.getlist("channels") if form.is_bound else [],
        category=form.data.get("category") if form.is_bound else Category.ENGAGEMENT,
    )
    return render(
        request,
        "planner/post_compose.html",
        {
            "brand": brand,
            "form": form,
            "channels": form.channel_list,
            "saved": saved,
            "refused": refused,
            "media_dropped": bool(saved and request.FILES),
            "preview_url": reverse("compose_preview", args=[brand.slug]),
            "form_id": "compose-form",
            **preview,
        },
    )


def _preview_context(
    user,
    brand: Brand,
    *,
    text,
    channel_ids,
    category,
    scheduled_at=None,
    campaign_id=None,
    exclude_post_id=None,
) -> dict:
    """Per target channel: the count by its platform, the findings in place, who it posts as,
    the text with the brand's tracked links, and the content-mix warning for the time given
    (``scheduled_at``: the form's raw value; none, no mix check)."""
    if not isinstance(text, str):
        text = ""
    category = category if category in Category.values else None
    when = strategy_selectors.parse_form_time(scheduled_at, brand=brand)
    campaign = strategy_selectors.brand_campaign(brand=brand, raw=campaign_id)
    rules = strategy_selectors.link_tracking(brand=brand) if "http" in text.lower() else None
    wanted = set()
    for raw in channel_ids:
        try:
            wanted.add(int(raw))
        except (TypeError, ValueError):
            continue
    channels = [c for c in drafting_channels(user, brand) if c.pk in wanted]
    if len(text) > MAX_TEXT_CHARS:
        return {
            "targets": [],
            "preview_error": (
                f"The post is {len(text):,} characters; the most is {MAX_TEXT_CHARS:,}."
            ),
        }
    targets = []
    for channel in channels or [None]:
        final = (
            strategy_selectors.tagged_text(
                brand=brand, channel=channel, campaign=campaign, text=text, rules=rules
            )
            if channel
            else text
        )
        try:
            linted = selectors.text_findings(
                brand=brand, text=final, channel=channel, category=category
            )
            findings = list(linted.result.findings)
        except ValidationError as exc:
            return {"targets": [], "preview_error": " ".join(exc.messages)}
        mix = (
            strategy_selectors.mix_over(
                brand=brand,
                channel=channel,
                category=category,
                scheduled_at=when,
                exclude_post_id=exclude_post_id,
            )
            if channel and category and when
            else []
        )
        targets.append(
            {
                "channel": channel,
                "count": post_checks.character_count(final, channel) if channel else None,
                "findings": findings,
                "blocked": any(f.severity == "block" for f in findings),
                "html": highlight_findings(final, findings),
                "tagged": final != text,
                "mix": [strategy_selectors.mix_message(over, channel) for over in mix],
            }
        )
    return {"targets": targets, "preview_error": "", "text": text}


@login_required
@require_POST
def compose_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The composer's live partial (htmx): counts, highlighted findings, identity chips."""
    brand = permissions.get_brand(request.user, slug, Action.DRAFT)
    context = _preview_context(
        request.user,
        brand,
        text=request.POST.get("text", ""),
        channel_ids=request.POST.getlist("channels"),
        category=request.POST.get("category"),
        scheduled_at=request.POST.get("scheduled_at"),
        campaign_id=request.POST.get("campaign"),
    )
    return render(request, "planner/_compose_preview.html", {"brand": brand, **context})


@login_required
@require_POST
def post_edit_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The edit page's live partial: the composer's, plus what saving would do to the post's
    approvals (computed here, from the content as it is in the form now)."""
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    permissions.require(request.user, Action.DRAFT, post.channel)
    text = request.POST.get("text", "")
    channel_id = request.POST.get("channel") or post.channel_id
    category = request.POST.get("category")
    context = _preview_context(
        request.user,
        brand,
        text=text,
        channel_ids=[channel_id],
        category=category,
        scheduled_at=request.POST.get("scheduled_at"),
        campaign_id=request.POST.get("campaign"),
        exclude_post_id=post.pk,
    )
    dismissal = selectors.edit_dismissal(
        post=post, text=text, channel_id=channel_id, category=category
    )
    return render(
        request,
        "planner/_compose_preview.html",
        {"brand": brand, "post": post, "dismissal": dismissal, **context},
    )


# --- post pages --------------------------------------------------------------------------


@login_required
def post_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    review_services.review_seen_record(post=post, user=request.user)
    return render_detail(request, post, comment_form=CommentForm())


def render_detail(
    request,
    post: Post,
    *,
    comment_form: CommentForm,
    status: int = 200,
    review_error: str = "",
    error_findings: list | None = None,
    reject_form: RejectForm | None = None,
):
    brand = post.brand
    revisions = selectors.revision_list(post=post)
    a = request.GET.get("a") or (revisions[-2].number if len(revisions) > 1 else None)
    b = request.GET.get("b") or (revisions[-1].number if revisions else None)
    diff = selectors.revision_diff(revisions, a, b, tz=brand.tz) if a and b else None
    linted = selectors.post_findings(post=post)
    findings = list(linted.result.findings)
    can_draft = permissions.has_perm(request.user, Action.DRAFT, post.channel)
    review = review_selectors.review_panel(post=post, user=request.user)
    return render(
        request,
        "planner/post_detail.html",
        {
            "brand": brand,
            "post": post,
            "channel": post.channel,
            "badge": lifecycle.BADGE[Status(post.status)],
            "revisions": revisions,
            "diff": diff,
            "diff_a": str(a or ""),
            "diff_b": str(b or ""),
            "comments": selectors.comment_list(post=post),
            "media": selectors.media_list(post=post),
            "siblings": selectors.post_siblings(post=post),
            "findings": findings,
            "can_vet_tags": any(f.kind == "hashtags" for f in findings)
            and policy_services.hashtag_vetter(request.user, brand),
            "blocked": linted.result.blocked,
            "policy_version": linted.version.number,
            "text_html": highlight_findings(post.text, findings),
            "count": post_checks.character_count(post.text, post.channel),
            "comment_form": comment_form,
            "can_edit": can_draft and lifecycle.is_editable(post),
            "can_copy": permissions.brands_for(request.user, Action.DRAFT).exists(),
            "time_passed": post.scheduled_at is not None and post.scheduled_at < timezone.now(),
            "review": review,
            "review_error": review_error,
            "error_findings": error_findings or [],
            "submit_form": SubmitForm(),
            "approve_form": ApproveForm(initial={"content_hash": post.content_hash}),
            "reject_form": reject_form or RejectForm(),
        },
        status=status,
    )


@login_required
@require_POST
def post_comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = call_service(
            form,
            lambda: services.comment_create(
                post=post, actor=request.user, body=form.cleaned_data["body"]
            ),
        )
        if comment is not None:
            return redirect(f"{post.get_absolute_url()}#comment-{comment.pk}")
    return render_detail(request, post, comment_form=form, status=400)


def _edit_form(request, post: Post, brand: Brand, data=None) -> PostEditForm:
    return PostEditForm(
        data,
        brand=brand,
        campaigns=selectors.campaign_list(brand=brand),
        channels=drafting_channels(request.user, brand),
        initial={
            "channel": post.channel_id,
            "text": post.text,
            "category": post.category,
            "campaign": post.campaign_id,
            "scheduled_at": post.scheduled_at,
            "revision": post.revision,
        },
    )


def _same_minute(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """The form keeps whole minutes: the stored time shown and sent back is no move."""
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


@login_required
def post_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    permissions.require(request.user, Action.DRAFT, post.channel)
    form = _edit_form(request, post, brand, request.POST or None)
    stale: list[services.StaleEdit] = []
    stale_diff = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        when = data["scheduled_at"]
        updated = run_service(
            form,
            lambda: services.post_update(
                post=post,
                actor=request.user,
                text=data["text"],
                channel=data["channel"],
                category=data["category"],
                campaign=data["campaign"],
                scheduled_at=services.UNCHANGED if _same_minute(when, post.scheduled_at) else when,
                expected_revision=data.get("revision"),
                confirm_handles=form.handles(),
            ),
            stale=stale,
        )
        if updated is not None:
            messages.success(request, f"Saved revision {updated.revision}.")
            return redirect(updated.get_absolute_url())
        if stale:
            # Nothing lost: the person's edit stays in the form, now on top of the current
            # revision, with what the other person changed shown above it.
            post = selectors.post_get(user=request.user, pk=pk, brand=brand)
            seen = stale[0].details.get("your_revision")
            if seen:
                stale_diff = selectors.revision_diff(
                    selectors.revision_list(post=post), seen, post.revision, tz=brand.tz
                )
            resubmit = request.POST.copy()
            resubmit["revision"] = str(post.revision)
            form = _edit_form(request, post, brand, resubmit)
            form.is_valid()
    text = form.data.get("text", post.text) if form.is_bound else post.text
    channel_id = form.data.get("channel", post.channel_id) if form.is_bound else post.channel_id
    category = form.data.get("category", post.category) if form.is_bound else post.category
    preview = _preview_context(
        request.user, brand, text=text, channel_ids=[channel_id], category=category
    )
    return render(
        request,
        "planner/post_edit.html",
        {
            "brand": brand,
            "post": post,
            "channel": post.channel,
            "form": form,
            "media_form": MediaForm(brand=brand),
            "media": selectors.media_list(post=post),
            "editable": lifecycle.is_editable(post),
            "under_review": post.status in lifecycle.UNDER_REVIEW,
            "dismissal": selectors.edit_dismissal(
                post=post, text=text, channel_id=channel_id, category=category
            ),
            "stale": stale[0] if stale else None,
            "stale_diff": stale_diff,
            "preview_url": reverse("post_edit_preview", args=[brand.slug, post.pk]),
            "form_id": "edit-form",
            **preview,
        },
        status=409 if stale else 200,
    )


@login_required
@require_POST
def post_media_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    form = MediaForm(request.POST, request.FILES)
    if form.is_valid():
        item = call_service(
            form,
            lambda: services.media_attach(
                post=post, actor=request.user, upload=media_uploads(form, user=request.user)[0]
            ),
        )
        if item is not None:
            _discard_upload(form, request.user)
            messages.success(request, "Attachment added.")
            return redirect("post_edit", slug=brand.slug, pk=post.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("post_edit", slug=brand.slug, pk=post.pk)


@login_required
@require_POST
def post_media_remove(request: HttpRequest, slug: str, pk: int, media_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    try:
        services.media_remove(post=post, actor=request.user, media_id=media_id)
    except (ValidationError, DomainError) as exc:
        messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))
    else:
        messages.success(request, "Attachment removed.")
    return redirect("post_edit", slug=brand.slug, pk=post.pk)


def _copy_targets(user):
    """Every channel, in any brand, the person may draft on."""
    ids = []
    for brand in permissions.brands_for(user, Action.DRAFT):
        ids.extend(permissions.channels_for(user, brand, Action.DRAFT).values_list("pk", flat=True))
    return (
        Channel.objects.filter(pk__in=ids)
        .select_related("brand")
        .order_by("brand__name", "platform", "handle")
    )


@login_required
def post_copy(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    form = CopyForm(request.POST or None, channels=_copy_targets(request.user))
    if request.method == "POST" and form.is_valid():
        copy = call_service(
            form,
            lambda: services.post_copy(
                post=post, actor=request.user, channel=form.cleaned_data["channel"]
            ),
        )
        if copy is not None:
            undated = (
                " It has no time yet: the original's has passed or is minutes away."
                if post.scheduled_at is not None and copy.scheduled_at is None
                else ""
            )
            messages.success(
                request,
                f"Copied to {copy.channel.handle} ({copy.brand.name}) as a new draft.{undated}",
            )
            return redirect(copy.get_absolute_url())
    return render(
        request,
        "planner/post_copy.html",
        {"brand": brand, "post": post, "channel": post.channel, "form": form},
    )


# --- lists and the calendar --------------------------------------------------------------


def _filter_context(brand: Brand, data) -> tuple[PostFilter, dict]:
    """The filter set (validated in the view) and the choices for the filter bar."""
    filters = PostFilter(data, brand=brand, queryset=selectors.post_list(brand=brand))
    filters.is_valid()
    choices = {
        "filter_channels": list(selectors.channel_choices(brand=brand)),
        "filter_campaigns": list(selectors.campaign_list(brand=brand)),
        "filter_people": list(selectors.brand_people(brand=brand)),
        "filter_statuses": Status.choices,
        "filter_categories": Category.choices,
        "filter_values": {name: data.get(name, "") for name in FILTER_FIELDS},
        "filter_active": sum(1 for name in FILTER_FIELDS if data.get(name)),
        "filter_errors": [f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items()],
    }
    return filters, choices


@login_required
@require_GET
def post_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    filters, choices = _filter_context(brand, request.GET)
    queryset = filters.qs if filters.is_valid() else selectors.post_list(brand=brand).none()
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    posts = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "planner/post_list.html",
        {
            "brand": brand,
            "page": page,
            "posts": [(post, lifecycle.BADGE[Status(post.status)]) for post in posts],
            "query": query.urlencode(),
            "can_draft": permissions.has_perm(request.user, Action.DRAFT, brand),
            **choices,
        },
    )


@login_required
@require_GET
def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    _, choices = _filter_context(brand, request.GET)
    view = request.GET.get("view")
    return render(
        request,
        "planner/calendar.html",
        {
            "brand": brand,
            "quiet": selectors.quiet_channels(brand=brand),
            "palette": [
                (channel, selectors.channel_colour(channel.pk))
                for channel in choices["filter_channels"]
            ],
            "initial_view": view if view in {"month", "week", "list"} else "month",
            "initial_date": _initial_date(request.GET.get("date")),
            "can_draft": permissions.has_perm(request.user, Action.DRAFT, brand),
            **choices,
        },
    )


def _initial_date(raw) -> str:
    try:
        return dt.date.fromisoformat(str(raw)).isoformat() if raw else ""
    except ValueError:
        return ""


# --- campaigns ---------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    may_add = permissions.has_perm(request.user, Action.DRAFT, brand) or permissions.has_perm(
        request.user, Action.ADMIN, brand
    )
    form = CampaignForm(request.POST or None) if may_add else None
    if request.method == "POST":
        if form is None:
            permissions.require(request.user, Action.DRAFT, brand)
        if form.is_valid():
            data = form.cleaned_data
            campaign = call_service(
                form,
                lambda: services.campaign_create(
                    brand=brand,
                    actor=request.user,
                    name=data["name"],
                    colour=data["colour"] or "",
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                ),
            )
            if campaign is not None:
                messages.success(request, f"Campaign {campaign.name} added.")
                return redirect("campaign_list", slug=brand.slug)
    return render(
        request,
        "planner/campaign_list.html",
        {"brand": brand, "campaigns": list(selectors.campaign_list(brand=brand)), "form": form},
    )


# --- ICS feeds ---------------------------------------------------------------------------


@login_required
def calendar_feed(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            _, token = services.calendar_feed_create(user=request.user, brand=brand)
            new_url = request.build_absolute_uri(reverse("calendar_ics", kwargs={"token": token}))
            messages.success(request, "New feed URL made. Copy it now: it is shown only once.")
        elif action == "revoke":
            revoked = services.calendar_feed_revoke(user=request.user, brand=brand)
            messages.success(
                request, "Feed URL revoked." if revoked else "There was no feed URL to revoke."
            )
            return redirect("calendar_feed", slug=brand.slug)
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    return render(
        request,
        "planner/calendar_feed.html",
        {
            "brand": brand,
            "feed": selectors.feed_active(user=request.user, brand=brand),
            "new_url": new_url,
        },
    )


@require_GET
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribable feed: no login, the token is the secret; revoked or unknown → 404."""
    feed = selectors.feed_by_token(token)
    if feed is None:
        raise Http404("No such feed.")
    body = ics.render_feed(
        feed=feed,
        posts=selectors.ics_posts(feed=feed),
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{feed.brand.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- chunked uploads and media files -------------------------------------------------------


def _json_error(exc: Exception, status: int = 400) -> JsonResponse:
    if isinstance(exc, DomainError):
        return JsonResponse({"detail": exc.message, **exc.details}, status=exc.status_code)
    messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return JsonResponse({"detail": " ".join(messages_)}, status=status)


@login_required
@require_POST
def upload_start(request: HttpRequest, slug: str) -> HttpResponse:
    """``{name, size}`` (JSON or form) -> 201 ``{upload_id, received, chunk_bytes, ...}``."""
    permissions.get_brand(request.user, slug, Action.DRAFT)
    try:
        data = (
            json.loads(request.body or b"{}")
            if request.content_type == "application/json"
            else request.POST
        )
    except (ValueError, RequestDataTooBig):
        return JsonResponse({"detail": "Send {name, size} as JSON."}, status=400)
    if not isinstance(data, dict) and not hasattr(data, "get"):
        return JsonResponse({"detail": "Send {name, size} as JSON."}, status=400)
    try:
        state = uploads.upload_start(
            user_id=request.user.pk, name=data.get("name", ""), size=data.get("size")
        )
    except (ValidationError, DomainError) as exc:
        return _json_error(exc)
    return JsonResponse(state.as_dict(), status=201)


@login_required
def upload_part(request: HttpRequest, slug: str, upload_id: str) -> HttpResponse:
    """GET: how much of the file arrived (to resume). PUT ``?offset=N`` with the part's bytes
    as the body: 200 ``{received, complete}``; 409 with ``received`` at the wrong offset."""
    permissions.get_brand(request.user, slug, Action.DRAFT)
    try:
        if request.method == "GET":
            state = uploads.upload_state(user_id=request.user.pk, upload_id=upload_id)
        elif request.method in ("PUT", "POST"):
            state = uploads.upload_append(
                user_id=request.user.pk,
                upload_id=upload_id,
                offset=request.GET.get("offset", ""),
                stream=request,
            )
        elif request.method == "DELETE":
            uploads.upload_discard(user_id=request.user.pk, upload_id=upload_id)
            return JsonResponse({}, status=204)
        else:
            return JsonResponse({"detail": "GET, PUT or DELETE."}, status=405)
    except (ValidationError, DomainError) as exc:
        return _json_error(exc)
    return JsonResponse(state.as_dict())


@login_required
@require_GET
def post_media_file(request: HttpRequest, slug: str, pk: int, media_id: int, which: str):
    """An attachment (``file``) or a video's poster frame (``poster``), for people of the
    brand."""
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    item = post.media.filter(pk=media_id).first()
    if item is None or which not in ("file", "poster"):
        raise Http404("No such attachment.")
    field = item.file if which == "file" else item.poster
    if not field:
        raise Http404("No poster frame for this attachment.")
    content_type = item.mime_type if which == "file" else "image/jpeg"
    return _file_response(field, content_type)


def _file_response(field, content_type: str) -> HttpResponse:
    try:
        handle = field.open("rb")
    except (OSError, ValueError, FileNotFoundError):
        raise Http404("The file is gone.") from None
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def media_public(request: HttpRequest, token: str) -> HttpResponse:
    """The signed, expiring public address of an attachment, for the platforms that fetch
    media themselves (Instagram, Threads). Anything else: 404."""
    from planner.models import Media

    media_id = media_rules.media_id_from(token[:1000])
    item = Media.objects.filter(pk=media_id).first() if media_id is not None else None
    if item is None:
        raise Http404("No such file.")
    return _file_response(item.file, item.mime_type)
