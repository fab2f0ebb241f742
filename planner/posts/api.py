"""HTTP API for posts and the calendar. Interfaces only: parse, ask permissions, call one
service or selector, answer. Another brand's post is a 404, a missing role a 403.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from config.api import error_responses
from config.pagination import Pagination
from planner.posts import checks as post_checks
from planner.posts import selectors, services
from planner.posts.filters import PostFilter
from planner.posts.serializers import (
    AwareDateTimeField,
    CalendarEventShape,
    CampaignSerializer,
    CommentSerializer,
    CopySerializer,
    PostCreateSerializer,
    PostDetailShape,
    PostSerializer,
    PostUpdateSerializer,
)
from planner.review import selectors as review_selectors
from planner.timeutil import parse_instant

_ETAG = re.compile(r'^(?:W/)?"rev-(\d{1,18})"$')


def etag(post) -> str:
    """The post's ETag: its revision, which every change of content or time moves on."""
    return f'"rev-{post.revision}"'


def _if_match_revision(request) -> int | None:
    """The revision named by ``If-Match`` (None when absent or ``*``); garbage is a 400."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    tags = [part.strip() for part in raw.split(",") if part.strip()]
    found = [_ETAG.match(tag) for tag in tags]
    if len(tags) != 1 or not found[0]:
        raise ValidationError(
            {"If-Match": ['Give exactly one ETag from GET /api/posts/{id}/, e.g. "rev-3".']}
        )
    return int(found[0].group(1))


def _with_etag(response: Response, post) -> Response:
    response["ETag"] = etag(post)
    return response


def _filtered(request, brand, *, queryset=None):
    """The brand's posts narrowed by the query's filters; invalid filters are a 400."""
    filters = PostFilter(
        request.query_params,
        brand=brand,
        queryset=queryset if queryset is not None else selectors.post_list(brand=brand),
    )
    if not filters.is_valid():
        raise ValidationError(
            {
                name: [error["message"] for error in errors]
                for name, errors in filters.errors.get_json_data().items()
            }
        )
    return filters.qs


def _approval_payload(post) -> dict:
    state = review_selectors.approval_state(post=post)
    current = state.tally.current
    names = {a.approver_id: a.approver.username for a in state.approvals if a.approver_id}
    return {
        "satisfied": state.satisfied,
        "required": state.tally.required,
        "missing": state.tally.missing,
        "current_step": current.step.name if current else None,
        "steps": [
            {
                "order": s.step.order,
                "name": s.step.name,
                "required": s.step.required,
                "role": s.step.role,
                "group": s.step.group_name or None,
                "approvers": [names.get(uid) for uid in s.counted],
                "missing": s.missing,
                "satisfied": s.satisfied,
            }
            for s in state.tally.steps
        ],
    }


def post_payload(post) -> dict:
    """The post with what only the detail view carries: findings, counts and review."""
    data = PostSerializer(post).data
    linted = selectors.post_findings(post=post)
    count = post_checks.character_count(post.text, post.channel)
    data.update(
        {
            "approval": _approval_payload(post),
            "review": {
                "submitted_at": AwareDateTimeField().to_representation(post.submitted_at),
                "policy_version": post.review_policy_version,
                "findings": post.review_findings or [],
            },
            "rejection_reason": post.rejection_reason,
            "rejected_by": post.rejected_by.username if post.rejected_by_id else None,
            "findings": [finding.to_dict() for finding in linted.result.findings],
            "blocked": linted.result.blocked,
            "policy_version": linted.version.number,
            "characters": {
                "length": count.length,
                "limit": count.limit,
                "over": count.over,
                "remaining": count.remaining,
            },
        }
    )
    return data


class PostListCreate(APIView):
    """GET the brand's posts (filters: channel, campaign, status, category, author, q;
    limit/offset pagination). POST {channel, text, category, scheduled_at?, campaign?}."""

    @extend_schema(
        tags=["posts"],
        parameters=[
            OpenApiParameter(name, str, description=f"Only posts with this {name}.")
            for name in ("channel", "campaign", "status", "category", "author")
        ]
        + [
            OpenApiParameter("q", str, description="Text search."),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses={200: PostSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        paginator = Pagination()
        posts = _filtered(
            request,
            brand,
            queryset=selectors.post_list(brand=brand).prefetch_related(
                "media", review_selectors.approvals_prefetch()
            ),
        )
        page = paginator.paginate_queryset(posts, request, view=self)
        return paginator.get_paginated_response(PostSerializer(page, many=True).data)

    @extend_schema(
        tags=["posts"],
        summary="Draft a post on a channel",
        request=PostCreateSerializer,
        responses={201: PostDetailShape, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        serializer = PostCreateSerializer(data=request.data, context={"brand": brand})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        post = services.post_create(
            brand=brand,
            actor=request.user,
            channel=data["channel"],
            text=data["text"],
            category=data["category"],
            scheduled_at=data.get("scheduled_at"),
            campaign=data.get("campaign"),
            confirm_handles=data.get("confirm_handles", []),
        )
        post = selectors.post_get(user=request.user, pk=post.pk)
        return _with_etag(Response(post_payload(post), status=status.HTTP_201_CREATED), post)


class PostDetail(APIView):
    """GET the post (with its ``ETag``); PATCH any of channel, text, category, scheduled_at,
    campaign: each change is a new revision (content changes also a new content_hash).

    Send ``If-Match`` with the ETag you read (or the body field ``revision`` or
    ``content_hash``) and an edit made on top of an older version is refused with a 409
    carrying the current revision, the current content and what changed; without them the
    PATCH applies as before. A move of the time to within 15 minutes needs
    ``confirm_handles`` (a 409 names the handles), a move into the past is a 400."""

    @extend_schema(tags=["posts"], responses={200: PostDetailShape, **error_responses(401, 404)})
    def get(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        return _with_etag(Response(post_payload(post)), post)

    @extend_schema(
        tags=["posts"],
        summary="Edit a post (a new revision; a content change dismisses approvals)",
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description='The ETag you read, e.g. "rev-3": an edit on an older one is a 409.',
            )
        ],
        request=PostUpdateSerializer,
        responses={200: PostDetailShape, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        header_revision = _if_match_revision(request)
        serializer = PostUpdateSerializer(
            data=request.data, context={"brand": post.brand}, partial=True
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        body_revision = data.get("revision")
        if header_revision is not None and body_revision not in (None, header_revision):
            raise ValidationError(
                {"revision": ["If-Match and revision name different revisions: send one."]}
            )
        changes = {
            key: data[key]
            for key in ("channel", "text", "category", "scheduled_at", "campaign")
            if key in data
        }
        try:
            services.post_update(
                post=post,
                actor=request.user,
                expected_revision=header_revision if header_revision is not None else body_revision,
                expected_content_hash=data.get("content_hash"),
                confirm_handles=data.get("confirm_handles", []),
                **changes,
            )
        except services.StaleEdit as exc:
            body = {"detail": exc.message, "code": exc.code, **exc.details}
            response = Response(body, status=status.HTTP_409_CONFLICT)
            response["ETag"] = f'"rev-{exc.details["revision"]}"'
            return response
        post = selectors.post_get(user=request.user, pk=pk)
        return _with_etag(Response(post_payload(post)), post)


class PostCopy(APIView):
    """POST {channel}: a new draft of this post on that channel (any brand you draft in)."""

    @extend_schema(
        tags=["posts"],
        request=CopySerializer,
        responses={201: PostDetailShape, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        serializer = CopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = permissions.get_channel(request.user, serializer.validated_data["channel"])
        copy = services.post_copy(post=post, actor=request.user, channel=channel)
        copy = selectors.post_get(user=request.user, pk=copy.pk)
        return Response(post_payload(copy), status=status.HTTP_201_CREATED)


class CommentListCreate(APIView):
    @extend_schema(
        tags=["posts"], responses={200: CommentSerializer(many=True), **error_responses(401, 404)}
    )
    def get(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        return Response(CommentSerializer(selectors.comment_list(post=post), many=True).data)

    @extend_schema(
        tags=["posts"],
        request=CommentSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk):
        post = selectors.post_get(user=request.user, pk=pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_create(
            post=post, actor=request.user, body=serializer.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CampaignListCreate(APIView):
    @extend_schema(
        tags=["posts"],
        responses={200: CampaignSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(CampaignSerializer(selectors.campaign_list(brand=brand), many=True).data)

    @extend_schema(
        tags=["posts"],
        request=CampaignSerializer,
        responses={201: CampaignSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        serializer = CampaignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        campaign = services.campaign_create(
            brand=brand,
            actor=request.user,
            name=data["name"],
            colour=data.get("colour", ""),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class Calendar(APIView):
    """GET ?start=&end= (ISO 8601; a date means midnight in the brand's zone) plus the post
    filters: the posts in that range as FullCalendar events (a plain list, no pagination:
    the range is the page, at most 370 days)."""

    @extend_schema(
        tags=["calendar"],
        parameters=[
            OpenApiParameter("start", str, required=True, description="ISO 8601 date or time."),
            OpenApiParameter("end", str, required=True, description="At most 370 days on."),
        ],
        responses={
            200: OpenApiResponse(CalendarEventShape(many=True)),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        errors = {}
        bounds = {}
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
        elif not errors and bounds["end"] - bounds["start"] > selectors.MAX_CALENDAR_RANGE:
            errors["end"] = ["The range is longer than 370 days: ask for less at a time."]
        if errors:
            raise ValidationError(errors)
        posts = selectors.calendar_posts(
            posts=_filtered(request, brand), start=bounds["start"], end=bounds["end"]
        )
        editable = selectors.draftable_channel_ids(user=request.user, brand=brand)
        url_template = reverse("post_detail", kwargs={"slug": brand.slug, "pk": 0})
        url_template = url_template.removesuffix("/0/") + "/{id}/"
        return Response(
            [
                selectors.calendar_event(
                    post, editable_channels=editable, url_template=url_template
                )
                for post in posts
            ]
        )
