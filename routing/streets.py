"""Street networks from OpenStreetMap extracts, for walking (and riding) distances.

A region may configure an `.osm.pbf` extract; then footpaths between nearby stops follow
the streets instead of a straight line x detour factor. The network is read once (pyrosm)
into a symmetric sparse matrix of edge lengths in metres; distances come from a bounded
multi-source Dijkstra (scipy), which is fast enough for every stop of a city at build time.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
#: A point farther than this from every street node is not on this network (outside the
#: extract, or at sea): callers fall back to straight-line distances for it.
DEFAULT_MAX_SNAP_M = 300.0
#: Sources per Dijkstra call: bounds the dense (sources x nodes) result to ~100 MB on a
#: city-sized extract.
_DIJKSTRA_CHUNK = 64


@dataclasses.dataclass(frozen=True)
class StreetNetwork:
    """Street nodes and a symmetric CSR matrix of edge lengths (metres)."""

    node_lat: np.ndarray
    node_lon: np.ndarray
    lengths: sparse.csr_matrix
    network_type: str
    source: str

    @property
    def n_nodes(self) -> int:
        return int(self.node_lat.shape[0])

    def _projected(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        lat0 = math.radians(float(np.mean(self.node_lat)))
        x = np.radians(lon) * EARTH_RADIUS_M * math.cos(lat0)
        y = np.radians(lat) * EARTH_RADIUS_M
        return np.column_stack([x, y])

    @property
    def _tree(self) -> cKDTree:
        tree = self.__dict__.get("_tree_cache")
        if tree is None:
            tree = cKDTree(self._projected(self.node_lat, self.node_lon))
            object.__setattr__(self, "_tree_cache", tree)
        return tree

    def snap(
        self, lat: np.ndarray, lon: np.ndarray, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest street node of each point and the distance to it (metres); node -1 when
        no node is within `max_snap_m`."""
        distance_m, node = self._tree.query(
            self._projected(np.asarray(lat, float), np.asarray(lon, float)),
            distance_upper_bound=max_snap_m,
        )
        node = np.where(np.isfinite(distance_m), node, -1).astype(np.int64)
        return node, np.where(np.isfinite(distance_m), distance_m, np.inf)

    def distances_between(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        *,
        max_distance_m: float,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Street distances between the given points, up to `max_distance_m`.

        Returns parallel arrays (from_index, to_index, distance_m) over ordered pairs i != j
        of points that both snap to the network; distance = snap(i) + streets + snap(j).
        """
        node, snap_m = self.snap(lat, lon, max_snap_m=max_snap_m)
        on_net = np.flatnonzero(node >= 0)
        if on_net.size == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, np.zeros(0, float)
        unique_nodes, inverse = np.unique(node[on_net], return_inverse=True)
        target_cols = node[on_net]
        # street metres from each distinct source node (stops on one node share a search)
        # to every on-network point; sources go in chunks to bound the dense result.
        street_m = np.empty((unique_nodes.size, on_net.size), float)
        for start in range(0, unique_nodes.size, _DIJKSTRA_CHUNK):
            chunk = unique_nodes[start : start + _DIJKSTRA_CHUNK]
            dist = dijkstra(self.lengths, directed=False, indices=chunk, limit=max_distance_m)
            street_m[start : start + chunk.size] = dist[:, target_cols]
        from_list, to_list, metres = [], [], []
        for local_i, point_i in enumerate(on_net):
            total = snap_m[point_i] + street_m[inverse[local_i]] + snap_m[on_net]
            ok = np.flatnonzero((total <= max_distance_m) & (on_net != point_i))
            from_list.append(np.full(ok.size, point_i, np.int64))
            to_list.append(on_net[ok])
            metres.append(total[ok])
        return np.concatenate(from_list), np.concatenate(to_list), np.concatenate(metres)


_WALKABLE_EXCLUDED = {"motorway", "motorway_link", "trunk", "trunk_link", "construction"}


def street_network_from_pbf(path: str | Path, *, network_type: str = "walking") -> StreetNetwork:
    """Read the `walking` (or `cycling`) network of an .osm.pbf extract."""
    from pyrosm import OSM  # imported lazily: only builds with an extract configured need it

    osm = OSM(str(path))
    nodes, edges = osm.get_network(network_type=network_type, nodes=True)
    if nodes is None or edges is None or len(edges) == 0:
        raise ValueError(f"{path}: no {network_type} ways in this extract")
    if network_type == "walking" and "highway" in edges:
        edges = edges[~edges["highway"].isin(_WALKABLE_EXCLUDED)]
    node_ids = nodes["id"].to_numpy(np.int64)
    order = np.argsort(node_ids)
    sorted_ids = node_ids[order]

    def index_of(ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        found = sorted_ids[pos] == ids
        return np.where(found, order[pos], -1)

    u = index_of(edges["u"].to_numpy(np.int64))
    v = index_of(edges["v"].to_numpy(np.int64))
    length = edges["length"].to_numpy(float)
    keep = (u >= 0) & (v >= 0) & np.isfinite(length) & (u != v)
    u, v, length = u[keep], v[keep], length[keep]
    # Walking ignores one-way rules; parallel ways keep the shortest length.
    lengths = _symmetric_min(u, v, length, len(node_ids))
    # Keep the largest connected component only: a stop snapped onto an isolated footway
    # island (a courtyard, a clipped way at the extract's edge) would reach nothing.
    _, labels = connected_components(lengths, directed=False)
    main = np.flatnonzero(labels == np.bincount(labels).argmax())
    lengths = lengths[main][:, main].tocsr()
    return StreetNetwork(
        node_lat=nodes["lat"].to_numpy(float)[main],
        node_lon=nodes["lon"].to_numpy(float)[main],
        lengths=lengths,
        network_type=network_type,
        source=str(path),
    )


def _symmetric_min(u: np.ndarray, v: np.ndarray, length: np.ndarray, n: int) -> sparse.csr_matrix:
    """Undirected adjacency with the shortest length per node pair."""
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    w = np.concatenate([length, length])
    key = a * n + b
    order = np.lexsort((w, key))
    key, a, b, w = key[order], a[order], b[order], w[order]
    first = np.ones(key.size, bool)
    first[1:] = key[1:] != key[:-1]
    return sparse.csr_matrix((w[first], (a[first], b[first])), shape=(n, n))
