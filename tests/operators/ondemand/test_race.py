"""Real parallel holds on PostgreSQL: N threads, each with its own database connection,
race for the last seats through a barrier. Exactly as many win as there are seats; the
others get NoCapacity; the vehicle is never over capacity."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from operators.ondemand.dispatch import schedule_violations
from operators.ondemand.models import OnDemandService, Ride, RideState, Vehicle
from operators.ondemand.selectors import shift_schedules_build, travel_model_of
from operators.ondemand.services import NoCapacity, ride_hold
from tests.operators.ondemand.conftest import ZONE, A, B, MakeVehicle, at

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL row locks (DATABASE_URL=postgres://...); SQLite serialises "
        "all writers, so a race there proves nothing",
    ),
]


def race(threads: int, hour: int = 9) -> list[tuple[str, Any]]:
    """`threads` holds of one seat each (pickup hour:00-hour:01), released at the same
    instant."""
    barrier = threading.Barrier(threads)
    results: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            ride = ride_hold(
                operator_slug="alpha-bus",
                zone_id=ZONE,
                pickup=A,
                dropoff=B,
                pickup_earliest=at(hour),
                pickup_latest=at(hour, 1),
                reference=f"race-{hour}-{n}",
            )
            outcome: tuple[str, Any] = ("held", ride.pk)
        except NoCapacity:
            outcome = ("no_capacity", n)
        except Exception as exc:  # reported, never swallowed
            outcome = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    return results


def assert_never_over_capacity(service: OnDemandService, vehicle: Vehicle) -> None:
    from django.utils import timezone

    schedules = shift_schedules_build(
        service=service,
        vehicles=[vehicle],
        window_start=at(8),
        window_end=at(12),
        now=timezone.now(),
    )
    assert len(schedules) == 1
    assert schedule_violations(schedules[0].schedule, travel_model_of(service)) == []


def test_two_simultaneous_requests_for_the_last_seat_exactly_one_wins(
    service: OnDemandService, make_vehicle: MakeVehicle
) -> None:
    # given: a two-seat car; four rounds, each with one seat already held at hh:00-hh:01
    car = make_vehicle(seats=2)
    for hour in (8, 9, 10, 11):
        ride_hold(
            operator_slug="alpha-bus",
            zone_id=ZONE,
            pickup=A,
            dropoff=B,
            pickup_earliest=at(hour),
            pickup_latest=at(hour, 1),
        )
        # when: two requests for the last seat at the same instant
        results = race(2, hour)
        # then
        outcomes = sorted(kind for kind, _ in results)
        assert outcomes == ["held", "no_capacity"], results
        held = Ride.objects.filter(vehicle=car, state=RideState.HELD, pickup_earliest=at(hour))
        assert sum(r.seats for r in held) == 2
    assert Ride.objects.filter(vehicle=car, state=RideState.HELD).count() == 8
    assert_never_over_capacity(service, car)


def test_eight_simultaneous_requests_for_three_seats_exactly_three_win(
    service: OnDemandService, make_vehicle: MakeVehicle
) -> None:
    # given: an empty three-seat car
    car = make_vehicle(seats=3)
    # when
    results = race(8)
    # then
    held = [value for kind, value in results if kind == "held"]
    refused = [value for kind, value in results if kind == "no_capacity"]
    assert len(held) == 3, results
    assert len(refused) == 5, results
    assert Ride.objects.filter(vehicle=car, state=RideState.HELD).count() == 3
    assert_never_over_capacity(service, car)
