"""HTTP API for the KPI dashboard: ``GET /api/brands/{slug}/kpis/?start=&end=`` (the headline
figures and every chart, DESIGN.md) and one endpoint per chart,
``GET /api/brands/{slug}/kpis/{chart}/`` (``?format=csv`` for its data as CSV). Filters:
``start``, ``end`` (ISO dates or date-times; default the last 30 days), ``channel``,
``campaign``. Stored rows only: opening the dashboard never calls a platform."""

from __future__ import annotations

import csv
import io

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from config.api import error_responses
from config.errors import NotFoundError
from planner.metrics import dashboard
from planner.metrics.filters import filters_from

FILTER_PARAMETERS = [
    OpenApiParameter("start", str, description="ISO 8601 date or date-time (default: 30 days ago)"),
    OpenApiParameter("end", str, description="ISO 8601 date or date-time (default: today)"),
    OpenApiParameter("channel", int, description="Only this channel"),
    OpenApiParameter("campaign", int, description="Only this campaign's posts"),
]


class CSVRenderer(renderers.BaseRenderer):
    """A chart's ``columns`` and ``rows`` as CSV (cells that a spreadsheet would run as a
    formula are quoted with a leading apostrophe)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "columns" in data:
            writer.writerow(data["columns"])
            for row in data["rows"]:
                writer.writerow([_cell(v) for v in row])
        elif isinstance(data, dict):
            writer.writerow(["detail"])
            writer.writerow([_cell(data.get("detail", ""))])
        return out.getvalue().encode("utf-8")


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ChartSerializer(serializers.Serializer):
    chart = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())


class SummarySerializer(serializers.Serializer):
    published = serializers.IntegerField()
    with_metrics = serializers.IntegerField()
    engagement = serializers.IntegerField()
    average_engagement = serializers.FloatField(allow_null=True)
    followers = serializers.IntegerField()
    engagement_rate_percent = serializers.FloatField(allow_null=True)
    median_lead_time_hours = serializers.FloatField(allow_null=True)


class KpisSerializer(serializers.Serializer):
    brand = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    summary = SummarySerializer()
    charts = serializers.DictField(child=serializers.CharField())


def chart_payload(name: str, filters) -> dict:
    title, compute = dashboard.CHARTS[name]
    return {
        "chart": name,
        "title": title,
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        **compute(filters),
    }


@extend_schema(
    tags=["kpis"],
    summary="The dashboard's headline figures, with the address of each chart",
    parameters=FILTER_PARAMETERS,
    responses={200: KpisSerializer, **error_responses(400, 401, 404)},
)
class Kpis(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        filters = filters_from(request.query_params, user=request.user, brand=brand)
        base = request.build_absolute_uri(request.path)
        query = request.META.get("QUERY_STRING", "")
        return Response(
            {
                "brand": brand.slug,
                "start": filters.start.isoformat(),
                "end": filters.end.isoformat(),
                "summary": dashboard.summary(filters),
                "charts": {
                    name: f"{base}{name}/" + (f"?{query}" if query else "")
                    for name in dashboard.CHARTS
                },
            }
        )


class Chart(APIView):
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=["kpis"],
        operation_id="brands_kpis_chart_retrieve",
        summary="One chart's data (columns and rows); ?format=csv for CSV",
        parameters=FILTER_PARAMETERS,
        responses={200: ChartSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, slug, chart):
        brand = permissions.get_brand(request.user, slug)
        if chart not in dashboard.CHARTS:
            raise NotFoundError("No such chart.")
        filters = filters_from(request.query_params, user=request.user, brand=brand)
        response = Response(chart_payload(chart, filters))
        if (
            getattr(request, "accepted_renderer", None)
            and request.accepted_renderer.format == "csv"
        ):
            response["Content-Disposition"] = (
                f'attachment; filename="{brand.slug}-{chart}-{filters.start:%Y%m%d}.csv"'
            )
        return response
