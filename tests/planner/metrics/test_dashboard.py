"""The KPI dashboard: figures from stored rows, one endpoint per chart with a constant number
of queries, CSV export, filters checked, other brands invisible."""

import csv
import io

import pytest
from django.urls import reverse

from planner.metrics.dashboard import CHARTS
from planner.models import Campaign, PostMetrics

CHART_NAMES = list(CHARTS)


def _url(team, chart, **params):
    base = reverse("api_kpi_chart", args=[team["brand"].slug, chart])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return base + ("?" + query if query else "")


@pytest.mark.parametrize("chart", CHART_NAMES)
def test_each_chart_answers_columns_and_rows(api, team, seeded, chart):
    seeded(40)
    answer = api(team["author"]).get(_url(team, chart))
    assert answer.status_code == 200
    data = answer.json()
    assert data["chart"] == chart and data["rows"]
    assert all(len(row) == len(data["columns"]) for row in data["rows"])


def test_the_figures_are_the_stored_ones(api, team, seeded):
    seeded(30)
    rows = list(PostMetrics.objects.filter(brand=team["brand"]).values("category", "engagement"))
    categories = api(team["author"]).get(_url(team, "categories")).json()
    by_category = {r[0]: r for r in categories["rows"]}
    for value in {r["category"] for r in rows}:
        mine = [r["engagement"] for r in rows if r["category"] == value]
        assert by_category[value][1] == len(mine)
        assert by_category[value][2] == sum(mine)
    top = api(team["author"]).get(_url(team, "engagement")).json()["rows"]
    assert top[0][-1] == max(r["engagement"] for r in rows)
    summary = api(team["author"]).get(reverse("api_kpis", args=[team["brand"].slug])).json()
    assert summary["summary"]["published"] == 30
    assert summary["summary"]["engagement"] == sum(r["engagement"] for r in rows)
    assert summary["summary"]["followers"] > 0
    assert summary["summary"]["median_lead_time_hours"] is not None
    assert set(summary["charts"]) == set(CHART_NAMES)


def test_channel_and_campaign_filters(api, team, seeded):
    spring = Campaign.objects.create(brand=team["brand"], name="Spring")
    seeded(10)
    seeded(6, campaign=spring, seed=7)
    client = api(team["author"])
    only = client.get(_url(team, "rate", channel=team["second"].pk)).json()
    assert [r[0] for r in only["rows"]] == [team["second"].handle]
    by_campaign = client.get(_url(team, "categories", campaign=spring.pk)).json()
    assert sum(r[1] for r in by_campaign["rows"]) == 6


def test_bad_filters_are_400_and_other_brands_are_404(api, team, seeded, other):
    seeded(5)
    client = api(team["author"])
    for params in (
        {"start": "yesterday"},
        {"start": "2026-05-02", "end": "2026-05-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"channel": "x"},
        {"channel": other["channel"].pk},
        {"campaign": 99999999},
    ):
        assert client.get(_url(team, "rate", **params)).status_code == 400, params
    assert client.get(_url(team, "nonsense")).status_code == 404
    assert api(other["author"]).get(_url(team, "rate")).status_code == 404
    theirs = (
        api(other["author"])
        .get(reverse("api_kpi_chart", args=[other["brand"].slug, "rate"]))
        .json()
    )
    assert [r[0] for r in theirs["rows"]] == [other["channel"].handle]  # not the team's


def test_dates_at_the_edge_of_the_calendar_are_400_not_500(api, client, team, seeded):
    """A year typed as 9999 in the date picker: a day added to the end date would overflow."""
    seeded(3)
    brand = team["brand"].slug
    for params in (
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"start": "2026-01-01", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"end": "9999-12-31T23:59:59Z"},
    ):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        for url in (
            reverse("api_kpis", args=[brand]),
            _url(team, "rate"),
            reverse("api_kpi_chart", args=[brand, "engagement"]),
        ):
            answer = api(team["author"]).get(f"{url}?{query}")
            assert answer.status_code == 400, (url, params)
            assert "out of range" in str(answer.json()), answer.json()
        client.force_login(team["author"])
        page = client.get(reverse("kpi_dashboard", args=[brand]) + "?" + query)
        assert page.status_code == 200, params
        assert "out of range" in page.content.decode()


def test_csv_export_of_a_chart(api, team, seeded):
    seeded(12)
    answer = api(team["author"]).get(_url(team, "rate", format="csv"))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0] == ["channel", "posts", "engagement", "average", "followers", "rate_percent"]
    # Handles start with "@": quoted so a spreadsheet does not run them as formulas.
    assert rows[1][0] == "'" + team["channel"].handle


def test_queries_are_constant_from_10_to_10000_posts(api, team, seeded, django_assert_num_queries):
    """Every chart endpoint and the summary: the same number of queries at 10 posts and at
    10,000 (measured at 10, pinned at 10,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(team["author"])
    urls = [_url(team, chart) for chart in CHART_NAMES]
    urls.append(reverse("api_kpis", args=[team["brand"].slug]))
    seeded(10)
    at_ten = {}
    for url in urls:
        client.get(url)  # warm the per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        at_ten[url] = len(queries)
    seeded(9990, seed=3)
    assert PostMetrics.objects.filter(brand=team["brand"]).count() == 10_000
    for url in urls:
        with django_assert_num_queries(at_ten[url]):
            answer = client.get(url)
        assert answer.status_code == 200
    assert at_ten[urls[0]] <= 10


def test_the_dashboard_page_asks_no_platform(client, team, seeded, offline_publishing):
    seeded(5)
    client.force_login(team["author"])
    page = client.get(reverse("kpi_dashboard", args=[team["brand"].slug]))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="kpi-chart"') == len(CHART_NAMES)
    assert "<script>" not in body  # no inline script (CSP)
    assert (
        client.get(
            reverse("kpi_dashboard", args=[team["brand"].slug]) + "?start=nonsense"
        ).status_code
        == 200
    )
