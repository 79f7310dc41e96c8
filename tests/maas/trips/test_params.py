"""Planning parameters: every bad input is a 400 that names the parameter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from maas.core.errors import ApiError
from maas.trips.params import LatLon, plan_query_parse

NOW = dt.datetime(2025, 6, 2, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_defaults_from_api_md() -> None:
    query = plan_query_parse(params={"from": "35.6664,138.5689", "to_stop": "yb:1234"}, now=NOW)
    assert query.origin == LatLon(35.6664, 138.5689)
    assert query.origin_stop is None
    assert (query.destination, query.destination_stop) == (None, "yb:1234")
    assert (query.time, query.arrive_by) == (NOW, False)
    assert query.modes == ("transit", "walk", "bikeshare", "ondemand")
    assert (query.wheelchair, query.max_walk_m, query.max_transfers) == (False, 1000, 5)
    assert (query.walk_speed_mps, query.num_itineraries) == (1.2, 5)


def test_arrive_by_and_modes() -> None:
    query = plan_query_parse(
        params={
            "from_stop": "a:1",
            "to_stop": "a:2",
            "arrive_by": "2025-06-02T09:30:00+09:00",
            "modes": "walk,transit,walk",
            "wheelchair": "true",
            "max_transfers": "0",
        },
        now=NOW,
    )
    assert query.arrive_by is True
    assert query.time == dt.datetime(2025, 6, 2, 0, 30, tzinfo=dt.UTC)
    assert query.modes == ("walk", "transit")
    assert (query.wheelchair, query.max_transfers) == (True, 0)


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"to_stop": "a:1"},
            "missing_parameter",
            "Give exactly one of from=lat,lon or from_stop=<stop id>.",
        ),
        (
            {"from": "35,138", "from_stop": "a:1", "to_stop": "a:2"},
            "conflicting_parameters",
            "Give exactly one of from=lat,lon or from_stop=<stop id>.",
        ),
        (
            {"from": "35.6;138.5", "to_stop": "a:1"},
            "invalid_coordinates",
            "from must be 'lat,lon' (e.g. 35.6664,138.5689); got '35.6;138.5'.",
        ),
        (
            {"from": "north,east", "to_stop": "a:1"},
            "invalid_coordinates",
            "from must be two decimal numbers 'lat,lon'; got 'north,east'.",
        ),
        (
            {"from_stop": "a:1", "to": "138.56,35.66"},
            "invalid_coordinates",
            "to is out of range: latitude must be within ±90 and longitude within ±180; "
            "got '138.56,35.66'.",
        ),
        (
            {
                "from_stop": "a:1",
                "to_stop": "a:2",
                "depart_at": "2025-06-02T08:00:00+09:00",
                "arrive_by": "2025-06-02T09:00:00+09:00",
            },
            "conflicting_parameters",
            "Give depart_at or arrive_by, not both.",
        ),
        (
            {"from_stop": "a:1", "to_stop": "a:2", "modes": "transit,teleport"},
            "invalid_modes",
            "modes must be a comma list of transit, walk, bikeshare, ondemand; unknown: teleport.",
        ),
    ],
)
def test_bad_input(params: dict[str, str], code: str, message: str) -> None:
    with pytest.raises(ApiError) as raised:
        plan_query_parse(params=params, now=NOW)
    assert raised.value.error_code == code
    assert raised.value.status_code == 400
    assert str(raised.value.detail) == message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_transfers", "11"),
        ("max_transfers", "-1"),
        ("max_walk_m", "-5"),
        ("num_itineraries", "0"),
        ("depart_at", "tomorrow morning"),
        ("wheelchair", "maybe"),
    ],
)
def test_out_of_range_values_name_the_parameter(name: str, value: str) -> None:
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        plan_query_parse(params={"from_stop": "a:1", "to_stop": "a:2", name: value}, now=NOW)
    assert list(raised.value.detail) == [name]
