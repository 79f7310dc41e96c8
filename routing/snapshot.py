"""Build, save and load a versioned, memory-mappable network snapshot.

A snapshot is one directory ``<root>/<version>/``:

- ``meta.json`` — format, version, time zone, horizon, feeds, counts and whatever the
  builder adds (which feed versions went in, build time);
- ``names.json`` — translated names: ``{lang: {"stop"|"route"|"headsign": {id: name}}}``;
- ``tt.<field>.npy`` — every array of the `Timetable` (strings as fixed-width unicode, so
  *every* array memory-maps: API processes share the pages, and loading is instant);
- ``graph.pickle`` — the NetworkX multimodal graph (loaded on first use only).

A snapshot is written to a temporary directory and renamed into place, so a reader never
sees half a snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np

from routing.network import BikeStation, FlexZone, network_graph
from routing.spatial import StopIndex
from routing.streets import StreetNetwork
from routing.tables import FeedTables
from routing.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_FOOTPATH_M,
    DEFAULT_WALK_SPEED_MPS,
    SearchArrays,
    Timetable,
    compile_timetable,
)

FORMAT = 1
_SCALAR_FIELDS = ("timezone", "epoch_date", "dates", "feed_ids")
_SKIPPED_FIELDS = ("stop_index", "_backward", "forward")

Names = dict[str, dict[str, dict[str, str]]]


@dataclasses.dataclass
class Snapshot:
    """A loaded (or freshly built) network snapshot."""

    version: str
    timetable: Timetable
    names: Names
    meta: dict[str, Any]
    path: Path | None = None
    _graph: nx.MultiDiGraph | None = None
    _stop_index: StopIndex | None = None

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The multimodal graph (read from disk on first use)."""
        if self._graph is None:
            if self.path is None:
                raise RuntimeError("snapshot has no graph and no path to load it from")
            with (self.path / "graph.pickle").open("rb") as fh:
                self._graph = pickle.load(fh)  # noqa: S301 - our own artifact
        return self._graph

    @property
    def stop_index(self) -> StopIndex:
        """Spatial index of the routable stops (built on first use)."""
        if self._stop_index is None:
            self._stop_index = StopIndex(self.timetable)
        return self._stop_index

    def name(self, kind: str, key: str, language: str, default: str) -> str:
        """A translated name of a stop/route/headsign, or `default` (the feed's text)."""
        return self.names.get(language, {}).get(kind, {}).get(key, default)


def snapshot_build(
    feeds: Sequence[FeedTables],
    dates: Iterable[dt.date],
    *,
    version: str,
    street_networks: Sequence[StreetNetwork] = (),
    bike_stations: Sequence[BikeStation] = (),
    flex_zones: Sequence[FlexZone] = (),
    names: Names | None = None,
    meta: dict[str, Any] | None = None,
    walk_speed_mps: float = DEFAULT_WALK_SPEED_MPS,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    max_footpath_m: float = DEFAULT_MAX_FOOTPATH_M,
) -> Snapshot:
    """Compile feeds and the multimodal graph into a snapshot (not yet saved)."""
    started = time.perf_counter()
    tt = compile_timetable(
        feeds,
        dates,
        walk_speed_mps=walk_speed_mps,
        detour_factor=detour_factor,
        max_footpath_m=max_footpath_m,
        street_networks=street_networks,
    )
    tt.backward  # noqa: B018 - built once here, then memory-mapped by every reader
    graph = network_graph(
        tt,
        bike_stations=bike_stations,
        flex_zones=flex_zones,
        walk_speed_mps=walk_speed_mps,
        detour_factor=detour_factor,
    )
    full_meta = {
        "format": FORMAT,
        "version": version,
        "timezone": tt.timezone,
        "epoch_date": tt.epoch_date.isoformat(),
        "dates": [d.isoformat() for d in tt.dates],
        "feed_ids": list(tt.feed_ids),
        "counts": {
            "stops": tt.n_stops,
            "trip_instances": tt.n_trips,
            "patterns": tt.n_patterns,
            "footpaths": len(tt.forward.fp_to),
            "graph_nodes": graph.number_of_nodes(),
            "graph_edges": graph.number_of_edges(),
            "bike_stations": len(bike_stations),
            "flex_zones": len(flex_zones),
        },
        "street_networks": [net.source for net in street_networks],
        "walk_speed_mps": walk_speed_mps,
        "detour_factor": detour_factor,
        "max_footpath_m": max_footpath_m,
        **(meta or {}),
    }
    full_meta["build_s"] = round(time.perf_counter() - started, 3)
    return Snapshot(version=version, timetable=tt, names=names or {}, meta=full_meta, _graph=graph)


def _storable(array: np.ndarray) -> np.ndarray:
    if array.dtype == object:
        return np.array(["" if v is None else str(v) for v in array.tolist()], dtype=np.str_)
    return array


def snapshot_save(snapshot: Snapshot, root: Path) -> Path:
    """Write the snapshot to ``root/<version>`` atomically; returns that directory."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / snapshot.version
    if final.exists():
        raise FileExistsError(f"snapshot {snapshot.version} exists already at {final}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{snapshot.version}.", dir=root))
    try:
        tt = snapshot.timetable
        for field in dataclasses.fields(Timetable):
            if field.name in _SCALAR_FIELDS or field.name in _SKIPPED_FIELDS:
                continue
            np.save(tmp / f"tt.{field.name}.npy", _storable(getattr(tt, field.name)))
        for prefix, arrays in (("forward", tt.forward), ("backward", tt.backward)):
            for field in dataclasses.fields(SearchArrays):
                np.save(tmp / f"tt.{prefix}.{field.name}.npy", getattr(arrays, field.name))
        (tmp / "meta.json").write_text(json.dumps(snapshot.meta, ensure_ascii=False, indent=1))
        (tmp / "names.json").write_text(json.dumps(snapshot.names, ensure_ascii=False))
        with (tmp / "graph.pickle").open("wb") as fh:
            pickle.dump(snapshot.graph, fh, protocol=pickle.HIGHEST_PROTOCOL)
        # mkdtemp makes the folder private; API processes of another user must read it.
        os.chmod(tmp, 0o755)  # noqa: S103
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    snapshot.path = final
    return final


def snapshot_load(path: Path, *, mmap: bool = True) -> Snapshot:
    """Load a saved snapshot; arrays are memory-mapped read-only unless `mmap` is False."""
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: snapshot format {meta.get('format')} is not {FORMAT}")
    mode: Literal["r"] | None = "r" if mmap else None

    def arr(name: str) -> np.ndarray:
        return np.load(path / f"tt.{name}.npy", mmap_mode=mode, allow_pickle=False)

    search = {
        prefix: SearchArrays(
            **{f.name: arr(f"{prefix}.{f.name}") for f in dataclasses.fields(SearchArrays)}
        )
        for prefix in ("forward", "backward")
    }
    fields: dict[str, Any] = {
        f.name: arr(f.name)
        for f in dataclasses.fields(Timetable)
        if f.name not in _SCALAR_FIELDS and f.name not in _SKIPPED_FIELDS
    }
    stop_ids = fields["stop_ids"]
    tt = Timetable(
        timezone=meta["timezone"],
        epoch_date=dt.date.fromisoformat(meta["epoch_date"]),
        dates=tuple(dt.date.fromisoformat(d) for d in meta["dates"]),
        feed_ids=tuple(meta["feed_ids"]),
        forward=search["forward"],
        _backward=search["backward"],
        stop_index={str(s): i for i, s in enumerate(stop_ids.tolist())},
        **fields,
    )
    names = json.loads((path / "names.json").read_text())
    return Snapshot(version=meta["version"], timetable=tt, names=names, meta=meta, path=path)
