"""Nearest stops to a coordinate, with the walk to each (KD-tree on the unit sphere)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from routing.search.engine import StopAccess
from routing.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_WALK_SPEED_MPS,
    Timetable,
    chord_for_m,
    haversine_m,
    unit_xyz,
    walk_duration_s,
)


class StopIndex:
    """Spatial index over a timetable's routable stops (location_type 0)."""

    def __init__(self, tt: Timetable, *, detour_factor: float = DEFAULT_DETOUR_FACTOR) -> None:
        self.tt = tt
        self.detour_factor = detour_factor
        self.stops = np.flatnonzero(tt.stop_location_type == 0)
        self.tree = cKDTree(unit_xyz(tt.stop_lat[self.stops], tt.stop_lon[self.stops]))

    def stops_near(
        self,
        lat: float,
        lon: float,
        max_walk_m: float,
        *,
        walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    ) -> list[StopAccess]:
        """Stops within `max_walk_m` walked metres (straight line x detour), nearest first.

        Each `StopAccess` carries the walked metres and the walking seconds; an empty list
        means nothing is in reach (for example a point at sea).
        """
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError("coordinate out of range")
        radius = chord_for_m(max_walk_m / self.detour_factor)
        hits = self.tree.query_ball_point(unit_xyz(np.array([lat]), np.array([lon]))[0], radius)
        if not hits:
            return []
        stops = self.stops[np.asarray(hits, dtype=np.int64)]
        dist = (
            haversine_m(
                np.full(len(stops), lat),
                np.full(len(stops), lon),
                self.tt.stop_lat[stops],
                self.tt.stop_lon[stops],
            )
            * self.detour_factor
        )
        keep = dist <= max_walk_m
        stops, dist = stops[keep], dist[keep]
        order = np.lexsort((stops, dist))
        duration = walk_duration_s(dist, walk_speed_mps)
        return [
            StopAccess(stop=int(stops[i]), duration_s=int(duration[i]), distance_m=float(dist[i]))
            for i in order
        ]
