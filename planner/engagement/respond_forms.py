"""Forms of the conversation's actions: reply, strike, crisis, the brand's settings.
Validation and layout only; the services decide."""

from __future__ import annotations

from django import forms

from planner.engagement.models import (
    MAX_CHECKLIST_CHARS,
    MAX_REPLY_CHARS,
    ReplyApprovalMode,
    StrikeStep,
)


class ReplyForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_REPLY_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "reply-text"}),
        label="Reply",
    )


class StrikeForm(forms.Form):
    step = forms.TypedChoiceField(choices=StrikeStep.choices, coerce=int)
    note = forms.CharField(max_length=500, required=False, strip=True)


class CrisisForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What is happening (for the admins)",
    )


class ChecklistForm(forms.Form):
    steps = forms.CharField(
        max_length=MAX_CHECKLIST_CHARS,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-testid": "checklist-steps"}),
        label="Crisis steps, one a line",
    )


class ReplyModeForm(forms.Form):
    """The brand's reply approval mode and one optional override per channel."""

    mode = forms.ChoiceField(
        choices=ReplyApprovalMode.choices,
        label="Replies need",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.channels = list(channels)
        for channel in self.channels:
            self.fields[f"channel_{channel.pk}"] = forms.ChoiceField(
                choices=[("", "The brand's setting"), *ReplyApprovalMode.choices],
                required=False,
                label=channel.handle,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def channel_modes(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"channel_{c.pk}") or "" for c in self.channels}
