"""JIS X 0410 standard grid squares (地域メッシュ), the coarse location unit of the city's
statistics and of the usage events.

Level 1 (第1次地域区画): 40' of latitude x 1 deg of longitude (~80 km), code `PPUU`.
Level 2 (第2次地域区画): level 1 split 8 x 8 (5' x 7'30", ~10 km), code `PPUUqv`.
Level 3 (基準地域メッシュ): level 2 split 10 x 10 (30" x 45", ~1 km), code `PPUUqvrw`.
Level 4 (2分の1地域メッシュ): level 3 split 2 x 2 (15" x 22.5", ~500 m), one more digit:
1 south-west, 2 south-east, 3 north-west, 4 north-east.

The arithmetic runs in exact fractions of an arc-second so a point on a cell edge never
lands in the wrong cell through float rounding (a point on an edge belongs to the cell to
its north / east, as in the standard).
"""

from __future__ import annotations

from fractions import Fraction

# Cell sizes in arc-seconds (latitude, longitude) per level.
_CELL_S: dict[int, tuple[Fraction, Fraction]] = {
    1: (Fraction(2400), Fraction(3600)),
    2: (Fraction(300), Fraction(450)),
    3: (Fraction(30), Fraction(45)),
    4: (Fraction(15), Fraction(45, 2)),
}
_CODE_LENGTH = {1: 4, 2: 6, 3: 8, 4: 9}


def _to_seconds(value: float) -> Fraction:
    # Through the shortest repr, so 35.681236 is exactly 35.681236 and not the binary
    # neighbour just below it.
    return Fraction(repr(float(value))) * 3600


def mesh_code(lat: float, lon: float, level: int) -> str:
    """The JIS X 0410 code of the cell of `level` (1-4) that holds (lat, lon).
    Defined for 0 <= lat < 66.66 and 100 <= lon < 200 (Japan is well inside)."""
    if level not in _CODE_LENGTH:
        raise ValueError(f"mesh level must be 1-4, not {level}")
    lat_s = _to_seconds(lat)
    lon_s = _to_seconds(lon) - 100 * 3600
    if not (0 <= lat_s < 100 * 2400 and 0 <= lon_s < 100 * 3600):
        raise ValueError(f"({lat}, {lon}) is outside the JIS X 0410 grid")
    p, lat_r = divmod(lat_s, 2400)
    u, lon_r = divmod(lon_s, 3600)
    code = f"{int(p):02d}{int(u):02d}"
    if level >= 2:
        q, lat_r = divmod(lat_r, 300)
        v, lon_r = divmod(lon_r, 450)
        code += f"{int(q)}{int(v)}"
    if level >= 3:
        r, lat_r = divmod(lat_r, 30)
        w, lon_r = divmod(lon_r, 45)
        code += f"{int(r)}{int(w)}"
    if level == 4:
        north = lat_r >= 15
        east = lon_r >= Fraction(45, 2)
        code += str(1 + int(east) + 2 * int(north))
    return code


def _south_west_s(code: str) -> tuple[Fraction, Fraction, int]:
    if not code.isdigit() or len(code) not in _CODE_LENGTH.values():
        raise ValueError(f"not a JIS X 0410 mesh code: {code!r}")
    level = {length: level for level, length in _CODE_LENGTH.items()}[len(code)]
    lat_s = Fraction(int(code[0:2]) * 2400)
    lon_s = Fraction((int(code[2:4]) + 100) * 3600)
    if level >= 2:
        q, v = int(code[4]), int(code[5])
        if q > 7 or v > 7:
            raise ValueError(f"not a JIS X 0410 mesh code: {code!r}")
        lat_s += q * 300
        lon_s += v * 450
    if level >= 3:
        lat_s += int(code[6]) * 30
        lon_s += int(code[7]) * 45
    if level == 4:
        quarter = int(code[8])
        if not 1 <= quarter <= 4:
            raise ValueError(f"not a JIS X 0410 mesh code: {code!r}")
        lat_s += 15 * ((quarter - 1) // 2)
        lon_s += Fraction(45, 2) * ((quarter - 1) % 2)
    return lat_s, lon_s, level


def mesh_bounds(code: str) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees of the cell `code`."""
    lat_s, lon_s, level = _south_west_s(code)
    height, width = _CELL_S[level]
    return (
        float(lat_s / 3600),
        float(lon_s / 3600),
        float((lat_s + height) / 3600),
        float((lon_s + width) / 3600),
    )


def mesh_polygon(code: str) -> list[list[float]]:
    """The cell's corners as [lon, lat] pairs, counter-clockwise from the south-west
    corner and closed (the first corner repeated last), i.e. a GeoJSON Polygon ring:
    `{"type": "Polygon", "coordinates": [mesh_polygon(code)]}`."""
    south, west, north, east = mesh_bounds(code)
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def mesh_center(code: str) -> tuple[float, float]:
    """(lat, lon) of the cell's centre: the coarse point events carry for a cell."""
    south, west, north, east = mesh_bounds(code)
    return (south + north) / 2, (west + east) / 2
