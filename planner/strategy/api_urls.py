from django.urls import path

from planner.strategy import api

urlpatterns = [
    path("brands/<slug:slug>/mix/", api.ChannelMix.as_view(), name="api_channel_mix"),
    path("brands/<slug:slug>/strategy/", api.Strategy.as_view(), name="api_strategy"),
    path("posts/<id:pk>/credit/", api.PostCredit.as_view(), name="api_post_credit"),
]
