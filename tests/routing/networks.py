"""Tiny hand-built feeds for the engine tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from routing.search import PlanResult, SearchOptions, StopAccess, plan
from routing.tables import FeedTables
from routing.timetable import Timetable, compile_timetable

#: A Tuesday; the epoch of every timetable compiled here, so absolute seconds = GTFS seconds.
DAY = dt.date(2024, 3, 5)
TZ = "Asia/Tokyo"


def hms(text: str) -> int:
    """``"08:30"`` or ``"25:10:00"`` -> seconds."""
    parts = [int(p) for p in text.split(":")] + [0]
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def feed(
    stops: Sequence[tuple[str, float, float]],
    trips: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
    *,
    feed_id: str = "t",
    calendar: Sequence[tuple[str, str, int, int]] = (("WK", "1111111", 20240101, 20241231),),
    calendar_dates: Sequence[tuple[str, int, int]] = (),
    transfers: Sequence[tuple[str, str, int, int]] = (),
    parents: dict[str, str] | None = None,
    stop_wheelchair: dict[str, int] | None = None,
    trip_wheelchair: dict[str, int] | None = None,
    shapes: dict[str, list[tuple[float, float]]] | None = None,
) -> FeedTables:
    """Build a feed: trips are (trip_id, service_id, [(stop_id, "HH:MM"), ...]); a trip's
    route is its id up to the first "-"; calendar rows are (service, "MTWTFSS", start, end)."""
    parents = parents or {}
    stop_wheelchair = stop_wheelchair or {}
    trip_wheelchair = trip_wheelchair or {}
    shapes = shapes or {}
    station_ids = sorted(set(parents.values()))
    stop_rows = [(sid, lat, lon) for sid, lat, lon in stops]
    st_rows = []
    for trip_id, _service, calls in trips:
        for seq, (stop_id, time) in enumerate(calls):
            st_rows.append((trip_id, seq + 1, stop_id, hms(time)))
    routes = sorted({trip_id.split("-")[0] for trip_id, _, _ in trips})
    return FeedTables.build(
        feed_id,
        TZ,
        stops={
            "stop_id": [s[0] for s in stop_rows] + station_ids,
            "stop_name": [f"Stop {s[0]}" for s in stop_rows] + station_ids,
            "stop_lat": [s[1] for s in stop_rows] + [stops[0][1]] * len(station_ids),
            "stop_lon": [s[2] for s in stop_rows] + [stops[0][2]] * len(station_ids),
            "location_type": [0] * len(stop_rows) + [1] * len(station_ids),
            "parent_station": [parents.get(s[0], "") for s in stop_rows] + [""] * len(station_ids),
            "wheelchair_boarding": [stop_wheelchair.get(s[0], 0) for s in stop_rows]
            + [0] * len(station_ids),
        },
        routes={
            "route_id": routes,
            "route_short_name": routes,
            "route_long_name": [f"Line {r}" for r in routes],
            "route_type": [3] * len(routes),
        },
        trips={
            "trip_id": [t[0] for t in trips],
            "route_id": [t[0].split("-")[0] for t in trips],
            "service_id": [t[1] for t in trips],
            "trip_headsign": [f"to {t[2][-1][0]}" for t in trips],
            "shape_id": [t[0].split("-")[0] if t[0].split("-")[0] in shapes else "" for t in trips],
            "wheelchair_accessible": [trip_wheelchair.get(t[0], 0) for t in trips],
        },
        stop_times={
            "trip_id": [r[0] for r in st_rows],
            "stop_sequence": [r[1] for r in st_rows],
            "stop_id": [r[2] for r in st_rows],
            "arrival_s": [r[3] for r in st_rows],
            "departure_s": [r[3] for r in st_rows],
        },
        calendar={
            "service_id": [c[0] for c in calendar],
            **{
                day: [int(c[1][i]) for c in calendar]
                for i, day in enumerate(
                    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
                )
            },
            "start_date": [c[2] for c in calendar],
            "end_date": [c[3] for c in calendar],
        },
        calendar_dates={
            "service_id": [c[0] for c in calendar_dates],
            "date": [c[1] for c in calendar_dates],
            "exception_type": [c[2] for c in calendar_dates],
        },
        transfers={
            "from_stop_id": [t[0] for t in transfers],
            "to_stop_id": [t[1] for t in transfers],
            "transfer_type": [t[2] for t in transfers],
            "min_transfer_time": [t[3] for t in transfers],
        },
        shapes={
            "shape_id": [sid for sid, pts in shapes.items() for _ in pts],
            "shape_pt_lat": [p[0] for pts in shapes.values() for p in pts],
            "shape_pt_lon": [p[1] for pts in shapes.values() for p in pts],
            "shape_pt_sequence": [i for pts in shapes.values() for i in range(len(pts))],
        },
    )


def compile_one(f: FeedTables, dates: Sequence[dt.date] = (DAY,)) -> Timetable:
    """Compile a single feed for `dates` (default: `DAY`)."""
    return compile_timetable([f], dates)


def query(
    tt: Timetable,
    origin: str,
    destination: str,
    time: str,
    *,
    feed_id: str = "t",
    day_offset: int = 0,
    **options: object,
) -> PlanResult:
    """Stop-to-stop plan by plain stop ids; `time` on `DAY` (+ `day_offset` days)."""
    arrive_by = bool(options.pop("arrive_by", False))
    window_s = int(options.pop("window_s", 0))  # type: ignore[call-overload]
    return plan(
        tt,
        [StopAccess(tt.stop_index_get(f"{feed_id}:{origin}"))],
        [StopAccess(tt.stop_index_get(f"{feed_id}:{destination}"))],
        hms(time) + day_offset * 86_400,
        SearchOptions(**options),  # type: ignore[arg-type]
        arrive_by=arrive_by,
        window_s=window_s,
    )


def summary(result: PlanResult) -> list[tuple[str, ...]]:
    """Each itinerary as (dep, arr, transfers, "trip@board->alight", ...) for exact asserts."""
    out = []
    for it in result.itineraries:
        legs = tuple(
            f"{leg.trip_id or 'walk'}:{(leg.from_place.stop_id or '').split(':')[-1]}"
            f"->{(leg.to_place.stop_id or '').split(':')[-1]}"
            for leg in it.legs
        )
        out.append((_clock(it.departure_s), _clock(it.arrival_s), str(it.transfers), *legs))
    return out


def _clock(abs_s: int) -> str:
    return f"{abs_s // 3600:02d}:{abs_s // 60 % 60:02d}:{abs_s % 60:02d}"
