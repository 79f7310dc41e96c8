"""Writes of on-demand capacity: configuring services and vehicles, and the seat-hold
lifecycle (hold -> confirm | release | expire; confirm -> cancel) the bookings use.

Concurrency: `ride_hold` locks the rows of the service's active vehicles (in id order, so
two holds never wait on each other in a cycle) before it reads their schedules, inside
one transaction; two holds for the same vehicles therefore run one after the other and
the second sees the first's ride. On SQLite the database lock serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from operators.models import Operator
from operators.ondemand.dispatch import RideRequest
from operators.ondemand.models import OnDemandService, Ride, RideState, Vehicle
from operators.ondemand.selectors import (
    NEW_REQUEST_KEY,
    _point,
    from_epoch_s,
    new_request,
    ride_insertion_find,
    zone_exists,
)
from operators.ondemand.shifts import ShiftError, shifts_validate

logger = logging.getLogger(__name__)


class NoCapacity(Exception):
    """No vehicle of the service can take the ride (or the service takes no rides)."""

    code = "no_capacity"


class OnDemandServiceNotFound(LookupError):
    """The operator manages no on-demand capacity in that zone."""


class RideStateError(Exception):
    """The ride is not in a state that allows the operation."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


# ------------------------------------------------------------------ configuration
SERVICE_FIELDS = (
    "zone_id",
    "name",
    "active",
    "road_speed_mps",
    "detour_factor",
    "dwell_s",
    "max_ride_factor",
    "service_buffer_s",
)
VEHICLE_FIELDS = ("label", "seats", "shifts", "depot_lat", "depot_lon", "active")


def _zone_check(service: OnDemandService) -> None:
    if not zone_exists(operator_id=service.operator_id, zone_id=service.zone_id):
        raise ValidationError(
            {
                "zone_id": (
                    f"{service.zone_id!r} is not a location_id or location_group_id of the "
                    "operator's active GTFS-Flex feed"
                )
            }
        )


@transaction.atomic
def ondemand_service_create(*, operator: Operator, data: dict[str, Any]) -> OnDemandService:
    """Configure capacity management for one flex zone of `operator` (the zone must be in
    the operator's active feed). Raises ValidationError."""
    service = OnDemandService(
        operator=operator, **{k: data[k] for k in SERVICE_FIELDS if k in data}
    )
    service.full_clean()
    _zone_check(service)
    service.save()
    logger.info(
        "on-demand service created",
        extra={"operator": operator.slug, "service": service.pk, "zone_id": service.zone_id},
    )
    return service


@transaction.atomic
def ondemand_service_update(*, service: OnDemandService, data: dict[str, Any]) -> OnDemandService:
    """Change a service's settings (also `active`). Rides already held keep their times;
    the new travel model applies to the next insertion."""
    locked = (
        OnDemandService.objects.select_for_update().select_related("operator").get(pk=service.pk)
    )
    zone_changed = "zone_id" in data and data["zone_id"] != locked.zone_id
    for name in SERVICE_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    locked.full_clean()
    if zone_changed:
        _zone_check(locked)
    locked.save()
    return locked


@transaction.atomic
def vehicle_create(*, service: OnDemandService, data: dict[str, Any]) -> Vehicle:
    vehicle = Vehicle(service=service, **{k: data[k] for k in VEHICLE_FIELDS if k in data})
    _vehicle_prepare(vehicle)
    vehicle.save()
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, data: dict[str, Any]) -> Vehicle:
    """Change a vehicle (also `active`). The row is locked like a hold locks it, so a
    change never interleaves with an insertion on that vehicle. Rides already assigned
    stay; a schedule the new seats or shifts no longer allow takes no further rides."""
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    for name in VEHICLE_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    _vehicle_prepare(locked)
    locked.save()
    return locked


def _vehicle_prepare(vehicle: Vehicle) -> None:
    try:
        vehicle.shifts = shifts_validate(vehicle.shifts)
    except ShiftError as exc:
        raise ValidationError({"shifts": str(exc)}) from exc
    vehicle.full_clean()


# ------------------------------------------------------------------ seat holds
def _aware(name: str, value: dt.datetime | None) -> None:
    if value is not None and timezone.is_naive(value):
        raise ValueError(f"{name} must be an aware datetime")


def ride_hold(
    *,
    operator_slug: str,
    zone_id: str,
    pickup: tuple[float, float],
    dropoff: tuple[float, float],
    pickup_earliest: dt.datetime,
    pickup_latest: dt.datetime,
    dropoff_latest: dt.datetime | None = None,
    seats: int = 1,
    reference: str = "",
    hold_s: int | None = None,
    now: dt.datetime | None = None,
) -> Ride:
    """Hold `seats` for a ride (pickup and dropoff as (lat, lon)) picked up within
    [pickup_earliest, pickup_latest] and, when given, dropped off by `dropoff_latest`.

    The dispatcher inserts it into the cheapest vehicle schedule that keeps every accepted
    ride's windows and never exceeds a vehicle's seats; the ride is HELD until `now` +
    `hold_s` (default ONDEMAND_HOLD_S), other rides of that schedule may get new planned
    times within their windows. A repeat with the same non-empty `reference` returns the
    first ride unchanged. Raises OnDemandServiceNotFound (no capacity managed in that
    zone), NoCapacity, or ValueError (bad input).
    """
    for name, value in (
        ("pickup_earliest", pickup_earliest),
        ("pickup_latest", pickup_latest),
        ("dropoff_latest", dropoff_latest),
        ("now", now),
    ):
        _aware(name, value)
    if seats < 1:
        raise ValueError("seats must be at least 1")
    if pickup_latest < pickup_earliest:
        raise ValueError("pickup_latest is before pickup_earliest")
    now = now or timezone.now()
    hold_s = settings.ONDEMAND_HOLD_S if hold_s is None else hold_s
    service = (
        OnDemandService.objects.select_related("operator")
        .filter(operator__slug=operator_slug, zone_id=zone_id)
        .first()
    )
    if service is None:
        raise OnDemandServiceNotFound(f"{operator_slug} manages no on-demand zone {zone_id!r}")
    request = new_request(
        pickup=_point(pickup),
        dropoff=_point(dropoff),
        pickup_earliest=pickup_earliest,
        pickup_latest=pickup_latest,
        dropoff_latest=dropoff_latest,
        seats=seats,
    )
    try:
        with transaction.atomic():
            return _ride_hold_locked(
                service=service, request=request, reference=reference, hold_s=hold_s, now=now
            )
    except IntegrityError:
        # A concurrent hold with the same reference won (only possible when the service
        # has no vehicles to lock): return its ride.
        if reference:
            existing = Ride.objects.filter(service=service, reference=reference).first()
            if existing is not None:
                return existing
        raise


def _ride_hold_locked(
    *,
    service: OnDemandService,
    request: RideRequest,
    reference: str,
    hold_s: int,
    now: dt.datetime,
) -> Ride:
    # The lock: every active vehicle of the service, in id order (no deadlock cycles).
    vehicles = list(
        Vehicle.objects.select_for_update().filter(service=service, active=True).order_by("pk")
    )
    if reference:
        existing = Ride.objects.filter(service=service, reference=reference).first()
        if existing is not None:
            return existing
    if not service.active:
        raise NoCapacity(f"the on-demand service {service.name!r} takes no rides now")
    found = ride_insertion_find(service=service, vehicles=vehicles, request=request, now=now)
    if found is None:
        raise NoCapacity("no vehicle can take this ride within its windows")
    insertion, shift = found
    positions: dict[tuple[str, str], tuple[int, int]] = {
        (stop.request.key, stop.kind): (index, time_s)
        for index, (stop, time_s) in enumerate(zip(insertion.stops, insertion.times_s, strict=True))
    }
    retimed: list[Ride] = []
    for key, ride in shift.rides.items():
        pickup_order, pickup_s = positions[(key, "pickup")]
        dropoff_order, dropoff_s = positions[(key, "dropoff")]
        planned = (from_epoch_s(pickup_s), from_epoch_s(dropoff_s), pickup_order, dropoff_order)
        current = (
            ride.planned_pickup_at,
            ride.planned_dropoff_at,
            ride.pickup_order,
            ride.dropoff_order,
        )
        if planned != current:
            (
                ride.planned_pickup_at,
                ride.planned_dropoff_at,
                ride.pickup_order,
                ride.dropoff_order,
            ) = planned
            retimed.append(ride)
    if retimed:
        Ride.objects.bulk_update(
            retimed, ["planned_pickup_at", "planned_dropoff_at", "pickup_order", "dropoff_order"]
        )
    pickup_order, pickup_s = positions[(NEW_REQUEST_KEY, "pickup")]
    dropoff_order, dropoff_s = positions[(NEW_REQUEST_KEY, "dropoff")]
    if request.pickup is None or request.dropoff is None:  # pragma: no cover - typed away
        raise ValueError("a hold needs both points")
    ride = Ride.objects.create(
        service=service,
        vehicle=shift.vehicle,
        seats=request.seats,
        pickup_lat=request.pickup.lat,
        pickup_lon=request.pickup.lon,
        dropoff_lat=request.dropoff.lat,
        dropoff_lon=request.dropoff.lon,
        pickup_earliest=from_epoch_s(request.pickup_earliest_s),
        pickup_latest=from_epoch_s(request.pickup_latest_s),
        dropoff_latest=(
            None if request.dropoff_latest_s is None else from_epoch_s(request.dropoff_latest_s)
        ),
        planned_pickup_at=from_epoch_s(pickup_s),
        planned_dropoff_at=from_epoch_s(dropoff_s),
        pickup_order=pickup_order,
        dropoff_order=dropoff_order,
        state=RideState.HELD,
        expires_at=now + dt.timedelta(seconds=hold_s),
        reference=reference,
    )
    logger.info(
        "on-demand ride held",
        extra={
            "operator": service.operator.slug,
            "service": service.pk,
            "vehicle": shift.vehicle.pk,
            "ride": ride.pk,
            "seats": ride.seats,
            "retimed": len(retimed),
        },
    )
    return ride


def _locked(ride: Ride) -> Ride:
    return Ride.objects.select_for_update().get(pk=ride.pk)


def ride_confirm(*, ride: Ride, now: dt.datetime | None = None) -> Ride:
    """HELD -> CONFIRMED (idempotent on a confirmed ride). A hold past its expires_at is
    marked EXPIRED and refused: its seats may already belong to someone else."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ride)
        if locked.state == RideState.CONFIRMED:
            return locked
        if locked.state != RideState.HELD:
            raise RideStateError(f"a {locked.state} ride cannot be confirmed", state=locked.state)
        expires_at = locked.expires_at
        if expires_at is None or expires_at > now:
            locked.state = RideState.CONFIRMED
            locked.expires_at = None
            locked.save(update_fields=["state", "expires_at", "updated_at"])
            return locked
        # committed before the refusal below (the sweep would do the same)
        locked.state = RideState.EXPIRED
        locked.save(update_fields=["state", "updated_at"])
    raise RideStateError(f"the hold expired at {expires_at.isoformat()}", state=locked.state)


@transaction.atomic
def ride_release(*, ride: Ride) -> Ride:
    """HELD -> RELEASED: the seats are free at once. Releasing a released or expired ride
    changes nothing (compensation after a failed booking may run twice)."""
    locked = _locked(ride)
    if locked.state in (RideState.RELEASED, RideState.EXPIRED):
        return locked
    if locked.state != RideState.HELD:
        raise RideStateError(
            f"a {locked.state} ride cannot be released (cancel a confirmed one)",
            state=locked.state,
        )
    locked.state = RideState.RELEASED
    locked.expires_at = None
    locked.save(update_fields=["state", "expires_at", "updated_at"])
    return locked


@transaction.atomic
def ride_cancel(*, ride: Ride) -> Ride:
    """CONFIRMED (or HELD) -> CANCELLED: the seats are free at once. Idempotent."""
    locked = _locked(ride)
    if locked.state == RideState.CANCELLED:
        return locked
    if locked.state not in (RideState.HELD, RideState.CONFIRMED):
        raise RideStateError(f"a {locked.state} ride cannot be cancelled", state=locked.state)
    locked.state = RideState.CANCELLED
    locked.expires_at = None
    locked.save(update_fields=["state", "expires_at", "updated_at"])
    return locked


def rides_expire(*, now: dt.datetime | None = None) -> int:
    """Mark every HELD ride past its expires_at EXPIRED; returns how many. One UPDATE: a
    ride confirmed meanwhile is no longer HELD and is left alone."""
    now = now or timezone.now()
    count = Ride.objects.filter(state=RideState.HELD, expires_at__lte=now).update(
        state=RideState.EXPIRED, updated_at=now
    )
    if count:
        logger.info("on-demand holds expired", extra={"count": count})
    return count
