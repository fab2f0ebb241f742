"""The current brand, the brands the person can switch to, what they may do there (for the
menus), and their unread notifications, on every page."""

from __future__ import annotations

import re

from django.db.models import Count

from accounts import permissions
from accounts.selectors import notification_unread_count

_BRANDS = "_countersign_brands"
_CURRENT = "_countersign_current_brand"
_ACTIONS = "_countersign_brand_actions"


def _brands(request) -> list:
    if not hasattr(request, _BRANDS):
        user = getattr(request, "user", None)
        brands = []
        if user is not None and user.is_authenticated:
            brands = list(
                permissions.brands_for(user)
                .select_related("paused_by")
                .annotate(channel_count=Count("channels"))
            )
        setattr(request, _BRANDS, brands)
    return getattr(request, _BRANDS)


_BRAND_PATH_RE = re.compile(r"/b/([-a-zA-Z0-9_]+)/")


def current_brand(request):
    """The brand the page is about (the URL's slug, else the last one chosen, else the
    first), among the brands the person is in; None when they are in none. Computed once a
    request, so every context processor can ask."""
    if not hasattr(request, _CURRENT):
        brands = _brands(request)
        match = getattr(request, "resolver_match", None)
        session = getattr(request, "session", None)
        if match is not None:
            slug = match.kwargs.get("slug")
        else:  # a page not found: the brand its address names, if it is one of theirs
            found = _BRAND_PATH_RE.match(getattr(request, "path_info", "") or "")
            slug = found.group(1) if found else None
        slug = slug or (session.get("brand_slug") if session is not None else None)
        current = next((b for b in brands if b.slug == slug), None)
        if current is None and brands:
            current = brands[0]
        setattr(request, _CURRENT, current)
    return getattr(request, _CURRENT)


def brand_actions(request) -> frozenset:
    """What the person may do brand-wide in the current brand (``permissions.Action``s)."""
    if not hasattr(request, _ACTIONS):
        brand = current_brand(request)
        actions = permissions.actions_on(request.user, brand) if brand is not None else frozenset()
        setattr(request, _ACTIONS, actions)
    return getattr(request, _ACTIONS)


def is_partial(request) -> bool:
    """An htmx request for a piece of a page (not a boosted or history-restoring full page):
    it shows no navigation, so the menus' context is not computed."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
        and headers.get("HX-Request-Type", "partial") != "full"
    )


def brand_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_partial(request):
        return {}
    actions = brand_actions(request)
    return {
        "my_brands": _brands(request),
        "current_brand": current_brand(request),
        # {"draft": True, "admin": False, ...} for the menus.
        "brand_may": {action.value: action in actions for action in permissions.Action},
        "unread_notifications": notification_unread_count(user=user),
    }
