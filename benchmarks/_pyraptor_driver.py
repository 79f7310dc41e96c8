"""Answer stop-to-stop earliest-arrival queries with `pyraptor` (runs in pyraptor's own venv).

Not imported by the project: `benchmarks.pyraptor_compare` runs it as
``var/bench-venvs/pyraptor/bin/python benchmarks/_pyraptor_driver.py --gtfs FEED.zip
--date YYYYMMDD --queries QUERIES.json --rounds 6 --walk-speed 1.2 --detour 1.3``
and reads one JSON object per line from stdout (so a run killed by the time budget still
leaves every finished query behind):

- ``{"event": "stock_preprocess", "ok": bool, "s": float, "error": str | null}``: pyraptor's own
  GTFS reader (`pyraptor.gtfs.timetable.read_gtfs_timetable`, written for the Dutch NS feed)
  run unchanged on the extracted feed.
- ``{"event": "preprocess", "read_s", "convert_s", "write_s", "load_s", ...}``: the adapted
  path used for the queries. Our reader builds the frames pyraptor's converter expects
  (services active on the date from calendar.txt + calendar_dates.txt, times via pyraptor's
  `str2sec`, "station" = GTFS parent_station or the stop itself); then pyraptor's own
  `gtfs_to_pyraptor_timetable` converts them, transfer layover times between the stops of a
  station are set to the walking time our engine uses for the same pair (instead of
  pyraptor's flat 120 s), and the timetable goes through pyraptor's joblib cache
  (`write_timetable` / `read_timetable`), as its query scripts load it.
- ``{"event": "query", "i", "s", "arrival", "arrival_last_round", "trips", "error"}`` per
  query: one `RaptorAlgorithm.run([origin stop], time, rounds)`, then the destination's best
  label over all rounds (``arrival``; null when unreachable), the destination's label in the
  last round as pyraptor's own `run_raptor` reads it (``arrival_last_round``: infinite when
  the search converged before the last round, a pyraptor bug) and `reconstruct_journey`
  (``trips``: distinct trips of the reconstructed journey).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from loguru import logger
from pyraptor.dao.timetable import read_timetable, write_timetable
from pyraptor.gtfs.timetable import (
    GtfsTimetable,
    gtfs_to_pyraptor_timetable,
    read_gtfs_timetable,
)
from pyraptor.model.raptor import RaptorAlgorithm, reconstruct_journey
from pyraptor.util import LARGE_NUMBER, str2sec

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EARTH_RADIUS_M = 6_371_008.8


def emit(**payload: Any) -> None:
    """One JSON line on stdout, flushed at once."""
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def short_error(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, for the report."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def read_table(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.txt"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def active_services(folder: Path, date: str) -> set[str]:
    """GTFS calendar semantics: weekday + date range, then calendar_dates exceptions."""
    active: set[str] = set()
    weekday = WEEKDAYS[pd.Timestamp(date).weekday()]
    calendar = read_table(folder, "calendar")
    if calendar is not None and len(calendar):
        running = calendar[
            (calendar[weekday] == "1")
            & (calendar.start_date.astype(int) <= int(date))
            & (calendar.end_date.astype(int) >= int(date))
        ]
        active |= set(running.service_id)
    dates = read_table(folder, "calendar_dates")
    if dates is not None and len(dates):
        today = dates[dates.date == date]
        active |= set(today.service_id[today.exception_type == "1"])
        active -= set(today.service_id[today.exception_type == "2"])
    return active


def adapted_gtfs(folder: Path, date: str) -> GtfsTimetable:
    """The frames `gtfs_to_pyraptor_timetable` reads, from any GTFS feed."""
    services = active_services(folder, date)
    trips = read_table(folder, "trips")
    assert trips is not None
    trips = trips[trips.service_id.isin(services)]
    trips = pd.DataFrame(
        {
            "route_id": trips.route_id,
            "service_id": trips.service_id,
            "trip_id": trips.trip_id,
            "trip_short_name": pd.array([pd.NA] * len(trips), dtype="Int64"),
            "trip_long_name": trips.get("trip_headsign", ""),
        }
    )
    stop_times = read_table(folder, "stop_times")
    assert stop_times is not None
    stop_times = stop_times[stop_times.trip_id.isin(set(trips.trip_id))]
    stop_times = pd.DataFrame(
        {
            "trip_id": stop_times.trip_id,
            "stop_sequence": stop_times.stop_sequence.astype(int),
            "stop_id": stop_times.stop_id,
            "arrival_time": stop_times.arrival_time.apply(str2sec),
            "departure_time": stop_times.departure_time.apply(str2sec),
        }
    )
    stops_full = read_table(folder, "stops")
    assert stops_full is not None
    stops = stops_full[stops_full.stop_id.isin(set(stop_times.stop_id))]
    parent = stops.get("parent_station", pd.Series([""] * len(stops), index=stops.index))
    station = parent.where(parent != "", stops.stop_id)
    gtfs = GtfsTimetable()
    gtfs.trips = trips
    gtfs.stop_times = stop_times
    # pyraptor keys stations by stop_name: put the station key there; platform_code "?".
    gtfs.stops = pd.DataFrame(
        {
            "stop_id": stops.stop_id,
            "stop_name": station,
            "parent_station": station,
            "platform_code": None,
        }
    )
    return gtfs


def walking_layovers(timetable: Any, folder: Path, walk_speed: float, detour: float) -> int:
    """Transfer time between two stops of one station = our engine's station footpath time."""
    stops = read_table(folder, "stops")
    assert stops is not None
    coords = {
        row.stop_id: (float(row.stop_lat), float(row.stop_lon))
        for row in stops.itertuples(index=False)
    }
    changed = 0
    for transfer in timetable.transfers:
        lat1, lon1 = coords[transfer.from_stop.id]
        lat2, lon2 = coords[transfer.to_stop.id]
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0))) * detour
        transfer.layovertime = math.ceil(metres / walk_speed)
        changed += 1
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gtfs", required=True, type=Path)
    parser.add_argument("--date", required=True, help="service date YYYYMMDD")
    parser.add_argument("--queries", required=True, type=Path, help="JSON [[from, to, t], ...]")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--walk-speed", type=float, default=1.2)
    parser.add_argument("--detour", type=float, default=1.3)
    parser.add_argument("--skip-stock", action="store_true")
    args = parser.parse_args()
    logger.disable("pyraptor")  # its per-round INFO logging is not part of the algorithm

    with tempfile.TemporaryDirectory(prefix="pyraptor-") as tmp:
        folder = Path(tmp) / "gtfs"
        with zipfile.ZipFile(args.gtfs) as archive:
            archive.extractall(folder)

        if not args.skip_stock:
            agency = read_table(folder, "agency")
            names = [] if agency is None else sorted(set(agency.get("agency_name", [])))
            start = time.perf_counter()
            try:
                stock = read_gtfs_timetable(str(folder), args.date, names)
                gtfs_to_pyraptor_timetable(stock)
                emit(event="stock_preprocess", ok=True, s=time.perf_counter() - start, error=None)
            except Exception as exc:
                emit(
                    event="stock_preprocess",
                    ok=False,
                    s=time.perf_counter() - start,
                    error=short_error(exc),
                )

        try:
            start = time.perf_counter()
            gtfs = adapted_gtfs(folder, args.date)
            read_s = time.perf_counter() - start
            start = time.perf_counter()
            timetable = gtfs_to_pyraptor_timetable(gtfs)
            n_transfers = walking_layovers(timetable, folder, args.walk_speed, args.detour)
            convert_s = time.perf_counter() - start
            cache = Path(tmp) / "timetable"
            start = time.perf_counter()
            write_timetable(str(cache), timetable)
            write_s = time.perf_counter() - start
            start = time.perf_counter()
            timetable = read_timetable(str(cache))
            load_s = time.perf_counter() - start
        except Exception as exc:
            emit(event="preprocess", ok=False, error=short_error(exc))
            return
        emit(
            event="preprocess",
            ok=True,
            error=None,
            read_s=read_s,
            convert_s=convert_s,
            write_s=write_s,
            load_s=load_s,
            stations=len(timetable.stations),
            stops=len(timetable.stops),
            trips=len(timetable.trips),
            routes=len(timetable.routes),
            transfers=n_transfers,
        )

    queries = json.loads(args.queries.read_text())
    stops = timetable.stops.set_idx
    for i, (origin, destination, dep) in enumerate(queries):
        if origin not in stops or destination not in stops:
            emit(event="query", i=i, s=None, arrival=None, trips=None, error="stop not served")
            continue
        start = time.perf_counter()
        try:
            target = stops[destination]
            algorithm = RaptorAlgorithm(timetable)
            bags = algorithm.run([stops[origin]], int(dep), args.rounds)
            # What pyraptor's own `query_raptor.run_raptor` reads: the last round's bag.
            last_round = bags[args.rounds][target].earliest_arrival_time
            # `run` stops early once no stop is marked and leaves the later rounds' bags at
            # infinity, so the last round alone misses every journey of a search that
            # converged early: take the best over all rounds (`bag_star`) instead.
            arrival = algorithm.bag_star[target].earliest_arrival_time
            trips = None
            if arrival < LARGE_NUMBER:
                k = min(r for r in bags if bags[r][target].earliest_arrival_time == arrival)
                journey = reconstruct_journey(target, bags[k])
                trips = len({leg.trip.id for leg in journey.legs if leg.trip is not None})
        except Exception as exc:
            emit(event="query", i=i, s=None, arrival=None, trips=None, error=short_error(exc))
            continue
        elapsed = time.perf_counter() - start
        emit(
            event="query",
            i=i,
            s=elapsed,
            arrival=int(arrival) if arrival < LARGE_NUMBER else None,
            arrival_last_round=int(last_round) if last_round < LARGE_NUMBER else None,
            trips=trips,
            error=None,
        )


if __name__ == "__main__":
    main()
