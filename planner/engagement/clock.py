"""The business-hours clock: how long a customer has waited, counted only in the brand's
business hours and days, in the brand's time zone (DST-aware), and when a wait reaches the
target. Pure functions over datetimes; no queries.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

DEFAULT_DAYS = (1, 2, 3, 4, 5)
DEFAULT_START = 9
DEFAULT_END = 17
#: A wait longer than this many calendar days is not walked day by day (it is overdue).
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class BusinessClock:
    tz: zoneinfo.ZoneInfo
    days: tuple[int, ...] = DEFAULT_DAYS
    start_hour: int = DEFAULT_START
    end_hour: int = DEFAULT_END
    target_minutes: int = (DEFAULT_END - DEFAULT_START) * 60
    due_soon_minutes: int = 60

    @property
    def day_minutes(self) -> int:
        return (self.end_hour - self.start_hour) * 60

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The business hours of a local day, as aware UTC datetimes (None: closed)."""
        if day.isoweekday() not in self.days or self.end_hour <= self.start_hour:
            return None
        opens = dt.datetime.combine(day, dt.time(self.start_hour), tzinfo=self.tz)
        if self.end_hour >= 24:
            closes = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        else:
            closes = dt.datetime.combine(day, dt.time(self.end_hour), tzinfo=self.tz)
        return opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole business minutes from ``start`` to ``end`` (0 if end is not after start)."""
        if end <= start or not self.days:
            return 0
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        if (last - day).days > MAX_SPAN_DAYS:
            last = day + dt.timedelta(days=MAX_SPAN_DAYS)
        seconds = 0.0
        while day <= last:
            window = self._window(day)
            if window is not None:
                lo, hi = max(window[0], start), min(window[1], end)
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return int(seconds // 60)

    def add_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime | None:
        """The moment ``minutes`` business minutes after ``start`` (None: never, e.g. no
        business days at all)."""
        if not self.days or self.day_minutes <= 0:
            return None
        remaining = dt.timedelta(minutes=max(0, minutes))
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_SPAN_DAYS):
            window = self._window(day)
            if window is not None:
                lo = max(window[0], start)
                if window[1] > lo:
                    available = window[1] - lo
                    if remaining <= available:
                        return lo + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
        return None

    def due_times(self, since: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(due soon from, due at) of a wait that began at ``since``."""
        due = self.add_minutes(since, self.target_minutes)
        soon = self.add_minutes(since, max(0, self.target_minutes - self.due_soon_minutes))
        return soon, due


def clock_for(*, timezone: str, settings=None) -> BusinessClock:
    """The clock of a brand (its time zone name) with its ``ResponseSettings`` (or none:
    Monday to Friday, 9 to 17, one business day)."""
    try:
        tz = zoneinfo.ZoneInfo(timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    if settings is None:
        return BusinessClock(tz=tz)
    days = (
        tuple(
            sorted(
                {
                    int(d)
                    for d in (settings.business_days or [])
                    if str(d).isdigit() and 1 <= int(d) <= 7
                }
            )
        )
        or DEFAULT_DAYS
    )
    start, end = int(settings.start_hour), int(settings.end_hour)
    target = settings.target_business_minutes or (end - start) * 60
    return BusinessClock(
        tz=tz,
        days=days,
        start_hour=start,
        end_hour=end,
        target_minutes=int(target),
        due_soon_minutes=int(settings.due_soon_business_minutes or 0),
    )


def waiting_state(*, now: dt.datetime, due_soon_at, due_at) -> str:
    """``overdue``, ``due_soon``, ``waiting`` or ``""`` (nothing waits)."""
    if due_at is None and due_soon_at is None:
        return ""
    if due_at is not None and now >= due_at:
        return "overdue"
    if due_soon_at is not None and now >= due_soon_at:
        return "due_soon"
    return "waiting"
