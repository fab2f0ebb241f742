from django.urls import path

from planner.metrics import api

urlpatterns = [
    path("brands/<slug:slug>/kpis/", api.Kpis.as_view(), name="api_kpis"),
    path("brands/<slug:slug>/kpis/<slug:chart>/", api.Chart.as_view(), name="api_kpi_chart"),
]
