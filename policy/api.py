"""Policy API: lint, and the policy as code."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.models import Channel
from config.api import error_responses
from policy import selectors, services
from policy import serializers as shapes
from policy.engine import dump_policy_yaml


def _channel(brand, value):
    """A channel of the brand by id or handle; any other handle is linted as given."""
    if not value:
        return None
    value = str(value)
    qs = Channel.objects.filter(brand=brand)
    if value.isdigit():
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
        brand = permissions.get_brand(request.user, slug)
        data = shapes.LintInput(data=request.data)
        data.is_valid(raise_exception=True)
        linted = services.policy_lint(
            brand=brand,
            text=data.validated_data["text"],
            channel=_channel(brand, data.validated_data.get("channel")),
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
