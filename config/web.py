"""Web-view plumbing shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError

from config.errors import DomainError

T = TypeVar("T")


def call_service(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run a service for a valid form; turn its refusals into form errors instead of a 500.

    Returns the service's result, or None when it refused (the form then carries the reason).
    """
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None
