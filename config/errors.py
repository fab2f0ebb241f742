"""The product's refusals, raised by services and understood by every interface.

No DRF here: services, views, admin, commands and tasks import these; ``config/api.py``
turns them into the API's JSON error bodies and ``config/web.py`` into messages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


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


class RefusalWithoutTraceback:
    """A logging filter for ``django.request``: a 4xx answer (a refusal the person is told the
    reason of: 403, 404, 400) keeps its one line, without the traceback Django attaches to
    it; a 5xx keeps everything. (Refusals are recorded, with who and what, by the audit log
    and ``countersign.security``.)"""

    def filter(self, record) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
