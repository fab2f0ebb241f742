"""Policy forms: one rule at a time, a YAML import, and the "try it" box."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Layout, Row, Submit
from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from policy.engine import PolicyFormatError, validate_rules
from policy.engine.schema import MAX_CANONICAL_CHARS, MAX_POLICY_BYTES, decode_policy_bytes

KIND_CHOICES = [
    ("banned_terms", "Banned terms"),
    ("sensitive_topics", "Sensitive topics"),
    ("brand_spelling", "Brand spelling"),
    ("required_terms", "Required terms"),
    ("max_count", "Maximum count"),
    ("link_domains", "Allowed link domains"),
    ("hashtags", "New hashtags"),
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


# The fields each kind of rule has, beyond the common ones; the page shows only those of
# the chosen kind (static/js/policy-rule-form.js) and the form validates only those.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "banned_terms": ("terms",),
    "sensitive_topics": ("terms", "when_promotional"),
    "brand_spelling": ("canonical",),
    "required_terms": ("terms",),
    "max_count": ("what", "max"),
    "link_domains": ("allow",),
    "hashtags": ("known",),
}
KIND_ONLY_FIELDS = ("terms", "canonical", "what", "max", "allow", "when_promotional", "known")
OPTIONAL_FIELDS = ("when_promotional", "known")
# A rule's key in the policy file -> the form field it comes from.
RULE_KEY_FIELDS = {"any_of": "terms", "name": "id"}
MISSING = {
    "terms": "Enter at least one term, one per line.",
    "canonical": "Enter the brand name as it should be written.",
    "what": "Choose what to count.",
    "max": "Enter the most a post may have (0 or more).",
    "allow": "Enter at least one domain, e.g. example.com.",
}


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
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line (required terms: a post needs any one of them).",
    )
    canonical = forms.CharField(
        required=False,
        label="Brand name",
        max_length=MAX_CANONICAL_CHARS,
        help_text="As it should be written, e.g. KitchenAid.",
    )
    what = forms.ChoiceField(
        choices=[("", "choose…"), *WHAT_CHOICES], required=False, label="What to count"
    )
    max = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        label="At most",
        help_text="The most a post may have, e.g. 2.",
    )
    allow = forms.CharField(
        required=False,
        label="Allowed link domains",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line; subdomains are allowed too.",
    )
    when_promotional = forms.BooleanField(
        required=False,
        label="Block when the post is promotional",
        help_text="A price, a discount, a sale, a promo code, a shop link or the promotional "
        "category makes a finding of this rule block.",
    )
    known = forms.CharField(
        required=False,
        label="Hashtags that are always fine",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Besides the brand's vocabulary (Policy → Hashtags). One per line.",
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

    def __init__(self, *args, submit: str = "Save rule", taken_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.taken_ids = set(taken_ids)  # ids of the policy's other rules
        self.helper = FormHelper()
        self.helper.form_id = "rule-form"
        self.helper.layout = Layout(
            "id",
            "kind",
            "severity",
            "message",
            *(
                Div(
                    name,
                    css_class="kind-fields",
                    data_kinds=" ".join(k for k, names in KIND_FIELDS.items() if name in names),
                )
                for name in KIND_ONLY_FIELDS
            ),
            "enabled",
            "channels",
            "categories",
            "requires_recertification",
        )
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
        initial["known"] = "\n".join(rule.get("known") or [])
        initial["when_promotional"] = rule.get("when_promotional") == "block"
        initial["channels"] = ", ".join(rule.get("channels") or [])
        initial["categories"] = ", ".join(rule.get("categories") or [])
        return initial

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind not in KIND_FIELDS:
            return data
        # Only the chosen kind's fields count: the others may hold what was typed for
        # another kind, and are neither checked nor saved.
        for name in KIND_ONLY_FIELDS:
            if name not in KIND_FIELDS[kind]:
                self.errors.pop(name, None)
                data.pop(name, None)
        for name in KIND_FIELDS[kind]:
            value = data.get(name)
            if name in OPTIONAL_FIELDS:
                continue
            if name not in self.errors and (value is None or not str(value).strip()):
                self.add_error(name, MISSING[name])
        rule_id = data.get("id")
        if rule_id and rule_id in self.taken_ids:
            self.add_error("id", f"The policy already has a rule '{rule_id}'.")
        if self.errors:
            return data
        rule = {k: data[k] for k in ("id", "kind", "severity", "message")}
        if kind in ("banned_terms", "sensitive_topics"):
            rule["terms"] = _lines(data.get("terms"))
            if kind == "sensitive_topics" and data.get("when_promotional"):
                rule["when_promotional"] = "block"
        elif kind == "hashtags":
            if _lines(data.get("known")):
                rule["known"] = _lines(data.get("known"))
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
            self.rule = validate_rules([rule], strict=True)[0]
        except PolicyFormatError as exc:
            field = RULE_KEY_FIELDS.get(exc.field, exc.field)
            if field in self.fields:
                self.add_error(field, _sentence(exc.detail))
            else:
                raise forms.ValidationError(str(exc)) from exc
        return data


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


class PolicyImportForm(forms.Form):
    yaml_file = forms.FileField(required=False, label="Policy file (.yaml)")
    yaml_text = forms.CharField(
        required=False,
        strip=False,  # the lines of an error must be the lines pasted
        label="…or paste YAML",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )
    note = forms.CharField(required=False, max_length=300)
    requires_recertification = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A NUL is refused by the policy parser with its line and column, like any other
        # control character, rather than by Django's generic "Null characters" check.
        field = self.fields["yaml_text"]
        field.validators = [
            v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.add_input(Submit("submit", "Import as a new version"))

    def clean(self):
        data = super().clean()
        upload = data.get("yaml_file")
        if upload:
            if upload.size > MAX_POLICY_BYTES:
                raise forms.ValidationError("The policy file is larger than 1 MB.")
            try:
                data["yaml"] = decode_policy_bytes(upload.read())
            except PolicyFormatError as exc:
                raise forms.ValidationError(f"{exc}.") from exc
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
        self.fields["text"].widget.attrs["rows"] = 7
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form carries the live-check attributes
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "text",
            Row(
                Column("channel", css_class="col-12 col-sm-6"),
                Column("category", css_class="col-12 col-sm-6"),
            ),
        )


# --- the newsjacking guard ----------------------------------------------------------------

DURATION_CHOICES = [
    ("1", "1 day"),
    ("2", "2 days"),
    ("3", "3 days"),
    ("7", "a week"),
    ("14", "two weeks"),
    ("30", "a month"),
]


class MomentForm(forms.Form):
    """A sensitive moment in a few seconds: a name, what to look for, how long."""

    name = forms.CharField(
        max_length=120, label="Moment", help_text="e.g. Hurricane Sandy, or the event's name."
    )
    entries = forms.CharField(
        max_length=4000,
        label="Terms and #tags",
        help_text="Separated by commas: a storm's name, a city, the event's hashtag.",
        widget=forms.TextInput(attrs={"placeholder": "Sandy, #Sandy, hurricane sandy"}),
    )
    severity = forms.ChoiceField(
        choices=[("block", "Block while it lasts"), ("warn", "Warn while it lasts")],
        initial="block",
    )
    days = forms.TypedChoiceField(choices=DURATION_CHOICES, coerce=int, initial="3", label="For")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, submit: str = "Add the moment", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("name", css_class="col-12 col-md-6"),
                Column("entries", css_class="col-12 col-md-6"),
            ),
            Row(
                Column("severity", css_class="col-12 col-sm-6"),
                Column("days", css_class="col-12 col-sm-6"),
            ),
            "next",
        )
        self.helper.add_input(Submit("submit", submit, css_class="btn-danger"))


class HashtagForm(forms.Form):
    tag = forms.CharField(max_length=101, label="Hashtag", help_text="e.g. #BakingDay")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Add to the vocabulary"))


class PresetForm(forms.Form):
    preset = forms.ChoiceField(label="This brand is")

    def __init__(self, *args, **kwargs):
        from policy.engine.presets import PRESETS

        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(p.key, p.label) for p in PRESETS.values()]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Apply as a new version"))
