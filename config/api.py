"""API plumbing shared by every app: one JSON error shape, never a 500 for bad input."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base for refusals raised by services: a rule of the product said no.

    ``status_code`` is what the API answers; ``code`` a stable machine-readable word.
    """

    status_code = 400
    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class NotAllowed(DomainError, PermissionDenied):
    """The person may not do this. Web views render 403; the API answers 403 with the reason."""

    status_code = 403
    code = "forbidden"


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


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
