"""Forms for publishing: they validate and lay out; the views call one service."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from planner.posts.forms import LocalDateTimeField


def _helper(submit: str, *, css: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", submit, css_class=css))
    return helper


class ReleaseForm(forms.Form):
    """Re-confirm a held post: a new time (empty: now) and the channel's handle, typed."""

    confirm_handle = forms.CharField(
        label="Type the channel's handle to confirm",
        max_length=300,
        help_text="The account this post will go out as.",
    )

    def __init__(self, *args, tz, handle: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheduled_at"] = LocalDateTimeField(
            tz=tz,
            required=False,
            label=f"New time ({tz.key})",
            help_text="Leave empty to send it at the next dispatcher pass.",
        )
        self.order_fields(["scheduled_at", "confirm_handle"])
        self.fields["confirm_handle"].widget.attrs.update(
            {"placeholder": handle, "autocomplete": "off"}
        )
        self.helper = _helper("Re-confirm and release")


class PauseForm(forms.Form):
    reason = forms.CharField(
        label="Why is publishing paused?",
        max_length=500,
        help_text="Everyone in the brand sees this while it is paused.",
    )

    def __init__(self, *args, submit: str = "Pause publishing", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit, css="btn-danger")


class ResumeForm(forms.Form):
    confirm = forms.CharField(label="Type the brand's short name to confirm", max_length=200)

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].widget.attrs.update({"placeholder": slug, "autocomplete": "off"})
        self.helper = _helper("Resume publishing", css="btn-success")
