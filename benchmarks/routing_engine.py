"""Routing engine benchmark: snapshot build time and query latency on the benchmark feeds.

Run as ``python -m benchmarks.routing_engine``. For hart, milano and wmata it times reading the
zip, compiling the timetable ("snapshot build"), then 1,000 seeded random stop-to-stop
Pareto queries (depart_at, max_transfers=5, max_walk_m=1000, itineraries without geometry
and with geometry) and 200 sixty-minute range queries, and writes
benchmarks/results/routing_engine.json. The first query of each kind is a warm-up (numba's
compiled code is cached on disk, but still loaded on first call) and is not timed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import cast

import numpy as np

from routing.gtfs_zip import read_gtfs_zip
from routing.search import SearchOptions, StopAccess, plan
from routing.timetable import Timetable, compile_timetable

SHARED_DATA = Path(
    os.environ.get("SHARED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)
FEEDS = {
    "hart": ("gtfs-benchmark/hart_tampa_2021.zip", dt.date(2021, 3, 2)),
    "milano": ("gtfs-benchmark/milano_atm_small_2014.zip", dt.date(2014, 10, 21)),
    "wmata": ("gtfs-benchmark/wmata_metrorail_2026.zip", dt.date(2026, 5, 5)),
}
N_QUERIES = 1000
N_RANGE_QUERIES = 200
RANGE_WINDOW_S = 3600
RESULTS = Path(__file__).resolve().parent / "results" / "routing_engine.json"


def _served_stops(tt: Timetable) -> list[int]:
    return sorted(set(tt.forward.pattern_stops.tolist()))


def seeded_queries(stops: list[int], feed_id: str, n: int) -> list[tuple[int, int, int]]:
    """`n` seeded random (origin, destination, seconds 06:00-20:00) stop-to-stop queries;
    the same stream for every benchmark that compares on a feed."""
    rng = random.Random(f"bench-{feed_id}")
    queries = []
    for _ in range(n):
        a, b = rng.sample(stops, 2)
        queries.append((a, b, rng.randrange(6 * 3600, 20 * 3600)))
    return queries


def _percentiles_ms(samples: list[float]) -> dict[str, float]:
    arr = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
        "max_ms": round(float(arr.max()), 3),
    }


def _time_queries(
    tt: Timetable,
    queries: list[tuple[int, int, int]],
    options: SearchOptions,
    window_s: int = 0,
) -> tuple[list[float], int]:
    a, b, t = queries[0]
    plan(tt, [StopAccess(a)], [StopAccess(b)], t, options, window_s=window_s)  # warm-up
    samples = []
    found = 0
    for a, b, t in queries:
        start = time.perf_counter()
        result = plan(tt, [StopAccess(a)], [StopAccess(b)], t, options, window_s=window_s)
        samples.append(time.perf_counter() - start)
        found += bool(result.itineraries)
    return samples, found


def bench_feed(feed_id: str) -> dict[str, object]:
    """Time build and queries for one feed."""
    rel, day = FEEDS[feed_id]
    start = time.perf_counter()
    feed = read_gtfs_zip(SHARED_DATA / rel, feed_id)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    tt = compile_timetable([feed], [day])
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    _ = tt.backward
    backward_s = time.perf_counter() - start
    queries = seeded_queries(_served_stops(tt), feed_id, N_QUERIES)
    base = SearchOptions(max_transfers=5, max_walk_m=1000, with_geometry=False)
    geo = SearchOptions(max_transfers=5, max_walk_m=1000, with_geometry=True)
    plain, found = _time_queries(tt, queries, base)
    with_geometry, _ = _time_queries(tt, queries, geo)
    ranged, range_found = _time_queries(tt, queries[:N_RANGE_QUERIES], base, RANGE_WINDOW_S)
    return {
        "feed": feed_id,
        "service_date": day.isoformat(),
        "stops": tt.n_stops,
        "patterns": tt.n_patterns,
        "trip_instances": tt.n_trips,
        "footpaths": len(tt.forward.fp_to),
        "read_zip_s": round(read_s, 3),
        "compile_s": round(compile_s, 3),
        "reverse_arrays_s": round(backward_s, 3),
        "build_s": round(read_s + compile_s + backward_s, 3),
        "queries": N_QUERIES,
        "queries_with_result": found,
        "pareto_query": _percentiles_ms(plain),
        "pareto_query_with_geometry": _percentiles_ms(with_geometry),
        "range_queries": N_RANGE_QUERIES,
        "range_queries_with_result": range_found,
        "range_60min_query": _percentiles_ms(ranged),
    }


def main() -> None:
    """Run every feed, print a table, write the JSON results."""
    rows = [bench_feed(feed_id) for feed_id in FEEDS]
    header = (
        f"{'feed':8} {'build s':>8} {'compile s':>9} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'geo p50':>7} {'geo p95':>7} {'range p50':>9} {'range p95':>9}"
    )
    lines = [header]
    for r in rows:
        q = cast(dict[str, float], r["pareto_query"])
        g = cast(dict[str, float], r["pareto_query_with_geometry"])
        rq = cast(dict[str, float], r["range_60min_query"])
        lines.append(
            f"{r['feed']!s:8} {r['build_s']:>8} {r['compile_s']:>9} {q['p50_ms']:>7} "
            f"{q['p95_ms']:>7} {g['p50_ms']:>7} {g['p95_ms']:>7} {rq['p50_ms']:>9} "
            f"{rq['p95_ms']:>9}"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "results": rows,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
