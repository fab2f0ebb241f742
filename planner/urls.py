"""The planner's web pages: posts, review and publishing, each room with its own urls."""

from django.urls import include, path

urlpatterns = [
    path("", include("planner.posts.urls")),
    path("", include("planner.review.urls")),
    path("", include("planner.publishing.urls")),
    path("", include("planner.strategy.urls")),
    path("", include("planner.feeds.urls")),
    path("", include("planner.engagement.urls")),
    path("", include("planner.metrics.urls")),
    path("", include("planner.engagement.respond_urls")),
]
