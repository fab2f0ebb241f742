from django.urls import path

from planner.review import api

urlpatterns = [
    path("posts/<id:pk>/submit/", api.PostSubmit.as_view(), name="api_post_submit"),
    path("posts/<id:pk>/approve/", api.PostApprove.as_view(), name="api_post_approve"),
    path("posts/<id:pk>/reject/", api.PostReject.as_view(), name="api_post_reject"),
]
