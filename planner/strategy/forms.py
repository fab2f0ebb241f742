"""Forms for strategy: the brand's mix targets and link rules, a post's credit. They
validate and lay out; the services save."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from planner.models import Category
from planner.posts.forms import LocalDateTimeField


class StrategyForm(forms.Form):
    """One share per category (blank: no target) over one window, and the UTM rules."""

    window_days = forms.IntegerField(
        min_value=1, max_value=90, initial=14, label="Rolling window (days)"
    )
    tracking_enabled = forms.BooleanField(required=False, label="Tag links to our domains")
    domains = forms.CharField(
        required=False,
        max_length=3000,
        label="Our domains",
        help_text="Space- or comma-separated, e.g. example.com shop.example.com "
        "(subdomains included).",
    )
    medium = forms.CharField(max_length=50, initial="social", label="utm_medium")
    content = forms.CharField(max_length=100, required=False, label="utm_content (optional)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Category.choices:
            self.fields[f"max_{value}"] = forms.IntegerField(
                min_value=0,
                max_value=100,
                required=False,
                label=f"{label}: at most (%)",
            )
        self.order_fields(
            [f"max_{v}" for v in Category.values]
            + ["window_days", "tracking_enabled", "domains", "medium", "content"]
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))


class CreditForm(forms.Form):
    author_handle = forms.CharField(max_length=255, label="Original author's handle")
    source_url = forms.URLField(max_length=500, label="Link to their post", assume_scheme="https")
    permission_from = forms.CharField(
        max_length=255, required=False, label="Permission: who gave it"
    )
    permission_at = forms.DateTimeField(required=False, label="When")
    permission_how = forms.CharField(
        max_length=500, required=False, label="How (a reply, a DM, an email…)"
    )

    def __init__(self, *args, brand, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission_at"] = LocalDateTimeField(tz=brand.tz, required=False, label="When")
        self.order_fields(
            ["author_handle", "source_url", "permission_from", "permission_at", "permission_how"]
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))
