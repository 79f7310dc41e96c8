"""The multimodal network as a NetworkX MultiDiGraph.

Nodes are keyed by namespaced ids and carry a `kind`:
- ``stop`` / ``station`` (GTFS stops, location_type 0 / 1), with name, lat, lon,
  wheelchair_boarding;
- ``bike_station`` (a GBFS station: where a bike can be picked up or returned);
- ``flex_zone`` (a GTFS-Flex zone: on-demand pick-up/drop-off area, with its polygon).

Edges carry a `mode` and `distance_m` / `duration_s`:
- ``walk`` between nearby stops (along the streets when an OSM extract is configured),
- ``station`` between platforms of one parent station and ``parent`` between a station and
  its platforms, ``transfer`` from transfers.txt,
- ``walk`` between a bike station and the stops near it, ``zone`` from a flex zone to the
  stops inside it.

The timetable search itself runs on the compiled arrays (`routing.timetable`); the graph
is the inspectable, extensible model of everything off the timetable, and what the
bike-share and on-demand access searches walk on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from routing.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_WALK_SPEED_MPS,
    FP_STATION,
    FP_TRANSFER,
    Timetable,
    chord_for_m,
    haversine_m,
    unit_xyz,
    walk_duration_s,
)

_FP_MODE = {FP_STATION: "station", FP_TRANSFER: "transfer"}


@dataclasses.dataclass(frozen=True)
class BikeStation:
    """A bike-share station's static facts (live availability is never in the network)."""

    id: str  # "<operator>:<station_id>"
    name: str
    lat: float
    lon: float
    capacity: int | None = None


@dataclasses.dataclass(frozen=True)
class FlexZone:
    """An on-demand zone: a GeoJSON Polygon/MultiPolygon geometry."""

    id: str  # "<operator>:<location_id>"
    name: str
    geometry: dict[str, object]


def network_graph(
    tt: Timetable,
    *,
    bike_stations: Sequence[BikeStation] = (),
    flex_zones: Sequence[FlexZone] = (),
    bike_link_m: float = 300.0,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> nx.MultiDiGraph:
    """The multimodal graph of a compiled timetable plus bike stations and flex zones."""
    graph = nx.MultiDiGraph(timezone=tt.timezone, feeds=list(tt.feed_ids))
    for i in range(tt.n_stops):
        graph.add_node(
            str(tt.stop_ids[i]),
            kind="station" if tt.stop_location_type[i] == 1 else "stop",
            index=i,
            name=str(tt.stop_names[i]),
            lat=float(tt.stop_lat[i]),
            lon=float(tt.stop_lon[i]),
            wheelchair_boarding=int(tt.stop_wheelchair[i]),
        )
        parent = int(tt.stop_parent[i])
        if parent >= 0:
            station, platform = str(tt.stop_ids[parent]), str(tt.stop_ids[i])
            graph.add_edge(station, platform, mode="parent", distance_m=0.0, duration_s=0)
            graph.add_edge(platform, station, mode="parent", distance_m=0.0, duration_s=0)
    fw = tt.forward
    for a in range(tt.n_stops):
        for k in range(int(fw.fp_start[a]), int(fw.fp_start[a + 1])):
            graph.add_edge(
                str(tt.stop_ids[a]),
                str(tt.stop_ids[int(fw.fp_to[k])]),
                mode=_FP_MODE.get(int(fw.fp_kind[k]), "walk"),
                distance_m=float(fw.fp_distance_m[k]),
                duration_s=int(fw.fp_duration_s[k]),
            )
    _add_bike_stations(graph, tt, bike_stations, bike_link_m, walk_speed_mps, detour_factor)
    _add_flex_zones(graph, tt, flex_zones)
    return graph


def _add_bike_stations(
    graph: nx.MultiDiGraph,
    tt: Timetable,
    stations: Sequence[BikeStation],
    link_m: float,
    walk_speed_mps: float,
    detour_factor: float,
) -> None:
    if not stations:
        return
    routable = np.flatnonzero(tt.stop_location_type == 0)
    tree = (
        cKDTree(unit_xyz(tt.stop_lat[routable], tt.stop_lon[routable])) if len(routable) else None
    )
    for station in stations:
        graph.add_node(
            station.id,
            kind="bike_station",
            name=station.name,
            lat=station.lat,
            lon=station.lon,
            capacity=station.capacity,
        )
        if tree is None:
            continue
        centre = unit_xyz(np.array([station.lat]), np.array([station.lon]))[0]
        for hit in tree.query_ball_point(centre, chord_for_m(link_m / detour_factor)):
            stop = int(routable[hit])
            distance_m = (
                float(haversine_m(station.lat, station.lon, tt.stop_lat[stop], tt.stop_lon[stop]))
                * detour_factor
            )
            if distance_m > link_m:
                continue
            seconds = int(walk_duration_s(distance_m, walk_speed_mps))
            stop_id = str(tt.stop_ids[stop])
            graph.add_edge(
                station.id, stop_id, mode="walk", distance_m=distance_m, duration_s=seconds
            )
            graph.add_edge(
                stop_id, station.id, mode="walk", distance_m=distance_m, duration_s=seconds
            )


def _add_flex_zones(graph: nx.MultiDiGraph, tt: Timetable, zones: Sequence[FlexZone]) -> None:
    if not zones:
        return
    import shapely
    from shapely.geometry import shape

    points = shapely.points(tt.stop_lon, tt.stop_lat)
    for zone in zones:
        polygon = shape(zone.geometry)
        graph.add_node(zone.id, kind="flex_zone", name=zone.name, geometry=zone.geometry)
        inside = np.flatnonzero(shapely.contains(polygon, points) & (tt.stop_location_type == 0))
        for stop in inside.tolist():
            stop_id = str(tt.stop_ids[stop])
            graph.add_edge(zone.id, stop_id, mode="zone", distance_m=0.0, duration_s=0)
            graph.add_edge(stop_id, zone.id, mode="zone", distance_m=0.0, duration_s=0)
