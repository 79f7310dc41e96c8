"""The glue between the HTTP API and the routing engine: the only module of `maas` that
imports `routing` (an import-linter contract keeps it so).

Each API process memory-maps the newest ready network snapshot and switches to a newer one
without a restart: at most every SNAPSHOT_POLL_S seconds it asks the database (one indexed
query) which snapshot is current.
"""

from __future__ import annotations

import datetime as dt
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
from maas.trips.params import LatLon, PlanQuery
from operators.selectors import network_snapshot_current
from routing.itinerary import Itinerary, Leg, Place, pareto_filter, sort_itineraries
from routing.search import (
    REASON_NO_ACCESS,
    REASON_NO_CONNECTION,
    REASON_OUTSIDE_HORIZON,
    REASON_SAME_PLACE,
    SearchOptions,
    StopAccess,
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
    if nearest > settings.ROUTING_COVERAGE_M:
        raise ApiError(
            "outside_network",
            f"{name}={point.lat},{point.lon} is outside the network: the nearest stop is "
            f"{nearest / 1000:.1f} km away.",
            details={"parameter": name, "nearest_stop_m": round(nearest)},
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


def plan_itineraries(*, query: PlanQuery, language: str, window_s: int = 0) -> dict[str, Any]:
    """Plan per API.md and return the response body."""
    snapshot = _snapshot_or_503()
    tt = snapshot.timetable
    when = query.time if query.time is not None else _default_time()
    origin = _endpoint(
        snapshot,
        point=query.origin,
        stop_id=query.origin_stop,
        name="from",
        query=query,
        language=language,
    )
    destination = _endpoint(
        snapshot,
        point=query.destination,
        stop_id=query.destination_stop,
        name="to",
        query=query,
        language=language,
    )
    options = SearchOptions(
        max_transfers=query.max_transfers,
        max_walk_m=float(query.max_walk_m),
        walk_speed_mps=query.walk_speed_mps,
        wheelchair=query.wheelchair,
    )
    time_s = tt.to_abs_s(when)
    found: list[Itinerary] = []
    reason: str | None = None
    if "transit" in query.modes:
        result = plan(
            tt,
            origin.accesses,
            destination.accesses,
            time_s,
            options,
            arrive_by=query.arrive_by,
            window_s=window_s,
            origin_place=origin.place,
            destination_place=destination.place,
        )
        if result.reason == REASON_OUTSIDE_HORIZON:
            _check_date(snapshot, when)
        found, reason = list(result.itineraries), result.reason
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
    by_departure = query.arrive_by or window_s > 0
    found = sort_itineraries(
        pareto_filter(found, by_departure=by_departure, by_arrival=not query.arrive_by),
        arrive_by=query.arrive_by and not window_s,
        wheelchair=query.wheelchair,
    )
    body: dict[str, Any] = {
        "itineraries": [
            _itinerary_json(snapshot, it, language) for it in found[: query.num_itineraries]
        ],
        "snapshot": snapshot.version,
    }
    if not found and reason is not None:
        body["reason"] = {"code": reason, "message": REASON_MESSAGES.get(reason, reason)}
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
    return {
        "mode": leg.mode,
        "operator": _operator_of(leg.trip_id) if leg.mode == "transit" else None,
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
        "booking": None,
    }


def _itinerary_json(snapshot: Snapshot, it: Itinerary, language: str) -> dict[str, Any]:
    operators = list(
        dict.fromkeys(_operator_of(leg.trip_id) for leg in it.legs if leg.mode == "transit")
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
        "legs": legs,
    }
