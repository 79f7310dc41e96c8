"""The insertion dispatcher, without Django: exact small cases, and seeded random request
streams whose every insertion is checked against an independent simulation (windows
kept, capacity never exceeded, times consistent) and against brute force (cheapest)."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest

from operators.ondemand.dispatch import (
    LatLon,
    RideRequest,
    Stop,
    TravelModel,
    VehicleSchedule,
    distance_m,
    insertion_best,
    schedule_times,
    schedule_violations,
)

A = LatLon(0.0, 0.0)
B = LatLon(0.01, 0.0)  # 1111.95 m north of A: 112 s at 10 m/s
E = LatLon(0.005, 0.005)  # 786.3 m from A and from B: 79 s
SIMPLE = TravelModel(
    speed_mps=10.0, detour_factor=1.0, dwell_s=0, max_ride_factor=1.0, max_ride_buffer_s=600
)


def request(
    key: str,
    pickup: LatLon,
    dropoff: LatLon,
    earliest: int,
    latest: int,
    seats: int = 1,
    dropoff_latest: int | None = None,
) -> RideRequest:
    return RideRequest(key, pickup, dropoff, earliest, latest, dropoff_latest, seats)


def kinds(stops: tuple[Stop, ...]) -> list[str]:
    return [f"{s.kind[0].upper()}{s.request.key}" for s in stops]


# ------------------------------------------------------------------ exact small cases
def test_travel_time_is_straight_line_times_detour_over_speed_rounded_up() -> None:
    # then
    assert round(distance_m(A, B), 2) == 1111.95
    assert SIMPLE.travel_s(A, B) == 112
    assert TravelModel(speed_mps=10.0, detour_factor=1.3).travel_s(A, B) == 145
    assert SIMPLE.travel_s(A, E) == 79
    assert SIMPLE.max_ride_s(A, B) == 112 + 600


def test_empty_vehicle_waits_for_the_window_and_drives_direct() -> None:
    # given
    schedule = VehicleSchedule("v1", capacity=1, start_s=0, end_s=3600)
    # when
    best = insertion_best([schedule], request("1", A, B, 1000, 1600), SIMPLE)
    # then
    assert best is not None
    assert kinds(best.stops) == ["P1", "D1"]
    assert best.times_s == (1000, 1112)
    assert best.cost_s == 112


def test_depot_start_counts_the_drive_to_the_first_pickup() -> None:
    # given: the vehicle starts at B at 900; the pickup at A is 112 s away
    schedule = VehicleSchedule("v1", capacity=1, start_s=900, end_s=3600, start_point=B)
    # when
    best = insertion_best([schedule], request("1", A, B, 950, 1600), SIMPLE)
    # then
    assert best is not None
    assert best.times_s == (1012, 1124)
    assert best.cost_s == 224


def test_one_seat_riders_one_after_the_other() -> None:
    # given
    first = request("1", A, B, 1000, 1600)
    schedule = VehicleSchedule(
        "v1",
        capacity=1,
        start_s=0,
        end_s=3600,
        stops=(Stop(first, "pickup"), Stop(first, "dropoff")),
    )
    # when
    best = insertion_best([schedule], request("2", A, B, 1000, 1300), SIMPLE)
    # then: both orders cost 224 s (back from B to A); the new rider's earlier drop-off
    # breaks the tie, and the first rider's pickup moves to 1224, inside [1000, 1600]
    assert best is not None
    assert kinds(best.stops) == ["P2", "D2", "P1", "D1"]
    assert best.times_s == (1000, 1112, 1224, 1336)
    assert best.cost_s == 224


def test_two_seats_share_the_ride() -> None:
    # given
    first = request("1", A, B, 1000, 1600)
    schedule = VehicleSchedule(
        "v1",
        capacity=2,
        start_s=0,
        end_s=3600,
        stops=(Stop(first, "pickup"), Stop(first, "dropoff")),
    )
    # when
    best = insertion_best([schedule], request("2", A, B, 1000, 1300), SIMPLE)
    # then: no extra driving
    assert best is not None
    assert best.cost_s == 0
    assert kinds(best.stops) == ["P2", "P1", "D2", "D1"]
    assert best.times_s == (1000, 1000, 1112, 1112)


def test_rejected_when_every_position_breaks_a_window() -> None:
    # given: the first rider must be picked up by 1100
    first = request("1", A, B, 1000, 1100)
    schedule = VehicleSchedule(
        "v1",
        capacity=1,
        start_s=0,
        end_s=3600,
        stops=(Stop(first, "pickup"), Stop(first, "dropoff")),
    )
    # when: after the first ride the second pickup is at 1224 > 1200; before it the
    # first pickup would be at 1224 > 1100
    best = insertion_best([schedule], request("2", A, B, 1000, 1200), SIMPLE)
    # then
    assert best is None


def test_maximum_ride_time_forbids_a_detour_with_the_first_rider_on_board() -> None:
    # given: max ride = direct 112 s x 1.0 + 40 s = 152 s; the detour via E takes 158 s
    model = TravelModel(
        speed_mps=10.0, detour_factor=1.0, dwell_s=0, max_ride_factor=1.0, max_ride_buffer_s=40
    )
    first = request("1", A, B, 1000, 1100)
    schedule = VehicleSchedule(
        "v1",
        capacity=4,
        start_s=0,
        end_s=3600,
        stops=(Stop(first, "pickup"), Stop(first, "dropoff")),
    )
    # when
    best = insertion_best([schedule], request("2", E, B, 1000, 2000), model)
    # then: served after the first drop-off
    assert best is not None
    assert kinds(best.stops) == ["P1", "D1", "P2", "D2"]
    assert best.times_s == (1000, 1112, 1191, 1270)
    assert best.cost_s == 158
    # and with a 10 s longer buffer the detour is allowed (and cheaper)
    relaxed = TravelModel(
        speed_mps=10.0, detour_factor=1.0, dwell_s=0, max_ride_factor=1.0, max_ride_buffer_s=50
    )
    shared = insertion_best([schedule], request("2", E, B, 1000, 2000), relaxed)
    assert shared is not None
    assert kinds(shared.stops) == ["P1", "P2", "D2", "D1"]
    assert shared.times_s == (1000, 1079, 1158, 1158)
    assert shared.cost_s == 46


def test_capacity_counts_seats_not_riders() -> None:
    # given: 2 of 3 seats taken
    first = request("1", A, B, 1000, 1100, seats=2)
    schedule = VehicleSchedule(
        "v1",
        capacity=3,
        start_s=0,
        end_s=3600,
        stops=(Stop(first, "pickup"), Stop(first, "dropoff")),
    )
    # when / then: one more seat shares the ride, two more must wait
    one = insertion_best([schedule], request("2", A, B, 1000, 1100, seats=1), SIMPLE)
    two = insertion_best([schedule], request("2", A, B, 1000, 1100, seats=2), SIMPLE)
    assert one is not None
    assert one.cost_s == 0
    assert two is None
    assert insertion_best([schedule], request("2", A, B, 1000, 1100, seats=4), SIMPLE) is None


def test_dropoff_deadline_and_shift_end() -> None:
    # given
    schedule = VehicleSchedule("v1", capacity=1, start_s=0, end_s=1111)
    # then: the drop-off at 1112 is after the shift
    assert insertion_best([schedule], request("1", A, B, 1000, 1600), SIMPLE) is None
    longer = VehicleSchedule("v1", capacity=1, start_s=0, end_s=1112)
    assert insertion_best([longer], request("1", A, B, 1000, 1600), SIMPLE) is not None
    # and a drop-off deadline of 1111 cannot be met
    assert (
        insertion_best([longer], request("1", A, B, 1000, 1600, dropoff_latest=1111), SIMPLE)
        is None
    )


def test_cheapest_vehicle_wins_and_ties_go_to_the_first() -> None:
    # given: v2's depot is at the pickup, v1's is 112 s away
    far = VehicleSchedule("v1", capacity=1, start_s=0, end_s=3600, start_point=B)
    near = VehicleSchedule("v2", capacity=1, start_s=0, end_s=3600, start_point=A)
    twin = VehicleSchedule("v3", capacity=1, start_s=0, end_s=3600, start_point=A)
    # when
    best = insertion_best([far, near, twin], request("1", A, B, 1000, 1600), SIMPLE)
    # then
    assert best is not None
    assert best.schedule_key == "v2"


def test_nothing_is_inserted_before_locked_stops() -> None:
    # given: the first ride (window 1000-1600) is already under way
    first = request("1", A, B, 1000, 1600)
    stops = (Stop(first, "pickup"), Stop(first, "dropoff"))
    free = VehicleSchedule("v1", capacity=1, start_s=0, end_s=3600, stops=stops)
    locked = VehicleSchedule("v1", capacity=1, start_s=0, end_s=3600, stops=stops, locked=1)
    second = request("2", B, A, 900, 1000)
    # when / then: unlocked, the second ride could go first; locked, it cannot
    best = insertion_best([free], second, SIMPLE)
    assert best is not None
    assert kinds(best.stops)[:2] == ["P2", "D2"]
    assert insertion_best([locked], second, SIMPLE) is None


# ------------------------------------------------------------------ random streams
def simulate(schedule: VehicleSchedule, model: TravelModel) -> list[int] | None:
    """An independent as-soon-as-possible simulation: None when any rule is broken."""
    times: list[int] = []
    position = schedule.start_point
    clock = schedule.start_s
    on_board: dict[str, tuple[int, int]] = {}
    done: set[str] = set()
    for stop in schedule.stops:
        r = stop.request
        point = r.pickup if stop.kind == "pickup" else r.dropoff
        drive = 0
        if position is not None and point is not None and position != point:
            drive = math.ceil(distance_m(position, point) * model.detour_factor / model.speed_mps)
        t = clock + drive
        if stop.kind == "pickup":
            if r.key in on_board or r.key in done:
                return None
            t = max(t, r.pickup_earliest_s)
            if t > r.pickup_latest_s:
                return None
            on_board[r.key] = (t, r.seats)
            if sum(seats for _, seats in on_board.values()) > schedule.capacity:
                return None
        else:
            if r.key not in on_board:
                return None
            picked, _ = on_board.pop(r.key)
            direct = 0
            if r.pickup is not None and r.dropoff is not None and r.pickup != r.dropoff:
                direct = math.ceil(
                    distance_m(r.pickup, r.dropoff) * model.detour_factor / model.speed_mps
                )
            if (
                t - picked - model.dwell_s
                > math.ceil(direct * model.max_ride_factor) + model.max_ride_buffer_s
            ):
                return None
            if r.dropoff_latest_s is not None and t > r.dropoff_latest_s:
                return None
            done.add(r.key)
        times.append(t)
        clock = t + model.dwell_s
        if t < schedule.start_s or clock > schedule.end_s:
            return None
        position = point
    if on_board:
        return None
    return times


def driving_s(schedule: VehicleSchedule, model: TravelModel) -> int:
    points = [schedule.start_point] + [s.point for s in schedule.stops]
    return sum(model.travel_s(a, b) for a, b in pairwise(points))


def random_point(rng: random.Random) -> LatLon:
    # a 6 km x 6 km town around Kofu
    return LatLon(35.64 + rng.uniform(0, 0.054), 138.54 + rng.uniform(0, 0.066))


def random_request(rng: random.Random, key: str, model: TravelModel) -> RideRequest:
    pickup, dropoff = random_point(rng), random_point(rng)
    earliest = rng.randrange(0, 3 * 3600)
    latest = earliest + rng.choice([0, 300, 600, 900, 1800])
    deadline = None
    if rng.random() < 0.5:
        deadline = latest + model.travel_s(pickup, dropoff) + rng.randrange(0, 1200)
    return RideRequest(
        key, pickup, dropoff, earliest, latest, deadline, rng.choice([1, 1, 1, 2, 3])
    )


@pytest.mark.parametrize("seed", range(12))
def test_random_streams_keep_every_invariant_after_every_insertion(seed: int) -> None:
    # given
    rng = random.Random(seed)
    model = TravelModel(
        speed_mps=rng.choice([6.0, 8.0, 11.0]),
        detour_factor=rng.choice([1.0, 1.3, 1.6]),
        dwell_s=rng.choice([0, 30, 60]),
        max_ride_factor=rng.choice([1.0, 1.5, 2.0]),
        max_ride_buffer_s=rng.choice([0, 300, 900]),
    )
    schedules = {
        f"v{i}": VehicleSchedule(
            f"v{i}",
            capacity=rng.choice([1, 2, 4]),
            start_s=0,
            end_s=4 * 3600,
            start_point=rng.choice([None, random_point(rng)]),
        )
        for i in range(3)
    }
    accepted: dict[str, str] = {}
    rejected = 0
    # when: 40 requests, one after the other
    for n in range(40):
        req = random_request(rng, f"r{n}", model)
        before = {k: simulate(s, model) for k, s in schedules.items()}
        best = insertion_best(list(schedules.values()), req, model)
        if best is None:
            rejected += 1
            continue
        chosen = schedules[best.schedule_key]
        new = VehicleSchedule(
            chosen.key,
            chosen.capacity,
            chosen.start_s,
            chosen.end_s,
            best.stops,
            chosen.start_point,
        )
        # then: the new schedule is feasible, its times are the simulated ones,
        # and the cost is the extra driving
        times = simulate(new, model)
        assert times is not None
        assert list(best.times_s) == times
        assert schedule_violations(new, model) == []
        assert best.cost_s == driving_s(new, model) - driving_s(chosen, model)
        # and nothing else changed: the old stops keep their order
        assert [s for s in best.stops if s.request.key != req.key] == list(chosen.stops)
        # and time never runs backwards, each gap covers the dwell and the drive
        for k in range(1, len(times)):
            gap = times[k] - times[k - 1]
            assert gap >= model.dwell_s + model.travel_s(
                best.stops[k - 1].point, best.stops[k].point
            )
        schedules[chosen.key] = new
        accepted[req.key] = chosen.key
        # every accepted request is still served exactly once, in its windows
        for other, key in accepted.items():
            served = [s.kind for s in schedules[key].stops if s.request.key == other]
            assert served == ["pickup", "dropoff"]
        for key, schedule in schedules.items():
            if key != chosen.key:
                assert simulate(schedule, model) == before[key]
    assert len(accepted) + rejected == 40
    assert accepted, "the stream should accept some requests"


def brute_force_best(
    schedules: list[VehicleSchedule], req: RideRequest, model: TravelModel
) -> int | None:
    best: int | None = None
    for schedule in schedules:
        stops = list(schedule.stops)
        for i in range(schedule.locked, len(stops) + 1):
            for j in range(i + 1, len(stops) + 2):
                candidate = list(stops)
                candidate.insert(i, Stop(req, "pickup"))
                candidate.insert(j, Stop(req, "dropoff"))
                trial = VehicleSchedule(
                    schedule.key,
                    schedule.capacity,
                    schedule.start_s,
                    schedule.end_s,
                    tuple(candidate),
                    schedule.start_point,
                )
                if simulate(trial, model) is None:
                    continue
                cost = driving_s(trial, model) - driving_s(schedule, model)
                best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_random_streams_match_brute_force(seed: int) -> None:
    # given
    rng = random.Random(1000 + seed)
    model = TravelModel(
        speed_mps=8.0, detour_factor=1.3, dwell_s=30, max_ride_factor=1.5, max_ride_buffer_s=300
    )
    schedules = [
        VehicleSchedule(f"v{i}", capacity=c, start_s=0, end_s=4 * 3600)
        for i, c in enumerate((1, 3))
    ]
    for n in range(25):
        req = random_request(rng, f"r{n}", model)
        # when
        best = insertion_best(schedules, req, model)
        # then: accepted exactly when brute force finds a place, at the same cost
        expected = brute_force_best(schedules, req, model)
        if expected is None:
            assert best is None
            continue
        assert best is not None
        assert best.cost_s == expected
        schedules = [
            VehicleSchedule(s.key, s.capacity, s.start_s, s.end_s, best.stops, s.start_point)
            if s.key == best.schedule_key
            else s
            for s in schedules
        ]


def test_schedule_times_refuses_a_broken_schedule_and_violations_name_it() -> None:
    # given: two one-seat riders on board at once
    r1, r2 = request("1", A, B, 1000, 1600), request("2", A, B, 1000, 1600)
    schedule = VehicleSchedule(
        "v1",
        capacity=1,
        start_s=0,
        end_s=3600,
        stops=(Stop(r1, "pickup"), Stop(r2, "pickup"), Stop(r1, "dropoff"), Stop(r2, "dropoff")),
    )
    # then
    assert schedule_times(schedule, SIMPLE) is None
    assert schedule_violations(schedule, SIMPLE) == ["stop 1: 2 seats on board, capacity 1"]
    # and nothing is inserted into a schedule that is already broken
    assert insertion_best([schedule], request("3", A, B, 3000, 3100), SIMPLE) is None
