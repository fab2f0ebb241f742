"""The content mix over rolling windows (pure Python, no Django).

A target says: category C may be at most P% of a channel's posts over any rolling window of
D days (each post's window: the D days up to and including it). A post "would push the
channel over" when some window that contains it has more than P% of C with the post counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    category: str
    max_percent: int
    window_days: int


@dataclass(frozen=True)
class Over:
    """The worst window a post falls in: ``count`` of ``total`` posts are the category."""

    category: str
    count: int
    total: int
    max_percent: int
    window_days: int
    start: dt.datetime
    end: dt.datetime

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0


def worst_window(
    when: dt.datetime, category: str, others: list[tuple[dt.datetime, str]], target: Target
) -> Over | None:
    """The rolling window of ``target.window_days`` containing ``when`` in which
    ``target.category`` has the highest share, the new post counted; None unless that share
    is over the target.

    Rolling windows are trailing: the window of a post is the ``window_days`` up to and
    including it. The windows that contain the new post are its own and those of the posts
    after it (within the window's length); ``others`` are (time, category) of the channel's
    other planned posts.
    """
    if category != target.category:
        return None
    span = dt.timedelta(days=target.window_days)
    near = sorted(
        [(t, c) for t, c in others if when - span < t < when + span] + [(when, category)],
        key=lambda item: item[0],
    )
    best: Over | None = None
    for end in sorted({when} | {t for t, _ in near if when < t < when + span}):
        start = end - span
        inside = [c for t, c in near if start < t <= end]
        count = sum(1 for c in inside if c == target.category)
        if 100 * count > target.max_percent * len(inside) and (
            best is None or count * best.total > best.count * len(inside)
        ):
            best = Over(
                category=target.category,
                count=count,
                total=len(inside),
                max_percent=target.max_percent,
                window_days=target.window_days,
                start=start,
                end=end,
            )
    return best
