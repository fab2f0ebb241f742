from django.contrib import admin

from policy.models import Attempt, Certification, Choice, PolicyVersion, Question, Quiz


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


# --- training: read-only here; trainers write quizzes in Countersign, where the services
# check every answer (and generated answers against the policy engine) before publishing.


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["order", "kind", "source", "prompt", "sample_text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quiz)
class QuizAdmin(_ReadOnly):
    list_display = ["title", "brand", "is_published", "pass_mark", "certifies_author"]
    list_filter = ["brand", "is_published"]
    search_fields = ["title"]
    readonly_fields = [f.name for f in Quiz._meta.fields]
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["order", "text", "is_correct", "rule_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(_ReadOnly):
    list_display = ["__str__", "quiz", "kind", "source"]
    list_filter = ["source", "kind"]
    readonly_fields = [f.name for f in Question._meta.fields]
    inlines = [ChoiceInline]


@admin.register(Attempt)
class AttemptAdmin(_ReadOnly):
    list_display = ["user", "quiz", "score", "passed", "submitted_at"]
    list_filter = ["passed", "quiz__brand"]
    readonly_fields = [f.name for f in Attempt._meta.fields]
    list_select_related = ["user", "quiz"]


@admin.register(Certification)
class CertificationAdmin(_ReadOnly):
    list_display = ["user", "brand", "certifies_author", "certifies_approver", "earned_at"]
    list_filter = ["brand"]
    readonly_fields = [f.name for f in Certification._meta.fields]
    list_select_related = ["user", "brand"]
