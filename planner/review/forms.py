"""Forms for review decisions and approval rules: they validate and lay out."""

from __future__ import annotations

from crispy_forms.layout import Div, Layout
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import ngettext

from accounts.models import Channel, Role
from planner.models import (
    MAX_REASON_CHARS,
)
from planner.posts.forms import form_helper, freeze

# --- review ------------------------------------------------------------------------------


class _DecisionForm(forms.Form):
    """A review action's form. It accepts exactly its own fields: anything else posted with it
    (a forged ``status``, say) makes it invalid, and the view records the attempt."""

    #: Fields every form post may carry besides the form's own.
    ALWAYS_ALLOWED = frozenset({"csrfmiddlewaretoken", "submit"})

    def clean(self):
        data = super().clean()
        unexpected = sorted(
            name.encode("utf-8", "replace").decode("utf-8")[:40]
            for name in set(self.data) - set(self.fields) - self.ALWAYS_ALLOWED
        )
        if unexpected:
            raise ValidationError(
                ngettext(
                    "Unexpected field: %s. Nothing was changed.",
                    "Unexpected fields: %s. Nothing was changed.",
                    len(unexpected),
                )
                % ", ".join(unexpected)[:200],
                code="unexpected_fields",
            )
        return data


class SubmitForm(_DecisionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Submit for review")


class ApproveForm(_DecisionForm):
    """Carries the content hash of the version the approver is looking at."""

    content_hash = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        strip=False,
        validators=[
            RegexValidator(r"^[0-9a-f]{64}\Z", "The form is missing the version you looked at.")
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Approve this version")
        self.helper.form_id = "approve-form"


class RejectForm(_DecisionForm):
    reason = forms.CharField(
        label="Reason (the author sees it)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON_CHARS,
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Send back to the author")
        self.helper.form_id = "reject-form"


# --- approval rules ----------------------------------------------------------------------


class ApprovalCountForm(forms.Form):
    approvals_required = forms.IntegerField(
        label="Approvals needed",
        min_value=1,
        max_value=10,
        help_text="Distinct approvers needed when the brand has no steps.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Save")
        self.helper.form_id = "approvals-count-form"


class ChannelApprovalsForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), widget=forms.HiddenInput)
    required = forms.IntegerField(
        label="Approvals needed on this channel",
        min_value=1,
        max_value=10,
        required=False,
        help_text="Raise the brand's number for this channel; empty uses the brand's.",
    )

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels
        self.helper = form_helper(form_tag=False)


class ApprovalStepForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="E.g. Brand, then Legal.")
    required = forms.IntegerField(label="Approvals needed", min_value=1, max_value=10, initial=1)
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.APPROVER,
        help_text="Approvers of this step also need this role (everyone needs the approver "
        "role on the post's channel).",
    )
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        required=False,
        empty_label="Any group",
        help_text="Optionally, approvers of this step must be in this group.",
    )

    def __init__(self, *args, groups, submit: str = "Add step", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        freeze(self.fields["group"])
        self.helper = form_helper(submit=submit)
        self.helper.layout = Layout(
            Div(
                Div("name", css_class="col-md-3"),
                Div("required", css_class="col-md-2"),
                Div("role", css_class="col-md-3"),
                Div("group", css_class="col-md-4"),
                css_class="row",
            )
        )
