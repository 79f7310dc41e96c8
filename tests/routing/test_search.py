"""RAPTOR on tiny hand-built networks: one behaviour per test, exact expected itineraries."""

from __future__ import annotations

import datetime as dt

import pytest

from routing.search import (
    REASON_NO_CONNECTION,
    REASON_OUTSIDE_HORIZON,
    SearchOptions,
    StopAccess,
    plan,
)
from routing.spatial import StopIndex
from tests.routing.networks import DAY, compile_one, feed, hms, query, summary

# Four stops 5.5 km apart on a north-south line: too far to walk between.
LINE = [("A", 35.00, 138.0), ("B", 35.05, 138.0), ("C", 35.10, 138.0), ("D", 35.15, 138.0)]


def test_waits_for_a_later_but_faster_trip() -> None:
    # given
    tt = compile_one(
        feed(
            LINE,
            [
                ("slow-1", "WK", [("A", "08:00"), ("B", "08:50"), ("C", "09:30")]),
                ("fast-1", "WK", [("A", "08:10"), ("C", "08:40")]),
            ],
        )
    )
    # when
    result = query(tt, "A", "C", "07:55")
    # then
    assert summary(result) == [("08:10:00", "08:40:00", "0", "t:fast-1:A->C")]


def test_pareto_set_on_arrival_and_transfers() -> None:
    # given: a direct slow trip, and a faster journey with one transfer at B
    tt = compile_one(
        feed(
            LINE,
            [
                ("slow-1", "WK", [("A", "08:00"), ("B", "08:30"), ("C", "09:30")]),
                ("ab-1", "WK", [("A", "08:05"), ("B", "08:20")]),
                ("bc-1", "WK", [("B", "08:25"), ("C", "08:45")]),
            ],
        )
    )
    # when
    result = query(tt, "A", "C", "07:55")
    # then
    assert summary(result) == [
        ("08:05:00", "08:45:00", "1", "t:ab-1:A->B", "t:bc-1:B->C"),
        ("08:00:00", "09:30:00", "0", "t:slow-1:A->C"),
    ]


def test_max_transfers_zero_keeps_only_direct_trips() -> None:
    # given
    tt = compile_one(
        feed(
            LINE,
            [
                ("slow-1", "WK", [("A", "08:00"), ("B", "08:30"), ("C", "09:30")]),
                ("ab-1", "WK", [("A", "08:05"), ("B", "08:20")]),
                ("bc-1", "WK", [("B", "08:25"), ("C", "08:45")]),
            ],
        )
    )
    # when
    result = query(tt, "A", "C", "07:55", max_transfers=0)
    # then
    assert summary(result) == [("08:00:00", "09:30:00", "0", "t:slow-1:A->C")]


def test_overnight_trip_of_the_previous_service_day() -> None:
    # given: the night trip runs only on the day before DAY, past midnight into DAY
    night = feed(
        LINE,
        [("night-1", "NIGHT", [("A", "23:50"), ("B", "24:10"), ("C", "24:40")])],
        calendar=(),
        calendar_dates=(("NIGHT", 20240304, 1),),
    )
    tt = compile_one(night)
    # when: leave B at 00:05 on DAY
    result = query(tt, "B", "C", "00:05")
    # then
    assert summary(result) == [("00:10:00", "00:40:00", "0", "t:night-1:B->C")]
    leg = result.itineraries[0].legs[0]
    assert leg.service_date == dt.date(2024, 3, 4)
    assert leg.departure == dt.datetime(2024, 3, 5, 0, 10, tzinfo=leg.departure.tzinfo)


def test_trip_after_midnight_on_the_same_service_day() -> None:
    # given
    tt = compile_one(
        feed(LINE, [("late-1", "WK", [("A", "23:30"), ("B", "24:15"), ("C", "25:05")])])
    )
    # when
    result = query(tt, "A", "C", "23:00")
    # then
    assert summary(result) == [("23:30:00", "25:05:00", "0", "t:late-1:A->C")]
    assert result.itineraries[0].arrival.date() == dt.date(2024, 3, 6)


def test_calendar_dates_removal_leaves_no_trip_that_day() -> None:
    # given: weekday service removed on DAY
    f = feed(
        LINE,
        [("ab-1", "WK", [("A", "08:00"), ("B", "08:20")])],
        calendar_dates=(("WK", 20240305, 2),),
    )
    tt = compile_one(f, [DAY, DAY + dt.timedelta(days=1)])
    only_day = compile_one(f, [DAY])
    # when
    on_day = query(tt, "A", "B", "07:00")
    only = query(only_day, "A", "B", "07:00")
    # then: the first trip is the next day's
    assert summary(on_day) == [("32:00:00", "32:20:00", "0", "t:ab-1:A->B")]
    assert on_day.itineraries[0].legs[0].service_date == DAY + dt.timedelta(days=1)
    assert only.itineraries == []
    assert only.reason == REASON_NO_CONNECTION


def test_min_transfer_time_at_the_same_stop() -> None:
    # given: arriving at B 08:30; onward at 08:32 (too tight for 5 min) or 08:40
    trips = [
        ("ab-1", "WK", [("A", "08:00"), ("B", "08:30")]),
        ("bc-1", "WK", [("B", "08:32"), ("C", "09:00")]),
        ("bc-2", "WK", [("B", "08:40"), ("C", "09:08")]),
    ]
    plain = compile_one(feed(LINE, trips))
    strict = compile_one(feed(LINE, trips, transfers=(("B", "B", 2, 300),)))
    # when / then
    assert summary(query(plain, "A", "C", "07:50")) == [
        ("08:00:00", "09:00:00", "1", "t:ab-1:A->B", "t:bc-1:B->C")
    ]
    assert summary(query(strict, "A", "C", "07:50")) == [
        ("08:00:00", "09:08:00", "1", "t:ab-1:A->B", "t:bc-2:B->C")
    ]


def test_transfer_between_stops_from_transfers_txt_even_without_walking() -> None:
    # given: B and X are 5.5 km apart but transfers.txt links them with 240 s
    stops = [*LINE, ("X", 35.05, 138.06)]
    trips = [
        ("ab-1", "WK", [("A", "08:00"), ("B", "08:30")]),
        ("xd-1", "WK", [("X", "08:33"), ("D", "09:00")]),
        ("xd-2", "WK", [("X", "08:35"), ("D", "09:02")]),
    ]
    tt = compile_one(feed(stops, trips, transfers=(("B", "X", 2, 240),)))
    # when
    result = query(tt, "A", "D", "07:50", max_walk_m=0)
    # then
    assert summary(result) == [
        ("08:00:00", "09:02:00", "1", "t:ab-1:A->B", "walk:B->X", "t:xd-2:X->D")
    ]
    assert result.itineraries[0].legs[1].duration_s == 240


def test_transfer_type_3_forbids_the_change_within_a_station() -> None:
    # given: platforms P1 and P2 of one station, 50 m apart
    stops = [("A", 35.0, 138.0), ("P1", 35.05, 138.0), ("P2", 35.05045, 138.0), ("C", 35.1, 138.0)]
    trips = [
        ("a-1", "WK", [("A", "08:00"), ("P1", "08:30")]),
        ("c-1", "WK", [("P2", "08:35"), ("C", "09:00")]),
    ]
    parents = {"P1": "ST", "P2": "ST"}
    allowed = compile_one(feed(stops, trips, parents=parents))
    forbidden = compile_one(feed(stops, trips, parents=parents, transfers=(("P1", "P2", 3, 0),)))
    # when
    ok = query(allowed, "A", "C", "07:50", max_walk_m=0)
    blocked = query(forbidden, "A", "C", "07:50", max_walk_m=0)
    # then: 50.04 m x 1.3 at 1.2 m/s = 54.2 -> 55 s within the station
    assert summary(ok) == [
        ("08:00:00", "09:00:00", "1", "t:a-1:A->P1", "walk:P1->P2", "t:c-1:P2->C")
    ]
    assert ok.itineraries[0].legs[1].duration_s == 55
    assert blocked.itineraries == []
    assert blocked.reason == REASON_NO_CONNECTION


def test_max_walk_m_caps_walking_between_nearby_stops() -> None:
    # given: B and Y are 200 m apart (260 m walked)
    stops = [*LINE, ("Y", 35.0518, 138.0)]
    trips = [
        ("ab-1", "WK", [("A", "08:00"), ("B", "08:30")]),
        ("yd-1", "WK", [("Y", "08:40"), ("D", "09:00")]),
    ]
    tt = compile_one(feed(stops, trips))
    # when
    walking = query(tt, "A", "D", "07:50", max_walk_m=300)
    too_short = query(tt, "A", "D", "07:50", max_walk_m=250)
    no_walk = query(tt, "A", "D", "07:50", max_walk_m=0)
    # then
    assert summary(walking) == [
        ("08:00:00", "09:00:00", "1", "t:ab-1:A->B", "walk:B->Y", "t:yd-1:Y->D")
    ]
    assert walking.itineraries[0].walk_m == 260.2
    assert too_short.itineraries == []
    assert no_walk.itineraries == []


def test_arrive_by_is_symmetric_with_depart_at() -> None:
    # given
    tt = compile_one(
        feed(
            LINE,
            [
                ("ab-1", "WK", [("A", "07:40"), ("B", "08:00")]),
                ("ab-2", "WK", [("A", "08:00"), ("B", "08:20")]),
                ("bc-1", "WK", [("B", "08:25"), ("C", "08:45")]),
                ("bc-2", "WK", [("B", "09:00"), ("C", "09:20")]),
            ],
        )
    )
    # when
    forward = query(tt, "A", "C", "07:30")
    backward = query(tt, "A", "C", "08:50", arrive_by=True)
    forward_again = query(tt, "A", "C", "08:00")
    # then
    assert summary(forward) == [("07:40:00", "08:45:00", "1", "t:ab-1:A->B", "t:bc-1:B->C")]
    assert summary(backward) == [("08:00:00", "08:45:00", "1", "t:ab-2:A->B", "t:bc-1:B->C")]
    assert summary(forward_again) == summary(backward)


def test_range_query_returns_every_pareto_optimal_departure() -> None:
    # given: a trip every 20 minutes, and a slow one that is never worth taking
    trips = [
        (f"ac-{i}", "WK", [("A", f"08:{m:02d}"), ("C", f"08:{m + 15:02d}")])
        for i, m in enumerate((0, 20, 40))
    ]
    trips.append(("slow-1", "WK", [("A", "08:05"), ("C", "08:59")]))
    tt = compile_one(feed(LINE, trips))
    # when
    result = query(tt, "A", "C", "08:00", window_s=3600)
    # then
    assert summary(result) == [
        ("08:00:00", "08:15:00", "0", "t:ac-0:A->C"),
        ("08:20:00", "08:35:00", "0", "t:ac-1:A->C"),
        ("08:40:00", "08:55:00", "0", "t:ac-2:A->C"),
    ]


def test_range_query_keeps_a_transfer_journey_only_where_it_is_faster() -> None:
    # given
    trips = [
        ("ac-1", "WK", [("A", "08:00"), ("C", "08:50")]),
        ("ab-1", "WK", [("A", "08:10"), ("B", "08:20")]),
        ("bc-1", "WK", [("B", "08:25"), ("C", "08:40")]),
        ("ac-2", "WK", [("A", "08:30"), ("C", "09:20")]),
    ]
    tt = compile_one(feed(LINE, trips))
    # when
    result = query(tt, "A", "C", "08:00", window_s=3600)
    # then
    assert summary(result) == [
        ("08:10:00", "08:40:00", "1", "t:ab-1:A->B", "t:bc-1:B->C"),
        ("08:00:00", "08:50:00", "0", "t:ac-1:A->C"),
        ("08:30:00", "09:20:00", "0", "t:ac-2:A->C"),
    ]


def test_wheelchair_uses_no_inaccessible_trip_and_ranks_known_accessible_first() -> None:
    # given: 08:00 inaccessible, 08:10 unknown, 08:20 accessible (all stops accessible)
    trips = [
        ("ab-1", "WK", [("A", "08:00"), ("B", "08:20")]),
        ("ab-2", "WK", [("A", "08:10"), ("B", "08:30")]),
        ("ab-3", "WK", [("A", "08:20"), ("B", "08:40")]),
    ]
    tt = compile_one(
        feed(
            LINE,
            trips,
            stop_wheelchair={"A": 1, "B": 1},
            trip_wheelchair={"ab-1": 2, "ab-2": 0, "ab-3": 1},
        )
    )
    # when
    anyone = query(tt, "A", "B", "07:50")
    wheelchair = query(tt, "A", "B", "07:50", wheelchair=True)
    # then
    assert summary(anyone) == [("08:00:00", "08:20:00", "0", "t:ab-1:A->B")]
    assert summary(wheelchair) == [
        ("08:20:00", "08:40:00", "0", "t:ab-3:A->B"),
        ("08:10:00", "08:30:00", "0", "t:ab-2:A->B"),
    ]
    assert [it.wheelchair_accessible for it in wheelchair.itineraries] == [1, 0]


def test_wheelchair_avoids_an_inaccessible_stop() -> None:
    # given: B (inaccessible) would be the faster transfer point; C is unknown
    stops = [*LINE, ("E", 35.2, 138.0)]
    trips = [
        ("ab-1", "WK", [("A", "08:00"), ("B", "08:10")]),
        ("be-1", "WK", [("B", "08:15"), ("E", "08:30")]),
        ("ac-1", "WK", [("A", "08:05"), ("C", "08:20")]),
        ("ce-1", "WK", [("C", "08:30"), ("E", "08:50")]),
    ]
    tt = compile_one(feed(stops, trips, stop_wheelchair={"B": 2}))
    # when
    result = query(tt, "A", "E", "07:50", wheelchair=True)
    # then
    assert summary(result) == [("08:05:00", "08:50:00", "1", "t:ac-1:A->C", "t:ce-1:C->E")]


def test_no_connection_is_an_empty_result_with_a_reason() -> None:
    # given: the only trip goes the other way
    tt = compile_one(feed(LINE, [("ba-1", "WK", [("B", "08:00"), ("A", "08:20")])]))
    # when
    result = query(tt, "A", "B", "07:00")
    # then
    assert result.itineraries == []
    assert result.reason == REASON_NO_CONNECTION


def test_a_time_outside_the_compiled_horizon_is_an_empty_result_with_a_reason() -> None:
    # given
    tt = compile_one(feed(LINE, [("ab-1", "WK", [("A", "08:00"), ("B", "08:20")])]))
    # when
    result = query(tt, "A", "B", "08:00", day_offset=5)
    # then
    assert result.itineraries == []
    assert result.reason == REASON_OUTSIDE_HORIZON


def test_max_transfers_outside_0_to_10_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_transfers"):
        SearchOptions(max_transfers=11)
    with pytest.raises(ValueError, match="max_transfers"):
        SearchOptions(max_transfers=-1)


def test_overtaking_trips_are_split_into_fifo_patterns() -> None:
    # given: the express leaves after the local on the same stops but arrives first
    trips = [
        ("l-1", "WK", [("A", "08:00"), ("B", "08:30"), ("C", "09:00")]),
        ("l-2", "WK", [("A", "08:05"), ("B", "08:20"), ("C", "08:35")]),
    ]
    tt = compile_one(feed(LINE, trips))
    # when
    result = query(tt, "A", "C", "07:55")
    # then
    assert tt.n_patterns == 2
    assert summary(result) == [("08:05:00", "08:35:00", "0", "t:l-2:A->C")]


def test_two_feeds_join_by_walking_and_keep_their_namespaces() -> None:
    # given: operator "rail" ends at R2; operator "bus" starts at S1, 100 m away
    rail = feed(
        [("R1", 35.0, 138.0), ("R2", 35.05, 138.0)],
        [("r-1", "WK", [("R1", "08:00"), ("R2", "08:20")])],
        feed_id="rail",
    )
    bus = feed(
        [("S1", 35.0509, 138.0), ("S2", 35.1, 138.0)],
        [("s-1", "WK", [("S1", "08:30"), ("S2", "08:50")])],
        feed_id="bus",
    )
    from routing.timetable import compile_timetable

    tt = compile_timetable([rail, bus], [DAY])
    # when
    result = plan(
        tt,
        [StopAccess(tt.stop_index_get("rail:R1"))],
        [StopAccess(tt.stop_index_get("bus:S2"))],
        hms("07:50"),
    )
    # then
    legs = result.itineraries[0].legs
    assert [(leg.mode, leg.trip_id) for leg in legs] == [
        ("transit", "rail:r-1"),
        ("walk", None),
        ("transit", "bus:s-1"),
    ]
    assert legs[0].route is not None
    assert legs[0].route.id == "rail:r"


def test_coordinate_to_coordinate_adds_access_and_egress_walks() -> None:
    # given
    tt = compile_one(feed(LINE, [("ab-1", "WK", [("A", "08:00"), ("B", "08:20")])]))
    index = StopIndex(tt)
    from routing.itinerary import Place

    home = Place("home", 35.0009, 138.0)
    office = Place("office", 35.0491, 138.0)
    origins = index.stops_near(home.lat, home.lon, 500)
    destinations = index.stops_near(office.lat, office.lon, 500)
    # when
    result = plan(
        tt, origins, destinations, hms("07:30"), origin_place=home, destination_place=office
    )
    # then: 100 m x 1.3 = 130 m at 1.2 m/s = 109 s each way
    assert [s.duration_s for s in origins] == [109]
    assert summary(result) == [("07:58:11", "08:21:49", "0", "walk:->A", "t:ab-1:A->B", "walk:B->")]


def test_geometry_follows_the_shape_between_the_stops() -> None:
    # given: a shape with a detour point between B and C
    shape = [(35.0, 138.0), (35.05, 138.0), (35.075, 138.01), (35.1, 138.0), (35.15, 138.0)]
    tt = compile_one(
        feed(
            LINE,
            [("s-1", "WK", [("A", "08:00"), ("B", "08:10"), ("C", "08:20"), ("D", "08:30")])],
            shapes={"s": shape},
        )
    )
    # when
    leg = query(tt, "B", "C", "08:00").itineraries[0].legs[0]
    # then
    assert leg.geometry == [[138.0, 35.05], [138.01, 35.075], [138.0, 35.1]]


def test_without_a_shape_geometry_joins_the_stops_passed() -> None:
    # given
    tt = compile_one(feed(LINE, [("s-1", "WK", [("A", "08:00"), ("B", "08:10"), ("C", "08:20")])]))
    # when
    leg = query(tt, "A", "C", "07:00").itineraries[0].legs[0]
    # then
    assert leg.geometry == [[138.0, 35.0], [138.0, 35.05], [138.0, 35.1]]


def test_boards_where_the_traveller_is_rather_than_walking_back_along_the_route() -> None:
    # given: the line runs W -> O -> C; W is a 360 m walk from O, the origin. The trip can
    # be caught at W (after the walk) or at O itself, with the same arrival.
    stops = [("W", 35.0, 138.0), ("O", 35.0, 138.00304), ("C", 35.1, 138.0)]
    tt = compile_one(
        feed(stops, [("line-1", "WK", [("W", "08:10"), ("O", "08:12"), ("C", "08:40")])])
    )
    # when
    result = query(tt, "O", "C", "08:00")
    # then: ride from O, no walk back to W
    assert summary(result) == [("08:12:00", "08:40:00", "0", "t:line-1:O->C")]


def test_rides_along_rather_than_walking_ahead_to_a_later_stop() -> None:
    # given: the origin O is first on the line; A is a 360 m walk ahead of it
    stops = [("O", 35.0, 138.0), ("A", 35.0, 138.00304), ("C", 35.1, 138.0)]
    tt = compile_one(
        feed(stops, [("line-1", "WK", [("O", "08:10"), ("A", "08:12"), ("C", "08:40")])])
    )
    # when
    result = query(tt, "O", "C", "08:00")
    # then: board at O and stay on
    assert summary(result) == [("08:10:00", "08:40:00", "0", "t:line-1:O->C")]
