"""Policy API: lint, and the policy as code."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import Channel
from config.api import error_responses
from policy import selectors, services
from policy import serializers as shapes
from policy.engine import dump_policy_yaml
from policy.engine.presets import PRESETS


def _channel(brand, value, found=None):
    """A channel of the brand by id or handle (``found``: the one its id named, if already
    read); any other handle is linted as given."""
    if found is not None:
        return found
    if not value:
        return None
    value = str(value)
    qs = Channel.objects.filter(brand=brand).order_by("pk")  # no join for Meta's ordering
    if value.isascii() and value.isdigit() and 0 < int(value) < 2**63:
        found = qs.filter(pk=int(value)).first()
        if found:
            return found
    handle = value.lower().lstrip("@")
    return next((c for c in qs if c.handle.lower().lstrip("@") == handle), value)


@extend_schema(
    tags=["policy"],
    summary="Lint a text against the brand's current policy",
    request=shapes.LintInput,
    responses={200: shapes.LintResultSerializer, **error_responses(400, 401, 404)},
)
class Lint(APIView):
    def post(self, request, slug):
        # A channel named by id (what API clients send) comes in the brand's query.
        named = request.data.get("channel") if isinstance(request.data, dict) else None
        if type(named) is int or (isinstance(named, str) and named.isascii() and named.isdigit()):
            brand, found = permissions.get_brand_and_channel(request.user, slug, named)
        else:
            brand, found = permissions.get_brand(request.user, slug), None
        data = shapes.LintInput(data=request.data)
        data.is_valid(raise_exception=True)
        linted = services.policy_lint(
            brand=brand,
            text=data.validated_data["text"],
            channel=_channel(brand, data.validated_data.get("channel"), found),
            category=data.validated_data.get("category") or None,
            brand_loaded=True,
        )
        return Response(linted.as_dict())


class PolicyCurrent(APIView):
    """GET the current version; POST {yaml, note?, requires_recertification?} imports one."""

    @extend_schema(
        tags=["policy"],
        responses={200: shapes.PolicyVersionSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        version = services.policy_ensure(brand=brand, loaded=True)
        return Response(_version_data(version))

    @extend_schema(
        tags=["policy"],
        summary="Import a policy file as a new version (brand admins)",
        request=shapes.PolicyImportInput,
        responses={201: shapes.PolicyVersionSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        yaml_text = request.data.get("yaml") if isinstance(request.data, dict) else None
        if not isinstance(yaml_text, str) or not yaml_text.strip():
            return Response({"detail": 'Send {"yaml": "<the policy file>"}.'}, status=400)
        version = services.policy_import(
            brand=brand,
            yaml_text=yaml_text,
            actor=request.user,
            note=str(request.data.get("note") or ""),
            requires_recertification=bool(request.data.get("requires_recertification")),
        )
        return Response(_version_data(version), status=status.HTTP_201_CREATED)


class PolicyVersions(APIView):
    @extend_schema(
        tags=["policy"],
        responses={
            200: shapes.PolicyVersionSummarySerializer(many=True),
            **error_responses(401, 404),
        },
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        services.policy_ensure(brand=brand)
        return Response(
            [
                {k: v for k, v in _version_data(v).items() if k not in ("rules", "yaml")}
                for v in selectors.policy_versions(brand=brand)
            ]
        )


def _version_data(version) -> dict:
    return {
        "number": version.number,
        "source": version.source,
        "note": version.note,
        "requires_recertification": version.requires_recertification,
        "created_at": version.created_at,
        "rules": version.rules,
        "yaml": dump_policy_yaml(version.rules),
    }


# --- the newsjacking guard: the hashtag vocabulary, sensitive moments, presets ---------------


def _hashtag_data(row) -> dict:
    return {
        "id": row.pk,
        "tag": row.tag,
        "key": row.key,
        "source": row.source,
        "added_by": str(row.added_by) if row.added_by_id else None,
        "created_at": row.created_at,
    }


class Hashtags(APIView):
    @extend_schema(
        tags=["policy"],
        summary="The brand's hashtag vocabulary (tags that do not warn)",
        responses={200: shapes.HashtagSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response([_hashtag_data(r) for r in selectors.hashtag_vocabulary(brand=brand)])

    @extend_schema(
        tags=["policy"],
        summary="Add a hashtag to the vocabulary (approvers and admins; audited)",
        request=shapes.HashtagInput,
        responses={
            201: shapes.HashtagAddedSerializer,
            200: shapes.HashtagAddedSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        data = shapes.HashtagInput(data=request.data)
        data.is_valid(raise_exception=True)
        row, created = services.hashtag_add(
            brand=brand, actor=request.user, tag=data.validated_data["tag"]
        )
        return Response(
            {**_hashtag_data(row), "created": created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class HashtagDetail(APIView):
    @extend_schema(
        tags=["policy"],
        summary="Remove a hashtag from the vocabulary (admins; audited)",
        request=None,
        responses={204: None, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request, slug, pk):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        services.hashtag_remove(brand=brand, actor=request.user, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _moment_data(moment, now) -> dict:
    return {
        "id": moment.pk,
        "name": moment.name,
        "terms": moment.terms,
        "tags": moment.tags,
        "severity": moment.severity,
        "starts_at": moment.starts_at,
        "ends_at": moment.ends_at,
        "active": moment.is_active(now),
        "installation_wide": moment.brand_id is None,
        "note": moment.note,
    }


class Moments(APIView):
    @extend_schema(
        tags=["policy"],
        summary="Sensitive moments: active and coming, then the history (latest first)",
        responses={200: shapes.MomentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        now = timezone.now()
        moments = [
            *selectors.moments_active(brand=brand, now=now),
            *selectors.moments_upcoming(brand=brand, now=now),
            *selectors.moments_past(brand=brand, now=now),
        ]
        return Response([_moment_data(m, now) for m in moments])

    @extend_schema(
        tags=["policy"],
        summary="Start a sensitive moment for the brand (admins)",
        request=shapes.MomentInput,
        responses={201: shapes.MomentSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        data = shapes.MomentInput(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        terms, tags = services.moment_entries(list(given["terms"]) + list(given["tags"]))
        moment = services.moment_create(
            brand=brand,
            actor=request.user,
            name=given["name"],
            terms=terms,
            tags=tags,
            severity=given["severity"],
            starts_at=given.get("starts_at"),
            ends_at=given.get("ends_at"),
            days=given.get("days"),
            note=given.get("note", ""),
        )
        return Response(_moment_data(moment, timezone.now()), status=status.HTTP_201_CREATED)


class MomentEnd(APIView):
    @extend_schema(
        tags=["policy"],
        summary="End a sensitive moment now (admins); it stays in the history",
        request=None,
        responses={200: shapes.MomentSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, slug, pk):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        moment = selectors.moment_get(brand=brand, pk=pk)
        if moment is None:
            raise NotFound("No such moment.")
        moment = services.moment_end(moment=moment, actor=request.user)
        return Response(_moment_data(moment, timezone.now()))


def _preset_data(version) -> dict:
    chosen = PRESETS.get(version.preset)
    return {
        "preset": version.preset,
        "label": chosen.label if chosen else "",
        "description": chosen.description if chosen else "",
        "policy_version": version.number,
        "presets": [
            {"preset": p.key, "label": p.label, "description": p.description}
            for p in PRESETS.values()
        ],
    }


class Preset(APIView):
    @extend_schema(
        tags=["policy"],
        summary="What the brand is (its preset) and the presets there are",
        responses={200: shapes.PresetSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(_preset_data(services.policy_ensure(brand=brand)))

    @extend_schema(
        tags=["policy"],
        summary="Choose the brand's preset: its topic rules switched on or off (admins)",
        request=shapes.PresetInput,
        responses={201: shapes.PresetSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        data = shapes.PresetInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.policy_preset_apply(
            brand=brand, actor=request.user, preset=data.validated_data["preset"]
        )
        return Response(_preset_data(version), status=status.HTTP_201_CREATED)
