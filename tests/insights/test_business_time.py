"""Counting SLA time in opening hours: weekends, nights, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from insights.business_time import business_seconds_between, business_time_add

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_5 = {day: (time(9), time(17)) for day in range(5)}


def test_a_target_runs_over_the_weekend() -> None:
    # Friday 2025-03-07 16:00 in Paris; 4 business hours: 1 on Friday, 3 on Monday.
    friday = datetime(2025, 3, 7, 16, 0, tzinfo=PARIS)
    due = business_time_add(friday, 4 * 3600, hours=WEEKDAYS_9_TO_5, zone=PARIS)
    assert due == datetime(2025, 3, 10, 12, 0, tzinfo=PARIS)
    assert (
        business_seconds_between(friday, due, hours=WEEKDAYS_9_TO_5, zone=PARIS)
        == 4 * 3600
    )


def test_a_message_on_saturday_waits_for_monday_morning() -> None:
    saturday = datetime(2025, 3, 8, 11, 0, tzinfo=PARIS)
    due = business_time_add(saturday, 30 * 60, hours=WEEKDAYS_9_TO_5, zone=PARIS)
    assert due == datetime(2025, 3, 10, 9, 30, tzinfo=PARIS)


def test_hours_are_the_business_time_zone_not_utc() -> None:
    # 07:30 UTC is 08:30 in Paris (winter): half an hour before opening.
    start = datetime(2025, 3, 10, 7, 30, tzinfo=UTC)
    due = business_time_add(start, 3600, hours=WEEKDAYS_9_TO_5, zone=PARIS)
    assert due == datetime(2025, 3, 10, 10, 0, tzinfo=PARIS)


def test_no_hours_means_always_open() -> None:
    start = datetime(2025, 3, 8, 23, 0, tzinfo=UTC)
    assert business_time_add(start, 7200, hours={}, zone=PARIS) == datetime(
        2025, 3, 9, 1, 0, tzinfo=UTC
    )


def test_night_hours_past_midnight() -> None:
    nights = {day: (time(22), time(2)) for day in range(7)}
    start = datetime(2025, 3, 10, 23, 0, tzinfo=PARIS)
    due = business_time_add(start, 4 * 3600, hours=nights, zone=PARIS)
    # 3 hours tonight (23-02), the fourth from 22:00 the next night.
    assert due == datetime(2025, 3, 11, 23, 0, tzinfo=PARIS)
