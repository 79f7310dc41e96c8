"""Query-level RAPTOR: depart_at, arrive_by and range queries returning `Itinerary` objects.

The hot loop is `routing.search.kernel.raptor` (numba); this module prepares its inputs,
reconstructs journeys from the labels and turns them into legs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import cast

import numpy as np

from routing.itinerary import (
    MODE_TRANSIT,
    MODE_WALK,
    Itinerary,
    Leg,
    LegTemplate,
    Place,
    Route,
    pareto_filter,
    shape_slice,
    sort_itineraries,
)
from routing.search.kernel import FP_TRANSFER, INF, collect_departures, raptor
from routing.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_WALK_SPEED_MPS,
    REVERSE_OFFSET_S,
    SECONDS_PER_DAY,
    SearchArrays,
    Timetable,
)

MAX_TRANSFERS_LIMIT = 10
#: A range query with more distinct departures than this runs once per minute instead
#: (one run per departure second stays exact below it; stop-to-stop ranges rarely exceed it).
RANGE_EXACT_RUNS = 120

REASON_NO_CONNECTION = "no_connection"
REASON_NO_ACCESS = "no_stop_within_walking_distance"
REASON_OUTSIDE_HORIZON = "date_outside_service_horizon"
REASON_SAME_PLACE = "origin_is_destination"


@dataclasses.dataclass(frozen=True)
class StopAccess:
    """A stop where a journey may start (access) or end (egress), with the walk to/from it.

    For a stop-to-stop query use ``StopAccess(stop)``; `routing.spatial.stops_near` gives them
    for a coordinate. A composite option (bike share, on-demand: `routing.access`) carries the
    `legs` it consists of, in travel order; `duration_s` is then their total and the builder
    expands them instead of one walk.
    """

    stop: int
    duration_s: int = 0
    distance_m: float = 0.0
    legs: tuple[LegTemplate, ...] = ()


@dataclasses.dataclass(frozen=True)
class SearchOptions:
    """Query options. `max_walk_m` caps every walking footpath (station-internal transfers and
    transfers.txt entries are always allowed); `wheelchair` uses only stops and trips not
    marked inaccessible and ranks known-accessible itineraries first."""

    max_transfers: int = 5
    max_walk_m: float = 1000.0
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS
    wheelchair: bool = False
    with_geometry: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.max_transfers <= MAX_TRANSFERS_LIMIT:
            raise ValueError(f"max_transfers must be within 0..{MAX_TRANSFERS_LIMIT}")
        if self.max_walk_m < 0:
            raise ValueError("max_walk_m must be >= 0")
        if self.walk_speed_mps <= 0:
            raise ValueError("walk_speed_mps must be > 0")


@dataclasses.dataclass(frozen=True)
class PlanResult:
    """Itineraries in their deterministic order; when empty, `reason` says why."""

    itineraries: list[Itinerary]
    reason: str | None = None


@dataclasses.dataclass
class _Labels:
    tarr: np.ndarray
    tarr_trip: np.ndarray
    tarr_board: np.ndarray
    tarr_alight: np.ndarray
    tarr_round: np.ndarray
    board: np.ndarray
    board_from: np.ndarray
    board_fp: np.ndarray
    board_round: np.ndarray
    target_best: np.ndarray
    target_stop: np.ndarray
    target_kind: np.ndarray
    target_run: np.ndarray

    @classmethod
    def allocate(cls, n_rounds: int, n_stops: int) -> _Labels:
        shape = (n_rounds, n_stops)
        return cls(
            tarr=np.full(shape, INF, dtype=np.int64),
            tarr_trip=np.empty(shape, dtype=np.int32),
            tarr_board=np.empty(shape, dtype=np.int32),
            tarr_alight=np.empty(shape, dtype=np.int32),
            tarr_round=np.empty(shape, dtype=np.int32),
            board=np.full(shape, INF, dtype=np.int64),
            board_from=np.empty(shape, dtype=np.int32),
            board_fp=np.empty(shape, dtype=np.int32),
            board_round=np.empty(shape, dtype=np.int32),
            target_best=np.full(n_rounds, INF, dtype=np.int64),
            target_stop=np.full(n_rounds, -1, dtype=np.int64),
            target_kind=np.full(n_rounds, -1, dtype=np.int64),
            target_run=np.full(n_rounds, -1, dtype=np.int64),
        )


@dataclasses.dataclass(frozen=True)
class _RawLeg:
    """A walk between two stops, or a ride on `trip` from pattern position `board` to
    `alight` (in the search's own indices until `_to_forward` maps them)."""

    kind: str
    from_stop: int
    to_stop: int
    duration_s: int = 0
    distance_m: float = 0.0
    trip: int = -1
    board: int = -1
    alight: int = -1


def _masks(tt: Timetable, wheelchair: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stop_ok, forward trip_ok, backward trip_ok); wheelchair 0 = any, 1 = not
    inaccessible, 2 = known accessible only. Cached on the timetable."""
    cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = tt.__dict__.setdefault(
        "_mask_cache", {}
    )
    if wheelchair not in cache:
        if wheelchair == 0:
            stop_ok = np.ones(tt.n_stops, dtype=np.uint8)
            trip_ok = np.ones(tt.n_trips, dtype=np.uint8)
        elif wheelchair == 1:
            stop_ok = (tt.stop_wheelchair != 2).astype(np.uint8)
            trip_ok = (tt.trip_wheelchair != 2).astype(np.uint8)
        else:
            stop_ok = (tt.stop_wheelchair == 1).astype(np.uint8)
            trip_ok = (tt.trip_wheelchair == 1).astype(np.uint8)
        cache[wheelchair] = (stop_ok, trip_ok, trip_ok[tt.backward.trip_to_forward])
    return cache[wheelchair]


def _run(
    arrays: SearchArrays,
    labels: _Labels,
    stop_ok: np.ndarray,
    trip_ok: np.ndarray,
    options: SearchOptions,
    origin_stops: np.ndarray,
    origin_times: np.ndarray,
    target_egress: np.ndarray,
    run_id: int,
) -> None:
    raptor(
        arrays.pattern_stop_start,
        arrays.pattern_stops,
        arrays.pattern_pickup,
        arrays.pattern_dropoff,
        arrays.pattern_trip_start,
        arrays.pattern_time_start,
        arrays.arrival_s,
        arrays.departure_s,
        arrays.stop_pattern_start,
        arrays.stop_patterns,
        arrays.stop_pattern_pos,
        arrays.fp_start,
        arrays.fp_to,
        arrays.fp_duration_s,
        arrays.fp_distance_m,
        arrays.fp_kind,
        arrays.stop_change_s,
        stop_ok,
        trip_ok,
        float(options.max_walk_m),
        float(options.walk_speed_mps),
        origin_stops,
        origin_times,
        target_egress,
        labels.tarr,
        labels.tarr_trip,
        labels.tarr_board,
        labels.tarr_alight,
        labels.tarr_round,
        labels.board,
        labels.board_from,
        labels.board_fp,
        labels.board_round,
        labels.target_best,
        labels.target_stop,
        labels.target_kind,
        labels.target_run,
        run_id,
    )


def footpath_duration_s(arrays: SearchArrays, fp: int, walk_speed_mps: float) -> int:
    """Seconds the kernel charges for footpath `fp` at `walk_speed_mps`."""
    if int(arrays.fp_kind[fp]) == FP_TRANSFER:
        return int(arrays.fp_duration_s[fp])
    return int(np.ceil(float(arrays.fp_distance_m[fp]) / walk_speed_mps))


def _chain(
    arrays: SearchArrays, labels: _Labels, k: int, walk_speed_mps: float
) -> tuple[list[_RawLeg], int]:
    """Journey for the target label of round `k`, in search order (origin first), and the
    origin stop. Trips/positions are in the search's own (possibly reversed) indices."""
    legs: list[_RawLeg] = []
    s = int(labels.target_stop[k])
    state = "tarr" if labels.target_kind[k] == 0 else "board"
    r = k
    while True:
        if state == "tarr":
            trip = int(labels.tarr_trip[r, s])
            p_board = int(labels.tarr_board[r, s])
            p_alight = int(labels.tarr_alight[r, s])
            created = int(labels.tarr_round[r, s])
            pattern = _pattern_of(arrays, trip)
            stop0 = int(arrays.pattern_stop_start[pattern])
            b = int(arrays.pattern_stops[stop0 + p_board])
            legs.append(_RawLeg("ride", b, s, trip=trip, board=p_board, alight=p_alight))
            s, r, state = b, created - 1, "board"
            continue
        origin = int(labels.board_from[r, s])
        fp = int(labels.board_fp[r, s])
        created = int(labels.board_round[r, s])
        if origin == -1:
            break
        if fp == -1:
            s, r, state = origin, created, "tarr"
            continue
        legs.append(
            _RawLeg(
                "walk",
                origin,
                s,
                duration_s=footpath_duration_s(arrays, fp, walk_speed_mps),
                distance_m=float(arrays.fp_distance_m[fp]),
            )
        )
        s, r, state = origin, created, ("tarr" if created > 0 else "board")
    legs.reverse()
    return legs, s


def _pattern_of(arrays: SearchArrays, trip: int) -> int:
    return int(np.searchsorted(arrays.pattern_trip_start, trip, side="right")) - 1


def _to_forward(tt: Timetable, legs: list[_RawLeg], origin: int) -> tuple[list[_RawLeg], int]:
    """Reverse-search legs (destination first, reversed indices) -> forward legs."""
    bw = tt.backward
    fw = tt.forward
    out: list[_RawLeg] = []
    for leg in reversed(legs):
        if leg.kind == "walk":
            out.append(dataclasses.replace(leg, from_stop=leg.to_stop, to_stop=leg.from_stop))
            continue
        trip = int(bw.trip_to_forward[leg.trip])
        p = _pattern_of(fw, trip)
        n_pos = int(fw.pattern_stop_start[p + 1] - fw.pattern_stop_start[p])
        out.append(
            _RawLeg(
                "ride",
                leg.to_stop,
                leg.from_stop,
                trip=trip,
                board=n_pos - 1 - leg.alight,
                alight=n_pos - 1 - leg.board,
            )
        )
    last = out[-1].to_stop if out else origin
    return out, last


class _Builder:
    """Turns forward raw legs into `Itinerary` objects (names, times, geometry)."""

    def __init__(self, tt: Timetable, options: SearchOptions) -> None:
        self.tt = tt
        self.options = options
        self.fw = tt.forward

    def place(self, stop: int) -> Place:
        tt = self.tt
        parent = int(tt.stop_parent[stop])
        return Place(
            name=str(tt.stop_names[stop]),
            lat=float(tt.stop_lat[stop]),
            lon=float(tt.stop_lon[stop]),
            stop_id=str(tt.stop_ids[stop]),
            station_id=str(tt.stop_ids[parent]) if parent >= 0 else None,
        )

    def _walk_leg(
        self, a: Place, b: Place, start_s: int, duration_s: int, distance_m: float
    ) -> Leg:
        tt = self.tt
        return Leg(
            mode=MODE_WALK,
            from_place=a,
            to_place=b,
            departure=tt.to_datetime(start_s),
            arrival=tt.to_datetime(start_s + duration_s),
            departure_s=start_s,
            arrival_s=start_s + duration_s,
            distance_m=round(distance_m, 1),
            geometry=[[a.lon, a.lat], [b.lon, b.lat]] if self.options.with_geometry else [],
        )

    def _template_leg(self, t: LegTemplate, stop: int, start_s: int) -> Leg:
        a = t.from_place if t.from_place is not None else self.place(stop)
        b = t.to_place if t.to_place is not None else self.place(stop)
        leg = self._walk_leg(a, b, start_s, t.duration_s, t.distance_m)
        if t.mode == MODE_WALK:
            return leg
        geometry = [list(xy) for xy in t.geometry] if t.geometry else leg.geometry
        return dataclasses.replace(
            leg,
            mode=t.mode,
            operator=t.operator,
            details=t.details,
            stale=t.stale,
            geometry=geometry if self.options.with_geometry else [],
        )

    def _ride_leg(self, raw: _RawLeg) -> Leg:
        tt = self.tt
        stops, arr, dep = tt.trip_times(raw.trip)
        src = int(tt.trip_source[raw.trip])
        route_idx = int(tt.source_trip_route[src])
        route = (
            Route(
                id=str(tt.route_ids[route_idx]),
                short_name=str(tt.route_short_names[route_idx]),
                long_name=str(tt.route_long_names[route_idx]),
                type=int(tt.route_types[route_idx]),
            )
            if route_idx >= 0
            else None
        )
        board_stop = int(stops[raw.board])
        alight_stop = int(stops[raw.alight])
        ride = stops[raw.board : raw.alight + 1]
        lat = tt.stop_lat[ride]
        lon = tt.stop_lon[ride]
        hops = _haversine_path_m(lat, lon)
        geometry: list[list[float]] = []
        if self.options.with_geometry:
            shape = int(tt.source_trip_shape[src])
            if shape >= 0:
                a, b = int(tt.shape_start[shape]), int(tt.shape_start[shape + 1])
                geometry = shape_slice(
                    tt.shape_lat[a:b],
                    tt.shape_lon[a:b],
                    float(lat[0]),
                    float(lon[0]),
                    float(lat[-1]),
                    float(lon[-1]),
                )
            else:
                geometry = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
        accessible = int(
            tt.trip_wheelchair[raw.trip] == 1
            and tt.stop_wheelchair[board_stop] == 1
            and tt.stop_wheelchair[alight_stop] == 1
        )
        return Leg(
            mode=MODE_TRANSIT,
            from_place=self.place(board_stop),
            to_place=self.place(alight_stop),
            departure=tt.to_datetime(int(dep[raw.board])),
            arrival=tt.to_datetime(int(arr[raw.alight])),
            departure_s=int(dep[raw.board]),
            arrival_s=int(arr[raw.alight]),
            distance_m=round(hops, 1),
            geometry=geometry,
            trip_id=str(tt.source_trip_ids[src]),
            route=route,
            headsign=str(tt.source_trip_headsign[src]) or None,
            service_date=tt.service_date_of_trip(raw.trip),
            wheelchair_accessible=accessible,
        )

    def build(
        self,
        raw_legs: list[_RawLeg],
        origin: int,
        destination: int,
        access: StopAccess,
        egress: StopAccess,
        origin_place: Place | None,
        destination_place: Place | None,
        anchor_s: int,
    ) -> Itinerary | None:
        """Timed itinerary. Walks before the first ride end when it leaves; later walks start
        at the previous arrival. Walk-only journeys leave at `anchor_s`."""
        # (template, the stop it refers to) for walks and access legs; Leg for rides
        items: list[Leg | tuple[LegTemplate, int]] = []
        if origin_place is not None:
            if access.legs:
                items.extend((t, origin) for t in access.legs)
            else:
                items.append(
                    (
                        LegTemplate(
                            MODE_WALK,
                            origin_place,
                            None,
                            access.duration_s,
                            access.distance_m,
                        ),
                        origin,
                    )
                )
        for raw in raw_legs:
            if raw.kind == "walk":
                items.append(
                    (
                        LegTemplate(
                            MODE_WALK,
                            self.place(raw.from_stop),
                            self.place(raw.to_stop),
                            raw.duration_s,
                            raw.distance_m,
                        ),
                        raw.from_stop,
                    )
                )
            else:
                items.append(self._ride_leg(raw))
        if destination_place is not None:
            if egress.legs:
                items.extend((t, destination) for t in egress.legs)
            else:
                items.append(
                    (
                        LegTemplate(
                            MODE_WALK,
                            None,
                            destination_place,
                            egress.duration_s,
                            egress.distance_m,
                        ),
                        destination,
                    )
                )
        rides = [i for i, item in enumerate(items) if isinstance(item, Leg)]
        if not items:
            return None
        legs: list[Leg] = [None] * len(items)  # type: ignore[list-item]
        if rides:
            first = rides[0]
            ride0 = cast(Leg, items[first])
            clock = ride0.departure_s
            for i in range(first - 1, -1, -1):
                template, stop = cast(tuple[LegTemplate, int], items[i])
                clock -= template.duration_s
                if not template.fits(clock):
                    return None
                legs[i] = self._template_leg(template, stop, clock)
            clock = ride0.departure_s
            start = first
        else:
            clock = anchor_s
            start = 0
        for i in range(start, len(items)):
            item = items[i]
            if isinstance(item, Leg):
                legs[i] = item
                clock = item.arrival_s
            else:
                template, stop = item
                if not template.fits(clock):
                    return None
                legs[i] = self._template_leg(template, stop, clock)
                clock += template.duration_s
        legs = [
            leg
            for leg in legs
            if not (
                leg.mode == MODE_WALK and leg.duration_s == 0 and leg.from_place == leg.to_place
            )
        ]
        if not legs:
            return None
        transit = [leg for leg in legs if leg.mode == MODE_TRANSIT]
        accessible = int(bool(transit) and all(leg.wheelchair_accessible for leg in transit))
        departure_s = legs[0].departure_s
        arrival_s = legs[-1].arrival_s
        return Itinerary(
            legs=tuple(legs),
            departure=self.tt.to_datetime(departure_s),
            arrival=self.tt.to_datetime(arrival_s),
            departure_s=departure_s,
            arrival_s=arrival_s,
            duration_s=arrival_s - departure_s,
            transfers=max(len(transit) - 1, 0),
            walk_m=round(sum(leg.distance_m for leg in legs if leg.mode == MODE_WALK), 1),
            wheelchair_accessible=accessible,
        )


def direct_journey(
    tt: Timetable,
    templates: Sequence[LegTemplate],
    time_s: int,
    options: SearchOptions | None = None,
    *,
    arrive_by: bool = False,
) -> Itinerary | None:
    """A journey of untimed legs with fixed places only (door-to-door bike share or
    on-demand): leaves at `time_s`, or with `arrive_by` arrives at it. None when a leg does
    not fit its windows."""
    options = options or SearchOptions()
    builder = _Builder(tt, options)
    total = sum(t.duration_s for t in templates)
    clock = time_s - total if arrive_by else time_s
    legs: list[Leg] = []
    for template in templates:
        if not template.fits(clock):
            return None
        legs.append(builder._template_leg(template, -1, clock))
        clock += template.duration_s
    legs = [leg for leg in legs if not (leg.mode == MODE_WALK and leg.duration_s == 0)]
    if not legs:
        return None
    return Itinerary(
        legs=tuple(legs),
        departure=legs[0].departure,
        arrival=legs[-1].arrival,
        departure_s=legs[0].departure_s,
        arrival_s=legs[-1].arrival_s,
        duration_s=legs[-1].arrival_s - legs[0].departure_s,
        transfers=0,
        walk_m=round(sum(leg.distance_m for leg in legs if leg.mode == MODE_WALK), 1),
    )


def _haversine_path_m(lat: np.ndarray, lon: np.ndarray) -> float:
    from routing.timetable import haversine_m

    if len(lat) < 2:
        return 0.0
    return float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())


def _access_arrays(
    tt: Timetable, points: Sequence[StopAccess]
) -> tuple[np.ndarray, np.ndarray, dict[int, StopAccess]]:
    best: dict[int, StopAccess] = {}
    for p in points:
        if p.stop not in best or p.duration_s < best[p.stop].duration_s:
            best[p.stop] = p
    stops = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
    offsets = np.fromiter((p.duration_s for p in best.values()), dtype=np.int64, count=len(best))
    return stops, offsets, best


def _in_horizon(tt: Timetable, abs_s: int) -> bool:
    """From midnight of the first service day until 48:00 of the last one (trips of the last
    service day may run past midnight)."""
    first = tt.day_index(tt.dates[0]) * SECONDS_PER_DAY
    last = (tt.day_index(tt.dates[-1]) + 2) * SECONDS_PER_DAY
    return first <= abs_s < last


def _search(
    tt: Timetable,
    origins: Sequence[StopAccess],
    destinations: Sequence[StopAccess],
    time_s: int,
    options: SearchOptions,
    *,
    arrive_by: bool,
    window_s: int,
    wheelchair_level: int,
    origin_place: Place | None,
    destination_place: Place | None,
) -> list[Itinerary]:
    stop_ok, trip_ok_fw, trip_ok_bw = _masks(tt, wheelchair_level)
    if arrive_by:
        arrays = tt.backward
        trip_ok = trip_ok_bw
        src, dst = destinations, origins
    else:
        arrays = tt.forward
        trip_ok = trip_ok_fw
        src, dst = origins, destinations
    src_stops, src_offsets, src_by_stop = _access_arrays(tt, src)
    dst_stops, dst_offsets, dst_by_stop = _access_arrays(tt, dst)
    egress = np.full(tt.n_stops, INF, dtype=np.int64)
    egress[dst_stops] = dst_offsets
    n_rounds = options.max_transfers + 2
    labels = _Labels.allocate(n_rounds, tt.n_stops)
    search_time = REVERSE_OFFSET_S - time_s if arrive_by else time_s
    if window_s > 0 and not arrive_by:
        departures = collect_departures(
            arrays.pattern_stop_start,
            arrays.pattern_pickup,
            arrays.pattern_trip_start,
            arrays.pattern_time_start,
            arrays.departure_s,
            arrays.stop_pattern_start,
            arrays.stop_patterns,
            arrays.stop_pattern_pos,
            arrays.fp_start,
            arrays.fp_to,
            arrays.fp_duration_s,
            arrays.fp_distance_m,
            arrays.fp_kind,
            stop_ok,
            trip_ok,
            float(options.max_walk_m),
            float(options.walk_speed_mps),
            src_stops,
            src_offsets,
            time_s,
            time_s + window_s,
        ).tolist()
        if len(departures) > RANGE_EXACT_RUNS:
            # Many access stops in a dense centre give thousands of distinct departure
            # seconds, each a RAPTOR run. One run per minute (at the minute's earliest
            # departure) still finds every journey leaving in that minute; only a second
            # journey leaving within the same minute and arriving later can be missed.
            by_minute: dict[int, int] = {}
            for t in departures:
                by_minute[t // 60] = min(t, by_minute.get(t // 60, t))
            departures = sorted(by_minute.values(), reverse=True)
        if not departures or departures[-1] != time_s:
            departures.append(time_s)
    else:
        departures = [search_time]
    builder = _Builder(tt, options)
    found: list[Itinerary] = []
    for run_id, tau in enumerate(departures):
        _run(
            arrays,
            labels,
            stop_ok,
            trip_ok,
            options,
            src_stops,
            src_offsets + tau,
            egress,
            run_id,
        )
        best_before = int(INF)
        for k in range(n_rounds):
            value = int(labels.target_best[k])
            if value < best_before and labels.target_run[k] == run_id:
                raw, first_stop = _chain(arrays, labels, k, options.walk_speed_mps)
                last_stop = int(labels.target_stop[k])
                if arrive_by:
                    raw, _ = _to_forward(tt, raw, first_stop)
                    origin_stop, dest_stop = last_stop, first_stop
                else:
                    origin_stop, dest_stop = first_stop, last_stop
                anchor = REVERSE_OFFSET_S - value if arrive_by else tau
                itinerary = builder.build(
                    raw,
                    origin_stop,
                    dest_stop,
                    (dst_by_stop if arrive_by else src_by_stop)[origin_stop],
                    (src_by_stop if arrive_by else dst_by_stop)[dest_stop],
                    origin_place,
                    destination_place,
                    anchor,
                )
                if itinerary is not None:
                    found.append(itinerary)
            best_before = min(best_before, value)
    return found


def plan(
    tt: Timetable,
    origins: Sequence[StopAccess],
    destinations: Sequence[StopAccess],
    time_s: int,
    options: SearchOptions | None = None,
    *,
    arrive_by: bool = False,
    window_s: int = 0,
    origin_place: Place | None = None,
    destination_place: Place | None = None,
) -> PlanResult:
    """Pareto-optimal itineraries between access and egress stops.

    `time_s` is absolute timetable seconds (`Timetable.to_abs_s`): the earliest departure, or
    with `arrive_by` the latest arrival. `window_s > 0` makes a depart-at query a range query
    (rRAPTOR): every Pareto-optimal (departure, arrival, transfers) journey leaving within
    ``[time_s, time_s + window_s]``. `origin_place`/`destination_place` add the access and
    egress walks as legs (coordinate queries). Never raises for "no route": the result is
    empty with a `reason`.
    """
    options = options or SearchOptions()
    if window_s < 0:
        raise ValueError("window_s must be >= 0")
    if arrive_by and window_s:
        raise ValueError("range queries are depart-at only")
    if not _in_horizon(tt, time_s):
        return PlanResult([], REASON_OUTSIDE_HORIZON)
    if not origins or not destinations:
        return PlanResult([], REASON_NO_ACCESS)
    if {o.stop for o in origins} & {d.stop for d in destinations} and (
        origin_place is None and destination_place is None
    ):
        return PlanResult([], REASON_SAME_PLACE)
    by_departure = arrive_by or window_s > 0
    by_arrival = not arrive_by

    def search(level: int) -> list[Itinerary]:
        found = _search(
            tt,
            origins,
            destinations,
            time_s,
            options,
            arrive_by=arrive_by,
            window_s=window_s,
            wheelchair_level=level,
            origin_place=origin_place,
            destination_place=destination_place,
        )
        if window_s:
            # a later run may still find a journey that leaves after the window closes
            found = [it for it in found if it.departure_s <= time_s + window_s]
        return pareto_filter(found, by_departure=by_departure, by_arrival=by_arrival)

    if not options.wheelchair:
        result = search(0)
    else:
        known = search(2)
        unknown = search(1)
        seen = {it.signature() for it in known}
        extra = [it for it in unknown if it.signature() not in seen]
        result = sort_itineraries(
            [*known, *extra], arrive_by=arrive_by and not window_s, wheelchair=True
        )
    if not result:
        return PlanResult([], REASON_NO_CONNECTION)
    return PlanResult(result)


def direct_walk(
    tt: Timetable,
    origin: Place,
    destination: Place,
    time_s: int,
    options: SearchOptions | None = None,
    *,
    arrive_by: bool = False,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> Itinerary | None:
    """The walk-only journey between two coordinates (straight line x `detour_factor`), or
    None when it is longer than `options.max_walk_m`. Leaves at `time_s`, or with
    `arrive_by` arrives at it."""
    from routing.timetable import haversine_m, walk_duration_s

    options = options or SearchOptions()
    distance_m = (
        float(haversine_m(origin.lat, origin.lon, destination.lat, destination.lon)) * detour_factor
    )
    if distance_m > options.max_walk_m:
        return None
    duration_s = int(walk_duration_s(distance_m, options.walk_speed_mps))
    start_s = time_s - duration_s if arrive_by else time_s
    leg = _Builder(tt, options)._walk_leg(origin, destination, start_s, duration_s, distance_m)
    return Itinerary(
        legs=(leg,),
        departure=leg.departure,
        arrival=leg.arrival,
        departure_s=leg.departure_s,
        arrival_s=leg.arrival_s,
        duration_s=duration_s,
        transfers=0,
        walk_m=leg.distance_m,
    )
