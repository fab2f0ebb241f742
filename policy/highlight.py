"""A post's text as HTML with its policy findings marked where they are.

Built from spans: every segment of the text is escaped on its own and findings are wrapped
in ``<mark class="finding-block|finding-warn" title="message">``, so nothing a post says can
become markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _get(finding, key: str):
    return finding.get(key) if isinstance(finding, dict) else getattr(finding, key, None)


def highlight_findings(text: str, findings: Iterable) -> SafeString:
    """``text`` escaped, with each finding's ``[start, end)`` span marked.

    Where findings overlap, the piece is marked once, as *block* if any covering finding
    blocks, with every covering message in the title. Spans outside the text are ignored.
    """
    spans = []
    for finding in findings:
        try:
            start, end = int(_get(finding, "start")), int(_get(finding, "end"))
        except (TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            severity = "block" if _get(finding, "severity") == "block" else "warn"
            spans.append((start, end, severity, str(_get(finding, "message") or "")))
    cuts = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    pieces = []
    for left, right in pairwise(cuts):
        segment = escape(text[left:right])
        covering = [s for s in spans if s[0] <= left and right <= s[1]]
        if covering:
            severity = "block" if any(s[2] == "block" for s in covering) else "warn"
            title = escape("; ".join(dict.fromkeys(s[3] for s in covering)))
            segment = f'<mark class="finding-{severity}" title="{title}">{segment}</mark>'
        pieces.append(segment)
    return mark_safe("".join(pieces))  # noqa: S308 - every segment is escaped above
