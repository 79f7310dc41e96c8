"""`/api/v1/plan` over real HTTP with bike share and on-demand enabled.

Like `benchmarks.api_plan`: a throwaway PostgreSQL database, feeds imported with
``manage.py import_feed``, ``manage.py build_snapshot``, then gunicorn (one worker, 2
threads) on 127.0.0.1 and N plans with the default modes (transit, walk, bikeshare,
ondemand) from a client on the same machine. Networks:

- ``tokyo``: a small HAND-MADE rail line (Tokyo - Ueno, real station positions; there is no
  Tokyo transit feed in ../shared/data) with the real Docomo Bike Share Tokyo station
  information and 08:00 status of 2022-06-29 (1,077 stations);
- ``cobb``: the CobbLinc deviated-route flex feed with the Cobb County OSM extract.

Run: ``python -m benchmarks.api_plan_multimodal`` (writes
benchmarks/results/api_plan_multimodal.json).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.api_plan import (
    BENCH_PG,
    ROOT,
    SHARED_DATA,
    _manage,
    _pct,
    _psql,
    gunicorn_server,
)

RESULTS = ROOT / "benchmarks" / "results" / "api_plan_multimodal.json"
N_PLANS = 300
SEED = 20261126
WORK = ROOT / "var" / "bench" / "multimodal"
TOKYO_LINE = [
    ("tokyo", "東京", 35.6812, 139.7671),
    ("kanda", "神田", 35.6918, 139.7709),
    ("akihabara", "秋葉原", 35.6984, 139.7731),
    ("okachimachi", "御徒町", 35.7075, 139.7748),
    ("ueno", "上野", 35.7138, 139.7770),
]


def _tokyo_gtfs(path: Path) -> None:
    rows = []
    for t in range(100):  # every 10 minutes from 05:00
        for seq, (stop, *_rest) in enumerate(TOKYO_LINE):
            minute = 300 + t * 10 + seq * 2
            clock = f"{minute // 60:02d}:{minute % 60:02d}:00"
            rows.append(f"T{t},{clock},{clock},{stop},{seq + 1}\n")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "agency.txt",
            "agency_id,agency_name,agency_url,agency_timezone\nA,Line,https://example.org,"
            "Asia/Tokyo\n",
        )
        archive.writestr(
            "stops.txt",
            "stop_id,stop_name,stop_lat,stop_lon\n"
            + "".join(f"{i},{n},{a},{b}\n" for i, n, a, b in TOKYO_LINE),
        )
        archive.writestr(
            "routes.txt",
            "route_id,agency_id,route_short_name,route_long_name,route_type\nL,A,L,Line,1\n",
        )
        archive.writestr(
            "calendar.txt",
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,"
            "end_date\nS,1,1,1,1,1,1,1,20220601,20220731\n",
        )
        archive.writestr(
            "trips.txt",
            "route_id,service_id,trip_id\n" + "".join(f"L,S,T{t}\n" for t in range(100)),
        )
        archive.writestr(
            "stop_times.txt",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(rows),
        )


def _docomo_folder(folder: Path) -> None:
    src = SHARED_DATA / "gbfs" / "docomo_cycle_tokyo_2022-06-29"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "station_information.json", folder / "station_information.json")
    shutil.copy(src / "station_status_0800.json", folder / "station_status.json")
    (folder / "system_information.json").write_text(
        json.dumps(
            {
                "last_updated": 1656457211,
                "ttl": 3600,
                "version": "2.3",
                "data": {
                    "system_id": "docomo-cycle-tokyo",
                    "language": "ja",
                    "name": "ドコモ・バイクシェア 東京",
                    "timezone": "Asia/Tokyo",
                },
            },
            ensure_ascii=False,
        )
    )


NETWORKS: dict[str, dict[str, Any]] = {
    "tokyo": {
        "day": dt.date(2022, 6, 29),
        "now": "2022-06-29T08:01:00+09:00",
        "tz": "+09:00",
        "box": (35.672, 35.716, 139.760, 139.780),
        "hours": (8, 9),
    },
    "cobb": {
        "day": dt.date(2021, 11, 2),
        "now": "2021-11-01T12:00:00-04:00",
        "tz": "-04:00",
        "box": (33.850, 33.876, -84.700, -84.600),
        "hours": (7, 18),
        "osm": "osm/cobb_county.osm.pbf",
    },
}


def _feeds(name: str, env: dict[str, str]) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    if name == "tokyo":
        gtfs = WORK / "tokyo_line.zip"
        _tokyo_gtfs(gtfs)
        _manage(env, "import_feed", "tokyo-line", str(gtfs), "--kind", "gtfs", "--create-operator")
        folder = WORK / "docomo"
        _docomo_folder(folder)
        _manage(env, "import_feed", "docomo", str(folder), "--kind", "gbfs", "--create-operator")
    else:
        path = SHARED_DATA / "gtfs-flex" / "cobblinc_scheduled_deviated_flex.zip"
        _manage(env, "import_feed", "cobb", str(path), "--kind", "gtfs-flex", "--create-operator")


def bench(name: str) -> dict[str, Any]:
    cfg = NETWORKS[name]
    db = f"maas_bench_mm_{name}"
    _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{db}"')
    snapshots = WORK / "snapshots" / name
    shutil.rmtree(snapshots, ignore_errors=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{BENCH_PG}/{db}",
        "DJANGO_SECRET_KEY": "benchmark-only-secret",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SNAPSHOT_DIR": str(snapshots),
        "SNAPSHOT_HORIZON_START": cfg["day"].isoformat(),
        "SNAPSHOT_HORIZON_DAYS": "2",
        "SNAPSHOT_AUTO_BUILD": "false",
        "SNAPSHOT_POLL_S": "3600",
        "PLAN_NOW": cfg["now"],
        "API_ANON_RATE": "100000/min",
        "API_USER_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(WORK / "media"),
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    if cfg.get("osm"):
        env["OSM_EXTRACTS"] = str(SHARED_DATA / cfg["osm"])
    result: dict[str, Any] = {"day": cfg["day"].isoformat(), "now": cfg["now"]}
    _manage(env, "migrate", "--noinput")
    _feeds(name, env)
    result["build_snapshot_command_s"] = round(_manage(env, "build_snapshot"), 2)
    with gunicorn_server(env) as (base, session):
        rng = random.Random(SEED)
        lat0, lat1, lon0, lon1 = cfg["box"]
        h0, h1 = cfg["hours"]
        samples: list[float] = []
        modes: dict[str, int] = {}
        errors = 0
        for i in range(N_PLANS + 1):
            minute = rng.randrange(h0 * 60, h1 * 60)
            params = {
                "from": f"{rng.uniform(lat0, lat1):.6f},{rng.uniform(lon0, lon1):.6f}",
                "to": f"{rng.uniform(lat0, lat1):.6f},{rng.uniform(lon0, lon1):.6f}",
                "depart_at": f"{cfg['day'].isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00"
                f"{cfg['tz']}",
            }
            start = time.perf_counter()
            response = session.get(f"{base}/api/v1/plan", params=params, timeout=60)
            elapsed = time.perf_counter() - start
            if i == 0:
                continue  # warm-up
            if response.status_code != 200:
                errors += 1
                continue
            samples.append(elapsed)
            for it in response.json()["itineraries"]:
                for leg in it["legs"]:
                    modes[leg["mode"]] = modes.get(leg["mode"], 0) + 1
        result["plan"] = {**_pct(samples), "queries": len(samples), "non_200": errors}
        result["legs_by_mode"] = dict(sorted(modes.items()))
    _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return result


def main(argv: list[str] | None = None) -> None:
    names = argv or list(NETWORKS)
    results = {name: bench(name) for name in names}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"cpus": os.cpu_count(), "networks": results}, indent=2))
    print(f"{'network':8} {'p50 ms':>8} {'p95 ms':>8} {'n':>5}  legs by mode")
    for name, r in results.items():
        plan = r["plan"]
        print(
            f"{name:8} {plan['p50_ms']:8.2f} {plan['p95_ms']:8.2f} {plan['queries']:5}  "
            f"{r['legs_by_mode']}"
        )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
