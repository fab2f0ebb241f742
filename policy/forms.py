"""Policy forms: one rule at a time, a YAML import, and the "try it" box."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from policy.engine import PolicyFormatError, validate_rules

KIND_CHOICES = [
    ("banned_terms", "Banned terms"),
    ("sensitive_topics", "Sensitive topics"),
    ("brand_spelling", "Brand spelling"),
    ("required_terms", "Required terms"),
    ("max_count", "Maximum count"),
    ("link_domains", "Allowed link domains"),
]
WHAT_CHOICES = [
    ("hashtags", "hashtags"),
    ("mentions", "mentions"),
    ("links", "links"),
    ("emoji", "emoji"),
]
CATEGORY_HINT = "promotional, engagement, user_generated, support, news"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]


class RuleForm(forms.Form):
    id = forms.SlugField(
        max_length=64, label="Rule id", help_text="Short and stable, e.g. no-politics."
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    severity = forms.ChoiceField(
        choices=[("block", "Block: refuses submission"), ("warn", "Warn: approvers see it")]
    )
    message = forms.CharField(max_length=300, help_text="What the author is told.")
    enabled = forms.BooleanField(required=False, initial=True)
    terms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Banned terms / sensitive topics / required terms: one per line.",
    )
    canonical = forms.CharField(
        required=False, max_length=100, help_text="Brand spelling, e.g. KitchenAid."
    )
    what = forms.ChoiceField(choices=WHAT_CHOICES, required=False, help_text="For maximum count.")
    max = forms.IntegerField(required=False, min_value=0, max_value=1000)
    allow = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Allowed link domains, one per line (subdomains are allowed too).",
    )
    channels = forms.CharField(
        required=False, help_text="Only for these channel handles or platforms (comma-separated)."
    )
    categories = forms.CharField(
        required=False, help_text=f"Only for these categories: {CATEGORY_HINT}."
    )
    requires_recertification = forms.BooleanField(
        required=False, help_text="People must pass the quiz again on this version."
    )

    def __init__(self, *args, submit: str = "Save rule", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit))

    @classmethod
    def initial_from_rule(cls, rule: dict) -> dict:
        initial = {
            k: rule.get(k)
            for k in ("id", "kind", "severity", "message", "canonical", "what", "max")
        }
        initial["enabled"] = rule.get("enabled", True)
        initial["terms"] = "\n".join(rule.get("terms") or rule.get("any_of") or [])
        initial["allow"] = "\n".join(rule.get("allow") or [])
        initial["channels"] = ", ".join(rule.get("channels") or [])
        initial["categories"] = ", ".join(rule.get("categories") or [])
        return initial

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = {k: data[k] for k in ("id", "kind", "severity", "message")}
        kind = data["kind"]
        if kind in ("banned_terms", "sensitive_topics"):
            rule["terms"] = _lines(data.get("terms"))
        elif kind == "required_terms":
            rule["any_of"] = _lines(data.get("terms"))
        elif kind == "brand_spelling":
            rule["canonical"] = (data.get("canonical") or "").strip()
        elif kind == "max_count":
            rule["what"] = data.get("what") or ""
            rule["max"] = data.get("max")
        elif kind == "link_domains":
            rule["allow"] = _lines(data.get("allow"))
        if data.get("channels"):
            rule["channels"] = _lines(data["channels"])
        if data.get("categories"):
            rule["categories"] = _lines(data["categories"])
        if not data.get("enabled"):
            rule["enabled"] = False
        try:
            self.rule = validate_rules([rule])[0]
        except PolicyFormatError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class PolicyImportForm(forms.Form):
    yaml_file = forms.FileField(required=False, label="Policy file (.yaml)")
    yaml_text = forms.CharField(
        required=False,
        label="…or paste YAML",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )
    note = forms.CharField(required=False, max_length=300)
    requires_recertification = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.add_input(Submit("submit", "Import as a new version"))

    def clean(self):
        data = super().clean()
        upload = data.get("yaml_file")
        if upload:
            if upload.size > 1_000_000:
                raise forms.ValidationError("The policy file is larger than 1 MB.")
            try:
                data["yaml"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("The file is not UTF-8 text.") from exc
        else:
            data["yaml"] = data.get("yaml_text") or ""
        if not data["yaml"].strip():
            raise forms.ValidationError("Choose a file or paste the policy.")
        return data


class TryItForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
        label="Post text",
    )
    channel = forms.ChoiceField(required=False)
    category = forms.ChoiceField(
        required=False,
        choices=[("", "any category")]
        + [
            (c, c.replace("_", " "))
            for c in ("promotional", "engagement", "user_generated", "support", "news")
        ],
    )

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "any channel")] + [
            (str(c.pk), c.handle) for c in channels
        ]
