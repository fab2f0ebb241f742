"""Web views for publishing: the post's delivery panel, releasing a held post, and the
brand's publishing page (pause and resume the brand or a channel). Interfaces only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.permissions import Action
from config.errors import DomainError
from config.web import call_service
from planner.models import Status
from planner.posts import selectors
from planner.publishing import selectors as publishing_selectors
from planner.publishing import services as publishing
from planner.publishing.forms import PauseForm, ReleaseForm, ResumeForm
from policy import selectors as policy_selectors
from policy.forms import MomentForm

#: Statuses that can still change on their own (the panel polls while in one of them).
MOVING = {Status.APPROVED, Status.PUBLISHING, Status.UNCONFIRMED}


def _release_form(post, data=None) -> ReleaseForm:
    return ReleaseForm(data, tz=post.brand.tz, handle=post.channel.handle)


@login_required
def post_delivery(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Where the post went (or why not): the panel (htmx) or a page of its own."""
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    panel = publishing_selectors.delivery_panel(post=post, user=request.user)
    context = {
        "brand": brand,
        "post": post,
        "panel": panel,
        "delivery": panel.delivery,
        "release_form": _release_form(post) if panel.can_release else None,
        "polling": post.status in MOVING,
    }
    if request.headers.get("HX-Request"):
        return render(request, "planner/_delivery_panel.html", context)
    return render(request, "planner/publishing_post.html", context)


@login_required
def post_release(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Re-confirm a held post: a new time and the channel's handle typed to confirm."""
    brand = permissions.get_brand(request.user, slug)
    post = selectors.post_get(user=request.user, pk=pk, brand=brand)
    if not publishing.can_release(request.user, post):
        permissions.require(request.user, Action.APPROVE, post.channel)
    form = _release_form(post, request.POST or None)
    if request.method == "POST" and form.is_valid():
        released = call_service(
            form,
            lambda: publishing.post_release(
                post=post,
                actor=request.user,
                scheduled_at=form.cleaned_data["scheduled_at"],
                confirm_handle=form.cleaned_data["confirm_handle"],
            ),
        )
        if released is not None:
            messages.success(request, f"Post {post.pk} re-confirmed: it is approved again.")
            return redirect(post.get_absolute_url())
    panel = publishing_selectors.delivery_panel(post=post, user=request.user)
    return render(
        request,
        "planner/publishing_release.html",
        {"brand": brand, "post": post, "panel": panel, "release_form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def publishing_home(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's publishing: paused or not, each channel, and the posts needing a person."""
    brand = permissions.get_brand(request.user, slug)
    return _render_home(request, brand)


def _render_home(request, brand, *, pause_form=None, resume_form=None, status: int = 200):
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    moments = list(policy_selectors.moments_active(brand=brand))
    # while paused, the moment form offers the pause's reason as its name (until one is added)
    reason = brand.paused_reason[:120] if brand.is_paused else ""
    offered = "" if any(m.name == " ".join(reason.split()) for m in moments) else reason
    return render(
        request,
        "planner/publishing_brand.html",
        {
            "brand": brand,
            "is_admin": is_admin,
            "channels": list(account_selectors.channel_list(brand=brand).select_related("brand")),
            "attention": list(publishing_selectors.attention_list(brand=brand)),
            "pause_form": pause_form or PauseForm(),
            "resume_form": resume_form or ResumeForm(slug=brand.slug),
            # sensitive moments: the ones on now, and (admins) one more in a few seconds;
            # while the brand is paused the form offers the pause's reason as its name
            "moments": moments,
            "moment_form": MomentForm(initial={"next": request.path, "name": offered})
            if is_admin
            else None,
        },
        status=status,
    )


@login_required
@require_POST
def brand_pause(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    form = PauseForm(request.POST)
    if form.is_valid():
        paused = call_service(
            form,
            lambda: publishing.brand_pause(
                brand=brand, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if paused is not None:
            messages.warning(
                request,
                f"Publishing for {brand.name} is paused. Going quiet for an event? Add it as "
                "a sensitive moment below, so posts naming it stay stopped after you resume.",
            )
            return redirect("publishing", slug=brand.slug)
    return _render_home(request, brand, pause_form=form, status=400)


@login_required
@require_POST
def brand_resume(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    form = ResumeForm(request.POST, slug=brand.slug)
    if form.is_valid():
        resumed = call_service(
            form,
            lambda: publishing.brand_resume(
                brand=brand, actor=request.user, confirm=form.cleaned_data["confirm"]
            ),
        )
        if resumed is not None:
            held = len(resumed.held)
            extra = (
                " "
                + ngettext(
                    "%d post that fell due meanwhile is held for re-confirmation.",
                    "%d posts that fell due meanwhile are held for re-confirmation.",
                    held,
                )
                % held
                if held
                else ""
            )
            messages.success(request, f"Publishing for {brand.name} resumed.{extra}")
            return redirect("publishing", slug=brand.slug)
    return _render_home(request, brand, resume_form=form, status=400)


@login_required
@require_POST
def channel_pause(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    channel = permissions.get_channel(request.user, channel_id, brand=brand)
    form = PauseForm(request.POST)
    if form.is_valid():
        paused = call_service(
            form,
            lambda: publishing.channel_pause(
                channel=channel, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if paused is not None:
            messages.warning(request, f"Publishing to {channel.handle} is paused.")
            return redirect("publishing", slug=brand.slug)
    for error in form.errors.get("reason", []) + form.non_field_errors():
        messages.error(request, f"{channel.handle}: {error}")
    return redirect(reverse("publishing", kwargs={"slug": brand.slug}))


@login_required
@require_POST
def channel_resume(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    channel = permissions.get_channel(request.user, channel_id, brand=brand)
    try:
        resumed = publishing.channel_resume(channel=channel, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        held = len(resumed.held)
        extra = (
            " "
            + ngettext(
                "%d post that fell due meanwhile is held.",
                "%d posts that fell due meanwhile are held.",
                held,
            )
            % held
            if held
            else ""
        )
        messages.success(request, f"Publishing to {channel.handle} resumed.{extra}")
    return redirect("publishing", slug=brand.slug)
