from django.urls import path

from planner.metrics import views

urlpatterns = [
    path("b/<slug:slug>/dashboard/", views.kpi_dashboard, name="kpi_dashboard"),
]
