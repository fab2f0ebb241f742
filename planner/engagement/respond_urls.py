"""Web pages of a conversation's actions (replies, strikes, crisis) and their settings."""

from django.urls import path

from planner.engagement import respond_views as views

urlpatterns = [
    path(
        "b/<slug:slug>/conversations/<id:pk>/respond/",
        views.conversation_respond,
        name="conversation_respond",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/reply/preview/",
        views.reply_preview,
        name="reply_preview",
    ),
    path("b/<slug:slug>/conversations/<id:pk>/reply/", views.reply_create, name="reply_create"),
    path(
        "b/<slug:slug>/conversations/<id:pk>/replies/<id:reply_id>/approve/",
        views.reply_approve,
        name="reply_approve",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/replies/<id:reply_id>/send/",
        views.reply_retry,
        name="reply_retry",
    ),
    path("b/<slug:slug>/conversations/<id:pk>/strike/", views.strike_add, name="strike_add"),
    path(
        "b/<slug:slug>/conversations/<id:pk>/messages/<id:message_id>/hide/",
        views.message_hide,
        name="message_hide",
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/crisis/", views.crisis_escalate, name="crisis_escalate"
    ),
    path(
        "b/<slug:slug>/conversations/<id:pk>/crisis/pause/",
        views.crisis_pause,
        name="crisis_pause",
    ),
    path(
        "b/<slug:slug>/engagement/settings/",
        views.engagement_settings,
        name="engagement_settings",
    ),
]
