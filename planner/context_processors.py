"""The planner's part of the menus: how many posts await my approval (the Inbox count)."""

from __future__ import annotations

from accounts.context_processors import brand_actions, current_brand, is_partial
from accounts.permissions import Action
from planner.review import selectors as review_selectors


def planner_nav(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_partial(request):
        return {}
    brand = current_brand(request)
    if brand is None or Action.APPROVE not in brand_actions(request):
        return {}
    return {"inbox_count": review_selectors.inbox_count(user=user, brand=brand)}
