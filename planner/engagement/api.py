"""HTTP API of the inbox: ``GET /api/brands/{slug}/inbox/?status=&channel=`` (DESIGN.md, the
brand's conversations, paginated), one conversation with its thread, assignment, status,
and the response-time figures."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import User
from config.api import error_responses
from config.errors import NotFoundError
from config.pagination import Pagination
from planner.engagement import moderation, selectors, services
from planner.engagement.models import Conversation, ConversationStatus
from planner.metrics.filters import filters_from as kpi_filters_from


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    remote_id = serializers.CharField()
    remote_url = serializers.CharField()
    direction = serializers.CharField()
    author_handle = serializers.CharField()
    author_display_name = serializers.CharField()
    text = serializers.CharField(help_text="Exactly as the platform sent it (untrusted).")
    created_at = serializers.DateTimeField(source="remote_created_at", allow_null=True)
    reply_status = serializers.CharField()
    hidden = serializers.SerializerMethodField(
        help_text="Hidden on the platform from Countersign (Facebook, Instagram comments; "
        "deleted on LinkedIn)."
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_hidden(self, obj) -> bool:
        return obj.id in (self.context.get("hidden_ids") or ())


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")
    channel_handle = serializers.CharField(source="channel.handle")
    platform = serializers.CharField(source="channel.platform")
    kind = serializers.CharField()
    addressed_to_brand = serializers.BooleanField()
    status = serializers.CharField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    customer_handle = serializers.CharField()
    customer_display_name = serializers.CharField()
    customer_remote_id = serializers.CharField()
    excerpt = serializers.CharField(source="last_message_excerpt")
    message_count = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField()
    first_unanswered_at = serializers.DateTimeField(allow_null=True)
    due_soon_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    waiting_business_minutes = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField(
        help_text="overdue, due_soon, waiting, or empty when nothing waits."
    )

    def _row(self, obj):
        rows = self.context.get("rows") or {}
        return rows.get(obj.pk)

    def get_waiting_business_minutes(self, obj) -> int | None:
        row = self._row(obj)
        return row.waiting_minutes if row else None

    def get_waiting(self, obj) -> str:
        row = self._row(obj)
        return row.state if row else ""


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, source="thread")


class InboxPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ConversationSerializer(many=True)


class AssignInput(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="A user id; null: nobody.")


class StatusInput(serializers.Serializer):
    status = serializers.CharField(
        max_length=30, help_text="open, answered, no_reply_needed or escalated."
    )

    def validate_status(self, value: str) -> str:
        if value not in services.MANUAL_STATUSES:
            raise serializers.ValidationError(
                f"Choose one of: {', '.join(services.MANUAL_STATUSES)}."
            )
        return value

    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FiguresSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    median_first_response_minutes = serializers.FloatField(allow_null=True)
    within_target_percent = serializers.FloatField(allow_null=True)
    target_minutes = serializers.IntegerField()
    overdue_now = serializers.IntegerField()
    waiting_now = serializers.IntegerField()


def _context(conversations, brand) -> dict:
    clock = services.brand_clock(brand)
    rows = selectors.with_clock(conversations, clock=clock, now=timezone.now())
    return {"rows": {row.conversation.pk: row for row in rows}}


class Inbox(APIView):
    @extend_schema(
        tags=["inbox"],
        summary="The brand's conversations (mentions, replies, listening), newest activity first",
        parameters=[
            OpenApiParameter("status", str, enum=ConversationStatus.values),
            OpenApiParameter("channel", int),
            OpenApiParameter("assignee", str, description="me, none or a user id"),
            OpenApiParameter("waiting", str, enum=list(selectors.WAITING_FILTERS)),
            OpenApiParameter("kind", str, enum=list(selectors.KIND_FILTERS)),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: InboxPageSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        channels = list(permissions.inbox_channels(request.user, brand, checked=True))
        filters = selectors.filters_from(request.query_params, channels=channels)
        queryset = selectors.conversation_list(user=request.user, brand=brand, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = ConversationSerializer(page, many=True, context=_context(page, brand)).data
        return paginator.get_paginated_response(data)


def _conversation(request, pk) -> Conversation:
    brand_id = Conversation.objects.filter(pk=pk).values_list("brand_id", flat=True).first()
    brand = permissions.brands_for(request.user).filter(pk=brand_id).first() if brand_id else None
    conversation = (
        selectors.conversation_get(user=request.user, brand=brand, pk=pk) if brand else None
    )
    if conversation is None:
        raise NotFoundError("No such conversation.")
    return conversation


def _detail(conversation: Conversation) -> dict:
    conversation.thread = selectors.conversation_messages(conversation=conversation)
    context = _context([conversation], conversation.brand)
    if moderation.can_hide(conversation.channel):
        hides = moderation.hides_in(conversation)
        context["hidden_ids"] = {pk for pk, h in hides.items() if h.platform_action_ok}
    return ConversationDetailSerializer(conversation, context=context).data


class ConversationDetail(APIView):
    @extend_schema(
        tags=["inbox"],
        summary="One conversation with its thread",
        responses={200: ConversationDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk):
        return Response(_detail(_conversation(request, pk)))


class ConversationAssign(APIView):
    @extend_schema(
        tags=["inbox"],
        summary="Assign the conversation to a member who works on its channel",
        request=AssignInput,
        responses={200: ConversationDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        conversation = _conversation(request, pk)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignee = None
        if data.validated_data["assignee"] is not None:
            assignee = User.objects.filter(pk=data.validated_data["assignee"]).first()
            if assignee is None:
                raise serializers.ValidationError({"assignee": ["No such person."]})
        services.conversation_assign(
            conversation=conversation, actor=request.user, assignee=assignee
        )
        return Response(_detail(_conversation(request, pk)))


class ConversationStatusView(APIView):
    @extend_schema(
        tags=["inbox"],
        summary="Mark answered, no reply needed, escalated, or open again",
        request=StatusInput,
        responses={200: ConversationDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk):
        conversation = _conversation(request, pk)
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.conversation_set_status(
            conversation=conversation,
            actor=request.user,
            status=data.validated_data["status"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(_detail(_conversation(request, pk)))


class ResponseFigures(APIView):
    @extend_schema(
        tags=["inbox"],
        summary="Response-time figures: median first response and share within the target "
        "(business minutes), overdue and waiting now",
        parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
        responses={200: FiguresSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        filters = kpi_filters_from(request.query_params, user=request.user, brand=brand)
        figures = selectors.response_figures(
            brand=brand,
            start=filters.start,
            end=filters.end,
            clock=services.brand_clock(brand),
        )
        return Response(FiguresSerializer(figures).data)
