"""Feed import benchmark: every GTFS / GTFS-JP / GTFS-Flex feed in ../shared/data through
the real importer into a throwaway PostgreSQL database, from upload to active.

Run as ``python -m benchmarks.feed_import [--only NAME_PART]``. Uses DATABASE_URL when it
points at PostgreSQL (a database of that name + "_feedbench" is created and dropped),
else ``postgres://postgres@127.0.0.1:5432/``. Each feed is imported in its own child
process so its peak RSS is its own; the figures (counts, warnings, errors, seconds from
upload to active, peak RSS) are printed as a table and written to
benchmarks/results/feed_import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

SHARED_DATA = Path(
    os.environ.get("SHARED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)
FOLDERS = ("gtfs", "gtfs-jp", "gtfs-flex", "gtfs-benchmark")
RESULTS = Path(__file__).resolve().parent / "results" / "feed_import.json"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"


def _bench_url() -> tuple[str, str]:
    """(URL of the throwaway database, URL of the maintenance database)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = DEFAULT_SERVER + "maas"
    parsed = urlparse(base)
    name = (parsed.path.lstrip("/") or "maas") + "_feedbench"
    return urlunparse(parsed._replace(path=f"/{name}")), urlunparse(
        parsed._replace(path="/postgres")
    )


def _admin(sql: str, maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(sql.encode())


def _one(path: Path, kind: str) -> dict[str, Any]:
    """Import one feed (in this process, Django already set up)."""
    from django.core.files import File

    from operators.models import FeedVersion
    from operators.services import feed_version_create, feed_version_import, operator_create

    slug = path.stem.lower().replace("_", "-").replace(".", "-")[:60]
    operator = operator_create(slug=slug, name_ja=slug)
    started = time.perf_counter()
    with path.open("rb") as fh:
        feed_version = feed_version_create(
            operator=operator,
            kind=kind,
            upload=File(fh, name=path.name),
            original_filename=path.name,
            enqueue=False,
        )
    result: FeedVersion = feed_version_import(feed_version_id=feed_version.pk)
    seconds = time.perf_counter() - started
    report = result.report or {}
    return {
        "feed": f"{path.parent.name}/{path.name}",
        "kind": kind,
        "status": result.status,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "counts": result.counts,
        "errors": len(report.get("errors", [])),
        "warnings": len(report.get("warnings", [])),
        "error_codes": sorted({e["code"] for e in report.get("errors", [])}),
        "warning_codes": sorted({w["code"] for w in report.get("warnings", [])}),
    }


def _child(path: str, kind: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maas.settings")
    import django

    django.setup()
    print(json.dumps(_one(Path(path), kind)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="import only feeds whose name contains this")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    db_url, maintenance_url = _bench_url()
    name = urlparse(db_url).path.lstrip("/")
    _admin(f'DROP DATABASE IF EXISTS "{name}"', maintenance_url)
    _admin(f'CREATE DATABASE "{name}"', maintenance_url)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),
        "DJANGO_SETTINGS_MODULE": "maas.settings",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "MEDIA_ROOT": f"/tmp/{name}-media",  # noqa: S108
    }
    root = Path(__file__).resolve().parents[1]
    rows: list[dict[str, Any]] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=root,
            env=env,
            check=True,
        )
        for folder in FOLDERS:
            for path in sorted((SHARED_DATA / folder).glob("*.zip")):
                if args.only and args.only not in path.name:
                    continue
                kind = "gtfs-flex" if folder == "gtfs-flex" else "gtfs"
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.feed_import", "--child", str(path), kind],
                    cwd=root,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
                row: dict[str, Any]
                if done.returncode != 0 or not lines:
                    row = {
                        "feed": f"{folder}/{path.name}",
                        "kind": kind,
                        "status": "crashed",
                        "stderr": done.stderr[-2000:],
                    }
                else:
                    row = json.loads(lines[-1])
                rows.append(row)
                print(
                    f"{row['feed']:<55} {row['status']:<8} {row.get('seconds', '-'):>7} s "
                    f"{row.get('peak_rss_mb', '-'):>7} MB  stop_times="
                    f"{row.get('counts', {}).get('stop_times', '-'):<7} "
                    f"errors={row.get('errors', '-')} warnings={row.get('warnings', '-')}",
                    flush=True,
                )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}"', maintenance_url)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "feeds": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
