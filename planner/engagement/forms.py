"""Forms of the inbox pages: validation and layout only."""

from __future__ import annotations

from django import forms

from planner.engagement.models import MAX_QUERY, ReplyApprovalMode, SearchKind

WEEKDAYS = [
    (1, "Mon"),
    (2, "Tue"),
    (3, "Wed"),
    (4, "Thu"),
    (5, "Fri"),
    (6, "Sat"),
    (7, "Sun"),
]


class ResponseSettingsForm(forms.Form):
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_hour = forms.IntegerField(min_value=0, max_value=23, label="Opens at (hour)")
    end_hour = forms.IntegerField(min_value=1, max_value=24, label="Closes at (hour)")
    target_hours = forms.DecimalField(
        min_value=0.1,
        max_value=720,
        decimal_places=2,
        required=False,
        label="Target (business hours)",
        help_text="Empty: one business day.",
    )
    due_soon_minutes = forms.IntegerField(
        min_value=0, max_value=43200, label="Due soon (business minutes before the target)"
    )
    reply_approval_mode = forms.ChoiceField(choices=ReplyApprovalMode.choices, label="Replies need")


class SavedSearchForm(forms.Form):
    query = forms.CharField(max_length=MAX_QUERY, label="Search for")
    kind = forms.ChoiceField(choices=SearchKind.choices)
    channel = forms.TypedChoiceField(coerce=int, choices=())

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.pk, f"{c.handle} ({c.platform})") for c in channels]
