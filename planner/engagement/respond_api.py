"""HTTP API of replies: write one (through the policy) and approve one.

Interfaces only. A conversation of another brand (or on a channel the person may not use) is
a 404; a missing role a 403; a reply the policy blocks, that is too long or that waits on a
pause a 400 whose body says why (``code``: ``policy_blocked`` with the ``findings``,
``paused``, ...); never a 500.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Action
from config.api import error_responses
from planner.engagement import access, moderation, replies
from planner.engagement.models import MAX_REPLY_CHARS, Message, ModerationHide
from policy.serializers import FindingSerializer


class ReplyCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_REPLY_CHARS,
        trim_whitespace=False,
        help_text="The reply, exactly as it should appear (start with the person's @handle).",
    )


class ReplyApprovalSerializer(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    content_hash = serializers.CharField()
    approved_at = serializers.DateTimeField()


class ReplySerializer(serializers.ModelSerializer):
    status = serializers.CharField(
        source="reply_status",
        help_text="pending_approval, approved, sending, sent or failed.",
    )
    conversation = serializers.IntegerField(source="conversation_id")
    composed_by = serializers.CharField(source="composed_by.username", allow_null=True)
    findings = FindingSerializer(many=True, help_text="Warnings the policy found (never a block).")
    approvals = serializers.SerializerMethodField()
    approvals_needed = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation",
            "status",
            "text",
            "in_reply_to_remote_id",
            "composed_by",
            "content_hash",
            "findings",
            "approvals",
            "approvals_needed",
            "remote_id",
            "remote_url",
            "sent_at",
            "last_error",
            "created_at",
        ]

    @extend_schema_field(ReplyApprovalSerializer(many=True))
    def get_approvals(self, obj) -> list[dict]:
        live = obj.approvals.filter(dismissed_at__isnull=True).select_related("approver")
        return ReplyApprovalSerializer(live, many=True).data

    @extend_schema_field(OpenApiTypes.INT)
    def get_approvals_needed(self, obj) -> int:
        return replies.approvals_needed(obj.channel)


def _answer(message: Message, code: int) -> Response:
    fresh = (
        Message.objects.select_related("channel", "channel__brand", "composed_by")
        .prefetch_related("approvals")
        .get(pk=message.pk)
    )
    return Response(ReplySerializer(fresh).data, status=code)


@extend_schema(
    tags=["engagement"],
    request=ReplyCreateSerializer,
    responses={201: ReplySerializer, **error_responses(400, 401, 403, 404)},
)
class ConversationReplies(APIView):
    """POST a reply to a conversation: linted by the brand's policy (a block refuses it,
    400 ``policy_blocked`` with the findings), counted by the platform, refused while the
    brand or channel is paused; 201 with its status (``pending_approval`` when the brand
    wants replies approved, else ``approved`` and on its way, sent exactly once)."""

    def post(self, request, pk):
        conversation = access.conversation_get(user=request.user, pk=pk, action=Action.DRAFT)
        serializer = ReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = replies.reply_create(
            conversation=conversation, actor=request.user, text=serializer.validated_data["text"]
        )
        return _answer(message, status.HTTP_201_CREATED)


@extend_schema(
    tags=["engagement"],
    request=None,
    responses={200: ReplySerializer, **error_responses(400, 401, 403, 404, 409)},
)
class ReplyApprove(APIView):
    """POST: approve a reply (its exact text). The author cannot; an approver counts once."""

    def post(self, request, pk):
        message = access.reply_get(user=request.user, pk=pk)
        message = replies.reply_approve(message=message, actor=request.user)
        return _answer(message, status.HTTP_200_OK)


class HideRequestSerializer(serializers.Serializer):
    message = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of a message of the conversation."
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text="LinkedIn has no hide: the comment is deleted for good, which must be "
        "confirmed (true); ignored on the platforms that hide.",
    )


class HideSerializer(serializers.ModelSerializer):
    message = serializers.IntegerField(source="message_id")
    conversation = serializers.IntegerField(source="conversation_id", allow_null=True)
    actor = serializers.CharField(source="actor.username", allow_null=True)
    platform_result = serializers.JSONField(help_text="The platform's answer, or the error.")

    class Meta:
        model = ModerationHide
        fields = [
            "id",
            "message",
            "conversation",
            "actor",
            "at",
            "platform_action_ok",
            "platform_result",
        ]


@extend_schema(
    tags=["engagement"],
    request=HideRequestSerializer,
    responses={201: HideSerializer, **error_responses(400, 401, 403, 404, 409)},
)
class ConversationHide(APIView):
    """POST ``{message, confirm?}``: hide that message of the conversation on the platform
    (Facebook and Instagram comments; LinkedIn, which has no hide, deletes the comment and
    needs ``confirm: true``), kept on its author's moderation record; once per message (409
    when it is hidden already; a hide the platform refused, ``platform_action_ok`` false,
    may be asked again)."""

    def post(self, request, pk):
        conversation = access.conversation_get(user=request.user, pk=pk, action=Action.DRAFT)
        serializer = HideRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hide = moderation.message_hide(
            conversation=conversation,
            message_id=serializer.validated_data["message"],
            actor=request.user,
            confirm=serializer.validated_data["confirm"],
        )
        hide = ModerationHide.objects.select_related("actor").get(pk=hide.pk)
        return Response(HideSerializer(hide).data, status=status.HTTP_201_CREATED)
