"""The planner's part of the menus: how many posts await my approval (the Inbox count) and
how many conversations wait for an answer (the Conversations count)."""

from __future__ import annotations

from accounts.context_processors import brand_actions, current_brand, is_partial
from accounts.permissions import Action
from planner.engagement import selectors as engagement_selectors
from planner.review import selectors as review_selectors


def planner_nav(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_partial(request):
        return {}
    brand = current_brand(request)
    if brand is None:
        return {}
    actions = brand_actions(request)
    context = {}
    # The engagement inbox: for those who work on channels (authors, approvers, admins);
    # the count of conversations waiting for an answer is one query.
    if actions & {Action.DRAFT, Action.APPROVE, Action.ADMIN}:
        context["inbox_channels_visible"] = True
        context["conversation_count"] = engagement_selectors.waiting_count(
            user=user, brand=brand, is_admin=Action.ADMIN in actions
        )
    if Action.APPROVE in actions:
        context["inbox_count"] = review_selectors.inbox_count(user=user, brand=brand)
    return context
