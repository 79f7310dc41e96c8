"""The glue between the HTTP API and the routing engine: the only module of `maas` that
imports `routing` (an import-linter contract keeps it so).

Each API process memory-maps the newest ready network snapshot and switches to a newer one
without a restart: at most every SNAPSHOT_POLL_S seconds it asks the database (one indexed
query) which snapshot is current.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import threading
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from maas.core.errors import ApiError
from maas.trips.bikeshare import BikeshareData, bikeshare_data_near, bikeshare_price
from maas.trips.ondemand import (
    FlexData,
    flex_services,
    latest_booking_time,
    ondemand_fits_check,
    ondemand_travel_settings,
)
from maas.trips.params import LatLon, PlanQuery
from operators.selectors import network_snapshot_current
from routing.access import (
    BikePoint,
    BikeShare,
    FlexGroupService,
    FlexService,
    GeofenceRule,
    bike_accesses,
    bike_direct,
    flex_accesses,
    flex_contains,
    flex_direct,
    flex_group_accesses,
    flex_group_direct,
)
from routing.itinerary import (
    MODE_BIKESHARE,
    MODE_ONDEMAND,
    Itinerary,
    Leg,
    Place,
    pareto_filter,
    sort_itineraries,
)
from routing.search import (
    REASON_NO_ACCESS,
    REASON_NO_CONNECTION,
    REASON_OUTSIDE_HORIZON,
    REASON_SAME_PLACE,
    SearchOptions,
    StopAccess,
    direct_journey,
    direct_walk,
    plan,
)
from routing.snapshot import Snapshot, snapshot_load
from routing.timetable import EARTH_RADIUS_M, unit_xyz

logger = logging.getLogger(__name__)

REASON_MESSAGES = {
    REASON_NO_CONNECTION: "No connection was found for these places and this time.",
    REASON_NO_ACCESS: "No stop lies within max_walk_m of the origin or the destination.",
    REASON_SAME_PLACE: "The origin and the destination are the same stop.",
    "no_transit_mode": "Only walking was allowed and the places are too far apart to walk.",
    "ondemand_booking_closed": "The on-demand ride can no longer be booked for this time.",
}


# ---------------------------------------------------------------------------- snapshots


class _SnapshotHolder:
    """The process-wide current snapshot, swapped atomically when a newer one is ready."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.checked_at = -math.inf
        self.error = ""

    def get(self) -> Snapshot | None:
        now = time.monotonic()
        if self.snapshot is not None and now - self.checked_at < settings.SNAPSHOT_POLL_S:
            return self.snapshot
        with self.lock:
            if self.snapshot is not None and now - self.checked_at < settings.SNAPSHOT_POLL_S:
                return self.snapshot
            self.checked_at = now
            record = network_snapshot_current()
            if record is None:
                self.error = "no network snapshot has been built yet"
                return self.snapshot
            if self.snapshot is not None and self.snapshot.version == record.version:
                return self.snapshot
            try:
                loaded = snapshot_load(Path(record.path))
            except (OSError, ValueError) as exc:
                self.error = f"snapshot {record.version} could not be loaded: {exc}"
                logger.exception("snapshot load failed", extra={"snapshot": record.version})
                return self.snapshot  # keep serving the previous one
            logger.info("snapshot loaded", extra={"snapshot": record.version})
            self.snapshot, self.error = loaded, ""
            return loaded

    def reset(self) -> None:
        with self.lock:
            self.snapshot, self.checked_at, self.error = None, -math.inf, ""


_holder = _SnapshotHolder()


def snapshot_current() -> Snapshot | None:
    """The snapshot this process serves (loading or switching to the newest when due)."""
    return _holder.get()


def snapshot_reset() -> None:
    """Forget the loaded snapshot (tests; a process that must re-read at once)."""
    _holder.reset()


def snapshot_readiness() -> tuple[bool, str]:
    """The /readyz check: a snapshot is loaded."""
    snapshot = snapshot_current()
    if snapshot is None:
        return False, _holder.error or "no network snapshot loaded"
    return True, f"snapshot {snapshot.version} loaded"


def _snapshot_or_503() -> Snapshot:
    snapshot = snapshot_current()
    if snapshot is None:
        raise ApiError(
            "no_snapshot",
            "Trip planning is not available yet: "
            + (_holder.error or "no network snapshot loaded")
            + ".",
            status_code=503,
        )
    return snapshot


# ---------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Endpoint:
    accesses: list[StopAccess]
    place: Place | None  # a coordinate (None for a stop id)


def _now() -> dt.datetime:
    """What the planner takes as "now" for booking deadlines and the age of live data
    (PLAN_NOW pins it for demos and tests on historic feeds)."""
    if settings.PLAN_NOW:
        return dt.datetime.fromisoformat(settings.PLAN_NOW)
    return timezone.now()


def _default_time() -> dt.datetime:
    if settings.PLAN_DEFAULT_TIME:
        return dt.datetime.fromisoformat(settings.PLAN_DEFAULT_TIME)
    return timezone.now()


def _nearest_stop_m(snapshot: Snapshot, point: LatLon) -> float:
    index = snapshot.stop_index
    if len(index.stops) == 0:
        return math.inf
    chord, _ = index.tree.query(unit_xyz(np.array([point.lat]), np.array([point.lon]))[0])
    return float(2 * EARTH_RADIUS_M * math.asin(min(1.0, float(chord) / 2)))


def _endpoint(
    snapshot: Snapshot,
    *,
    point: LatLon | None,
    stop_id: str | None,
    name: str,
    query: PlanQuery,
    language: str,
    covered: bool = False,
) -> _Endpoint:
    tt = snapshot.timetable
    if stop_id is not None:
        index = tt.stop_index.get(stop_id)
        if index is None:
            raise ApiError(
                "unknown_stop",
                f"{name}_stop {stop_id!r} is not a stop of the current network "
                "(stop ids are '<operator>:<stop_id>', see /api/v1/stops).",
                details={"parameter": f"{name}_stop"},
            )
        return _Endpoint([StopAccess(s) for s in tt.boardable_stops(index)], None)
    assert point is not None  # noqa: S101 - params guarantee one of the two
    nearest = _nearest_stop_m(snapshot, point)
    if nearest > settings.ROUTING_COVERAGE_M and not covered:
        raise ApiError(
            "outside_network",
            f"{name}={point.lat},{point.lon} is outside the network: the nearest stop is "
            f"{nearest / 1000:.1f} km away.",
            details={
                "parameter": name,
                "nearest_stop_m": round(nearest) if math.isfinite(nearest) else None,
            },
        )
    accesses = snapshot.stop_index.stops_near(
        point.lat, point.lon, query.max_walk_m, walk_speed_mps=query.walk_speed_mps
    )
    label = {
        "ja": "出発地" if name == "from" else "目的地",
        "en": "Origin" if name == "from" else "Destination",
        "ja-Hrkt": "しゅっぱつち" if name == "from" else "もくてきち",
    }[language]
    return _Endpoint(accesses, Place(name=label, lat=point.lat, lon=point.lon))


def _check_date(snapshot: Snapshot, when: dt.datetime) -> None:
    tz = zoneinfo.ZoneInfo(snapshot.timetable.timezone)
    day = when.astimezone(tz).date()
    periods = [p for p in snapshot.meta.get("service_periods", {}).values() if p[0] and p[1]]
    covered = any(
        dt.date.fromisoformat(_iso(start)) <= day <= dt.date.fromisoformat(_iso(end))
        for start, end in periods
    )
    if periods and not covered:
        spans = ", ".join(f"{_iso(s)}..{_iso(e)}" for s, e in sorted(periods))
        raise ApiError(
            "date_outside_service",
            f"No feed runs on {day.isoformat()}: the feeds' service periods are {spans}.",
            details={"date": day.isoformat(), "service_periods": sorted(periods)},
        )
    dates = snapshot.timetable.dates
    raise ApiError(
        "date_outside_horizon",
        f"{day.isoformat()} lies outside the dates this server has compiled "
        f"({dates[0].isoformat()}..{dates[-1].isoformat()}).",
        details={"date": day.isoformat(), "horizon": [dates[0].isoformat(), dates[-1].isoformat()]},
    )


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}" if "-" not in yyyymmdd else yyyymmdd


def _multimodal(
    snapshot: Snapshot, query: PlanQuery, when: dt.datetime, now: dt.datetime
) -> tuple[BikeShare | None, list[FlexService], list[FlexGroupService], FlexData]:
    """The live bike-share state and the bookable on-demand services for this query (zone
    services, and rides between location groups)."""
    tt = snapshot.timetable
    points = [(p.lat, p.lon) for p in (query.origin, query.destination) if p is not None]
    bikes: BikeShare | None = None
    if "bikeshare" in query.modes and points:
        data: BikeshareData = bikeshare_data_near(
            points=points,
            radius_m=settings.BIKESHARE_MAX_RIDE_M + query.max_walk_m,
            now=now,
        )
        if data.pickups:
            bikes = BikeShare(
                pickups=tuple(BikePoint(**p) for p in data.pickups),
                returns=tuple(BikePoint(**p) for p in data.returns),
                rules=tuple(GeofenceRule(**r) for r in data.rules),
                speed_mps=settings.BIKESHARE_SPEED_MPS,
                detour_factor=settings.ROUTING_DETOUR_FACTOR,
                max_ride_m=settings.BIKESHARE_MAX_RIDE_M,
                street=_cycling_network(),
            )
    services: list[FlexService] = []
    group_services: list[FlexGroupService] = []
    flex = FlexData()
    if "ondemand" in query.modes and points:
        tz = zoneinfo.ZoneInfo(tt.timezone)
        flex = flex_services(
            feed_versions=snapshot.meta.get("feed_versions", {}),
            day=when.astimezone(tz).date(),
            tz=tz,
            now=now,
            at=when,
        )
        # a service configured in operators.ondemand travels at its own speed/detour/buffer
        # (what its dispatcher plans with); else the global settings
        default = {
            "speed_mps": settings.ONDEMAND_ROAD_SPEED_MPS,
            "detour_factor": settings.ONDEMAND_DETOUR_FACTOR,
            "buffer_s": settings.ONDEMAND_BUFFER_S,
        }
        entries = flex.services + flex.group_services
        own = ondemand_travel_settings(
            {(e["operator"], e["details"]["capacity_zone_id"]) for e in entries}
        )
        for entry in entries:
            kwargs = {
                **entry,
                "windows": tuple((tt.to_abs_s(a), tt.to_abs_s(b)) for a, b, _ in entry["windows"]),
                **own.get((entry["operator"], entry["details"]["capacity_zone_id"]), default),
            }
            if "geometry" in entry:
                services.append(FlexService(**kwargs))
            else:
                group_services.append(FlexGroupService(**kwargs))
    return bikes, services, group_services, flex


def _cycling_network() -> Any:
    if not settings.BIKESHARE_OSM_EXTRACT:
        return None
    return _cycling_network_load(settings.BIKESHARE_OSM_EXTRACT)


@functools.lru_cache(maxsize=2)
def _cycling_network_load(path: str) -> Any:
    from routing.streets import street_network_from_pbf

    return street_network_from_pbf(path, network_type="cycling")


def _covered(point: LatLon, bikes: BikeShare | None, services: list[FlexService]) -> bool:
    """A point far from any stop is still served when it lies in an on-demand zone or near
    a bike-share pick-up or return point."""
    if any(flex_contains(s, point.lat, point.lon) for s in services):
        return True
    if bikes is None:
        return False
    return any(
        math.dist((p.lat, p.lon), (point.lat, point.lon)) * 111_000 <= settings.ROUTING_COVERAGE_M
        for p in (*bikes.pickups, *bikes.returns)
    )


def _zone_holds(
    refusal: dict[str, Any], place: Place, snapshot: Snapshot, query: PlanQuery
) -> bool:
    if refusal["geometry"] is None:  # a location group: the place is near a pick-up stop
        near = snapshot.stop_index.stops_near(
            place.lat, place.lon, query.max_walk_m, walk_speed_mps=query.walk_speed_mps
        )
        ids = set(refusal.get("pickup_stops", ()))
        return any(str(snapshot.timetable.stop_ids[a.stop]) in ids for a in near)
    zone = FlexService(
        id=refusal["service"],
        operator="",
        zone_id=refusal["zone_id"],
        zone_name="",
        geometry=refusal["geometry"],
        windows=(),
    )
    return flex_contains(zone, place.lat, place.lon)


def _fits(it: Itinerary) -> bool:
    """Every on-demand leg still has a seat (the capacity check of operators.ondemand)."""
    for leg in it.legs:
        if leg.mode != MODE_ONDEMAND:
            continue
        details = leg.details or {}
        if not ondemand_fits_check(
            operator_slug=leg.operator or "",
            zone_id=str(details.get("capacity_zone_id", "")),
            pickup_earliest=leg.departure,
            pickup_latest=leg.departure,
            dropoff_latest=leg.arrival,
            pickup=(leg.from_place.lat, leg.from_place.lon),
            dropoff=(leg.to_place.lat, leg.to_place.lon),
        ):
            return False
    return True


def plan_itineraries(*, query: PlanQuery, language: str, window_s: int = 0) -> dict[str, Any]:
    """Plan per API.md and return the response body.

    Bike share and on-demand (modes `bikeshare`, `ondemand`) add access/egress options to
    the transit search and door-to-door journeys; live data is read now, never from the
    snapshot. Itineraries relying on stale bike data come after all fresh ones.
    """
    snapshot = _snapshot_or_503()
    tt = snapshot.timetable
    when = query.time if query.time is not None else _default_time()
    now = _now()
    bikes, services, group_services, flex = _multimodal(snapshot, query, when, now)

    def covered(point: LatLon | None) -> bool:
        # a point in a zone whose ride can no longer be booked gets the booking refusal,
        # not "outside the network"
        if point is None:
            return False
        place = Place(name="", lat=point.lat, lon=point.lon)
        return _covered(point, bikes, services) or any(
            _zone_holds(r, place, snapshot, query) for r in flex.refusals
        )

    origin = _endpoint(
        snapshot,
        point=query.origin,
        stop_id=query.origin_stop,
        name="from",
        query=query,
        language=language,
        covered=covered(query.origin),
    )
    destination = _endpoint(
        snapshot,
        point=query.destination,
        stop_id=query.destination_stop,
        name="to",
        query=query,
        language=language,
        covered=covered(query.destination),
    )
    options = SearchOptions(
        max_transfers=query.max_transfers,
        max_walk_m=float(query.max_walk_m),
        walk_speed_mps=query.walk_speed_mps,
        wheelchair=query.wheelchair,
    )
    time_s = tt.to_abs_s(when)
    # composite access / egress options (bike share, on-demand) beside the walks
    extra: dict[str, list[StopAccess]] = {"from": [], "to": []}
    for name, end in (("from", origin), ("to", destination)):
        if end.place is None:
            continue
        egress = name == "to"
        if bikes is not None:
            extra[name] += bike_accesses(
                snapshot.stop_index,
                end.place,
                bikes,
                max_walk_m=query.max_walk_m,
                walk_speed_mps=query.walk_speed_mps,
                egress=egress,
            )
        if services:
            extra[name] += flex_accesses(snapshot.stop_index, end.place, services, egress=egress)
        if group_services:
            extra[name] += flex_group_accesses(
                snapshot.stop_index,
                end.place,
                group_services,
                max_walk_m=query.max_walk_m,
                walk_speed_mps=query.walk_speed_mps,
                egress=egress,
            )
    found: list[Itinerary] = []
    reason: str | None = None
    if "transit" in query.modes:

        def search(include_stale: bool) -> Any:
            def pick(base: list[StopAccess], more: list[StopAccess]) -> list[StopAccess]:
                return base + [a for a in more if include_stale or not any(t.stale for t in a.legs)]

            return plan(
                tt,
                pick(origin.accesses, extra["from"]),
                pick(destination.accesses, extra["to"]),
                time_s,
                options,
                arrive_by=query.arrive_by,
                window_s=window_s,
                origin_place=origin.place,
                destination_place=destination.place,
            )

        result = search(include_stale=False)
        if result.reason == REASON_OUTSIDE_HORIZON:
            _check_date(snapshot, when)
        found, reason = list(result.itineraries), result.reason
        has_stale = any(t.stale for a in extra["from"] + extra["to"] for t in a.legs)
        if has_stale:
            found += [it for it in search(include_stale=True).itineraries if it.stale]
    else:
        reason = "no_transit_mode"
    if "walk" in query.modes and origin.place is not None and destination.place is not None:
        walk = direct_walk(
            tt,
            origin.place,
            destination.place,
            time_s,
            options,
            arrive_by=query.arrive_by,
            detour_factor=settings.ROUTING_DETOUR_FACTOR,
        )
        if walk is not None:
            found.append(walk)
            reason = None
    if origin.place is not None and destination.place is not None:
        direct = []
        if bikes is not None:
            direct += bike_direct(
                origin.place,
                destination.place,
                bikes,
                max_walk_m=query.max_walk_m,
                walk_speed_mps=query.walk_speed_mps,
                detour_factor=settings.ROUTING_DETOUR_FACTOR,
            )
        if services:
            direct += flex_direct(origin.place, destination.place, services)
        if group_services:
            direct += flex_group_direct(
                snapshot.stop_index,
                origin.place,
                destination.place,
                group_services,
                max_walk_m=query.max_walk_m,
                walk_speed_mps=query.walk_speed_mps,
            )
        for templates in direct:
            journey = direct_journey(tt, templates, time_s, options, arrive_by=query.arrive_by)
            if journey is not None:
                found.append(journey)
    found = [it for it in found if _fits(it)]
    by_departure = query.arrive_by or window_s > 0

    def ranked(items: list[Itinerary]) -> list[Itinerary]:
        return sort_itineraries(
            pareto_filter(items, by_departure=by_departure, by_arrival=not query.arrive_by),
            arrive_by=query.arrive_by and not window_s,
            wheelchair=query.wheelchair,
        )

    # fresh first; stale-data itineraries after them (each group Pareto-filtered)
    found = ranked([it for it in found if not it.stale]) + ranked([it for it in found if it.stale])
    places = [p for p in (origin.place, destination.place) if p is not None]
    refusals = [
        {k: v for k, v in r.items() if k not in ("geometry", "pickup_stops")}
        for r in flex.refusals
        if any(_zone_holds(r, p, snapshot, query) for p in places)
    ]
    if found:
        reason = None
    elif refusals:
        reason = "ondemand_booking_closed"
    body: dict[str, Any] = {
        "itineraries": [
            _itinerary_json(snapshot, it, language) for it in found[: query.num_itineraries]
        ],
        "snapshot": snapshot.version,
    }
    if not found and reason is not None:
        message = REASON_MESSAGES.get(reason, reason)
        if reason == "ondemand_booking_closed":
            message = (
                " ".join(dict.fromkeys(r["message"] for r in refusals if r["message"])) or message
            )
        body["reason"] = {"code": reason, "message": message}
    if refusals:
        body["booking_refusals"] = refusals
    return body


def _operator_of(namespaced_id: str | None) -> str | None:
    if not namespaced_id:
        return None
    return namespaced_id.split(":", 1)[0].removesuffix(".flex")


def _place_json(snapshot: Snapshot, place: Place, language: str) -> dict[str, Any]:
    name = place.name
    if place.stop_id is not None:
        name = snapshot.name("stop", place.stop_id, language, place.name)
    return {
        "name": name,
        "lat": round(place.lat, 7),
        "lon": round(place.lon, 7),
        "stop_id": place.stop_id,
        "station_id": place.station_id,
    }


def _leg_json(snapshot: Snapshot, leg: Leg, language: str) -> dict[str, Any]:
    route = None
    if leg.route is not None:
        route = {
            "id": leg.route.id,
            "short_name": snapshot.name(
                "route_short_name", leg.route.id, language, leg.route.short_name
            ),
            "long_name": snapshot.name(
                "route_long_name", leg.route.id, language, leg.route.long_name
            ),
            "type": leg.route.type,
        }
    headsign = leg.headsign
    if headsign and leg.trip_id:
        headsign = snapshot.name("headsign", leg.trip_id, language, headsign)
    operator = _operator_of(leg.trip_id) if leg.mode == "transit" else leg.operator
    return {
        "mode": leg.mode,
        "operator": operator,
        "from": _place_json(snapshot, leg.from_place, language),
        "to": _place_json(snapshot, leg.to_place, language),
        "departure": leg.departure.isoformat(),
        "arrival": leg.arrival.isoformat(),
        "duration_s": leg.duration_s,
        "distance_m": round(leg.distance_m),
        "geometry": {"type": "LineString", "coordinates": leg.geometry},
        "route": route,
        "trip_id": leg.trip_id,
        "service_date": leg.service_date.isoformat() if leg.service_date else None,
        "headsign": headsign,
        "wheelchair_accessible": bool(leg.wheelchair_accessible) if leg.mode == "transit" else None,
        "booking": _booking_json(leg) if leg.mode == MODE_ONDEMAND else None,
        **(_bikeshare_json(leg) if leg.mode == MODE_BIKESHARE else {}),
        **(_zone_json(leg) if leg.mode == MODE_ONDEMAND else {}),
    }


def _bikeshare_json(leg: Leg) -> dict[str, Any]:
    details = leg.details or {}
    pickup = details.get("pickup") or {}
    end = details.get("return")
    return {
        "station": {"id": pickup.get("id"), "name": pickup.get("name"), "kind": pickup.get("kind")},
        "return_station": {"id": end.get("id"), "name": end.get("name")} if end else None,
        "rental_uris": pickup.get("rental_uris"),
        "price": bikeshare_price(
            plans=pickup.get("plans") or [], duration_s=leg.duration_s, distance_m=leg.distance_m
        ),
        "stale": leg.stale,
    }


def _zone_json(leg: Leg) -> dict[str, Any]:
    details = leg.details or {}
    return {
        "zone": {"id": details.get("zone_id"), "name": details.get("zone_name")},
        # rides between location groups: the drop-off group (null for zone services)
        "to_zone": details.get("to_zone"),
        "route_name": details.get("route") or None,
    }


def _booking_json(leg: Leg) -> dict[str, Any]:
    details = leg.details or {}
    rule = details.get("rule") or {}
    tz = zoneinfo.ZoneInfo(details.get("tz") or "UTC")
    service_day = leg.departure.astimezone(tz).date()
    latest = latest_booking_time(rule or None, leg.departure, service_day, tz)
    return {
        "type": rule.get("booking_type"),
        "message": rule.get("pickup_message") or rule.get("message") or "",
        "phone_number": rule.get("phone_number") or None,
        "info_url": rule.get("info_url") or None,
        "booking_url": rule.get("booking_url") or None,
        "latest_booking_time": latest.isoformat() if latest else None,
    }


def _itinerary_json(snapshot: Snapshot, it: Itinerary, language: str) -> dict[str, Any]:
    operators = list(
        dict.fromkeys(
            _operator_of(leg.trip_id) if leg.mode == "transit" else leg.operator
            for leg in it.legs
            if leg.mode != "walk"
        )
    )
    legs = [_leg_json(snapshot, leg, language) for leg in it.legs]
    return {
        "departure": it.departure.isoformat(),
        "arrival": it.arrival.isoformat(),
        "duration_s": it.duration_s,
        "transfers": it.transfers,
        # the sum of the legs as shown, so a client's own sum always agrees
        "walk_m": sum(leg["distance_m"] for leg in legs if leg["mode"] == "walk"),
        "operators": operators,
        "wheelchair_accessible": bool(it.wheelchair_accessible),
        "stale": it.stale,
        "legs": legs,
    }
