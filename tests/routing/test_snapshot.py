"""Snapshots: build, save atomically, memory-map on load, answer exactly as when built."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest

from routing.gtfs_zip import read_gtfs_zip
from routing.itinerary import Itinerary
from routing.network import BikeStation, FlexZone
from routing.search import SearchOptions, StopAccess, plan
from routing.snapshot import snapshot_build, snapshot_load, snapshot_save
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.shared_data

DAY = dt.date(2018, 6, 5)  # a Tuesday inside BART's 2018 calendar


def _summary(itineraries: list[Itinerary]) -> list[tuple[object, ...]]:
    return [
        (
            it.departure_s,
            it.arrival_s,
            it.transfers,
            tuple(
                (
                    leg.mode,
                    leg.trip_id,
                    leg.from_place.stop_id,
                    leg.to_place.stop_id,
                    leg.departure_s,
                    leg.arrival_s,
                )
                for leg in it.legs
            ),
        )
        for it in itineraries
    ]


def test_saved_snapshot_answers_exactly_as_the_built_one(tmp_path: Path) -> None:
    # given: BART with a bike station next to Embarcadero and a zone around downtown SF
    feed = read_gtfs_zip(SHARED_DATA / "gtfs" / "bart_2018.zip", "bart")
    built = snapshot_build(
        [feed],
        [DAY, DAY + dt.timedelta(days=1)],
        version="2018-06-05-test",
        bike_stations=[BikeStation("bikes:1", "Embarcadero dock", 37.7929, -122.3970, 19)],
        flex_zones=[
            FlexZone(
                "ondemand:z1",
                "Downtown",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [-122.41, 37.78],
                            [-122.39, 37.78],
                            [-122.39, 37.80],
                            [-122.41, 37.80],
                            [-122.41, 37.78],
                        ]
                    ],
                },
            )
        ],
        names={"ja": {"stop": {"bart:EMBR": "エンバカデロ"}}},
    )
    # when
    path = snapshot_save(built, tmp_path)
    loaded = snapshot_load(path)
    # then: the arrays are memory-mapped, identical, and the same queries give the same plans
    tt = loaded.timetable
    assert isinstance(tt.forward.departure_s, np.memmap)
    assert isinstance(tt.stop_ids, np.memmap)
    assert np.array_equal(tt.forward.departure_s, built.timetable.forward.departure_s)
    assert tt.stop_ids.tolist() == [str(s) for s in built.timetable.stop_ids]
    assert loaded.meta["counts"] == built.meta["counts"]
    assert loaded.meta["dates"] == ["2018-06-05", "2018-06-06"]
    rng = random.Random(7)
    stops = [i for i in range(tt.n_stops) if tt.stop_location_type[i] == 0]
    compared = 0
    for _ in range(60):
        a, b = rng.sample(stops, 2)
        time_s = rng.randrange(5 * 3600, 22 * 3600)
        for arrive_by in (False, True):
            expected = plan(
                built.timetable,
                [StopAccess(a)],
                [StopAccess(b)],
                time_s,
                SearchOptions(),
                arrive_by=arrive_by,
            )
            got = plan(
                tt, [StopAccess(a)], [StopAccess(b)], time_s, SearchOptions(), arrive_by=arrive_by
            )
            assert _summary(got.itineraries) == _summary(expected.itineraries)
            assert got.reason == expected.reason
            compared += len(got.itineraries)
    assert compared > 60
    # the graph loads on demand, with the bike station linked to Embarcadero's platforms
    graph = loaded.graph
    assert graph.nodes["bikes:1"]["kind"] == "bike_station"
    linked = {v for _, v, d in graph.out_edges("bikes:1", data=True) if d["mode"] == "walk"}
    assert "bart:EMBR" in linked
    zone_stops = {v for _, v, d in graph.out_edges("ondemand:z1", data=True)}
    assert {"bart:EMBR", "bart:MONT", "bart:POWL"} <= zone_stops
    assert "bart:16TH" not in zone_stops
    assert loaded.name("stop", "bart:EMBR", "ja", "Embarcadero") == "エンバカデロ"
    assert loaded.name("stop", "bart:EMBR", "en", "Embarcadero") == "Embarcadero"


def test_saving_the_same_version_twice_is_refused(tmp_path: Path) -> None:
    feed = read_gtfs_zip(SHARED_DATA / "gtfs" / "google_sample-feed-1.zip", "demo")
    snapshot = snapshot_build([feed], [dt.date(2008, 1, 7)], version="v1")
    snapshot_save(snapshot, tmp_path)
    with pytest.raises(FileExistsError):
        snapshot_save(snapshot, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]  # no temp leftovers
