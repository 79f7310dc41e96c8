"""Operator endpoints: services, vehicles, rides. Happy paths, bad input (4xx, nothing
changed), wrong role (403) and other tenant (404)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import Role, User
from operators.models import FeedVersion, Operator
from operators.ondemand.models import OnDemandService, Ride, Vehicle
from operators.ondemand.services import ride_hold
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error
from tests.operators.ondemand.conftest import ZONE, A, B, MakeVehicle, at, flex_zone_create

pytestmark = pytest.mark.django_db

BASE = "/api/v1/operators/alpha-bus/ondemand"
SHIFT = {"days": ["monday", "tuesday"], "start": "08:00", "end": "26:00"}


@pytest.fixture
def beta_staff(make_user: Callable[..., User], operator_b: Operator) -> User:
    flex_zone_create(operator_b, "beta-zone")
    return make_user(Role.OPERATOR, operator=operator_b, username="beta-staff")


def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (
        list(OnDemandService.objects.values_list()),
        list(Vehicle.objects.values_list()),
    )


# ------------------------------------------------------------------ services
def test_operator_configures_a_service(operator_member: User, flex_zone: FeedVersion) -> None:
    client = client_for(operator_member)
    # when
    created = client.post(
        f"{BASE}/services",
        {"zone_id": ZONE, "name": "Kofu", "road_speed_mps": 9.5, "dwell_s": 30},
        format="json",
    )
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("operator", "zone_id", "name", "active")} == {
        "operator": "alpha-bus",
        "zone_id": ZONE,
        "name": "Kofu",
        "active": True,
    }
    assert (body["road_speed_mps"], body["detour_factor"], body["dwell_s"]) == (9.5, 1.3, 30)
    assert (body["max_ride_factor"], body["service_buffer_s"]) == (2.0, 600)
    service_id = body["id"]
    # and: listed, read, updated, deactivated
    assert [s["id"] for s in client.get(f"{BASE}/services").json()] == [service_id]
    assert client.get(f"{BASE}/services/{service_id}").json()["name"] == "Kofu"
    patched = client.patch(f"{BASE}/services/{service_id}", {"detour_factor": 1.5}, format="json")
    assert patched.status_code == 200
    assert patched.json()["detour_factor"] == 1.5
    off = client.post(f"{BASE}/services/{service_id}/deactivate")
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert OnDemandService.objects.get().active is False


def test_service_idempotency_key_replays_the_first_result(
    operator_member: User, flex_zone: FeedVersion
) -> None:
    client = client_for(operator_member)
    payload = {"zone_id": ZONE, "name": "Kofu"}
    first = client.post(f"{BASE}/services", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(f"{BASE}/services", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert OnDemandService.objects.count() == 1


def test_service_bad_input_changes_nothing(operator_member: User, service: OnDemandService) -> None:
    client = client_for(operator_member)
    before = snapshot()
    # unknown zone
    assert_error(
        client.post(f"{BASE}/services", {"zone_id": "nowhere", "name": "x"}, format="json"),
        400,
        "invalid_request",
    )
    # missing name, out-of-range speed
    assert_error(
        client.post(f"{BASE}/services", {"zone_id": ZONE}, format="json"), 400, "invalid_request"
    )
    assert_error(
        client.patch(f"{BASE}/services/{service.pk}", {"road_speed_mps": 0}, format="json"),
        400,
        "invalid_request",
    )
    # a second service for the same zone
    assert_error(
        client.post(f"{BASE}/services", {"zone_id": ZONE, "name": "again"}, format="json"),
        409,
        "duplicate_key",
    )
    assert snapshot() == before


def test_service_refused_to_other_roles_and_tenants(
    api_client: APIClient,
    passenger: User,
    city_analyst: User,
    beta_staff: User,
    service: OnDemandService,
) -> None:
    before = snapshot()
    payload = {"zone_id": ZONE, "name": "x"}
    # anonymous
    assert_error(api_client.get(f"{BASE}/services"), 401, "not_authenticated")
    # passenger and city
    for user in (passenger, city_analyst):
        client = client_for(user)
        assert_error(client.get(f"{BASE}/services"), 403, "permission_denied")
        assert_error(
            client.post(f"{BASE}/services", payload, format="json"), 403, "permission_denied"
        )
    # another operator's staff: 404 for alpha-bus and its objects
    beta = client_for(beta_staff)
    assert_error(beta.get(f"{BASE}/services"), 404, "not_found")
    assert_error(beta.post(f"{BASE}/services", payload, format="json"), 404, "not_found")
    assert_error(
        beta.patch(f"{BASE}/services/{service.pk}", {"name": "mine"}, format="json"),
        404,
        "not_found",
    )
    assert_error(beta.post(f"{BASE}/services/{service.pk}/deactivate"), 404, "not_found")
    # and through their own slug, alpha's service id is unknown
    assert_error(
        beta.get(f"/api/v1/operators/beta-rail/ondemand/services/{service.pk}"), 404, "not_found"
    )
    assert snapshot() == before


# ------------------------------------------------------------------ vehicles
def test_operator_adds_and_changes_vehicles(
    operator_member: User, service: OnDemandService
) -> None:
    client = client_for(operator_member)
    # when
    created = client.post(
        f"{BASE}/vehicles",
        {
            "service": service.pk,
            "label": "Hiace 1",
            "seats": 9,
            "shifts": [SHIFT],
            "depot": {"type": "Point", "coordinates": [138.57, 35.66]},
        },
        format="json",
    )
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("service", "label", "seats", "shifts", "depot", "active")} == {
        "service": service.pk,
        "label": "Hiace 1",
        "seats": 9,
        "shifts": [SHIFT],
        "depot": {"type": "Point", "coordinates": [138.57, 35.66]},
        "active": True,
    }
    vehicle = Vehicle.objects.get()
    assert (vehicle.depot_lat, vehicle.depot_lon) == (35.66, 138.57)
    # and: listed (filtered by service), updated, deactivated
    listed = client.get(f"{BASE}/vehicles?service={service.pk}")
    assert [v["label"] for v in listed.json()] == ["Hiace 1"]
    patched = client.patch(
        f"{BASE}/vehicles/{vehicle.pk}", {"seats": 4, "depot": None}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["seats"], patched.json()["depot"]) == (4, None)
    off = client.post(f"{BASE}/vehicles/{vehicle.pk}/deactivate")
    assert off.json()["active"] is False
    assert Vehicle.objects.get().active is False


def test_vehicle_bad_input_changes_nothing(
    operator_member: User,
    service: OnDemandService,
    make_vehicle: MakeVehicle,
    beta_staff: User,
) -> None:
    client = client_for(operator_member)
    car = make_vehicle(seats=2, label="car-1")
    beta_service = OnDemandService.objects.create(
        operator=Operator.objects.get(slug="beta-rail"), zone_id="beta-zone", name="beta"
    )
    before = snapshot()
    good = {"service": service.pk, "label": "car-2", "seats": 2, "shifts": [SHIFT]}
    cases = [
        {**good, "shifts": [{"days": ["funday"], "start": "08:00", "end": "09:00"}]},
        {**good, "shifts": [{"days": ["monday"], "start": "10:00", "end": "09:00"}]},
        {**good, "shifts": [{"start": "2030-06-03T08:00:00", "end": "2030-06-03T09:00:00"}]},
        {**good, "shifts": []},
        {**good, "seats": 0},
        {**good, "depot": {"type": "Point", "coordinates": [500, 0]}},
        {**good, "service": beta_service.pk},  # another tenant's service
    ]
    for payload in cases:
        response = client.post(f"{BASE}/vehicles", payload, format="json")
        assert_error(response, 400, "invalid_request")
    assert_error(
        client.post(f"{BASE}/vehicles", {**good, "label": "car-1"}, format="json"),
        409,
        "duplicate_key",
    )
    assert_error(
        client.patch(f"{BASE}/vehicles/{car.pk}", {"seats": -1}, format="json"),
        400,
        "invalid_request",
    )
    assert snapshot() == before


def test_vehicle_refused_to_other_roles_and_tenants(
    passenger: User, beta_staff: User, make_vehicle: MakeVehicle, service: OnDemandService
) -> None:
    car = make_vehicle(seats=2)
    before = snapshot()
    payload = {"service": service.pk, "label": "x", "seats": 2, "shifts": [SHIFT]}
    assert_error(
        client_for(passenger).post(f"{BASE}/vehicles", payload, format="json"),
        403,
        "permission_denied",
    )
    beta = client_for(beta_staff)
    assert_error(beta.get(f"{BASE}/vehicles"), 404, "not_found")
    assert_error(
        beta.patch(f"{BASE}/vehicles/{car.pk}", {"seats": 1}, format="json"), 404, "not_found"
    )
    assert_error(
        beta.get(f"/api/v1/operators/beta-rail/ondemand/vehicles/{car.pk}"), 404, "not_found"
    )
    assert_error(
        beta.post(f"/api/v1/operators/beta-rail/ondemand/vehicles/{car.pk}/deactivate"),
        404,
        "not_found",
    )
    assert snapshot() == before


# ------------------------------------------------------------------ rides
def test_operator_sees_the_rides_on_its_vehicles(
    operator_member: User, make_vehicle: MakeVehicle, beta_staff: User, passenger: User
) -> None:
    # given
    car = make_vehicle(seats=2, label="car-1")
    ride = ride_hold(
        operator_slug="alpha-bus",
        zone_id=ZONE,
        pickup=A,
        dropoff=B,
        pickup_earliest=at(9),
        pickup_latest=at(9, 10),
        reference="leg-1",
    )
    client = client_for(operator_member)
    # when
    listed = client.get(f"{BASE}/rides?state=HELD,CONFIRMED&vehicle={car.pk}")
    # then
    assert listed.status_code == 200
    [body] = listed.json()
    assert body["id"] == ride.pk
    assert (body["vehicle"], body["vehicle_label"], body["seats"], body["state"]) == (
        car.pk,
        "car-1",
        1,
        "HELD",
    )
    assert body["pickup"] == {"type": "Point", "coordinates": [A[1], A[0]]}
    assert body["dropoff"] == {"type": "Point", "coordinates": [B[1], B[0]]}
    assert body["planned_pickup_at"] == "2030-06-03T18:00:00+09:00"
    assert body["planned_dropoff_at"] == "2030-06-03T18:01:52+09:00"
    assert body["reference"] == "leg-1"
    assert client.get(f"{BASE}/rides?state=CANCELLED").json() == []
    # and: bad filters, other roles and tenants
    assert_error(client.get(f"{BASE}/rides?state=GONE"), 400, "invalid_request")
    assert_error(client.get(f"{BASE}/rides?vehicle=x"), 400, "invalid_request")
    assert_error(client_for(passenger).get(f"{BASE}/rides"), 403, "permission_denied")
    assert_error(client_for(beta_staff).get(f"{BASE}/rides"), 404, "not_found")
    assert client_for(beta_staff).get("/api/v1/operators/beta-rail/ondemand/rides").json() == []
    assert Ride.objects.count() == 1
