"""Compile `FeedTables` into flat numpy arrays for RAPTOR over a horizon of service days.

Time
----
All times are int32 *absolute seconds* ``day_index * 86400 + gtfs_seconds`` where
``day_index`` counts service days from `Timetable.epoch_date` (the first date of the horizon,
day 0) and ``gtfs_seconds`` is the GTFS time of that service day (from "noon minus 12 h", may
exceed 86 400). A trip of the day *before* the horizon that still runs after midnight therefore
has day index -1 and times >= 0. DST shifts are ignored inside a service day (the GTFS clock is
used as published); `Timetable.to_datetime` converts to aware datetimes at the edges.

Array layout (P patterns, T trip instances, S stops, F footpaths)
----------------------------------------------------------------
A *trip instance* is one GTFS trip on one service day. Instances with the same stop sequence
and the same pickup/drop-off permissions form a *pattern*; instances that would overtake
another one in the same pattern are split into a further pattern ("lane"), so within a pattern
instances are FIFO: sorted by departure, no one ever passes another at any stop.

- ``pattern_stop_start[P+1]``: stops of pattern ``p`` are
  ``pattern_stops[pattern_stop_start[p]:pattern_stop_start[p+1]]`` (stop indices), with
  ``pattern_pickup`` / ``pattern_dropoff`` (uint8, 1 = allowed) aligned to them.
- ``pattern_trip_start[P+1]``: instances of ``p`` are ``pattern_trip_start[p] + j`` for
  ``j < n_trips(p)``, earliest first.
- ``pattern_time_start[P+1]`` (int64): times are *stop-major* within a pattern, so the
  departures at one stop are contiguous and sorted (binary search):
  ``departure_s[pattern_time_start[p] + i * n_trips(p) + j]`` is instance ``j`` at position
  ``i``; same for ``arrival_s``.
- ``trip_pattern[T]``, ``trip_source[T]`` (row in the ``source_trip_*`` arrays: one per GTFS
  trip), ``trip_day[T]`` (day index), ``trip_wheelchair[T]`` (GTFS 0/1/2).
- ``stop_pattern_start[S+1]``: the (pattern, position) pairs serving stop ``s`` are
  ``stop_patterns[a:b]`` / ``stop_pattern_pos[a:b]``.
- Footpaths in CSR form: ``fp_start[S+1]``; ``fp_to``, ``fp_duration_s`` (at the default
  walking speed), ``fp_distance_m`` (walked metres: straight line x detour), ``fp_kind``
  (`FP_STATION`: same parent station, `FP_TRANSFER`: transfers.txt, `FP_WALK`: nearby stops).
  Station and transfers.txt footpaths are allowed whatever the query's ``max_walk_m``.
- ``stop_change_s[S]``: minimum time between alighting and boarding at the same stop
  (transfers.txt ``from == to``; default 0; -1 when transfer_type 3 forbids it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Sequence

import numba
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from routing.streets import StreetNetwork
from routing.tables import FeedTables, active_service_ids, expand_frequencies

FP_STATION = 0
FP_TRANSFER = 1
FP_WALK = 2

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_WALK_SPEED_MPS = 1.2
DEFAULT_DETOUR_FACTOR = 1.3
#: Longest walking footpath compiled (metres walked); queries may only restrict it further.
DEFAULT_MAX_FOOTPATH_M = 1000.0
SECONDS_PER_DAY = 86_400


@dataclasses.dataclass(frozen=True)
class SearchArrays:
    """The arrays the RAPTOR kernel reads (one set forward, one time-reversed)."""

    pattern_stop_start: np.ndarray
    pattern_stops: np.ndarray
    pattern_pickup: np.ndarray
    pattern_dropoff: np.ndarray
    pattern_trip_start: np.ndarray
    pattern_time_start: np.ndarray
    arrival_s: np.ndarray
    departure_s: np.ndarray
    stop_pattern_start: np.ndarray
    stop_patterns: np.ndarray
    stop_pattern_pos: np.ndarray
    fp_start: np.ndarray
    fp_to: np.ndarray
    fp_duration_s: np.ndarray
    fp_distance_m: np.ndarray
    fp_kind: np.ndarray
    stop_change_s: np.ndarray
    #: Search trip index -> forward trip index (identity forward; reversed order backward).
    trip_to_forward: np.ndarray


@dataclasses.dataclass
class Timetable:
    """A compiled multi-feed timetable; see the module docstring for the array layout."""

    timezone: str
    epoch_date: dt.date
    dates: tuple[dt.date, ...]
    feed_ids: tuple[str, ...]
    # stops
    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_lat: np.ndarray
    stop_lon: np.ndarray
    stop_parent: np.ndarray
    stop_location_type: np.ndarray
    stop_wheelchair: np.ndarray
    # source trips and routes
    source_trip_ids: np.ndarray
    source_trip_route: np.ndarray
    source_trip_headsign: np.ndarray
    source_trip_shape: np.ndarray
    route_ids: np.ndarray
    route_short_names: np.ndarray
    route_long_names: np.ndarray
    route_types: np.ndarray
    # trip instances
    trip_pattern: np.ndarray
    trip_source: np.ndarray
    trip_day: np.ndarray
    trip_wheelchair: np.ndarray
    # shapes (CSR): points of shape k are shape_lon/lat[shape_start[k]:shape_start[k+1]]
    shape_ids: np.ndarray
    shape_start: np.ndarray
    shape_lat: np.ndarray
    shape_lon: np.ndarray
    forward: SearchArrays
    _backward: SearchArrays | None = None
    stop_index: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def n_stops(self) -> int:
        """Number of stops (all location types)."""
        return len(self.stop_ids)

    @property
    def n_trips(self) -> int:
        """Number of trip instances (trip x service day)."""
        return len(self.trip_pattern)

    @property
    def n_patterns(self) -> int:
        """Number of FIFO trip patterns."""
        return len(self.forward.pattern_trip_start) - 1

    @property
    def backward(self) -> SearchArrays:
        """Time-reversed arrays for arrive-by searches (built on first use)."""
        if self._backward is None:
            self._backward = _reverse(self.forward)
        return self._backward

    def stop_index_get(self, stop_id: str) -> int:
        """Index of a namespaced stop id (``"<feed_id>:<stop_id>"``); raises KeyError."""
        return self.stop_index[stop_id]

    def boardable_stops(self, stop: int) -> list[int]:
        """The stop itself, or for a parent station (location_type 1) its child stops."""
        if self.stop_location_type[stop] != 1:
            return [stop]
        return [int(s) for s in np.flatnonzero(self.stop_parent == stop)]

    def day_index(self, day: dt.date) -> int:
        """Day index of a date relative to the epoch (0 for the first horizon date)."""
        return (day - self.epoch_date).days

    def to_abs_s(self, when: dt.datetime) -> int:
        """Aware datetime -> absolute timetable seconds (wall clock in the feed's zone)."""
        if when.tzinfo is None:
            raise ValueError("aware datetime required")
        local = when.astimezone(zoneinfo.ZoneInfo(self.timezone))
        days = self.day_index(local.date())
        return days * SECONDS_PER_DAY + local.hour * 3600 + local.minute * 60 + local.second

    def to_datetime(self, abs_s: int) -> dt.datetime:
        """Absolute timetable seconds -> aware datetime in the feed's time zone."""
        days, rest = divmod(int(abs_s), SECONDS_PER_DAY)
        day = self.epoch_date + dt.timedelta(days=days)
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rest)
        return naive.replace(tzinfo=zoneinfo.ZoneInfo(self.timezone))

    def service_date_of_trip(self, trip: int) -> dt.date:
        """The service date a trip instance belongs to."""
        return self.epoch_date + dt.timedelta(days=int(self.trip_day[trip]))

    def trip_times(self, trip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stops, arrival_s, departure_s) of a trip instance along its pattern."""
        fw = self.forward
        p = int(self.trip_pattern[trip])
        j = trip - int(fw.pattern_trip_start[p])
        n = int(fw.pattern_trip_start[p + 1] - fw.pattern_trip_start[p])
        stops = fw.pattern_stops[fw.pattern_stop_start[p] : fw.pattern_stop_start[p + 1]]
        idx = int(fw.pattern_time_start[p]) + np.arange(len(stops)) * n + j
        return stops, fw.arrival_s[idx], fw.departure_s[idx]


def haversine_m(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def walk_duration_s(distance_m: np.ndarray | float, speed_mps: float) -> np.ndarray:
    """Walking seconds for walked metres, rounded up to a whole second."""
    return np.ceil(np.asarray(distance_m, dtype=np.float64) / speed_mps).astype(np.int64)


def unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (for KD-trees: chord length is monotone in distance)."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord_for_m(distance_m: float) -> float:
    """Unit-sphere chord length of a great-circle distance."""
    return 2.0 * math.sin(min(distance_m / EARTH_RADIUS_M, math.pi) / 2.0)


@numba.njit(cache=True)
def _assign_lanes(
    order: np.ndarray,
    group: np.ndarray,
    times_start: np.ndarray,
    n_stops: np.ndarray,
    shift: np.ndarray,
    arr: np.ndarray,
    dep: np.ndarray,
) -> np.ndarray:
    """Greedy FIFO lanes: instance -> lane within its base pattern (no overtaking in a lane).

    `order` lists instances sorted by (group, first departure, last arrival); an instance joins
    the first lane whose last instance it neither leaves before nor arrives before at any stop.
    """
    n = len(order)
    lane = np.zeros(n, dtype=np.int32)
    lane_last = np.empty(n, dtype=np.int64)
    n_lanes = 0
    prev_group = -1
    for idx in range(n):
        t = order[idx]
        if group[t] != prev_group:
            prev_group = group[t]
            n_lanes = 0
        placed = -1
        for ln in range(n_lanes):
            u = lane_last[ln]
            ok = True
            a = times_start[t]
            b = times_start[u]
            for i in range(n_stops[t]):
                if dep[a + i] + shift[t] < dep[b + i] + shift[u] or (
                    arr[a + i] + shift[t] < arr[b + i] + shift[u]
                ):
                    ok = False
                    break
            if ok:
                placed = ln
                break
        if placed < 0:
            placed = n_lanes
            n_lanes += 1
        lane_last[placed] = t
        lane[t] = placed
    return lane


@numba.njit(cache=True)
def _fill_times(
    inst_sorted: np.ndarray,
    inst_pattern: np.ndarray,
    pattern_trip_start: np.ndarray,
    pattern_time_start: np.ndarray,
    src_start: np.ndarray,
    src_len: np.ndarray,
    shift: np.ndarray,
    arr: np.ndarray,
    dep: np.ndarray,
    out_arr: np.ndarray,
    out_dep: np.ndarray,
) -> None:
    for k in range(len(inst_sorted)):
        t = inst_sorted[k]
        p = inst_pattern[t]
        n = pattern_trip_start[p + 1] - pattern_trip_start[p]
        j = k - pattern_trip_start[p]
        base = pattern_time_start[p]
        for i in range(src_len[t]):
            out_arr[base + i * n + j] = arr[src_start[t] + i] + shift[t]
            out_dep[base + i * n + j] = dep[src_start[t] + i] + shift[t]


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable order by key and CSR offsets for keys in [0, n)."""
    order = np.argsort(keys, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=start[1:])
    return order, start


def _namespaced(feed_id: str, values: pd.Series) -> np.ndarray:
    return (feed_id + ":" + values.astype(str)).to_numpy(dtype=object)


def compile_timetable(
    feeds: Sequence[FeedTables],
    dates: Iterable[dt.date],
    *,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    max_footpath_m: float = DEFAULT_MAX_FOOTPATH_M,
    street_networks: Sequence[StreetNetwork] = (),
) -> Timetable:
    """Compile feeds into a `Timetable` for the service `dates` (plus overnight spill-over).

    All feeds must share one time zone. Trips of the day before each date that run past
    midnight are included, so a query just after midnight sees them. Walking footpaths join
    stops (across feeds too) within `max_footpath_m` walked metres, timed at
    `walk_speed_mps`: along the streets of the first of `street_networks` that both stops
    snap to, else straight line x `detour_factor`.
    """
    horizon = tuple(sorted(set(dates)))
    if not horizon:
        raise ValueError("at least one service date is required")
    if not feeds:
        raise ValueError("at least one feed is required")
    zones = {feed.timezone for feed in feeds}
    if len(zones) != 1:
        raise ValueError(f"feeds must share one time zone, got {sorted(zones)}")
    feeds = [expand_frequencies(feed) for feed in feeds]
    epoch = horizon[0]
    spill_days = sorted({d - dt.timedelta(days=1) for d in horizon} - set(horizon))

    # ---- stops
    stops = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": _namespaced(f.feed_id, f.stops.stop_id),
                    "name": f.stops.stop_name.to_numpy(dtype=object),
                    "lat": f.stops.stop_lat.to_numpy(),
                    "lon": f.stops.stop_lon.to_numpy(),
                    "location_type": f.stops.location_type.to_numpy(),
                    "parent": np.where(
                        f.stops.parent_station.to_numpy(dtype=object) == "",
                        "",
                        _namespaced(f.feed_id, f.stops.parent_station),
                    ),
                    "wheelchair": f.stops.wheelchair_boarding.to_numpy(),
                }
            )
            for f in feeds
        ],
        ignore_index=True,
    )
    stop_ids = stops.id.to_numpy(dtype=object)
    stop_index = {sid: i for i, sid in enumerate(stop_ids)}
    if len(stop_index) != len(stop_ids):
        raise ValueError("duplicate stop ids")
    stop_parent = np.array([stop_index.get(p, -1) for p in stops.parent], dtype=np.int32)
    stop_wheelchair = stops.wheelchair.to_numpy(dtype=np.int8).copy()
    inherit = (stop_wheelchair == 0) & (stop_parent >= 0)
    stop_wheelchair[inherit] = stop_wheelchair[stop_parent[inherit]]
    stop_lat = stops.lat.to_numpy(dtype=np.float64)
    stop_lon = stops.lon.to_numpy(dtype=np.float64)
    n_stops = len(stop_ids)

    # ---- routes, trips, shapes
    routes = pd.concat(
        [f.routes.assign(key=_namespaced(f.feed_id, f.routes.route_id)) for f in feeds],
        ignore_index=True,
    )
    route_index = {rid: i for i, rid in enumerate(routes.key)}
    shape_frames = [f.shapes.assign(key=_namespaced(f.feed_id, f.shapes.shape_id)) for f in feeds]
    shapes = pd.concat(shape_frames, ignore_index=True).sort_values(
        ["key", "shape_pt_sequence"], kind="stable"
    )
    shape_ids, shape_codes = np.unique(shapes.key.to_numpy(dtype=str), return_inverse=True)
    shape_index = {sid: i for i, sid in enumerate(shape_ids)}
    shape_lat, shape_lon, shape_codes = _simplified_shapes(
        shapes.shape_pt_lat.to_numpy(dtype=np.float64),
        shapes.shape_pt_lon.to_numpy(dtype=np.float64),
        shape_codes,
    )
    shape_start = np.zeros(len(shape_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(shape_codes, minlength=len(shape_ids)), out=shape_start[1:])

    trip_frames = []
    st_frames = []
    for f in feeds:
        trips = f.trips.assign(
            key=_namespaced(f.feed_id, f.trips.trip_id),
            route=[route_index.get(f"{f.feed_id}:{r}", -1) for r in f.trips.route_id],
            shape=[shape_index.get(f"{f.feed_id}:{s}", -1) if s else -1 for s in f.trips.shape_id],
            feed=f.feed_id,
        )
        trip_frames.append(trips)
        st_frames.append(
            f.stop_times.assign(
                trip_key=_namespaced(f.feed_id, f.stop_times.trip_id),
                stop=[stop_index.get(f"{f.feed_id}:{s}", -1) for s in f.stop_times.stop_id],
            )
        )
    trips = pd.concat(trip_frames, ignore_index=True)
    trip_index = {tid: i for i, tid in enumerate(trips.key)}
    st = pd.concat(st_frames, ignore_index=True)
    st = st.assign(trip=st.trip_key.map(trip_index).fillna(-1).astype(np.int64))
    st = st[(st.trip >= 0) & (st.stop >= 0)]
    st = st.sort_values(["trip", "stop_sequence"], kind="stable")
    st_trip = st.trip.to_numpy(dtype=np.int64)
    st_stop = st.stop.to_numpy(dtype=np.int32)
    st_arr = st.arrival_s.to_numpy(dtype=np.int64)
    st_dep = np.maximum(st.departure_s.to_numpy(dtype=np.int64), st_arr)
    st_pick = (st.pickup_type.to_numpy() != 1).astype(np.uint8)
    st_drop = (st.drop_off_type.to_numpy() != 1).astype(np.uint8)
    n_src = len(trips)
    src_len = np.bincount(st_trip, minlength=n_src).astype(np.int64)
    src_start = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(src_len, out=src_start[1:])

    # base pattern per source trip: exact stop sequence + pickup/drop-off permissions
    base_of_src = np.full(n_src, -1, dtype=np.int64)
    base_keys: dict[bytes, int] = {}
    base_first_src: list[int] = []
    for t in np.flatnonzero(src_len >= 2):
        a, b = src_start[t], src_start[t + 1]
        key = st_stop[a:b].tobytes() + st_pick[a:b].tobytes() + st_drop[a:b].tobytes()
        code = base_keys.get(key)
        if code is None:
            code = len(base_keys)
            base_keys[key] = code
            base_first_src.append(int(t))
        base_of_src[t] = code

    # ---- trip instances: (source trip, service day)
    inst_src_parts = []
    inst_day_parts = []
    service_of_src = trips.service_id.to_numpy(dtype=object)
    feed_of_src = trips.feed.to_numpy(dtype=object)
    # (a GTFS-Flex feed may have no timed stop_times at all: zone service only)
    last_arr = (
        np.where(src_len > 0, st_arr[np.maximum(src_start[1:] - 1, 0)], 0)
        if len(st_arr)
        else np.zeros(n_src, dtype=np.int64)
    )
    by_feed = {f.feed_id: f for f in feeds}
    for day in (*spill_days, *horizon):
        running = np.zeros(n_src, dtype=bool)
        for feed_id, f in by_feed.items():
            active = active_service_ids(f, day)
            running |= (feed_of_src == feed_id) & np.isin(service_of_src, list(active))
        running &= base_of_src >= 0
        if day in spill_days:
            running &= last_arr >= SECONDS_PER_DAY
        chosen = np.flatnonzero(running)
        inst_src_parts.append(chosen)
        inst_day_parts.append(np.full(len(chosen), (day - epoch).days, dtype=np.int64))
    inst_src = np.concatenate(inst_src_parts) if inst_src_parts else np.zeros(0, np.int64)
    inst_day = np.concatenate(inst_day_parts) if inst_day_parts else np.zeros(0, np.int64)
    inst_shift = inst_day * SECONDS_PER_DAY
    inst_base = base_of_src[inst_src]
    inst_start = src_start[inst_src]
    inst_len = src_len[inst_src]
    first_dep = st_dep[inst_start] + inst_shift
    last_arr_abs = st_arr[inst_start + inst_len - 1] + inst_shift
    order = np.lexsort((inst_src, last_arr_abs, first_dep, inst_base))
    lane = _assign_lanes(order, inst_base, inst_start, inst_len, inst_shift, st_arr, st_dep)
    # final pattern = (base, lane), numbered in order of first appearance
    combo = inst_base * (int(lane.max(initial=0)) + 1) + lane
    uniq, inst_pattern = np.unique(combo, return_inverse=True)
    inst_pattern = inst_pattern.astype(np.int64)
    n_patterns = len(uniq)
    final_order = np.lexsort((inst_src, last_arr_abs, first_dep, inst_pattern))
    counts = np.bincount(inst_pattern, minlength=n_patterns)
    pattern_trip_start = np.zeros(n_patterns + 1, dtype=np.int64)
    np.cumsum(counts, out=pattern_trip_start[1:])
    pattern_first_inst = final_order[pattern_trip_start[:-1]]
    pattern_len = inst_len[pattern_first_inst]
    pattern_src_start = inst_start[pattern_first_inst]
    pattern_stop_start = np.zeros(n_patterns + 1, dtype=np.int64)
    np.cumsum(pattern_len, out=pattern_stop_start[1:])
    gather = np.repeat(pattern_src_start - pattern_stop_start[:-1], pattern_len) + np.arange(
        pattern_stop_start[-1]
    )
    pattern_stops = st_stop[gather].astype(np.int32)
    pattern_pickup = st_pick[gather]
    pattern_dropoff = st_drop[gather]
    pattern_time_start = np.zeros(n_patterns + 1, dtype=np.int64)
    np.cumsum(counts * pattern_len, out=pattern_time_start[1:])
    n_times = int(pattern_time_start[-1])
    arrival_s = np.empty(n_times, dtype=np.int64)
    departure_s = np.empty(n_times, dtype=np.int64)
    _fill_times(
        final_order,
        inst_pattern,
        pattern_trip_start,
        pattern_time_start,
        inst_start,
        inst_len,
        inst_shift,
        st_arr,
        st_dep,
        arrival_s,
        departure_s,
    )
    if n_times and arrival_s.max() > REVERSE_OFFSET_S - SECONDS_PER_DAY:
        raise ValueError("times out of int32 range: horizon too long")

    # stop -> (pattern, position)
    sp_pattern = np.repeat(np.arange(n_patterns, dtype=np.int32), pattern_len)
    sp_pos = (
        np.arange(len(pattern_stops)) - np.repeat(pattern_stop_start[:-1], pattern_len)
    ).astype(np.int32)
    sp_order, stop_pattern_start = _csr(pattern_stops.astype(np.int64), n_stops)

    # ---- footpaths
    fp_to, fp_from, fp_dist, fp_dur, fp_kind, stop_change = _footpaths(
        feeds,
        stop_index,
        stop_lat,
        stop_lon,
        stop_parent,
        stops.location_type.to_numpy(),
        walk_speed_mps=walk_speed_mps,
        detour_factor=detour_factor,
        max_footpath_m=max_footpath_m,
        street_networks=street_networks,
    )
    fp_order, fp_start = _csr(fp_from, n_stops)

    trip_src_sorted = inst_src[final_order]
    src_wheelchair = trips.wheelchair_accessible.to_numpy(dtype=np.int8)
    forward = SearchArrays(
        pattern_stop_start=pattern_stop_start,
        pattern_stops=pattern_stops,
        pattern_pickup=pattern_pickup,
        pattern_dropoff=pattern_dropoff,
        pattern_trip_start=pattern_trip_start,
        pattern_time_start=pattern_time_start,
        arrival_s=arrival_s.astype(np.int32),
        departure_s=departure_s.astype(np.int32),
        stop_pattern_start=stop_pattern_start,
        stop_patterns=sp_pattern[sp_order],
        stop_pattern_pos=sp_pos[sp_order],
        fp_start=fp_start,
        fp_to=fp_to[fp_order],
        fp_duration_s=fp_dur[fp_order],
        fp_distance_m=fp_dist[fp_order],
        fp_kind=fp_kind[fp_order],
        stop_change_s=stop_change,
        trip_to_forward=np.arange(len(final_order), dtype=np.int32),
    )
    return Timetable(
        timezone=next(iter(zones)),
        epoch_date=epoch,
        dates=horizon,
        feed_ids=tuple(f.feed_id for f in feeds),
        stop_ids=stop_ids,
        stop_names=stops.name.to_numpy(dtype=object),
        stop_lat=stop_lat,
        stop_lon=stop_lon,
        stop_parent=stop_parent,
        stop_location_type=stops.location_type.to_numpy(dtype=np.int8),
        stop_wheelchair=stop_wheelchair,
        source_trip_ids=trips.key.to_numpy(dtype=object),
        source_trip_route=trips.route.to_numpy(dtype=np.int32),
        source_trip_headsign=trips.trip_headsign.to_numpy(dtype=object),
        source_trip_shape=trips["shape"].to_numpy(dtype=np.int32),
        route_ids=routes.key.to_numpy(dtype=object),
        route_short_names=routes.route_short_name.to_numpy(dtype=object),
        route_long_names=routes.route_long_name.to_numpy(dtype=object),
        route_types=routes.route_type.to_numpy(dtype=np.int32),
        trip_pattern=inst_pattern[final_order].astype(np.int32),
        trip_source=trip_src_sorted.astype(np.int32),
        trip_day=inst_day[final_order].astype(np.int16),
        trip_wheelchair=src_wheelchair[trip_src_sorted],
        shape_ids=shape_ids.astype(object),
        shape_start=shape_start,
        shape_lat=shape_lat,
        shape_lon=shape_lon,
        forward=forward,
        stop_index=stop_index,
    )


#: Shapes are simplified once at compile time within this many degrees (~1 m): a line
#: looks the same on any map, and a 50 km ride carries hundreds of points, not thousands.
SHAPE_TOLERANCE_DEG = 1e-5


def _simplified_shapes(
    lat: np.ndarray, lon: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Douglas-Peucker per shape (points grouped by `codes`, in order); returns the kept
    points' lat, lon and shape codes."""
    if len(lat) == 0:
        return lat, lon, codes
    import shapely

    counts = np.bincount(codes)
    if (counts[counts > 0] < 2).any():
        return lat, lon, codes  # a one-point "shape" is no line: leave all as published
    lines = shapely.linestrings(np.column_stack((lon, lat)), indices=codes)
    simplified = shapely.simplify(lines, SHAPE_TOLERANCE_DEG)
    coords, index = shapely.get_coordinates(simplified, return_index=True)
    kept = np.bincount(index, minlength=len(counts))
    if (kept[counts > 0] == 0).any():  # degenerate shapes: leave everything unsimplified
        return lat, lon, codes
    return coords[:, 1].copy(), coords[:, 0].copy(), index.astype(codes.dtype)


def _footpaths(
    feeds: Sequence[FeedTables],
    stop_index: dict[str, int],
    lat: np.ndarray,
    lon: np.ndarray,
    parent: np.ndarray,
    location_type: np.ndarray,
    *,
    walk_speed_mps: float,
    detour_factor: float,
    max_footpath_m: float,
    street_networks: Sequence[StreetNetwork] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(to, from, distance_m, duration_s, kind, stop_change_s) of all footpaths.

    Rules, in priority order for one (from, to) pair: transfers.txt (type 3 forbids the
    pair; otherwise min_transfer_time, or the walking time when absent), same parent station
    (walking time), nearby stops within `max_footpath_m` walked metres (walking time) —
    metres along the streets when both stops lie on the same street network, else straight
    line x `detour_factor`.
    """
    n = len(lat)
    routable = location_type == 0
    pairs: dict[tuple[int, int], tuple[float, int, int]] = {}
    stop_change = np.zeros(n, dtype=np.int64)

    def walk(a: int, b: int) -> tuple[float, int]:
        dist = float(haversine_m(lat[a], lon[a], lat[b], lon[b])) * detour_factor
        return dist, int(walk_duration_s(dist, walk_speed_mps))

    # nearby stops (all feeds together, so operators join by walking)
    idx = np.flatnonzero(routable)
    # network id each stop walks on (-1: none, straight line x detour instead)
    on_network = np.full(n, -1, dtype=np.int64)
    if max_footpath_m > 0:
        for net_id, net in enumerate(street_networks):
            free = idx[on_network[idx] < 0]
            if len(free) < 2:
                break
            nodes, _ = net.snap(lat[free], lon[free])
            on_net = free[nodes >= 0]
            on_network[on_net] = net_id
            src, dst, metres = net.distances_between(
                lat[on_net], lon[on_net], max_distance_m=max_footpath_m
            )
            seconds = walk_duration_s(metres, walk_speed_mps)
            for a, b, d, s in zip(
                on_net[src].tolist(),
                on_net[dst].tolist(),
                metres.tolist(),
                seconds.tolist(),
                strict=True,
            ):
                pairs[(a, b)] = (d, s, FP_WALK)
    if len(idx) > 1 and max_footpath_m > 0:
        tree = cKDTree(unit_xyz(lat[idx], lon[idx]))
        raw = tree.query_pairs(chord_for_m(max_footpath_m / detour_factor), output_type="ndarray")
        if len(raw):
            a_idx = idx[raw[:, 0]]
            b_idx = idx[raw[:, 1]]
            dist = haversine_m(lat[a_idx], lon[a_idx], lat[b_idx], lon[b_idx]) * detour_factor
            # pairs on one street network were measured along its streets above
            same_net = (on_network[a_idx] >= 0) & (on_network[a_idx] == on_network[b_idx])
            keep = (dist <= max_footpath_m) & ~same_net
            dur = walk_duration_s(dist, walk_speed_mps)
            for a, b, d, s in zip(
                a_idx[keep].tolist(),
                b_idx[keep].tolist(),
                dist[keep].tolist(),
                dur[keep].tolist(),
                strict=True,
            ):
                pairs[(a, b)] = (d, s, FP_WALK)
                pairs[(b, a)] = (d, s, FP_WALK)
    # same parent station
    children: dict[int, list[int]] = {}
    for s in np.flatnonzero(routable & (parent >= 0)).tolist():
        children.setdefault(int(parent[s]), []).append(s)
    for members in children.values():
        for a in members:
            for b in members:
                if a != b:
                    d, s = walk(a, b)
                    pairs[(a, b)] = (d, s, FP_STATION)
    # transfers.txt (a parent station stands for all its children)
    forbidden: set[tuple[int, int]] = set()
    for f in feeds:
        for row in f.transfers.itertuples(index=False):
            a0 = stop_index.get(f"{f.feed_id}:{row.from_stop_id}")
            b0 = stop_index.get(f"{f.feed_id}:{row.to_stop_id}")
            if a0 is None or b0 is None:
                continue
            for a in children.get(a0, [a0]):
                for b in children.get(b0, [b0]):
                    if row.transfer_type == 3:
                        forbidden.add((a, b))
                        if a == b:
                            stop_change[a] = -1
                        continue
                    if a == b:
                        stop_change[a] = max(int(row.min_transfer_time), 0)
                        continue
                    d, s = walk(a, b)
                    if row.min_transfer_time >= 0:
                        s = int(row.min_transfer_time)
                    pairs[(a, b)] = (d, s, FP_TRANSFER)
    for key in forbidden:
        pairs.pop(key, None)
    m = len(pairs)
    frm = np.fromiter((k[0] for k in pairs), dtype=np.int64, count=m)
    to = np.fromiter((k[1] for k in pairs), dtype=np.int32, count=m)
    vals = list(pairs.values())
    dist_arr = np.fromiter((v[0] for v in vals), dtype=np.float64, count=m)
    dur_arr = np.fromiter((v[1] for v in vals), dtype=np.int32, count=m)
    kind_arr = np.fromiter((v[2] for v in vals), dtype=np.int8, count=m)
    return to, frm, dist_arr, dur_arr, kind_arr, stop_change


def _reverse(fw: SearchArrays) -> SearchArrays:
    """Time-reversed arrays: times negated and shifted, patterns and footpaths reversed.

    In the reversed world a journey's arrival is the negated departure, so an earliest-arrival
    search answers "latest departure". Times become ``REVERSE_OFFSET_S - t`` to stay >= 0.
    """
    n_p = len(fw.pattern_trip_start) - 1
    stop_start = fw.pattern_stop_start
    lens = np.diff(stop_start)
    # reversed stop order within each pattern
    pos = np.arange(stop_start[-1]) - np.repeat(stop_start[:-1], lens)
    rev_gather = np.repeat(stop_start[:-1], lens) + (np.repeat(lens, lens) - 1 - pos)
    counts = np.diff(fw.pattern_trip_start)
    time_start = fw.pattern_time_start
    # time index (p, i, j) -> reversed (p, L-1-i, n-1-j)
    tlen = np.diff(time_start)
    rel = np.arange(time_start[-1]) - np.repeat(time_start[:-1], tlen)
    n_rep = np.repeat(counts, tlen)
    l_rep = np.repeat(lens, tlen)
    i = rel // np.maximum(n_rep, 1)
    j = rel % np.maximum(n_rep, 1)
    src = np.repeat(time_start[:-1], tlen) + (l_rep - 1 - i) * n_rep + (n_rep - 1 - j)
    arr = (REVERSE_OFFSET_S - fw.departure_s.astype(np.int64)[src]).astype(np.int32)
    dep = (REVERSE_OFFSET_S - fw.arrival_s.astype(np.int64)[src]).astype(np.int32)
    trip_rel = np.arange(fw.pattern_trip_start[-1]) - np.repeat(fw.pattern_trip_start[:-1], counts)
    trip_to_forward = (
        np.repeat(fw.pattern_trip_start[:-1], counts) + (np.repeat(counts, counts) - 1 - trip_rel)
    ).astype(np.int32)
    stops = fw.pattern_stops[rev_gather]
    n_stops = len(fw.stop_change_s)
    sp_pattern = np.repeat(np.arange(n_p, dtype=np.int32), lens)
    sp_pos = pos.astype(np.int32)
    sp_order, stop_pattern_start = _csr(stops.astype(np.int64), n_stops)
    fp_from = np.repeat(np.arange(n_stops), np.diff(fw.fp_start))
    fp_order, fp_start = _csr(fw.fp_to.astype(np.int64), n_stops)
    return SearchArrays(
        pattern_stop_start=stop_start,
        pattern_stops=stops,
        pattern_pickup=fw.pattern_dropoff[rev_gather],
        pattern_dropoff=fw.pattern_pickup[rev_gather],
        pattern_trip_start=fw.pattern_trip_start,
        pattern_time_start=time_start,
        arrival_s=arr,
        departure_s=dep,
        stop_pattern_start=stop_pattern_start,
        stop_patterns=sp_pattern[sp_order],
        stop_pattern_pos=sp_pos[sp_order],
        fp_start=fp_start,
        fp_to=fp_from[fp_order].astype(np.int32),
        fp_duration_s=fw.fp_duration_s[fp_order],
        fp_distance_m=fw.fp_distance_m[fp_order],
        fp_kind=fw.fp_kind[fp_order],
        stop_change_s=fw.stop_change_s,
        trip_to_forward=trip_to_forward,
    )


#: Reversed times are ``REVERSE_OFFSET_S - t`` (keeps them non-negative int32).
REVERSE_OFFSET_S = 2_000_000_000
