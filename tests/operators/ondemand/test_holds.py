"""Seat holds and `ondemand_fits` against the database: exact planned times, the hold
lifecycle, expiry, shifts, and the cases where capacity is not managed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from maas.celery import app as celery_app
from operators.models import Operator
from operators.ondemand.models import OnDemandService, Ride, RideState
from operators.ondemand.selectors import ondemand_fits
from operators.ondemand.services import (
    NoCapacity,
    OnDemandServiceNotFound,
    RideStateError,
    ondemand_service_update,
    ride_cancel,
    ride_confirm,
    ride_hold,
    ride_release,
    rides_expire,
    vehicle_update,
)
from operators.ondemand.tasks import rides_expire_task
from tests.operators.ondemand.conftest import ZONE, A, B, MakeVehicle, at

pytestmark = pytest.mark.django_db


def hold(earliest: dt.datetime, latest: dt.datetime, seats: int = 1, **kwargs: object) -> Ride:
    return ride_hold(
        operator_slug="alpha-bus",
        zone_id=ZONE,
        pickup=A,
        dropoff=B,
        pickup_earliest=earliest,
        pickup_latest=latest,
        seats=seats,
        **kwargs,  # type: ignore[arg-type]
    )


def fits(earliest: dt.datetime, latest: dt.datetime, seats: int = 1, **kwargs: object) -> bool:
    return ondemand_fits(
        operator_slug="alpha-bus",
        zone_id=ZONE,
        pickup_earliest=earliest,
        pickup_latest=latest,
        dropoff_latest=kwargs.pop("dropoff_latest", at(12)),  # type: ignore[arg-type]
        seats=seats,
        pickup=kwargs.pop("pickup", A),  # type: ignore[arg-type]
        dropoff=kwargs.pop("dropoff", B),  # type: ignore[arg-type]
    )


def test_capacity_is_unmanaged_without_a_service(operator_a: Operator) -> None:
    # then: no OnDemandService for the zone -> every ride fits, and nothing can be held
    assert fits(at(9), at(9, 10)) is True
    with pytest.raises(OnDemandServiceNotFound):
        hold(at(9), at(9, 10))
    assert Ride.objects.count() == 0


def test_hold_assigns_exact_planned_times_and_fits_answers_before_and_after(
    make_vehicle: MakeVehicle,
) -> None:
    # given: one two-seat car, in service 08:00-12:00
    car = make_vehicle(seats=2)
    assert fits(at(9), at(9, 10), seats=2) is True
    assert fits(at(9), at(9, 10), seats=3) is False
    # when: both seats are held from A, pickup 09:00-09:02, to B
    before = timezone.now()
    ride = hold(at(9), at(9, 2), seats=2, reference="leg-1")
    # then
    assert ride.state == RideState.HELD
    assert ride.vehicle_id == car.pk
    assert ride.planned_pickup_at == at(9)
    assert ride.planned_dropoff_at == at(9, 1, 52)
    assert ride.expires_at is not None
    assert before + dt.timedelta(seconds=600) <= ride.expires_at
    assert ride.expires_at <= timezone.now() + dt.timedelta(seconds=600)
    # and: the car is full while it carries them (and they cannot wait past 09:02);
    # back at A at 09:03:44 it is free again
    assert fits(at(9), at(9, 1)) is False
    assert fits(at(9), at(9, 3, 43)) is False
    assert fits(at(9), at(9, 3, 44)) is True
    assert fits(at(9, 5), at(9, 10)) is True
    # and: a drop-off deadline that only the full car could meet is refused
    assert fits(at(9), at(9, 10), dropoff_latest=at(9, 5, 35)) is False
    assert fits(at(9), at(9, 10), dropoff_latest=at(9, 5, 36)) is True


def test_a_new_ride_may_move_an_accepted_one_inside_its_window(
    make_vehicle: MakeVehicle,
) -> None:
    # given: a one-seat car with a ride that may be picked up until 09:30
    make_vehicle(seats=1)
    first = hold(at(9), at(9, 30))
    assert (first.planned_pickup_at, first.planned_dropoff_at) == (at(9), at(9, 1, 52))
    # when: a ride that must leave by 09:02
    second = hold(at(9), at(9, 2))
    # then: it goes first and the first ride moves to 09:03:44, still inside its window
    first.refresh_from_db()
    assert (second.planned_pickup_at, second.planned_dropoff_at) == (at(9), at(9, 1, 52))
    assert (first.planned_pickup_at, first.planned_dropoff_at) == (
        at(9, 3, 44),
        at(9, 5, 36),
    )
    assert (second.pickup_order, second.dropoff_order, first.pickup_order, first.dropoff_order) == (
        0,
        1,
        2,
        3,
    )
    # and: a third ride that would push the first one past 09:30 is refused
    with pytest.raises(NoCapacity):
        hold(at(9), at(9, 2))
    assert Ride.objects.count() == 2


def test_rides_go_to_the_vehicle_that_drives_least(make_vehicle: MakeVehicle) -> None:
    # given: car-1 starts at B (112 s away), car-2 at A
    make_vehicle(seats=1, label="car-1", depot_lat=B[0], depot_lon=B[1])
    near = make_vehicle(seats=1, label="car-2", depot_lat=A[0], depot_lon=A[1])
    # when
    ride = hold(at(9), at(9, 10))
    # then
    assert ride.vehicle_id == near.pk


def test_the_same_reference_returns_the_first_ride(make_vehicle: MakeVehicle) -> None:
    # given
    make_vehicle(seats=1)
    first = hold(at(9), at(9, 10), reference="booking-7/leg-1")
    # when
    again = hold(at(9), at(9, 10), reference="booking-7/leg-1")
    # then
    assert again.pk == first.pk
    assert Ride.objects.count() == 1


def test_hold_lifecycle(make_vehicle: MakeVehicle) -> None:
    # given
    make_vehicle(seats=1)
    ride = hold(at(9), at(9, 1))
    # when / then: confirmed (twice is the same), then cancelled (twice is the same)
    assert ride_confirm(ride=ride).state == RideState.CONFIRMED
    assert ride_confirm(ride=ride).state == RideState.CONFIRMED
    ride.refresh_from_db()
    assert ride.expires_at is None
    assert fits(at(9), at(9, 1)) is False
    with pytest.raises(RideStateError):
        ride_release(ride=ride)
    assert ride_cancel(ride=ride).state == RideState.CANCELLED
    assert ride_cancel(ride=ride).state == RideState.CANCELLED
    assert fits(at(9), at(9, 1)) is True
    with pytest.raises(RideStateError):
        ride_confirm(ride=ride)
    # and: a released hold frees its seat at once and cannot be confirmed
    other = hold(at(9), at(9, 1))
    assert ride_release(ride=other).state == RideState.RELEASED
    assert ride_release(ride=other).state == RideState.RELEASED
    assert fits(at(9), at(9, 1)) is True
    with pytest.raises(RideStateError):
        ride_confirm(ride=other)


def test_an_expired_hold_frees_its_seats_before_and_after_the_sweep(
    make_vehicle: MakeVehicle,
) -> None:
    # given: a hold made an hour ago for 60 s
    make_vehicle(seats=1)
    stale = hold(at(9), at(9, 10), now=timezone.now() - dt.timedelta(hours=1), hold_s=60)
    fresh_car_ride = None
    # then: it no longer occupies the seat, even before the sweep
    assert fits(at(9), at(9, 1)) is True
    # when: the sweep runs (as the beat task)
    assert rides_expire_task.apply().get() == 1
    # then
    stale.refresh_from_db()
    assert stale.state == RideState.EXPIRED
    assert rides_expire() == 0
    with pytest.raises(RideStateError):
        ride_confirm(ride=stale)
    # and: the seat can be held again
    fresh_car_ride = hold(at(9), at(9, 10))
    assert fresh_car_ride.planned_pickup_at == at(9)


def test_confirming_a_hold_past_expiry_marks_it_expired(make_vehicle: MakeVehicle) -> None:
    # given
    make_vehicle(seats=1)
    ride = hold(at(9), at(9, 10), hold_s=60)
    # when
    with pytest.raises(RideStateError) as refused:
        ride_confirm(ride=ride, now=timezone.now() + dt.timedelta(seconds=61))
    # then
    assert refused.value.state == RideState.EXPIRED
    ride.refresh_from_db()
    assert ride.state == RideState.EXPIRED


def test_beat_schedule_runs_the_expiry_sweep() -> None:
    # then
    entry = celery_app.conf.beat_schedule["ondemand-rides-expire"]
    assert entry["task"] == "ondemand.rides_expire"
    assert entry["schedule"] == 30.0
    assert "ondemand.rides_expire" in celery_app.tasks


def test_inactive_service_or_vehicle_takes_no_rides(
    service: OnDemandService, make_vehicle: MakeVehicle
) -> None:
    # given
    car = make_vehicle(seats=4)
    vehicle_update(vehicle=car, data={"active": False})
    # then
    assert fits(at(9), at(9, 10)) is False
    with pytest.raises(NoCapacity):
        hold(at(9), at(9, 10))
    # when: the car is back but the service is switched off
    vehicle_update(vehicle=car, data={"active": True})
    ondemand_service_update(service=service, data={"active": False})
    # then
    assert fits(at(9), at(9, 10)) is False
    with pytest.raises(NoCapacity):
        hold(at(9), at(9, 10))
    assert Ride.objects.count() == 0


def test_weekly_shifts_in_the_operator_time_zone(make_vehicle: MakeVehicle) -> None:
    # given: Mondays 08:00-10:00 Asia/Tokyo (= 23:00-01:00 UTC, Sunday to Monday)
    make_vehicle(seats=1, shifts=[{"days": ["monday"], "start": "08:00", "end": "10:00"}])
    jst = dt.timezone(dt.timedelta(hours=9))
    monday_9 = dt.datetime(2030, 6, 3, 9, 0, tzinfo=jst)
    # then
    assert fits(monday_9, monday_9 + dt.timedelta(minutes=5)) is True
    assert (
        fits(monday_9 + dt.timedelta(hours=2), monday_9 + dt.timedelta(hours=2, minutes=5)) is False
    )
    tuesday_9 = monday_9 + dt.timedelta(days=1)
    assert fits(tuesday_9, tuesday_9 + dt.timedelta(minutes=5)) is False
    # and: the last drop-off must be done by 10:00
    late = dt.datetime(2030, 6, 3, 9, 58, 8, tzinfo=jst)
    assert fits(late, late) is True
    assert fits(late + dt.timedelta(seconds=1), late + dt.timedelta(seconds=1)) is False


def test_fits_without_points_uses_the_zone_centre(make_vehicle: MakeVehicle) -> None:
    # given: one seat, taken 09:00-09:01:52 from A to B (pickup by 09:01 at the latest)
    make_vehicle(seats=1)
    hold(at(9), at(9, 1))
    # then: the zone's centre is (35.67, 138.57) = B; a ride there (0 s long) before the
    # held one would make its pickup 09:01:52, too late; after it, from 09:01:52 at B
    assert (
        ondemand_fits(
            operator_slug="alpha-bus",
            zone_id=ZONE,
            pickup_earliest=at(9),
            pickup_latest=at(9, 1, 51),
            dropoff_latest=at(12),
        )
        is False
    )
    assert (
        ondemand_fits(
            operator_slug="alpha-bus",
            zone_id=ZONE,
            pickup_earliest=at(9),
            pickup_latest=at(9, 1, 52),
            dropoff_latest=at(12),
        )
        is True
    )


def test_bad_hold_input_is_refused(make_vehicle: MakeVehicle, operator_a: Operator) -> None:
    make_vehicle(seats=1)
    with pytest.raises(ValueError, match="seats"):
        hold(at(9), at(9, 10), seats=0)
    with pytest.raises(ValueError, match="before"):
        hold(at(9, 10), at(9))
    with pytest.raises(ValueError, match="aware"):
        hold(dt.datetime(2030, 6, 3, 9), at(9, 10))  # noqa: DTZ001
    assert Ride.objects.count() == 0
