"""A straightforward GTFS zip reader producing `FeedTables` (for tests and benchmarks).

The production importer validates feeds and produces `FeedTables` from PostgreSQL; this reader
is deliberately lenient and simple: it handles a UTF-8 BOM, surrounding whitespace, times such
as ``"7:30:00"``, blank times between timepoints (linear interpolation on `stop_sequence`),
missing calendar.txt or calendar_dates.txt, and expands frequencies.txt into trips.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from routing.tables import FeedTables, expand_frequencies


def parse_gtfs_times(values: pd.Series) -> np.ndarray:
    """Vectorised ``"H:MM:SS"`` / ``"HH:MM:SS"`` -> seconds (float64, NaN where blank)."""
    text = values.fillna("").astype(str).str.strip()
    parts = text.str.extract(r"^(\d+):(\d{1,2}):(\d{1,2})$")
    hours = pd.to_numeric(parts[0], errors="coerce")
    minutes = pd.to_numeric(parts[1], errors="coerce")
    seconds = pd.to_numeric(parts[2], errors="coerce")
    return (hours * 3600 + minutes * 60 + seconds).to_numpy(dtype="float64")


def _read_csv(archive: zipfile.ZipFile, names: dict[str, str], table: str) -> pd.DataFrame | None:
    member = names.get(f"{table}.txt")
    if member is None:
        return None
    raw = archive.read(member)
    frame = pd.read_csv(
        io.BytesIO(raw),
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
        skipinitialspace=True,
    )
    frame.columns = [str(col).strip().lstrip("\ufeff") for col in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def interpolate_stop_times(stop_times: pd.DataFrame) -> pd.DataFrame:
    """Fill blank `arrival_s`/`departure_s` (NaN) linearly on `stop_sequence` within a trip.

    A stop with only one of the two times gets it for both. Interpolated times are rounded to
    whole seconds. Rows outside the first and last timed stop of a trip keep NaN (the caller
    drops them: they cannot be routed).
    """
    st = stop_times.sort_values(["trip_id", "stop_sequence"], kind="stable").reset_index(drop=True)
    arr = st.arrival_s.to_numpy(dtype="float64")
    dep = st.departure_s.to_numpy(dtype="float64")
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)
    missing = np.isnan(arr)
    if missing.any():
        seq = st.stop_sequence.to_numpy(dtype="float64")
        known = pd.DataFrame(
            {
                "trip_id": st.trip_id,
                "seq_before": np.where(missing, np.nan, seq),
                "time_before": np.where(missing, np.nan, dep),
                "seq_after": np.where(missing, np.nan, seq),
                "time_after": np.where(missing, np.nan, arr),
            }
        )
        grouped = known.groupby("trip_id", sort=False)
        before = grouped[["seq_before", "time_before"]].ffill()
        after = grouped[["seq_after", "time_after"]].bfill()
        span = after.seq_after.to_numpy() - before.seq_before.to_numpy()
        frac = (seq - before.seq_before.to_numpy()) / np.where(span == 0, 1.0, span)
        t0 = before.time_before.to_numpy()
        filled = np.round(t0 + frac * (after.time_after.to_numpy() - t0))
        arr = np.where(missing, filled, arr)
        dep = np.where(missing, filled, dep)
    return st.assign(arrival_s=arr, departure_s=dep)


def read_gtfs_zip(path: str | Path, feed_id: str, timezone: str | None = None) -> FeedTables:
    """Read a GTFS zip into `FeedTables` (frequencies already expanded into trips).

    `timezone` defaults to the first agency's `agency_timezone` (UTC if there is none).
    """
    with zipfile.ZipFile(path) as archive:
        names = {Path(name).name: name for name in archive.namelist() if not name.endswith("/")}
        raw = {
            table: _read_csv(archive, names, table)
            for table in (
                "agency",
                "stops",
                "routes",
                "trips",
                "stop_times",
                "calendar",
                "calendar_dates",
                "transfers",
                "frequencies",
                "shapes",
            )
        }
    agency = raw.pop("agency")
    if timezone is None:
        zones = (
            agency.get("agency_timezone", pd.Series(dtype=str))
            if agency is not None
            else pd.Series(dtype=str)
        )
        timezone = str(zones.iloc[0]) if len(zones) else "UTC"

    stop_times = raw["stop_times"]
    if stop_times is not None:
        stop_times = stop_times.assign(
            stop_sequence=pd.to_numeric(stop_times.stop_sequence),
            arrival_s=parse_gtfs_times(stop_times.get("arrival_time", pd.Series(dtype=str))),
            departure_s=parse_gtfs_times(stop_times.get("departure_time", pd.Series(dtype=str))),
        )
        stop_times = interpolate_stop_times(stop_times)
        stop_times = stop_times[~np.isnan(stop_times.arrival_s.to_numpy(dtype="float64"))]
        raw["stop_times"] = stop_times
    frequencies = raw["frequencies"]
    if frequencies is not None:
        raw["frequencies"] = frequencies.assign(
            start_s=parse_gtfs_times(frequencies.start_time),
            end_s=parse_gtfs_times(frequencies.end_time),
            headway_s=pd.to_numeric(frequencies.headway_secs),
        )
    transfers = raw["transfers"]
    if transfers is not None:
        # Only stop-to-stop rules; trip- or route-specific rows (GTFS 2022+) are not modelled.
        for col in ("from_trip_id", "to_trip_id", "from_route_id", "to_route_id"):
            if col in transfers.columns:
                transfers = transfers[transfers[col] == ""]
        raw["transfers"] = transfers.replace({"min_transfer_time": {"": None}})
    tables = FeedTables.build(feed_id, timezone, **raw)
    return expand_frequencies(tables)
