"""Pass / bundle products: operators manage their own, the city its multi-operator ones."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import User
from maas.trips.models import Product
from operators.models import Operator
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PASS = {
    "code": "one-day",
    "name_ja": "1日乗車券",
    "name_en": "1-day pass",
    "price": {"amount": 800, "currency": "JPY"},
    "calendar_days": 1,
}


def _create(client: APIClient, url: str, **extra: Any) -> Any:
    return client.post(url, {**PASS, **extra}, format="json")


def test_operator_creates_reads_updates_and_deletes_its_own_pass(
    operator_member: User, operator_a: Operator
) -> None:
    client = client_for(operator_member)
    # when
    response = _create(client, "/api/v1/operators/alpha-bus/products", rider_category="child")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["operator"], body["covered_operators"], body["price"]) == (
        "alpha-bus",
        ["alpha-bus"],
        {"amount": 800, "currency": "JPY"},
    )
    assert body["rider_category"] == "child"
    url = f"/api/v1/operators/alpha-bus/products/{body['id']}"
    patched = client.patch(url, {"price": {"amount": 700, "currency": "JPY"}}, format="json")
    assert patched.json()["price"]["amount"] == 700
    assert patched.json()["rider_category"] == "child"  # a PATCH keeps what it does not name
    listed = APIClient().get("/api/v1/products").json()["products"]
    assert [p["code"] for p in listed] == ["one-day"]
    assert client.delete(url).status_code == 204
    assert Product.objects.count() == 0


def test_bad_input_is_400_and_creates_nothing(operator_member: User, operator_a: Operator) -> None:
    client = client_for(operator_member)
    url = "/api/v1/operators/alpha-bus/products"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"calendar_days": None}, "invalid_request"),  # no validity at all
        ({"price": {"amount": -1, "currency": "JPY"}}, "invalid_request"),
        ({"price": {"amount": 100, "currency": "XXX"}}, "invalid_request"),
        ({"route_ids": ["beta-rail:R1"]}, "invalid_request"),
        ({"code": "not a slug"}, "invalid_request"),
    ]
    for extra, code in cases:
        response = _create(client, url, **extra)
        assert response.status_code == 400, extra
        assert response.json()["error"]["code"] == code
    assert Product.objects.count() == 0


def test_operator_cannot_cover_or_touch_another_operator(
    operator_member: User, operator_a: Operator, operator_b: Operator
) -> None:
    client = client_for(operator_member)
    # a pass covering another operator is a city product
    response = _create(
        client, "/api/v1/operators/alpha-bus/products", covered_operators=["alpha-bus", "beta-rail"]
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "coverage_not_allowed"
    # another tenant's products are invisible
    theirs = Product.objects.create(
        operator=operator_b, code="beta-day", name_ja="β", price_amount=900, calendar_days=1
    )
    theirs.covered_operators.set([operator_b])
    assert _create(client, "/api/v1/operators/beta-rail/products").status_code == 404
    url = f"/api/v1/operators/beta-rail/products/{theirs.pk}"
    assert client.get(url).status_code == 404
    assert (
        client.patch(url, {"price": {"amount": 1, "currency": "JPY"}}, format="json").status_code
        == 404
    )
    assert client.delete(url).status_code == 404
    # nor reachable through the own operator's URL
    assert client.get(f"/api/v1/operators/alpha-bus/products/{theirs.pk}").status_code == 404
    assert Product.objects.get(pk=theirs.pk).price_amount == 900
    assert Product.objects.count() == 1


def test_roles(passenger: User, operator_member: User, operator_a: Operator) -> None:
    url = "/api/v1/operators/alpha-bus/products"
    assert APIClient().post(url, PASS, format="json").status_code == 401
    response = _create(client_for(passenger), url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    # operator staff may not make city products
    assert _create(client_for(operator_member), "/api/v1/city/products").status_code == 403
    assert Product.objects.count() == 0


def test_city_creates_a_multi_operator_pass(
    city_analyst: User, operator_a: Operator, operator_b: Operator
) -> None:
    client = client_for(city_analyst)
    response = _create(
        client,
        "/api/v1/city/products",
        code="kofu-area",
        covered_operators=["alpha-bus", "beta-rail"],
        area={"lat": 35.6664, "lon": 138.5689, "radius_m": 5000},
        duration_s=86400,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["operator"], body["covered_operators"]) == (None, ["alpha-bus", "beta-rail"])
    assert body["area"] == {"lat": 35.6664, "lon": 138.5689, "radius_m": 5000}
    assert [p["code"] for p in client.get("/api/v1/city/products").json()["products"]] == [
        "kofu-area"
    ]
    # the same code again is a conflict
    again = _create(
        client, "/api/v1/city/products", code="kofu-area", covered_operators=["alpha-bus"]
    )
    assert again.status_code == 409
    assert Product.objects.count() == 1
