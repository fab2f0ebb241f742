"""Request-wide plumbing of the accounts app."""

from __future__ import annotations

from accounts import permissions


class PermissionScopeMiddleware:
    """One permission decision per request: every question the request asks (views, API
    views, services, context processors, templates) is answered from one read of the
    person's permissions (:func:`accounts.permissions.request_scope`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with permissions.request_scope():
            return self.get_response(request)
