"""HTTP API for feeds: ``GET|POST /api/brands/{slug}/feeds/`` {url, channels} (DESIGN.md),
one feed, and "fetch now"."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import Action
from config.api import error_responses
from config.errors import NotFoundError
from planner.feeds import selectors, services
from planner.models import Category


class FeedSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField()
    channels = serializers.SerializerMethodField()
    category = serializers.CharField()
    last_fetched_at = serializers.DateTimeField(allow_null=True)
    last_ok_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    failures = serializers.IntegerField()
    stopped = serializers.SerializerMethodField()

    def get_channels(self, feed) -> list[int]:
        return sorted(c.pk for c in feed.channels.all())

    def get_stopped(self, feed) -> bool:
        return feed.stopped_at is not None


class FeedInput(serializers.Serializer):
    url = serializers.CharField(max_length=500)
    channels = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.NEWS)


class FetchReportSerializer(serializers.Serializer):
    feed_id = serializers.IntegerField()
    new_items = serializers.IntegerField()
    drafts = serializers.ListField(child=serializers.IntegerField())
    not_modified = serializers.BooleanField()
    error = serializers.CharField()
    stopped = serializers.BooleanField()


def _feed(request, slug, pk):
    brand = permissions.get_brand(request.user, slug)
    feed = selectors.feed_get(brand=brand, pk=pk)
    if feed is None:
        raise NotFoundError("No such feed.")
    return feed


class Feeds(APIView):
    @extend_schema(
        tags=["feeds"],
        summary="The brand's feeds (their new items become drafts)",
        responses={200: FeedSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(FeedSerializer(selectors.feed_list(brand=brand), many=True).data)

    @extend_schema(
        tags=["feeds"],
        summary="Subscribe to an RSS/Atom feed; new items become drafts on the channels",
        request=FeedInput,
        responses={201: FeedSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, Action.DRAFT)
        data = FeedInput(data=request.data)
        data.is_valid(raise_exception=True)
        channels = [
            permissions.get_channel(request.user, pk, brand=brand)
            for pk in data.validated_data["channels"]
        ]
        feed = services.feed_create(
            brand=brand,
            actor=request.user,
            url=data.validated_data["url"],
            channels=channels,
            category=data.validated_data["category"],
        )
        feed = selectors.feed_get(brand=brand, pk=feed.pk)
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)


class FeedDetail(APIView):
    @extend_schema(tags=["feeds"], responses={200: FeedSerializer, **error_responses(401, 404)})
    def get(self, request, slug, pk):
        return Response(FeedSerializer(_feed(request, slug, pk)).data)

    @extend_schema(tags=["feeds"], responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, slug, pk):
        services.feed_delete(feed=_feed(request, slug, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["feeds"],
    summary="Fetch the feed now (a stopped feed is restarted first)",
    request=None,
    responses={200: FetchReportSerializer, **error_responses(401, 403, 404)},
)
class FeedFetch(APIView):
    def post(self, request, slug, pk):
        feed = _feed(request, slug, pk)
        permissions.require(request.user, Action.DRAFT, feed.brand)
        if feed.stopped_at is not None:
            services.feed_restart(feed=feed, actor=request.user)
        report = services.feed_fetch(feed_id=feed.pk)
        return Response(FetchReportSerializer(report).data)
