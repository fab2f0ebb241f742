"""HTTP API for publishing: evidence, releasing held posts, pausing and resuming.

Interfaces only: parse, ask permissions, call one service, answer. Another brand's post or
channel is a 404, a missing role a 403, a wrong confirmation a 400 that says what to type.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import Action
from accounts.serializers import BrandSerializer, ChannelSerializer
from config.api import error_responses
from planner.posts import selectors
from planner.posts.serializers import PostSerializer
from planner.publishing import selectors as publishing_selectors
from planner.publishing import services as publishing


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class ConfirmSerializer(serializers.Serializer):
    confirm = serializers.CharField(max_length=200, required=False, allow_null=True, default=None)


class ReleaseSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    confirm_handle = serializers.CharField(
        max_length=300, allow_blank=True, required=False, default=""
    )


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_HELD = "The posts that fell due while paused, now held for a person to re-confirm."


class _ResumedBrand(BrandSerializer):
    held = serializers.ListField(child=serializers.IntegerField(), help_text=_HELD)

    class Meta(BrandSerializer.Meta):
        fields = [*BrandSerializer.Meta.fields, "held"]


class _ResumedChannel(ChannelSerializer):
    held = serializers.ListField(child=serializers.IntegerField(), help_text=_HELD)

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "held"]


@extend_schema(
    tags=["publishing"],
    responses={
        200: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="Content fingerprint and text, policy version and rule results, "
            "approvals, the identity check, the remote id and URL, certifications.",
        ),
        **error_responses(401, 404, 409),
    },
)
class PostEvidence(APIView):
    """GET the evidence record of a published post (409 with the reason otherwise)."""

    def get(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        return Response(publishing_selectors.evidence_for(post=post))


@extend_schema(
    tags=["publishing"],
    request=ReleaseSerializer,
    responses={200: PostSerializer, **error_responses(400, 401, 403, 404, 409)},
)
class PostRelease(APIView):
    """POST {scheduled_at?, confirm_handle}: re-confirm a held post (held → approved)."""

    def post(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        data = _valid(ReleaseSerializer, request.data)
        released = publishing.post_release(
            post=post,
            actor=request.user,
            scheduled_at=data["scheduled_at"],
            confirm_handle=data["confirm_handle"],
        )
        return Response(PostSerializer(selectors.post_get(user=request.user, pk=released.pk)).data)


@extend_schema(
    tags=["publishing"],
    request=ReasonSerializer,
    responses={200: BrandSerializer, **error_responses(400, 401, 403, 404, 409)},
)
class BrandPause(APIView):
    """POST {reason}: stop all publishing for the brand (brand admins)."""

    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, Action.ADMIN)
        data = _valid(ReasonSerializer, request.data)
        brand = publishing.brand_pause(brand=brand, actor=request.user, reason=data["reason"])
        return Response(BrandSerializer(brand).data)


@extend_schema(
    tags=["publishing"],
    request=ConfirmSerializer,
    responses={
        200: _ResumedBrand,
        **error_responses(400, 401, 403, 404, 409),
    },
)
class BrandResume(APIView):
    """POST {confirm?: "<brand slug>"}: resume; posts that fell due meanwhile are held.
    ``confirm`` is optional here (the stable interface takes no body) but must match if given."""

    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, Action.ADMIN)
        data = _valid(ConfirmSerializer, request.data)
        resumed = publishing.brand_resume(brand=brand, actor=request.user, confirm=data["confirm"])
        return Response({**BrandSerializer(resumed.target).data, "held": resumed.held})


@extend_schema(
    tags=["publishing"],
    request=ReasonSerializer,
    responses={200: ChannelSerializer, **error_responses(400, 401, 403, 404, 409)},
)
class ChannelPause(APIView):
    """POST {reason}: stop publishing to one channel (brand admins)."""

    def post(self, request, slug, channel_id):
        brand = permissions.get_brand(request.user, slug, Action.ADMIN)
        channel = permissions.get_channel(request.user, channel_id, brand=brand)
        data = _valid(ReasonSerializer, request.data)
        channel = publishing.channel_pause(
            channel=channel, actor=request.user, reason=data["reason"]
        )
        return Response(ChannelSerializer(channel).data)


@extend_schema(
    tags=["publishing"],
    request=None,
    responses={
        200: _ResumedChannel,
        **error_responses(401, 403, 404, 409),
    },
)
class ChannelResume(APIView):
    """POST: resume one channel; its posts that fell due meanwhile are held."""

    def post(self, request, slug, channel_id):
        brand = permissions.get_brand(request.user, slug, Action.ADMIN)
        channel = permissions.get_channel(request.user, channel_id, brand=brand)
        resumed = publishing.channel_resume(channel=channel, actor=request.user)
        return Response(
            {**ChannelSerializer(resumed.target).data, "held": resumed.held},
            status=status.HTTP_200_OK,
        )
