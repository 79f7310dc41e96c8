"""Bike-share rides follow the OSM cycling network when one is configured."""

from __future__ import annotations

import numpy as np
import pytest

from routing.access import BikePoint, BikeShare, bike_direct
from routing.itinerary import MODE_BIKESHARE, Place
from routing.streets import street_network_from_pbf
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.shared_data


def test_station_to_station_ride_is_measured_along_the_cycling_network() -> None:
    # given: two bike stations in central Portland (Pioneer Square, Union Station) and the
    # cycling ways of the Portland extract
    cycling = street_network_from_pbf(
        SHARED_DATA / "osm" / "portland_central.osm.pbf", network_type="cycling"
    )
    pick = BikePoint("bikes:1", "Pioneer Square", 45.5189, -122.6793, "bikes")
    drop = BikePoint("bikes:2", "Union Station", 45.5290, -122.6764, "bikes")
    on_streets = BikeShare(pickups=(pick,), returns=(drop,), street=cycling)
    straight = BikeShare(pickups=(pick,), returns=(drop,))
    origin = Place("o", 45.5187, -122.6795)
    destination = Place("d", 45.5292, -122.6762)
    # when
    (via_streets, *_) = bike_direct(origin, destination, on_streets, max_walk_m=500)
    (via_line, *_) = bike_direct(origin, destination, straight, max_walk_m=500)
    # then: the ride leg is the cycling-network distance between the stations exactly,
    # longer than the straight line, and different from straight line x 1.3
    src, dst, metres = cycling.distances_between(
        np.array([pick.lat, drop.lat]), np.array([pick.lon, drop.lon]), max_distance_m=8000
    )
    street_m = float(metres[(src == 0) & (dst == 1)][0])
    ride = next(t for t in via_streets if t.mode == MODE_BIKESHARE)
    line_ride = next(t for t in via_line if t.mode == MODE_BIKESHARE)
    assert ride.distance_m == pytest.approx(street_m)
    assert street_m > line_ride.distance_m / 1.3
    assert ride.distance_m != pytest.approx(line_ride.distance_m)
    assert ride.duration_s > 0
