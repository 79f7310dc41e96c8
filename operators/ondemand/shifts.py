"""Vehicle shifts: when a vehicle is in service.

A vehicle's `shifts` is a list of windows, each either weekly, in the operator's time zone,

    {"days": ["monday", "friday"], "start": "08:00", "end": "23:00"}

(`end` may pass midnight up to "48:00", GTFS-style: "22:00"-"26:00" ends at 02:00 the
next day), or one explicit period with offsets:

    {"start": "2026-12-01T08:00:00+09:00", "end": "2026-12-01T12:00:00+09:00"}

`shift_intervals` turns them into concrete, merged [start, end) periods.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)$")
#: A weekly window may end at most this many seconds after the start of its day.
MAX_CLOCK_S = 48 * 3600
#: An explicit period is at most this long (a mistyped year would otherwise make the
#: dispatcher build one enormous schedule).
MAX_PERIOD = dt.timedelta(days=7)


class ShiftError(ValueError):
    """A shift window is malformed; the message says which and why."""


def _clock_s(value: object, where: str) -> int:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ShiftError(f"{where}: expected a time HH:MM, got {value!r}")
    seconds = int(match.group(1)) * 3600 + int(match.group(2)) * 60
    if seconds > MAX_CLOCK_S:
        raise ShiftError(f"{where}: {value} is after 48:00")
    return seconds


def _instant(value: object, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ShiftError(f"{where}: expected an ISO 8601 time with offset, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ShiftError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise ShiftError(f"{where}: {value!r} has no UTC offset")
    return parsed


def shifts_validate(value: object) -> list[dict[str, Any]]:
    """The shifts in their normalised form; raises ShiftError on the first bad window."""
    if not isinstance(value, list):
        raise ShiftError("shifts must be a list of windows")
    normalised: list[dict[str, Any]] = []
    for index, window in enumerate(value):
        where = f"shifts[{index}]"
        if not isinstance(window, dict):
            raise ShiftError(f"{where}: expected an object")
        if "days" in window:
            unknown_keys = set(window) - {"days", "start", "end"}
            if unknown_keys:
                raise ShiftError(f"{where}: unknown fields {sorted(unknown_keys)}")
            days = window["days"]
            if not isinstance(days, list) or not days or not all(d in DAYS for d in days):
                raise ShiftError(f"{where}.days: a non-empty list of {', '.join(DAYS)}")
            start = _clock_s(window.get("start"), f"{where}.start")
            end = _clock_s(window.get("end"), f"{where}.end")
            if end <= start:
                raise ShiftError(f"{where}: end must be after start (use 26:00 for 02:00)")
            normalised.append(
                {
                    "days": [d for d in DAYS if d in days],
                    "start": window["start"],
                    "end": window["end"],
                }
            )
        else:
            unknown_keys = set(window) - {"start", "end"}
            if unknown_keys:
                raise ShiftError(f"{where}: unknown fields {sorted(unknown_keys)}")
            start_at = _instant(window.get("start"), f"{where}.start")
            end_at = _instant(window.get("end"), f"{where}.end")
            if end_at <= start_at:
                raise ShiftError(f"{where}: end must be after start")
            if end_at - start_at > MAX_PERIOD:
                raise ShiftError(f"{where}: a period is at most 7 days")
            normalised.append({"start": start_at.isoformat(), "end": end_at.isoformat()})
    return normalised


def shift_intervals(
    shifts: list[dict[str, Any]],
    *,
    time_zone: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The concrete in-service periods overlapping [start, end], merged where they
    overlap or touch (so a vehicle never has two schedules at the same moment), in UTC."""
    periods: list[tuple[dt.datetime, dt.datetime]] = []
    utc = dt.UTC
    first_day = start.astimezone(time_zone).date() - dt.timedelta(days=2)
    last_day = end.astimezone(time_zone).date()
    for window in shifts:
        if "days" in window:
            start_s = _clock_s(window["start"], "start")
            end_s = _clock_s(window["end"], "end")
            day = first_day
            while day <= last_day:
                if DAYS[day.weekday()] in window["days"]:
                    # GTFS-style: times count from noon minus 12 h, which differs from
                    # local midnight only on DST-change days.
                    # (arithmetic in UTC: aware-datetime arithmetic is wall-clock)
                    noon = dt.datetime.combine(day, dt.time(12), tzinfo=time_zone)
                    base = noon.astimezone(utc) - dt.timedelta(hours=12)
                    periods.append(
                        (base + dt.timedelta(seconds=start_s), base + dt.timedelta(seconds=end_s))
                    )
                day += dt.timedelta(days=1)
        else:
            periods.append(
                (
                    dt.datetime.fromisoformat(window["start"]).astimezone(utc),
                    dt.datetime.fromisoformat(window["end"]).astimezone(utc),
                )
            )
    periods.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for period_start, period_end in periods:
        if merged and period_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], period_end))
        else:
            merged.append((period_start, period_end))
    return [(s, e) for s, e in merged if e >= start and s <= end]
