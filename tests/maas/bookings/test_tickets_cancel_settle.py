"""Tickets (offline verification, key rotation, validation API), cancellation with
per-operator rules and refunds, and operator settlement reconciled with the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from maas.accounts.models import Role, User
from maas.bookings.models import Booking, BookingLeg, CancellationPolicy, TicketValidation
from maas.bookings.services.cancellation import booking_cancel
from maas.bookings.tickets import TicketInvalid, operator_ticket_key, ticket_verify
from maas.wallet.models import Entry
from maas.wallet.selectors import ledger_operator_lines
from operators.models import Operator
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error
from tests.maas.bookings.helpers import balance, leg, offer_make, top_up
from tests.maas.wallet.ledger import assert_ledger_balanced

pytestmark = pytest.mark.django_db


def _booked(rider: User, bus: Operator, rail: Operator, *, day: dt.datetime) -> dict[str, Any]:
    offer = offer_make(
        owner=rider,
        legs=[leg("transit", bus.slug, day=day), leg("transit", rail.slug, start_min=30, day=day)],
        prices=[210, 400],
    )
    top_up(rider, 1000)
    response = client_for(rider).post(
        "/api/v1/bookings", {"offer_id": str(offer.pk)}, format="json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def _validate(user: User, code: str) -> Any:
    return client_for(user).post("/api/v1/tickets/validate", {"code": code}, format="json")


# ------------------------------------------------------------------ tickets


def test_operator_validates_its_ticket_once(
    rider: User, bus: Operator, rail: Operator, make_user: Any
) -> None:
    booking = _booked(rider, bus, rail, day=timezone.now() + dt.timedelta(minutes=5))
    code = booking["legs"][0]["ticket"]["code"]
    bus_staff = make_user(Role.OPERATOR, operator=bus, username="bus-staff")
    rail_staff = make_user(Role.OPERATOR, operator=rail, username="rail-staff")
    # another operator learns nothing about the ticket
    other = _validate(rail_staff, code)
    assert other.status_code == 200
    assert other.json() == {"valid": False, "booking_leg": None, "reason": "not_your_ticket"}
    # the bus validates it once
    first = _validate(bus_staff, code).json()
    assert first["valid"] is True
    assert first["reason"] is None
    assert first["booking_leg"]["operator"] == "city-bus"
    assert first["booking_leg"]["booking_id"] == booking["id"]
    assert _validate(bus_staff, code).json()["reason"] == "already_used"
    # forged and garbled codes
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    assert _validate(bus_staff, forged).json()["reason"] == "invalid_signature"
    assert _validate(bus_staff, "hello").json()["reason"] == "malformed"
    # a passenger may not validate
    assert_error(_validate(rider, code), 403, "permission_denied")
    assert list(TicketValidation.objects.values_list("operator__slug", "result", "reason")) == [
        ("metro-rail", "invalid", "not_your_ticket"),
        ("city-bus", "valid", ""),
        ("city-bus", "invalid", "already_used"),
        ("city-bus", "invalid", "invalid_signature"),
        ("city-bus", "invalid", "malformed"),
    ]
    assert Booking.objects.get().state == "STARTED"
    assert_ledger_balanced()


def test_ticket_not_yet_valid_and_key_rotation(
    rider: User, bus: Operator, rail: Operator, make_user: Any, settings: Any
) -> None:
    booking = _booked(rider, bus, rail, day=timezone.now() + dt.timedelta(hours=5))
    code = booking["legs"][0]["ticket"]["code"]
    staff = make_user(Role.OPERATOR, operator=bus, username="bus-staff")
    assert _validate(staff, code).json()["reason"] == "not_yet_valid"
    # a new signing key: old tickets still verify while the old key is listed
    settings.TICKET_SIGNING_KEYS = "k2027:next-secret,k2026:first-test-secret"
    assert ticket_verify(code=code).operator == "city-bus"
    settings.TICKET_SIGNING_KEYS = "k2027:next-secret"
    with pytest.raises(TicketInvalid, match="invalid_signature"):
        ticket_verify(code=code)


def test_offline_verification_with_the_operator_key(
    rider: User, bus: Operator, rail: Operator
) -> None:
    # the snippet of docs/bookings.md, with only the operator's derived key
    import base64
    import hashlib
    import hmac
    import json

    booking = _booked(rider, bus, rail, day=timezone.now() + dt.timedelta(minutes=5))
    code = booking["legs"][0]["ticket"]["code"]
    key = operator_ticket_key(master=b"first-test-secret", operator_slug="city-bus")
    version, kid, payload, signature = code.split(".")
    expected = hmac.new(key, f"{version}.{kid}.{payload}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(
        expected, base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    )
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (claims["o"], claims["b"], claims["s"]) == ("city-bus", booking["id"], 1)
    # the rail operator's key does not verify a bus ticket
    rail_key = operator_ticket_key(master=b"first-test-secret", operator_slug="metro-rail")
    assert hmac.new(rail_key, f"{version}.{kid}.{payload}".encode(), hashlib.sha256).digest() != (
        expected
    )


# ------------------------------------------------------------------ cancellation


def test_cancel_before_the_free_window_refunds_everything(
    rider: User, bus: Operator, rail: Operator
) -> None:
    booking = _booked(rider, bus, rail, day=timezone.now() + dt.timedelta(days=2))
    url = f"/api/v1/bookings/{booking['id']}/events"
    response = client_for(rider).post(url, {"operation": "CANCEL"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "CANCELLED"
    assert body["refunded"] == {"amount": 610, "currency": "JPY"}
    assert [x["state"] for x in body["legs"]] == ["CANCELLED", "CANCELLED"]
    assert balance(rider) == 1000
    again = client_for(rider).post(url, {"operation": "CANCEL"}, format="json")
    assert_error(again, 409, "booking_already_cancelled")
    bad = client_for(rider).post(url, {"operation": "EXPLODE"}, format="json")
    assert_error(bad, 400, "invalid_request")
    assert balance(rider) == 1000
    assert_ledger_balanced()


def test_cancel_inside_the_window_keeps_the_operators_fee(
    rider: User, bus: Operator, rail: Operator
) -> None:
    # given: bus free until 60 min before, then 20 %; rail free until 10 min, then 100 yen
    CancellationPolicy.objects.create(operator=bus, free_until_min=60, fee_percent=20)
    CancellationPolicy.objects.create(operator=rail, free_until_min=10, fee_amount=100)
    departure = timezone.now() + dt.timedelta(days=1)
    booking = _booked(rider, bus, rail, day=departure)
    # when cancelled 30 min before the bus leaves (rail leaves 30 min later: still free)
    result = booking_cancel(
        booking=Booking.objects.get(pk=booking["id"]), now=departure - dt.timedelta(minutes=30)
    )
    # then bus: 210 - 42 = 168 back; rail: all 400 back
    assert result == {"refunded": 568}
    assert balance(rider) == 390 + 568
    legs = {x.operator.slug: x for x in BookingLeg.objects.select_related("operator")}
    assert legs["city-bus"].refunded_amount == 168
    assert legs["metro-rail"].refunded_amount == 400
    # the operator keeps 42 of which the platform keeps 10 % (4, rounded down): fee 21 -> 4
    refund = Entry.objects.filter(
        transaction__kind="refund", account__operator__slug="city-bus"
    ).get()
    assert (refund.amount, refund.platform_fee) == (-151, -17)
    assert_ledger_balanced()


# ------------------------------------------------------------------ settlement


def test_settlement_reconciles_with_the_ledger(
    rider: User, bus: Operator, rail: Operator, make_user: Any
) -> None:
    # given one booking, its bus ticket used, then a cancellation with a fee on the bus leg
    CancellationPolicy.objects.create(operator=bus, free_until_min=60, fee_percent=20)
    departure = timezone.now() + dt.timedelta(minutes=20)
    booking = _booked(rider, bus, rail, day=departure)
    bus_staff = make_user(Role.OPERATOR, operator=bus, username="bus-staff")
    rail_staff = make_user(Role.OPERATOR, operator=rail, username="rail-staff")
    city = make_user(Role.CITY, username="city")
    # the rail leg (free until 10 min before its departure 50 min from now) is cancelled
    client_for(rider).post(
        f"/api/v1/bookings/{booking['id']}/events", {"operation": "CANCEL"}, format="json"
    )
    month = timezone.localtime().strftime("%Y-%m")
    # when
    bus_report = client_for(bus_staff).get(f"/api/v1/operators/city-bus/settlement?month={month}")
    rail_report = client_for(city).get(f"/api/v1/operators/metro-rail/settlement?month={month}")
    # then: the bus leg departs in 20 min (inside 60): 20 % fee on 210 = 42 kept
    assert bus_report.status_code == 200, bus_report.content
    bus_body = bus_report.json()
    assert {k: bus_body[k] for k in ("legs_sold", "legs_used", "legs_refunded")} == {
        "legs_sold": 1,
        "legs_used": 0,
        "legs_refunded": 1,
    }
    assert bus_body["gross"]["amount"] == 210
    assert bus_body["refunds"]["amount"] == 168
    assert bus_body["platform_fee"]["amount"] == 21 - 17
    assert bus_body["net"]["amount"] == 42 - 4
    rail_body = rail_report.json()
    assert (rail_body["gross"]["amount"], rail_body["refunds"]["amount"]) == (400, 400)
    assert rail_body["net"]["amount"] == 0
    for slug, body in (("city-bus", bus_body), ("metro-rail", rail_body)):
        lines = ledger_operator_lines(operator_slug=slug, month=timezone.localdate())
        assert body["net"]["amount"] == sum(line.amount for line in lines)
        ledger = sum(
            Entry.objects.filter(account__operator__slug=slug).values_list("amount", flat=True)
        )
        assert body["net"]["amount"] == ledger
        assert (
            body["gross"]["amount"] - body["refunds"]["amount"] - body["platform_fee"]["amount"]
            == body["net"]["amount"]
        )
    # CSV: a header and one row per ledger line
    csv_response = client_for(bus_staff).get(
        f"/api/v1/operators/city-bus/settlement?month={month}&format=csv"
    )
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = csv_response.content.decode().splitlines()
    assert rows[0] == "at,type,reference,booking_leg,kind,gross,platform_fee,amount,currency"
    assert [r.split(",")[1] for r in rows[1:]] == ["payment", "refund"]
    # other tenants, passengers, bad months
    assert_error(
        client_for(rail_staff).get(f"/api/v1/operators/city-bus/settlement?month={month}"),
        404,
        "not_found",
    )
    assert_error(
        client_for(rider).get(f"/api/v1/operators/city-bus/settlement?month={month}"),
        403,
        "permission_denied",
    )
    assert_error(
        client_for(city).get("/api/v1/operators/city-bus/settlement?month=2026-13"),
        400,
        "invalid_month",
    )
    assert_ledger_balanced()
