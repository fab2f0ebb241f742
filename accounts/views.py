"""Web views for accounts: parse input, call one service, render."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions, selectors, services, tokens
from accounts.forms import (
    BrandCreateForm,
    BrandForm,
    ChangePasswordForm,
    ChannelConnectForm,
    MemberEditForm,
    MemberInviteForm,
    PersonalAccountForm,
    ResetRequestForm,
    ResetSetPasswordForm,
)
from accounts.models import Channel, Membership
from accounts.permissions import Action
from accounts.services import oauth_connect
from config.errors import DomainError
from config.web import call_service

# --- signing in ------------------------------------------------------------------------------

LOCKED_OUT_MESSAGE = (
    "Too many failed sign-in attempts for this username from your address. "
    "Try again in {minutes} minutes, or reset your password."
)


def locked_out_text() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return LOCKED_OUT_MESSAGE.format(minutes=minutes)


def locked_out(request, response=None, credentials=None, *args) -> HttpResponse:
    """What a locked-out sign-in gets (axes' AXES_LOCKOUT_CALLABLE): the API a JSON 429, the
    web the sign-in page again with the reason, also 429."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": locked_out_text()}, status=429)
    context = {"message": locked_out_text()}
    return render(request, "registration/locked_out.html", context, status=429)


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _over_limit(key: str, limit: int, window: int = 3600) -> bool:
    """Count one more use of ``key`` in the shared cache; True once past ``limit``."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


class PasswordReset(auth_views.PasswordResetView):
    """Reset request, at most PASSWORD_RESET_LIMIT_PER_HOUR an hour per address and per email.

    Whatever happens (unknown email, the email's limit reached) the answer is the same "check
    your email" page, so it never tells whether an address has an account. The link in the
    email is built from SITE_URL, never from the request's Host header."""

    form_class = ResetRequestForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        limit = settings.PASSWORD_RESET_LIMIT_PER_HOUR
        address = _client_address(self.request)
        if _over_limit(f"pwreset:ip:{address}", limit):
            return render(
                self.request,
                "registration/password_reset_form.html",
                {"form": form, "too_many": True},
                status=429,
            )
        email = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(email.encode()).hexdigest()
        if _over_limit(f"pwreset:email:{digest}", limit):
            return redirect(self.get_success_url())
        site = urlsplit(settings.COUNTERSIGN["SITE_URL"])
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            extra_email_context={"site_url": settings.COUNTERSIGN["SITE_URL"]},
        )
        return redirect(self.get_success_url())


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    form_class = ResetSetPasswordForm


class PasswordChange(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Password changed. Your API tokens were revoked.")
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    brands = list(selectors.brand_list_for(request.user))
    slug = request.session.get("brand_slug")
    chosen = next((b for b in brands if b.slug == slug), brands[0] if brands else None)
    if chosen is not None:
        return redirect("calendar", slug=chosen.slug)  # the team lives in the calendar
    return render(request, "accounts/home_empty.html")


@login_required
@require_POST
def brand_switch(request: HttpRequest) -> HttpResponse:
    brand = permissions.get_brand(request.user, request.POST.get("slug", ""))
    request.session["brand_slug"] = brand.slug
    return redirect("calendar", slug=brand.slug)


@login_required
def brand_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("Only site staff can create brands.")
    form = BrandCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        brand = call_service(
            form,
            lambda: services.brand_create(
                slug=data["slug"],
                name=data["name"],
                timezone_name=data["timezone"],
                colour=data["colour"],
                approvals_required=data["approvals_required"],
                created_by=request.user,
            ),
        )
        if brand is not None:
            messages.success(request, f"{brand.name} is ready. Connect its first channel.")
            return redirect("channel_list", slug=brand.slug)
    return render(request, "accounts/brand_create.html", {"form": form})


@login_required
def brand_detail(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    request.session["brand_slug"] = brand.slug
    return render(
        request,
        "accounts/brand_detail.html",
        {
            "brand": brand,
            "channels": list(selectors.channel_list(brand=brand)),
            "roles": permissions.roles_in(request.user, brand),
        },
    )


@login_required
def brand_settings(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    form = BrandForm(request.POST or None, instance=brand)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        updated = call_service(
            form, lambda: services.brand_update(brand=brand, actor=request.user, **fields)
        )
        if updated is not None:
            messages.success(request, "Brand settings saved.")
            return redirect("brand_settings", slug=brand.slug)
    return render(request, "accounts/brand_settings.html", {"brand": brand, "form": form})


@login_required
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    form = MemberInviteForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if not is_admin:
            permissions.require(request.user, Action.ADMIN, brand)
        if form.is_valid():
            membership = call_service(
                form,
                lambda: services.member_invite(
                    brand=brand,
                    actor=request.user,
                    roles=form.cleaned_data["roles"],
                    username_or_email=form.cleaned_data["username_or_email"],
                    request=request,
                ),
            )
            if membership is not None:
                messages.success(request, f"{membership.user.username} is now a member.")
                return redirect("member_list", slug=brand.slug)
    return render(
        request,
        "accounts/membership_list.html",
        {
            "brand": brand,
            "memberships": list(selectors.membership_list(brand=brand)),
            "form": form,
            "is_admin": is_admin,
        },
    )


@login_required
def member_edit(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), brand=brand, user_id=user_id
    )
    initial = {
        "roles": membership.roles,
        "channels": list(membership.channels.all()),
        "channels_restricted": membership.channels_restricted,
    }
    form = MemberEditForm(request.POST or None, brand=brand, initial=initial)
    if request.method == "POST":
        if request.POST.get("remove") == "1":
            try:
                services.membership_remove(brand=brand, user=membership.user, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("member_edit", slug=brand.slug, user_id=user_id)
            messages.success(request, f"{membership.user.username} was removed from {brand}.")
            return redirect("member_list", slug=brand.slug)
        if form.is_valid():
            saved = call_service(
                form,
                lambda: services.membership_set(
                    brand=brand,
                    user=membership.user,
                    roles=form.cleaned_data["roles"],
                    channels=form.cleaned_data["channels"],
                    channels_restricted=form.cleaned_data["channels_restricted"]
                    or bool(form.cleaned_data["channels"]),
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, f"Saved {membership.user.username}'s roles.")
                return redirect("member_list", slug=brand.slug)
    return render(
        request,
        "accounts/membership_edit.html",
        {"brand": brand, "membership": membership, "form": form},
    )


@login_required
def channel_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    is_admin = permissions.has_perm(request.user, Action.ADMIN, brand)
    form = ChannelConnectForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        permissions.require(request.user, Action.ADMIN, brand)
        if form.is_valid():
            channel = call_service(
                form,
                lambda: services.channel_connect(
                    brand=brand,
                    actor=request.user,
                    platform=form.cleaned_data["platform"],
                    instance_url=form.cleaned_data["instance_url"],
                    credential=form.credential(),
                ),
            )
            if channel is not None:
                messages.success(
                    request, f"Connected {channel.handle}: the platform confirmed who it is."
                )
                return redirect("channel_list", slug=brand.slug)
    response = render(
        request,
        "accounts/channel_list.html",
        {
            "brand": brand,
            "channels": list(selectors.channel_list(brand=brand)),
            "is_admin": is_admin,
            "form": form,
            "connect_buttons": _connect_buttons(brand) if is_admin else [],
            "oauth_platforms": oauth_connect.OAUTH_PLATFORMS,
        },
    )
    if is_admin:
        # The "Connect …" forms post here and are redirected to the platforms' consent
        # pages: the CSP's form-action covers redirects, so it names those origins.
        response._csp_update = {"form-action": oauth_connect.consent_origins()}
    return response


def _connect_buttons(brand) -> list[dict]:
    """One "Connect …" entry per consent-page platform, and whether it is configured."""
    from platforms.registry import get_client_class

    return [
        {
            "platform": platform,
            "label": get_client_class(platform).label,
            "configured": oauth_connect.oauth_configured(platform),
        }
        for platform in oauth_connect.OAUTH_PLATFORMS
    ]


@login_required
@require_POST
def channel_oauth_start(request: HttpRequest, slug: str, platform: str) -> HttpResponse:
    """Send the browser to the platform's consent page (state + PKCE kept in the session)."""
    brand = permissions.get_brand(request.user, slug, Action.ADMIN)
    channel = None
    if request.POST.get("channel"):
        channel = get_object_or_404(
            Channel, pk=_int_or_404(request.POST["channel"]), brand=brand, platform=platform
        )
    try:
        url = oauth_connect.oauth_connect_begin(
            session=request.session,
            brand=brand,
            actor=request.user,
            platform=platform,
            channel=channel,
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, _reason(exc))
        return redirect("channel_list", slug=brand.slug)
    request.session["oauth_return"] = brand.slug
    return redirect(url)


def _int_or_404(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such channel.") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _back_to_channels(request: HttpRequest, brand=None) -> HttpResponse:
    slug = brand.slug if brand is not None else request.session.get("oauth_return")
    if slug:
        return redirect("channel_list", slug=slug)
    return redirect("home")


def _connected(request: HttpRequest, result) -> HttpResponse:
    channel = result.channel
    if result.reconnected:
        messages.success(request, f"Reconnected {channel.handle}: its held posts can be released.")
    else:
        messages.success(request, f"Connected {channel.handle}: the platform confirmed who it is.")
    return redirect("channel_list", slug=result.brand.slug)


@login_required
def oauth_callback(request: HttpRequest, platform: str) -> HttpResponse:
    """Where the platform's consent page sends the browser back (``code`` and ``state``)."""
    try:
        result = oauth_connect.oauth_connect_finish(
            session=request.session,
            actor=request.user,
            platform=platform,
            state=request.GET.get("state", "")[:200],
            code=request.GET.get("code", "")[:2000],
            error=request.GET.get("error", "")[:200],
        )
    except (DomainError, ValidationError, PermissionDenied) as exc:
        messages.error(request, _reason(exc) or "You may not connect channels for that brand.")
        return _back_to_channels(request)
    if result.channel is not None:
        return _connected(request, result)
    return redirect("channel_oauth_choose", choice_id=result.choice_id)


@login_required
def channel_oauth_choose(request: HttpRequest, choice_id: str) -> HttpResponse:
    """Facebook, Instagram, LinkedIn: which of the Pages (organisations) to connect."""
    try:
        pending = oauth_connect.oauth_choice(
            session=request.session, actor=request.user, choice_id=choice_id
        )
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, _reason(exc) or "You may not connect channels for that brand.")
        return _back_to_channels(request)
    if request.method == "POST":
        try:
            result = oauth_connect.oauth_connect_choose(
                session=request.session,
                actor=request.user,
                choice_id=choice_id,
                page_id=request.POST.get("page", "")[:200],
            )
        except (DomainError, ValidationError, PermissionDenied) as exc:
            messages.error(request, _reason(exc) or "You may not connect channels there.")
            return _back_to_channels(request, pending.brand)
        return _connected(request, result)
    from platforms.registry import get_client_class

    return render(
        request,
        "accounts/channel_oauth_choose.html",
        {
            "brand": pending.brand,
            "choices": pending.choices,
            "label": get_client_class(pending.platform).label,
            "platform": pending.platform,
        },
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = PersonalAccountForm(request.POST or None)
    if request.method == "POST":
        if "revoke_token" in request.POST:
            if tokens.token_revoke(user=request.user, id=request.POST["revoke_token"]):
                messages.success(request, "API token revoked.")
            else:
                messages.error(request, "No such API token of yours (already revoked?).")
            return redirect("profile")
        if "revoke_all_tokens" in request.POST:
            n = tokens.tokens_revoke_all(user=request.user)
            messages.success(request, f"{n} API token{'s' if n != 1 else ''} revoked.")
            return redirect("profile")
        if "delete" in request.POST:
            try:
                services.personal_account_delete(user=request.user, pk=int(request.POST["delete"]))
            except (ValueError, DomainError):
                raise Http404("No such personal account.") from None
            messages.success(request, "Personal account removed.")
            return redirect("profile")
        if form.is_valid():
            account = call_service(
                form,
                lambda: services.personal_account_register(
                    user=request.user,
                    platform=form.cleaned_data["platform"],
                    handle=form.cleaned_data["handle"],
                    instance_url=form.cleaned_data["instance_url"] or "",
                ),
            )
            if account is not None:
                messages.success(request, f"Registered {account.handle} as your own account.")
                return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "accounts": list(request.user.personal_accounts.all()),
            "api_tokens": tokens.token_list(user=request.user),
            "token_ttl_days": settings.REST_KNOX["TOKEN_TTL"].days,
        },
    )


# --- notifications ---------------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """My in-app notifications, newest first (50 a page)."""
    from django.core.paginator import Paginator

    page = Paginator(selectors.notification_list(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/notification_list.html",
        {"page": page, "notifications": list(page.object_list)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``pk``) or all of them read; ``open`` also follows its link."""
    raw = request.POST.get("pk")
    try:
        pk = int(raw) if raw else None
    except ValueError:
        return HttpResponse("Unknown notification.", status=400, content_type="text/plain")
    services.notification_mark_read(user=request.user, pk=pk)
    if pk is not None and request.POST.get("open"):
        target = selectors.notification_list(user=request.user).filter(pk=pk).first()
        if target is not None and target.url.startswith("/") and not target.url.startswith("//"):
            return redirect(target.url)
    return redirect("notification_list")
