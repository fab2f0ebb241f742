"""API shapes of the policy endpoints: the input they read and, for the OpenAPI document,
the answers they give (the views build those answers from the services' results)."""

from __future__ import annotations

from rest_framework import serializers


class LintInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    channel = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A channel of the brand by id or @handle (another handle is linted as given).",
    )
    category = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The rule's id in the policy file.")
    severity = serializers.ChoiceField(choices=["block", "warn"])
    start = serializers.IntegerField(help_text="Index into the text as sent.")
    end = serializers.IntegerField(help_text="`text[start:end] == match`.")
    match = serializers.CharField()
    message = serializers.CharField()


class LintResultSerializer(serializers.Serializer):
    blocked = serializers.BooleanField(help_text="True when any finding has severity block.")
    findings = FindingSerializer(many=True)
    policy_version = serializers.IntegerField(help_text="The policy version that linted it.")


class PolicyImportInput(serializers.Serializer):
    yaml = serializers.CharField(help_text="The policy file (see the README's format).")
    note = serializers.CharField(required=False, allow_blank=True)
    requires_recertification = serializers.BooleanField(required=False, default=False)


class PolicyVersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    source = serializers.CharField()
    note = serializers.CharField()
    requires_recertification = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class PolicyVersionSerializer(PolicyVersionSummarySerializer):
    rules = serializers.ListField(child=serializers.DictField(), help_text="The rules, parsed.")
    yaml = serializers.CharField(help_text="The same rules as a policy file.")


# --- the newsjacking guard ------------------------------------------------------------------


class HashtagInput(serializers.Serializer):
    tag = serializers.CharField(max_length=101, help_text="One hashtag, e.g. #BakingDay.")


class HashtagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tag = serializers.CharField()
    key = serializers.CharField(help_text="What every spelling of the tag shares.")
    source = serializers.ChoiceField(choices=["own", "campaign", "published", "approved"])
    added_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class HashtagAddedSerializer(HashtagSerializer):
    created = serializers.BooleanField(help_text="False when the tag was there already.")


class MomentInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    terms = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=101), required=False, default=list
    )
    severity = serializers.ChoiceField(choices=["block", "warn"], default="block")
    starts_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    ends_at = serializers.DateTimeField(required=False)
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=366, help_text="Instead of ends_at; default 3."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class MomentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    severity = serializers.ChoiceField(choices=["block", "warn"])
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    active = serializers.BooleanField(help_text="Whether it matches now.")
    installation_wide = serializers.BooleanField()
    note = serializers.CharField()


class PresetInput(serializers.Serializer):
    preset = serializers.ChoiceField(choices=["general", "charity", "family", "alcohol", "finance"])


class PresetSerializer(serializers.Serializer):
    preset = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    policy_version = serializers.IntegerField()
    presets = serializers.ListField(child=serializers.DictField())
