"""Findings shown where they are in the text: escaped segments, findings wrapped in <mark>."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def highlight(text: str, findings: Iterable) -> SafeString:
    """HTML of ``text`` with each finding's span marked (block outranks warn where they overlap).

    ``findings`` are engine Findings or dicts with start, end, severity, message, rule.
    Every piece of text is escaped, so nothing in a post can become markup.
    """
    spans = []
    for f in findings:
        get = f.get if isinstance(f, dict) else lambda k, f=f: getattr(f, k)
        start, end = int(get("start")), int(get("end"))
        if 0 <= start < end <= len(text):
            spans.append((start, end, get("severity"), f"{get('rule')}: {get('message')}"))
    if not spans:
        return mark_safe(escape(text))  # noqa: S308 - escaped above
    cuts = sorted({0, len(text), *(s for s, *_ in spans), *(e for _, e, *_ in spans)})
    out = []
    for left, right in pairwise(cuts):
        covering = [s for s in spans if s[0] <= left and right <= s[1]]
        piece = escape(text[left:right])
        if covering:
            severity = "block" if any(s[2] == "block" for s in covering) else "warn"
            title = escape("; ".join(dict.fromkeys(s[3] for s in covering)))
            piece = f'<mark class="finding-{severity}" title="{title}">{piece}</mark>'
        out.append(piece)
    return mark_safe("".join(out))  # noqa: S308 - every segment escaped above
