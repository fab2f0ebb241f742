"""Web views for review (submit, approve, reject), the approval inbox and the approval rules
pages. Interfaces only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Brand
from accounts.permissions import Action
from config.errors import DomainError, NotFoundError
from config.web import call_service
from planner.posts import selectors
from planner.posts.forms import (
    CommentForm,
)
from planner.posts.views import render_detail
from planner.review import approval_rules
from planner.review import selectors as review_selectors
from planner.review import services as review_services
from planner.review.forms import (
    ApprovalCountForm,
    ApprovalStepForm,
    ApproveForm,
    ChannelApprovalsForm,
    RejectForm,
    SubmitForm,
)

# --- review: submit, approve, reject -----------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One review action as the web sees it: its form, the one service it calls (with the
    form's cleaned data) and what the person is told when it is done."""

    form: type
    call: Callable[..., object]
    done: str


DECISIONS: dict[str, Decision] = {
    "submit": Decision(
        form=SubmitForm,
        call=lambda data, **who: review_services.post_submit(**who),
        done="Submitted for review. The approvers have been told.",
    ),
    "approve": Decision(
        form=ApproveForm,
        call=lambda data, **who: review_services.approval_grant(
            **who, content_hash=data["content_hash"]
        ),
        done="Approved this version.",
    ),
    "reject": Decision(
        form=RejectForm,
        call=lambda data, **who: review_services.post_reject(**who, reason=data["reason"]),
        done="Sent back to the author with your reason.",
    ),
}


@login_required
@require_POST
def post_decide(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    """Submit, approve or reject (``action``, fixed by the URL): validate the decision form,
    call the one service, and answer: the post page again with the reason and a 4xx when
    refused (the service has recorded the attempt)."""
    brand = permissions.get_brand(request.user, slug)
    decision = DECISIONS[action]
    form = decision.form(request.POST)
    try:
        if not form.is_valid():
            errors = [e for errs in form.errors.values() for e in errs]
            review_services.post_input_refused(
                post_id=pk,
                actor=request.user,
                brand=brand,
                action=action,
                message=" ".join(errors) or "Invalid input.",
            )
        decision.call(form.cleaned_data, post_id=pk, actor=request.user, brand=brand)
    except NotFoundError:
        raise Http404("No such post.") from None
    except (DomainError, ValidationError) as exc:
        post = selectors.post_get(user=request.user, pk=pk, brand=brand)
        if isinstance(exc, DomainError):
            message, status, details = exc.message, exc.status_code, exc.details
        else:
            message, status, details = " ".join(exc.messages), 400, {}
        return render_detail(
            request,
            post,
            comment_form=CommentForm(),
            status=status,
            review_error=message,
            error_findings=details.get("findings") or [],
            reject_form=form if isinstance(form, RejectForm) and form.is_bound else None,
        )
    messages.success(request, decision.done)
    return redirect("post_detail", slug=brand.slug, pk=pk)


@login_required
@require_GET
def approval_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    """Awaiting my approval: what I may approve now, with what changed since I looked."""
    brand = permissions.get_brand(request.user, slug)
    try:
        page = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        page = 1
    items, total, page = review_selectors.inbox_page(user=request.user, brand=brand, page=page)
    size = review_selectors.INBOX_PAGE_SIZE
    return render(
        request,
        "planner/approval_inbox.html",
        {
            "brand": brand,
            "items": items,
            "total": total,
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page * size < total else None,
            "is_admin": permissions.has_perm(request.user, Action.ADMIN, brand),
        },
    )


# --- approval rules ----------------------------------------------------------------------


def _groups(brand: Brand):
    return account_selectors.brand_groups(brand=brand)


@login_required
def approval_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Brand admins: the number of approvals, per-channel raises, and the ordered steps."""
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    data = request.POST if request.method == "POST" else None
    which = request.POST.get("form") if data else None
    count_form = ApprovalCountForm(
        data if which == "count" else None,
        initial={"approvals_required": brand.approvals_required},
    )
    step_form = ApprovalStepForm(data if which == "step" else None, groups=_groups(brand))
    channel_form = ChannelApprovalsForm(
        data if which == "channel" else None, channels=selectors.channel_choices(brand=brand)
    )
    done = None
    if which == "count" and count_form.is_valid():
        done = call_service(
            count_form,
            lambda: approval_rules.brand_approvals_set(
                brand=brand,
                actor=request.user,
                required=count_form.cleaned_data["approvals_required"],
            ),
        )
    elif which == "step" and step_form.is_valid():
        cleaned = step_form.cleaned_data
        done = call_service(
            step_form,
            lambda: approval_rules.approval_step_create(
                brand=brand,
                actor=request.user,
                name=cleaned["name"],
                required=cleaned["required"],
                role=cleaned["role"],
                group=cleaned["group"],
            ),
        )
    elif which == "channel" and channel_form.is_valid():
        done = call_service(
            channel_form,
            lambda: account_services.channel_set_required_approvals(
                channel=channel_form.cleaned_data["channel"],
                actor=request.user,
                required=channel_form.cleaned_data["required"],
            ),
        )
    elif data is not None and which not in {"count", "step", "channel"}:
        return HttpResponse("Unknown form.", status=400, content_type="text/plain")
    if done is not None:
        messages.success(request, "Approval rules saved.")
        return redirect("approval_settings", slug=brand.slug)
    settings = review_selectors.approval_settings(brand=brand)
    return render(
        request,
        "planner/approval_settings.html",
        {
            "brand": brand,
            "count_form": count_form,
            "step_form": step_form,
            "channel_form": channel_form,
            "channel_error": which == "channel" and not channel_form.is_valid(),
            **settings,
        },
        status=400 if data is not None else 200,
    )


@login_required
def approval_step_edit(request: HttpRequest, slug: str, step_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    step = review_selectors.approval_step_get(brand=brand, pk=step_id)
    form = ApprovalStepForm(
        request.POST or None,
        groups=_groups(brand),
        submit="Save step",
        initial={
            "name": step.name,
            "required": step.required,
            "role": step.role,
            "group": step.group_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        saved = call_service(
            form,
            lambda: approval_rules.approval_step_update(
                step=step,
                actor=request.user,
                name=cleaned["name"],
                required=cleaned["required"],
                role=cleaned["role"],
                group=cleaned["group"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Step {saved.name} saved.")
            return redirect("approval_settings", slug=brand.slug)
    return render(
        request, "planner/approval_step_edit.html", {"brand": brand, "step": step, "form": form}
    )


@login_required
@require_POST
def approval_step_action(request: HttpRequest, slug: str, step_id: int) -> HttpResponse:
    """Remove a step, or move it up or down."""
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    step = review_selectors.approval_step_get(brand=brand, pk=step_id)
    action = request.POST.get("action")
    if action == "delete":
        approval_rules.approval_step_delete(step=step, actor=request.user)
        messages.success(request, f"Step {step.name} removed.")
    elif action in {"up", "down"}:
        approval_rules.approval_step_move(step=step, actor=request.user, up=action == "up")
    else:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    return redirect("approval_settings", slug=brand.slug)
