"""Tourism feeds: upload through the HTTP API, validation with exact codes, and
GET /api/v1/attractions."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from maas.accounts.models import User
from operators.models import FeedStatus, FeedVersion, Operator
from operators.services import feed_version_import
from operators.tourism.models import Attraction, TicketProduct
from tests.conftest import client_for
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "fixtures" / "demo" / "fuji-tourism"
FEEDS = "/api/v1/operators/alpha-bus/feeds"


def _zip(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, body in files.items():
            bundle.writestr(name, body)
    buffer.seek(0)
    buffer.name = "tourism.zip"
    return buffer


def _demo_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(DEMO.iterdir())}


def _upload(client: APIClient, upload: io.BytesIO) -> FeedVersion:
    response = client.post(FEEDS, {"kind": "tourism", "file": upload}, format="multipart")
    assert response.status_code == 202
    return feed_version_import(feed_version_id=response.json()["id"])


def _issues(feed_version: FeedVersion, severity: str) -> list[tuple[str, str, int, str]]:
    return [(i["code"], i["file"], i["row"], i["field"]) for i in feed_version.report[severity]]


def test_demo_feed_imports_through_the_api_with_exact_counts(operator_member: User) -> None:
    # given: one partner operator exists, the other ("yamanashi-bus") does not
    OperatorFactory.create(slug="kofu-cycle")

    # when
    feed_version = _upload(client_for(operator_member), _zip(_demo_files()))

    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {"attractions": 8, "opening_hours": 58, "ticket_products": 10}
    assert feed_version.report["errors"] == []
    assert _issues(feed_version, "warnings") == [
        ("unknown_partner_operator", "products.csv", 3, "partner_operator"),
        ("unknown_partner_operator", "products.csv", 4, "partner_operator"),
    ]
    fuji_q = Attraction.objects.get(attraction_id="fuji-q-highland")
    assert fuji_q.opening_hours == {
        "mon": [["10:00", "17:00"]],
        "tue": [["10:00", "17:00"]],
        "wed": [["10:00", "17:00"]],
        "thu": [["10:00", "17:00"]],
        "fri": [["10:00", "17:00"]],
        "sat": [["09:00", "18:00"]],
        "sun": [["09:00", "18:00"]],
        "holiday": [["09:00", "18:00"]],
    }
    combo = TicketProduct.objects.get(product_id="ropeway-cycle-combo")
    assert (combo.price_amount, combo.currency, combo.partner_operator_slug) == (
        1800,
        "JPY",
        "kofu-cycle",
    )
    assert combo.partner_operator is not None
    assert combo.partner_operator.slug == "kofu-cycle"


def test_attractions_near_kawaguchiko_station(operator_member: User, api_client: APIClient) -> None:
    # given
    _upload(client_for(operator_member), _zip(_demo_files()))

    # when
    response = api_client.get("/api/v1/attractions?near=35.4984,138.7690&radius_m=3000&lang=en")

    # then: nearest first within 3 km of Kawaguchiko Station
    assert response.status_code == 200
    body = response.json()
    assert [(a["id"], a["distance_m"]) for a in body] == [
        ("alpha-bus:panoramic-ropeway", 628),
        ("alpha-bus:fuji-q-highland", 1578),
        ("alpha-bus:lake-kawaguchi", 1930),
        ("alpha-bus:chureito-pagoda", 2993),
    ]
    ropeway = body[0]
    assert ropeway["name"] == "Mt. Fuji Panoramic Ropeway"
    assert ropeway["name_ja"] == "河口湖〜富士山パノラマロープウェイ"
    assert ropeway["opening_hours"]["mon"] == [["09:30", "16:40"]]
    assert ropeway["tickets"] == [
        {
            "id": "ropeway-cycle-combo",
            "name": "Ropeway return + bike share day pass",
            "rider_category": "adult",
            "price": {"amount": 1800, "currency": "JPY"},
            "partner_operator": "kofu-cycle",
        },
        {
            "id": "ropeway-return-adult",
            "name": "Panoramic Ropeway return (adult)",
            "rider_category": "adult",
            "price": {"amount": 1000, "currency": "JPY"},
            "partner_operator": None,
        },
        {
            "id": "ropeway-return-child",
            "name": "Panoramic Ropeway return (child)",
            "rider_category": "child",
            "price": {"amount": 500, "currency": "JPY"},
            "partner_operator": None,
        },
    ]


def test_attractions_bad_near_is_400(api_client: APIClient) -> None:
    # when
    response = api_client.get("/api/v1/attractions?near=35.5")

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert list(response.json()["error"]["details"]["fields"]) == ["near"]


BAD_ATTRACTIONS = (
    "attraction_id,name_ja,name_en,lat,lon\n"
    "a1,武田神社,Takeda Shrine,35.6866,138.5775\n"
    "a1,重複,Duplicate,35.6,138.5\n"
    "a3,逆,Swapped,138.57,35.66\n"
    "a4,,No name,35.6,138.5\n"
    "a5,数字でない,Not a number,north,138.5\n"
)
BAD_HOURS = (
    "attraction_id,day,opens,closes\n"
    "a1,mon,7:30,17:00\n"
    "a1,tue,25:61,17:00\n"
    "a1,someday,09:00,17:00\n"
    "zz,wed,09:00,17:00\n"
    "a1,thu,17:00,09:00\n"
)
BAD_PRODUCTS = (
    "product_id,attraction_id,name_ja,price,currency\n"
    "p1,a1,大人,300,JPY\n"
    "p1,a1,重複,300,JPY\n"
    "p3,a1,小数,300.5,JPY\n"
    "p4,a1,負,-100,JPY\n"
    "p5,nowhere,不明,100,JPY\n"
    "p6,a1,通貨,100,YEN1\n"
)


def test_every_problem_is_reported_and_the_previous_version_keeps_serving(
    operator_member: User, api_client: APIClient
) -> None:
    # given: an active version
    client = client_for(operator_member)
    good = _upload(client, _zip(_demo_files()))

    # when
    bad = _upload(
        client,
        _zip(
            {
                "attractions.csv": BAD_ATTRACTIONS.encode(),
                "opening_hours.csv": BAD_HOURS.encode(),
                "products.csv": BAD_PRODUCTS.encode(),
            }
        ),
    )

    # then
    assert bad.status == FeedStatus.FAILED
    assert _issues(bad, "errors") == [
        ("duplicate_key", "attractions.csv", 2, "attraction_id"),
        ("number_out_of_range", "attractions.csv", 3, "lat"),
        ("missing_required_field", "attractions.csv", 4, "name_ja"),
        ("invalid_float", "attractions.csv", 5, "lat"),
        ("invalid_time", "opening_hours.csv", 2, "opens"),
        ("invalid_day", "opening_hours.csv", 3, "day"),
        ("foreign_key_violation", "opening_hours.csv", 4, "attraction_id"),
        ("invalid_time", "opening_hours.csv", 5, "closes"),
        ("duplicate_key", "products.csv", 2, "product_id"),
        ("invalid_integer", "products.csv", 3, "price"),
        ("number_out_of_range", "products.csv", 4, "price"),
        ("foreign_key_violation", "products.csv", 5, "attraction_id"),
        ("invalid_currency", "products.csv", 6, "currency"),
    ]
    assert "swapped" in bad.report["errors"][1]["message"]
    assert FeedVersion.objects.get(pk=good.pk).status == FeedStatus.ACTIVE
    assert Attraction.objects.filter(feed_version=bad).count() == 0
    assert len(api_client.get("/api/v1/attractions").json()) == 8


@pytest.mark.parametrize(
    ("files", "code", "file", "field"),
    [
        (None, "not_a_zip", None, None),
        ({"products.csv": b"product_id\n"}, "missing_required_file", "attractions.csv", None),
        (
            {"attractions.csv": b"attraction_id,name_ja,lat\n"},
            "missing_required_column",
            "attractions.csv",
            "lon",
        ),
        ({"attractions.csv": b""}, "empty_file", "attractions.csv", None),
        ({"../attractions.csv": b"x"}, "unsafe_path_in_zip", "../attractions.csv", None),
    ],
)
def test_unusable_uploads_fail_with_exact_codes(
    operator_member: User,
    files: dict[str, bytes] | None,
    code: str,
    file: str | None,
    field: str | None,
) -> None:
    # given
    upload = io.BytesIO(b"not a zip at all") if files is None else _zip(files)
    upload.name = "feed.zip"

    # when
    feed_version = _upload(client_for(operator_member), upload)

    # then
    assert feed_version.status == FeedStatus.FAILED
    first = feed_version.report["errors"][0]
    assert (first["code"], first["file"], first["field"]) == (code, file, field)


def test_geojson_attractions_in_a_subfolder_and_shift_jis(operator_member: User) -> None:
    # given: GeoJSON attractions, a Shift_JIS products file, all inside a folder
    geojson = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [138.5653, 35.7368]}, '
        '"properties": {"attraction_id": "shosenkyo", "name_ja": "昇仙峡", '
        '"name_en": "Shosenkyo Gorge"}}]}'
    )
    products = "product_id,attraction_id,name_ja,price\nrw,shosenkyo,ロープウェイ,1500\n"
    files = {
        "feed/attractions.geojson": geojson.encode(),
        "feed/products.csv": products.encode("cp932"),
    }

    # when
    feed_version = _upload(client_for(operator_member), _zip(files))

    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {"attractions": 1, "opening_hours": 0, "ticket_products": 1}
    assert [w["code"] for w in feed_version.report["warnings"]] == [
        "file_in_subfolder",
        "file_in_subfolder",
        "non_utf8_encoding",
    ]
    assert TicketProduct.objects.get().name_ja == "ロープウェイ"
    gorge = Attraction.objects.get()
    assert (gorge.lat, gorge.lon, gorge.opening_hours) == (35.7368, 138.5653, {})


def test_geojson_features_that_are_not_objects_are_reported_not_crashed(
    operator_member: User,
) -> None:
    # given: a feature whose geometry is a string and one whose properties are a list
    geojson = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": "35.7,138.5", "properties": {"attraction_id": "a"}},'
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [138.5, 35.7]},'
        ' "properties": ["b"]}]}'
    )
    # when
    feed_version = _upload(
        client_for(operator_member), _zip({"attractions.geojson": geojson.encode()})
    )
    # then: clear errors naming the row and field, no internal error
    assert feed_version.status == FeedStatus.FAILED
    errors = _issues(feed_version, "errors")
    assert ("invalid_geometry", "attractions.geojson", 1, "geometry") in errors
    assert ("invalid_geojson", "attractions.geojson", 2, "properties") in errors
    assert "internal_error" not in [code for code, *_ in errors]


def test_header_only_optional_files_are_a_warning(operator_member: User) -> None:
    # given: attractions, but no opening hours and no products published yet
    files = _demo_files()
    files["opening_hours.csv"] = files["opening_hours.csv"].splitlines(keepends=True)[0]
    files["products.csv"] = files["products.csv"].splitlines(keepends=True)[0]
    # when
    feed_version = _upload(client_for(operator_member), _zip(files))
    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {"attractions": 8, "opening_hours": 0, "ticket_products": 0}
    assert _issues(feed_version, "warnings") == [
        ("empty_file", "opening_hours.csv", None, None),
        ("empty_file", "products.csv", None, None),
    ]


def test_load_demo_loads_bike_share_and_tourism_idempotently() -> None:
    from django.core.management import call_command

    from operators.gbfs.models import Station, StationStatusChange

    # when
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())

    # then
    versions = FeedVersion.objects.filter(status=FeedStatus.ACTIVE)
    assert sorted(versions.values_list("operator__slug", "kind")) == [
        ("fuji-tourism", "tourism"),
        ("kofu-cycle", "gbfs"),
        ("kofu-ondemand", "gtfs-flex"),  # the demo on-demand zone
        ("yamanashi-bus", "gtfs"),  # the Yamanashi demo GTFS feed, also loaded by load_demo
    ]
    assert FeedVersion.objects.filter(kind__in=["gbfs", "tourism"]).count() == 2
    assert Station.objects.count() == 8
    assert StationStatusChange.objects.count() == 8
    assert Attraction.objects.count() == 8
    system = Operator.objects.get(slug="kofu-cycle").gbfs_systems.get()
    assert system.system_id == "kofu-cycle-demo"
