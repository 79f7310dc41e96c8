"""Bike-share and on-demand access, egress and door-to-door options.

Pure: live availability (which stations have bikes or docks, which vehicles stand where,
geofencing rules) and on-demand services (zone, windows, booking details) are passed in per
query as plain data; nothing here is in the snapshot. Every option is a `StopAccess` that
carries the `LegTemplate`s it consists of, so RAPTOR itself is unchanged and the itinerary
builder gives the legs their times.

Access (from a coordinate to a stop):
- bike share, station based: walk -> pick up at a station with a bike -> ride -> return at a
  station with a dock -> walk to the stop;
- bike share, free floating: walk -> the vehicle -> ride -> leave it at the stop (where the
  geofencing rules allow ending a ride);
- on-demand: picked up at the point (inside the zone) -> dropped at a stop the service serves;
  between location groups: walk -> pick-up stop -> ride -> drop-off stop (`flex_group_*`).
Egress is the mirror image; `bike_direct` / `flex_direct` give door-to-door journeys.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from routing.itinerary import MODE_BIKESHARE, MODE_ONDEMAND, MODE_WALK, LegTemplate, Place
from routing.search.engine import StopAccess
from routing.spatial import StopIndex
from routing.streets import StreetNetwork
from routing.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_WALK_SPEED_MPS,
    chord_for_m,
    haversine_m,
    unit_xyz,
    walk_duration_s,
)

DEFAULT_BIKE_SPEED_MPS = 4.2
DEFAULT_ROAD_SPEED_MPS = 8.3  # ~30 km/h, a city on-demand bus door to door
# How far a bike-share station may be from a transit stop to count as "at" it.
DEFAULT_BIKE_LINK_M = 300.0
# Unlocking / docking a bike, each end.
DEFAULT_BIKE_HANDLING_S = 60
DEFAULT_MAX_RIDE_M = 8000.0
# Pick-up points considered per query (nearest first), per operator: bounds the work.
MAX_PICKUPS = 4


# ------------------------------------------------------------------------- bike share


@dataclasses.dataclass(frozen=True)
class BikePoint:
    """A place to rent (a station with a bike available and renting, or a free-floating
    vehicle) or to return (a station with a free dock and returning)."""

    id: str  # "<operator>:<station_id>" or "<operator>:<vehicle_id>"
    name: str
    lat: float
    lon: float
    operator: str
    free_floating: bool = False
    stale: bool = False
    details: dict[str, Any] | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class GeofenceRule:
    """GBFS geofencing: one zone's rules (`geometry` None = the system's global rules, for
    everywhere outside every zone). v2.3 `ride_allowed` maps to start and end."""

    operator: str
    geometry: dict[str, Any] | None
    ride_start_allowed: bool = True
    ride_end_allowed: bool = True
    ride_through_allowed: bool = True


@dataclasses.dataclass(frozen=True)
class BikeShare:
    """Everything live a bike-share search needs for one query."""

    pickups: tuple[BikePoint, ...] = ()
    returns: tuple[BikePoint, ...] = ()
    rules: tuple[GeofenceRule, ...] = ()
    speed_mps: float = DEFAULT_BIKE_SPEED_MPS
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    handling_s: int = DEFAULT_BIKE_HANDLING_S
    max_ride_m: float = DEFAULT_MAX_RIDE_M
    link_m: float = DEFAULT_BIKE_LINK_M
    street: StreetNetwork | None = None  # a `cycling` network: ride along OSM ways


class _Fences:
    """Geofencing rules compiled to shapely (zones in published order: the first zone that
    contains a point decides, per GBFS)."""

    def __init__(self, rules: Sequence[GeofenceRule]) -> None:
        import shapely
        from shapely.geometry import shape

        self.shapely = shapely
        self.zones: dict[str, list[tuple[Any, GeofenceRule]]] = {}
        self.glob: dict[str, GeofenceRule] = {}
        self.no_through: dict[str, Any] = {}
        for rule in rules:
            if rule.geometry is None:
                self.glob[rule.operator] = rule
                continue
            geometry = shape(rule.geometry)
            shapely.prepare(geometry)
            self.zones.setdefault(rule.operator, []).append((geometry, rule))
        for operator, zones in self.zones.items():
            blocked = [g for g, r in zones if not r.ride_through_allowed]
            if blocked:
                union = shapely.union_all(blocked)
                shapely.prepare(union)
                self.no_through[operator] = union

    def _rule_at(self, operator: str, lat: float, lon: float) -> GeofenceRule | None:
        point = self.shapely.Point(lon, lat)
        for geometry, rule in self.zones.get(operator, ()):
            if geometry.contains(point):
                return rule
        return self.glob.get(operator)

    def may_start(self, operator: str, lat: float, lon: float) -> bool:
        rule = self._rule_at(operator, lat, lon)
        return rule is None or rule.ride_start_allowed

    def may_end(self, operator: str, lat: float, lon: float) -> bool:
        rule = self._rule_at(operator, lat, lon)
        return rule is None or rule.ride_end_allowed

    def may_ride(self, operator: str, a: tuple[float, float], b: tuple[float, float]) -> bool:
        blocked = self.no_through.get(operator)
        if blocked is None:
            return True
        line = self.shapely.LineString([(a[1], a[0]), (b[1], b[0])])
        return not blocked.intersects(line)


def _ride_m(
    bikes: BikeShare, a_lat: float, a_lon: float, b_lat: np.ndarray, b_lon: np.ndarray
) -> np.ndarray:
    """Riding metres from one point to many: along the cycling network when there is one
    (points off it fall back), else straight line x detour."""
    straight = haversine_m(np.full(len(b_lat), a_lat), np.full(len(b_lat), a_lon), b_lat, b_lon)
    fallback = np.asarray(straight, float) * bikes.detour_factor
    street = bikes.street
    if street is None or len(b_lat) == 0:
        return fallback
    from scipy.sparse.csgraph import dijkstra

    src, src_m = street.snap(np.array([a_lat]), np.array([a_lon]))
    if src[0] < 0:
        return fallback
    dst, dst_m = street.snap(np.asarray(b_lat, float), np.asarray(b_lon, float))
    dist = dijkstra(street.lengths, directed=False, indices=int(src[0]), limit=bikes.max_ride_m)
    on = dst >= 0
    out = fallback.copy()
    via = src_m[0] + dist[np.where(on, dst, 0)] + dst_m
    use = on & np.isfinite(via)
    out[use] = via[use]
    return out


def _ride_s(bikes: BikeShare, metres: float) -> int:
    return math.ceil(metres / bikes.speed_mps) + 2 * bikes.handling_s


def _walk_template(a: Place | None, b: Place | None, metres: float, speed: float) -> LegTemplate:
    return LegTemplate(MODE_WALK, a, b, int(walk_duration_s(metres, speed)), metres)


def _point_place(p: BikePoint) -> Place:
    return Place(name=p.name, lat=p.lat, lon=p.lon)


def _near(
    points: Sequence[BikePoint], lat: float, lon: float, max_m: float, detour: float
) -> list[tuple[BikePoint, float]]:
    """Points within `max_m` walked metres, nearest first, at most MAX_PICKUPS per operator."""
    if not points:
        return []
    lats = np.array([p.lat for p in points])
    lons = np.array([p.lon for p in points])
    metres = np.asarray(
        haversine_m(np.full(len(points), lat), np.full(len(points), lon), lats, lons)
    )
    metres = metres * detour
    order = np.lexsort((np.arange(len(points)), metres))
    out: list[tuple[BikePoint, float]] = []
    per_operator: dict[str, int] = {}
    for i in order.tolist():
        if metres[i] > max_m:
            break
        p = points[i]
        if per_operator.get(p.operator, 0) >= MAX_PICKUPS:
            continue
        per_operator[p.operator] = per_operator.get(p.operator, 0) + 1
        out.append((p, float(metres[i])))
    return out


def _bike_template(
    bikes: BikeShare, a: BikePoint, b: Place | None, end: BikePoint | None, metres: float
) -> LegTemplate:
    return LegTemplate(
        MODE_BIKESHARE,
        _point_place(a),
        b,
        _ride_s(bikes, metres),
        metres,
        operator=a.operator,
        details={"pickup": a.details, "return": end.details if end is not None else None},
        stale=a.stale or (end is not None and end.stale),
    )


def _rides_to_returns(
    bikes: BikeShare,
    fences: _Fences,
    pick: BikePoint,
    returns: Sequence[tuple[BikePoint, float]],
) -> list[tuple[BikePoint, float, float]]:
    """(return point, its walk metres, riding metres) for every return point of the pick-up's
    operator within the longest ride, the geofences allowing the ride."""
    ends = [(r, m) for r, m in returns if r.operator == pick.operator and r.id != pick.id]
    if not ends:
        return []
    ride = _ride_m(
        bikes,
        pick.lat,
        pick.lon,
        np.array([r.lat for r, _ in ends]),
        np.array([r.lon for r, _ in ends]),
    )
    return [
        (end, walk_m, metres)
        for (end, walk_m), metres in zip(ends, ride.tolist(), strict=True)
        if metres <= bikes.max_ride_m
        and fences.may_ride(pick.operator, (pick.lat, pick.lon), (end.lat, end.lon))
    ]


def _keep_best(best: dict[int, StopAccess], option: StopAccess) -> None:
    current = best.get(option.stop)
    if current is None or option.duration_s < current.duration_s:
        best[option.stop] = option


def bike_accesses(
    index: StopIndex,
    place: Place,
    bikes: BikeShare,
    *,
    max_walk_m: float,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    egress: bool = False,
) -> list[StopAccess]:
    """Bike-share options between `place` and the stops (access; `egress` for the way from
    a stop to `place`), the quickest per stop."""
    tt = index.tt
    fences = _Fences(bikes.rules)
    detour = index.detour_factor
    best: dict[int, StopAccess] = {}
    if len(index.stops) == 0:
        return []

    around_cache: dict[tuple[float, float, float], tuple[np.ndarray, np.ndarray]] = {}

    def stops_around_all(points: Sequence[BikePoint], radius_m: float) -> None:
        """Fill the cache for many points with one KD-tree query and one vectorised
        distance computation (a thousand single queries cost ~50 ms per plan)."""
        todo = [p for p in points if (p.lat, p.lon, radius_m) not in around_cache]
        if not todo:
            return
        lats = np.array([p.lat for p in todo])
        lons = np.array([p.lon for p in todo])
        hits = index.tree.query_ball_point(unit_xyz(lats, lons), chord_for_m(radius_m))
        counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        flat = (
            index.stops[np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])]
            if counts.sum()
            else np.zeros(0, np.int64)
        )
        owner = np.repeat(np.arange(len(todo)), counts)
        metres = np.asarray(
            haversine_m(lats[owner], lons[owner], tt.stop_lat[flat], tt.stop_lon[flat])
        )
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for k, p in enumerate(todo):
            a, b = int(bounds[k]), int(bounds[k + 1])
            around_cache[(p.lat, p.lon, radius_m)] = (flat[a:b], metres[a:b])

    def stops_around(lat: float, lon: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        key = (lat, lon, radius_m)
        if key not in around_cache:
            stops_around_all([BikePoint(id="", operator="", name="", lat=lat, lon=lon)], radius_m)
        return around_cache[key]

    if not egress:
        stops_around_all(bikes.returns, bikes.link_m / detour)
        for pick, walk_m in _near(bikes.pickups, place.lat, place.lon, max_walk_m, detour):
            if not fences.may_start(pick.operator, pick.lat, pick.lon):
                continue
            first = _walk_template(place, _point_place(pick), walk_m, walk_speed_mps)
            if pick.free_floating:
                stops, _ = stops_around(pick.lat, pick.lon, bikes.max_ride_m / bikes.detour_factor)
                ride = _ride_m(bikes, pick.lat, pick.lon, tt.stop_lat[stops], tt.stop_lon[stops])
                for stop, metres in zip(stops.tolist(), ride.tolist(), strict=True):
                    to = (float(tt.stop_lat[stop]), float(tt.stop_lon[stop]))
                    if metres > bikes.max_ride_m or not fences.may_end(pick.operator, *to):
                        continue
                    if not fences.may_ride(pick.operator, (pick.lat, pick.lon), to):
                        continue
                    legs: tuple[LegTemplate, ...] = (
                        first,
                        _bike_template(bikes, pick, None, None, metres),
                    )
                    _keep_best(best, StopAccess(stop, sum(t.duration_s for t in legs), 0.0, legs))
                continue
            ends = [r for r in bikes.returns if r.operator == pick.operator and r.id != pick.id]
            if not ends:
                continue
            ride = _ride_m(
                bikes,
                pick.lat,
                pick.lon,
                np.array([r.lat for r in ends]),
                np.array([r.lon for r in ends]),
            )
            for end, metres in zip(ends, ride.tolist(), strict=True):
                if metres > bikes.max_ride_m:
                    continue
                if not fences.may_ride(pick.operator, (pick.lat, pick.lon), (end.lat, end.lon)):
                    continue
                stops, straight = stops_around(end.lat, end.lon, bikes.link_m / detour)
                if len(stops) == 0:
                    continue  # no stop near this return station
                bike = _bike_template(bikes, pick, _point_place(end), end, metres)
                for stop, s_m in zip(stops.tolist(), straight.tolist(), strict=True):
                    last = _walk_template(_point_place(end), None, s_m * detour, walk_speed_mps)
                    legs = (first, bike, last)
                    _keep_best(best, StopAccess(stop, sum(t.duration_s for t in legs), 0.0, legs))
        return sorted(best.values(), key=lambda a: (a.duration_s, a.stop))

    # egress: pick up near a stop, ride, return near (or, free floating, at) the place
    near_place = _near(bikes.returns, place.lat, place.lon, max_walk_m, detour)
    reach_m = (bikes.max_ride_m + bikes.link_m) / bikes.detour_factor
    in_reach = [
        p
        for p in bikes.pickups
        if float(haversine_m(place.lat, place.lon, p.lat, p.lon)) <= reach_m
    ]
    stops_around_all(in_reach, bikes.link_m / detour)
    for pick in in_reach:
        if not fences.may_start(pick.operator, pick.lat, pick.lon):
            continue
        stops, straight = stops_around(pick.lat, pick.lon, bikes.link_m / detour)
        if len(stops) == 0:
            continue
        options: list[tuple[LegTemplate, ...]] = []
        if pick.free_floating:
            metres = float(
                _ride_m(bikes, pick.lat, pick.lon, np.array([place.lat]), np.array([place.lon]))[0]
            )
            if (
                metres <= bikes.max_ride_m
                and fences.may_end(pick.operator, place.lat, place.lon)
                and fences.may_ride(pick.operator, (pick.lat, pick.lon), (place.lat, place.lon))
            ):
                options.append((_bike_template(bikes, pick, place, None, metres),))
        else:
            for end, walk_m, metres in _rides_to_returns(bikes, fences, pick, near_place):
                options.append(
                    (
                        _bike_template(bikes, pick, _point_place(end), end, metres),
                        _walk_template(_point_place(end), place, walk_m, walk_speed_mps),
                    )
                )
        if not options:
            continue
        tail = min(options, key=lambda legs: sum(t.duration_s for t in legs))
        for stop, s_m in zip(stops.tolist(), straight.tolist(), strict=True):
            legs = (_walk_template(None, _point_place(pick), s_m * detour, walk_speed_mps), *tail)
            _keep_best(best, StopAccess(stop, sum(t.duration_s for t in legs), 0.0, legs))
    return sorted(best.values(), key=lambda a: (a.duration_s, a.stop))


def bike_direct(
    origin: Place,
    destination: Place,
    bikes: BikeShare,
    *,
    max_walk_m: float,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> list[tuple[LegTemplate, ...]]:
    """Door-to-door bike-share journeys, quickest first: one per pick-up point (fresh and
    stale data both; the caller ranks)."""
    fences = _Fences(bikes.rules)
    out: list[tuple[LegTemplate, ...]] = []
    returns = _near(bikes.returns, destination.lat, destination.lon, max_walk_m, detour_factor)
    for pick, walk_m in _near(bikes.pickups, origin.lat, origin.lon, max_walk_m, detour_factor):
        if not fences.may_start(pick.operator, pick.lat, pick.lon):
            continue
        first = _walk_template(origin, _point_place(pick), walk_m, walk_speed_mps)
        candidates: list[tuple[LegTemplate, ...]] = []
        if pick.free_floating:
            metres = float(
                _ride_m(
                    bikes,
                    pick.lat,
                    pick.lon,
                    np.array([destination.lat]),
                    np.array([destination.lon]),
                )[0]
            )
            if (
                metres <= bikes.max_ride_m
                and fences.may_end(pick.operator, destination.lat, destination.lon)
                and fences.may_ride(
                    pick.operator, (pick.lat, pick.lon), (destination.lat, destination.lon)
                )
            ):
                candidates.append((first, _bike_template(bikes, pick, destination, None, metres)))
        else:
            for end, end_walk_m, metres in _rides_to_returns(bikes, fences, pick, returns):
                candidates.append(
                    (
                        first,
                        _bike_template(bikes, pick, _point_place(end), end, metres),
                        _walk_template(_point_place(end), destination, end_walk_m, walk_speed_mps),
                    )
                )
        if candidates:
            out.append(min(candidates, key=lambda legs: sum(t.duration_s for t in legs)))
    return sorted(out, key=lambda legs: sum(t.duration_s for t in legs))


# ---------------------------------------------------------------------------- on-demand


@dataclasses.dataclass(frozen=True)
class FlexService:
    """One on-demand (GTFS-Flex) service for one query: pick-up anywhere inside `geometry`
    (a GeoJSON (Multi)Polygon) to anywhere inside it or to one of `stop_ids` (stops of its
    location groups, or the scheduled stops of a deviated route), and back.

    `windows` are absolute timetable seconds ``(earliest pick-up, latest drop-off)`` on the
    service days it runs. Drive time = straight line x `detour_factor` / `speed_mps`, times
    `duration_factor` plus `duration_offset_s` when the feed gives them, plus `buffer_s`.
    """

    id: str
    operator: str
    zone_id: str
    zone_name: str
    geometry: dict[str, Any] = dataclasses.field(compare=False)
    windows: tuple[tuple[int, int], ...]
    stop_ids: tuple[str, ...] = ()
    speed_mps: float = DEFAULT_ROAD_SPEED_MPS
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    duration_factor: float = 1.0
    duration_offset_s: float = 0.0
    buffer_s: int = 0
    details: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def duration_s(self, straight_m: float) -> int:
        """The promised ride time for `straight_m` metres as the crow flies."""
        drive = straight_m * self.detour_factor / self.speed_mps
        return math.ceil(drive * self.duration_factor + self.duration_offset_s) + self.buffer_s


_SHAPES: dict[tuple[str, int], Any] = {}


def _zone_shape(service: FlexService) -> Any:
    """The prepared polygon of a zone (cached per zone id and geometry object)."""
    key = (service.zone_id, id(service.geometry))
    cached = _SHAPES.get(key)
    if cached is None:
        import shapely
        from shapely.geometry import shape

        cached = shape(service.geometry)
        shapely.prepare(cached)
        if len(_SHAPES) > 512:
            _SHAPES.clear()
        _SHAPES[key] = (cached, service.geometry)  # hold the dict so its id stays unique
        return cached
    return cached[0]


def flex_contains(service: FlexService, lat: float, lon: float) -> bool:
    """Whether the point lies inside the service's zone."""
    import shapely

    return bool(_zone_shape(service).contains(shapely.Point(lon, lat)))


def _flex_template(
    service: FlexService, a: Place | None, b: Place | None, straight_m: float
) -> LegTemplate:
    return LegTemplate(
        MODE_ONDEMAND,
        a,
        b,
        service.duration_s(straight_m),
        straight_m * service.detour_factor,
        operator=service.operator,
        details={"service": service.id, **(service.details or {})},
        windows=service.windows,
    )


def flex_accesses(
    index: StopIndex, place: Place, services: Sequence[FlexService], *, egress: bool = False
) -> list[StopAccess]:
    """On-demand options between `place` (inside a zone) and the stops the service serves
    (inside the zone, or listed in `stop_ids`), the quickest per stop."""
    import shapely

    tt = index.tt
    best: dict[int, StopAccess] = {}
    routable = index.stops
    if len(routable) == 0:
        return []
    points = shapely.points(tt.stop_lon[routable], tt.stop_lat[routable])
    for service in services:
        if not flex_contains(service, place.lat, place.lon):
            continue
        inside = set(routable[shapely.contains(_zone_shape(service), points)].tolist())
        inside.update(tt.stop_index[s] for s in service.stop_ids if s in tt.stop_index)
        for stop in sorted(inside):
            straight = float(
                haversine_m(place.lat, place.lon, tt.stop_lat[stop], tt.stop_lon[stop])
            )
            leg = (
                _flex_template(service, None, place, straight)
                if egress
                else _flex_template(service, place, None, straight)
            )
            _keep_best(best, StopAccess(stop, leg.duration_s, 0.0, (leg,)))
    return sorted(best.values(), key=lambda a: (a.duration_s, a.stop))


def flex_direct(
    origin: Place, destination: Place, services: Sequence[FlexService]
) -> list[tuple[LegTemplate, ...]]:
    """Door-to-door on-demand rides: one per service whose zone holds both places."""
    out: list[tuple[LegTemplate, ...]] = []
    for service in services:
        if flex_contains(service, origin.lat, origin.lon) and flex_contains(
            service, destination.lat, destination.lon
        ):
            straight = float(haversine_m(origin.lat, origin.lon, destination.lat, destination.lon))
            out.append((_flex_template(service, origin, destination, straight),))
    return out


@dataclasses.dataclass(frozen=True)
class FlexGroupService:
    """An on-demand service between two location groups of stops (no zone polygon, e.g.
    C-TRAN's "VA Medical Center -> C-TRAN Garage"): picked up at any of `pickup_stops`,
    dropped at any of `dropoff_stops` (namespaced stop ids). The rider walks to and from
    those stops. `windows` and the ride time as in `FlexService`."""

    id: str
    operator: str
    zone_id: str
    zone_name: str
    windows: tuple[tuple[int, int], ...]
    pickup_stops: tuple[str, ...] = ()
    dropoff_stops: tuple[str, ...] = ()
    speed_mps: float = DEFAULT_ROAD_SPEED_MPS
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    duration_factor: float = 1.0
    duration_offset_s: float = 0.0
    buffer_s: int = 0
    details: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def duration_s(self, straight_m: float) -> int:
        """The promised ride time for `straight_m` metres as the crow flies."""
        drive = straight_m * self.detour_factor / self.speed_mps
        return math.ceil(drive * self.duration_factor + self.duration_offset_s) + self.buffer_s


def _stop_place(index: StopIndex, stop: int) -> Place:
    tt = index.tt
    return Place(
        name=str(tt.stop_names[stop]),
        lat=float(tt.stop_lat[stop]),
        lon=float(tt.stop_lon[stop]),
        stop_id=str(tt.stop_ids[stop]),
    )


def _stops_of(index: StopIndex, ids: Sequence[str]) -> list[int]:
    lookup = index.tt.stop_index
    return sorted({lookup[s] for s in ids if s in lookup})


def _group_ride(
    index: StopIndex, service: FlexGroupService, a: int, b: int, *, stop_a: bool, stop_b: bool
) -> LegTemplate:
    """The on-demand leg from stop `a` to stop `b`; `stop_a`/`stop_b` False leave that end to
    the access/egress stop itself (`None` place)."""
    tt = index.tt
    straight = float(haversine_m(tt.stop_lat[a], tt.stop_lon[a], tt.stop_lat[b], tt.stop_lon[b]))
    return LegTemplate(
        MODE_ONDEMAND,
        _stop_place(index, a) if stop_a else None,
        _stop_place(index, b) if stop_b else None,
        service.duration_s(straight),
        straight * service.detour_factor,
        operator=service.operator,
        details={"service": service.id, **(service.details or {})},
        windows=service.windows,
    )


def flex_group_accesses(
    index: StopIndex,
    place: Place,
    services: Sequence[FlexGroupService],
    *,
    max_walk_m: float,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    egress: bool = False,
) -> list[StopAccess]:
    """Location-group rides between `place` and the stops: access = walk to a pick-up stop
    of the group, ride to a drop-off stop (the access stop); egress = ride from a pick-up
    stop (the egress stop) to a drop-off stop, walk to `place`. The quickest per stop."""
    if len(index.stops) == 0 or not services:
        return []
    near = {
        a.stop: a
        for a in index.stops_near(place.lat, place.lon, max_walk_m, walk_speed_mps=walk_speed_mps)
    }
    best: dict[int, StopAccess] = {}
    for service in services:
        pickups = _stops_of(index, service.pickup_stops)
        dropoffs = _stops_of(index, service.dropoff_stops)
        walked, ends = (dropoffs, pickups) if egress else (pickups, dropoffs)
        for a in walked:
            walk = near.get(a)
            if walk is None:
                continue
            stop_place = _stop_place(index, a)
            for b in ends:
                if a == b:
                    continue
                if egress:
                    legs: tuple[LegTemplate, ...] = (
                        _group_ride(index, service, b, a, stop_a=False, stop_b=True),
                        _walk_template(stop_place, place, walk.distance_m, walk_speed_mps),
                    )
                else:
                    legs = (
                        _walk_template(place, stop_place, walk.distance_m, walk_speed_mps),
                        _group_ride(index, service, a, b, stop_a=True, stop_b=False),
                    )
                _keep_best(best, StopAccess(b, sum(t.duration_s for t in legs), 0.0, legs))
    return sorted(best.values(), key=lambda a: (a.duration_s, a.stop))


def flex_group_direct(
    index: StopIndex,
    origin: Place,
    destination: Place,
    services: Sequence[FlexGroupService],
    *,
    max_walk_m: float,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
) -> list[tuple[LegTemplate, ...]]:
    """Door-to-door location-group rides: walk -> pick-up stop -> ride -> drop-off stop ->
    walk, the quickest combination per service (ties: the lower stop indexes)."""
    if len(index.stops) == 0 or not services:
        return []
    near_o = index.stops_near(origin.lat, origin.lon, max_walk_m, walk_speed_mps=walk_speed_mps)
    near_d = index.stops_near(
        destination.lat, destination.lon, max_walk_m, walk_speed_mps=walk_speed_mps
    )
    out: list[tuple[LegTemplate, ...]] = []
    for service in services:
        pickups = set(_stops_of(index, service.pickup_stops))
        dropoffs = set(_stops_of(index, service.dropoff_stops))
        found: tuple[int, int, int, tuple[LegTemplate, ...]] | None = None
        for first in near_o:
            if first.stop not in pickups:
                continue
            for last in near_d:
                if last.stop not in dropoffs or last.stop == first.stop:
                    continue
                a, b = _stop_place(index, first.stop), _stop_place(index, last.stop)
                legs = (
                    _walk_template(origin, a, first.distance_m, walk_speed_mps),
                    _group_ride(index, service, first.stop, last.stop, stop_a=True, stop_b=True),
                    _walk_template(b, destination, last.distance_m, walk_speed_mps),
                )
                key = (sum(t.duration_s for t in legs), first.stop, last.stop, legs)
                if found is None or key[:3] < found[:3]:
                    found = key
        if found is not None:
            out.append(found[3])
    return sorted(out, key=lambda legs: sum(t.duration_s for t in legs))
