"""Read side of GBFS: live stations near a point, from active systems only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from operators.gbfs.models import GbfsFile, Station
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
