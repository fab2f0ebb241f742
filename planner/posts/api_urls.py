from django.urls import path

from planner.posts import api

urlpatterns = [
    path("brands/<slug:slug>/posts/", api.PostListCreate.as_view(), name="api_posts"),
    path("brands/<slug:slug>/calendar/", api.Calendar.as_view(), name="api_calendar"),
    path("brands/<slug:slug>/campaigns/", api.CampaignListCreate.as_view(), name="api_campaigns"),
    path("posts/<id:pk>/", api.PostDetail.as_view(), name="api_post"),
    path("posts/<id:pk>/copy/", api.PostCopy.as_view(), name="api_post_copy"),
    path("posts/<id:pk>/comments/", api.CommentListCreate.as_view(), name="api_post_comments"),
]
