"""Admin: a window on the data that cannot erode the audit trail or skip the checks.

- People with history (audit events, approvals) are deactivated, not deleted.
- Memberships are added, changed and removed through the same services as the app, so
  every role change is audited and guardian's permissions follow.
- Channels are connected only through the connect service (which asks the platform who the
  credential is); here they can be looked at and removed when unused, not edited.
- Brands are edited through the brand services; a brand with history cannot be deleted.
- A group belongs to the brand it is given when created (or to none: a staff group), and
  only members of that brand can be put in it.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts import services
from accounts.models import (
    BRAND_EDITABLE_FIELDS,
    AuditEvent,
    Brand,
    BrandGroup,
    Channel,
    Membership,
    Notification,
    PersonalAccount,
    Role,
    User,
)
from config.errors import DomainError


class _AdminRefusal(Exception):
    """A service refused an admin save; the admin's transaction is rolled back."""


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DomainError as exc:
        raise _AdminRefusal(exc.message) from exc
    except ValidationError as exc:
        raise _AdminRefusal(" ".join(exc.messages)) from exc


class _ThroughServices(admin.ModelAdmin):
    """Saves made by services: a refusal is shown as a message, never a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _AdminRefusal as exc:
            self.message_user(request, f"Not saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (_AdminRefusal, DomainError) as exc:
            self.message_user(request, f"Not removed: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except (_AdminRefusal, DomainError) as exc:
            self.message_user(request, f"Not done: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class _UserForm(UserChangeForm):
    def clean_groups(self):
        groups = self.cleaned_data.get("groups")
        if groups is not None and self.instance.pk is not None:
            try:
                services.brand_group_members_check(user=self.instance, groups=groups)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return groups


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Deleting someone with history deactivates them instead (with a message). A brand's
    groups take only members of that brand."""

    form = _UserForm
    actions = ["remove_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected users (deactivate those with history)")
    def remove_selected(self, request, queryset):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        outcomes = {"deleted": [], "deactivated": []}
        for user in queryset:
            try:
                outcomes[services.user_remove(user=user, actor=request.user)].append(user.username)
            except DomainError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
        if outcomes["deleted"]:
            self.message_user(request, f"Deleted: {', '.join(outcomes['deleted'])}.")
        if outcomes["deactivated"]:
            self.message_user(
                request,
                "Deactivated instead of deleted, because they have history in the audit "
                f"trail: {', '.join(outcomes['deactivated'])}.",
                messages.WARNING,
            )

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        if user is not None and services.user_has_history(user):
            if not self.has_delete_permission(request, user):
                raise PermissionDenied
            if request.method == "POST":
                try:
                    services.user_remove(user=user, actor=request.user)
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{user.username} has history in the audit trail, so they were "
                        "deactivated instead of deleted.",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
            context = {
                **self.admin_site.each_context(request),
                "title": f"Deactivate {user.username}?",
                "object": user,
                "opts": self.opts,
                **(extra_context or {}),
            }
            return TemplateResponse(
                request, "admin/accounts/user/deactivate_confirmation.html", context
            )
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.user_remove(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_remove(user=user, actor=request.user)


class BrandGroupInline(admin.StackedInline):
    """The brand a group belongs to: set once, when the group is made a brand's."""

    model = BrandGroup
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name = "brand"
    verbose_name_plural = "brand (leave empty for a staff group)"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and BrandGroup.objects.filter(group=obj).exists():
            return ["brand", "created_at"]
        return ["created_at"]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    inlines = [BrandGroupInline]
    list_display = ["name", "brand"]
    list_select_related = ["brand_group__brand"]

    @admin.display(description="brand", ordering="brand_group__brand__name")
    def brand(self, obj):
        owner = getattr(obj, "brand_group", None)
        return owner.brand if owner is not None else "—"


@admin.register(Brand)
class BrandAdmin(_ThroughServices):
    """Edits go through brand_create / brand_update (validated, audited). A brand with audit
    history cannot be deleted (the admin lists what protects it)."""

    list_display = ["name", "slug", "timezone", "approvals_required", "is_paused"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "is_paused",
        "paused_reason",
        "paused_at",
        "paused_by",
        "policy_version",
        "created_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["slug", *fields] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = _call(
                services.brand_create,
                created_by=None,
                slug=obj.slug,
                name=obj.name,
                timezone_name=obj.timezone,
                colour=obj.colour,
                approvals_required=obj.approvals_required,
            )
            obj.pk = created.pk
            rest = {
                name: getattr(obj, name)
                for name in BRAND_EDITABLE_FIELDS
                if getattr(obj, name) != getattr(created, name)
            }
            if rest:
                _call(services.brand_update, brand=created, actor=request.user, **rest)
            return
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if fields:
            _call(services.brand_update, brand=obj, actor=request.user, **fields)


@admin.register(Membership)
class MembershipAdmin(_ThroughServices):
    """Every add, change and removal goes through membership_set / membership_remove, so it
    is checked (a brand keeps an admin) and audited like the same change in the app."""

    list_display = [
        "user",
        "brand",
        "is_author",
        "is_approver",
        "is_trainer",
        "is_admin",
        "channels_restricted",
    ]
    list_filter = ["brand", "is_author", "is_approver", "is_trainer", "is_admin"]
    search_fields = ["user__username", "user__email", "brand__name"]
    autocomplete_fields = ["user", "brand"]
    filter_horizontal = ["channels"]
    fields = [
        "user",
        "brand",
        "is_author",
        "is_approver",
        "is_trainer",
        "is_admin",
        "channels_restricted",
        "channels",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "brand"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        pass  # saved in save_related, through the service, once the channels are known

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        data = form.cleaned_data
        roles = [role.value for role in Role if data.get(f"is_{role.value}")]
        channels = list(data.get("channels") or [])
        saved = _call(
            services.membership_set,
            brand=obj.brand,
            user=obj.user,
            roles=roles,
            channels=channels,
            channels_restricted=bool(data.get("channels_restricted")) or bool(channels),
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.membership_remove(brand=obj.brand, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "brand"):
            services.membership_remove(
                brand=membership.brand, user=membership.user, actor=request.user
            )


@admin.register(Channel)
class ChannelAdmin(_ThroughServices):
    """Read-only: a channel is connected only through the connect service, which asks the
    platform who the credential is and runs the account-separation guard. An unused channel
    can be removed (through channel_remove, audited); one with posts is paused instead."""

    list_display = ["handle", "platform", "brand", "remote_account_id", "is_paused"]
    list_filter = ["platform", "brand", "is_paused"]
    search_fields = ["handle", "remote_account_id"]
    exclude = ["credential_encrypted"]
    readonly_fields = [
        "brand",
        "platform",
        "handle",
        "display_name",
        "avatar_url",
        "profile_url",
        "instance_url",
        "remote_account_id",
        "credential_status",
        "max_characters",
        "approvals_required",
        "connected_by",
        "connected_at",
        "is_paused",
        "paused_reason",
        "paused_at",
    ]

    @admin.display(description="Credential")
    def credential_status(self, obj):
        return "stored, encrypted" if obj.credential_encrypted else "none"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.channel_remove(channel=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for channel in queryset:
            services.channel_remove(channel=channel, actor=request.user)


@admin.register(PersonalAccount)
class PersonalAccountAdmin(admin.ModelAdmin):
    """Read-only: registered through the app, where the handle is normalised for the guard."""

    list_display = ["handle", "platform", "user", "remote_account_id"]
    search_fields = ["handle", "normalized_handle", "user__username"]
    list_filter = ["platform"]
    readonly_fields = [
        "user",
        "platform",
        "instance_url",
        "handle",
        "normalized_handle",
        "remote_account_id",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (the database refuses changes too)."""

    list_display = [
        "created_at",
        "action",
        "brand",
        "actor_username",
        "object_type",
        "object_id",
    ]
    list_filter = ["action", "brand"]
    search_fields = ["action", "message", "object_id", "actor_username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "brand", "kind", "subject", "read_at"]
    list_filter = ["kind", "brand"]
    search_fields = ["subject", "user__username"]
