"""Forms validate and lay out (crispy); views pass their data to one service."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.urls import reverse

from accounts.models import HEX_COLOUR, Brand, Channel
from planner.models import (
    MAX_ALT_TEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    Campaign,
    Category,
)
from planner.posts.services import SOON_MINUTES  # the service decides; the help text says it
from planner.timeutil import local_to_utc

LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return f"{obj.handle} ({obj.get_platform_display()})"


class SingleChannelField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return f"{obj.handle} ({obj.get_platform_display()}) · {obj.brand.name}"


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the brand's zone, as typed; converted to UTC in ``clean``.

    Parsed without Django's current-time-zone conversion so that a time skipped or repeated
    by a daylight-saving change is refused with a clear message instead of guessed.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, tz, **kwargs):
        self.tz = tz
        kwargs.setdefault("input_formats", LOCAL_INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        for fmt in self.input_formats:
            try:
                naive = dt.datetime.strptime(str(value).strip(), fmt)
            except (ValueError, TypeError):
                continue
            return local_to_utc(naive, self.tz)
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(self.tz).replace(tzinfo=None)
        return super().prepare_value(value)


def freeze(field: forms.ModelChoiceField) -> list:
    """Evaluate the field's choices now (in the view), so rendering the form never queries.

    Validation still checks the submitted value against the field's queryset.
    """
    items = list(field.queryset)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = empty + [(obj.pk, field.label_from_instance(obj)) for obj in items]
    return items


def form_helper(*, submit: str | None = None, form_tag: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit:
        helper.add_input(Submit("submit", submit))
    return helper


class _Count(int):
    """A length that reads with thousands separators in a message ("10,001")."""

    def __str__(self) -> str:
        return f"{int(self):,}"


class _CountedMaxLength(MaxLengthValidator):
    def clean(self, x) -> int:
        return _Count(len(x))


def no_silent_cut(field: forms.CharField, *, what: str) -> None:
    """No ``maxlength`` on the widget: a browser silently drops what is pasted past it.
    The limit is said in the help text and checked on the server, with the count."""
    field.widget.attrs.pop("maxlength", None)
    field.validators = [
        _CountedMaxLength(v.limit_value) if type(v) is MaxLengthValidator else v
        for v in field.validators
    ]
    field.error_messages["max_length"] = (
        f"{what} is %(show_value)s characters; the most is {field.max_length:,}. "
        "Nothing was cut: shorten it and save again."
    )


class _PostFields(forms.Form):
    text = forms.CharField(
        label="Post text",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT_CHARS,
        strip=False,
        help_text=f"Up to {MAX_TEXT_CHARS:,} characters here; each channel's own limit is "
        "counted as you type. Nothing you type is cut off.",
    )
    category = forms.ChoiceField(choices=Category.choices)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)

    def __init__(self, *args, brand: Brand, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.brand = brand
        no_silent_cut(self.fields["text"], what="The post")
        if "alt_text" in self.fields:
            no_silent_cut(self.fields["alt_text"], what="The alt text")
        self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].empty_label = "No campaign"
        freeze(self.fields["campaign"])
        self.fields["scheduled_at"] = LocalDateTimeField(
            tz=brand.tz,
            required=False,
            label=f"Scheduled time ({brand.timezone})",
            help_text="Leave empty for an undated draft.",
        )
        self.fields["confirm_handles"] = forms.CharField(
            required=False,
            max_length=500,
            label="Confirm who it posts as",
            help_text=f"Only for a time within {SOON_MINUTES} minutes: type the handle of each "
            "channel (e.g. @brand) to confirm it is the account you mean.",
        )

    def handles(self) -> list[str]:
        """The handles typed to confirm (checked by the service, not here)."""
        return (self.cleaned_data.get("confirm_handles") or "").replace(",", " ").split()


class ComposeForm(_PostFields):
    """Compose once for one or more channels. Media: one optional file with its alt text."""

    channels = ChannelChoiceField(
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One draft is made for each channel; edit each on its own afterwards.",
    )
    media_file = forms.FileField(
        required=False,
        label="Image or video",
        help_text="Checked against every ticked channel's platform (type, size, length, "
        "aspect ratio, frame rate). Large files upload in parts and resume after a failure.",
        widget=forms.ClearableFileInput(attrs={"data-chunked-upload": "1"}),
    )
    upload_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    alt_text = forms.CharField(
        required=False,
        max_length=MAX_ALT_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for images: describe it for people who cannot see it "
        f"(up to {MAX_ALT_TEXT_CHARS:,} characters).",
    )

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels
        self.fields["media_file"].widget.attrs["data-upload-url"] = reverse(
            "upload_start", kwargs={"slug": self.brand.slug}
        )
        self.channel_list = freeze(self.fields["channels"])
        self.order_fields(["channels", "text", "category", "campaign", "scheduled_at"])
        self.helper = form_helper(submit="Save drafts")
        self.helper.form_id = "compose-form"
        self.helper.attrs = {"enctype": "multipart/form-data", "novalidate": ""}
        self.helper.layout = Layout(
            Field("channels"),
            Field("text", css_class="font-monospace", data_testid="compose-text"),
            Div(
                Div("category", css_class="col-md-4"),
                Div("campaign", css_class="col-md-4"),
                Div("scheduled_at", css_class="col-md-4"),
                css_class="row",
            ),
            Field("confirm_handles"),
            Fieldset("Attachment", "media_file", "upload_id", "alt_text"),
        )


class PostEditForm(_PostFields):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none())
    #: The revision the editor started from: a save on top of a newer one is refused.
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels
        freeze(self.fields["channel"])
        self.fields["channel"].help_text = "Only this brand's channels: to post elsewhere, copy."
        self.order_fields(["channel", "text", "category", "campaign", "scheduled_at"])
        self.helper = form_helper(submit="Save changes")
        self.helper.form_id = "edit-form"
        self.helper.attrs = {"novalidate": ""}


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_COMMENT_CHARS,
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Add comment")


class MediaForm(forms.Form):
    media_file = forms.FileField(
        label="Image or video",
        required=False,
        widget=forms.ClearableFileInput(attrs={"data-chunked-upload": "1"}),
    )
    upload_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    alt_text = forms.CharField(
        required=False,
        max_length=MAX_ALT_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Required for images; up to {MAX_ALT_TEXT_CHARS:,} characters.",
    )

    def __init__(self, *args, brand: Brand | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        no_silent_cut(self.fields["alt_text"], what="The alt text")
        if brand is not None:
            self.fields["media_file"].widget.attrs["data-upload-url"] = reverse(
                "upload_start", kwargs={"slug": brand.slug}
            )
        self.helper = form_helper(submit="Attach")
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean(self):
        data = super().clean()
        if not data.get("media_file") and not data.get("upload_id"):
            self.add_error("media_file", "Choose an image or a video.")
        return data


class CopyForm(forms.Form):
    channel = SingleChannelField(
        queryset=Channel.objects.none(),
        label="Copy to channel",
        help_text="A new draft is made there; this post stays where it is.",
    )

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels
        freeze(self.fields["channel"])
        self.helper = form_helper(submit="Make a copy")


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_CHARS, strip=False)
    colour = forms.CharField(
        required=False,
        validators=[HEX_COLOUR],
        widget=forms.TextInput(attrs={"type": "color"}),
        initial="#6f42c1",
    )
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(submit="Add campaign")

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "A campaign cannot end before it starts.")
        return data
