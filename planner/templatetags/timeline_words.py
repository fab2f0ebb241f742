"""``{% load timeline_words %}``: a post's audit entries in words. ``{{ e.action|event_name }}``
("post.reject_refused" -> "Reject refused") and ``{{ value|status_name }}`` ("in_review" ->
"In review", the badge's words); the codes stay in the page's ``data-action``."""

from django import template

from planner.models import Status

register = template.Library()


@register.filter
def event_name(action) -> str:
    words = str(action).split(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def status_name(value) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value)
