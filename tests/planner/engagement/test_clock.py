"""The business-hours clock: only business hours and days count, in the brand's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from planner.engagement.clock import BusinessClock, clock_for, waiting_state

LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(y, m, d, h, mi=0, tz=LONDON):
    return dt.datetime(y, m, d, h, mi, tzinfo=tz)


def test_minutes_count_only_business_hours_and_days():
    clock = BusinessClock(tz=LONDON)
    # Friday 16:00 -> Monday 10:00: one hour on Friday, one on Monday.
    assert clock.minutes_between(at(2026, 3, 6, 16), at(2026, 3, 9, 10)) == 120
    # Written on Saturday, read Monday 09:30: half an hour.
    assert clock.minutes_between(at(2026, 3, 7, 11), at(2026, 3, 9, 9, 30)) == 30
    # A night does not count.
    assert clock.minutes_between(at(2026, 3, 10, 18), at(2026, 3, 11, 8)) == 0
    assert clock.minutes_between(at(2026, 3, 11, 8), at(2026, 3, 10, 18)) == 0


def test_one_business_day_target_lands_on_the_next_business_day():
    clock = BusinessClock(tz=LONDON)
    assert clock.target_minutes == 480
    soon, due = clock.due_times(at(2026, 3, 6, 16))  # Friday 16:00
    assert due == at(2026, 3, 9, 16).astimezone(dt.UTC)  # Monday 16:00
    assert soon == at(2026, 3, 9, 15).astimezone(dt.UTC)


def test_the_clock_follows_daylight_saving_in_the_brand_zone():
    clock = BusinessClock(tz=LONDON)
    # Clocks go forward on Sunday 29 March 2026; Friday 16:00 -> Monday 10:00 is 2 h.
    assert clock.minutes_between(at(2026, 3, 27, 16), at(2026, 3, 30, 10)) == 120
    # 09:00 London in summer is 08:00 UTC.
    assert clock.add_minutes(at(2026, 3, 28, 12), 0) == dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)


def test_settings_give_days_hours_and_target(make_brand=None):
    class S:
        business_days = [6, 7]
        start_hour = 10
        end_hour = 14
        target_business_minutes = None
        due_soon_business_minutes = 30

    clock = clock_for(timezone="America/New_York", settings=S())
    assert clock.days == (6, 7) and clock.target_minutes == 240
    ny = zoneinfo.ZoneInfo("America/New_York")
    # A weekday message waits until Saturday 10:00 to start counting.
    assert (
        clock.minutes_between(
            dt.datetime(2026, 3, 11, 12, tzinfo=ny), dt.datetime(2026, 3, 14, 11, tzinfo=ny)
        )
        == 60
    )
    assert clock_for(timezone="Not/AZone").tz == zoneinfo.ZoneInfo("UTC")


def test_waiting_state():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    assert waiting_state(now=now, due_soon_at=None, due_at=None) == ""
    assert waiting_state(now=now, due_soon_at=now + hour, due_at=now + 2 * hour) == "waiting"
    assert waiting_state(now=now, due_soon_at=now - hour, due_at=now + hour) == "due_soon"
    assert waiting_state(now=now, due_soon_at=now - 2 * hour, due_at=now - hour) == "overdue"
