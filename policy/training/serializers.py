"""API shapes of the training endpoints, for the OpenAPI document (the views build these
answers from the services' results; no shape carries which choices are right)."""

from __future__ import annotations

from rest_framework import serializers


class QuizSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    brand = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField()
    pass_mark = serializers.IntegerField(help_text="Percent of questions right to pass.")
    cooldown_minutes = serializers.IntegerField(help_text="Wait before a retake.")
    certifies = serializers.CharField(help_text="Which roles passing certifies.")
    is_published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    question_count = serializers.IntegerField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)


class _ChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class _SampleSerializer(serializers.Serializer):
    text = serializers.CharField()
    channel = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)


class _QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    sample = _SampleSerializer(allow_null=True, help_text="The post the question is about.")
    choices = _ChoiceSerializer(many=True)


class QuizDetailSerializer(QuizSummarySerializer):
    retake_at = serializers.DateTimeField(allow_null=True)
    questions = _QuestionSerializer(many=True)


class AttemptInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The chosen choice ids per question id.",
    )


class CertificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    policy_version = serializers.IntegerField()
    quiz = serializers.DictField(allow_null=True, help_text="{id, title} of the quiz passed.")
    earned_at = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    valid = serializers.BooleanField()
    lapses_because = serializers.CharField(allow_null=True, allow_blank=True)


class _QuestionResultSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    correct = serializers.BooleanField()
    explanation = serializers.CharField()


class AttemptResultSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    retake_at = serializers.DateTimeField(allow_null=True)
    certification = CertificationSerializer(allow_null=True)
    results = _QuestionResultSerializer(many=True)
