"""The planner's API: posts, review and publishing, each room with its own urls."""

from django.urls import include, path

urlpatterns = [
    path("", include("planner.posts.api_urls")),
    path("", include("planner.review.api_urls")),
    path("", include("planner.publishing.api_urls")),
    path("", include("planner.strategy.api_urls")),
    path("", include("planner.feeds.api_urls")),
    path("", include("planner.engagement.api_urls")),
    path("", include("planner.metrics.api_urls")),
    path("", include("planner.engagement.respond_api_urls")),
]
