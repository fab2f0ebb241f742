"""HTTP API for review: submit, approve, reject. Interfaces only; bad or forged input is a
400 that is recorded like any refusal.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses
from planner.posts import selectors
from planner.posts.api import post_payload
from planner.posts.serializers import PostDetailShape
from planner.review import services as review_services
from planner.review.serializers import ApproveSerializer, RejectSerializer, SubmitSerializer

# --- review: submit, approve, reject -----------------------------------------------------


def _decision_input(request, pk, action: str, serializer_class) -> dict:
    """The validated body of a review action; bad or forged input is a 400, recorded."""
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}"
            if name != "non_field_errors"
            else " ".join(str(e) for e in errors)
            for name, errors in serializer.errors.items()
        )
        review_services.post_input_refused(
            post_id=pk, actor=request.user, action=action, message=problems or "Invalid input."
        )
    return serializer.validated_data


def _answer(request, pk):
    return Response(post_payload(selectors.post_get(user=request.user, pk=pk)))


_REVIEW_ANSWERS = {200: PostDetailShape, **error_responses(400, 401, 403, 404, 409)}


@extend_schema(tags=["review"], request=SubmitSerializer, responses=_REVIEW_ANSWERS)
class PostSubmit(APIView):
    """POST (no body): draft → in_review. A blocking policy finding is a 409 whose body
    carries ``findings`` (with their spans), ``blocked`` and ``policy_version``."""

    def post(self, request, pk):
        _decision_input(request, pk, "submit", SubmitSerializer)
        review_services.post_submit(post_id=pk, actor=request.user)
        return _answer(request, pk)


@extend_schema(tags=["review"], request=ApproveSerializer, responses=_REVIEW_ANSWERS)
class PostApprove(APIView):
    """POST {content_hash?}: approve the version with that hash (409 if the post changed
    since). The last required approval makes the post approved (or held, if its time has
    passed)."""

    def post(self, request, pk):
        data = _decision_input(request, pk, "approve", ApproveSerializer)
        review_services.approval_grant(
            post_id=pk, actor=request.user, content_hash=data.get("content_hash")
        )
        return _answer(request, pk)


@extend_schema(tags=["review"], request=RejectSerializer, responses=_REVIEW_ANSWERS)
class PostReject(APIView):
    """POST {reason}: send the post back to its author as a draft, with the reason."""

    def post(self, request, pk):
        data = _decision_input(request, pk, "reject", RejectSerializer)
        review_services.post_reject(post_id=pk, actor=request.user, reason=data["reason"])
        return _answer(request, pk)
