"""Brand-local times to UTC, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from planner.timeutil import local_to_utc, parse_instant

LONDON = zoneinfo.ZoneInfo("Europe/London")
DETROIT = zoneinfo.ZoneInfo("America/Detroit")


def test_same_wall_clock_either_side_of_a_change_is_an_hour_apart_in_utc():
    winter = local_to_utc(dt.datetime(2026, 3, 28, 9, 0), LONDON)
    summer = local_to_utc(dt.datetime(2026, 3, 30, 9, 0), LONDON)
    assert winter == dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC)
    assert summer == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)
    assert local_to_utc(dt.datetime(2026, 7, 4, 12, 0), DETROIT) == dt.datetime(
        2026, 7, 4, 16, 0, tzinfo=dt.UTC
    )


def test_a_skipped_time_is_refused():
    with pytest.raises(ValidationError, match="does not exist in Europe/London"):
        local_to_utc(dt.datetime(2026, 3, 29, 1, 30), LONDON)
    with pytest.raises(ValidationError, match="does not exist in America/Detroit"):
        local_to_utc(dt.datetime(2026, 3, 8, 2, 30), DETROIT)


def test_a_repeated_time_is_refused():
    with pytest.raises(ValidationError, match="happens twice"):
        local_to_utc(dt.datetime(2026, 10, 25, 1, 30), LONDON)
    with pytest.raises(ValidationError, match="happens twice"):
        local_to_utc(dt.datetime(2026, 11, 1, 1, 30), DETROIT)


def test_the_minutes_around_a_change_are_fine():
    assert local_to_utc(dt.datetime(2026, 10, 25, 0, 59), LONDON) == dt.datetime(
        2026, 10, 24, 23, 59, tzinfo=dt.UTC
    )
    assert local_to_utc(dt.datetime(2026, 10, 25, 2, 0), LONDON) == dt.datetime(
        2026, 10, 25, 2, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-01T00:00:00Z", dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),
        ("2026-05-01T01:00:00+01:00", dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),
        ("2026-05-01T01:00:00 01:00", dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),  # '+' lost
        ("2026-05-01", dt.datetime(2026, 4, 30, 23, 0, tzinfo=dt.UTC)),  # London midnight
    ],
)
def test_query_instants(raw, expected):
    assert parse_instant(raw, tz=LONDON, field="start") == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "2026-13-01", "2026-02-30T00:00Z", "9" * 40])
def test_bad_query_instants_are_refused(raw):
    with pytest.raises(ValidationError):
        parse_instant(raw, tz=LONDON, field="start")
