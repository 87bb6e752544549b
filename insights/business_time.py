"""Counting time in a business's opening hours (pure functions, no I/O).

Hours are ``{weekday: (opens, closes)}`` in the business's time zone, Monday 0;
a weekday without an entry is closed, no entries at all means always open
(as ``businesses.selectors.business_is_open`` reads them), and hours that
close before they open run past midnight. Local times are turned into instants
per day, so a daylight-saving change inside an open stretch counts real time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Hours = Mapping[int, tuple[time, time]]

# Hours with at least one open weekday reach any target within this many days
# per week of target; the cap only guards against a bug looping forever.
_MAX_DAYS = 3660


def _open_stretches(
    hours: Hours, zone: ZoneInfo, day: date
) -> list[tuple[datetime, datetime]]:
    """The open instants that start on local ``day``."""
    found = hours.get(day.weekday())
    if found is None:
        return []
    opens, closes = found
    if opens == closes:
        return []
    start = datetime.combine(day, opens, tzinfo=zone)
    end_day = day if opens < closes else day + timedelta(days=1)
    end = datetime.combine(end_day, closes, tzinfo=zone)
    return [(start, end)]


def _stretches_from(
    hours: Hours, zone: ZoneInfo, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    # From the day before: last night's hours may still be open.
    day = start.astimezone(zone).date() - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        yield from _open_stretches(hours, zone, day)
        day += timedelta(days=1)


def business_seconds_between(
    start: datetime, end: datetime, *, hours: Hours, zone: ZoneInfo
) -> float:
    """Seconds of opening hours between two instants (0 when ``end`` ≤ ``start``)."""
    if end <= start:
        return 0.0
    if not hours:
        return (end - start).total_seconds()
    total = 0.0
    for opens, closes in _stretches_from(hours, zone, start):
        if opens >= end:
            break
        overlap = (min(closes, end) - max(opens, start)).total_seconds()
        if overlap > 0:
            total += overlap
    return total


def business_time_add(
    start: datetime, seconds: float, *, hours: Hours, zone: ZoneInfo
) -> datetime:
    """The instant when ``seconds`` of opening hours have passed since ``start``."""
    if not hours:
        return start + timedelta(seconds=seconds)
    remaining = seconds
    for opens, closes in _stretches_from(hours, zone, start):
        if closes <= start:
            continue
        begin = max(opens, start)
        available = (closes - begin).total_seconds()
        if remaining <= available:
            return begin + timedelta(seconds=remaining)
        remaining -= available
    raise ValueError("Opening hours never reach the target.")
