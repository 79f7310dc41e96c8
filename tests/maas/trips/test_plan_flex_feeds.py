"""On-demand legs in `GET /api/v1/plan` on the remaining real flex feeds of
../shared/data/gtfs-flex (C-TRAN, Hopelink, the MobilityData on-demand-service and
"various" (Brockton) examples), plus the GTFS-Flex duration-offset units.

Ride times below are computed by hand from the global settings (no OnDemandService is
configured for these operators): drive = straight line x 1.3 / 8.3 m/s, then the feed's
factor and offset, plus the 300 s service buffer (ONDEMAND_BUFFER_S).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.trips.ondemand import flex_cache_clear, flex_services
from operators.models import SnapshotStatus
from operators.network import network_snapshot_build
from operators.ondemand.models import OnDemandService
from tests.maas.trips.multimodal_helpers import import_path, operator_get

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

CTRAN_MESSAGE = (
    "The Current is an on-demand rideshare service by C-TRAN that provides point-to-point "
    "service for just the cost of a local bus ride. Schedule your ride on The Current app, at "
    "www.ridethecurrent.com or through our mobile app, or by calling 360-695-0123 then track "
    "your driver\u2019s arrival."
)
VA_GROUP = "location_group_id__db7489d3-7478-4d3b-a47f-60c58e3fed6e"
AMTRAK_STOP = "ctran:stop_id__5804bed5-8a53-49c2-bab1-af49a10b3a1f"
VA_STOP = "ctran:stop_id__09a24d02-a63c-4fa4-b625-c9ba13efd2c0"
NEAR_AMTRAK = "45.62900,-122.68600"
NEAR_VA = "45.63820,-122.65560"
HOPELINK_MESSAGE = (
    "Hopelink brokers Non-Emergency Medical Transportation in King and Snohomish counties for "
    "medical services covered by Medicaid. In addition to Door-to-Door service, gas cards, "
    "ORCA cards, toll, ferry, and parking reimbursement are also available. For inquiries or "
    "reservations, call 800-923-7433 in King County or 855-766-7433 in Snohomish County "
    "Monday-Friday 8-5 at least 48 hours ahead of your trip. Riders must apply for "
    "eligibility in advance."
)
BELLEVUE = {"from": "47.6101,-122.2015", "to": "47.6205,-122.1900"}
ASPEN = {"from": "39.188595,-106.815921", "to": "39.1900,-106.8200"}
BROCKTON = {"from": "42.09038,-71.0185", "to": "42.0830,-71.0240"}
DIAL_A_BAT_MESSAGE = (
    "Brockton Area Transit's Dial-A-BAT service is available to riders aged 65+ or those who "
    "by reason of physical or developmental disability are unable to ride a regular BAT bus. "
    "To determine eligibility or to schedule a ride, call 508-584-5530. For communities "
    "outside of Brockton, please contact the Council on Aging of your town. Times may vary. "
    "Rides may be shared with other riders and must be scheduled 24 hours in advance."
)


@pytest.fixture(autouse=True)
def _fresh_flex_cache() -> Iterator[None]:
    flex_cache_clear()
    yield
    flex_cache_clear()


def _network(settings: Any, shared_data: Path, slug: str, name: str, day: str, now: str) -> None:
    settings.SNAPSHOT_HORIZON_START = day
    settings.SNAPSHOT_HORIZON_DAYS = 1
    settings.PLAN_NOW = now
    import_path(slug, shared_data / "gtfs-flex" / name, "gtfs-flex")
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error


def _plan(client: APIClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/plan", params)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def _ride_s(distance_m: int, factor: float, offset_s: float, buffer_s: int = 300) -> int:
    # distance_m is the leg's (straight line x 1.3); drive = distance / 8.3 m/s
    return math.ceil(distance_m / 8.3 * factor + offset_s) + buffer_s


# ------------------------------------------------------------------ C-TRAN (location groups)


def _ctran(settings: Any, shared_data: Path, now: str) -> None:
    # Tuesday 2025-11-04: service ci_1 (weekdays), windows 05:30-19:00; booking_type 1,
    # no notice, bookable from 2 days before at 00:00
    _network(settings, shared_data, "ctran", "ctran_flex.zip", "2025-11-04", now)


def test_ctran_ride_between_location_group_stops(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _ctran(settings, shared_data, now="2025-11-04T07:00:00-08:00")

    # when: from beside the Vancouver Amtrak Station to beside the VA Medical Center stop,
    # two stops of the "VA Medical Center (fixed route stop)" group (no zone polygon)
    body = _plan(
        api_client,
        **{"from": NEAR_AMTRAK, "to": NEAR_VA},
        depart_at="2025-11-04T09:00:00-08:00",
        modes="ondemand",
    )

    # then: walk to the group's stop, ride stop to stop, walk on
    [itinerary] = body["itineraries"]
    walk, ride, last = itinerary["legs"]
    assert [walk["mode"], ride["mode"], last["mode"]] == ["walk", "ondemand", "walk"]
    assert (walk["to"]["stop_id"], walk["distance_m"], walk["duration_s"]) == (AMTRAK_STOP, 55, 46)
    assert ride["from"]["stop_id"] == AMTRAK_STOP
    assert ride["to"]["stop_id"] == VA_STOP
    assert ride["operator"] == "ctran"
    assert ride["zone"] == {
        "id": f"ctran:{VA_GROUP}",
        "name": "VA Medical Center (fixed route stop)",
    }
    assert ride["to_zone"] == ride["zone"]
    assert ride["route_name"] == "Rose Village"
    assert ride["departure"] == "2025-11-04T09:00:46-08:00"
    # trips.txt safe_duration_factor 1, safe_duration_offset 0 (seconds)
    assert ride["distance_m"] == 3411
    assert ride["duration_s"] == _ride_s(3411, 1.0, 0) == 711
    assert ride["arrival"] == "2025-11-04T09:12:37-08:00"
    assert (last["from"]["stop_id"], last["distance_m"], last["duration_s"]) == (VA_STOP, 12, 11)
    assert itinerary["arrival"] == "2025-11-04T09:12:48-08:00"
    assert ride["booking"] == {
        "type": 1,
        "message": CTRAN_MESSAGE,
        "phone_number": "360-695-0123",
        "info_url": None,
        "booking_url": "https://book.ridethecurrent.com",
        "latest_booking_time": "2025-11-04T09:00:46-08:00",
    }


def test_ctran_group_ride_outside_the_window_or_not_yet_bookable(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _ctran(settings, shared_data, now="2025-11-04T07:00:00-08:00")
    places = {"from": NEAR_AMTRAK, "to": NEAR_VA}

    # when: 19:30, after the 19:00 window end
    late = _plan(api_client, **places, depart_at="2025-11-04T19:30:00-08:00", modes="ondemand")
    # and: asked on Saturday 1 November, before booking opens (2 days ahead, 00:00)
    settings.PLAN_NOW = "2025-11-01T12:00:00-07:00"
    early = _plan(api_client, **places, depart_at="2025-11-04T09:00:00-08:00", modes="ondemand")

    # then
    assert late["itineraries"] == []
    assert "booking_refusals" not in late
    assert early["itineraries"] == []
    assert early["reason"] == {"code": "ondemand_booking_closed", "message": CTRAN_MESSAGE}


def test_ctran_modes_transit_has_no_ondemand_legs(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _ctran(settings, shared_data, now="2025-11-04T07:00:00-08:00")

    # when
    body = _plan(
        api_client,
        **{"from": NEAR_AMTRAK, "to": NEAR_VA},
        depart_at="2025-11-04T09:00:00-08:00",
        modes="transit",
    )

    # then: C-TRAN's flex feed has no fixed-route trips
    assert body["itineraries"] == []


def test_ctran_configured_service_uses_its_own_travel_model(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: C-TRAN manages the VA Medical Center group's capacity (zone_id = the GTFS
    # location_group_id, as the planner passes it) with its own speed/detour/buffer, and one
    # 4-seat vehicle on shift all day
    _ctran(settings, shared_data, now="2025-11-04T07:00:00-08:00")
    service = OnDemandService.objects.create(
        operator=operator_get("ctran"),
        zone_id=VA_GROUP,
        name="The Current (VA)",
        road_speed_mps=10.0,
        detour_factor=1.5,
        service_buffer_s=120,
    )
    service.vehicles.create(
        label="V1",
        seats=4,
        shifts=[{"start": "2025-11-04T05:00:00-08:00", "end": "2025-11-04T20:00:00-08:00"}],
    )

    # when
    body = _plan(
        api_client,
        **{"from": NEAR_AMTRAK, "to": NEAR_VA},
        depart_at="2025-11-04T09:00:00-08:00",
        modes="ondemand",
    )

    # then: 3411 / 1.3 = 2624 m straight x 1.5 / 10 m/s = 394 s, + 120 s
    ride = body["itineraries"][0]["legs"][1]
    assert ride["distance_m"] == 3936
    assert ride["duration_s"] == math.ceil(3936 / 10.0) + 120 == 514


def test_ctran_inactive_configured_service_offers_no_ride(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: the service is configured but inactive (ondemand_fits says no)
    _ctran(settings, shared_data, now="2025-11-04T07:00:00-08:00")
    OnDemandService.objects.create(
        operator=operator_get("ctran"), zone_id=VA_GROUP, name="VA", active=False
    )

    # when
    body = _plan(
        api_client,
        **{"from": NEAR_AMTRAK, "to": NEAR_VA},
        depart_at="2025-11-04T09:00:00-08:00",
        modes="ondemand",
    )

    # then
    assert body["itineraries"] == []


# ------------------------------------------------------------------ Hopelink (prior days)


def test_hopelink_zone_ride_booked_two_days_ahead(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: Hopelink Medicaid transport, weekdays 08:00-17:00 in area_1085 (King County),
    # booking_type 2: 2 days before by 17:00; asked Monday 16:00 for Wednesday
    _network(
        settings,
        shared_data,
        "hopelink",
        "hopelink_flex.zip",
        "2026-01-14",
        "2026-01-12T16:00:00-08:00",
    )

    # when: Bellevue, inside the zone
    body = _plan(api_client, **BELLEVUE, depart_at="2026-01-14T10:00:00-08:00", modes="ondemand")

    # then: trips.txt safe_duration_factor 1.75 and safe_duration_offset 900 (seconds, as
    # adopted) win over the draft stop_times fields (1, 0.0)
    [itinerary] = body["itineraries"]
    [leg] = itinerary["legs"]
    assert leg["mode"] == "ondemand"
    assert leg["zone"] == {"id": "hopelink:area_1085", "name": "area_1085"}
    assert leg["to_zone"] is None
    assert leg["route_name"] == "Medicaid Transportation"
    assert leg["departure"] == "2026-01-14T10:00:00-08:00"
    assert leg["distance_m"] == 1875
    assert leg["duration_s"] == _ride_s(1875, 1.75, 900) == 1596
    assert leg["arrival"] == "2026-01-14T10:26:36-08:00"
    assert leg["booking"] == {
        "type": 2,
        "message": HOPELINK_MESSAGE,
        "phone_number": "800-923-7433",
        "info_url": "https://www.hopelink.org/programs/medicaid-transportation/",
        "booking_url": "https://www.myrideonline.org/",
        "latest_booking_time": "2026-01-12T17:00:00-08:00",
    }


def test_hopelink_after_the_prior_day_deadline_is_refused(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: Monday 17:30, past the deadline for Wednesday
    _network(
        settings,
        shared_data,
        "hopelink",
        "hopelink_flex.zip",
        "2026-01-14",
        "2026-01-12T17:30:00-08:00",
    )

    # when
    body = _plan(api_client, **BELLEVUE, depart_at="2026-01-14T10:00:00-08:00", modes="ondemand")

    # then: refused with the rule's message (not "outside the network")
    assert body["itineraries"] == []
    assert body["reason"] == {"code": "ondemand_booking_closed", "message": HOPELINK_MESSAGE}
    [refusal] = body["booking_refusals"]
    assert refusal["zone_id"] == "hopelink:area_1085"
    assert refusal["phone_number"] == "800-923-7433"


# ---------------------------------------------- MobilityData on-demand-service (old draft)


def test_on_demand_service_example_zone_via_stop_id(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: the Downtowner of the example feed names its zone in stop_times.stop_id (old
    # draft) and has an empty stops.txt; off-season 11:00-23:00, real-time booking
    _network(
        settings,
        shared_data,
        "aspen",
        "mobilitydata_flexexample_on-demand-service.zip",
        "2022-06-01",
        "2022-06-01T11:50:00-06:00",
    )

    # when
    body = _plan(api_client, **ASPEN, depart_at="2022-06-01T12:00:00-06:00", modes="ondemand")
    early = _plan(api_client, **ASPEN, depart_at="2022-06-01T10:30:00-06:00", modes="ondemand")

    # then: stop_times safe factor 1 + safe offset 20.00 (draft: minutes)
    [itinerary] = body["itineraries"]
    [leg] = itinerary["legs"]
    assert leg["zone"] == {"id": "aspen:area_294", "name": "area_294"}
    assert leg["departure"] == "2022-06-01T12:00:00-06:00"
    assert leg["distance_m"] == 500
    assert leg["duration_s"] == _ride_s(500, 1.0, 1200) == 1561
    assert leg["arrival"] == "2022-06-01T12:26:01-06:00"
    assert leg["booking"]["type"] == 0
    assert leg["booking"]["latest_booking_time"] == "2022-06-01T12:00:00-06:00"
    assert leg["booking"]["phone_number"] == "877-230-6045"
    assert early["itineraries"] == []


# ------------------------------------------------------- MobilityData "various" (Brockton)


def _brockton(settings: Any, shared_data: Path, now: str) -> None:
    # Wednesday 2022-10-12: Dial-A-BAT ADA in area_263 18:00-21:05 (weekday trip), booked
    # one day ahead (prior_notice_last_day 1, no last time: 00:00)
    _network(
        settings,
        shared_data,
        "bat",
        "mobilitydata_flexexample_various.zip",
        "2022-10-12",
        now,
    )


def test_brockton_dial_a_bat_zone_ride(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _brockton(settings, shared_data, now="2022-10-10T12:00:00-04:00")

    # when
    body = _plan(api_client, **BROCKTON, depart_at="2022-10-12T19:00:00-04:00", modes="ondemand")

    # then: stop_times safe factor 1 + safe offset 45.00 minutes (draft)
    [itinerary] = body["itineraries"]
    [leg] = itinerary["legs"]
    assert leg["zone"] == {"id": "bat:area_263", "name": "area_263"}
    assert leg["route_name"] == "Dial-A-Bat ADA Service"
    assert leg["departure"] == "2022-10-12T19:00:00-04:00"
    assert leg["distance_m"] == 1219
    assert leg["duration_s"] == _ride_s(1219, 1.0, 45 * 60) == 3147
    assert leg["arrival"] == "2022-10-12T19:52:27-04:00"
    assert leg["booking"] == {
        "type": 2,
        "message": DIAL_A_BAT_MESSAGE,
        "phone_number": "508-584-5530",
        "info_url": "https://www.ridebat.com/dial-a-bat/",
        "booking_url": None,
        "latest_booking_time": "2022-10-11T00:00:00-04:00",
    }


def test_brockton_refusals_and_fixed_routes(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: asked on the day before, after its 00:00 deadline
    _brockton(settings, shared_data, now="2022-10-11T09:00:00-04:00")

    # when
    refused = _plan(api_client, **BROCKTON, depart_at="2022-10-12T19:00:00-04:00", modes="ondemand")
    # 10:00 is outside the weekday ADA window (18:00-21:05)
    outside = _plan(api_client, **BROCKTON, depart_at="2022-10-12T10:00:00-04:00", modes="ondemand")
    transit = _plan(
        api_client, **BROCKTON, depart_at="2022-10-12T19:00:00-04:00", modes="transit,walk"
    )

    # then
    assert refused["itineraries"] == []
    assert refused["reason"] == {"code": "ondemand_booking_closed", "message": DIAL_A_BAT_MESSAGE}
    assert outside["itineraries"] == []
    assert "booking_refusals" not in outside
    modes = {leg["mode"] for it in transit["itineraries"] for leg in it["legs"]}
    assert "ondemand" not in modes


# ------------------------------------------------------------------ duration offset units


def test_duration_offsets_follow_the_spec_units(shared_data: Path, settings: Any) -> None:
    # given: C-TRAN publishes trips.txt safe_duration_offset 0 (adopted spec: seconds) and
    # stop_times.txt mean_duration_offset 1200 (draft: would be 20 h in minutes); Brockton
    # only the draft stop_times safe_duration_offset 45.00 (minutes)
    settings.SNAPSHOT_HORIZON_START = "2025-11-04"
    ctran = import_path("ctran", shared_data / "gtfs-flex" / "ctran_flex.zip", "gtfs-flex")
    bat = import_path(
        "bat", shared_data / "gtfs-flex" / "mobilitydata_flexexample_various.zip", "gtfs-flex"
    )
    tz_ctran = zoneinfo.ZoneInfo("America/Los_Angeles")
    tz_bat = zoneinfo.ZoneInfo("America/New_York")

    # when
    ctran_data = flex_services(
        feed_versions={"ctran": ctran.pk},
        day=dt.date(2025, 11, 4),
        tz=tz_ctran,
        now=dt.datetime(2025, 11, 4, 7, tzinfo=tz_ctran),
        at=dt.datetime(2025, 11, 4, 9, tzinfo=tz_ctran),
    )
    bat_data = flex_services(
        feed_versions={"bat": bat.pk},
        day=dt.date(2022, 10, 12),
        tz=tz_bat,
        now=dt.datetime(2022, 10, 10, 12, tzinfo=tz_bat),
        at=dt.datetime(2022, 10, 12, 19, tzinfo=tz_bat),
    )

    # then
    ctran_all = ctran_data.services + ctran_data.group_services
    assert {(s["duration_factor"], s["duration_offset_s"]) for s in ctran_all} == {(1.0, 0.0)}
    [area_263] = [s for s in bat_data.services if s["zone_id"] == "bat:area_263"]
    assert (area_263["duration_factor"], area_263["duration_offset_s"]) == (1.0, 2700.0)
