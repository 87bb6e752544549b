"""Time-picker slots relative to the send time, and the slots still worth offering.

A library time picker can say "the next three weekdays, 10:00-17:00 every hour"
instead of (or beside) fixed slots::

    "relative_slots": {"days": 3, "weekdays_only": true, "from": "10:00",
                       "to": "17:00", "every": 3600, "duration": 1800}

Wall-clock times are read in the business's time zone, so 10:00 stays 10:00
across a daylight-saving change. A day counts once it still has a slot after
the send time: sent on Friday evening, "three weekdays" are Mon, Tue and Wed.
Slots start at ``from``, then every ``every`` seconds, while they end by ``to``.

This module knows nothing of the builders (they import it): problems come back
as ``(field, rule)`` pairs for the caller to report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

KEY = "relative_slots"
MAX_DAYS = 14
MIN_EVERY = 5 * 60
# Apple draws the slots as a scrolling list; past a few dozen nobody scrolls.
MAX_SLOTS = 100
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SLOT_TIME_FORMAT = "%Y-%m-%dT%H:%M%z"

Problem = tuple[str, str]


@dataclass(frozen=True)
class RelativeSlots:
    days: int
    weekdays_only: bool
    start: time
    end: time
    every: int
    duration: int


def _clock(raw: Mapping[str, Any], key: str, problems: list[Problem]) -> time:
    value = raw.get(key)
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        problems.append((f"{KEY}.{key}", "must be a time of day like 10:00"))
        return time(0, 0)
    return time(int(match.group(1)), int(match.group(2)))


def _seconds(
    raw: Mapping[str, Any], key: str, low: int, problems: list[Problem]
) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.append(
            (f"{KEY}.{key}", f"must be a whole number of seconds, at least {low}")
        )
        return low
    return value


def parse(raw: Any) -> tuple[RelativeSlots | None, list[Problem]]:
    """The rule in ``raw`` and what is wrong with it (the rule is None if anything is)."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        return None, [(KEY, "must be an object")]
    days = raw.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        problems.append((f"{KEY}.days", f"must be a whole number from 1 to {MAX_DAYS}"))
        days = 1
    weekdays_only = raw.get("weekdays_only", True)
    if not isinstance(weekdays_only, bool):
        problems.append((f"{KEY}.weekdays_only", "must be true or false"))
    start = _clock(raw, "from", problems)
    end = _clock(raw, "to", problems)
    every = _seconds(raw, "every", MIN_EVERY, problems)
    duration = _seconds(raw, "duration", 60, problems)
    if not problems and (
        datetime.combine(date.min, start) + timedelta(seconds=duration)
        > datetime.combine(date.min, end)
    ):
        problems.append(
            (f"{KEY}.to", "must leave room for one slot after the start time")
        )
    if problems:
        return None, problems
    rule = RelativeSlots(days, bool(weekdays_only), start, end, every, duration)
    return rule, []


def _local(day: date, clock: time, zone: tzinfo) -> datetime | None:
    # A wall-clock time skipped by a daylight-saving jump does not exist that day.
    moment = datetime.combine(day, clock, tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    return moment if back.replace(tzinfo=None) == moment.replace(tzinfo=None) else None


def expand(rule: RelativeSlots, *, now: datetime, zone: tzinfo) -> list[dict[str, Any]]:
    """Concrete slots (``{"id", "start", "duration"}``, start in UTC) after ``now``."""
    slots: list[dict[str, Any]] = []
    day = now.astimezone(zone).date()
    days_with_slots = 0
    # Weekends and days already over are skipped; a fortnight of them is plenty.
    for _ in range(MAX_DAYS * 2 + 7):
        if days_with_slots >= rule.days or len(slots) >= MAX_SLOTS:
            break
        if not (rule.weekdays_only and day.weekday() >= 5):
            found = False
            clock = datetime.combine(day, rule.start)
            last = datetime.combine(day, rule.end) - timedelta(seconds=rule.duration)
            while clock <= last and len(slots) < MAX_SLOTS:
                moment = _local(day, clock.time(), zone)
                if moment is not None and moment > now:
                    start = moment.astimezone(UTC)
                    slots.append(
                        {
                            "id": f"{start:%Y%m%dT%H%M}",
                            "start": start.strftime(SLOT_TIME_FORMAT),
                            "duration": rule.duration,
                        }
                    )
                    found = True
                clock += timedelta(seconds=rule.every)
            days_with_slots += found
        day += timedelta(days=1)
    return slots


def describe(raw: Any) -> str:
    """The rule in words, for a text alternative written before the send expands it."""
    rule, _problems = parse(raw)
    if rule is None:
        return ""
    what = "weekdays" if rule.weekdays_only else "days"
    every = rule.every // 60
    step = "every hour" if every == 60 else f"every {every} minutes"
    return (
        f"Times on the next {rule.days} {what}, {rule.start:%H:%M}-{rule.end:%H:%M} "
        f"{step}."
    )


def _start(slot: Any) -> datetime | None:
    value = slot.get("start") if isinstance(slot, Mapping) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def spec_at(
    spec: Mapping[str, Any], *, now: datetime, zone: tzinfo, drop_past: bool
) -> tuple[dict[str, Any], list[Problem]]:
    """``spec`` with its relative slots made concrete at ``now`` (in ``zone``).

    With ``drop_past`` (a send) fixed slots that have started are left out, and
    a picker left with none is a problem: an empty picker helps nobody.
    Unreadable fixed slots stay for the builder to name.
    """
    problems: list[Problem] = []
    fixed = spec.get("slots")
    slots = list(fixed) if isinstance(fixed, list) else []
    if drop_past:
        slots = [s for s in slots if (begin := _start(s)) is None or begin > now]
    out = {k: v for k, v in spec.items() if k != KEY}
    if KEY in spec:
        rule, problems = parse(spec[KEY])
        if rule is not None:
            slots.extend(expand(rule, now=now, zone=zone))
    if drop_past and not slots and not problems:
        had = [
            b for s in (fixed if isinstance(fixed, list) else []) if (b := _start(s))
        ]
        latest = max(had).astimezone(UTC) if had else None
        last = f" (the last started {latest:%Y-%m-%d %H:%M} UTC)" if latest else ""
        problems.append(
            (
                "slots",
                f"every slot is in the past{last}: add later slots or use "
                "relative slots, then send again",
            )
        )
    out["slots"] = slots
    return out, problems
