"""Web views for feeds: the list, adding one, fetching now, removing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.permissions import Action
from config.web import call_service
from planner.feeds import selectors, services
from planner.feeds.forms import FeedForm


@login_required
def feed_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    may_draft = permissions.has_perm(request.user, Action.DRAFT, brand)
    channels = permissions.channels_for(request.user, brand, Action.DRAFT)
    form = FeedForm(request.POST or None, channels=channels)
    if request.method == "POST":
        permissions.require(request.user, Action.DRAFT, brand)
        if form.is_valid() and call_service(
            form,
            lambda: services.feed_create(
                brand=brand,
                actor=request.user,
                url=form.cleaned_data["url"],
                channels=list(form.cleaned_data["channels"]),
                category=form.cleaned_data["category"],
            ),
        ):
            messages.success(request, "Feed added. Fetch it now, or wait for the next round.")
            return redirect("feed_list", slug=brand.slug)
    return render(
        request,
        "planner/feed_list.html",
        {
            "brand": brand,
            "feeds": selectors.feed_list(brand=brand),
            "items": selectors.recent_items(brand=brand),
            "form": form,
            "may_draft": may_draft,
        },
    )


def _feed(request, slug, pk):
    brand = permissions.get_brand(request.user, slug, Action.DRAFT)
    feed = selectors.feed_get(brand=brand, pk=pk)
    if feed is None:
        raise Http404("No such feed.")
    return feed


@login_required
@require_POST
def feed_fetch(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    feed = _feed(request, slug, pk)
    if feed.stopped_at is not None:
        services.feed_restart(feed=feed, actor=request.user)
    report = services.feed_fetch(feed_id=feed.pk)
    if report.error:
        messages.error(request, f"The feed could not be fetched: {report.error}")
    elif report.not_modified:
        messages.info(request, "The feed has not changed since the last fetch.")
    else:
        messages.success(
            request,
            f"{report.new_items} new item{'s' if report.new_items != 1 else ''}, "
            f"{len(report.drafts)} draft{'s' if len(report.drafts) != 1 else ''}.",
        )
    return redirect("feed_list", slug=feed.brand.slug)


@login_required
@require_POST
def feed_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    feed = _feed(request, slug, pk)
    services.feed_delete(feed=feed, actor=request.user)
    messages.success(request, "Feed removed; its drafts stay.")
    return redirect("feed_list", slug=slug)
