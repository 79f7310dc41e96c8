"""`FeedTables`: the engine's only input, one GTFS feed as typed pandas DataFrames.

Conventions (shared by `routing.gtfs_zip` and the PostgreSQL-backed importer):

- Ids (`stop_id`, `trip_id`, `route_id`, `service_id`, `shape_id`, ...) are plain strings as
  published, *not* namespaced. The compiler (`routing.timetable`) prefixes every id with
  ``"<feed_id>:"`` so several operators' feeds can live in one network.
- Times are integer seconds from the service day's "noon minus 12 h" (GTFS semantics), and may
  exceed 86 400 for trips running after midnight: `arrival_s`, `departure_s`, `start_s`, ...
- Dates (`calendar.start_date`, `calendar.end_date`, `calendar_dates.date`) are ``YYYYMMDD``
  integers (int32): compact, vectorisable and exactly what the GTFS text says. Use
  `date_to_int` / `int_to_date` at the edges.
- String columns have pandas' ``"str"`` dtype.
- Enumerations are small ints with the GTFS meaning; an absent optional value is 0 (for
  `wheelchair_*`, `pickup_type`, `drop_off_type`, `transfer_type`, `location_type`) and an
  absent string is ``""``. `min_transfer_time` is -1 when absent.
- `frequencies` is kept for fidelity with the published feed; `expand_frequencies` turns it
  into ordinary trips (the compiler calls it, so both shapes of input are accepted).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

#: Column name -> dtype, per table. Every DataFrame in a `FeedTables` has exactly these.
SCHEMA: dict[str, dict[str, str]] = {
    "stops": {
        "stop_id": "str",
        "stop_name": "str",
        "stop_lat": "float64",
        "stop_lon": "float64",
        "location_type": "int8",
        "parent_station": "str",
        "wheelchair_boarding": "int8",
        "platform_code": "str",
    },
    "routes": {
        "route_id": "str",
        "agency_id": "str",
        "route_short_name": "str",
        "route_long_name": "str",
        "route_type": "int32",
    },
    "trips": {
        "trip_id": "str",
        "route_id": "str",
        "service_id": "str",
        "trip_headsign": "str",
        "direction_id": "int8",
        "shape_id": "str",
        "wheelchair_accessible": "int8",
    },
    "stop_times": {
        "trip_id": "str",
        "stop_sequence": "int32",
        "stop_id": "str",
        "arrival_s": "int32",
        "departure_s": "int32",
        "pickup_type": "int8",
        "drop_off_type": "int8",
    },
    "calendar": {
        "service_id": "str",
        "monday": "int8",
        "tuesday": "int8",
        "wednesday": "int8",
        "thursday": "int8",
        "friday": "int8",
        "saturday": "int8",
        "sunday": "int8",
        "start_date": "int32",
        "end_date": "int32",
    },
    "calendar_dates": {"service_id": "str", "date": "int32", "exception_type": "int8"},
    "transfers": {
        "from_stop_id": "str",
        "to_stop_id": "str",
        "transfer_type": "int8",
        "min_transfer_time": "int32",
    },
    "frequencies": {
        "trip_id": "str",
        "start_s": "int32",
        "end_s": "int32",
        "headway_s": "int32",
        "exact_times": "int8",
    },
    "shapes": {
        "shape_id": "str",
        "shape_pt_lat": "float64",
        "shape_pt_lon": "float64",
        "shape_pt_sequence": "int32",
    },
}

#: Columns without which a table is meaningless (the rest get neutral defaults).
REQUIRED: dict[str, tuple[str, ...]] = {
    "stops": ("stop_id",),
    "routes": ("route_id",),
    "trips": ("trip_id", "route_id", "service_id"),
    "stop_times": ("trip_id", "stop_sequence", "stop_id", "arrival_s", "departure_s"),
    "calendar": ("service_id", "start_date", "end_date"),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "transfers": ("from_stop_id", "to_stop_id"),
    "frequencies": ("trip_id", "start_s", "end_s", "headway_s"),
    "shapes": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
}

WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of table `name`."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in SCHEMA[name].items()})


def typed_table(name: str, data: pd.DataFrame | Mapping[str, object]) -> pd.DataFrame:
    """Coerce `data` (a DataFrame or a column mapping) to table `name`'s schema.

    Missing optional columns get their neutral value (0, ``""`` or -1 for
    `min_transfer_time`); extra columns are dropped. Raises `KeyError` for a missing required
    id column.
    """
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for col, dtype in SCHEMA[name].items():
        if col in frame.columns:
            values = frame[col]
            if dtype == "str":
                out[col] = values.fillna("").astype(str).reset_index(drop=True)
            else:
                default = -1 if col == "min_transfer_time" else 0
                numeric = pd.to_numeric(values, errors="coerce").fillna(default)
                out[col] = numeric.astype(dtype).reset_index(drop=True)
        elif col in REQUIRED.get(name, ()):
            raise KeyError(f"{name}: missing required column {col}")
        elif dtype == "str":
            out[col] = pd.Series([""] * n, dtype="str")
        else:
            default = -1 if col == "min_transfer_time" else 0
            out[col] = pd.Series(np.full(n, default), dtype=dtype)
    return pd.DataFrame(out)


def date_to_int(day: dt.date) -> int:
    """``date(2021, 3, 1)`` -> ``20210301``."""
    return day.year * 10000 + day.month * 100 + day.day


def int_to_date(value: int) -> dt.date:
    """``20210301`` -> ``date(2021, 3, 1)``."""
    return dt.date(value // 10000, (value // 100) % 100, value % 100)


@dataclasses.dataclass(frozen=True)
class FeedTables:
    """One GTFS feed as typed DataFrames (see the module docstring for conventions).

    `timezone` is the IANA zone of the feed's agencies (GTFS `agency_timezone`); all times in
    the feed are local to it.
    """

    feed_id: str
    timezone: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame
    calendar_dates: pd.DataFrame
    transfers: pd.DataFrame
    frequencies: pd.DataFrame
    shapes: pd.DataFrame

    @classmethod
    def build(
        cls,
        feed_id: str,
        timezone: str,
        **tables: pd.DataFrame | Mapping[str, object] | None,
    ) -> FeedTables:
        """Build from (possibly partial, loosely typed) tables; absent tables are empty.

        `tables` are keyword arguments named after the tables (`stops=...`, ...).
        """
        unknown = set(tables) - set(SCHEMA)
        if unknown:
            raise TypeError(f"unknown tables: {sorted(unknown)}")
        typed = {
            name: typed_table(name, data) if data is not None else empty_table(name)
            for name in SCHEMA
            for data in [tables.get(name)]
        }
        if ":" in feed_id:
            raise ValueError("feed_id must not contain ':' (it separates namespace and id)")
        return cls(feed_id=feed_id, timezone=timezone, **typed)

    def service_dates(self) -> tuple[int, int] | None:
        """(first, last) ``YYYYMMDD`` date that any service may run, or None if no service."""
        values: list[int] = []
        if len(self.calendar):
            values += [int(self.calendar.start_date.min()), int(self.calendar.end_date.max())]
        added = self.calendar_dates[self.calendar_dates.exception_type == 1]
        if len(added):
            values += [int(added.date.min()), int(added.date.max())]
        return (min(values), max(values)) if values else None


def active_service_ids(tables: FeedTables, day: dt.date) -> set[str]:
    """The `service_id`s running on `day` (calendar weekday + range, then calendar_dates)."""
    day_int = date_to_int(day)
    cal = tables.calendar
    weekday_col = WEEKDAY_COLUMNS[day.weekday()]
    running = cal[(cal[weekday_col] == 1) & (cal.start_date <= day_int) & (cal.end_date >= day_int)]
    active = set(running.service_id)
    exceptions = tables.calendar_dates[tables.calendar_dates.date == day_int]
    active |= set(exceptions.service_id[exceptions.exception_type == 1])
    active -= set(exceptions.service_id[exceptions.exception_type == 2])
    return active


def expand_frequencies(tables: FeedTables) -> FeedTables:
    """Replace every frequency-based trip by one ordinary trip per headway.

    A trip listed in frequencies.txt is a template: its stop_times give the times relative to
    its first departure. Each expanded trip gets the id ``"<trip_id>@<HH:MM:SS>"`` of its first
    departure, so it stays unique and readable. `exact_times` does not matter here: both kinds
    are expanded to the scheduled departures ``start_s, start_s + headway_s, ... < end_s``.
    """
    if len(tables.frequencies) == 0:
        return tables
    freq = tables.frequencies
    templates = set(freq.trip_id)
    st = tables.stop_times
    is_template = st.trip_id.isin(templates)
    template_st = st[is_template].sort_values(["trip_id", "stop_sequence"])
    first_dep = template_st.groupby("trip_id").departure_s.transform("first")
    template_st = template_st.assign(
        rel_arr=template_st.arrival_s - first_dep, rel_dep=template_st.departure_s - first_dep
    )
    new_trips: list[pd.DataFrame] = []
    new_st: list[pd.DataFrame] = []
    trips_by_id = tables.trips.set_index("trip_id", drop=False)
    for row in freq.itertuples(index=False):
        if row.headway_s <= 0 or row.trip_id not in trips_by_id.index:
            continue
        starts = np.arange(int(row.start_s), int(row.end_s), int(row.headway_s))
        base = template_st[template_st.trip_id == row.trip_id]
        trip_row = trips_by_id.loc[[row.trip_id]]
        for start in starts:
            new_id = f"{row.trip_id}@{format_gtfs_time(int(start))}"
            new_trips.append(trip_row.assign(trip_id=new_id))
            new_st.append(
                base.assign(
                    trip_id=new_id,
                    arrival_s=(base.rel_arr + start).astype("int32"),
                    departure_s=(base.rel_dep + start).astype("int32"),
                )[list(SCHEMA["stop_times"])]
            )
    trips = pd.concat(
        [tables.trips[~tables.trips.trip_id.isin(templates)], *new_trips], ignore_index=True
    )
    stop_times = pd.concat([st[~is_template], *new_st], ignore_index=True)
    return dataclasses.replace(
        tables,
        trips=typed_table("trips", trips),
        stop_times=typed_table("stop_times", stop_times),
        frequencies=empty_table("frequencies"),
    )


def format_gtfs_time(seconds: int) -> str:
    """``27000`` -> ``"07:30:00"``; hours may exceed 23 (``"25:10:00"``)."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
