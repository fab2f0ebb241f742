from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.profile, name="profile"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/switch/", views.brand_switch, name="brand_switch"),
    path("b/<slug:slug>/", views.brand_detail, name="brand_detail"),
    path("b/<slug:slug>/settings/", views.brand_settings, name="brand_settings"),
    path("b/<slug:slug>/members/", views.member_list, name="member_list"),
    path("b/<slug:slug>/members/<int:user_id>/", views.member_edit, name="member_edit"),
    path("b/<slug:slug>/channels/", views.channel_list, name="channel_list"),
    path(
        "b/<slug:slug>/channels/connect/<slug:platform>/",
        views.channel_oauth_start,
        name="channel_oauth_start",
    ),
    path("connect/<slug:platform>/callback/", views.oauth_callback, name="oauth_callback"),
    path(
        "connect/choose/<str:choice_id>/", views.channel_oauth_choose, name="channel_oauth_choose"
    ),
]
