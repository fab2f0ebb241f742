from django.urls import path

from planner.publishing import views

urlpatterns = [
    path("b/<slug:slug>/posts/<id:pk>/delivery/", views.post_delivery, name="post_delivery"),
    path("b/<slug:slug>/posts/<id:pk>/release/", views.post_release, name="post_release"),
    path("b/<slug:slug>/publishing/", views.publishing_home, name="publishing"),
    path("b/<slug:slug>/publishing/pause/", views.brand_pause, name="brand_pause"),
    path("b/<slug:slug>/publishing/resume/", views.brand_resume, name="brand_resume"),
    path(
        "b/<slug:slug>/publishing/channels/<id:channel_id>/pause/",
        views.channel_pause,
        name="channel_pause",
    ),
    path(
        "b/<slug:slug>/publishing/channels/<id:channel_id>/resume/",
        views.channel_resume,
        name="channel_resume",
    ),
]
