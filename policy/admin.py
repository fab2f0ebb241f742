from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.errors import DomainError
from policy.models import (
    Attempt,
    Certification,
    Choice,
    HashtagVocabulary,
    PolicyVersion,
    Question,
    Quiz,
    SensitiveMoment,
)


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


# --- the newsjacking guard ------------------------------------------------------------------


@admin.register(HashtagVocabulary)
class HashtagVocabularyAdmin(admin.ModelAdmin):
    """Read-only: people add tags in Countersign, where it is audited."""

    list_display = ["tag", "brand", "source", "added_by", "created_at"]
    list_filter = ["brand", "source"]
    search_fields = ["tag", "key"]
    readonly_fields = [f.name for f in HashtagVocabulary._meta.fields]
    list_select_related = ["brand", "added_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MomentAdminForm(forms.ModelForm):
    entries = forms.CharField(
        label="Terms and #tags",
        help_text="Separated by commas: a storm's name, a city, the event's hashtag.",
    )

    class Meta:
        model = SensitiveMoment
        fields = ["brand", "name", "entries", "severity", "starts_at", "ends_at", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["entries"].initial = ", ".join([*self.instance.terms, *self.instance.tags])


@admin.register(SensitiveMoment)
class SensitiveMomentAdmin(admin.ModelAdmin):
    """Staff add moments for one brand or, without a brand, for every brand; they are
    written through ``policy.services.moment_create`` (checked, audited)."""

    form = MomentAdminForm
    list_display = ["name", "brand", "severity", "starts_at", "ends_at", "created_by"]
    list_filter = ["severity", "brand"]
    search_fields = ["name"]
    list_select_related = ["brand", "created_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list; a moment is ended, not edited

    def save_model(self, request, obj, form, change):
        from policy import services

        terms, tags = services.moment_entries(form.cleaned_data["entries"])
        try:
            created = services.moment_create(
                brand=form.cleaned_data.get("brand"),
                actor=request.user,
                name=form.cleaned_data["name"],
                terms=terms,
                tags=tags,
                severity=form.cleaned_data["severity"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                note=form.cleaned_data.get("note") or "",
            )
        except (ValidationError, DomainError) as exc:
            messages = getattr(exc, "messages", None) or [getattr(exc, "message", str(exc))]
            self.message_user(request, " ".join(messages), level="error")
            return
        obj.pk = created.pk
