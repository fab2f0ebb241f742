"""Web views of a conversation's actions: replying (live count and lint), approving a reply,
the three strikes, crisis, and the brand's reply and crisis settings. Interfaces only:
parse, ask permissions, call one service, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.permissions import Action
from config.errors import DomainError, NotAllowed
from config.web import call_service
from planner.engagement import access, crisis, moderation, replies
from planner.engagement.models import (
    ChannelReplySettings,
    ConversationStatus,
    Message,
    ReplyStatus,
    ResponseSettings,
    StrikeStep,
)
from planner.engagement.respond_forms import (
    ChecklistForm,
    CrisisForm,
    ReplyForm,
    ReplyModeForm,
    StrikeForm,
)
from policy.highlight import highlight_findings


def _back(request: HttpRequest, conversation) -> str:
    """Where to go after an action: the page it came from (ours or the inbox's conversation
    page), if it is on this site; else the respond page."""
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return reverse("conversation_detail", args=[conversation.brand.slug, conversation.pk])


def panel_context(request: HttpRequest, conversation, *, reply_form=None, refusal=None) -> dict:
    """Everything the actions panel shows, read here (templates make no queries): the
    customer's moderation record, the replies with their approvals, the composer, the crisis
    steps. Also used by the inbox's conversation page to include the panel."""
    user, channel, brand = request.user, conversation.channel, conversation.brand
    record = moderation.record_for_conversation(conversation)
    outgoing = list(
        Message.objects.filter(conversation=conversation, direction="out")
        .exclude(reply_status="")
        .select_related("composed_by")
        .prefetch_related("approvals", "approvals__approver")
        .order_by("-created_at", "-id")[:20]
    )
    may_approve = permissions.has_perm(user, Action.APPROVE, channel)
    rows = [
        {
            "message": m,
            "approvals": [a for a in m.approvals.all() if a.dismissed_at is None],
            "can_approve": may_approve
            and m.reply_status == ReplyStatus.PENDING_APPROVAL
            and m.composed_by_id != user.pk
            and not any(
                a.approver_id == user.pk and a.dismissed_at is None for a in m.approvals.all()
            ),
            "can_retry": m.reply_status == ReplyStatus.APPROVED
            and not m.send_in_flight
            and bool(m.last_error),
        }
        for m in outgoing
    ]
    customer = (conversation.customer_display_name or "").strip()
    prefill = ""
    # A reply starts with the person's @handle; Facebook and LinkedIn have no handles (a
    # comment's reply sits under it already).
    if conversation.customer_handle and conversation.customer_platform not in (
        "facebook",
        "linkedin",
    ):
        mention = conversation.customer_handle
        prefill = (mention if mention.startswith("@") else f"@{mention}") + " "
    can_reply = permissions.has_perm(user, Action.DRAFT, channel)
    hides = moderation.hides_in(conversation) if moderation.can_hide(channel) else {}
    return {
        "conversation": conversation,
        "brand": brand,
        "channel": channel,
        "customer_name": customer,
        "record": record,
        # Hiding a message (Facebook, Instagram comments): who may, and what is hidden.
        "can_hide": can_reply and moderation.can_hide(channel),
        # LinkedIn has no hide: the click deletes the comment, after a confirmation.
        "removes": moderation.removes(channel),
        "hidden_ids": {pk for pk, h in hides.items() if h.platform_action_ok},
        "hide_pending_ids": {pk for pk, h in hides.items() if h.platform_action_ok is None},
        "strike_steps": StrikeStep.choices,
        "next_step": moderation.next_step(record),
        "replies": rows,
        "can_reply": can_reply,
        "is_admin": permissions.has_perm(user, Action.ADMIN, brand),
        "reply_form": reply_form or ReplyForm(initial={"text": prefill}),
        "refusal": refusal,
        "approvals_needed": replies.approvals_needed(channel),
        "is_crisis": conversation.status == ConversationStatus.CRISIS,
        "checklist": crisis.checklist_for(brand),
        "crisis_form": CrisisForm(),
        "first_response": _first_response_label(conversation),
        "preview_url": reverse("reply_preview", args=[brand.slug, conversation.pk]),
        # Where the panel's forms come back to: this page, or (re-rendered after a refused
        # POST) the page the reply was written on.
        "here": _back(request, conversation)
        if request.method == "POST"
        else request.get_full_path(),
    }


def _first_response_label(conversation) -> str:
    """How long the first answer took, in the brand's business time ("" before it)."""
    from planner.engagement.selectors import business_duration

    minutes = conversation.first_response_business_minutes
    if conversation.first_response_at is None or minutes is None:
        return ""
    return business_duration(minutes) or "0 min"


@login_required
def conversation_respond(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The conversation with its actions: the thread, the reply composer, the record."""
    brand = permissions.get_brand(request.user, slug)
    conversation = access.conversation_get(user=request.user, pk=pk, brand=brand)
    return _render_page(request, conversation)


def _render_page(request, conversation, *, reply_form=None, refusal=None, status=200):
    thread = list(
        Message.objects.filter(conversation=conversation)
        .select_related("composed_by")
        .order_by("remote_created_at", "created_at", "id")
    )
    context = panel_context(request, conversation, reply_form=reply_form, refusal=refusal)
    return render(
        request,
        "planner/engagement/conversation_respond.html",
        {**context, "thread": thread},
        status=status,
    )


@login_required
@require_POST
def reply_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The composer's live partial (htmx): the platform's count and the findings in place."""
    from planner.posts.checks import character_count
    from policy import services as policy_services

    brand = permissions.get_brand(request.user, slug)
    conversation = access.conversation_get(
        user=request.user, pk=pk, brand=brand, action=Action.DRAFT
    )
    text = request.POST.get("text", "")
    context = {"count": None, "findings": [], "html": "", "error": ""}
    if len(text) > 100_000:
        context["error"] = f"The reply is {len(text):,} characters; too long."
    else:
        try:
            linted = policy_services.policy_lint(
                brand=brand, text=text, channel=conversation.channel
            )
            findings = list(linted.result.findings)
            context.update(
                count=character_count(text, conversation.channel, reply=True),
                findings=findings,
                blocked=any(f.severity == "block" for f in findings),
                html=highlight_findings(text, findings),
            )
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
    return render(request, "planner/engagement/_reply_preview.html", context)


@login_required
@require_POST
def reply_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    conversation = access.conversation_get(
        user=request.user, pk=pk, brand=brand, action=Action.DRAFT
    )
    form = ReplyForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            message = replies.reply_create(
                conversation=conversation, actor=request.user, text=form.cleaned_data["text"]
            )
        except replies.ReplyRefused as exc:
            refusal = {"message": exc.message, "findings": exc.details.get("findings", [])}
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except NotAllowed:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if message.reply_status == ReplyStatus.PENDING_APPROVAL:
                messages.info(request, "Reply saved: it goes out once it is approved.")
            else:
                messages.success(request, "Reply on its way.")
            return redirect(_back(request, conversation))
    return _render_page(request, conversation, reply_form=form, refusal=refusal, status=400)


def _action(request, slug, pk, call, success: str, *, action=Action.VIEW):
    brand = permissions.get_brand(request.user, slug)
    conversation = access.conversation_get(user=request.user, pk=pk, brand=brand, action=action)
    try:
        call(conversation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except NotAllowed:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(_back(request, conversation))


@login_required
@require_POST
def reply_approve(request: HttpRequest, slug: str, pk: int, reply_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    message = access.reply_get(user=request.user, pk=reply_id, brand=brand)
    if message.conversation_id != pk:
        message = access.reply_get(user=request.user, pk=0)  # 404

    def call(conversation):
        replies.reply_approve(message=message, actor=request.user)

    return _action(request, slug, pk, call, "Reply approved.")


@login_required
@require_POST
def reply_retry(request: HttpRequest, slug: str, pk: int, reply_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    message = access.reply_get(user=request.user, pk=reply_id, brand=brand)
    if message.conversation_id != pk:
        message = access.reply_get(user=request.user, pk=0)  # 404

    def call(conversation):
        replies.reply_retry(message=message, actor=request.user)

    return _action(request, slug, pk, call, "Sending again: every check runs once more.")


@login_required
@require_POST
def strike_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    form = StrikeForm(request.POST)
    step = form.data.get("step")
    note = form.data.get("note", "") if isinstance(form.data.get("note", ""), str) else ""

    def call(conversation):
        strike = moderation.strike_record(
            conversation=conversation, actor=request.user, step=step, note=note
        )
        if strike.platform_action and strike.platform_action_ok is False:
            messages.warning(
                request,
                f"Recorded, but the platform action failed: "
                f"{strike.platform_result.get('error', 'no answer')}",
            )

    label = dict(StrikeStep.choices).get(_int_or_none(step), "Step")
    return _action(request, slug, pk, call, f"Recorded: {label}.", action=Action.DRAFT)


@login_required
@require_POST
def message_hide(request: HttpRequest, slug: str, pk: int, message_id: int) -> HttpResponse:
    """Hide one of the conversation's messages on the platform (one click, once)."""

    def call(conversation):
        hide = moderation.message_hide(
            conversation=conversation,
            message_id=message_id,
            actor=request.user,
            confirm=request.POST.get("confirm") == "1",
        )
        if hide.platform_action_ok is False:
            raise DomainError(
                f"Recorded, but the platform did not {'delete' if removed else 'hide'} it: "
                f"{hide.platform_result.get('error', 'no answer')}"
            )

    brand = permissions.get_brand(request.user, slug)
    conversation = access.conversation_get(user=request.user, pk=pk, brand=brand)
    removed = moderation.removes(conversation.channel)
    label = (
        "Deleted on the platform."
        if removed
        else "Hidden on the platform: only its author (and their friends) still see it."
    )
    return _action(request, slug, pk, call, label, action=Action.DRAFT)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def crisis_escalate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    form = CrisisForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def call(conversation):
        crisis.conversation_escalate_crisis(
            conversation=conversation, actor=request.user, note=note
        )

    return _action(
        request,
        slug,
        pk,
        call,
        "Escalated to crisis: the brand admins were told. Follow the steps beside it.",
        action=Action.DRAFT,
    )


@login_required
@require_POST
def crisis_pause(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    def call(conversation):
        crisis.crisis_pause_posts(
            brand=conversation.brand, actor=request.user, conversation=conversation
        )

    return _action(
        request,
        slug,
        pk,
        call,
        "Scheduled posts are paused. Resume from the Publishing page when it is over.",
    )


@login_required
def engagement_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Brand admins: whether replies need approval (brand and per channel) and the crisis
    checklist."""
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    channels = list(brand.channels.order_by("platform", "handle"))
    current = (
        ResponseSettings.objects.filter(brand=brand)
        .values_list("reply_approval_mode", flat=True)
        .first()
    )
    overrides = dict(
        ChannelReplySettings.objects.filter(channel__brand=brand).values_list(
            "channel_id", "reply_approval_mode"
        )
    )
    initial = {"mode": current or "none"}
    initial.update({f"channel_{c.pk}": overrides.get(c.pk, "") for c in channels})
    mode_form = ReplyModeForm(initial=initial, channels=channels)
    checklist_form = ChecklistForm(initial={"steps": crisis.checklist_for(brand).steps})
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "checklist":
            checklist_form = ChecklistForm(request.POST)
            if checklist_form.is_valid():
                saved = call_service(
                    checklist_form,
                    lambda: crisis.checklist_update(
                        brand=brand, actor=request.user, steps=checklist_form.cleaned_data["steps"]
                    ),
                )
                if saved is not None:
                    messages.success(request, "Crisis steps saved.")
                    return redirect("engagement_settings", slug=brand.slug)
        else:
            mode_form = ReplyModeForm(request.POST, channels=channels)
            if mode_form.is_valid():
                saved = call_service(
                    mode_form,
                    lambda: replies.reply_settings_update(
                        brand=brand,
                        actor=request.user,
                        mode=mode_form.cleaned_data["mode"],
                        channel_modes=mode_form.channel_modes(),
                    ),
                )
                if saved is not None:
                    messages.success(request, "Reply approval saved.")
                    return redirect("engagement_settings", slug=brand.slug)
        status = 400
    return render(
        request,
        "planner/engagement/engagement_settings.html",
        {
            "brand": brand,
            "mode_form": mode_form,
            "channel_fields": [mode_form[f"channel_{c.pk}"] for c in channels],
            "checklist_form": checklist_form,
        },
        status=status,
    )
