"""Web pages of the engagement inbox: the conversation list (filters, the business-hours
clock), one conversation (its thread, the customer's earlier messages, assignment and
status), and the brand's response settings and saved searches. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts.models import User
from accounts.permissions import Action
from config.errors import DomainError
from config.web import call_service
from planner.engagement import fetch, moderation, respond_views, selectors, services
from planner.engagement.forms import ResponseSettingsForm, SavedSearchForm
from planner.engagement.models import ConversationStatus, SavedSearch

PAGE_SIZE = 50


def _brand_and_admin(request, slug):
    brand = permissions.get_brand(request.user, slug)
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    return brand, is_admin


@login_required
@require_GET
def conversation_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand, is_admin = _brand_and_admin(request, slug)
    now = timezone.now()
    channels = list(
        permissions.inbox_channels(request.user, brand, checked=True, is_admin=is_admin)
    )
    filters = selectors.filters_from(request.GET, channels=channels)
    queryset = selectors.conversation_list(
        user=request.user, brand=brand, filters=filters, now=now, is_admin=is_admin
    )
    queryset = moderation.with_strikes(queryset)  # the strike badge (a subquery)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    clock = services.brand_clock(brand)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "planner/conversation_list.html",
        {
            "brand": brand,
            "page": page,
            "rows": selectors.with_clock(page.object_list, clock=clock, now=now),
            "filters": filters,
            "channels": channels,
            "statuses": ConversationStatus.choices,
            "query": query.urlencode(),
            "is_admin": is_admin,
            "clock": clock,
            "inbox_platforms": fetch.inbox_platform_labels(),
        },
    )


def _conversation(request, slug, pk):
    brand = permissions.get_brand(request.user, slug)
    conversation = selectors.conversation_get(user=request.user, brand=brand, pk=pk)
    if conversation is None:
        raise Http404("No such conversation.")
    return brand, conversation


@login_required
@require_GET
def conversation_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand, conversation = _conversation(request, slug, pk)
    now = timezone.now()
    clock = services.brand_clock(brand)
    [row] = selectors.with_clock([conversation], clock=clock, now=now)
    return render(
        request,
        "planner/conversation_detail.html",
        {
            "brand": brand,
            "conversation": conversation,
            "row": row,
            "thread": selectors.conversation_messages(conversation=conversation),
            "history": selectors.customer_history(user=request.user, conversation=conversation),
            "members": selectors.assignable_members(brand=brand, channel=conversation.channel),
            "statuses": [
                (value, label)
                for value, label in ConversationStatus.choices
                if value in services.MANUAL_STATUSES
            ],
            # Replies, the moderation record and crisis (planner/engagement/respond_views.py).
            "respond": respond_views.panel_context(request, conversation),
        },
    )


def _done(request, call, success: str) -> None:
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def conversation_assign(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _brand, conversation = _conversation(request, slug, pk)
    raw = (request.POST.get("assignee") or "").strip()
    assignee = None
    if raw == "me":
        assignee = request.user
    elif raw.isdigit() and len(raw) < 12:
        assignee = User.objects.filter(pk=int(raw)).first()
        if assignee is None:
            messages.error(request, "No such person.")
            return redirect("conversation_detail", slug=slug, pk=conversation.pk)
    _done(
        request,
        lambda: services.conversation_assign(
            conversation=conversation, actor=request.user, assignee=assignee
        ),
        f"Assigned to {assignee.username}." if assignee else "Nobody is assigned now.",
    )
    return redirect("conversation_detail", slug=slug, pk=conversation.pk)


@login_required
@require_POST
def conversation_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _brand, conversation = _conversation(request, slug, pk)
    status = (request.POST.get("status") or "").strip()[:30]
    label = dict(ConversationStatus.choices).get(status, status)
    _done(
        request,
        lambda: services.conversation_set_status(
            conversation=conversation,
            actor=request.user,
            status=status,
            reason=(request.POST.get("reason") or "")[:500],
        ),
        f"Marked {label.lower()}.",
    )
    return redirect("conversation_detail", slug=slug, pk=conversation.pk)


def _settings_initial(settings) -> dict:
    if settings is None:
        return {
            "business_days": [1, 2, 3, 4, 5],
            "start_hour": 9,
            "end_hour": 17,
            "due_soon_minutes": 60,
            "reply_approval_mode": "none",
        }
    return {
        "business_days": settings.business_days or [1, 2, 3, 4, 5],
        "start_hour": settings.start_hour,
        "end_hour": settings.end_hour,
        "target_hours": (
            Decimal(settings.target_business_minutes) / 60
            if settings.target_business_minutes
            else None
        ),
        "due_soon_minutes": settings.due_soon_business_minutes,
        "reply_approval_mode": settings.reply_approval_mode,
    }


@login_required
def inbox_settings(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    channels = [
        c
        for c in permissions.channels_for(request.user, brand, checked=True)
        if c.platform in fetch.INBOX_PLATFORMS
    ]
    listening_channels = [c for c in channels if c.platform in fetch.LISTENING_PLATFORMS]
    settings = selectors.response_settings(brand=brand)
    form = ResponseSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial=_settings_initial(settings),
    )
    search_form = SavedSearchForm(
        request.POST if request.POST.get("form") == "search" else None,
        channels=listening_channels,
    )
    if request.method == "POST":
        if request.POST.get("form") == "settings" and form.is_valid():
            data = form.cleaned_data
            target = data.get("target_hours")
            if call_service(
                form,
                lambda: services.response_settings_update(
                    brand=brand,
                    actor=request.user,
                    business_days=data["business_days"],
                    start_hour=data["start_hour"],
                    end_hour=data["end_hour"],
                    target_business_minutes=int(target * 60) if target else None,
                    due_soon_business_minutes=data["due_soon_minutes"],
                    reply_approval_mode=data["reply_approval_mode"],
                ),
            ):
                messages.success(request, "Business hours saved.")
                return redirect("inbox_settings", slug=slug)
        elif request.POST.get("form") == "search" and search_form.is_valid():
            data = search_form.cleaned_data
            channel = next((c for c in listening_channels if c.pk == data["channel"]), None)
            if channel is None:
                search_form.add_error("channel", "Pick one of the brand's channels.")
            elif call_service(
                search_form,
                lambda: services.saved_search_create(
                    brand=brand,
                    actor=request.user,
                    channel=channel,
                    query=data["query"],
                    kind=data["kind"],
                ),
            ):
                messages.success(request, "Saved search added; its results come to the inbox.")
                return redirect("inbox_settings", slug=slug)
    return render(
        request,
        "planner/inbox_settings.html",
        {
            "brand": brand,
            "form": form,
            "search_form": search_form,
            "searches": selectors.saved_searches(brand=brand),
            "cursors": selectors.fetch_state(brand=brand),
        },
    )


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    search = SavedSearch.objects.filter(brand=brand, pk=pk).first()
    if search is None:
        raise Http404("No such search.")
    services.saved_search_delete(search=search, actor=request.user)
    messages.success(request, "Saved search removed; its results stay in the inbox.")
    return redirect("inbox_settings", slug=slug)


@login_required
@require_POST
def inbox_fetch_now(request: HttpRequest, slug: str) -> HttpResponse:
    """Read every inbox channel of the brand now (rate limits and back-off still apply)."""
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    new, problems = 0, []
    for channel in permissions.channels_for(request.user, brand, checked=True):
        if channel.platform not in fetch.INBOX_PLATFORMS:
            continue
        report = fetch.channel_fetch(channel_id=channel.pk)
        new += report.new_messages
        if report.error:
            problems.append(f"{channel.handle}: {report.error}")
    if problems:
        messages.warning(request, " ".join(problems)[:1000])
    messages.success(request, f"{new} new message{'s' if new != 1 else ''}.")
    return redirect("conversation_list", slug=slug)
