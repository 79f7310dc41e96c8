"""`/api/v1/plan` over real HTTP on the benchmark networks, through the real pipeline.

Run as ``python -m benchmarks.api_plan [feed ...]``. For each of hart, milano and wmata it
creates a throwaway PostgreSQL database, imports the feed with ``manage.py import_feed``,
builds the snapshot with ``manage.py build_snapshot`` (timed: this is the "snapshot build"
from the active feed versions in PostgreSQL, OSM street footpaths for Milan), starts
gunicorn (one worker process) and measures, from a client on the same machine:

- 1,000 seeded random coordinate-to-coordinate plans (complete itineraries with geometry);
- 200 sixty-minute range queries (``window_s=3600``), coordinate to coordinate;
- the serving worker's resident memory (VmRSS) after the queries.

Writes benchmarks/results/api_plan.json. Needs PostgreSQL at BENCH_PG (default
postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import requests

from routing.gtfs_zip import read_gtfs_zip
from routing.tables import active_service_ids

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
BENCH_PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
RESULTS = ROOT / "benchmarks" / "results" / "api_plan.json"
PYTHON = sys.executable

FEEDS: dict[str, dict[str, Any]] = {
    "hart": {"zip": "gtfs-benchmark/hart_tampa_2021.zip", "day": dt.date(2021, 3, 2)},
    "milano": {
        "zip": "gtfs-benchmark/milano_atm_small_2014.zip",
        "day": dt.date(2014, 10, 21),
        "osm": "osm/milan_small.osm.pbf",
    },
    "wmata": {"zip": "gtfs-benchmark/wmata_metrorail_2026.zip", "day": dt.date(2026, 5, 5)},
}
N_PLANS = 1000
N_RANGE = 200
SEED = 20261126
JITTER_M = 150.0  # coordinates are stops moved up to this far, like a real address


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{BENCH_PG}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def _manage(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class BenchSession(requests.Session):
    """A client session bound to one gunicorn master (to read its worker's memory)."""

    master_pid: int = 0

    def worker_rss_mb(self) -> float | None:
        workers = _worker_pids(self.master_pid)
        return round(max(_rss_mb(p) for p in workers), 1) if workers else None


@contextmanager
def gunicorn_server(env: dict[str, str]) -> Iterator[tuple[str, BenchSession]]:
    """gunicorn (one worker, two threads) on a free loopback port with `env`; yields its
    base URL and a session once /readyz answers 200; stops the server on exit."""
    port = _free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "maas.wsgi",
            "--workers",
            "1",
            "--threads",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    session = BenchSession()
    session.master_pid = server.pid
    try:
        for _ in range(300):
            try:
                if session.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        yield base, session
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _pct(samples: list[float]) -> dict[str, float]:
    arr = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "max_ms": round(float(arr.max()), 2),
    }


def _queries(name: str, n: int, rng: random.Random) -> list[tuple[float, float, float, float, str]]:
    """Random (from, to, time) on the feed's day between stops that have trips."""
    cfg = FEEDS[name]
    feed = read_gtfs_zip(SHARED_DATA / cfg["zip"], name)
    services = active_service_ids(feed, cfg["day"])
    trips = set(feed.trips.trip_id[feed.trips.service_id.isin(services)])
    served = set(feed.stop_times.stop_id[feed.stop_times.trip_id.isin(trips)])
    stops = feed.stops[feed.stops.stop_id.isin(served)]
    lat = stops.stop_lat.to_numpy()
    lon = stops.stop_lon.to_numpy()
    tz = zoneinfo.ZoneInfo(feed.timezone)
    out = []
    for _ in range(n):
        a, b = rng.sample(range(len(stops)), 2)
        points = []
        for i in (a, b):
            bearing = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(0, JITTER_M)
            dlat = d * math.cos(bearing) / 111_320
            dlon = d * math.sin(bearing) / (111_320 * math.cos(math.radians(lat[i])))
            points.append((lat[i] + dlat, lon[i] + dlon))
        seconds = rng.randrange(6 * 3600, 20 * 3600)
        when = dt.datetime.combine(cfg["day"], dt.time(), tz) + dt.timedelta(seconds=seconds)
        out.append((*points[0], *points[1], when.isoformat()))
    return out


def bench_feed(name: str) -> dict[str, Any]:
    cfg = FEEDS[name]
    db = f"maas_bench_plan_{name}"
    _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{db}"')
    snapshots = ROOT / "var" / "bench" / name
    env = {
        **os.environ,
        "DATABASE_URL": f"{BENCH_PG}/{db}",
        "DJANGO_SECRET_KEY": "benchmark-only-secret",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SNAPSHOT_DIR": str(snapshots),
        "SNAPSHOT_HORIZON_START": cfg["day"].isoformat(),
        "SNAPSHOT_AUTO_BUILD": "false",
        "SNAPSHOT_POLL_S": "3600",
        "API_ANON_RATE": "100000/min",
        "API_USER_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(ROOT / "var" / "bench" / "media"),
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    if cfg.get("osm"):
        env["OSM_EXTRACTS"] = str(SHARED_DATA / cfg["osm"])
    result: dict[str, Any] = {"feed": cfg["zip"], "day": cfg["day"].isoformat()}
    result["migrate_s"] = round(_manage(env, "migrate", "--noinput"), 2)
    result["import_s"] = round(
        _manage(
            env,
            "import_feed",
            name,
            str(SHARED_DATA / cfg["zip"]),
            "--kind",
            "gtfs",
            "--create-operator",
        ),
        2,
    )
    result["build_snapshot_command_s"] = round(_manage(env, "build_snapshot"), 2)
    meta = json.loads(sorted(snapshots.glob("*/meta.json"))[-1].read_text())
    result["snapshot_build_s"] = meta["build_s"]
    result["snapshot_days"] = len(meta["dates"])
    result["snapshot_counts"] = meta["counts"]

    with gunicorn_server(env) as (base, session):
        rng = random.Random(SEED)
        plans = _queries(name, N_PLANS + 1, rng)
        ranges = _queries(name, N_RANGE + 1, rng)

        def run(
            queries: list[tuple[float, float, float, float, str]], extra: dict[str, str]
        ) -> tuple[list[float], int, int]:
            samples, found, legs = [], 0, 0
            for i, (la, lo, lb, lob, when) in enumerate(queries):
                params = {
                    "from": f"{la:.6f},{lo:.6f}",
                    "to": f"{lb:.6f},{lob:.6f}",
                    "depart_at": when,
                    **extra,
                }
                start = time.perf_counter()
                response = session.get(f"{base}/api/v1/plan", params=params, timeout=30)
                elapsed = time.perf_counter() - start
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code} {response.text[:500]} {params}")
                body = response.json()
                if i == 0:
                    continue  # warm-up
                samples.append(elapsed)
                found += bool(body["itineraries"])
                legs += sum(len(it["legs"]) for it in body["itineraries"])
            return samples, found, legs

        samples, found, legs = run(plans, {})
        result["plan"] = {
            **_pct(samples),
            "queries": len(samples),
            "with_itineraries": found,
            "legs_returned": legs,
        }
        samples, found, _ = run(ranges, {"window_s": "3600", "num_itineraries": "20"})
        result["range_60min"] = {
            **_pct(samples),
            "queries": len(samples),
            "with_itineraries": found,
        }
        result["worker_rss_mb"] = session.worker_rss_mb()
    _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return result


def main(argv: list[str] | None = None) -> None:
    names = argv or list(FEEDS)
    feeds = {name: bench_feed(name) for name in names}
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "feeds": feeds,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(
        f"{'feed':8} {'import s':>8} {'build s':>8} {'plan p50':>9} {'p95':>7} "
        f"{'range p50':>10} {'p95':>7} {'RSS MB':>7}"
    )
    for name, r in feeds.items():
        print(
            f"{name:8} {r['import_s']:8.2f} {r['snapshot_build_s']:8.2f} "
            f"{r['plan']['p50_ms']:9.2f} {r['plan']['p95_ms']:7.2f} "
            f"{r['range_60min']['p50_ms']:10.2f} {r['range_60min']['p95_ms']:7.2f} "
            f"{r['worker_rss_mb']:7.1f}"
        )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
