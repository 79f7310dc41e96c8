"""GTFS / GTFS-JP / GTFS-Flex imports end to end through the HTTP API."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import Role, User
from operators.gtfs import models as m
from operators.models import FeedVersion, Operator
from tests.conftest import client_for
from tests.operators.gtfs.conftest import BAD_FEEDS, EXPECTED, Upload, codes

pytestmark = pytest.mark.django_db


@pytest.mark.shared_data
def test_gtfs_feed_imported_with_exact_counts(
    operator_member: User, upload: Upload, shared_data: Path
) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", shared_data / "gtfs" / "google_sample-feed-1.zip")

    # then
    assert version["status"] == "active"
    assert version["counts"] == {
        "agency": 1,
        "calendar": 2,
        "calendar_dates": 1,
        "fare_attributes": 2,
        "fare_rules": 4,
        "frequencies": 11,
        "routes": 5,
        "shapes": 0,
        "stop_times": 28,
        "stops": 9,
        "trips": 11,
    }
    assert version["report"] == {
        "errors": [],
        "warnings": [
            {
                "code": "unknown_column",
                "file": "stop_times.txt",
                "row": None,
                "field": "drop_off_time",
                "message": "stop_times.txt has the column 'drop_off_time', which is not in the "
                "GTFS reference; its values are kept as extra data.",
            }
        ],
    }
    assert version["meta"]["service_period"] == {"start": "2007-01-01", "end": "2010-12-31"}
    assert m.StopTime.objects.filter(feed_version_id=version["id"]).count() == 28
    assert m.Frequency.objects.filter(feed_version_id=version["id"], exact_times=0).count() == 11


@pytest.mark.shared_data
def test_gtfs_jp_feed_with_legacy_translations_and_jp_files(
    operator_member: User, upload: Upload, shared_data: Path
) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", shared_data / "gtfs-jp" / "donanbus_muroran_gtfs-jp.zip")

    # then: the counts are the data rows of each file
    assert version["status"] == "active"
    assert version["counts"] == {
        "agency": 1,
        "agency_jp": 1,
        "calendar": 2,
        "calendar_dates": 40,
        "fare_attributes": 46,
        "fare_rider_categories": 46,
        "fare_rules": 63745,
        "feed_info": 1,
        "rider_categories": 1,
        "routes": 74,
        "routes_jp": 74,
        "shapes": 34097,
        "stop_times": 20594,
        "stops": 706,
        "translations": 480,
        "trips": 541,
    }
    assert codes(version["report"]["warnings"]) == ["unknown_column", "legacy_translations"]
    assert version["meta"]["gtfs_jp"]["agency_jp"][0]["agency_official_name"] == "道南バス株式会社"
    fv = version["id"]
    assert version["meta"]["translation_languages"] == ["ja", "ja-Hrkt"]
    assert m.Translation.objects.filter(feed_version_id=fv, language="ja-Hrkt").count() == 240
    trip = m.Trip.objects.filter(feed_version_id=fv).exclude(jp_office_id="").first()
    assert trip is None or trip.jp_office_id != ""
    assert m.Route.objects.filter(feed_version_id=fv).exclude(jp_parent_route_id="").count() == 74


@pytest.mark.shared_data
def test_gtfs_flex_final_spec_feed(
    operator_member: User, upload: Upload, shared_data: Path
) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", shared_data / "gtfs-flex" / "ctran_flex.zip", "gtfs-flex")

    # then
    assert version["status"] == "active"
    assert version["counts"] == {
        "agency": 1,
        "booking_rules": 128,
        "calendar": 18,
        "calendar_dates": 27,
        "fare_leg_rules": 3,
        "fare_media": 5,
        "fare_products": 14,
        "fare_transfer_rules": 1,
        "feed_info": 1,
        "location_group_stops": 293,
        "location_groups": 10,
        "locations": 8,
        "rider_categories": 3,
        "routes": 6,
        "stop_times": 2778,
        "stops": 293,
        "trips": 1389,
    }
    assert version["report"]["errors"] == []
    fv = version["id"]
    zone = m.Location.objects.filter(feed_version_id=fv).order_by("location_id").first()
    assert zone is not None
    assert zone.geometry_type in ("Polygon", "MultiPolygon")
    assert zone.min_lat < zone.max_lat
    windows = m.StopTime.objects.filter(feed_version_id=fv, arrival_s=None).exclude(
        start_pickup_drop_off_window_s=None
    )
    assert windows.count() == 2778


@pytest.mark.shared_data
def test_gtfs_flex_older_draft_is_understood_with_warnings(
    operator_member: User, upload: Upload, shared_data: Path
) -> None:
    # given: cobblinc has a BOM, times like 7:30:00, zones via stop_id and the column
    # "dropoff_booking_rule_id"
    client = client_for(operator_member)
    path = shared_data / "gtfs-flex" / "cobblinc_scheduled_deviated_flex.zip"

    # when
    version = upload(client, "alpha-bus", path, "gtfs-flex")

    # then
    assert version["status"] == "active"
    assert version["counts"]["stop_times"] == 288
    assert version["counts"]["locations"] == 3
    assert codes(version["report"]["warnings"]) == [
        "unknown_column",
        "unknown_column",
        "nonstandard_column_name",
        "unknown_column",
        "flex_location_in_stop_id",
    ]
    fv = version["id"]
    first = m.StopTime.objects.get(
        feed_version_id=fv, trip_id="4d838cf4-d44d-4e08-a364-f22c34a8c89e", stop_sequence=0
    )
    assert (first.stop_id, first.arrival_s) == ("yz85", 7 * 3600 + 30 * 60)
    zone_row = m.StopTime.objects.get(
        feed_version_id=fv, trip_id="4d838cf4-d44d-4e08-a364-f22c34a8c89e", stop_sequence=1
    )
    assert (zone_row.stop_id, zone_row.location_id, zone_row.drop_off_booking_rule_id) == (
        "",
        "zone_1",
        "1",
    )


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "good_base.zip"))
def test_bad_feed_gets_exact_codes_and_previous_version_keeps_serving(
    name: str, operator_member: User, upload: Upload, api_client: APIClient
) -> None:
    # given: an active version
    client = client_for(operator_member)
    base = upload(client, "alpha-bus", BAD_FEEDS / "good_base.zip")
    assert base["status"] == "active"

    # when
    version = upload(client, "alpha-bus", BAD_FEEDS / name)

    # then
    expected = EXPECTED[name]
    assert version["status"] == expected["status"]
    assert codes(version["report"]["errors"]) == expected["errors"]
    assert codes(version["report"]["warnings"]) == expected["warnings"]
    if expected["status"] == "failed":
        assert FeedVersion.objects.get(pk=base["id"]).status == "active"
        assert m.Stop.objects.filter(feed_version_id=version["id"]).count() == 0
        stops = api_client.get("/api/v1/stops", {"q": "甲府駅"}).json()
        assert [s["id"] for s in stops] == ["alpha-bus:S1"]


def test_bad_time_report_names_file_row_and_field(operator_member: User, upload: Upload) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", BAD_FEEDS / "bad_time.zip")

    # then: "7:30:00"-style times elsewhere in the file are accepted
    assert version["report"]["errors"] == [
        {
            "code": "invalid_time",
            "file": "stop_times.txt",
            "row": 3,
            "field": "arrival_time",
            "message": "'25:61:00' is not a time H:MM:SS (minutes and seconds 00-59).",
        }
    ]


def test_swapped_coordinates_message(operator_member: User, upload: Upload) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", BAD_FEEDS / "swapped_coordinates.zip")

    # then
    assert version["report"]["errors"] == [
        {
            "code": "swapped_coordinates",
            "file": "stops.txt",
            "row": 2,
            "field": "stop_lat",
            "message": "stop_lat=138.568600 and stop_lon=35.662300: latitude and longitude "
            "look swapped (a latitude must lie within ±90°).",
        }
    ]


def test_blank_times_between_timepoints_are_interpolated_and_flagged(
    operator_member: User, upload: Upload
) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", BAD_FEEDS / "good_base.zip")

    # then
    rows = list(
        m.StopTime.objects.filter(feed_version_id=version["id"], trip_id="T1")
        .order_by("stop_sequence")
        .values_list("stop_id", "arrival_s", "departure_s", "interpolated")
    )
    assert rows == [
        ("S1", 25200, 25200, False),
        ("S2", 25800, 25800, True),
        ("S3", 26400, 26400, False),
    ]


def test_rollback_by_activating_the_previous_version(operator_member: User, upload: Upload) -> None:
    # given: two successful versions, the second active
    client = client_for(operator_member)
    first = upload(client, "alpha-bus", BAD_FEEDS / "good_base.zip")
    second = upload(client, "alpha-bus", BAD_FEEDS / "crlf.zip")
    assert FeedVersion.objects.get(pk=first["id"]).status == "superseded"

    # when
    response = client.post(f"/api/v1/operators/alpha-bus/feeds/{first['id']}/activate")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert FeedVersion.objects.get(pk=second["id"]).status == "superseded"
    stop = client.get("/api/v1/stops", {"q": "県庁前"}).json()
    assert [s["id"] for s in stop] == ["alpha-bus:S2"]


def test_other_operator_cannot_see_or_activate_a_version(
    operator_member: User,
    operator_b: Operator,
    make_user: object,
    upload: Upload,
    passenger: User,
    api_client: APIClient,
) -> None:
    # given
    version = upload(client_for(operator_member), "alpha-bus", BAD_FEEDS / "good_base.zip")
    other = make_user(Role.OPERATOR, operator=operator_b, username="beta-staff")  # type: ignore[operator]
    url = f"/api/v1/operators/alpha-bus/feeds/{version['id']}"

    # when
    as_other = client_for(other).get(url)
    as_other_via_own_slug = client_for(other).get(
        f"/api/v1/operators/beta-rail/feeds/{version['id']}"
    )
    activate_other = client_for(other).post(
        f"/api/v1/operators/beta-rail/feeds/{version['id']}/activate"
    )
    as_passenger = client_for(passenger).get(url)
    anonymous = api_client.get(url)

    # then
    assert as_other.status_code == 404
    assert as_other_via_own_slug.status_code == 404
    assert activate_other.status_code == 404
    assert as_passenger.status_code == 403
    assert anonymous.status_code == 401
    assert FeedVersion.objects.get(pk=version["id"]).status == "active"


def test_import_feed_command_exit_codes(operator_a: Operator) -> None:
    from django.core.management import CommandError, call_command

    # when / then: a good feed returns normally (exit 0)
    call_command("import_feed", "alpha-bus", str(BAD_FEEDS / "good_base.zip"), kind="gtfs")
    # a bad one raises CommandError (exit 1) after printing the report
    with pytest.raises(CommandError, match="failed"):
        call_command("import_feed", "alpha-bus", str(BAD_FEEDS / "bad_time.zip"), kind="gtfs")
    assert list(FeedVersion.objects.order_by("id").values_list("status", flat=True)) == [
        "active",
        "failed",
    ]


def test_gtfs_flex_kind_requires_flex_files(operator_member: User, upload: Upload) -> None:
    # given
    client = client_for(operator_member)

    # when
    version = upload(client, "alpha-bus", BAD_FEEDS / "good_base.zip", "gtfs-flex")

    # then
    assert version["status"] == "failed"
    assert codes(version["report"]["errors"]) == ["missing_required_file"]
