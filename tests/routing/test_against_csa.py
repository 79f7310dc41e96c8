"""RAPTOR against an independent, deliberately simple Connection Scan Algorithm on real feeds.

The reference below reads `FeedTables` itself (its own calendar logic, its own footpaths) and
scans one service day's connections (plus the previous day's trips running past midnight) in
plain Python. With ``max_walk_m=0`` RAPTOR's earliest arrival must equal it exactly; with
walking on it must never be later. Every transit leg returned must be in the published
timetable.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from routing.gtfs_zip import read_gtfs_zip
from routing.itinerary import Itinerary
from routing.search import SearchOptions, StopAccess, plan
from routing.tables import FeedTables
from routing.timetable import Timetable, compile_timetable
from tests.conftest import SHARED_DATA

INF = math.inf
QUERIES_PER_FEED = 200
WALK_SPEED_MPS = 1.2
DETOUR = 1.3

FEEDS = {
    # feed_id: (path under shared data, a weekday with service)
    "hart": ("gtfs-benchmark/hart_tampa_2021.zip", dt.date(2021, 3, 2)),
    "milano": ("gtfs-benchmark/milano_atm_small_2014.zip", dt.date(2014, 10, 21)),
    "wmata": ("gtfs-benchmark/wmata_metrorail_2026.zip", dt.date(2026, 5, 5)),
    "yamanashi": ("gtfs-jp/yamanashi_gtfs.zip", dt.date(2017, 6, 6)),
    "gunmachuo": ("gtfs-jp/gunmachuo_gtfs-jp.zip", dt.date(2025, 6, 3)),
}

pytestmark = pytest.mark.shared_data


# ----------------------------------------------------------------- the reference


def _runs_on(feed: FeedTables, service_id: str, day: dt.date) -> bool:
    ymd = int(day.strftime("%Y%m%d"))
    exceptions = feed.calendar_dates[
        (feed.calendar_dates.service_id == service_id) & (feed.calendar_dates.date == ymd)
    ]
    if len(exceptions):
        return int(exceptions.exception_type.iloc[-1]) == 1
    rows = feed.calendar[feed.calendar.service_id == service_id]
    weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][
        day.weekday()
    ]
    return any(
        r.start_date <= ymd <= r.end_date and getattr(r, weekday) == 1 for r in rows.itertuples()
    )


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(a, 1.0)))


@dataclass
class Reference:
    """Connections of one service day, sorted by departure, and station footpaths."""

    feed: FeedTables
    day: dt.date
    dep: list[int]
    arr: list[int]
    frm: list[str]
    to: list[str]
    trip: list[int]
    pickup: list[bool]
    dropoff: list[bool]
    footpaths: dict[str, list[tuple[str, int]]]
    change_s: dict[str, int]
    runs: dict[str, set[dt.date]]
    timetable: dict[str, list[tuple[int, str, int, int]]]
    memo: dict[tuple[str, str, int], float] = field(default_factory=dict)

    @classmethod
    def build(cls, feed: FeedTables, day: dt.date) -> Reference:
        runs: dict[str, set[dt.date]] = {}
        service_days: dict[str, list[dt.date]] = {}
        for service_id in set(feed.trips.service_id):
            service_days[service_id] = [
                d for d in (day - dt.timedelta(days=1), day) if _runs_on(feed, service_id, d)
            ]
        for row in feed.trips.itertuples():
            runs[row.trip_id] = set(service_days[row.service_id])
        timetable: dict[str, list[tuple[int, str, int, int]]] = {}
        rows: list[tuple[int, int, int, str, str, bool, bool]] = []
        st = feed.stop_times.sort_values(["trip_id", "stop_sequence"])
        known_stops = set(feed.stops.stop_id)
        trip_numbers: dict[tuple[str, dt.date], int] = {}
        prev = None
        for r in st.itertuples():
            if r.stop_id not in known_stops:
                continue
            timetable.setdefault(r.trip_id, []).append(
                (r.stop_sequence, r.stop_id, r.arrival_s, r.departure_s)
            )
            if prev is not None and prev.trip_id == r.trip_id:
                for d in runs.get(r.trip_id, ()):
                    shift = (d - day).days * 86_400
                    number = trip_numbers.setdefault((r.trip_id, d), len(trip_numbers))
                    rows.append(
                        (
                            prev.departure_s + shift,
                            r.arrival_s + shift,
                            number,
                            prev.stop_id,
                            r.stop_id,
                            prev.pickup_type != 1,
                            r.drop_off_type != 1,
                        )
                    )
            prev = r
        rows.sort(key=lambda c: (c[0], c[1]))
        stops = {r.stop_id: r for r in feed.stops.itertuples()}
        footpaths: dict[str, list[tuple[str, int]]] = {}
        by_parent: dict[str, list[str]] = {}
        for r in stops.values():
            if r.parent_station and r.location_type == 0:
                by_parent.setdefault(r.parent_station, []).append(r.stop_id)
        for members in by_parent.values():
            for a in members:
                for b in members:
                    if a != b:
                        dist_m = _distance_m(
                            stops[a].stop_lat,
                            stops[a].stop_lon,
                            stops[b].stop_lat,
                            stops[b].stop_lon,
                        )
                        footpaths.setdefault(a, []).append(
                            (b, math.ceil(dist_m * DETOUR / WALK_SPEED_MPS))
                        )
        change_s: dict[str, int] = {}
        for r in feed.transfers.itertuples():
            if r.from_stop_id == r.to_stop_id:
                change_s[r.from_stop_id] = (
                    -1 if r.transfer_type == 3 else max(r.min_transfer_time, 0)
                )
        return cls(
            feed=feed,
            day=day,
            dep=[c[0] for c in rows],
            arr=[c[1] for c in rows],
            trip=[c[2] for c in rows],
            frm=[c[3] for c in rows],
            to=[c[4] for c in rows],
            pickup=[c[5] for c in rows],
            dropoff=[c[6] for c in rows],
            footpaths=footpaths,
            change_s=change_s,
            runs=runs,
            timetable=timetable,
        )

    def earliest_arrival(self, origin: str, target: str, depart_s: int) -> float:
        """Earliest arrival at `target` leaving `origin` at `depart_s` (INF if none)."""
        key = (origin, target, depart_s)
        if key not in self.memo:
            self.memo[key] = self._scan(origin, target, depart_s)
        return self.memo[key]

    def _scan(self, origin: str, target: str, depart_s: int) -> float:
        ready: dict[str, float] = {origin: depart_s}
        for u, d in self.footpaths.get(origin, ()):
            ready[u] = min(ready.get(u, INF), depart_s + d)
        best = ready.get(target, INF)
        on_trip: set[int] = set()
        dep, arr, frm, to = self.dep, self.arr, self.frm, self.to
        trip, pickup, dropoff = self.trip, self.pickup, self.dropoff
        i = bisect.bisect_left(dep, depart_s)
        n = len(dep)
        while i < n and dep[i] < best:
            # a group of equal departures is scanned until nothing changes, so chains of
            # zero-minute connections are handled in any order
            j = i
            while j < n and dep[j] == dep[i]:
                j += 1
            changed = True
            while changed:
                changed = False
                for c in range(i, j):
                    t = trip[c]
                    if t not in on_trip:
                        if not (pickup[c] and ready.get(frm[c], INF) <= dep[c]):
                            continue
                        on_trip.add(t)
                        changed = True
                    if not dropoff[c]:
                        continue
                    a = arr[c]
                    s = to[c]
                    if a >= best:
                        continue
                    change = self.change_s.get(s, 0)
                    if change >= 0 and a + change < ready.get(s, INF):
                        ready[s] = a + change
                        changed = True
                    if s == target:
                        best = a
                    for u, d in self.footpaths.get(s, ()):
                        if a + d < ready.get(u, INF):
                            ready[u] = a + d
                            changed = True
                            if u == target:
                                best = min(best, a + d)
            i = j
        return best

    def leg_problems(self, itinerary: Itinerary) -> list[str]:
        """Transit legs that are not in the published timetable (empty when all are)."""
        problems = []
        prefix = self.feed.feed_id + ":"
        for leg in itinerary.transit_legs:
            assert leg.trip_id is not None
            assert leg.service_date is not None
            trip_id = leg.trip_id.removeprefix(prefix)
            shift = (leg.service_date - self.day).days * 86_400
            if leg.service_date not in self.runs.get(trip_id, set()):
                problems.append(f"{trip_id} does not run on {leg.service_date}")
                continue
            board = leg.from_place.stop_id
            alight = leg.to_place.stop_id
            rows = self.timetable[trip_id]
            boards = [
                r[0] for r in rows if prefix + r[1] == board and r[3] + shift == leg.departure_s
            ]
            alights = [
                r[0] for r in rows if prefix + r[1] == alight and r[2] + shift == leg.arrival_s
            ]
            if not boards or not alights or min(boards) >= max(alights):
                problems.append(f"{trip_id}: {board}->{alight} not as published")
        return problems


# ----------------------------------------------------------------- fixtures


@dataclass
class Case:
    feed_id: str
    tt: Timetable
    ref: Reference
    served: list[str]


@pytest.fixture(scope="module", params=sorted(FEEDS))
def case(request: pytest.FixtureRequest) -> Case:
    feed_id = request.param
    rel, day = FEEDS[feed_id]
    path = Path(SHARED_DATA) / rel
    feed = read_gtfs_zip(path, feed_id)
    tt = compile_timetable([feed], [day])
    ref = Reference.build(feed, day)
    served = sorted(set(ref.frm) | set(ref.to))
    return Case(feed_id, tt, ref, served)


def _queries(case: Case) -> list[tuple[str, str, int]]:
    rng = random.Random(f"raptor-vs-csa-{case.feed_id}")
    out: list[tuple[str, str, int]] = []
    while len(out) < QUERIES_PER_FEED:
        a, b = rng.sample(case.served, 2)
        out.append((a, b, rng.randrange(5 * 3600, 21 * 3600)))
    return out


def _ids(case: Case, stop_id: str) -> list[StopAccess]:
    return [StopAccess(case.tt.stop_index_get(f"{case.feed_id}:{stop_id}"))]


# ----------------------------------------------------------------- tests


def test_earliest_arrival_equals_csa_without_walking(case: Case) -> None:
    # given
    options = SearchOptions(max_transfers=10, max_walk_m=0, with_geometry=False)
    mismatches = []
    bad_legs = []
    # when
    for origin, target, depart_s in _queries(case):
        expected = case.ref.earliest_arrival(origin, target, depart_s)
        result = plan(case.tt, _ids(case, origin), _ids(case, target), depart_s, options)
        got = min((it.arrival_s for it in result.itineraries), default=INF)
        if got != expected:
            mismatches.append((origin, target, depart_s, expected, got, result.reason))
        for it in result.itineraries:
            bad_legs += case.ref.leg_problems(it)
            if it.departure_s < depart_s:
                bad_legs.append(f"{origin}->{target} leaves before {depart_s}")
    # then
    assert mismatches == []
    assert bad_legs == []


def test_walking_never_arrives_later_than_csa(case: Case) -> None:
    # given
    options = SearchOptions(max_transfers=10, max_walk_m=1000, with_geometry=False)
    later = []
    bad_legs = []
    # when
    for origin, target, depart_s in _queries(case):
        expected = case.ref.earliest_arrival(origin, target, depart_s)
        result = plan(case.tt, _ids(case, origin), _ids(case, target), depart_s, options)
        got = min((it.arrival_s for it in result.itineraries), default=INF)
        if got > expected:
            later.append((origin, target, depart_s, expected, got))
        for it in result.itineraries:
            bad_legs += case.ref.leg_problems(it)
    # then
    assert later == []
    assert bad_legs == []


def test_arrive_by_at_the_earliest_arrival_gives_a_consistent_latest_departure(
    case: Case,
) -> None:
    # given: the latest departure LD arriving by EA is >= the query time, and leaving at LD
    # arrives exactly at EA again
    options = SearchOptions(max_transfers=10, max_walk_m=0, with_geometry=False)
    problems: list[object] = []
    # when
    for origin, target, depart_s in _queries(case)[:60]:
        expected = case.ref.earliest_arrival(origin, target, depart_s)
        if expected == INF:
            continue
        back = plan(
            case.tt, _ids(case, origin), _ids(case, target), int(expected), options, arrive_by=True
        )
        latest = max(it.departure_s for it in back.itineraries)
        again = plan(case.tt, _ids(case, origin), _ids(case, target), latest, options)
        arrival = min(it.arrival_s for it in again.itineraries)
        if (
            latest < depart_s
            or arrival != expected
            or any(it.arrival_s > expected for it in back.itineraries)
        ):
            problems.append((origin, target, depart_s, expected, latest, arrival))
        for it in back.itineraries:
            problems += case.ref.leg_problems(it)
    # then
    assert problems == []
