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
