"""Reads of on-demand capacity: configuration lists, vehicle schedules, and
`ondemand_fits`, the dry-run the planner asks before it offers an on-demand leg."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Q, QuerySet
from django.utils import timezone

from operators.gtfs.models import Location, LocationGroup, LocationGroupStop, Stop
from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.ondemand.dispatch import (
    Insertion,
    LatLon,
    RideRequest,
    TravelModel,
    VehicleSchedule,
    insertion_best,
)
from operators.ondemand.dispatch import (
    Stop as ScheduleStop,
)
from operators.ondemand.models import OnDemandService, Ride, RideState, Vehicle
from operators.ondemand.shifts import shift_intervals

#: The key of the request being inserted (existing rides are keyed by their id).
NEW_REQUEST_KEY = "new"


# ------------------------------------------------------------------ configuration reads
def service_list(*, operator: Operator) -> QuerySet[OnDemandService]:
    return OnDemandService.objects.filter(operator=operator).select_related("operator")


def service_get(*, operator: Operator, service_id: int) -> OnDemandService:
    """The operator's service `service_id`; DoesNotExist for unknown or other tenants'."""
    return service_list(operator=operator).get(pk=service_id)


def vehicle_list(*, operator: Operator, service_id: int | None = None) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.filter(service__operator=operator).select_related("service")
    if service_id is not None:
        vehicles = vehicles.filter(service_id=service_id)
    return vehicles


def vehicle_get(*, operator: Operator, vehicle_id: int) -> Vehicle:
    return vehicle_list(operator=operator).get(pk=vehicle_id)


def ride_list(
    *,
    operator: Operator,
    service_id: int | None = None,
    vehicle_id: int | None = None,
    states: list[str] | None = None,
) -> QuerySet[Ride]:
    rides = Ride.objects.filter(service__operator=operator).select_related("service", "vehicle")
    if service_id is not None:
        rides = rides.filter(service_id=service_id)
    if vehicle_id is not None:
        rides = rides.filter(vehicle_id=vehicle_id)
    if states:
        rides = rides.filter(state__in=states)
    return rides


def _active_flex_versions(operator_id: int) -> list[int]:
    return list(
        FeedVersion.objects.filter(
            operator_id=operator_id,
            kind__in=(FeedKind.GTFS_FLEX, FeedKind.GTFS),
            status=FeedStatus.ACTIVE,
        ).values_list("pk", flat=True)
    )


def zone_exists(*, operator_id: int, zone_id: str) -> bool:
    """Whether `zone_id` is a location or location group of the operator's active feeds."""
    versions = _active_flex_versions(operator_id)
    return (
        Location.objects.filter(feed_version_id__in=versions, location_id=zone_id).exists()
        or LocationGroup.objects.filter(
            feed_version_id__in=versions, location_group_id=zone_id
        ).exists()
    )


def zone_center_find(*, operator_id: int, zone_id: str) -> LatLon | None:
    """A representative point of the zone (the centre of a location's bounding box, or the
    mean of a location group's stops), None when the active feeds do not know the zone."""
    versions = _active_flex_versions(operator_id)
    location = (
        Location.objects.filter(feed_version_id__in=versions, location_id=zone_id)
        .order_by("-feed_version_id")
        .first()
    )
    if location is not None:
        return LatLon(
            (location.min_lat + location.max_lat) / 2, (location.min_lon + location.max_lon) / 2
        )
    for version in sorted(versions, reverse=True):
        stop_ids = LocationGroupStop.objects.filter(
            feed_version_id=version, location_group_id=zone_id
        ).values("stop_id")
        mean = Stop.objects.filter(
            feed_version_id=version, stop_id__in=stop_ids, stop_lat__isnull=False
        ).aggregate(lat=Avg("stop_lat"), lon=Avg("stop_lon"))
        if mean["lat"] is not None and mean["lon"] is not None:
            return LatLon(mean["lat"], mean["lon"])
    return None


# ------------------------------------------------------------------ schedules
def travel_model_of(service: OnDemandService) -> TravelModel:
    return TravelModel(
        speed_mps=service.road_speed_mps,
        detour_factor=service.detour_factor,
        dwell_s=service.dwell_s,
        max_ride_factor=service.max_ride_factor,
        max_ride_buffer_s=service.service_buffer_s,
    )


def epoch_s(moment: dt.datetime, *, up: bool = False) -> int:
    """Whole seconds since the Unix epoch (rounded up with `up`, else down)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: on-demand times must be aware")
    value = moment.timestamp()
    return math.ceil(value) if up else math.floor(value)


def from_epoch_s(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def live_rides(*, now: dt.datetime) -> QuerySet[Ride]:
    """Rides that occupy seats now: confirmed ones and holds not yet past expires_at
    (a hold past it frees its seats at once, before the sweep marks it EXPIRED)."""
    return Ride.objects.filter(
        Q(state=RideState.CONFIRMED) | Q(state=RideState.HELD, expires_at__gt=now)
    )


def ride_request_of(ride: Ride) -> RideRequest:
    return RideRequest(
        key=str(ride.pk),
        pickup=LatLon(ride.pickup_lat, ride.pickup_lon),
        dropoff=LatLon(ride.dropoff_lat, ride.dropoff_lon),
        pickup_earliest_s=epoch_s(ride.pickup_earliest, up=True),
        pickup_latest_s=epoch_s(ride.pickup_latest),
        dropoff_latest_s=None if ride.dropoff_latest is None else epoch_s(ride.dropoff_latest),
        seats=ride.seats,
    )


@dataclass(frozen=True)
class ShiftSchedule:
    """One vehicle in one in-service period, with the live rides it carries then."""

    vehicle: Vehicle
    period: tuple[dt.datetime, dt.datetime]
    schedule: VehicleSchedule
    rides: dict[str, Ride]


def shift_schedules_build(
    *,
    service: OnDemandService,
    vehicles: list[Vehicle],
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
) -> list[ShiftSchedule]:
    """The schedules of `vehicles` in every in-service period overlapping
    [window_start, window_end]. Stops are ordered by planned time, then by their stored
    position; stops already served (planned before `now`) are locked."""
    time_zone = zoneinfo.ZoneInfo(service.operator.time_zone)
    periods = {
        vehicle.pk: shift_intervals(
            vehicle.shifts, time_zone=time_zone, start=window_start, end=window_end
        )
        for vehicle in vehicles
    }
    all_periods = [p for ps in periods.values() for p in ps]
    if not all_periods:
        return []
    rides_by_vehicle: dict[int, list[Ride]] = defaultdict(list)
    for ride in live_rides(now=now).filter(
        vehicle_id__in=list(periods),
        planned_pickup_at__gte=min(p[0] for p in all_periods),
        planned_pickup_at__lte=max(p[1] for p in all_periods),
    ):
        rides_by_vehicle[ride.vehicle_id].append(ride)
    now_s = epoch_s(now)
    result: list[ShiftSchedule] = []
    for vehicle in vehicles:
        depot = (
            None
            if vehicle.depot_lat is None or vehicle.depot_lon is None
            else LatLon(vehicle.depot_lat, vehicle.depot_lon)
        )
        for start, end in periods[vehicle.pk]:
            rides = [r for r in rides_by_vehicle[vehicle.pk] if start <= r.planned_pickup_at <= end]
            keyed: list[tuple[int, int, ScheduleStop]] = []
            for ride in rides:
                request = ride_request_of(ride)
                keyed.append(
                    (
                        epoch_s(ride.planned_pickup_at),
                        ride.pickup_order,
                        ScheduleStop(request, "pickup"),
                    )
                )
                keyed.append(
                    (
                        epoch_s(ride.planned_dropoff_at),
                        ride.dropoff_order,
                        ScheduleStop(request, "dropoff"),
                    )
                )
            keyed.sort(key=lambda item: (item[0], item[1]))
            locked = sum(1 for time_s, _, _ in keyed if time_s < now_s)
            schedule = VehicleSchedule(
                key=f"{vehicle.pk}@{epoch_s(start)}",
                capacity=vehicle.seats,
                start_s=epoch_s(start, up=True),
                end_s=epoch_s(end),
                stops=tuple(stop for _, _, stop in keyed),
                start_point=depot,
                locked=locked,
            )
            result.append(
                ShiftSchedule(vehicle, (start, end), schedule, {str(r.pk): r for r in rides})
            )
    return result


def new_request(
    *,
    pickup: LatLon | None,
    dropoff: LatLon | None,
    pickup_earliest: dt.datetime,
    pickup_latest: dt.datetime,
    dropoff_latest: dt.datetime | None,
    seats: int,
) -> RideRequest:
    return RideRequest(
        key=NEW_REQUEST_KEY,
        pickup=pickup,
        dropoff=dropoff,
        pickup_earliest_s=epoch_s(pickup_earliest, up=True),
        pickup_latest_s=epoch_s(pickup_latest),
        dropoff_latest_s=None if dropoff_latest is None else epoch_s(dropoff_latest),
        seats=seats,
    )


def ride_insertion_find(
    *,
    service: OnDemandService,
    vehicles: list[Vehicle],
    request: RideRequest,
    now: dt.datetime,
) -> tuple[Insertion, ShiftSchedule] | None:
    """The dispatcher's best place for `request` among `vehicles`' live schedules."""
    window_start = from_epoch_s(request.pickup_earliest_s)
    window_end = from_epoch_s(request.pickup_latest_s)
    schedules = shift_schedules_build(
        service=service,
        vehicles=vehicles,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )
    best = insertion_best([s.schedule for s in schedules], request, travel_model_of(service))
    if best is None:
        return None
    chosen = next(s for s in schedules if s.schedule.key == best.schedule_key)
    return best, chosen


def _point(value: tuple[float, float] | None) -> LatLon | None:
    return None if value is None else LatLon(float(value[0]), float(value[1]))


def ondemand_fits(
    *,
    operator_slug: str,
    zone_id: str,
    pickup_earliest: dt.datetime,
    pickup_latest: dt.datetime,
    dropoff_latest: dt.datetime,
    seats: int = 1,
    pickup: tuple[float, float] | None = None,
    dropoff: tuple[float, float] | None = None,
) -> bool:
    """Whether a ride of `seats` (pickup and dropoff as (lat, lon)) picked up within
    [pickup_earliest, pickup_latest] and dropped off by `dropoff_latest` still fits one of
    the zone's vehicles, next to the rides already held or confirmed (a dry run: nothing is
    held). True when the operator manages no capacity for that zone (no OnDemandService);
    False when the service is inactive or no vehicle can take the ride. A point left out
    is taken as the zone's centre."""
    service = (
        OnDemandService.objects.select_related("operator")
        .filter(operator__slug=operator_slug, zone_id=zone_id)
        .first()
    )
    if service is None:
        return True
    if not service.active or seats < 1 or pickup_latest < pickup_earliest:
        return False
    pickup_point, dropoff_point = _point(pickup), _point(dropoff)
    if pickup_point is None or dropoff_point is None:
        center = zone_center_find(operator_id=service.operator_id, zone_id=zone_id)
        pickup_point = pickup_point or center
        dropoff_point = dropoff_point or center
    vehicles = list(service.vehicles.filter(active=True).order_by("pk"))
    if not vehicles:
        return False
    request = new_request(
        pickup=pickup_point,
        dropoff=dropoff_point,
        pickup_earliest=pickup_earliest,
        pickup_latest=pickup_latest,
        dropoff_latest=dropoff_latest,
        seats=seats,
    )
    found = ride_insertion_find(
        service=service, vehicles=vehicles, request=request, now=timezone.now()
    )
    return found is not None
