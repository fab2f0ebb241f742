from django.urls import path

from planner.feeds import api

urlpatterns = [
    path("brands/<slug:slug>/feeds/", api.Feeds.as_view(), name="api_feeds"),
    path("brands/<slug:slug>/feeds/<id:pk>/", api.FeedDetail.as_view(), name="api_feed"),
    path("brands/<slug:slug>/feeds/<id:pk>/fetch/", api.FeedFetch.as_view(), name="api_feed_fetch"),
]
