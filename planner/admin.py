"""Admin: a window on the data. Status is read-only: only planner.lifecycle moves it, and
content is edited through the app so every change makes a revision."""

from django.contrib import admin

from planner.models import (
    Approval,
    CalendarFeed,
    Campaign,
    Comment,
    Conversation,
    FetchCursor,
    Media,
    Post,
    Revision,
)

APPROVAL_FIELDS = [
    "post",
    "approver",
    "step_order",
    "step_name",
    "content_hash",
    "revision",
    "policy_version",
    "approved_at",
    "dismissed_at",
    "dismissed_reason",
]


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    can_delete = False
    fields = [
        "number",
        "editor",
        "channel",
        "category",
        "scheduled_at",
        "content_hash",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    """Approvals are history: shown, never added, changed or deleted here."""

    model = Approval
    extra = 0
    can_delete = False
    fields = [f for f in APPROVAL_FIELDS if f != "post"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    can_delete = False
    fields = ["author", "body", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "brand", "channel", "status", "category", "scheduled_at", "author"]
    list_filter = ["status", "category", "brand"]
    search_fields = ["text", "channel__handle"]
    list_select_related = ["brand", "channel", "author"]
    inlines = [ApprovalInline, RevisionInline, CommentInline]
    readonly_fields = [
        "brand",
        "channel",
        "group",
        "author",
        "last_editor",
        "text",
        "category",
        "campaign",
        "scheduled_at",
        "status",
        "held_reason",
        "review_policy_version",
        "review_findings",
        "submitted_at",
        "rejection_reason",
        "rejected_by",
        "rejected_at",
        "remote_url",
        "content_hash",
        "revision",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a post's approvals, revisions and evidence are history


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "starts_on", "ends_on"]
    list_filter = ["brand"]
    search_fields = ["name"]


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ["id", "post", "kind", "mime_type", "size"]
    readonly_fields = ["post", "file", "kind", "mime_type", "size", "alt_text", "original_name"]

    def has_add_permission(self, request):
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "token_hint", "created_at", "revoked_at"]
    readonly_fields = ["user", "brand", "token_hint", "created_at", "revoked_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read-only: approvals are made and dismissed only through the planner's services."""

    list_display = ["post", "approver", "step_name", "revision", "approved_at", "dismissed_at"]
    list_filter = ["post__brand"]
    list_select_related = ["post", "approver"]
    readonly_fields = APPROVAL_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the engagement inbox: read-only (changes go through planner.engagement.services) ---------


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(_ReadOnly):
    list_display = ["pk", "brand", "channel", "customer_handle", "status", "last_activity_at"]
    list_filter = ["brand", "status", "kind"]
    list_select_related = ["brand", "channel"]
    search_fields = ["customer_handle", "root_remote_id"]


@admin.register(FetchCursor)
class FetchCursorAdmin(_ReadOnly):
    list_display = ["channel", "stream", "saved_search", "last_ok_at", "failures", "last_error"]
    list_select_related = ["channel", "saved_search"]
