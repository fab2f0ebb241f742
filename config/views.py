"""Site-wide views: health check, favicon and error pages (JSON under /api/, HTML elsewhere).

The 400, 403 and 404 pages use the product's layout (menus, brand, a way back). The 500 page
is rendered from a plain template without a request context: it must render when the
database or a context processor is what failed.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG."""
    return redirect(static("favicon.svg"), permanent=True)


def _back(request) -> str:
    """The page the person came from, when it is one of ours (never another site)."""
    referer = request.META.get("HTTP_REFERER", "")
    parts = urlsplit(referer)
    if not referer or parts.netloc != request.get_host() or parts.path == request.path:
        return ""
    return referer


def _error(request, status: int, title: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail, "back": _back(request)},
        status=status,
    )


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    detail = str(exception) if exception and str(exception) else "You may not do that here."
    return _error(request, 403, "Not allowed", detail)


def page_not_found(request, exception=None):
    return _error(
        request,
        404,
        "Page not found",
        "There is nothing here, or it is not yours to see. Check the address, or go back.",
    )


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong; the error has been logged."}, status=500
        )
    try:
        body = loader.get_template("errors/500.html").render()
    except Exception:  # the page must answer even when static files or templates are broken
        logger.exception("The 500 page could not be rendered")
        body = "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
    return HttpResponse(body, status=500)


class ProductNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 with its technical page (the URL list), which is
    not what a person trying the product should meet: show the product's own 404 page then
    too. (With DEBUG off Django already uses ``handler404``; 500s keep the debug page.)

    Sits after the authentication middleware, so the page has its menus, and after
    CommonMiddleware, whose APPEND_SLASH redirect still sees the 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
