"""The KPI dashboard page: filters and one canvas per chart. The page itself reads no metrics;
each chart fetches its own JSON endpoint (static/js/kpi-dashboard.js, no inline script)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts import permissions
from planner.engagement import selectors as engagement_selectors
from planner.engagement import services as engagement_services
from planner.metrics import dashboard
from planner.metrics.filters import filters_from
from planner.posts import selectors as post_selectors


@login_required
@require_GET
def kpi_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    error = ""
    try:
        filters = filters_from(request.GET, user=request.user, brand=brand)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        filters = filters_from({}, user=request.user, brand=brand)
    # The exclusive end is shown as the last day included.
    query = {
        "start": filters.start.astimezone(brand.tz).date().isoformat(),
        "end": (filters.end.astimezone(brand.tz) - dt.timedelta(days=1)).date().isoformat(),
    }
    for name in ("channel", "campaign"):
        if request.GET.get(name) and not error:
            query[name] = request.GET[name]
    encoded = urlencode(query)
    charts = [
        {
            "name": name,
            "title": title,
            "url": reverse("api_kpi_chart", args=[brand.slug, name]) + "?" + encoded,
            "csv": reverse("api_kpi_chart", args=[brand.slug, name])
            + "?"
            + urlencode({**query, "format": "csv"}),
        }
        for name, (title, _) in dashboard.CHARTS.items()
    ]
    return render(
        request,
        "planner/kpi_dashboard.html",
        {
            "brand": brand,
            "charts": charts,
            "query": query,
            "error": error,
            "summary_url": reverse("api_kpis", args=[brand.slug]) + "?" + encoded,
            "channels": permissions.channels_for(request.user, brand, checked=True),
            # The engagement inbox's response times over the same range and channels.
            "response": engagement_selectors.response_figures(
                brand=brand,
                start=filters.start,
                end=filters.end,
                clock=engagement_services.brand_clock(brand),
                channel_ids=filters.channel_ids,
            ),
            "campaigns": post_selectors.campaign_list(brand=brand),
        },
    )
