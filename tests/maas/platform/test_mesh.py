from __future__ import annotations

import pytest

from maas.platform.mesh import mesh_bounds, mesh_center, mesh_code, mesh_polygon

# Known points with their codes, from public references (the JIS X 0410 examples quoted by
# mesh libraries' test suites: chiriin, waffle-map, plateau-utils, jpgrid, arcclimate).
KNOWN = [
    # Tokyo Station
    (35.681236, 139.767125, "5339", "533946", "53394611"),
    # Sapporo (prefectural office)
    (43.062072, 141.354368, "6441", "644142", "64414278"),
    # Aomori
    (40.8227, 140.7469, "6140", "614015", "61401589"),
    # Akita
    (39.72, 140.1035, "5940", "594040", "59404068"),
    # Niigata
    (37.916094, 139.036725, "5639", "563960", "56396092"),
    # Shibuya area (waffle-map)
    (35.6638, 139.71805, "5339", "533935", "53393597"),
    # Shinjuku area (plateau-utils)
    (35.70078, 139.71475, "5339", "533945", "53394547"),
    # exactly on a level-1 corner belongs to the cell to its north-east
    (36.0, 138.0, "5438", "543800", "54380000"),
]

KNOWN_HALF = [
    (43.062072, 141.354368, "644142781"),
    (40.8227, 140.7469, "614015894"),
    (39.72, 140.1035, "594040681"),
    (37.916094, 139.036725, "563960924"),
    (35.681236, 139.767125, "533946113"),
]


@pytest.mark.parametrize(("lat", "lon", "level1", "level2", "level3"), KNOWN)
def test_mesh_code_known_points(
    lat: float, lon: float, level1: str, level2: str, level3: str
) -> None:
    assert mesh_code(lat, lon, 1) == level1
    assert mesh_code(lat, lon, 2) == level2
    assert mesh_code(lat, lon, 3) == level3


@pytest.mark.parametrize(("lat", "lon", "level4"), KNOWN_HALF)
def test_mesh_code_half_mesh_known_points(lat: float, lon: float, level4: str) -> None:
    assert mesh_code(lat, lon, 4) == level4


def test_mesh_code_rejects_bad_level_and_points_outside_the_grid() -> None:
    with pytest.raises(ValueError, match="level"):
        mesh_code(35.0, 139.0, 5)
    with pytest.raises(ValueError, match="outside"):
        mesh_code(35.0, 99.5, 1)


def test_mesh_polygon_level1_tokyo() -> None:
    # given / when
    ring = mesh_polygon("5339")
    # then: 35°20' to 36°00' N, 139° to 140° E, closed, counter-clockwise from south-west
    south = 53 / 1.5
    assert ring == [[139.0, south], [140.0, south], [140.0, 36.0], [139.0, 36.0], [139.0, south]]


def test_mesh_center_level3_matches_reference() -> None:
    # jpgrid's reference: 53394644 is centred on (35.704166..., 139.80625)
    lat, lon = mesh_center("53394644")
    assert lon == pytest.approx(139.80625, abs=1e-12)
    assert lat == pytest.approx(35.704166666666666, abs=1e-12)


@pytest.mark.parametrize(("lat", "lon", "_1", "_2", "_3"), KNOWN)
@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_mesh_round_trip_point_inside_its_cell(
    lat: float, lon: float, _1: str, _2: str, _3: str, level: int
) -> None:
    code = mesh_code(lat, lon, level)
    south, west, north, east = mesh_bounds(code)
    assert south <= lat < north
    assert west <= lon < east
    center_lat, center_lon = mesh_center(code)
    assert mesh_code(center_lat, center_lon, level) == code


def test_mesh_half_mesh_quarters_are_numbered_sw_se_nw_ne() -> None:
    south, west, north, east = mesh_bounds("53394611")
    eps = 1e-7
    assert mesh_code(south + eps, west + eps, 4) == "533946111"
    assert mesh_code(south + eps, east - eps, 4) == "533946112"
    assert mesh_code(north - eps, west + eps, 4) == "533946113"
    assert mesh_code(north - eps, east - eps, 4) == "533946114"


@pytest.mark.parametrize("bad", ["", "533", "53394", "abcd", "533986", "533946115", "5339461150"])
def test_mesh_bounds_rejects_malformed_codes(bad: str) -> None:
    with pytest.raises(ValueError, match="mesh code"):
        mesh_bounds(bad)
