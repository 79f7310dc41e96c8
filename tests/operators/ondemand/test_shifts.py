"""Vehicle shifts: validation messages and concrete periods (time zones, past midnight,
DST, merging)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from operators.ondemand.shifts import ShiftError, shift_intervals, shifts_validate

UTC = dt.UTC
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
DENVER = zoneinfo.ZoneInfo("America/Denver")


@pytest.mark.parametrize(
    ("shifts", "message"),
    [
        ({"days": ["monday"]}, "shifts must be a list of windows"),
        ([{"days": [], "start": "08:00", "end": "09:00"}], "shifts[0].days: a non-empty list"),
        ([{"days": ["monday"], "start": "8am", "end": "09:00"}], "shifts[0].start: expected"),
        ([{"days": ["monday"], "start": "09:00", "end": "09:00"}], "shifts[0]: end must be"),
        ([{"days": ["monday"], "start": "09:00", "end": "49:00"}], "shifts[0].end: 49:00 is"),
        ([{"start": "2030-06-03T08:00", "end": "2030-06-03T09:00+09:00"}], "has no UTC offset"),
        ([{"start": "2030-06-01T08:00+09:00", "end": "2030-06-09T08:00+09:00"}], "at most 7"),
        ([{"days": ["monday"], "start": "08:00", "end": "09:00", "x": 1}], "unknown fields"),
    ],
)
def test_bad_shifts_are_refused_with_the_reason(shifts: object, message: str) -> None:
    with pytest.raises(ShiftError, match=message.replace("[", r"\[").replace("]", r"\]")):
        shifts_validate(shifts)


def test_weekly_shift_past_midnight_in_the_operator_time_zone() -> None:
    # given: Mondays 22:00-26:00 in Tokyo
    shifts = shifts_validate([{"days": ["monday"], "start": "22:00", "end": "26:00"}])
    # when
    periods = shift_intervals(
        shifts,
        time_zone=TOKYO,
        start=dt.datetime(2030, 6, 3, tzinfo=TOKYO),
        end=dt.datetime(2030, 6, 10, 23, tzinfo=TOKYO),
    )
    # then: Monday 22:00 JST to Tuesday 02:00 JST, twice
    assert periods == [
        (dt.datetime(2030, 6, 3, 13, tzinfo=UTC), dt.datetime(2030, 6, 3, 17, tzinfo=UTC)),
        (dt.datetime(2030, 6, 10, 13, tzinfo=UTC), dt.datetime(2030, 6, 10, 17, tzinfo=UTC)),
    ]


def test_weekly_shift_on_a_dst_change_day_counts_from_noon_minus_12h() -> None:
    # given: Sunday 2030-03-10, Denver springs forward at 02:00
    shifts = shifts_validate([{"days": ["sunday"], "start": "08:00", "end": "10:00"}])
    # when
    periods = shift_intervals(
        shifts,
        time_zone=DENVER,
        start=dt.datetime(2030, 3, 10, 12, tzinfo=UTC),
        end=dt.datetime(2030, 3, 10, 20, tzinfo=UTC),
    )
    # then: noon MDT (18:00 UTC) - 12 h = 06:00 UTC; + 8 h = 14:00 UTC (= 08:00 MDT)
    assert periods == [
        (dt.datetime(2030, 3, 10, 14, tzinfo=UTC), dt.datetime(2030, 3, 10, 16, tzinfo=UTC))
    ]


def test_overlapping_windows_merge_into_one_period() -> None:
    # given: a weekly window and an explicit extension that overlaps it
    shifts = shifts_validate(
        [
            {"days": ["monday"], "start": "08:00", "end": "12:00"},
            {"start": "2030-06-03T11:00:00+09:00", "end": "2030-06-03T15:00:00+09:00"},
        ]
    )
    # when
    periods = shift_intervals(
        shifts,
        time_zone=TOKYO,
        start=dt.datetime(2030, 6, 3, 9, tzinfo=TOKYO),
        end=dt.datetime(2030, 6, 3, 9, 30, tzinfo=TOKYO),
    )
    # then
    assert periods == [
        (dt.datetime(2030, 6, 2, 23, tzinfo=UTC), dt.datetime(2030, 6, 3, 6, tzinfo=UTC))
    ]
