from django.urls import path

from planner.engagement import api

urlpatterns = [
    path("brands/<slug:slug>/inbox/", api.Inbox.as_view(), name="api_inbox"),
    path(
        "brands/<slug:slug>/inbox/figures/",
        api.ResponseFigures.as_view(),
        name="api_inbox_figures",
    ),
    path("conversations/<id:pk>/", api.ConversationDetail.as_view(), name="api_conversation"),
    path(
        "conversations/<id:pk>/assign/",
        api.ConversationAssign.as_view(),
        name="api_conversation_assign",
    ),
    path(
        "conversations/<id:pk>/status/",
        api.ConversationStatusView.as_view(),
        name="api_conversation_status",
    ),
]
