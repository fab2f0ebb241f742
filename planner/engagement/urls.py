from django.urls import path

from planner.engagement import views

urlpatterns = [
    path("b/<slug:slug>/conversations/", views.conversation_list, name="conversation_list"),
    path("b/<slug:slug>/conversations/settings/", views.inbox_settings, name="inbox_settings"),
    path("b/<slug:slug>/conversations/fetch/", views.inbox_fetch_now, name="inbox_fetch_now"),
    path(
        "b/<slug:slug>/conversations/searches/<id:pk>/delete/",
        views.saved_search_delete,
        name="saved_search_delete",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/",
        views.conversation_detail,
        name="conversation_detail",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/assign/",
        views.conversation_assign,
        name="conversation_assign",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/status/",
        views.conversation_status,
        name="conversation_status",
    ),
]
