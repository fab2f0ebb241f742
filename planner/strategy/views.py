"""Web views for strategy: the brand's content mix and link rules, a post's credit.
Interfaces only: parse input, call services, render selector results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import permissions
from accounts.permissions import Action
from config.web import call_service
from planner.models import Category, CustomerCredit
from planner.posts import selectors as post_selectors
from planner.strategy import selectors, services
from planner.strategy.forms import CreditForm, StrategyForm


def _strategy_initial(brand) -> dict:
    targets = selectors.mix_targets(brand=brand)
    rules = selectors.link_tracking(brand=brand)
    initial = {f"max_{t.category}": t.max_percent for t in targets}
    initial["window_days"] = targets[0].window_days if targets else 14
    initial["tracking_enabled"] = bool(rules and rules.enabled)
    initial["domains"] = " ".join(rules.domains) if rules else ""
    initial["medium"] = rules.medium if rules else "social"
    initial["content"] = rules.content if rules else ""
    return initial


@login_required
def strategy_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The content mix targets and UTM rules: everyone sees them, brand admins change them."""
    brand = permissions.get_brand(request.user, slug)
    may_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    form = StrategyForm(request.POST or None, initial=_strategy_initial(brand))
    if request.method == "POST":
        permissions.require(request.user, Action.ADMIN, brand)
        if form.is_valid():
            data = form.cleaned_data

            @transaction.atomic
            def save():
                for value in Category.values:
                    services.mix_target_set(
                        brand=brand,
                        actor=request.user,
                        category=value,
                        max_percent=data[f"max_{value}"],
                        window_days=data["window_days"],
                    )
                return services.link_tracking_set(
                    brand=brand,
                    actor=request.user,
                    enabled=data["tracking_enabled"],
                    domains=data["domains"],
                    medium=data["medium"],
                    content=data["content"],
                )

            if call_service(form, save) is not None:
                messages.success(request, "Saved the content mix and link tracking.")
                return redirect("strategy_settings", slug=brand.slug)
    return render(
        request,
        "planner/strategy_settings.html",
        {
            "brand": brand,
            "form": form,
            "may_admin": may_admin,
            "targets": selectors.mix_targets(brand=brand),
        },
    )


@login_required
def post_credit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A customer-content post's original author, source and permission."""
    brand = permissions.get_brand(request.user, slug)
    post = post_selectors.post_get(user=request.user, pk=pk, brand=brand)
    may_draft = permissions.has_perm(request.user, Action.DRAFT, post.channel)
    credit = CustomerCredit.objects.filter(post=post).first()
    initial = {}
    if credit is not None:
        initial = {
            "author_handle": credit.author_handle,
            "source_url": credit.source_url,
            "permission_from": credit.permission_from,
            "permission_at": credit.permission_at,
            "permission_how": credit.permission_how,
        }
    form = CreditForm(request.POST or None, brand=brand, initial=initial)
    if request.method == "POST":
        permissions.require(request.user, Action.DRAFT, post.channel)
        if form.is_valid() and call_service(
            form,
            lambda: services.customer_credit_record(
                post=post, actor=request.user, **form.cleaned_data
            ),
        ):
            messages.success(request, "Saved the credit and permission.")
            return redirect(post.get_absolute_url())
    return render(
        request,
        "planner/post_credit.html",
        {
            "brand": brand,
            "post": post,
            "form": form,
            "may_draft": may_draft,
            "problems": selectors.credit_problems(post),
        },
    )
