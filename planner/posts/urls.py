from django.urls import path

from planner.posts import views

urlpatterns = [
    path("b/<slug:slug>/compose/", views.post_compose, name="post_compose"),
    path("b/<slug:slug>/compose/preview/", views.compose_preview, name="compose_preview"),
    path("b/<slug:slug>/posts/", views.post_list, name="post_list"),
    path("b/<slug:slug>/posts/<id:pk>/", views.post_detail, name="post_detail"),
    path("b/<slug:slug>/posts/<id:pk>/edit/", views.post_edit, name="post_edit"),
    path(
        "b/<slug:slug>/posts/<id:pk>/edit/preview/",
        views.post_edit_preview,
        name="post_edit_preview",
    ),
    path("b/<slug:slug>/posts/<id:pk>/comments/", views.post_comment, name="post_comment"),
    path("b/<slug:slug>/posts/<id:pk>/copy/", views.post_copy, name="post_copy"),
    path("b/<slug:slug>/posts/<id:pk>/media/", views.post_media_add, name="post_media_add"),
    path(
        "b/<slug:slug>/posts/<id:pk>/media/<id:media_id>/delete/",
        views.post_media_remove,
        name="post_media_remove",
    ),
    path("b/<slug:slug>/calendar/", views.calendar, name="calendar"),
    path("b/<slug:slug>/calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("b/<slug:slug>/campaigns/", views.campaign_list, name="campaign_list"),
    path("ics/<str:token>.ics", views.calendar_ics, name="calendar_ics"),
    path("b/<slug:slug>/uploads/", views.upload_start, name="upload_start"),
    path("b/<slug:slug>/uploads/<str:upload_id>/", views.upload_part, name="upload_part"),
    path(
        "b/<slug:slug>/posts/<id:pk>/media/<id:media_id>/<str:which>/",
        views.post_media_file,
        name="post_media_file",
    ),
    path("m/<str:token>/", views.media_public, name="media_public"),
]
