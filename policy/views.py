"""Policy pages: the rules, their versions, import/export, and the "try it" box."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts import selectors as account_selectors
from accounts.permissions import Action
from config.errors import DomainError
from config.web import call_service
from policy import selectors, services
from policy.engine import dump_policy_yaml
from policy.engine.presets import PRESETS
from policy.forms import (
    KIND_CHOICES,
    HashtagForm,
    MomentForm,
    PolicyImportForm,
    PresetForm,
    RuleForm,
    TryItForm,
)
from policy.highlight import highlight_findings as highlight

KIND_LABELS = dict(KIND_CHOICES)


@login_required
def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    version = services.policy_ensure(brand=brand)
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    return render(
        request,
        "policy/policy_detail.html",
        {
            "brand": brand,
            "version": version,
            "rules": [
                dict(rule, kind_label=KIND_LABELS.get(rule["kind"], rule["kind"]))
                for rule in version.rules
            ],
            "is_admin": is_admin,
            "moments": list(selectors.moments_active(brand=brand)),
            "moment_form": MomentForm(initial={"next": request.path}) if is_admin else None,
            "preset": PRESETS.get(version.preset),
            "preset_form": PresetForm(initial={"preset": version.preset or "general"})
            if is_admin
            else None,
            "presets": list(PRESETS.values()),
            "vocabulary_size": selectors.hashtag_vocabulary(brand=brand).count(),
        },
    )


def _rule_form_view(request, slug: str, rule_id: str | None):
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    version = services.policy_ensure(brand=brand)
    existing = None
    if rule_id is not None:
        existing = next((r for r in version.rules if r["id"] == rule_id), None)
        if existing is None:
            raise Http404("No such rule.")
    initial = RuleForm.initial_from_rule(existing) if existing else {"enabled": True}
    form = RuleForm(
        request.POST or None,
        initial=initial,
        submit="Save as a new version",
        taken_ids=[r["id"] for r in version.rules if r["id"] != rule_id],
    )
    if request.method == "POST" and request.headers.get("HX-Request"):
        # The live YAML beside the form: what the rule would be, never saved.
        valid = form.is_valid()
        return render(
            request,
            "policy/_rule_yaml.html",
            {"rule_yaml": _rule_yaml(form.rule) if valid else None, "needed": _needed(form)},
        )
    if request.method == "POST" and form.is_valid():
        new = call_service(
            form,
            lambda: services.policy_rule_save(
                brand=brand,
                actor=request.user,
                rule=form.rule,
                replaces=rule_id,
                requires_recertification=form.cleaned_data["requires_recertification"],
            ),
        )
        if new is not None:
            messages.success(request, f"Saved. The policy is now version {new.number}.")
            return redirect("policy_detail", slug=brand.slug)
    return render(
        request,
        "policy/rule_form.html",
        {
            "brand": brand,
            "form": form,
            "rule": existing,
            "version": version,
            "rule_yaml": _rule_yaml(existing) if existing and not form.is_bound else None,
            "needed": _needed(form) if form.is_bound else [],
        },
    )


def _needed(form: RuleForm) -> list[str]:
    """The labels of the fields that still need the author's attention."""
    return [
        str(form.fields[name].label or name.capitalize())
        for name in form.errors
        if name in form.fields
    ]


def _rule_yaml(rule: dict) -> str:
    """One rule as it is written in the policy file (the item of its ``rules:`` list)."""
    text = dump_policy_yaml([rule])
    return text.removeprefix("rules:\n")


@login_required
def rule_add(request: HttpRequest, slug: str) -> HttpResponse:
    return _rule_form_view(request, slug, None)


@login_required
def rule_edit(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    return _rule_form_view(request, slug, rule_id)


@login_required
@require_POST
def rule_delete(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    from django.core.exceptions import ValidationError

    try:
        new = services.policy_rule_delete(brand=brand, actor=request.user, rule_id=rule_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Rule {rule_id} removed. The policy is now version {new.number}."
        )
    return redirect("policy_detail", slug=brand.slug)


@login_required
def version_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    services.policy_ensure(brand=brand)
    return render(
        request,
        "policy/version_list.html",
        {"brand": brand, "versions": list(selectors.policy_versions(brand=brand))},
    )


@login_required
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    versions = selectors.policy_versions(brand=brand)
    version = versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    previous = versions.filter(number__lt=number).first()
    return render(
        request,
        "policy/version_detail.html",
        {
            "brand": brand,
            "version": version,
            "previous": previous,
            "diff": selectors.policy_diff(previous, version),
            "yaml": dump_policy_yaml(version.rules),
        },
    )


@login_required
def policy_import(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        version = call_service(
            form,
            lambda: services.policy_import(
                brand=brand,
                yaml_text=form.cleaned_data["yaml"],
                actor=request.user,
                note=form.cleaned_data["note"],
                requires_recertification=form.cleaned_data["requires_recertification"],
            ),
        )
        if version is not None:
            messages.success(request, f"Imported as version {version.number}.")
            return redirect("policy_version", slug=brand.slug, number=version.number)
    return render(request, "policy/policy_import.html", {"brand": brand, "form": form})


@login_required
def policy_export(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    version = services.policy_ensure(brand=brand)
    response = HttpResponse(
        dump_policy_yaml(version.rules), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{brand.slug}-policy-v{version.number}.yaml"'
    )
    return response


def _try_context(request, brand, data) -> dict:
    channels = list(account_selectors.channel_list(brand=brand))
    form = TryItForm(data, channels=channels)
    context = {"brand": brand, "form": form}
    if data is not None and form.is_valid():
        channel = next((c for c in channels if str(c.pk) == form.cleaned_data["channel"]), None)
        linted = call_service(
            form,
            lambda: services.policy_lint(
                brand=brand,
                text=form.cleaned_data["text"],
                channel=channel,
                category=form.cleaned_data["category"] or None,
            ),
        )
        if linted is not None:
            context.update(
                result=linted.result,
                version=linted.version,
                highlighted=highlight(form.cleaned_data["text"], linted.result.findings),
            )
    return context


@login_required
def policy_try(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    services.policy_ensure(brand=brand)
    data = request.POST if request.method == "POST" else None
    context = _try_context(request, brand, data)
    template = (
        "policy/_lint_result.html"
        if request.headers.get("HX-Request")
        else "policy/policy_try.html"
    )
    return render(request, template, context)


# --- the newsjacking guard: moments, the hashtag vocabulary, presets -------------------------


def _next_url(request, fallback: str) -> str:
    """Where to go back to after a form posted from another page (same site only)."""
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _moments_context(brand, *, is_admin: bool, form=None) -> dict:
    now = timezone.now()
    return {
        "brand": brand,
        "is_admin": is_admin,
        "active": list(selectors.moments_active(brand=brand, now=now)),
        "upcoming": list(selectors.moments_upcoming(brand=brand, now=now)),
        "past": list(selectors.moments_past(brand=brand, now=now)),
        "form": form,
        "now": now,
    }


@login_required
def moment_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's sensitive moments: active, coming, and the history; admins add one."""
    brand = permissions.get_brand(request.user, slug)
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    form = None
    if is_admin:
        form = MomentForm(request.POST or None, initial={"next": request.path})
    if request.method == "POST":
        permissions.require(request.user, Action.ADMIN, brand)
        if form.is_valid():
            data = form.cleaned_data
            terms, tags = services.moment_entries(data["entries"])
            moment = call_service(
                form,
                lambda: services.moment_create(
                    brand=brand,
                    actor=request.user,
                    name=data["name"],
                    terms=terms,
                    tags=tags,
                    severity=data["severity"],
                    days=data["days"],
                ),
            )
            if moment is not None:
                local = timezone.localtime(moment.ends_at, brand.tz)
                messages.success(
                    request,
                    f"Sensitive moment “{moment.name}” is on: posts naming it "
                    f"{'are blocked' if moment.severity == 'block' else 'warn'} until "
                    f"{local:%d %b %Y %H:%M} {local.tzname()}.",
                )
                return redirect(_next_url(request, reverse("policy_moments", args=[brand.slug])))
        fallback = _next_url(request, "")
        if fallback and fallback != request.path:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"The moment was not added: {error}")
            return redirect(fallback)
    return render(
        request,
        "policy/moment_list.html",
        _moments_context(brand, is_admin=is_admin, form=form),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def moment_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    moment = selectors.moment_get(brand=brand, pk=pk)
    if moment is None:
        raise Http404("No such moment.")
    try:
        services.moment_end(moment=moment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{moment.name}” has ended; it stays in the history.")
    return redirect(_next_url(request, reverse("policy_moments", args=[brand.slug])))


@login_required
def hashtag_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's hashtag vocabulary; approvers and admins add a tag, admins remove one."""
    brand = permissions.get_brand(request.user, slug)
    can_vet = services.hashtag_vetter(request.user, brand)
    form = HashtagForm(request.POST or None) if can_vet else None
    if request.method == "POST":
        if form is None:
            raise Http404("No such page.")
        if form.is_valid():
            added = call_service(
                form,
                lambda: services.hashtag_add(
                    brand=brand,
                    actor=request.user,
                    tag=form.cleaned_data["tag"],
                    source="own"
                    if permissions.has_perm(request.user, Action.ADMIN, brand)
                    else "approved",
                ),
            )
            if added is not None:
                row, new = added
                messages.success(
                    request,
                    f"{row.tag} is in the vocabulary."
                    if new
                    else f"{row.tag} was in the vocabulary already.",
                )
                return redirect(_next_url(request, reverse("policy_hashtags", args=[brand.slug])))
    return render(
        request,
        "policy/hashtag_list.html",
        {
            "brand": brand,
            "tags": list(selectors.hashtag_vocabulary(brand=brand)),
            "form": form,
            "is_admin": permissions.has_perm(request.user, Action.ADMIN, brand),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def hashtag_approve(request: HttpRequest, slug: str) -> HttpResponse:
    """One click on a post's finding: the tag joins the vocabulary (audited)."""
    brand = permissions.get_brand(request.user, slug)
    back = _next_url(request, reverse("policy_hashtags", args=[brand.slug]))
    try:
        row, new = services.hashtag_add(
            brand=brand, actor=request.user, tag=request.POST.get("tag", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{row.tag} is now in {brand.name}'s hashtag vocabulary."
            if new
            else f"{row.tag} was in the vocabulary already.",
        )
    return redirect(back)


@login_required
@require_POST
def hashtag_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    try:
        services.hashtag_remove(brand=brand, actor=request.user, pk=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Removed from the vocabulary.")
    return redirect("policy_hashtags", slug=brand.slug)


@login_required
@require_POST
def preset_apply(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    form = PresetForm(request.POST)
    if form.is_valid():
        try:
            version = services.policy_preset_apply(
                brand=brand, actor=request.user, preset=form.cleaned_data["preset"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            label = PRESETS[version.preset].label
            messages.success(
                request, f"{brand.name} is now a {label} brand: policy version {version.number}."
            )
    else:
        messages.error(request, "Choose one of the presets.")
    return redirect("policy_detail", slug=brand.slug)
