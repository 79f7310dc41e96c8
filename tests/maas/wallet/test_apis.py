"""`GET /api/v1/wallet`, `POST /api/v1/wallet/top-ups`: happy paths, bad input (clear 4xx,
nothing changed), wrong roles, and one passenger never sees another's wallet."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import User
from maas.wallet.models import Account, Transaction
from maas.wallet.services import PaymentLine, payment_capture, wallet_balance, wallet_top_up
from operators.models import Operator
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error
from tests.maas.wallet.ledger import assert_ledger_balanced

pytestmark = pytest.mark.django_db

TOP_UPS = "/api/v1/wallet/top-ups"


def top_up(client: APIClient, body: Any, key: str | None = None) -> Any:
    if key:
        return client.post(TOP_UPS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return client.post(TOP_UPS, body, format="json")


def test_top_up_then_wallet_shows_balance_and_entries(
    passenger: User, operator_a: Operator
) -> None:
    # given
    client = client_for(passenger)
    # when
    response = top_up(client, {"amount": {"amount": 2000, "currency": "JPY"}, "method": "sandbox"})
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["balance"] == {"amount": 2000, "currency": "JPY"}
    txn = body["transaction"]
    assert (txn["kind"], txn["amount"], txn["method"], txn["memo"]) == (
        "top_up",
        {"amount": 2000, "currency": "JPY"},
        "sandbox",
        "Top-up (sandbox)",
    )
    # given: a payment after it
    payment_capture(
        user=passenger,
        lines=[PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=15)],
        reference="booking-1",
        memo="Booking 1",
    )
    # when
    wallet = client.get("/api/v1/wallet")
    # then
    assert wallet.status_code == 200
    data = wallet.json()
    assert data["balance"] == {"amount": 1700, "currency": "JPY"}
    assert [(e["kind"], e["amount"], e["memo"], e["reference"]) for e in data["entries"]] == [
        ("payment", {"amount": -300, "currency": "JPY"}, "Booking 1", "booking-1"),
        ("top_up", {"amount": 2000, "currency": "JPY"}, "Top-up (sandbox)", txn["reference"]),
    ]
    assert all(isinstance(e["created_at"], str) for e in data["entries"])
    assert_ledger_balanced()


def test_empty_wallet(passenger: User) -> None:
    response = client_for(passenger).get("/api/v1/wallet")
    assert response.status_code == 200
    assert response.json() == {"balance": {"amount": 0, "currency": "JPY"}, "entries": []}
    assert Account.objects.count() == 0


def test_entries_are_paged_newest_first(passenger: User) -> None:
    # given
    for n in range(3):
        wallet_top_up(user=passenger, amount=100 * (n + 1), method="sandbox", reference=f"t{n}")
    client = client_for(passenger)
    # when
    first = client.get("/api/v1/wallet?limit=2")
    # then
    assert [e["reference"] for e in first.json()["entries"]] == ["t2", "t1"]
    next_url = first["Link"].split(";")[0].strip("<>")
    second = client.get(next_url)
    assert [e["reference"] for e in second.json()["entries"]] == ["t0"]
    assert "Link" not in second
    assert second.json()["balance"] == {"amount": 600, "currency": "JPY"}


def test_top_up_with_idempotency_key_is_applied_once(passenger: User) -> None:
    # given
    client = client_for(passenger)
    body = {"amount": {"amount": 1000, "currency": "JPY"}, "method": "sandbox"}
    # when
    first = top_up(client, body, key="k-1")
    again = top_up(client, body, key="k-1")
    # then
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert wallet_balance(user=passenger) == 1000
    assert Transaction.objects.get().reference == f"api:{passenger.pk}:k-1"
    assert_ledger_balanced()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": {"amount": 0, "currency": "JPY"}, "method": "sandbox"}, "invalid_amount"),
        ({"amount": {"amount": -100, "currency": "JPY"}, "method": "sandbox"}, "invalid_amount"),
        (
            {"amount": {"amount": 50_001, "currency": "JPY"}, "method": "sandbox"},
            "invalid_amount",
        ),
        (
            {"amount": {"amount": 1000, "currency": "USD"}, "method": "sandbox"},
            "currency_not_supported",
        ),
        (
            {"amount": {"amount": 1000, "currency": "JPY"}, "method": "card"},
            "payment_method_unavailable",
        ),
        ({"amount": {"amount": "lots", "currency": "JPY"}, "method": "sandbox"}, "invalid_request"),
        ({"amount": 1000, "method": "sandbox"}, "invalid_request"),
        ({"amount": {"amount": 1000, "currency": "JPY"}}, "invalid_request"),
        ([1, 2], "malformed_request"),
    ],
)
def test_top_up_bad_input_changes_nothing(passenger: User, body: Any, code: str) -> None:
    # when
    response = top_up(client_for(passenger), body)
    # then
    assert_error(response, 400, code)
    assert (Account.objects.count(), Transaction.objects.count()) == (0, 0)


def test_top_up_sandbox_disabled(passenger: User, settings: Any) -> None:
    # given
    settings.WALLET_SANDBOX_ENABLED = False
    # when
    response = top_up(
        client_for(passenger),
        {"amount": {"amount": 1000, "currency": "JPY"}, "method": "sandbox"},
    )
    # then
    assert_error(response, 400, "payment_method_unavailable")
    assert response.json()["error"]["details"] == {"method": "sandbox"}
    assert Transaction.objects.count() == 0


def test_wallet_refused_anonymous_and_other_roles(
    api_client: APIClient, operator_member: User, city_analyst: User, admin_user: User
) -> None:
    body = {"amount": {"amount": 1000, "currency": "JPY"}, "method": "sandbox"}
    # when / then
    assert_error(api_client.get("/api/v1/wallet"), 401, "not_authenticated")
    assert_error(top_up(api_client, body), 401, "not_authenticated")
    for user in (operator_member, city_analyst, admin_user):
        client = client_for(user)
        assert_error(client.get("/api/v1/wallet"), 403, "permission_denied")
        assert_error(top_up(client, body), 403, "permission_denied")
    assert (Account.objects.count(), Transaction.objects.count()) == (0, 0)


def test_other_passenger_cannot_see_my_wallet(passenger: User, make_user: Any) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="mine")
    other = make_user(username="taro")
    # when
    response = client_for(other).get("/api/v1/wallet")
    # then
    assert response.json() == {"balance": {"amount": 0, "currency": "JPY"}, "entries": []}
    # and: the same Idempotency-Key of another passenger is a different top-up
    body = {"amount": {"amount": 500, "currency": "JPY"}, "method": "sandbox"}
    top_up(client_for(passenger), body, key="same")
    top_up(client_for(other), body, key="same")
    assert (wallet_balance(user=passenger), wallet_balance(user=other)) == (1500, 500)
    assert_ledger_balanced()
