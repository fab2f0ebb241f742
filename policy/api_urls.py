from django.urls import path

from policy import api
from policy.training import api_urls as training_api_urls

urlpatterns = [
    path("brands/<slug:slug>/lint/", api.Lint.as_view(), name="api_lint"),
    path("brands/<slug:slug>/policy/", api.PolicyCurrent.as_view(), name="api_policy"),
    path(
        "brands/<slug:slug>/policy/versions/",
        api.PolicyVersions.as_view(),
        name="api_policy_versions",
    ),
]

urlpatterns += training_api_urls.urlpatterns
