from django.urls import path

from planner.review import views

urlpatterns = [
    path(
        "b/<slug:slug>/posts/<id:pk>/submit/",
        views.post_decide,
        {"action": "submit"},
        name="post_submit",
    ),
    path(
        "b/<slug:slug>/posts/<id:pk>/approve/",
        views.post_decide,
        {"action": "approve"},
        name="post_approve",
    ),
    path(
        "b/<slug:slug>/posts/<id:pk>/reject/",
        views.post_decide,
        {"action": "reject"},
        name="post_reject",
    ),
    path("b/<slug:slug>/inbox/", views.approval_inbox, name="approval_inbox"),
    path("b/<slug:slug>/approvals/", views.approval_settings, name="approval_settings"),
    path(
        "b/<slug:slug>/approvals/steps/<id:step_id>/",
        views.approval_step_edit,
        name="approval_step_edit",
    ),
    path(
        "b/<slug:slug>/approvals/steps/<id:step_id>/action/",
        views.approval_step_action,
        name="approval_step_action",
    ),
]
