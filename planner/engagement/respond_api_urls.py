"""API of replies (the inbox's list lives with the inbox)."""

from django.urls import path

from planner.engagement import respond_api

urlpatterns = [
    path(
        "conversations/<id:pk>/replies/",
        respond_api.ConversationReplies.as_view(),
        name="api_conversation_replies",
    ),
    path(
        "conversations/<id:pk>/hide/",
        respond_api.ConversationHide.as_view(),
        name="api_conversation_hide",
    ),
    path("replies/<id:pk>/approve/", respond_api.ReplyApprove.as_view(), name="api_reply_approve"),
]
