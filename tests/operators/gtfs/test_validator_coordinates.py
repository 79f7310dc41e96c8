"""Swapped coordinates that are still valid numbers (a Milan stop at 9.19,45.46)."""

from __future__ import annotations

import pandas as pd

from operators.gtfs.validator import _swapped_within_range


def test_a_swapped_stop_among_valid_ones_is_found() -> None:
    # given: six Milan stops, the fourth published as lon,lat
    lat = pd.Series([45.464, 45.478, 45.485, 9.190, 45.452, 45.470])
    lon = pd.Series([9.190, 9.205, 9.176, 45.470, 9.170, 9.230])
    # when
    swapped = _swapped_within_range(lat, lon, pd.Series([False] * 6))
    # then
    assert swapped.tolist() == [False, False, False, True, False, False]


def test_a_far_but_not_swapped_stop_is_left_alone() -> None:
    # given: a long-distance bus from Kofu also stops in Osaka (far, but not swapped)
    lat = pd.Series([35.667, 35.662, 35.651, 35.640, 35.630, 34.702])
    lon = pd.Series([138.569, 138.570, 138.580, 138.590, 138.600, 135.495])
    swapped = _swapped_within_range(lat, lon, pd.Series([False] * 6))
    assert swapped.tolist() == [False] * 6


def test_too_few_stops_to_judge() -> None:
    lat = pd.Series([45.464, 9.190])
    lon = pd.Series([9.190, 45.470])
    assert _swapped_within_range(lat, lon, pd.Series([False, False])).tolist() == [False, False]
