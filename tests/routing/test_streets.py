"""Street distances from a real OSM extract, checked against NetworkX on the same ways."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from routing.streets import StreetNetwork, street_network_from_pbf
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def portland() -> StreetNetwork:
    return street_network_from_pbf(SHARED_DATA / "osm" / "portland_central.osm.pbf")


def test_street_distances_equal_networkx_shortest_paths(portland: StreetNetwork) -> None:
    # given: five points in downtown Portland (Pioneer Square, PSU, Union Station, ...)
    lat = np.array([45.5189, 45.5118, 45.5290, 45.5231, 45.5152])
    lon = np.array([-122.6793, -122.6833, -122.6764, -122.6765, -122.6784])
    # when
    src, dst, metres = portland.distances_between(lat, lon, max_distance_m=3000)
    # then: each pair equals snap + NetworkX Dijkstra on the same undirected edge list + snap
    graph = nx.Graph()
    coo = portland.lengths.tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    nodes, snap_m = portland.snap(lat, lon)
    assert (nodes >= 0).all()
    assert len(src) > 0
    for i, j, m in zip(src, dst, metres, strict=True):
        expected = snap_m[i] + nx.dijkstra_path_length(graph, nodes[i], nodes[j]) + snap_m[j]
        assert m == pytest.approx(expected, abs=1e-6)
    # and every street distance is at least the straight line between the points
    for i, j, m in zip(src, dst, metres, strict=True):
        straight = _haversine_m(lat[i], lon[i], lat[j], lon[j])
        assert m >= straight * 0.999
    # all five central points reach each other within 3 km
    pairs = {(int(i), int(j)) for i, j in zip(src, dst, strict=True)}
    assert pairs == {(i, j) for i in range(5) for j in range(5) if i != j}


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


def test_points_off_the_extract_do_not_snap(portland: StreetNetwork) -> None:
    # given: a point in the Pacific Ocean and one in Tokyo
    nodes, snap_m = portland.snap(np.array([45.5, 35.68]), np.array([-124.5, 139.76]))
    assert nodes.tolist() == [-1, -1]
    assert np.isinf(snap_m).all()


def test_footpaths_follow_the_streets_where_stops_are_on_the_extract(
    portland: StreetNetwork,
) -> None:
    import datetime as dt

    from routing.gtfs_zip import read_gtfs_zip
    from routing.timetable import FP_WALK, compile_timetable, haversine_m

    # given: TriMet's MAX Green line + Portland Streetcar; 93 of 103 stops are in the extract
    feed = read_gtfs_zip(SHARED_DATA / "gtfs" / "trimet_portland_2routes.zip", "trimet")
    day = dt.date(2015, 3, 31)
    plain = compile_timetable([feed], [day])
    streets = compile_timetable([feed], [day], street_networks=[portland])
    # then: every walking footpath between two on-network stops has the street length
    fw = streets.forward
    nodes, _ = portland.snap(streets.stop_lat, streets.stop_lon)
    checked = 0
    for a in range(streets.n_stops):
        for k in range(int(fw.fp_start[a]), int(fw.fp_start[a + 1])):
            b = int(fw.fp_to[k])
            if fw.fp_kind[k] != FP_WALK:
                continue
            straight = float(
                haversine_m(
                    streets.stop_lat[a],
                    streets.stop_lon[a],
                    streets.stop_lat[b],
                    streets.stop_lon[b],
                )
            )
            if nodes[a] >= 0 and nodes[b] >= 0:
                src, dst, metres = portland.distances_between(
                    streets.stop_lat[[a, b]], streets.stop_lon[[a, b]], max_distance_m=1000
                )
                assert (int(src[0]), int(dst[0])) == (0, 1)
                assert float(fw.fp_distance_m[k]) == pytest.approx(float(metres[0]))
                assert float(fw.fp_distance_m[k]) >= straight
                checked += 1
            else:
                assert float(fw.fp_distance_m[k]) == pytest.approx(straight * 1.3)
    assert checked > 100
    # and the plain build used straight line x 1.3 for every walking pair
    pw = plain.forward
    walk = pw.fp_kind == FP_WALK
    assert walk.sum() > 0
    assert (pw.fp_distance_m[walk] <= 1000.0).all()
