"""People, brands (workspaces), memberships with roles, channels and personal accounts."""

from __future__ import annotations

import secrets
import unicodedata
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.crypto import decrypt_credential, encrypt_credential

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, e.g. #0d6efd.")
SLUG = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits and hyphens (not at either end).",
)


# Bidirectional embeddings, overrides and isolates: they reorder how a name is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(value: str) -> bool:
    """Whether the text has a control character (C0/C1, NUL, newline, tab, DEL), a line or
    paragraph separator, or a bidirectional override. Emoji joiners are fine."""
    return any(
        unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in value or ""
    )


def validate_no_control_characters(value: str) -> None:
    """For names shown to people and put in emails: handles, display names."""
    if has_control_characters(value):
        raise ValidationError(
            "This may not contain newlines, tabs or other control characters.",
            code="control_characters",
        )


def new_stamp() -> str:
    """A fresh random value for a cache stamp (``Brand.lint_context_stamp``)."""
    return secrets.token_hex(16)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).")


class User(AbstractUser):
    """The project's own user model, in place from the first migration."""

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class Role(models.TextChoices):
    AUTHOR = "author", "Author"
    APPROVER = "approver", "Approver"
    TRAINER = "trainer", "Trainer"
    ADMIN = "admin", "Brand admin"


#: What a brand admin may change about a brand (the app's settings form, the admin).
BRAND_EDITABLE_FIELDS = (
    "name",
    "timezone",
    "colour",
    "approvals_required",
    "require_certification",
    "certification_validity_days",
    "quiet_days",
)


class Brand(models.Model):
    slug = models.SlugField(max_length=50, unique=True, validators=[SLUG])
    name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    colour = models.CharField(max_length=7, default="#0d6efd", validators=[HEX_COLOUR])
    approvals_required = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Distinct approvers needed before a post is scheduled.",
    )
    require_certification = models.BooleanField(
        default=False,
        help_text="Only people with a valid policy certification may submit and approve.",
    )
    certification_validity_days = models.PositiveIntegerField(
        default=365, validators=[MinValueValidator(1)]
    )
    quiet_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Warn when a channel has nothing planned for this many days.",
    )
    is_paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=500, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: The brand's current policy version (the highest number), kept by
    #: ``policy.services.policy_version_create`` in the transaction that writes the version,
    #: so a check reads it with the brand row instead of asking for the latest version.
    policy_version = models.ForeignKey(
        "policy.PolicyVersion",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Changes (to a new random value) whenever the brand's hashtag vocabulary or the
    #: sensitive moments that apply to it change, so each process keeps the brand's lint
    #: context (``policy.selectors.lint_context``) and checks it with the brand row it
    #: already read instead of reading the vocabulary and moments again for every lint.
    lint_context_stamp = models.CharField(
        max_length=32, default=new_stamp, editable=False, blank=True
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            ("author_brand", "Can draft posts for the brand"),
            ("approve_brand", "Can approve the brand's posts"),
            ("train_brand", "Can run the brand's policy training"),
            ("admin_brand", "Can administer the brand"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1) & Q(approvals_required__lte=10),
                name="brand_approvals_required_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("brand_detail", kwargs={"slug": self.slug})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A person's place in a brand: any combination of roles, optionally limited to channels."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    is_author = models.BooleanField("author", default=False)
    is_approver = models.BooleanField("approver", default=False)
    is_trainer = models.BooleanField("trainer", default=False)
    is_admin = models.BooleanField("brand admin", default=False)
    channels_restricted = models.BooleanField(
        "limited to some channels",
        default=False,
        help_text="When on, the member may draft and approve only on the channels listed; "
        "if those channels are removed, on none.",
    )
    channels = models.ManyToManyField(
        "accounts.Channel",
        blank=True,
        related_name="restricted_memberships",
        help_text="The channels of a limited member (ignored unless limited).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "brand"], name="membership_unique_user_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.brand}"

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if getattr(self, f"is_{role.value}")]

    def has_role(self, role: str) -> bool:
        return bool(getattr(self, f"is_{role}", False))


class BrandGroup(models.Model):
    """A group of a brand's people (Legal, Brand...), which the brand's approval steps may
    require approvers to be in. Every group a brand can see or use has one; an ``auth.Group``
    without one belongs to the installation (staff permissions) and is offered to no brand.
    Only members of the brand are added to it."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, primary_key=True, related_name="brand_group"
    )
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="brand_groups")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "group__name"]

    def __str__(self) -> str:
        return f"{self.group.name} ({self.brand})"


class Platform(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    X = "x", "X"
    LINKEDIN = "linkedin", "LinkedIn"
    FACEBOOK = "facebook", "Facebook Page"
    INSTAGRAM = "instagram", "Instagram"
    THREADS = "threads", "Threads"
    WEBHOOK = "webhook", "Signed webhook"
    OUTBOX = "outbox", "Local outbox (demo)"


class Channel(models.Model):
    """A brand's social account. Countersign only ever publishes to these."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="channels")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=255, validators=[validate_no_control_characters])
    display_name = models.CharField(
        max_length=255, blank=True, validators=[validate_no_control_characters]
    )
    avatar_url = models.URLField(max_length=500, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    instance_url = models.CharField(max_length=500, blank=True)
    remote_account_id = models.CharField(
        max_length=255, help_text="The platform's stable id for the account, stored at connect."
    )
    credential_encrypted = models.TextField(blank=True, editable=False)
    max_characters = models.PositiveIntegerField(null=True, blank=True)
    approvals_required = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Raise the brand's number of approvals for this channel (never lower it).",
    )
    is_paused = models.BooleanField(default=False)
    paused_reason = models.CharField(max_length=500, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    reconnect_reason = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="Set when the platform refused the credential (a token that could not be "
        "refreshed): the channel must be reconnected; its posts are held meanwhile.",
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "platform", "handle"]
        permissions = [
            ("post_channel", "Can draft posts for the channel"),
            ("approve_channel", "Can approve posts for the channel"),
        ]
        constraints = [
            # One remote account can be a channel of one brand only, once.
            models.UniqueConstraint(
                fields=["platform", "instance_url", "remote_account_id"],
                name="channel_unique_remote_account",
            ),
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values), name="channel_platform_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.get_platform_display()})"

    @property
    def needs_reconnect(self) -> bool:
        return bool(self.reconnect_reason)

    @property
    def credential(self) -> dict:
        return decrypt_credential(self.credential_encrypted)

    def set_credential(self, data: dict) -> None:
        self.credential_encrypted = encrypt_credential(data) if data else ""


class PersonalAccount(models.Model):
    """A staff member's own social account: never to be connected as a brand channel."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_accounts"
    )
    platform = models.CharField(max_length=20)
    instance_url = models.CharField(max_length=500, blank=True)
    handle = models.CharField(max_length=255, validators=[validate_no_control_characters])
    normalized_handle = models.CharField(max_length=255, editable=False)
    remote_account_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "normalized_handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "normalized_handle"], name="personal_account_unique_handle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.platform}, {self.user})"


class AuditEvent(models.Model):
    """Append-only record of who did what. Lives in accounts so every app can write it.

    The database refuses UPDATE and DELETE on this table (triggers added by a migration), and
    neither the brand nor the actor can be deleted while they have events (PROTECT): people
    with history are deactivated instead. ``actor_username`` keeps the name as it was.
    """

    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True, editable=False)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """An in-app notice to one person (also emailed when it matters)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}: {self.subject}"
