from django.contrib import admin

from policy.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: the admin shows them read-only."""

    list_display = ["brand", "number", "source", "note", "requires_recertification", "created_at"]
    list_filter = ["brand", "source"]
    readonly_fields = [f.name for f in PolicyVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
