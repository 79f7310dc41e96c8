"""Booking lifecycle through the API on hand-built frozen offers: exact charges, tickets,
idempotency, one booking per offer, every refusal leaving nothing held and nothing
charged, and the ledger balanced after each test that moves money."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError
from django.utils import timezone

from maas.accounts.models import Role, User
from maas.bookings.adapters import registry
from maas.bookings.adapters.base import LegRejected
from maas.bookings.adapters.tomp import TompHttpAdapter
from maas.bookings.models import (
    AttractionQuota,
    AttractionSales,
    BikeReservation,
    Booking,
    BookingLeg,
    OperatorIntegration,
)
from maas.bookings.services.booking import (
    _holds_place,
    booking_create,
    bookings_expire,
)
from maas.bookings.tasks import holds_expire_task
from maas.bookings.tickets import ticket_verify
from maas.wallet.models import Transaction
from operators.models import Operator
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error
from tests.maas.bookings.conftest import bike_station, bikes_left
from tests.maas.bookings.helpers import add_on, balance, leg, offer_make, top_up
from tests.maas.bookings.tomp_server import TompOperator, tomp_operator
from tests.maas.wallet.ledger import assert_ledger_balanced

pytestmark = pytest.mark.django_db


def _book(user: User, offer_id: Any, key: str | None = None, **body: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client_for(user).post(
        "/api/v1/bookings", {"offer_id": str(offer_id), **body}, format="json", **headers
    )


def _two_operator_offer(rider: User, bus: Operator, rail: Operator, **kw: Any) -> Any:
    return offer_make(
        owner=rider,
        legs=[
            leg("walk", None),  # type: ignore[arg-type]
            leg("transit", bus.slug, start_min=5),
            leg("transit", rail.slug, start_min=30),
        ],
        prices=[None, 210, 400],
        **kw,
    )


# ------------------------------------------------------------------ happy path


def test_booking_two_operators_charges_the_frozen_price_and_issues_tickets(
    rider: User, bus: Operator, rail: Operator, museum: Operator
) -> None:
    # given a 610 yen trip with a 1,020 yen museum add-on, and 2,000 yen in the wallet
    offer = _two_operator_offer(rider, bus, rail, add_ons=[add_on(museum.slug, "entry", 1020)])
    top_up(rider, 2000)
    # when
    response = _book(rider, offer.pk, key="k-1", add_on_ids=["museum-co:entry"])
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "CONFIRMED"
    assert body["price"] == {"amount": 1630, "currency": "JPY"}
    assert body["paid"] == {"amount": 1630, "currency": "JPY"}
    assert [(x["operator"], x["state"], x["price"]["amount"]) for x in body["legs"]] == [
        ("city-bus", "CONFIRMED", 210),
        ("metro-rail", "CONFIRMED", 400),
    ]
    assert [(x["operator"], x["state"], x["price"]["amount"]) for x in body["add_ons"]] == [
        ("museum-co", "CONFIRMED", 1020)
    ]
    bus_ticket = body["legs"][0]["ticket"]
    assert bus_ticket["valid_from"] == "2030-06-05T16:35:00+09:00"  # departure 08:05Z - 30 min
    assert bus_ticket["valid_until"] == "2030-06-05T17:55:00+09:00"  # arrival 08:25Z + 30 min
    claims = ticket_verify(code=bus_ticket["code"])
    assert (claims.operator, claims.booking_id, claims.single_use) == ("city-bus", body["id"], True)
    museum_ticket = body["add_ons"][0]["ticket"]
    assert museum_ticket["valid_from"] == "2030-06-05T00:00:00+09:00"
    assert museum_ticket["valid_until"] == "2030-06-06T00:00:00+09:00"
    assert balance(rider) == 370
    payment = Transaction.objects.get(kind="payment")
    assert payment.reference == f"booking:{body['id']}"
    # the platform fee (10 %) per line: 21 + 40 + 102
    lines = sorted(
        (slug, amount, fee)
        for slug, amount, fee in payment.entries.filter(
            account__kind="operator_payable"
        ).values_list("account__operator__slug", "amount", "platform_fee")
    )
    assert lines == [("city-bus", 189, 21), ("metro-rail", 360, 40), ("museum-co", 918, 102)]
    # and the read side
    detail = client_for(rider).get(f"/api/v1/bookings/{body['id']}")
    assert detail.status_code == 200
    assert detail.json() == body
    listing = client_for(rider).get("/api/v1/bookings")
    assert [b["id"] for b in listing.json()] == [body["id"]]
    assert_ledger_balanced()


def test_idempotent_retry_books_and_charges_once(
    rider: User, bus: Operator, rail: Operator
) -> None:
    offer = _two_operator_offer(rider, bus, rail)
    top_up(rider, 1000)
    first = _book(rider, offer.pk, key="same-key")
    again = _book(rider, offer.pk, key="same-key")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Booking.objects.count() == 1
    assert Transaction.objects.filter(kind="payment").count() == 1
    assert balance(rider) == 390
    assert_ledger_balanced()


def test_an_offer_is_booked_once(rider: User, bus: Operator, rail: Operator) -> None:
    offer = _two_operator_offer(rider, bus, rail)
    top_up(rider, 2000)
    assert _book(rider, offer.pk, key="a").status_code == 201
    # when another key books the same offer
    response = _book(rider, offer.pk, key="b")
    # then
    assert_error(response, 409, "offer_already_booked")
    assert Booking.objects.count() == 1
    assert balance(rider) == 1390
    assert_ledger_balanced()


# ------------------------------------------------------------------ refusals


def test_expired_offer_is_409_and_creates_nothing(
    rider: User, bus: Operator, rail: Operator
) -> None:
    offer = _two_operator_offer(rider, bus, rail, expires_in_s=-1)
    top_up(rider, 1000)
    assert_error(_book(rider, offer.pk), 409, "offer_expired")
    assert Booking.objects.count() == 0
    assert balance(rider) == 1000


def test_bad_input_and_wrong_role_change_nothing(
    rider: User, other_rider: User, bus: Operator, rail: Operator, make_user: Any
) -> None:
    offer = _two_operator_offer(rider, bus, rail)
    top_up(rider, 1000)
    assert_error(
        client_for(rider).post("/api/v1/bookings", {}, format="json"), 400, "invalid_request"
    )
    assert_error(_book(rider, offer.pk, payment="card"), 400, "invalid_request")
    assert_error(_book(rider, offer.pk, add_on_ids=["nope:x"]), 400, "unknown_add_on")
    assert_error(_book(rider, "not-a-uuid"), 404, "not_found")
    # another passenger's offer is not found
    assert_error(_book(other_rider, offer.pk), 404, "not_found")
    # operator staff may not book
    staff = make_user(Role.OPERATOR, operator=bus, username="bus-staff")
    assert_error(_book(staff, offer.pk), 403, "permission_denied")
    assert_error(_anonymous_book(offer.pk), 401, "not_authenticated")
    assert Booking.objects.count() == 0
    assert balance(rider) == 1000


def _anonymous_book(offer_id: Any) -> Any:
    from rest_framework.test import APIClient

    return APIClient().post("/api/v1/bookings", {"offer_id": str(offer_id)}, format="json")


def test_another_passengers_booking_is_404(
    rider: User, other_rider: User, bus: Operator, rail: Operator
) -> None:
    offer = _two_operator_offer(rider, bus, rail)
    top_up(rider, 1000)
    booking_id = _book(rider, offer.pk).json()["id"]
    assert_error(client_for(other_rider).get(f"/api/v1/bookings/{booking_id}"), 404, "not_found")
    assert client_for(other_rider).get("/api/v1/bookings").json() == []
    cancel = client_for(other_rider).post(
        f"/api/v1/bookings/{booking_id}/events", {"operation": "CANCEL"}, format="json"
    )
    assert_error(cancel, 404, "not_found")
    assert Booking.objects.get().state == "CONFIRMED"
    assert_ledger_balanced()


def test_insufficient_funds_is_402_and_releases_every_hold(
    rider: User, bus: Operator, bikes: Operator, museum: Operator
) -> None:
    # given a bike leg (1 bike at the station) and a quota-limited ticket, 100 yen in wallet
    station = bike_station(bikes, bikes_available=1)
    AttractionQuota.objects.create(tourism_operator=museum, product_id="entry", daily_limit=1)
    offer = offer_make(
        owner=rider,
        legs=[leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"})],
        prices=[150],
        add_ons=[add_on(museum.slug, "entry", 1000)],
    )
    top_up(rider, 100)
    # when
    response = _book(rider, offer.pk, key="poor", add_on_ids=["museum-co:entry"])
    # then
    assert_error(response, 402, "insufficient_funds")
    details = response.json()["error"]["details"]
    assert (details["balance"], details["required"], details["shortfall"]) == (100, 1150, 1050)
    booking = Booking.objects.get()
    assert booking.state == "REJECTED"
    assert sorted(booking.legs.values_list("state", flat=True)) == ["RELEASED", "RELEASED"]
    assert bikes_left(station) == 1
    assert BikeReservation.objects.get().state == "RELEASED"
    assert AttractionSales.objects.get().taken == 0
    assert balance(rider) == 100
    assert Transaction.objects.filter(kind="payment").count() == 0
    # after a top-up the same offer can be booked (a rejected attempt does not hold it)
    top_up(rider, 2000)
    assert _book(rider, offer.pk, key="poor", add_on_ids=["museum-co:entry"]).status_code == 201
    assert bikes_left(station) == 0
    assert balance(rider) == 950
    assert_ledger_balanced()


def test_last_ticket_of_the_day_goes_to_one_booking(
    rider: User, other_rider: User, bus: Operator, museum: Operator
) -> None:
    AttractionQuota.objects.create(tourism_operator=museum, product_id="entry", daily_limit=1)
    offers = [
        offer_make(
            owner=user,
            legs=[leg("transit", bus.slug)],
            prices=[200],
            add_ons=[add_on(museum.slug, "entry", 500)],
        )
        for user in (rider, other_rider)
    ]
    top_up(rider, 1000)
    top_up(other_rider, 1000)
    assert _book(rider, offers[0].pk, add_on_ids=["museum-co:entry"]).status_code == 201
    response = _book(other_rider, offers[1].pk, add_on_ids=["museum-co:entry"])
    assert_error(response, 409, "booking_rejected")
    assert response.json()["error"]["details"]["reason"] == "no_capacity"
    assert AttractionSales.objects.get().taken == 1
    assert balance(other_rider) == 1000
    assert_ledger_balanced()


# ------------------------------------------------------------------ HTTP operators (TOMP)


@pytest.fixture
def tomp(rail: Operator, monkeypatch: pytest.MonkeyPatch) -> Iterator[TompOperator]:
    monkeypatch.setenv("METRO_TOMP_TOKEN", "Bearer s3cret-token")
    with tomp_operator() as server:
        OperatorIntegration.objects.create(
            operator=rail,
            base_url=server.base_url,
            auth_secret_env="METRO_TOMP_TOKEN",
            timeout_s=0.5,
        )
        yield server


def _bike_then_rail_offer(rider: User, bikes: Operator, rail: Operator) -> Any:
    return offer_make(
        owner=rider,
        legs=[
            leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"}),
            leg("transit", rail.slug, start_min=30),
        ],
        prices=[150, 400],
    )


def test_tomp_operator_holds_and_commits(
    rider: User, bikes: Operator, rail: Operator, tomp: TompOperator, caplog: Any
) -> None:
    station = bike_station(bikes, bikes_available=3)
    offer = _bike_then_rail_offer(rider, bikes, rail)
    top_up(rider, 1000)
    response = _book(rider, offer.pk)
    assert response.status_code == 201, response.content
    assert [x["state"] for x in response.json()["legs"]] == ["CONFIRMED", "CONFIRMED"]
    assert tomp.operations() == ["HOLD", "COMMIT"]
    assert tomp.calls[0]["path"] == "/tomp/bookings"
    assert tomp.calls[1]["path"] == "/tomp/bookings/op-1/events"
    assert tomp.calls[0]["auth"] == "Bearer s3cret-token"
    assert tomp.states == {"op-1": "CONFIRMED"}
    assert BookingLeg.objects.get(operator=rail).external_id == "op-1"
    assert bikes_left(station) == 2
    assert balance(rider) == 450
    assert "s3cret" not in caplog.text
    assert_ledger_balanced()


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("reject", "operator_rejected"),
        ("timeout", "operator_unavailable"),
        ("error", "operator_unavailable"),
    ],
)
def test_second_operator_refusing_releases_the_first(
    rider: User, bikes: Operator, rail: Operator, tomp: TompOperator, behaviour: str, reason: str
) -> None:
    station = bike_station(bikes, bikes_available=1)
    tomp.hold = behaviour
    tomp.delay_s = 1.5
    offer = _bike_then_rail_offer(rider, bikes, rail)
    top_up(rider, 1000)
    response = _book(rider, offer.pk)
    assert_error(response, 409, "booking_rejected")
    assert response.json()["error"]["details"]["reason"] == reason
    booking = Booking.objects.get()
    assert booking.state == "REJECTED"
    assert list(booking.legs.order_by("position").values_list("state", flat=True)) == [
        "RELEASED",
        "REJECTED",
    ]
    assert bikes_left(station) == 1
    assert balance(rider) == 1000
    assert Transaction.objects.filter(kind="payment").count() == 0
    assert_ledger_balanced()


def test_operator_failing_half_way_is_cancelled_and_nothing_charged(
    rider: User, bikes: Operator, rail: Operator, tomp: TompOperator
) -> None:
    # the operator accepts the hold, then fails the COMMIT
    station = bike_station(bikes, bikes_available=1)
    tomp.commit = "fail"
    offer = _bike_then_rail_offer(rider, bikes, rail)
    top_up(rider, 1000)
    response = _book(rider, offer.pk)
    assert_error(response, 409, "booking_rejected")
    assert tomp.operations() == ["HOLD", "COMMIT", "CANCEL"]
    assert tomp.states == {"op-1": "CANCELLED"}
    assert bikes_left(station) == 1
    assert balance(rider) == 1000
    assert Transaction.objects.count() == 1  # the top-up only
    assert_ledger_balanced()


class _CommitThenDatabaseFails(TompHttpAdapter):
    """Test-only: the operator accepts the COMMIT, then our database fails (after the
    payment was written in the same transaction)."""

    def commit(self, *, leg: BookingLeg) -> None:
        assert Transaction.objects.filter(kind="payment").exists()
        super().commit(leg=leg)
        raise DatabaseError("the database went away mid-commit")


def test_database_failing_mid_commit_charges_nothing_and_cancels_the_operator(
    rider: User, bikes: Operator, rail: Operator, tomp: TompOperator, monkeypatch: Any
) -> None:
    monkeypatch.setitem(registry.ADAPTERS, "db-fails", _CommitThenDatabaseFails())
    OperatorIntegration.objects.filter(operator=rail).update(adapter="db-fails")
    station = bike_station(bikes, bikes_available=1)
    offer = _bike_then_rail_offer(rider, bikes, rail)
    top_up(rider, 1000)
    with pytest.raises(DatabaseError):
        booking_create(user=rider, offer_id=str(offer.pk), add_on_ids=[])
    booking = Booking.objects.get()
    assert booking.state == "REJECTED"
    assert booking.failure == {"code": "internal_error", "message": "The commit failed."}
    assert tomp.operations() == ["HOLD", "COMMIT", "CANCEL"]
    assert tomp.states == {"op-1": "CANCELLED"}
    assert bikes_left(station) == 1
    assert balance(rider) == 1000
    assert Transaction.objects.filter(kind="payment").count() == 0
    assert_ledger_balanced()


# ------------------------------------------------------------------ expiry


def test_pending_holds_expire_and_give_inventory_back(
    rider: User, bikes: Operator, museum: Operator
) -> None:
    # given a booking whose process died after the holds (PENDING, never committed)
    station = bike_station(bikes, bikes_available=1)
    AttractionQuota.objects.create(tourism_operator=museum, product_id="entry", daily_limit=5)
    offer = offer_make(
        owner=rider,
        legs=[leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"})],
        prices=[150],
        add_ons=[add_on(museum.slug, "entry", 500)],
    )
    booking = Booking.objects.create(
        owner=rider,
        offer=offer,
        price_amount=650,
        currency="JPY",
        expires_at=timezone.now() + dt.timedelta(seconds=300),
    )
    BookingLeg.objects.create(
        booking=booking,
        position=0,
        mode="bikeshare",
        operator=bikes,
        adapter="bikeshare",
        detail=offer.itinerary["legs"][0],
        price_amount=150,
    )
    BookingLeg.objects.create(
        booking=booking,
        position=1,
        kind="add_on",
        mode="attraction_ticket",
        operator=museum,
        adapter="attraction",
        detail=offer.add_ons[0],
        price_amount=500,
    )
    _holds_place(booking=booking)
    assert bikes_left(station) == 0
    assert AttractionSales.objects.get().taken == 1
    # when the sweep runs before expiry, nothing happens; after it, everything is released
    assert bookings_expire() == 0
    assert bookings_expire(now=timezone.now() + dt.timedelta(seconds=301)) == 1
    booking.refresh_from_db()
    assert booking.state == "EXPIRED"
    assert list(booking.legs.values_list("state", flat=True)) == ["EXPIRED", "EXPIRED"]
    assert bikes_left(station) == 1
    assert AttractionSales.objects.get().taken == 0
    assert BikeReservation.objects.get().state == "RELEASED"
    # the offer may be booked again, and the task is the same sweep (nothing left to do)
    assert holds_expire_task() == {"expired": 0, "cancels_delivered": 0}


def test_leg_rejected_is_a_plain_exception() -> None:
    exc = LegRejected("no_capacity", "full")
    assert (exc.code, exc.message, str(exc)) == ("no_capacity", "full", "full")


def test_list_is_paginated(rider: User, bus: Operator) -> None:
    top_up(rider, 5000)
    ids = []
    for _ in range(3):
        offer = offer_make(owner=rider, legs=[leg("transit", bus.slug)], prices=[100])
        ids.append(_book(rider, offer.pk).json()["id"])
    page = client_for(rider).get("/api/v1/bookings?limit=2")
    assert [b["id"] for b in page.json()] == ids[::-1][:2]
    assert 'rel="next"' in page["Link"]
    assert_ledger_balanced()


def test_operator_unknown_to_the_platform_is_refused(rider: User) -> None:
    offer = offer_make(owner=rider, legs=[leg("transit", "ghost-line")], prices=[100])
    top_up(rider, 500)
    assert_error(_book(rider, offer.pk), 409, "operator_unknown")
    assert Booking.objects.count() == 0


def test_a_held_bike_stays_taken_after_the_next_status_poll(
    rider: User, other_rider: User, bikes: Operator
) -> None:
    # given: the station's last bike is held by a confirmed booking
    station = bike_station(bikes, bikes_available=1)
    top_up(rider, 1000)
    top_up(other_rider, 1000)
    first = offer_make(
        owner=rider,
        legs=[leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"})],
        prices=[150],
    )
    assert _book(rider, first.id).status_code == 201
    assert bikes_left(station) == 0
    # when: the operator's next station_status still publishes 1 bike (the rider has not
    # picked it up yet) and replaces the live status row
    from operators.gbfs.models import StationStatus

    StationStatus.objects.filter(station=station).delete()
    StationStatus.objects.create(
        station=station, num_bikes_available=1, num_docks_available=5, fetched_at=timezone.now()
    )
    # then: the bike is still taken, and a second booking of it is refused
    assert bikes_left(station) == 0
    second = offer_make(
        owner=other_rider,
        legs=[leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"})],
        prices=[150],
    )
    refused = _book(other_rider, second.id)
    assert_error(refused, 409, "booking_rejected")
    assert balance(other_rider) == 1000
    assert_ledger_balanced()
