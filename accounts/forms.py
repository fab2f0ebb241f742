"""Forms validate and lay out; they never save on their own (views call services)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from accounts.models import BRAND_EDITABLE_FIELDS, Brand, Channel, Role

PERSONAL_PLATFORMS = [
    ("mastodon", "Mastodon"),
    ("bluesky", "Bluesky"),
    ("x", "X"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("linkedin", "LinkedIn"),
    ("threads", "Threads"),
    ("tiktok", "TikTok"),
]


def _helper(submit: str, *, form_class: str = "", action: str = "") -> FormHelper:
    helper = FormHelper()
    helper.form_class = form_class
    if action:
        helper.form_action = action
    helper.add_input(Submit("submit", submit))
    return helper


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Sign in")
        self.fields["username"].widget.attrs["autofocus"] = True


class ResetRequestForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Email me a link")


class ResetSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Set my password")


class ChangePasswordForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Change my password")


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = list(BRAND_EDITABLE_FIELDS)
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save settings")


class BrandCreateForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "slug", "timezone", "colour", "approvals_required"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Create brand")


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=True, **kwargs
        )


class MemberInviteForm(forms.Form):
    username_or_email = forms.CharField(
        label="Username or email",
        max_length=254,
        help_text="An existing username, or an email address to invite someone new.",
    )
    roles = RolesField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Add member")


class MemberEditForm(forms.Form):
    roles = RolesField()
    channels_restricted = forms.BooleanField(
        required=False,
        label="Only on the channels ticked below",
        help_text="Off: all of the brand's channels, including ones connected later. "
        "On with none ticked: no channels.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ticking a channel limits this member to the channels ticked.",
    )

    def __init__(self, *args, brand: Brand, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(brand=brand)
        self.helper = _helper("Save member")


class PersonalAccountForm(forms.Form):
    platform = forms.ChoiceField(choices=PERSONAL_PLATFORMS)
    handle = forms.CharField(max_length=255, help_text="e.g. @jo or @jo@mastodon.social")
    instance_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="For Mastodon: your server, e.g. https://mastodon.social",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("Register my account")


class ChannelConnectForm(forms.Form):
    """Connect a brand account. The fields a platform needs are shown for that platform."""

    platform = forms.ChoiceField(choices=[])
    instance_url = forms.CharField(
        required=False,
        max_length=500,
        label="Server / URL",
        help_text="Mastodon: your server (https://mastodon.social). Bluesky: the PDS "
        "(default https://bsky.social). Webhook: the receiver URL.",
    )
    access_token = forms.CharField(
        required=False, max_length=4096, widget=forms.PasswordInput, label="Access token"
    )
    identifier = forms.CharField(required=False, max_length=255, label="Bluesky handle")

    @staticmethod
    def mastodon_token_help() -> str:
        from platforms.mastodon import MastodonClient

        scopes = ", ".join(MastodonClient.token_scopes)
        return (
            "Mastodon: on your server open Preferences → Development → New application, "
            f"tick only the scopes {scopes}, save, and paste “Your access token” here."
        )

    app_password = forms.CharField(
        required=False, max_length=255, widget=forms.PasswordInput, label="App password"
    )
    secret = forms.CharField(
        required=False, max_length=4096, widget=forms.PasswordInput, label="Signing secret"
    )
    handle = forms.CharField(required=False, max_length=100, label="Outbox handle")

    def __init__(self, *args, **kwargs):
        from accounts.models import Platform

        super().__init__(*args, **kwargs)
        from accounts.services.oauth_connect import OAUTH_PLATFORMS

        # The consent-page platforms have their own "Connect …" buttons.
        self.fields["platform"].choices = [
            (value, label) for value, label in Platform.choices if value not in OAUTH_PLATFORMS
        ]
        self.fields["access_token"].help_text = self.mastodon_token_help()
        self.helper = _helper("Check with the platform and connect")

    def credential(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in ("access_token", "identifier", "app_password", "secret", "handle")
            if data.get(key)
        }
