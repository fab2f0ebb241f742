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
    path("brands/<slug:slug>/hashtags/", api.Hashtags.as_view(), name="api_hashtags"),
    path(
        "brands/<slug:slug>/hashtags/<int:pk>/",
        api.HashtagDetail.as_view(),
        name="api_hashtag",
    ),
    path("brands/<slug:slug>/moments/", api.Moments.as_view(), name="api_moments"),
    path(
        "brands/<slug:slug>/moments/<int:pk>/end/",
        api.MomentEnd.as_view(),
        name="api_moment_end",
    ),
    path("brands/<slug:slug>/policy/preset/", api.Preset.as_view(), name="api_policy_preset"),
]

urlpatterns += training_api_urls.urlpatterns
