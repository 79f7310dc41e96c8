"""The insertion dispatcher of on-demand services: pure Python, no Django.

A vehicle's work in one shift is a `VehicleSchedule`: an ordered list of stops (a pickup
and a drop-off per accepted request). A new request is inserted at the cheapest position
(pickup before drop-off) over all candidate schedules such that, in the resulting schedule,

- every pickup (the new one and every already-accepted one) happens inside its window
  [pickup_earliest_s, pickup_latest_s];
- every drop-off happens no later than the request's `dropoff_latest_s` (when given), and
  the ride (from leaving the pickup, after the dwell, to reaching the drop-off) lasts at
  most the maximum ride time (direct drive time x factor + buffer);
- the seats on board never exceed the vehicle's capacity at any point;
- every stop is served inside the shift [start_s, end_s] (the last departure included).

Times are integer seconds (the caller chooses the epoch). A schedule is timed "as soon as
possible": the vehicle leaves each stop after its dwell and waits at a pickup that it
reaches before the window opens. Checking feasibility on that timing is *sound* (an
accepted schedule is always feasible) but not complete: a plan that would only work by
deliberately delaying a pickup (to shorten someone's ride) is not found. That keeps the
check linear and predictable; the cost of an insertion is the extra driving time.

Travel time between two points is the great-circle distance x detour factor / road speed,
rounded up to whole seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from operators.nearby import distance_m as nearby_distance_m

StopKind = Literal["pickup", "dropoff"]


@dataclass(frozen=True)
class LatLon:
    lat: float
    lon: float


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres."""
    return nearby_distance_m(a.lat, a.lon, b.lat, b.lon)


@dataclass(frozen=True)
class TravelModel:
    """How long driving and serving a stop take, and how long a ride may last."""

    speed_mps: float = 8.0
    detour_factor: float = 1.3
    # boarding or alighting time spent at every stop
    dwell_s: int = 60
    # maximum ride time = ceil(direct drive time x max_ride_factor) + max_ride_buffer_s
    max_ride_factor: float = 2.0
    max_ride_buffer_s: int = 600

    def __post_init__(self) -> None:
        if self.speed_mps <= 0 or self.detour_factor < 1 or self.max_ride_factor < 1:
            raise ValueError("speed must be > 0, detour and max-ride factors >= 1")
        if self.dwell_s < 0 or self.max_ride_buffer_s < 0:
            raise ValueError("dwell and buffer must be >= 0")

    def travel_s(self, a: LatLon | None, b: LatLon | None) -> int:
        """Driving seconds from a to b (0 when either end is unknown)."""
        if a is None or b is None or a == b:
            return 0
        return math.ceil(distance_m(a, b) * self.detour_factor / self.speed_mps)

    def max_ride_s(self, pickup: LatLon | None, dropoff: LatLon | None) -> int:
        return (
            math.ceil(self.travel_s(pickup, dropoff) * self.max_ride_factor)
            + self.max_ride_buffer_s
        )


@dataclass(frozen=True)
class RideRequest:
    """One request: `key` identifies it (a ride id, or any unique string). A point given
    as None is "somewhere unknown": driving to or from it counts as 0 s (a pure capacity
    check, used when a planner asks without coordinates and the zone has no centre)."""

    key: str
    pickup: LatLon | None
    dropoff: LatLon | None
    pickup_earliest_s: int
    pickup_latest_s: int
    dropoff_latest_s: int | None = None
    seats: int = 1

    def __post_init__(self) -> None:
        if self.seats < 1:
            raise ValueError("seats must be >= 1")
        if self.pickup_latest_s < self.pickup_earliest_s:
            raise ValueError("pickup window ends before it starts")


@dataclass(frozen=True)
class Stop:
    request: RideRequest
    kind: StopKind

    @property
    def point(self) -> LatLon | None:
        return self.request.pickup if self.kind == "pickup" else self.request.dropoff


@dataclass(frozen=True)
class VehicleSchedule:
    """A vehicle's stops within one shift [start_s, end_s].

    `start_point` is where the vehicle is at `start_s` (its depot); None means it can start
    from its first stop. The first `locked` stops are in the past or committed: nothing
    is inserted before them.
    """

    key: str
    capacity: int
    start_s: int
    end_s: int
    stops: tuple[Stop, ...] = ()
    start_point: LatLon | None = None
    locked: int = 0


@dataclass(frozen=True)
class Insertion:
    """The chosen position of a request in one schedule, with the new timed schedule."""

    schedule_key: str
    pickup_index: int
    dropoff_index: int
    cost_s: int
    stops: tuple[Stop, ...]
    times_s: tuple[int, ...]

    def time_of(self, key: str, kind: StopKind) -> int:
        for stop, time_s in zip(self.stops, self.times_s, strict=True):
            if stop.request.key == key and stop.kind == kind:
                return time_s
        raise KeyError((key, kind))


@dataclass
class _Timing:
    times_s: list[int] = field(default_factory=list)
    driving_s: int = 0


def schedule_times(
    schedule: VehicleSchedule, model: TravelModel, stops: Sequence[Stop] | None = None
) -> _Timing | None:
    """The as-soon-as-possible times of `stops` (default: the schedule's own) run by the
    schedule's vehicle, or None when any rule of the module docstring is broken."""
    stops = schedule.stops if stops is None else stops
    timing = _Timing()
    here = schedule.start_point
    clock = schedule.start_s
    load = 0
    pickup_at: dict[str, int] = {}
    max_ride: dict[str, int] = {}
    for stop in stops:
        request = stop.request
        point = stop.point
        leg = model.travel_s(here, point)
        timing.driving_s += leg
        arrive = clock + leg
        if stop.kind == "pickup":
            begin = max(arrive, request.pickup_earliest_s)
            if begin > request.pickup_latest_s:
                return None
            load += request.seats
            if load > schedule.capacity:
                return None
            pickup_at[request.key] = begin
            max_ride[request.key] = model.max_ride_s(request.pickup, request.dropoff)
        else:
            begin = arrive
            picked = pickup_at.get(request.key)
            if picked is None:
                return None  # drop-off before (or without) its pickup
            if begin - picked - model.dwell_s > max_ride[request.key]:
                return None
            if request.dropoff_latest_s is not None and begin > request.dropoff_latest_s:
                return None
            load -= request.seats
        clock = begin + model.dwell_s
        if clock > schedule.end_s:
            return None
        timing.times_s.append(begin)
        here = point
    if len(pickup_at) * 2 != len(stops):
        return None  # a pickup without its drop-off
    return timing


def insertion_best(
    schedules: Iterable[VehicleSchedule], request: RideRequest, model: TravelModel
) -> Insertion | None:
    """The cheapest feasible insertion of `request` over `schedules`, or None when no
    schedule can take it. Cost = extra driving seconds; ties go to the earlier drop-off,
    then to the schedule given first, then to the earlier position. A schedule that is
    already infeasible on its own (e.g. its shift was shortened) takes nothing.

    For each pickup position the schedule is walked forward once; a drop-off position is
    tried at every step, and the rest of the schedule is re-timed only until its times
    meet the old ones again (from there on nothing changed). A step that breaks a rule
    (a window, the capacity with the new rider on board) ends the walk: every later
    drop-off position would carry the same break.
    """
    best: tuple[tuple[int, int, int, int, int], VehicleSchedule, list[Stop]] | None = None
    for order, schedule in enumerate(schedules):
        if request.seats > schedule.capacity:
            continue
        if request.pickup_latest_s < schedule.start_s or request.pickup_earliest_s > schedule.end_s:
            continue
        found = _schedule_best(schedule, request, model)
        if found is None:
            continue
        cost, dropoff_s, i, j = found
        rank = (cost, dropoff_s, order, i, j)
        if best is None or rank < best[0]:
            stops = list(schedule.stops)
            candidate = [
                *stops[:i],
                Stop(request, "pickup"),
                *stops[i:j],
                Stop(request, "dropoff"),
                *stops[j:],
            ]
            best = (rank, schedule, candidate)
    if best is None:
        return None
    (cost, _, _, i, j), schedule, candidate = best
    timing = schedule_times(schedule, model, candidate)
    if timing is None:  # pragma: no cover - the search and the check disagree: a bug
        raise AssertionError("insertion search accepted an infeasible schedule")
    return Insertion(
        schedule_key=schedule.key,
        pickup_index=i,
        dropoff_index=j + 1,
        cost_s=cost,
        stops=tuple(candidate),
        times_s=tuple(timing.times_s),
    )


def _schedule_best(
    schedule: VehicleSchedule, request: RideRequest, model: TravelModel
) -> tuple[int, int, int, int] | None:
    """(cost, drop-off time, pickup index i, drop-off index j) of the best insertion
    into one schedule: the new pickup goes before stops[i], the drop-off before stops[j]
    (j >= i, in the original numbering)."""
    base = schedule_times(schedule, model)
    if base is None:
        return None
    stops = schedule.stops
    n = len(stops)
    times = base.times_s
    dwell = model.dwell_s
    travel = model.travel_s
    # the state before each position: (where, leaving at, seats on board)
    before: list[tuple[LatLon | None, int, int]] = [(schedule.start_point, schedule.start_s, 0)]
    base_pickup: dict[str, int] = {}
    max_ride: dict[str, int] = {}
    load = 0
    for stop, time_s in zip(stops, times, strict=True):
        if stop.kind == "pickup":
            load += stop.request.seats
            base_pickup[stop.request.key] = time_s
            max_ride[stop.request.key] = model.max_ride_s(stop.request.pickup, stop.request.dropoff)
        else:
            load -= stop.request.seats
        before.append((stop.point, time_s + dwell, load))
    new_max_ride = model.max_ride_s(request.pickup, request.dropoff)
    p_point, d_point = request.pickup, request.dropoff
    found: tuple[int, int, int, int] | None = None

    def stop_ok(stop: Stop, begin: int, picked: dict[str, int]) -> bool:
        r = stop.request
        if stop.kind == "pickup":
            return begin <= r.pickup_latest_s
        start = picked.get(r.key, base_pickup.get(r.key))
        if start is None or begin - start - dwell > max_ride[r.key]:
            return False
        return r.dropoff_latest_s is None or begin <= r.dropoff_latest_s

    for i in range(schedule.locked, n + 1):
        here, clock, load = before[i]
        if load + request.seats > schedule.capacity:
            continue
        t_p = max(clock + travel(here, p_point), request.pickup_earliest_s)
        if t_p > request.pickup_latest_s or t_p + dwell > schedule.end_s:
            continue
        after_i = stops[i].point if i < n else None
        pickup_cost = travel(here, p_point) + travel(p_point, after_i) - travel(here, after_i)
        # the walk: P inserted, stops[i..j-1] served, D not yet
        picked: dict[str, int] = {}
        cur_here: LatLon | None = p_point
        cur_clock = t_p + dwell
        cur_load = load + request.seats
        for j in range(i, n + 1):
            t_d = cur_clock + travel(cur_here, d_point)
            if (
                t_d - t_p - dwell <= new_max_ride
                and (request.dropoff_latest_s is None or t_d <= request.dropoff_latest_s)
                and t_d + dwell <= schedule.end_s
                and _suffix_ok(schedule, model, j, d_point, t_d + dwell, times, picked, stop_ok)
            ):
                after_j = stops[j].point if j < n else None
                if j == i:
                    cost = (
                        travel(here, p_point)
                        + travel(p_point, d_point)
                        + travel(d_point, after_i)
                        - travel(here, after_i)
                    )
                else:
                    last = stops[j - 1].point
                    cost = (
                        pickup_cost
                        + travel(last, d_point)
                        + travel(d_point, after_j)
                        - travel(last, after_j)
                    )
                candidate = (cost, t_d, i, j)
                if found is None or candidate[:2] < found[:2]:
                    found = candidate
            if j == n:
                break
            stop = stops[j]
            begin = cur_clock + travel(cur_here, stop.point)
            if stop.kind == "pickup":
                begin = max(begin, stop.request.pickup_earliest_s)
                cur_load += stop.request.seats
                picked[stop.request.key] = begin
            else:
                cur_load -= stop.request.seats
            if cur_load > schedule.capacity or not stop_ok(stop, begin, picked):
                break
            cur_clock = begin + dwell
            if cur_clock > schedule.end_s:
                break
            cur_here = stop.point
    return found


def _suffix_ok(
    schedule: VehicleSchedule,
    model: TravelModel,
    j: int,
    here: LatLon | None,
    clock: int,
    times: list[int],
    picked: dict[str, int],
    stop_ok: Callable[[Stop, int, dict[str, int]], bool],
) -> bool:
    """Whether stops[j:] can still be served leaving `here` at `clock` (the seats on
    board are as before: the new rider is off). Stops only move later (driving times obey
    the triangle inequality); once a stop keeps its old time, the rest is the old,
    feasible schedule."""
    overlay: dict[str, int] | None = None
    for k in range(j, len(schedule.stops)):
        stop = schedule.stops[k]
        begin = clock + model.travel_s(here, stop.point)
        if stop.kind == "pickup":
            begin = max(begin, stop.request.pickup_earliest_s)
        if begin == times[k]:
            return True
        if stop.kind == "pickup":
            if overlay is None:
                overlay = dict(picked)
            overlay[stop.request.key] = begin
        if not stop_ok(stop, begin, picked if overlay is None else overlay):
            return False
        clock = begin + model.dwell_s
        if clock > schedule.end_s:
            return False
        here = stop.point
    return True


def schedule_violations(schedule: VehicleSchedule, model: TravelModel) -> list[str]:
    """Every broken rule of a schedule, in words (empty when the schedule is feasible).
    Independent of `schedule_times` so tests and operators can audit a schedule."""
    problems: list[str] = []
    seen: dict[str, list[StopKind]] = {}
    for stop in schedule.stops:
        seen.setdefault(stop.request.key, []).append(stop.kind)
    for key, kinds in seen.items():
        if kinds != ["pickup", "dropoff"]:
            problems.append(f"{key}: stops {kinds}, expected one pickup then one drop-off")
    here = schedule.start_point
    clock = schedule.start_s
    load = 0
    picked: dict[str, int] = {}
    for index, stop in enumerate(schedule.stops):
        request = stop.request
        arrive = clock + model.travel_s(here, stop.point)
        if stop.kind == "pickup":
            begin = max(arrive, request.pickup_earliest_s)
            if not request.pickup_earliest_s <= begin <= request.pickup_latest_s:
                problems.append(f"{request.key}: pickup at {begin} outside its window")
            load += request.seats
            picked[request.key] = begin
        else:
            begin = arrive
            if request.key in picked:
                ride = begin - picked[request.key] - model.dwell_s
                limit = model.max_ride_s(request.pickup, request.dropoff)
                if ride > limit:
                    problems.append(f"{request.key}: ride of {ride} s exceeds {limit} s")
            if request.dropoff_latest_s is not None and begin > request.dropoff_latest_s:
                problems.append(f"{request.key}: drop-off at {begin} after its deadline")
            load -= request.seats
        if load > schedule.capacity:
            problems.append(f"stop {index}: {load} seats on board, capacity {schedule.capacity}")
        clock = begin + model.dwell_s
        if begin < schedule.start_s or clock > schedule.end_s:
            problems.append(f"stop {index}: served outside the shift")
        here = stop.point
    return problems
