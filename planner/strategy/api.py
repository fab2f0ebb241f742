"""HTTP API for strategy: each channel's content mix over a range (the calendar's panel), the
brand's mix targets and link rules, and a customer-content post's credit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import Action
from config.api import error_responses
from planner.models import Category, CustomerCredit
from planner.posts import selectors as post_selectors
from planner.strategy import selectors, services
from planner.timeutil import parse_instant

MAX_MIX_RANGE_DAYS = 370


class MixCategorySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.IntegerField()
    max_percent = serializers.IntegerField(allow_null=True)
    over = serializers.BooleanField()


class ChannelMixSerializer(serializers.Serializer):
    channel = serializers.IntegerField()
    handle = serializers.CharField()
    total = serializers.IntegerField()
    over = serializers.BooleanField()
    categories = MixCategorySerializer(many=True)


class MixTargetSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    max_percent = serializers.IntegerField(min_value=0, max_value=100, allow_null=True)
    window_days = serializers.IntegerField(min_value=1, max_value=90, default=14)


class LinkTrackingSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(default=True)
    domains = serializers.ListField(child=serializers.CharField(max_length=255), max_length=50)
    medium = serializers.CharField(max_length=50, default="social")
    content = serializers.CharField(max_length=100, allow_blank=True, default="")


class StrategySerializer(serializers.Serializer):
    mix_targets = MixTargetSerializer(many=True)
    link_tracking = LinkTrackingSerializer(allow_null=True)


class StrategyInput(serializers.Serializer):
    mix_targets = MixTargetSerializer(many=True, required=False)
    link_tracking = LinkTrackingSerializer(required=False)


class CreditSerializer(serializers.Serializer):
    author_handle = serializers.CharField(max_length=255)
    source_url = serializers.CharField(max_length=500)
    permission_from = serializers.CharField(max_length=255, allow_blank=True, default="")
    permission_at = serializers.DateTimeField(allow_null=True, default=None)
    permission_how = serializers.CharField(max_length=500, allow_blank=True, default="")
    has_permission = serializers.BooleanField(read_only=True)
    problems = serializers.ListField(child=serializers.CharField(), read_only=True)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _range(request, brand):
    errors, bounds = {}, {}
    for name in ("start", "end"):
        raw = request.query_params.get(name)
        if not raw:
            errors[name] = ["This parameter is required (ISO 8601)."]
            continue
        try:
            bounds[name] = parse_instant(raw, tz=brand.tz, field=name)
        except ValidationError as exc:
            errors[name] = exc.message_dict.get(name, exc.messages)
    if not errors and bounds["end"] <= bounds["start"]:
        errors["end"] = ["end must be after start."]
    elif not errors and (bounds["end"] - bounds["start"]).days > MAX_MIX_RANGE_DAYS:
        errors["end"] = [f"The range is longer than {MAX_MIX_RANGE_DAYS} days."]
    if errors:
        raise ValidationError(errors)
    return bounds["start"], bounds["end"]


@extend_schema(
    tags=["strategy"],
    summary="Each channel's content mix over a range, against the brand's targets",
    parameters=[
        OpenApiParameter("start", str, required=True, description="ISO 8601 date or date-time"),
        OpenApiParameter("end", str, required=True, description="ISO 8601 date or date-time"),
    ],
    responses={200: ChannelMixSerializer(many=True), **error_responses(400, 401, 404)},
)
class ChannelMix(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        start, end = _range(request, brand)
        channels = list(permissions.channels_for(request.user, brand, checked=True))
        return Response(selectors.channel_mix(brand=brand, channels=channels, start=start, end=end))


def _strategy_data(brand) -> dict:
    rules = selectors.link_tracking(brand=brand)
    return {
        "mix_targets": [
            {"category": t.category, "max_percent": t.max_percent, "window_days": t.window_days}
            for t in selectors.mix_targets(brand=brand)
        ],
        "link_tracking": (
            {
                "enabled": rules.enabled,
                "domains": rules.domains,
                "medium": rules.medium,
                "content": rules.content,
            }
            if rules
            else None
        ),
    }


class Strategy(APIView):
    """GET the brand's mix targets and link rules; PUT changes them (brand admins)."""

    @extend_schema(
        tags=["strategy"], responses={200: StrategySerializer, **error_responses(401, 404)}
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(_strategy_data(brand))

    @extend_schema(
        tags=["strategy"],
        summary="Set mix targets (max_percent null removes one) and UTM rules",
        request=StrategyInput,
        responses={200: StrategySerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, slug):
        brand = permissions.get_brand(request.user, slug, Action.ADMIN)
        data = _valid(StrategyInput, request.data)
        for target in data.get("mix_targets", []):
            services.mix_target_set(brand=brand, actor=request.user, **target)
        if "link_tracking" in data:
            services.link_tracking_set(brand=brand, actor=request.user, **data["link_tracking"])
        return Response(_strategy_data(brand))


def _credit_data(post) -> dict:
    credit = CustomerCredit.objects.filter(post=post).first()
    base = {
        "author_handle": "",
        "source_url": "",
        "permission_from": "",
        "permission_at": None,
        "permission_how": "",
        "has_permission": False,
    }
    if credit is not None:
        base = {
            "author_handle": credit.author_handle,
            "source_url": credit.source_url,
            "permission_from": credit.permission_from,
            "permission_at": credit.permission_at,
            "permission_how": credit.permission_how,
            "has_permission": credit.has_permission,
        }
    return CreditSerializer({**base, "problems": selectors.credit_problems(post)}).data


class PostCredit(APIView):
    """GET a customer-content post's credit and what it still lacks; PUT records it."""

    @extend_schema(
        tags=["strategy"], responses={200: CreditSerializer, **error_responses(401, 404)}
    )
    def get(self, request, pk):
        post = post_selectors.post_get(user=request.user, pk=pk)
        return Response(_credit_data(post))

    @extend_schema(
        tags=["strategy"],
        summary="Record the original author, the source and the permission",
        request=CreditSerializer,
        responses={200: CreditSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, pk):
        post = post_selectors.post_get(user=request.user, pk=pk)
        data = _valid(CreditSerializer, request.data)
        services.customer_credit_record(post=post, actor=request.user, **data)
        return Response(_credit_data(post))
