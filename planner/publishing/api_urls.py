from django.urls import path

from planner.publishing import api

urlpatterns = [
    path("posts/<id:pk>/evidence/", api.PostEvidence.as_view(), name="api_post_evidence"),
    path("posts/<id:pk>/release/", api.PostRelease.as_view(), name="api_post_release"),
    path("brands/<slug:slug>/pause/", api.BrandPause.as_view(), name="api_brand_pause"),
    path("brands/<slug:slug>/resume/", api.BrandResume.as_view(), name="api_brand_resume"),
    path(
        "brands/<slug:slug>/channels/<id:channel_id>/pause/",
        api.ChannelPause.as_view(),
        name="api_channel_pause",
    ),
    path(
        "brands/<slug:slug>/channels/<id:channel_id>/resume/",
        api.ChannelResume.as_view(),
        name="api_channel_resume",
    ),
]
