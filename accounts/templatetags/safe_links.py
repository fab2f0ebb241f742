"""``{% load safe_links %}``: ``{{ url|http_url }}`` is the URL when it is an absolute
http(s) link, else "" — for addresses that came from a platform (a published post, an
avatar), so nothing else (``javascript:``, ``data:``) is ever rendered as a link."""

from django import template

from platforms.addresses import safe_http_url

register = template.Library()


@register.filter
def http_url(value) -> str:
    return safe_http_url(value)
