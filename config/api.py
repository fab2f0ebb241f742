"""API plumbing shared by every app: one JSON error shape, never a 500 for bad input."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

logger = logging.getLogger(__name__)


def _validation_payload(exc: ValidationError) -> dict:
    if hasattr(exc, "message_dict"):
        return {"detail": "Invalid input.", "errors": exc.message_dict}
    return {"detail": " ".join(exc.messages)}


def exception_handler(exc, context):
    """DRF's handler, extended to domain errors and Django validation errors."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, **exc.details}
        return Response(body, status=exc.status_code)
    if isinstance(exc, ValidationError):
        return Response(_validation_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


# -- OpenAPI: the error body every API view may answer with ----------------------------------


class ErrorSerializer(serializers.Serializer):
    """A refused request: ``detail`` says why; domain refusals add a ``code`` and their own
    fields (e.g. ``confirm_handles``), invalid input the ``errors`` per field."""

    detail = serializers.CharField(help_text="Why the request was refused, in plain words.")
    code = serializers.CharField(required=False, help_text="A stable name for the refusal.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input: the messages per field.",
    )


_ERROR_MEANINGS = {
    400: "Invalid input, or a refused action (the reason is in `detail`).",
    401: "Not signed in: send `Authorization: Token …` or a session cookie.",
    403: "Signed in, but this role may not do that here.",
    404: "No such object, or not in a brand of yours.",
    409: "Conflicts with the current state (e.g. an edit on an older revision).",
    429: "Too many attempts: locked out or throttled.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers a view may give, for ``extend_schema(responses={...})``."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_MEANINGS[code])
        for code in sorted(set(codes))
    }
