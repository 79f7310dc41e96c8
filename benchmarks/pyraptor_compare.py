"""Our RAPTOR engine against `pyraptor` (PyPI) on the same feeds and the same seeded queries.

Run as ``python -m benchmarks.pyraptor_compare`` from the repository root with the project venv
(``--help`` for the options). It

1. creates, if missing, a separate virtualenv ``var/bench-venvs/pyraptor`` and pip-installs
   ``pyraptor`` (pinned, plus the pins it needs to import at all; see `PYRAPTOR_PINS`) into it
   — never into the project venv;
2. per feed, builds our timetable and picks the seeded random stop-to-stop queries exactly as
   `benchmarks.routing_engine` does (same seed, date, stops and departure times; the first
   ``--pyraptor-queries`` of its 1,000 go to pyraptor), times our engine on them, then runs
   ``benchmarks/_pyraptor_driver.py`` with the pyraptor venv's python under a per-feed time
   budget (``--budget-s``, default 600 s for preprocessing + queries; the driver is killed
   when it runs out and what it finished is reported);
3. compares per-query time (pyraptor / ours, over the queries both answered) and how often the
   earliest arrival times agree exactly, classifies the disagreements, prints a table and
   writes benchmarks/results/pyraptor_compare.json.

Fair setting: pyraptor has no walking footpaths between stops; it only transfers between the
stops of one "station" (and at the same stop, with no change time). Our engine is therefore
run with ``max_walk_m=0`` (no walking footpaths; footpaths between the stops of one parent
station stay, as in pyraptor once the driver groups stations by parent_station and gives those
transfers our walking times), ``max_transfers=5`` (6 trips = pyraptor's 6 rounds), depart-at,
no geometry; "earliest arrival" is the earliest arrival of our Pareto set. None of the three
feeds has transfers.txt or frequencies.txt. The benchmark's own setting (``max_walk_m=1000``)
is timed too, for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.routing_engine import (
    FEEDS,
    N_QUERIES,
    SHARED_DATA,
    _percentiles_ms,
    _served_stops,
    _time_queries,
    seeded_queries,
)
from routing.gtfs_zip import read_gtfs_zip
from routing.itinerary import MODE_WALK
from routing.search import SearchOptions, StopAccess, plan
from routing.timetable import DEFAULT_DETOUR_FACTOR, DEFAULT_WALK_SPEED_MPS, compile_timetable

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "var" / "bench-venvs" / "pyraptor"
WORK = ROOT / "var" / "pyraptor-compare"
DRIVER = Path(__file__).resolve().with_name("_pyraptor_driver.py")
RESULTS = Path(__file__).resolve().parent / "results" / "pyraptor_compare.json"

PYRAPTOR_VERSION = "1.3.10"  # latest on PyPI when this was written
#: pyraptor 1.3.10 pins pandas<2 (1.5.3, built against numpy 1.x) but not numpy, so pip picks
#: numpy 2 and pandas fails to import; it also imports `attr` without declaring attrs.
PYRAPTOR_PINS = (f"pyraptor=={PYRAPTOR_VERSION}", "numpy==1.26.4", "attrs==26.1.0")
MAX_TRANSFERS = 5
FAIR = SearchOptions(max_transfers=MAX_TRANSFERS, max_walk_m=0, with_geometry=False)
FAIR_WIDE = SearchOptions(max_transfers=10, max_walk_m=0, with_geometry=False)
BENCH = SearchOptions(max_transfers=MAX_TRANSFERS, max_walk_m=1000, with_geometry=False)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_pyraptor_venv() -> dict[str, Any]:
    """Create the separate venv and install the pins if needed; report what is installed."""
    info: dict[str, Any] = {"venv": str(VENV.relative_to(ROOT)), "pins": list(PYRAPTOR_PINS)}
    py = venv_python()
    try:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        probe = [str(py), "-c", "import importlib.metadata as m; print(m.version('pyraptor'))"]
        current = subprocess.run(probe, capture_output=True, text=True)
        if current.returncode != 0 or current.stdout.strip() != PYRAPTOR_VERSION:
            install = subprocess.run(
                [str(py), "-m", "pip", "install", "--quiet", *PYRAPTOR_PINS],
                capture_output=True,
                text=True,
            )
            if install.returncode != 0:
                info["install_error"] = install.stderr.strip()[-2000:]
                return info
        check = subprocess.run(
            [str(py), "-c", "import pyraptor.model.raptor, pyraptor.gtfs.timetable"],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            info["install_error"] = check.stderr.strip()[-2000:]
        freeze = subprocess.run(
            [str(py), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
        )
        info["freeze"] = freeze.stdout.split()
        info["pyraptor_version"] = next(
            (line.split("==")[1] for line in info["freeze"] if line.startswith("pyraptor==")),
            None,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        info["install_error"] = f"{type(exc).__name__}: {exc}"
    return info


def ours(tt: Any, queries: list[tuple[int, int, int]]) -> tuple[list[float], list[dict[str, Any]]]:
    """Time our engine (fair setting) and keep the earliest arrival of each Pareto set."""
    a, b, t = queries[0]
    plan(tt, [StopAccess(a)], [StopAccess(b)], t, FAIR)  # warm-up (numba load)
    samples: list[float] = []
    answers: list[dict[str, Any]] = []
    for a, b, t in queries:
        start = time.perf_counter()
        result = plan(tt, [StopAccess(a)], [StopAccess(b)], t, FAIR)
        samples.append(time.perf_counter() - start)
        if not result.itineraries:
            answers.append({"arrival": None, "trips": None, "starts_with_walk": False})
            continue
        best = min(result.itineraries, key=lambda it: (it.arrival_s, it.transfers))
        answers.append(
            {
                "arrival": int(best.arrival_s),
                "trips": best.transfers + 1,
                "starts_with_walk": best.legs[0].mode == MODE_WALK,
            }
        )
    return samples, answers


def run_pyraptor(
    feed_id: str,
    zip_path: Path,
    date: str,
    queries: list[tuple[str, str, int]],
    budget_s: float,
) -> dict[str, Any]:
    """Run the driver under the budget; parse whatever it wrote before finishing or dying."""
    WORK.mkdir(parents=True, exist_ok=True)
    qfile = WORK / f"{feed_id}_queries.json"
    qfile.write_text(json.dumps(queries))
    out_path = WORK / f"{feed_id}_driver.jsonl"
    err_path = WORK / f"{feed_id}_driver.stderr"
    cmd = [
        str(venv_python()),
        str(DRIVER),
        "--gtfs",
        str(zip_path),
        "--date",
        date,
        "--queries",
        str(qfile),
        "--rounds",
        str(MAX_TRANSFERS + 1),
        "--walk-speed",
        str(DEFAULT_WALK_SPEED_MPS),
        "--detour",
        str(DEFAULT_DETOUR_FACTOR),
    ]
    start = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        try:
            returncode: int | None = proc.wait(timeout=budget_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            returncode, timed_out = None, True
    wall_s = time.perf_counter() - start
    events = []
    for line in out_path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut short by the kill
    stderr = err_path.read_text().strip()
    return {
        "wall_s": round(wall_s, 1),
        "timed_out": timed_out,
        "returncode": returncode,
        "stderr_tail": stderr[-1500:] if returncode not in (0, None) else "",
        "stock": next((e for e in events if e["event"] == "stock_preprocess"), None),
        "preprocess": next((e for e in events if e["event"] == "preprocess"), None),
        "queries": [e for e in events if e["event"] == "query"],
    }


def _ms(values: list[float]) -> dict[str, float]:
    arr = np.array(values) * 1000
    return {
        "mean_ms": round(float(arr.mean()), 3),
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
    }


def compare(
    tt: Any,
    queries: list[tuple[int, int, int]],
    samples: list[float],
    answers: list[dict[str, Any]],
    py: dict[str, Any],
) -> dict[str, Any]:
    """Speed ratio and agreement over the queries pyraptor answered."""
    done = [q for q in py["queries"] if q["error"] is None and q["s"] is not None]
    out: dict[str, Any] = {
        "pyraptor_queries_answered": len(done),
        "pyraptor_query_errors": [q for q in py["queries"] if q["error"] is not None][:5],
        "pyraptor_query_errors_count": sum(q["error"] is not None for q in py["queries"]),
    }
    if not done:
        return out
    idx = [q["i"] for q in done]
    ours_s = [samples[i] for i in idx]
    py_s = [q["s"] for q in done]
    out["ours_same_queries"] = _ms(ours_s)
    out["pyraptor_per_query"] = _ms(py_s)
    out["ratio_mean"] = round(float(np.mean(py_s) / np.mean(ours_s)), 1)
    out["ratio_p50"] = round(float(np.median(py_s) / np.median(ours_s)), 1)
    classes: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    agree = 0
    for q in done:
        i = q["i"]
        mine, theirs = answers[i]["arrival"], q["arrival"]
        if mine == theirs:
            agree += 1
            continue
        a, b, t = queries[i]
        if mine is not None and (theirs is None or mine < theirs):
            kind = "ours_earlier"
            if answers[i]["starts_with_walk"]:
                kind += ":origin_station_footpath"
        else:
            kind = "pyraptor_earlier"
            wide = plan(tt, [StopAccess(a)], [StopAccess(b)], t, FAIR_WIDE)
            wide_best = min((it.arrival_s for it in wide.itineraries), default=None)
            if wide_best is not None and wide_best <= theirs:
                kind += ":more_than_6_trips"
        if mine is None or theirs is None:
            kind += ":one_side_unreachable"
        classes[kind] = classes.get(kind, 0) + 1
        if len(examples) < 8:
            examples.append(
                {
                    "query": i,
                    "from": str(tt.stop_ids[a]),
                    "to": str(tt.stop_ids[b]),
                    "depart_s": t,
                    "ours_arrival_s": mine,
                    "ours_trips": answers[i]["trips"],
                    "pyraptor_arrival_s": theirs,
                    "pyraptor_trips": q["trips"],
                    "kind": kind,
                }
            )
    out["agree"] = agree
    stock_agree = sum(answers[q["i"]]["arrival"] == q["arrival_last_round"] for q in done)
    out["agree_pct_stock_readout"] = round(100 * stock_agree / len(done), 1)
    out["agree_pct"] = round(100 * agree / len(done), 1)
    out["both_unreachable"] = sum(
        answers[q["i"]]["arrival"] is None and q["arrival"] is None for q in done
    )
    reachable = len(done) - out["both_unreachable"]
    out["agree_reachable"] = f"{agree - out['both_unreachable']}/{reachable}"
    out["disagreements"] = classes
    out["disagreement_examples"] = examples
    return out


def bench_feed(
    feed_id: str, n_ours: int, n_pyraptor: int, budget_s: float, pyraptor_ok: bool
) -> dict[str, Any]:
    rel, day = FEEDS[feed_id]
    zip_path = SHARED_DATA / rel
    start = time.perf_counter()
    tt = compile_timetable([read_gtfs_zip(zip_path, feed_id)], [day])
    build_s = time.perf_counter() - start
    queries = seeded_queries(_served_stops(tt), feed_id, max(n_ours, n_pyraptor))
    samples, answers = ours(tt, queries[:n_ours])
    bench_samples, _ = _time_queries(tt, queries[:n_ours], BENCH)
    row: dict[str, Any] = {
        "feed": feed_id,
        "service_date": day.isoformat(),
        "ours_build_s": round(build_s, 2),
        "ours_queries": n_ours,
        "ours_queries_with_result": sum(a["arrival"] is not None for a in answers),
        "ours_fair": _percentiles_ms(samples),
        "ours_benchmark_setting": _percentiles_ms(bench_samples),
        "pyraptor_queries": n_pyraptor,
        "budget_s": budget_s,
    }
    if not pyraptor_ok:
        return row
    prefix = f"{feed_id}:"
    py_queries = [
        (str(tt.stop_ids[a]).removeprefix(prefix), str(tt.stop_ids[b]).removeprefix(prefix), t)
        for a, b, t in queries[:n_pyraptor]
    ]
    if n_pyraptor > n_ours:  # pyraptor's queries must have our answers too
        extra_samples, extra_answers = ours(tt, queries[n_ours:n_pyraptor])
        samples, answers = samples + extra_samples, answers + extra_answers
    py = run_pyraptor(feed_id, zip_path, day.strftime("%Y%m%d"), py_queries, budget_s)
    prep = py["preprocess"] or {}
    prep_s = sum(prep.get(k, 0.0) for k in ("read_s", "convert_s", "write_s", "load_s"))
    row["pyraptor"] = {
        "wall_s": py["wall_s"],
        "finished": not py["timed_out"] and py["returncode"] == 0,
        "timed_out_after_s": budget_s if py["timed_out"] else None,
        "returncode": py["returncode"],
        "stderr_tail": py["stderr_tail"],
        "stock_preprocess": py["stock"],
        "preprocess": prep,
        "preprocess_s": round(prep_s, 2) if prep.get("ok") else None,
        **compare(tt, queries, samples, answers, py),
    }
    per_q = row["pyraptor"].get("pyraptor_per_query")
    if per_q and py["timed_out"]:
        row["pyraptor"]["projected_s_for_all_queries"] = round(
            prep_s + n_pyraptor * per_q["mean_ms"] / 1000, 0
        )
    return row


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'feed':7} {'ours p50':>8} {'ours p95':>8} {'py done':>9} {'py ms/q':>9} "
        f"{'py p50':>9} {'prep s':>7} {'ratio':>8} {'ratio p50':>9} {'agree %':>7} "
        f"{'agree/reach':>9}  note"
    )
    lines = [header]
    for r in rows:
        p = r.get("pyraptor", {})
        per_q = p.get("pyraptor_per_query", {})
        note = ""
        if p.get("timed_out_after_s"):
            note = f"killed at {p['timed_out_after_s']:.0f} s budget"
        elif p and not p.get("finished"):
            note = "driver failed"
        if p.get("preprocess") and not p["preprocess"].get("ok", True):
            note = f"preprocess failed: {p['preprocess'].get('error')}"
        lines.append(
            f"{r['feed']:7} {r['ours_fair']['p50_ms']:>8} {r['ours_fair']['p95_ms']:>8} "
            f"{p.get('pyraptor_queries_answered', 0):>4}/{r['pyraptor_queries']:<4} "
            f"{per_q.get('mean_ms', '-')!s:>9} {per_q.get('p50_ms', '-')!s:>9} "
            f"{p.get('preprocess_s', '-')!s:>7} {p.get('ratio_mean', '-')!s:>8} "
            f"{p.get('ratio_p50', '-')!s:>9} {p.get('agree_pct', '-')!s:>7} "
            f"{p.get('agree_reachable', '-')!s:>9}  {note}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=N_QUERIES, help="our queries per feed")
    parser.add_argument(
        "--pyraptor-queries",
        type=int,
        default=200,
        help="queries per feed given to pyraptor (the first ones of ours)",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=600.0,
        help="per-feed wall-clock budget for pyraptor preprocessing + queries",
    )
    parser.add_argument("--feeds", nargs="+", choices=list(FEEDS), default=list(FEEDS))
    args = parser.parse_args()

    install = ensure_pyraptor_venv()
    ok = "install_error" not in install
    if not ok:
        sys.stdout.write(f"pyraptor unavailable: {install['install_error']}\n")
    rows = []
    for feed_id in args.feeds:
        sys.stdout.write(f"{feed_id}: ...\n")
        sys.stdout.flush()
        rows.append(bench_feed(feed_id, args.queries, args.pyraptor_queries, args.budget_s, ok))
    sys.stdout.write(f"pyraptor {install.get('pyraptor_version')} (venv {install['venv']})\n")
    sys.stdout.write(table(rows) + "\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": "python -m benchmarks.pyraptor_compare " + " ".join(sys.argv[1:]),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "pyraptor_install": install,
        "settings": {
            "ours": "depart-at, max_transfers=5, max_walk_m=0, no geometry",
            "pyraptor": (
                "RaptorAlgorithm.run([origin stop], t, rounds=6); best target label over all"
                " rounds (bag_star). agree_pct_stock_readout: last round's label instead, as"
                " pyraptor's run_raptor reads it"
            ),
            "ratio": "pyraptor per-query time / ours, over the queries pyraptor answered",
        },
        "results": rows,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
