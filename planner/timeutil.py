"""Brand-local wall-clock times ⇄ UTC instants, correct across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError

UTC = dt.UTC

#: The years a date or date-time given as a query parameter may fall in. Outside them it is
#: refused: no brand has posts there, and a day added to the last representable date (an
#: end date is exclusive of the day after) would overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999


def local_to_utc(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in ``tz`` as a UTC instant.

    A time that does not exist (the clocks jump over it) or happens twice (the clocks go
    back over it) is refused with a message that says which and suggests what to pick:
    we never guess which of two instants someone meant.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    early = value.replace(tzinfo=tz, fold=0)
    late = value.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    round_trip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    when = value.strftime("%Y-%m-%d %H:%M")
    if round_trip != value:
        raise ValidationError(
            f"{when} does not exist in {tz.key}: the clocks skip that hour for daylight saving. "
            "Pick a time outside the jump.",
            code="nonexistent_time",
        )
    raise ValidationError(
        f"{when} happens twice in {tz.key} (the clocks go back that night), so it is ambiguous. "
        "Pick a time outside the repeated hour.",
        code="ambiguous_time",
    )


def to_local(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    return value.astimezone(tz) if value is not None else None


def parse_instant(raw: str, *, tz: zoneinfo.ZoneInfo, field: str) -> dt.datetime:
    """An ISO 8601 date-time (with offset or Z) or a date (midnight in ``tz``) as UTC.

    Used for query parameters: a '+' that arrived as a space is put back.
    """
    from django.utils.dateparse import parse_date, parse_datetime

    text = (raw or "").strip().replace(" ", "+")
    if "T" not in text and len(text) > 10:
        text = text[:10] + "T" + text[10:].lstrip("+")
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is None:
                raise ValueError
            parsed = dt.datetime.combine(day, dt.time())
    except (ValueError, OverflowError):
        raise ValidationError(
            {field: f"{raw!r} is not an ISO 8601 date or date-time, e.g. 2026-05-01T00:00:00Z."}
        ) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValidationError(
            {field: f"{raw!r} is out of range: give a date from {MIN_YEAR} to {MAX_YEAR}."}
        )
    try:
        if parsed.tzinfo is None:
            parsed = local_to_utc(parsed, tz)
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError({field: f"{raw!r} is out of range."}) from None
