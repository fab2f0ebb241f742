from django.urls import path

from policy import api

urlpatterns = [
    path("brands/<slug:slug>/lint/", api.Lint.as_view(), name="api_lint"),
    path("brands/<slug:slug>/policy/", api.PolicyCurrent.as_view(), name="api_policy"),
    path(
        "brands/<slug:slug>/policy/versions/",
        api.PolicyVersions.as_view(),
        name="api_policy_versions",
    ),
]
