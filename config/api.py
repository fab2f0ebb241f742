"""API plumbing shared by every app: one JSON error shape, never a 500 for bad input."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
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
