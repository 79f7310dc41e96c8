"""The fare engine on the real feeds' fare tables, read straight from the zips.

Each expected amount is hard-coded after checking it by hand in the feed's CSV (the rows
are quoted in the comments) and also recomputed independently from the CSV rows by
`_v1_expected`, so a misreading of the rules cannot hide in both places at once.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from maas.trips.fares.engine import FareQuote, Ride, price_run
from maas.trips.fares.tables import fare_tables_build
from tests.conftest import SHARED_DATA
from tests.maas.trips.fare_feeds import csv_rows, tables_from_zip

pytestmark = pytest.mark.shared_data

DONAN = SHARED_DATA / "gtfs-jp" / "donanbus_muroran_gtfs-jp.zip"
GUNMA = SHARED_DATA / "gtfs-jp" / "gunmachuo_gtfs-jp.zip"
YAMANASHI = SHARED_DATA / "gtfs-jp" / "yamanashi_gtfs.zip"
BART = SHARED_DATA / "gtfs" / "bart_2018.zip"
CALTRAIN = SHARED_DATA / "gtfs" / "caltrain_otp.zip"
TRIMET = SHARED_DATA / "gtfs" / "trimet_portland_2routes.zip"
CTRAN = SHARED_DATA / "gtfs-flex" / "ctran_flex.zip"


def ride(route: str, origin: str, destination: str, *, at: int = 0, index: int = 0) -> Ride:
    return Ride(index, route, origin, destination, at, at + 1200)


def one(quotes: list[FareQuote]) -> tuple[int | None, str | None, str | None]:
    assert len(quotes) == 1
    return quotes[0].amount, quotes[0].currency, quotes[0].reason


def _v1_expected(path: Path, route: str, origin_stop: str, destination_stop: str) -> int:
    """The cheapest fare whose fare_rules row names this route (or none) and the two
    stops' zones, in minor units — an independent reading of the CSV."""
    zone = {s["stop_id"]: s["zone_id"] for s in csv_rows(path, "stops.txt")}
    fares = {f["fare_id"]: f for f in csv_rows(path, "fare_attributes.txt")}
    prices = [
        fares[r["fare_id"]]["price"]
        for r in csv_rows(path, "fare_rules.txt")
        if r.get("route_id", "") in ("", route)
        and r["origin_id"] == zone[origin_stop]
        and r["destination_id"] == zone[destination_stop]
    ]
    currency = next(iter(fares.values()))["currency_type"]
    scale = 1 if currency == "JPY" else 100
    return min(int(Decimal(p) * scale) for p in prices)


@pytest.mark.parametrize(
    ("route", "origin", "destination", "yen"),
    [
        # fare_rules: k_210,100310,0391_A,0384_A  / fare_attributes: k_210,210,JPY
        ("100310", "0391_A", "0384_A", 210),
        # fare_rules: k_210,107100,0862_A,0871_A  (栗林公園前 -> ニュータウン入口)
        ("107100", "0862_A", "0871_A", 210),
        # fare_rules: k_290,130800,0351_A,0171_B  (鷲別駅前 -> 御前水) / k_290,290,JPY
        ("130800", "0351_A", "0171_B", 290),
    ],
)
def test_donan_bus_zone_fares_adult(route: str, origin: str, destination: str, yen: int) -> None:
    # given: each stop of Donan Bus is its own zone (stops.txt zone_id = stop_id)
    tables = tables_from_zip(DONAN)
    # when
    amount, currency, reason = one(price_run(tables, [ride(route, origin, destination)], "adult"))
    # then
    assert (amount, currency, reason) == (yen, "JPY", None)
    assert amount == _v1_expected(DONAN, route, origin, destination)


def test_donan_bus_child_fare_from_fare_rider_categories() -> None:
    # rider_categories.txt: 2,小学生 ; fare_rider_categories.txt: k_210,2,JPY,110 and
    # k_290,2,JPY,150
    tables = tables_from_zip(DONAN)
    child = {
        r["fare_id"]: int(r["price"])
        for r in csv_rows(DONAN, "fare_rider_categories.txt")
        if r["rider_category_id"] == "2"
    }
    assert (child["k_210"], child["k_290"]) == (110, 150)
    # when / then
    assert one(price_run(tables, [ride("100310", "0391_A", "0384_A")], "child")) == (
        110,
        "JPY",
        None,
    )
    assert one(price_run(tables, [ride("130800", "0351_A", "0171_B")], "child"))[0] == 150
    # the feed publishes no senior fare: no number is invented
    assert one(price_run(tables, [ride("100310", "0391_A", "0384_A")], "senior")) == (
        None,
        None,
        "rider_category_not_published",
    )


@pytest.mark.parametrize(
    ("route", "origin", "destination", "yen"),
    [
        # スマーク線_A,0-150_00,g145_01,g153_02 / 0-150_00,150,JPY
        ("スマーク線_A", "g145_01", "g153_02", 150),
        # 高崎　女子大線_A,0-310_00,g003_02,g123_02 (連雀町 -> 矢中町入口) / 0-310_00,310
        ("高崎\u3000女子大線_A", "g003_02", "g123_02", 310),
        # 高崎市循環バス　ぐるりん　京ヶ島線_A,0-200_00,t019_01,g103_01 / 0-200_00,200
        ("高崎市循環バス\u3000ぐるりん\u3000京ヶ島線_A", "t019_01", "g103_01", 200),
    ],
)
def test_gunma_chuo_fares(route: str, origin: str, destination: str, yen: int) -> None:
    tables = tables_from_zip(GUNMA)
    amount, currency, _ = one(price_run(tables, [ride(route, origin, destination)], "adult"))
    assert (amount, currency) == (yen, "JPY")
    assert amount == _v1_expected(GUNMA, route, origin, destination)


def test_gunma_chuo_has_no_child_fares_and_wrong_route_has_no_fare() -> None:
    tables = tables_from_zip(GUNMA)
    assert one(price_run(tables, [ride("スマーク線_A", "g145_01", "g153_02")], "child")) == (
        None,
        None,
        "rider_category_not_published",
    )
    # the pair g145_01 -> g153_02 is only published for スマーク線_A
    assert one(price_run(tables, [ride("no-such-route", "g145_01", "g153_02")], "adult")) == (
        None,
        None,
        "no_matching_fare",
    )


@pytest.mark.parametrize(
    ("route", "origin", "destination", "yen"),
    [
        # 72,81_1204,P733,P300 (山宮下町 -> 法人会館) / 72,370,"JPY"
        ("81_1204", "P733", "P300", 370),
        # 171,28_33,P848,P261 (善光寺入口 -> 伊勢小学校) / 171,950,"JPY"
        ("28_33", "P848", "P261", 950),
        # 20,637_1367,P5014,P2356 (身延清稜小学校 -> クラフトパーク入口) / 20,200,"JPY"
        ("637_1367", "P5014", "P2356", 200),
    ],
)
def test_yamanashi_fares(route: str, origin: str, destination: str, yen: int) -> None:
    tables = tables_from_zip(YAMANASHI)
    amount, currency, _ = one(price_run(tables, [ride(route, origin, destination)], "adult"))
    assert (amount, currency) == (yen, "JPY")
    assert amount == _v1_expected(YAMANASHI, route, origin, destination)


def test_bart_origin_destination_fares_in_cents() -> None:
    # fare_rules: 136,,EMBR,DUBL  80,,12TH,EMBR  193,,EMBR,SFIA
    # fare_attributes: 136,6.80,USD  80,4.00,USD  193,9.65,USD
    tables = tables_from_zip(BART)
    prices = {f["fare_id"]: f["price"] for f in csv_rows(BART, "fare_attributes.txt")}
    for origin, destination, fare_id in [
        ("EMBR", "DUBL", "136"),
        ("12TH", "EMBR", "80"),
        ("EMBR", "SFIA", "193"),
    ]:
        amount, currency, _ = one(price_run(tables, [ride("01", origin, destination)], "adult"))
        assert currency == "USD"
        assert amount == int(Decimal(prices[fare_id]) * 100)
    assert one(price_run(tables, [ride("01", "EMBR", "DUBL")], "adult"))[0] == 680
    assert one(price_run(tables, [ride("01", "12TH", "EMBR")], "adult"))[0] == 400
    assert one(price_run(tables, [ride("01", "EMBR", "SFIA")], "adult"))[0] == 965


def test_caltrain_zone_fares() -> None:
    # stops.txt: San Francisco zone 1, Palo Alto zone 3, Gilroy zone 6
    # fare_rules: OW_3,,1,3  OW_6,,1,6 ; fare_attributes: OW_3,6.0000  OW_6,11.2500
    tables = tables_from_zip(CALTRAIN)
    sf, palo_alto, gilroy = "San Francisco Caltrain", "Palo Alto Caltrain", "Gilroy Caltrain"
    assert one(price_run(tables, [ride("ct_local", sf, palo_alto)], "adult"))[:2] == (600, "USD")
    assert one(price_run(tables, [ride("ct_bullet", sf, gilroy)], "adult"))[0] == 1125
    assert one(price_run(tables, [ride("ct_local", palo_alto, palo_alto)], "adult"))[0] == 250


def test_trimet_contains_zones_and_a_route_without_fares() -> None:
    tables = tables_from_zip(TRIMET)
    zone = {s["stop_id"]: s["zone_id"] for s in csv_rows(TRIMET, "stops.txt")}
    b_stops = [s for s, z in zone.items() if z == "B"]
    r_stops = [s for s, z in zone.items() if z == "R"]
    # within zone B: fare_rules B,,B,,B -> B,2.5,USD
    inside = Ride(0, "200", b_stops[0], b_stops[1], 0, 600, (b_stops[0], b_stops[1]))
    assert one(price_run(tables, [inside], "adult")) == (250, "USD", None)
    assert price_run(tables, [inside], "adult")[0].product_id == "B"
    # from B through R: BR,,B,,B + BR,,B,,R (all contains zones must be passed) -> 2.5
    across = Ride(0, "200", b_stops[0], r_stops[0], 0, 600, (b_stops[0], r_stops[0]))
    assert price_run(tables, [across], "adult")[0].product_id == "BR"
    assert price_run(tables, [across], "adult")[0].amount == 250
    # Portland Streetcar (agency PSC): every fare is TriMet's, so none applies
    streetcar = Ride(0, "193", b_stops[0], b_stops[1], 0, 600, (b_stops[0], b_stops[1]))
    assert one(price_run(tables, [streetcar], "adult")) == (None, None, "no_matching_fare")
    # two MAX rides within transfer_duration 9000 s: one fare (transfers empty = unlimited)
    second = Ride(1, "200", b_stops[1], b_stops[2], 1800, 2400, (b_stops[1], b_stops[2]))
    quotes = price_run(tables, [inside, second], "adult")
    assert [(q.legs, q.amount) for q in quotes] == [((0, 1), 250)]


def test_ctran_fares_v2_rider_categories_and_transfers() -> None:
    # fare_leg_rules: LOCAL,LOCAL,ADULT_LOCAL_SINGLE_RIDE / HC_... / YOUTH_...
    # fare_products: ADULT 1.25 USD, HONORED_CITIZEN 0.60, YOUTH 0.00
    # fare_transfer_rules: LOCAL,LOCAL,,-1,9000,1,0 (free transfers, 9000 s dep->dep)
    tables = tables_from_zip(CTRAN)
    route = next(r for r, network in tables.route_network.items() if network == "LOCAL")
    first = Ride(0, route, "a", "b", 0, 900)
    again = Ride(1, route, "b", "c", 3600, 4500)  # within 9000 s of the first departure
    late = Ride(2, route, "c", "d", 9001, 9600)  # after: a new fare
    adult = price_run(tables, [first, again, late], "adult")
    assert [(q.amount, q.kind) for q in adult] == [
        (125, "single"),
        (0, "transfer"),
        (125, "single"),
    ]
    assert adult[0].product_name == "Adult Local 2 1/2 Hours"
    assert one(price_run(tables, [first], "senior"))[:2] == (60, "USD")
    assert one(price_run(tables, [first], "disability"))[0] == 60
    assert one(price_run(tables, [first], "child"))[0] == 0


def test_v1_transfer_fare_splits_exactly() -> None:
    # given: a 300 single and a 450 fare allowing one transfer within an hour
    tables = fare_tables_build(
        feed_version_id=1,
        routes=[{"route_id": "A"}, {"route_id": "B"}],
        stops=[{"stop_id": s, "zone_id": "1"} for s in "wxyz"],
        fare_attributes=[
            {"fare_id": "single", "price": "300", "currency_type": "JPY", "transfers": "0"},
            {
                "fare_id": "transfer",
                "price": "450",
                "currency_type": "JPY",
                "transfers": "1",
                "transfer_duration": "3600",
            },
        ],
    )
    a = Ride(0, "A", "w", "x", 0, 1200)
    b = Ride(1, "B", "x", "y", 1500, 2400)
    c = Ride(2, "A", "y", "z", 7200, 8000)
    # when
    quotes = price_run(tables, [a, b, c], "adult")
    # then: rides 0+1 on the transfer fare (450 < 600), ride 2 too late for it
    assert [(q.legs, q.amount, q.product_id) for q in quotes] == [
        ((0, 1), 450, "transfer"),
        ((2,), 300, "single"),
    ]
