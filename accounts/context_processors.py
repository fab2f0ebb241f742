"""The current brand, the brands the person can switch to, and their unread notifications,
on every page."""

from __future__ import annotations

from accounts import permissions
from accounts.selectors import notification_unread_count


def brand_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    brands = list(permissions.brands_for(user))
    match = getattr(request, "resolver_match", None)
    slug = (match.kwargs.get("slug") if match else None) or request.session.get("brand_slug")
    current = next((b for b in brands if b.slug == slug), None)
    if current is None and brands:
        current = brands[0]
    return {
        "my_brands": brands,
        "current_brand": current,
        "unread_notifications": notification_unread_count(user=user),
    }
