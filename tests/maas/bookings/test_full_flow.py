"""The whole journey on a real feed (BART, imported through the feed pipeline): plan ->
offer -> book -> ticket -> validate -> settle, with the ledger balanced at the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from maas.accounts.models import Role, User
from maas.bookings.services.validation import ticket_validate
from maas.wallet.selectors import ledger_operator_lines
from operators.models import NetworkSnapshot, Operator
from tests.conftest import client_for
from tests.maas.bookings.helpers import balance, top_up
from tests.maas.trips.test_offers_api import BODY, bart_network  # noqa: F401 - fixture
from tests.maas.wallet.ledger import assert_ledger_balanced

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


def test_plan_offer_book_validate_settle_on_bart(
    bart_network: NetworkSnapshot,  # noqa: F811
    rider: User,
    make_user: Any,
    settings: Any,
) -> None:
    settings.WALLET_CURRENCY = "USD"
    client = client_for(rider)
    # plan
    query = {key: str(BODY[key]) for key in ("from_stop", "to_stop", "depart_at")}
    plan = client.get("/api/v1/plan", query)
    assert plan.status_code == 200
    assert plan.json()["itineraries"]
    # offer: fare 136 EMBR -> DUBL = 6.80 USD
    offer = client.post("/api/v1/offers", BODY, format="json").json()["offers"][0]
    assert offer["price"] == {"amount": 680, "currency": "USD"}
    # book
    top_up(rider, 1000)
    booked = client.post(
        "/api/v1/bookings", {"offer_id": offer["id"]}, format="json", HTTP_IDEMPOTENCY_KEY="trip-1"
    )
    assert booked.status_code == 201, booked.content
    booking = booked.json()
    assert booking["state"] == "CONFIRMED"
    assert booking["paid"] == {"amount": 680, "currency": "USD"}
    assert [(x["operator"], x["mode"]) for x in booking["legs"]] == [("bart", "transit")]
    assert balance(rider) == 320
    # ticket + validation at the station, at departure time
    ticket = booking["legs"][0]["ticket"]
    departure = dt.datetime.fromisoformat(booking["legs"][0]["departure"])
    bart = Operator.objects.get(slug="bart")
    result = ticket_validate(code=ticket["code"], operator=bart, now=departure)
    assert (result["valid"], result["reason"]) == (True, None)
    again = ticket_validate(code=ticket["code"], operator=bart, now=departure)
    assert again["reason"] == "already_used"
    # settle: 680 sold, 10 % platform fee
    staff = make_user(Role.OPERATOR, operator=bart, username="bart-staff")
    month = timezone.localtime().strftime("%Y-%m")
    report = client_for(staff).get(f"/api/v1/operators/bart/settlement?month={month}").json()
    assert (report["legs_sold"], report["legs_used"]) == (1, 1)
    assert report["gross"] == {"amount": 680, "currency": "USD"}
    assert report["platform_fee"] == {"amount": 68, "currency": "USD"}
    assert report["net"] == {"amount": 612, "currency": "USD"}
    lines = ledger_operator_lines(operator_slug="bart", month=timezone.localdate())
    assert sum(line.amount for line in lines) == 612
    assert_ledger_balanced()
