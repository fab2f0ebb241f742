"""Serializers for posts, comments, campaigns and media in the API."""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Brand, Channel
from planner.models import (
    MAX_COMMENT_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    Approval,
    Campaign,
    Category,
    Comment,
    Media,
    Post,
)

MAX_ID = 2**63 - 1
CONTENT_HASH = RegexValidator(r"^[0-9a-f]{64}\Z", "Give the 64-character content hash you saw.")


class StrictCharField(serializers.CharField):
    """A string, exactly as sent: numbers and booleans are refused, whitespace kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIdField(serializers.IntegerField):
    """A positive integer id, as a JSON number (not a string, float or boolean)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with an offset or Z; kept as the instant it names (stored in UTC)."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 date-time with an offset, e.g. 2026-05-01T09:00:00+01:00.",
        "naive": "The time needs an offset (e.g. +01:00) or Z; it is ambiguous without one.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except (ValueError, OverflowError):
            value = None
        if value is None:
            self.fail("invalid")
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            self.fail("invalid")

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class _BrandScoped(serializers.Serializer):
    """Resolves channel and campaign ids within ``context['brand']`` only."""

    def _brand(self) -> Brand:
        return self.context["brand"]

    def validate_channel(self, value):
        channel = Channel.objects.select_related("brand").filter(pk=value, brand=self._brand())
        channel = channel.first()
        if channel is None:
            raise serializers.ValidationError(
                "No such channel in this brand. Posts never move between brands: to post on "
                "another brand's channel, copy the post (POST /api/posts/{id}/copy/)."
            )
        return channel

    def validate_campaign(self, value):
        if value is None:
            return None
        campaign = Campaign.objects.filter(pk=value, brand=self._brand()).first()
        if campaign is None:
            raise serializers.ValidationError("No such campaign in this brand.")
        return campaign


def _confirm_handles_field():
    return serializers.ListField(
        child=StrictCharField(max_length=200),
        required=False,
        max_length=50,
        help_text="For a time within 15 minutes: the handle of the channel (e.g. "
        '["@brand"]), to confirm it is the account you mean; without it a 409 names it.',
    )


class PostCreateSerializer(_BrandScoped):
    channel = StrictIdField()
    text = StrictCharField(max_length=MAX_TEXT_CHARS)
    category = serializers.ChoiceField(choices=Category.choices)
    scheduled_at = AwareDateTimeField(required=False, allow_null=True)
    campaign = StrictIdField(required=False, allow_null=True)
    confirm_handles = _confirm_handles_field()


class PostUpdateSerializer(_BrandScoped):
    channel = StrictIdField(required=False)
    text = StrictCharField(max_length=MAX_TEXT_CHARS, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    scheduled_at = AwareDateTimeField(required=False, allow_null=True)
    campaign = StrictIdField(required=False, allow_null=True)
    confirm_handles = _confirm_handles_field()
    revision = StrictIdField(
        required=False,
        help_text="The revision you edited (or send If-Match with the ETag): a 409 if the "
        "post has changed since.",
    )
    content_hash = StrictCharField(
        max_length=64,
        required=False,
        validators=[CONTENT_HASH],
        help_text="The content hash you edited: a 409 if the content has changed since.",
    )


class CopySerializer(serializers.Serializer):
    channel = StrictIdField()


class MediaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Media
        fields = ["id", "kind", "mime_type", "size", "alt_text"]


class ApprovalSerializer(serializers.ModelSerializer):
    approver = serializers.SlugRelatedField(slug_field="username", read_only=True)
    step = serializers.CharField(source="step_name", read_only=True)
    approved_at = AwareDateTimeField(read_only=True)
    dismissed = serializers.SerializerMethodField()
    dismissed_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = Approval
        fields = [
            "approver",
            "step",
            "step_order",
            "content_hash",
            "revision",
            "policy_version",
            "approved_at",
            "dismissed",
            "dismissed_at",
            "dismissed_reason",
        ]
        read_only_fields = fields

    def get_dismissed(self, approval: Approval) -> bool:
        return approval.dismissed_at is not None


class PostSerializer(serializers.ModelSerializer):
    """A post as the API shows it in lists."""

    brand = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    channel = serializers.IntegerField(source="channel_id", read_only=True)
    channel_handle = serializers.CharField(source="channel.handle", read_only=True)
    platform = serializers.CharField(source="channel.platform", read_only=True)
    group = serializers.IntegerField(source="group_id", read_only=True)
    campaign = serializers.IntegerField(source="campaign_id", read_only=True, allow_null=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    last_editor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    scheduled_at = AwareDateTimeField(read_only=True)
    remote_url = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    media = MediaSerializer(many=True, read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "brand",
            "channel",
            "channel_handle",
            "platform",
            "group",
            "text",
            "category",
            "campaign",
            "scheduled_at",
            "status",
            "held_reason",
            "remote_url",
            "approvals",
            "content_hash",
            "revision",
            "author",
            "last_editor",
            "media",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_remote_url(self, post: Post) -> str | None:
        return post.remote_url or None

    def get_approvals(self, post: Post) -> list:
        """Every approval, dismissed ones included (as history), oldest first."""
        return ApprovalSerializer(post.approvals.all(), many=True).data


class CampaignSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=MAX_NAME_CHARS)

    class Meta:
        model = Campaign
        fields = ["id", "name", "colour", "starts_on", "ends_on"]
        read_only_fields = ["id"]
        extra_kwargs = {"colour": {"required": False, "allow_blank": True}}
        validators = []  # uniqueness is the service's (a 409 with the reason)


class CommentSerializer(serializers.ModelSerializer):
    body = StrictCharField(max_length=MAX_COMMENT_CHARS)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


# --- answers, described for the OpenAPI document ----------------------------------------------
# (the views build these from selectors; the shapes only say what a client gets back)


class _FindingShape(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=["block", "warn"])
    start = serializers.IntegerField(help_text="Index into the post's text.")
    end = serializers.IntegerField(help_text="`text[start:end] == match`.")
    match = serializers.CharField()
    message = serializers.CharField()


class _StepShape(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    required = serializers.IntegerField()
    role = serializers.CharField()
    group = serializers.CharField(allow_null=True)
    approvers = serializers.ListField(child=serializers.CharField(allow_null=True))
    missing = serializers.IntegerField()
    satisfied = serializers.BooleanField()


class _ApprovalStateShape(serializers.Serializer):
    satisfied = serializers.BooleanField()
    required = serializers.IntegerField()
    missing = serializers.IntegerField()
    current_step = serializers.CharField(allow_null=True)
    steps = _StepShape(many=True)


class _ReviewShape(serializers.Serializer):
    submitted_at = serializers.DateTimeField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)
    findings = _FindingShape(many=True, help_text="What the policy found at submit.")


class _CharactersShape(serializers.Serializer):
    length = serializers.IntegerField(help_text="In the platform's own counting.")
    limit = serializers.IntegerField(allow_null=True)
    over = serializers.BooleanField()
    remaining = serializers.IntegerField(allow_null=True)


class PostDetailShape(PostSerializer):
    """A post as GET /api/posts/{id}/ answers it (with an ``ETag: "rev-N"`` header)."""

    approval = _ApprovalStateShape()
    review = _ReviewShape()
    rejection_reason = serializers.CharField(allow_blank=True)
    rejected_by = serializers.CharField(allow_null=True)
    findings = _FindingShape(many=True, help_text="The current policy's findings now.")
    blocked = serializers.BooleanField()
    policy_version = serializers.IntegerField()
    characters = _CharactersShape()

    class Meta(PostSerializer.Meta):
        fields = [
            *PostSerializer.Meta.fields,
            "approval",
            "review",
            "rejection_reason",
            "rejected_by",
            "findings",
            "blocked",
            "policy_version",
            "characters",
        ]
        read_only_fields = fields


class _EventPropsShape(serializers.Serializer):
    status = serializers.CharField()
    status_label = serializers.CharField()
    badge = serializers.CharField()
    channel = serializers.IntegerField()
    channel_handle = serializers.CharField()
    platform = serializers.CharField()
    category = serializers.CharField()
    campaign = serializers.CharField(allow_null=True)
    author = serializers.CharField(allow_null=True)
    text = serializers.CharField()


class CalendarEventShape(serializers.Serializer):
    """One post as a FullCalendar event."""

    id = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField()
    allDay = serializers.BooleanField()  # FullCalendar's name
    color = serializers.CharField()
    editable = serializers.BooleanField(help_text="May you drag it to another time.")
    url = serializers.CharField()
    extendedProps = _EventPropsShape()  # FullCalendar's name
