"""Forms for training: writing quizzes and questions, generating questions, taking a quiz."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


class QuizForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to people before they start.",
    )
    pass_mark = forms.IntegerField(min_value=1, max_value=100, initial=80, label="Pass mark (%)")
    cooldown_value = forms.IntegerField(
        min_value=0, max_value=60 * 24 * 90, initial=1, label="Cool-down before a retake"
    )
    cooldown_unit = forms.ChoiceField(
        choices=[("minutes", "minutes"), ("hours", "hours")], initial="hours", label="Unit"
    )
    certifies_author = forms.BooleanField(required=False, initial=True, label="Certifies authors")
    certifies_approver = forms.BooleanField(required=False, label="Certifies approvers")

    def __init__(self, *args, submit: str = "Save", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit))

    @staticmethod
    def initial_from_quiz(quiz) -> dict:
        hours = quiz.cooldown_minutes and quiz.cooldown_minutes % 60 == 0
        return {
            "title": quiz.title,
            "description": quiz.description,
            "pass_mark": quiz.pass_mark,
            "cooldown_value": quiz.cooldown_minutes // 60 if hours else quiz.cooldown_minutes,
            "cooldown_unit": "hours" if hours else "minutes",
            "certifies_author": quiz.certifies_author,
            "certifies_approver": quiz.certifies_approver,
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        factor = 60 if data["cooldown_unit"] == "hours" else 1
        data["cooldown_minutes"] = data["cooldown_value"] * factor
        if data["cooldown_minutes"] > 60 * 24 * 90:
            self.add_error("cooldown_value", "The cool-down is at most 90 days.")
        if not (data.get("certifies_author") or data.get("certifies_approver")):
            raise forms.ValidationError("Choose at least one role the quiz certifies.")
        return data

    @property
    def quiz_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "pass_mark": data["pass_mark"],
            "cooldown_minutes": data["cooldown_minutes"],
            "certifies_author": data["certifies_author"],
            "certifies_approver": data["certifies_approver"],
        }


class GenerateForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=30, initial=6, label="How many questions")
    rules = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Build sample posts from these rules",
        help_text="Every answer is computed by the policy engine; you review them before "
        "publishing.",
    )

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = [
            (r["id"], f"{r['id']} ({r['kind'].replace('_', ' ')}, {r['severity']})") for r in rules
        ]
        self.fields["rules"].initial = [r["id"] for r in rules]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Generate questions"))


class QuestionForm(forms.Form):
    """A hand-written question; its choices come from ``ChoiceFormSet``."""

    prompt = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Question"
    )
    kind = forms.ChoiceField(
        choices=[("single", "One answer (radio buttons)"), ("multiple", "Several answers")],
        label="Answers",
    )
    sample_text = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Sample post (optional)",
        help_text="A post the question is about, shown above the choices.",
    )
    explanation = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown after answering, to people who got it wrong.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ChoiceForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(required=False, max_length=500, label="Choice")
    is_correct = forms.BooleanField(required=False, label="Correct")


ChoiceFormSet = forms.formset_factory(ChoiceForm, extra=0, max_num=10, absolute_max=10)


def choice_formset(data=None, *, question=None) -> forms.BaseFormSet:
    """The choices of a question, with blank rows to add more (up to ten in all)."""
    initial = (
        [{"id": c.pk, "text": c.text, "is_correct": c.is_correct} for c in question.choices.all()]
        if question is not None
        else []
    )
    blanks = max(4 - len(initial), 2)
    initial += [{} for _ in range(min(blanks, 10 - len(initial)))]
    return ChoiceFormSet(data, initial=initial, prefix="choices")


class GeneratedQuestionForm(forms.Form):
    prompt = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Question"
    )
    sample_text = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Sample post",
        help_text="Change it and the answer is computed again by the policy engine.",
    )
    sample_channel = forms.CharField(required=False, max_length=255, label="Channel (handle)")
    sample_category = forms.CharField(required=False, max_length=50, label="Category")
    explanation = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Rewritten from the engine's findings when the sample changes, unless you "
        "edit it at the same time.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save question"))


class TakeQuizForm(forms.Form):
    """One field per question (``q<id>``). Validates only that each question is answered
    with its own choices; scoring is the service's job."""

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            choices = [(str(c.pk), c.text) for c in question.choices.all()]
            name = f"q{question.pk}"
            if question.kind == "multiple":
                self.fields[name] = forms.MultipleChoiceField(
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"required": "Tick at least one answer."},
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer."},
                )

    @property
    def answers(self) -> dict[int, list[int]]:
        out = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}") or []
            out[question.pk] = [int(v) for v in ([value] if isinstance(value, str) else value)]
        return out

    def selected(self, question) -> set[str]:
        if not self.is_bound:
            return set()
        return set(self.data.getlist(f"q{question.pk}")) if hasattr(self.data, "getlist") else set()
