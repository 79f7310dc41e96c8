"""Read side of GBFS: live stations near a point, from active systems only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils import timezone

from operators.gbfs.models import GbfsFile, GbfsSystem, Station, StationHold
from operators.gbfs.services import effective_ttl_s
from operators.models import FeedStatus
from operators.nearby import bounding_box, distance_m
from routing.timetable import haversine_m


@dataclass(frozen=True)
class StationAvailability:
    id: str  # "<operator>:<station_id>"
    name: str
    lat: float
    lon: float
    distance_m: int
    capacity: int | None
    bikes_available: int | None
    docks_available: int | None
    is_renting: bool | None
    is_returning: bool | None
    last_reported: dt.datetime | None
    stale: bool


def station_status_is_stale(
    *, status_file: GbfsFile | None, stale_reason: str, now: dt.datetime
) -> bool:
    """Stale when the feed is marked stale (its last fetch failed), when there is no
    station_status at all, or when the data is older than 2 x ttl. The data's age is
    the publisher's `last_updated` when given, else when we received it."""
    if stale_reason or status_file is None:
        return True
    data_time = status_file.last_updated or status_file.fetched_at
    if data_time is None:
        return True
    return now - data_time > dt.timedelta(seconds=2 * effective_ttl_s(status_file.ttl_s))


_STATION_FIELDS = (
    "pk",
    "station_id",
    "name",
    "lat",
    "lon",
    "capacity",
    "system_id",
    "system__operator__slug",
    "system__stale_reason",
    "status__num_bikes_available",
    "status__num_docks_available",
    "status__is_renting",
    "status__is_returning",
    "status__last_reported",
)


def _stations_in_box(
    min_lat: float, max_lat: float, min_lon: float, max_lon: float
) -> list[tuple[Any, ...]]:
    # Plain tuples of the columns needed: building model instances (and decoding the
    # systems' JSON columns) for a thousand stations cost ~100 ms per plan.
    return list(
        Station.objects.filter(
            system__feed_version__status=FeedStatus.ACTIVE,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lon__gte=min_lon,
            lon__lte=max_lon,
        )
        .order_by("pk")
        .values_list(*_STATION_FIELDS)
    )


def _availability(
    rows: list[tuple[float, tuple[Any, ...]]], now: dt.datetime
) -> list[StationAvailability]:
    system_ids = {row[6] for _, row in rows}
    # Bikes held by bookings of this platform are not available to anyone else.
    held = dict(
        StationHold.objects.filter(station_id__in=[row[0] for _, row in rows], held_until__gt=now)
        .values("station_id")
        .annotate(n=Count("id"))
        .values_list("station_id", "n")
    )
    status_files = {
        f.system_id: f
        for f in GbfsFile.objects.filter(system_id__in=system_ids, name="station_status")
    }
    result = []
    for d, row in rows:
        (_, station_id, name, lat, lon, capacity, system_id, slug, stale_reason,
         bikes, docks, renting, returning, reported) = row  # fmt: skip
        has_status = bikes is not None
        stale = (
            station_status_is_stale(
                status_file=status_files.get(system_id), stale_reason=stale_reason, now=now
            )
            or not has_status
        )
        result.append(
            StationAvailability(
                id=f"{slug}:{station_id}",
                name=name,
                lat=lat,
                lon=lon,
                distance_m=round(d),
                capacity=capacity,
                bikes_available=max(bikes - held.get(row[0], 0), 0) if has_status else None,
                docks_available=docks if has_status else None,
                is_renting=renting if has_status else None,
                is_returning=returning if has_status else None,
                last_reported=reported if has_status else None,
                stale=stale,
            )
        )
    return result


def station_list_near(
    *, lat: float, lon: float, radius_m: float, limit: int, now: dt.datetime | None = None
) -> list[StationAvailability]:
    """Stations of active GBFS systems within `radius_m` of (lat, lon), nearest first."""
    now = now or timezone.now()
    nearby = []
    for row in _stations_in_box(*bounding_box(lat, lon, radius_m)):
        d = distance_m(lat, lon, row[3], row[4])
        if d <= radius_m:
            nearby.append((d, row))
    nearby.sort(key=lambda pair: (pair[0], pair[1][0]))
    return _availability(nearby[:limit], now)


@dataclass(frozen=True)
class BikeshareLive:
    """Live bike-share state around a query, for trip planning: stations with their
    status, free-floating vehicles, geofencing rules and pricing plans, per system."""

    stations: list[StationAvailability]
    station_details: dict[str, dict[str, Any]]  # id -> {"rental_uris", "operator", ...}
    vehicles: list[dict[str, Any]]  # free-floating, rentable (not reserved/disabled)
    zones: list[dict[str, Any]]  # {"operator", "geometry", "rules"}, published order
    global_rules: dict[str, list[dict[str, Any]]]  # operator -> global_rules
    pricing: dict[str, list[dict[str, Any]]]  # operator -> plans


def bikeshare_live_near(
    *, points: list[tuple[float, float]], radius_m: float, now: dt.datetime | None = None
) -> BikeshareLive:
    """Everything live of the active GBFS systems within `radius_m` of any of `points`.
    Staleness as in `station_status_is_stale` (vehicles: their file's age, same rule)."""
    now = now or timezone.now()
    if not GbfsSystem.objects.filter(feed_version__status=FeedStatus.ACTIVE).exists():
        # No bike share in this city (yet): one cheap query instead of five.
        return BikeshareLive(
            stations=[], station_details={}, vehicles=[], zones=[], global_rules={}, pricing={}
        )
    boxes = [bounding_box(lat, lon, radius_m) for lat, lon in points]
    box = (
        (
            min(b[0] for b in boxes),
            max(b[1] for b in boxes),
            min(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        if boxes
        else (0.0, 0.0, 0.0, 0.0)
    )
    # One query for all points; a station is kept when it is near any of them (distance to
    # the nearest point).
    rows = _stations_in_box(*box) if boxes else []
    near_rows = []
    if rows:
        station_lat = np.array([row[3] for row in rows])
        station_lon = np.array([row[4] for row in rows])
        nearest = np.min(
            [haversine_m(p_lat, p_lon, station_lat, station_lon) for p_lat, p_lon in points],
            axis=0,
        )
        near_rows = [(float(d), row) for d, row in zip(nearest, rows, strict=True) if d <= radius_m]
    stations = sorted(_availability(near_rows, now), key=lambda s: s.id)
    seen = {s.id for s in stations}
    details: dict[str, dict[str, Any]] = {}
    if stations:
        for slug, station_id, uris in (
            Station.objects.filter(
                system__feed_version__status=FeedStatus.ACTIVE,
                lat__gte=box[0],
                lat__lte=box[1],
                lon__gte=box[2],
                lon__lte=box[3],
            )
            .exclude(rental_uris={})
            .values_list("system__operator__slug", "station_id", "rental_uris")
        ):
            key = f"{slug}:{station_id}"
            if key in seen:
                details[key] = {"rental_uris": uris}
    systems = list(
        GbfsSystem.objects.filter(feed_version__status=FeedStatus.ACTIVE).select_related("operator")
    )
    vehicles: list[dict[str, Any]] = []
    zones: list[dict[str, Any]] = []
    global_rules: dict[str, list[dict[str, Any]]] = {}
    pricing: dict[str, list[dict[str, Any]]] = {}
    files = {
        (f.system_id, f.name): f
        for f in GbfsFile.objects.filter(
            system__in=systems, name__in=["free_bike_status", "vehicle_status"]
        )
    }
    for system in systems:
        slug = system.operator.slug
        vehicle_file = files.get((system.pk, "vehicle_status")) or files.get(
            (system.pk, "free_bike_status")
        )
        stale = station_status_is_stale(
            status_file=vehicle_file, stale_reason=system.stale_reason, now=now
        )
        for lat, lon in points:
            min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
            for v in system.vehicles.filter(
                is_reserved=False,
                is_disabled=False,
                station_id="",
                lat__gte=min_lat,
                lat__lte=max_lat,
                lon__gte=min_lon,
                lon__lte=max_lon,
            ).order_by("vehicle_id"):
                vehicles.append(
                    {
                        "id": f"{slug}:{v.vehicle_id}",
                        "operator": slug,
                        "lat": v.lat,
                        "lon": v.lon,
                        "vehicle_type_id": v.vehicle_type_id,
                        "rental_uris": v.rental_uris,
                        "stale": stale,
                    }
                )
        for zone in system.geofencing_zones.order_by("pk"):
            zones.append({"operator": slug, "geometry": zone.geometry, "rules": zone.rules})
        if system.global_rules:
            global_rules[slug] = list(system.global_rules)
        plans = [
            {
                "plan_id": p.plan_id,
                "name": p.name,
                "currency": p.currency,
                "price_amount": p.price_amount,
                "data": p.data,
            }
            for p in system.pricing_plans.order_by("price_amount", "plan_id")
        ]
        if plans:
            pricing[slug] = plans
    unique = {v["id"]: v for v in vehicles}
    return BikeshareLive(
        stations=stations,
        station_details=details,
        vehicles=sorted(unique.values(), key=lambda v: v["id"]),
        zones=zones,
        global_rules=global_rules,
        pricing=pricing,
    )
