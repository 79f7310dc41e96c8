"""Edge inputs found in review: each is a clear 4xx (or a refusal), never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from maas.accounts.models import User
from maas.accounts.rights import user_erase
from maas.core.models import IdempotencyRecord
from operators.gbfs.fetch import fetch, url_refusal
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error

pytestmark = pytest.mark.django_db


def test_crafted_ticket_with_huge_numbers_is_malformed_not_500(operator_member: User) -> None:
    # given: a well-formed token whose payload numbers overflow datetime conversion
    payload = (
        base64.urlsafe_b64encode(
            json.dumps(
                {"l": 1, "f": 10**20, "u": 10**20, "o": "alpha-bus", "b": "x", "s": 1}
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    # when
    response = client_for(operator_member).post(
        "/api/v1/tickets/validate", {"code": f"T1.k1.{payload}.sig"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["reason"] == "malformed"


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1969-12"])
def test_settlement_month_out_of_range_is_400(operator_member: User, month: str) -> None:
    response = client_for(operator_member).get(
        f"/api/v1/operators/alpha-bus/settlement?month={month}"
    )
    assert_error(response, 400, "invalid_month")


def test_stats_dates_before_2000_are_400(city_analyst: User) -> None:
    response = client_for(city_analyst).get("/api/v1/stats/ridership?date_to=0001-01-05")
    assert_error(response, 400, "invalid_request")
    assert "date_to" in response.json()["error"]["details"]["fields"]


def test_overlong_email_in_profile_is_400(passenger: User) -> None:
    email = "a" * 290 + "@example.jp"
    response = client_for(passenger).patch("/api/v1/me", {"email": email}, format="json")
    assert_error(response, 400, "invalid_request")
    passenger.refresh_from_db()
    assert passenger.email == ""


def test_erasure_deletes_stored_idempotent_answers(passenger: User) -> None:
    IdempotencyRecord.objects.create(
        principal=f"user:{passenger.pk}",
        key="k1",
        fingerprint="f",
        status_code=201,
        body={"itinerary": {"from": {"lat": 35.66, "lon": 138.56}}},
    )
    IdempotencyRecord.objects.create(principal="user:999999", key="k1", fingerprint="f")
    user_erase(user=passenger)
    assert list(IdempotencyRecord.objects.values_list("principal", flat=True)) == ["user:999999"]


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8080/gbfs.json", "resolves to a non-public address (127.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data", "non-public address (169.254.169.254)"),
        ("http://10.0.0.5/gbfs.json", "non-public address (10.0.0.5)"),
        ("ftp://example.jp/gbfs.json", "only http(s) URLs with a host name are fetched"),
        ("file:///etc/passwd", "only http(s) URLs with a host name are fetched"),
    ],
)
def test_gbfs_urls_into_the_internal_network_are_refused(
    settings: object, url: str, refused: str
) -> None:
    settings.GBFS_ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    assert refused in url_refusal(url)
    result = fetch(url)
    assert result.status is None
    assert result.error.startswith("refused: ")


def test_private_urls_allowed_only_when_configured(settings: object) -> None:
    settings.GBFS_ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    assert url_refusal("http://127.0.0.1:8080/gbfs.json") == ""
