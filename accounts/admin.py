from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from guardian.admin import GuardedModelAdmin

from accounts.models import (
    AuditEvent,
    Brand,
    Channel,
    Membership,
    Notification,
    PersonalAccount,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    pass


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    filter_horizontal = ["channels"]


@admin.register(Brand)
class BrandAdmin(GuardedModelAdmin):
    list_display = ["name", "slug", "timezone", "approvals_required", "is_paused"]
    search_fields = ["name", "slug"]
    readonly_fields = ["is_paused", "paused_reason", "paused_at", "paused_by", "created_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "is_author", "is_approver", "is_trainer", "is_admin"]
    list_filter = ["brand", "is_author", "is_approver", "is_trainer", "is_admin"]
    search_fields = ["user__username", "user__email", "brand__name"]
    autocomplete_fields = ["user", "brand"]

    def save_related(self, request, form, formsets, change):
        from accounts import permissions

        super().save_related(request, form, formsets, change)
        obj = form.instance
        permissions.sync_membership_permissions(obj, user=obj.user, brand=obj.brand)

    def delete_model(self, request, obj):
        from accounts import permissions

        user, brand = obj.user, obj.brand
        super().delete_model(request, obj)
        permissions.sync_membership_permissions(None, user=user, brand=brand)


@admin.register(Channel)
class ChannelAdmin(GuardedModelAdmin):
    list_display = ["handle", "platform", "brand", "remote_account_id", "is_paused"]
    list_filter = ["platform", "brand", "is_paused"]
    search_fields = ["handle", "remote_account_id"]
    readonly_fields = [
        "remote_account_id",
        "credential_status",
        "connected_by",
        "connected_at",
        "is_paused",
        "paused_reason",
        "paused_at",
    ]
    exclude = ["credential_encrypted"]

    @admin.display(description="Credential")
    def credential_status(self, obj):
        return "stored, encrypted" if obj.credential_encrypted else "none"


@admin.register(PersonalAccount)
class PersonalAccountAdmin(admin.ModelAdmin):
    list_display = ["handle", "platform", "user", "remote_account_id"]
    search_fields = ["handle", "normalized_handle", "user__username"]
    list_filter = ["platform"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "action", "brand", "actor", "object_type", "object_id"]
    list_filter = ["action", "brand"]
    search_fields = ["action", "message", "object_id"]

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
