"""Request bodies the fakes read: URL-encoded and multipart forms (standard library only)."""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qs

from .base import Request


def form_fields(request: Request) -> dict[str, str | bytes]:
    """The form fields of a POST: ``str`` values, ``bytes`` for uploaded files."""
    content_type = request.headers.get("Content-Type") or ""
    if content_type.startswith("multipart/form-data"):
        raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields: dict[str, str | bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is None:
                fields[name] = payload.decode("utf-8")
            else:
                fields[name] = payload
        return fields
    body = request.body.decode("utf-8") if request.body else ""
    if content_type.startswith("application/json"):
        return {}
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def params(request: Request) -> dict[str, str | bytes]:
    """Query arguments, overridden by form fields (the Graph API takes either)."""
    merged: dict[str, str | bytes] = {k: v[-1] for k, v in request.query.items()}
    if request.method != "GET":
        merged.update(form_fields(request))
    return merged
