"""The engine's only output: `Place`, `Leg`, `Itinerary`, with Pareto filtering and ordering.

Times are aware datetimes in the network's time zone; `*_s` twins carry the same instants as
absolute timetable seconds (see `routing.timetable`) for exact comparisons. Geometry is a list
of ``[lon, lat]`` pairs (GeoJSON LineString order).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

MODE_WALK = "walk"
MODE_TRANSIT = "transit"
MODE_BIKESHARE = "bikeshare"
MODE_ONDEMAND = "ondemand"


@dataclasses.dataclass(frozen=True)
class Place:
    """A point where a leg starts or ends: a stop (with ids) or a coordinate."""

    name: str
    lat: float
    lon: float
    stop_id: str | None = None
    station_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Route:
    """The route a transit leg rides (namespaced id)."""

    id: str
    short_name: str
    long_name: str
    type: int


@dataclasses.dataclass(frozen=True)
class Leg:
    """One walk or transit leg.

    For transit legs `trip_id` is the namespaced GTFS trip id, `service_date` the service day
    the trip instance belongs to, and `departure_s`/`arrival_s` the published times at the
    boarding and alighting stops.
    """

    mode: str
    from_place: Place
    to_place: Place
    departure: dt.datetime
    arrival: dt.datetime
    departure_s: int
    arrival_s: int
    distance_m: float
    geometry: list[list[float]]
    trip_id: str | None = None
    route: Route | None = None
    headsign: str | None = None
    service_date: dt.date | None = None
    wheelchair_accessible: int = 0
    # bikeshare / ondemand legs: the operator slug, what the caller attached to the leg's
    # template (station, zone, booking, price...) and whether its live data is stale
    operator: str | None = None
    details: dict[str, Any] | None = None
    stale: bool = False

    @property
    def duration_s(self) -> int:
        """Seconds from departure to arrival."""
        return self.arrival_s - self.departure_s


@dataclasses.dataclass(frozen=True)
class LegTemplate:
    """An untimed leg of a composite access/egress option or a direct journey (walk,
    bikeshare or ondemand). The search gives it its times.

    `from_place`/`to_place` None stand for the access/egress stop itself. `windows` (ondemand)
    are absolute-seconds intervals ``(earliest departure, latest arrival)``: a timed leg must
    fit one of them, else the journey using it is dropped. `details` is opaque to the engine
    and copied onto the `Leg`.
    """

    mode: str
    from_place: Place | None
    to_place: Place | None
    duration_s: int
    distance_m: float
    operator: str | None = None
    details: dict[str, Any] | None = dataclasses.field(default=None, compare=False)
    windows: tuple[tuple[int, int], ...] = ()
    stale: bool = False
    geometry: tuple[tuple[float, float], ...] = ()

    def fits(self, departure_s: int) -> bool:
        """Whether the leg may leave at `departure_s` (always, when it has no windows)."""
        if not self.windows:
            return True
        arrival_s = departure_s + self.duration_s
        return any(a <= departure_s and arrival_s <= b for a, b in self.windows)


@dataclasses.dataclass(frozen=True)
class Itinerary:
    """A complete journey. `transfers` = transit legs - 1 (0 for walk-only journeys).

    `wheelchair_accessible` is 1 when every trip and every boarding/alighting stop is known to
    be accessible, else 0 (unknown, or not asked for).
    """

    legs: tuple[Leg, ...]
    departure: dt.datetime
    arrival: dt.datetime
    departure_s: int
    arrival_s: int
    duration_s: int
    transfers: int
    walk_m: float
    wheelchair_accessible: int = 0

    @property
    def stale(self) -> bool:
        """Whether any leg relies on stale live data (ranked after fresh itineraries)."""
        return any(leg.stale for leg in self.legs)

    @property
    def transit_legs(self) -> list[Leg]:
        """The transit legs in order."""
        return [leg for leg in self.legs if leg.mode == MODE_TRANSIT]

    def signature(self) -> tuple[object, ...]:
        """Identity for de-duplication: times and the trips ridden."""
        return (
            self.departure_s,
            self.arrival_s,
            tuple((leg.trip_id, leg.departure_s, leg.arrival_s) for leg in self.transit_legs),
            tuple(leg.mode for leg in self.legs if leg.mode != MODE_WALK),
        )


def _dominates(a: Itinerary, b: Itinerary, *, by_departure: bool, by_arrival: bool) -> bool:
    no_worse = a.transfers <= b.transfers
    better = a.transfers < b.transfers
    if by_arrival:
        no_worse = no_worse and a.arrival_s <= b.arrival_s
        better = better or a.arrival_s < b.arrival_s
    if by_departure:
        no_worse = no_worse and a.departure_s >= b.departure_s
        better = better or a.departure_s > b.departure_s
    return no_worse and better


def pareto_filter(
    itineraries: Iterable[Itinerary], *, by_departure: bool = False, by_arrival: bool = True
) -> list[Itinerary]:
    """Keep the itineraries not dominated on (arrival, transfers) and/or (departure, transfers).

    depart_at: ``by_arrival=True``; arrive_by: ``by_departure=True, by_arrival=False``; range
    queries: both. Exact duplicates (same `signature`) are kept once. Order: `sort_itineraries`.
    """
    unique: dict[tuple[object, ...], Itinerary] = {}
    for itinerary in itineraries:
        unique.setdefault(itinerary.signature(), itinerary)
    items = list(unique.values())
    kept = [
        a
        for a in items
        if not any(
            _dominates(b, a, by_departure=by_departure, by_arrival=by_arrival) for b in items
        )
    ]
    return sort_itineraries(kept, arrive_by=by_departure and not by_arrival)


def sort_itineraries(
    itineraries: Sequence[Itinerary], *, arrive_by: bool = False, wheelchair: bool = False
) -> list[Itinerary]:
    """Deterministic order: (known accessible first if `wheelchair`), then earliest arrival
    (latest departure for arrive_by), fewer transfers, later departure, less walking, then the
    trips ridden as a final tie-break."""

    def key(it: Itinerary) -> tuple[object, ...]:
        primary = -it.departure_s if arrive_by else it.arrival_s
        secondary = it.arrival_s if arrive_by else -it.departure_s
        trips = tuple(leg.trip_id or "" for leg in it.transit_legs)
        access = -it.wheelchair_accessible if wheelchair else 0
        return (access, primary, it.transfers, secondary, round(it.walk_m, 3), trips)

    return sorted(itineraries, key=key)


def shape_slice(
    shape_lat: np.ndarray,
    shape_lon: np.ndarray,
    from_lat: float,
    from_lon: float,
    to_lat: float,
    to_lon: float,
) -> list[list[float]]:
    """The part of a shape between the points nearest the boarding and alighting stops.

    The alighting point is searched at or after the boarding point, so loops stay in order.
    Distances use an equirectangular approximation, which is plenty to pick the nearest vertex.
    (Shapes are simplified once at compile time, `routing.timetable.SHAPE_TOLERANCE_DEG`.)
    """
    coslat = float(np.cos(np.radians(from_lat)))

    def nearest(lat: float, lon: float, start: int) -> int:
        d = (shape_lat[start:] - lat) ** 2 + ((shape_lon[start:] - lon) * coslat) ** 2
        return start + int(np.argmin(d))

    if len(shape_lat) == 0:
        return [[from_lon, from_lat], [to_lon, to_lat]]
    i = nearest(from_lat, from_lon, 0)
    j = nearest(to_lat, to_lon, i)
    # One vectorised conversion: element-wise access to a memory-mapped array costs a
    # Python object per point (a long shape took tens of milliseconds).
    coords = np.column_stack(
        (
            np.asarray(shape_lon[i : j + 1], dtype=np.float64),
            np.asarray(shape_lat[i : j + 1], dtype=np.float64),
        )
    )
    points: list[list[float]] = coords.tolist()
    if len(points) < 2:
        return [[from_lon, from_lat], [to_lon, to_lat]]
    return points
