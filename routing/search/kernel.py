"""The numba-compiled RAPTOR round loop over `SearchArrays` (Delling, Pajor, Werneck 2012).

Labels, per round ``k`` (number of trips used) and stop ``s``:

- ``tarr[k, s]``: earliest arrival at ``s`` *by a vehicle* with at most ``k`` trips; its
  parent is ``tarr_trip`` (search trip index), ``tarr_board`` / ``tarr_alight`` (positions in
  the pattern) and ``tarr_round`` (the round that created it).
- ``board[k, s]``: earliest time one is *ready to board* at ``s`` with at most ``k`` trips:
  the origin time (round 0), the arrival plus the stop's change time, or a footpath arrival.
  Parent: ``board_from`` (-1 for an origin), ``board_fp`` (footpath index, -1 for a change at
  the same stop or an origin) and ``board_round``.

A journey alternates ``[footpath] trip [footpath] trip ... [footpath]``: at most one
footpath between two trips (footpaths are not chained), which matches the reference CSA.
Labels are never reset between calls on the same arrays, which is what rRAPTOR needs: a later
call with an earlier departure only finds journeys that improve on the earlier calls.
"""

from __future__ import annotations

import numba
import numpy as np

INF = np.int64(1) << np.int64(62)
FP_TRANSFER = 1
FP_WALK = 2


@numba.njit(cache=True)
def raptor(
    pattern_stop_start: np.ndarray,
    pattern_stops: np.ndarray,
    pattern_pickup: np.ndarray,
    pattern_dropoff: np.ndarray,
    pattern_trip_start: np.ndarray,
    pattern_time_start: np.ndarray,
    arrival_s: np.ndarray,
    departure_s: np.ndarray,
    stop_pattern_start: np.ndarray,
    stop_patterns: np.ndarray,
    stop_pattern_pos: np.ndarray,
    fp_start: np.ndarray,
    fp_to: np.ndarray,
    fp_duration_s: np.ndarray,
    fp_distance_m: np.ndarray,
    fp_kind: np.ndarray,
    stop_change_s: np.ndarray,
    stop_ok: np.ndarray,
    trip_ok: np.ndarray,
    max_walk_m: float,
    walk_speed_mps: float,
    origin_stops: np.ndarray,
    origin_times: np.ndarray,
    target_egress: np.ndarray,
    tarr: np.ndarray,
    tarr_trip: np.ndarray,
    tarr_board: np.ndarray,
    tarr_alight: np.ndarray,
    tarr_round: np.ndarray,
    board: np.ndarray,
    board_from: np.ndarray,
    board_fp: np.ndarray,
    board_round: np.ndarray,
    target_best: np.ndarray,
    target_stop: np.ndarray,
    target_kind: np.ndarray,
    target_run: np.ndarray,
    run_id: int,
) -> None:
    """One RAPTOR run; updates the label arrays in place (see the module docstring).

    `target_egress[s]` is the egress seconds from stop ``s`` to the destination (INF if ``s``
    is not a target). `target_best[k]` is the best destination arrival with at most ``k``
    trips; `target_stop`/`target_kind` (0: by vehicle at the stop, 1: by the ready-to-board
    label, i.e. origin or footpath) tell how, and `target_run` which run found it.
    """
    n_rounds = tarr.shape[0]
    n_stops = len(stop_change_s)
    n_patterns = len(pattern_trip_start) - 1
    marked = np.zeros(n_stops, dtype=np.uint8)
    marked_list = np.empty(n_stops, dtype=np.int64)
    n_marked = 0
    arrived = np.zeros(n_stops, dtype=np.uint8)
    arrived_list = np.empty(n_stops, dtype=np.int64)
    n_arrived = 0
    touched = np.zeros(n_stops, dtype=np.uint8)
    touched_list = np.empty(n_stops, dtype=np.int64)
    n_touched = 0
    pattern_first = np.full(n_patterns, -1, dtype=np.int64)
    queue = np.empty(n_patterns, dtype=np.int64)

    # ---- round 0: origins, then footpaths from them
    for o in range(len(origin_stops)):
        s = origin_stops[o]
        t = origin_times[o]
        if stop_ok[s] and t < board[0, s]:
            board[0, s] = t
            board_from[0, s] = -1
            board_fp[0, s] = -1
            board_round[0, s] = 0
            if marked[s] == 0:
                marked[s] = 1
                marked_list[n_marked] = s
                n_marked += 1
            if touched[s] == 0:
                touched[s] = 1
                touched_list[n_touched] = s
                n_touched += 1
    for m in range(n_marked):
        s = marked_list[m]
        if board_from[0, s] != -1:
            continue
        t0 = board[0, s]
        if target_egress[s] < INF and t0 + target_egress[s] < target_best[0]:
            target_best[0] = t0 + target_egress[s]
            target_stop[0] = s
            target_kind[0] = 1
            target_run[0] = run_id
        for f in range(fp_start[s], fp_start[s + 1]):
            u = fp_to[f]
            if not stop_ok[u]:
                continue
            dur = fp_duration_s[f]
            if fp_kind[f] != FP_TRANSFER:
                if fp_kind[f] == FP_WALK and fp_distance_m[f] > max_walk_m:
                    continue
                dur = np.int64(np.ceil(fp_distance_m[f] / walk_speed_mps))
            v = t0 + dur
            if v < board[0, u] and v < target_best[0]:
                board[0, u] = v
                board_from[0, u] = s
                board_fp[0, u] = f
                board_round[0, u] = 0
                if marked[u] == 0:
                    marked[u] = 1
                    marked_list[n_marked] = u
                    n_marked += 1
                if touched[u] == 0:
                    touched[u] = 1
                    touched_list[n_touched] = u
                    n_touched += 1
                if target_egress[u] < INF and v + target_egress[u] < target_best[0]:
                    target_best[0] = v + target_egress[u]
                    target_stop[0] = u
                    target_kind[0] = 1
                    target_run[0] = run_id

    for k in range(1, n_rounds):
        # carry the labels touched in this run from round k-1 into round k, so that round k
        # always holds the best label with at most k trips (rRAPTOR keeps labels across runs)
        if target_best[k - 1] < target_best[k]:
            target_best[k] = target_best[k - 1]
            target_stop[k] = target_stop[k - 1]
            target_kind[k] = target_kind[k - 1]
            target_run[k] = target_run[k - 1]
        for m in range(n_touched):
            s = touched_list[m]
            if board[k - 1, s] < board[k, s]:
                board[k, s] = board[k - 1, s]
                board_from[k, s] = board_from[k - 1, s]
                board_fp[k, s] = board_fp[k - 1, s]
                board_round[k, s] = board_round[k - 1, s]
            if tarr[k - 1, s] < tarr[k, s]:
                tarr[k, s] = tarr[k - 1, s]
                tarr_trip[k, s] = tarr_trip[k - 1, s]
                tarr_board[k, s] = tarr_board[k - 1, s]
                tarr_alight[k, s] = tarr_alight[k - 1, s]
                tarr_round[k, s] = tarr_round[k - 1, s]
        for m in range(n_arrived):
            arrived[arrived_list[m]] = 0
        n_arrived = 0
        # patterns to scan, from their earliest marked position
        n_queue = 0
        for m in range(n_marked):
            s = marked_list[m]
            marked[s] = 0
            for x in range(stop_pattern_start[s], stop_pattern_start[s + 1]):
                p = stop_patterns[x]
                pos = stop_pattern_pos[x]
                if pattern_first[p] < 0:
                    queue[n_queue] = p
                    n_queue += 1
                    pattern_first[p] = pos
                elif pos < pattern_first[p]:
                    pattern_first[p] = pos
        n_marked = 0
        for q in range(n_queue):
            p = queue[q]
            first = pattern_first[p]
            pattern_first[p] = -1
            stop0 = pattern_stop_start[p]
            n_pos = pattern_stop_start[p + 1] - stop0
            trip0 = pattern_trip_start[p]
            n_trip = pattern_trip_start[p + 1] - trip0
            time0 = pattern_time_start[p]
            trip = -1
            board_pos = -1
            board_walked = False  # the boarding label was reached by a footpath
            for i in range(first, n_pos):
                s = pattern_stops[stop0 + i]
                if not stop_ok[s]:
                    continue
                if trip >= 0 and pattern_dropoff[stop0 + i]:
                    a = np.int64(arrival_s[time0 + i * n_trip + trip])
                    if a < tarr[k, s] and a < target_best[k]:
                        tarr[k, s] = a
                        tarr_trip[k, s] = trip0 + trip
                        tarr_board[k, s] = board_pos
                        tarr_alight[k, s] = i
                        tarr_round[k, s] = k
                        if arrived[s] == 0:
                            arrived[s] = 1
                            arrived_list[n_arrived] = s
                            n_arrived += 1
                        if touched[s] == 0:
                            touched[s] = 1
                            touched_list[n_touched] = s
                            n_touched += 1
                        if target_egress[s] < INF and a + target_egress[s] < target_best[k]:
                            target_best[k] = a + target_egress[s]
                            target_stop[k] = s
                            target_kind[k] = 0
                            target_run[k] = run_id
                if pattern_pickup[stop0 + i]:
                    b = board[k - 1, s]
                    if b < INF and (
                        trip < 0 or b <= np.int64(departure_s[time0 + i * n_trip + trip])
                    ):
                        # earliest instance leaving at or after b (departures are sorted)
                        lo = 0
                        hi = n_trip if trip < 0 else trip + 1
                        base = time0 + i * n_trip
                        while lo < hi:
                            mid = (lo + hi) >> 1
                            if np.int64(departure_s[base + mid]) < b:
                                lo = mid + 1
                            else:
                                hi = mid
                        j = lo
                        while j < n_trip and not trip_ok[trip0 + j]:
                            j += 1
                        if j < n_trip and (trip < 0 or j < trip):
                            trip = j
                            board_pos = i
                            board_walked = board_fp[k - 1, s] >= 0
                        elif j == trip and board_walked and board_fp[k - 1, s] < 0:
                            # Same vehicle, same arrivals: rather board it here, where the
                            # traveller already is, than walk to an earlier stop of its route.
                            board_pos = i
                            board_walked = False
        # footpaths (and the change at the same stop) after this round's arrivals
        for m in range(n_arrived):
            s = arrived_list[m]
            t = tarr[k, s]
            if tarr_round[k, s] != k:
                continue
            c = stop_change_s[s]
            if c >= 0 and t + c < board[k, s] and t + c < target_best[k]:
                board[k, s] = t + c
                board_from[k, s] = s
                board_fp[k, s] = -1
                board_round[k, s] = k
                if marked[s] == 0:
                    marked[s] = 1
                    marked_list[n_marked] = s
                    n_marked += 1
                if touched[s] == 0:
                    touched[s] = 1
                    touched_list[n_touched] = s
                    n_touched += 1
            for f in range(fp_start[s], fp_start[s + 1]):
                u = fp_to[f]
                if not stop_ok[u]:
                    continue
                dur = fp_duration_s[f]
                if fp_kind[f] != FP_TRANSFER:
                    if fp_kind[f] == FP_WALK and fp_distance_m[f] > max_walk_m:
                        continue
                    dur = np.int64(np.ceil(fp_distance_m[f] / walk_speed_mps))
                v = t + dur
                if v < board[k, u] and v < target_best[k]:
                    board[k, u] = v
                    board_from[k, u] = s
                    board_fp[k, u] = f
                    board_round[k, u] = k
                    if marked[u] == 0:
                        marked[u] = 1
                        marked_list[n_marked] = u
                        n_marked += 1
                    if touched[u] == 0:
                        touched[u] = 1
                        touched_list[n_touched] = u
                        n_touched += 1
                    if target_egress[u] < INF and v + target_egress[u] < target_best[k]:
                        target_best[k] = v + target_egress[u]
                        target_stop[k] = u
                        target_kind[k] = 1
                        target_run[k] = run_id


@numba.njit(cache=True)
def collect_departures(
    pattern_stop_start: np.ndarray,
    pattern_pickup: np.ndarray,
    pattern_trip_start: np.ndarray,
    pattern_time_start: np.ndarray,
    departure_s: np.ndarray,
    stop_pattern_start: np.ndarray,
    stop_patterns: np.ndarray,
    stop_pattern_pos: np.ndarray,
    fp_start: np.ndarray,
    fp_to: np.ndarray,
    fp_duration_s: np.ndarray,
    fp_distance_m: np.ndarray,
    fp_kind: np.ndarray,
    stop_ok: np.ndarray,
    trip_ok: np.ndarray,
    max_walk_m: float,
    walk_speed_mps: float,
    origin_stops: np.ndarray,
    origin_offsets: np.ndarray,
    start_s: int,
    end_s: int,
) -> np.ndarray:
    """Distinct departure times from the origins in ``[start_s, end_s]`` (rRAPTOR), descending.

    A departure time is when one leaves the origin: a vehicle's departure at an origin stop,
    or at a stop one footpath away, minus the access (and footpath) seconds.
    """
    out = []
    for o in range(len(origin_stops)):
        s0 = origin_stops[o]
        if not stop_ok[s0]:
            continue
        n_fp = fp_start[s0 + 1] - fp_start[s0]
        for x in range(-1, n_fp):
            if x < 0:
                s = s0
                offset = origin_offsets[o]
            else:
                f = fp_start[s0] + x
                s = fp_to[f]
                if not stop_ok[s]:
                    continue
                dur = fp_duration_s[f]
                if fp_kind[f] != FP_TRANSFER:
                    if fp_kind[f] == FP_WALK and fp_distance_m[f] > max_walk_m:
                        continue
                    dur = np.int64(np.ceil(fp_distance_m[f] / walk_speed_mps))
                offset = origin_offsets[o] + dur
            for y in range(stop_pattern_start[s], stop_pattern_start[s + 1]):
                p = stop_patterns[y]
                i = stop_pattern_pos[y]
                if not pattern_pickup[pattern_stop_start[p] + i]:
                    continue
                trip0 = pattern_trip_start[p]
                n_trip = pattern_trip_start[p + 1] - trip0
                base = pattern_time_start[p] + i * n_trip
                for j in range(n_trip):
                    if not trip_ok[trip0 + j]:
                        continue
                    t = np.int64(departure_s[base + j]) - offset
                    if start_s <= t <= end_s:
                        out.append(t)
    arr = np.array(out, dtype=np.int64)
    arr = np.unique(arr)
    return arr[::-1].copy()
