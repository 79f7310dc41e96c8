"""Read side of GBFS: live stations near a point, from active systems only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from operators.gbfs.models import GbfsFile, GbfsSystem, Station
from operators.gbfs.services import effective_ttl_s
from operators.models import FeedStatus
from operators.nearby import bounding_box, distance_m


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


def station_list_near(
    *, lat: float, lon: float, radius_m: float, limit: int, now: dt.datetime | None = None
) -> list[StationAvailability]:
    """Stations of active GBFS systems within `radius_m` of (lat, lon), nearest first."""
    now = now or timezone.now()
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    stations = (
        Station.objects.filter(
            system__feed_version__status=FeedStatus.ACTIVE,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lon__gte=min_lon,
            lon__lte=max_lon,
        )
        .select_related("system__operator", "status")
        .order_by("pk")
    )
    nearby = []
    for station in stations:
        d = distance_m(lat, lon, station.lat, station.lon)
        if d <= radius_m:
            nearby.append((d, station))
    nearby.sort(key=lambda pair: (pair[0], pair[1].pk))
    nearby = nearby[:limit]
    system_ids = {s.system_id for _, s in nearby}
    status_files = {
        f.system_id: f
        for f in GbfsFile.objects.filter(system_id__in=system_ids, name="station_status")
    }
    result = []
    for d, station in nearby:
        status = getattr(station, "status", None)
        stale = (
            station_status_is_stale(
                status_file=status_files.get(station.system_id),
                stale_reason=station.system.stale_reason,
                now=now,
            )
            or status is None
        )
        result.append(
            StationAvailability(
                id=f"{station.system.operator.slug}:{station.station_id}",
                name=station.name,
                lat=station.lat,
                lon=station.lon,
                distance_m=round(d),
                capacity=station.capacity,
                bikes_available=status.num_bikes_available if status else None,
                docks_available=status.num_docks_available if status else None,
                is_renting=status.is_renting if status else None,
                is_returning=status.is_returning if status else None,
                last_reported=status.last_reported if status else None,
                stale=stale,
            )
        )
    return result


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
    seen: dict[str, StationAvailability] = {}
    for lat, lon in points:
        for station in station_list_near(
            lat=lat, lon=lon, radius_m=radius_m, limit=100_000, now=now
        ):
            seen.setdefault(station.id, station)
    stations = sorted(seen.values(), key=lambda s: s.id)
    details: dict[str, dict[str, Any]] = {}
    if stations:
        for slug, station_id, uris in (
            Station.objects.filter(system__feed_version__status=FeedStatus.ACTIVE)
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
