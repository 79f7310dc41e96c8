from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import Role, User
from maas.bookings.models import Booking, BookingLeg
from maas.bookings.services.booking import booking_create
from maas.bookings.services.validation import ticket_validate
from maas.platform.models import UsageEvent
from maas.platform.services import research_id
from maas.trips.models import Offer
from operators.models import Operator
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.maas.bookings.conftest import _ticket_keys, bus  # noqa: F401
from tests.maas.bookings.helpers import DEPARTURE, leg, offer_make, top_up
from tests.maas.wallet.ledger import assert_ledger_balanced

PASSWORD = "correct-horse-battery-staple"


def _booked_rider(operator: Operator) -> tuple[User, Booking, Offer]:
    rider = UserFactory.create(
        role=Role.PASSENGER,
        username="taro-rights",
        email="taro@example.jp",
        first_name="Taro",
        share_usage_research=True,
        password=PASSWORD,
    )
    top_up(rider, 1000)
    offer = offer_make(owner=rider, legs=[leg("transit", operator.slug)], prices=[210])
    booking = booking_create(user=rider, offer_id=str(offer.pk), add_on_ids=[])
    (booked_leg,) = booking.legs.all()
    ticket_validate(code=booked_leg.ticket_code, operator=operator, now=DEPARTURE)
    return rider, booking, offer


@pytest.mark.django_db
def test_export_holds_everything_about_the_caller(bus: Operator) -> None:  # noqa: F811
    # given
    rider, booking, offer = _booked_rider(bus)
    other = UserFactory.create(role=Role.PASSENGER)
    offer_make(owner=other, legs=[leg("transit", bus.slug)], prices=[210])
    # when
    response = client_for(rider).get("/api/v1/me/export")
    # then
    assert response.status_code == 200
    body = response.json()
    (leg_row,) = BookingLeg.objects.filter(booking=booking)
    assert body["profile"] == {
        "id": rider.pk,
        "username": "taro-rights",
        "email": "taro@example.jp",
        "first_name": "Taro",
        "last_name": rider.last_name,
        "role": "passenger",
        "preferred_language": rider.preferred_language,
        "visitor_type": "unknown",
        "date_joined": rider.date_joined.isoformat(),
        "last_login": None,
    }
    assert body["consent"] == {"share_usage_research": True, "updated_at": None}
    assert body["research_id"] == research_id(user_id=rider.pk)
    assert [b["id"] for b in body["bookings"]] == [str(booking.pk)]
    assert body["bookings"][0]["state"] == "FINISHED"
    assert body["bookings"][0]["legs"][0]["ticket"]["code"] == leg_row.ticket_code
    assert [o["id"] for o in body["offers"]] == [str(offer.pk)]
    assert body["wallet"]["accounts"] == [{"currency": "JPY", "balance": 790}]
    assert [(e["amount"], e["kind"]) for e in body["wallet"]["entries"]] == [
        (1000, "top_up"),
        (-210, "payment"),
    ]
    assert body["ticket_validations"] == [
        {
            "booking_leg_id": leg_row.pk,
            "operator": "city-bus",
            "at": DEPARTURE.isoformat(),
            "result": "valid",
            "reason": "",
        }
    ]


@pytest.mark.django_db
def test_export_needs_a_signed_in_passenger(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/me/export").status_code == 401
    city = UserFactory.create(role=Role.CITY)
    assert client_for(city).get("/api/v1/me/export").status_code == 403


@pytest.mark.django_db
def test_erasure_end_to_end(api_client: APIClient, bus: Operator) -> None:  # noqa: F811
    # given: a rider with a booking, a validated ticket, events in the outbox
    rider, booking, offer = _booked_rider(bus)
    events_before = {e.event_id: e.payload for e in UsageEvent.objects.all()}
    token = api_client.post(
        "/api/v1/auth/token", {"username": "taro-rights", "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    # when
    response = client.delete("/api/v1/me")
    # then: 204, the person is gone, the books stay
    assert response.status_code == 204
    rider.refresh_from_db()
    assert rider.username.startswith("deleted-")
    assert rider.username != "taro-rights"
    assert (rider.email, rider.first_name, rider.last_name) == ("", "", "")
    assert not rider.has_usable_password()
    assert not rider.is_active
    assert not rider.share_usage_research
    assert Booking.objects.get(pk=booking.pk).owner_id == rider.pk
    assert_ledger_balanced()
    # exact points of the offer and the booked leg are coarsened to 1 km cell centres
    stored = json.dumps([Offer.objects.get(pk=offer.pk).itinerary, booking.legs.get().detail])
    assert "35.68," not in stored
    assert "139.76," not in stored
    # the events already written stay as they were (pseudonymous from the start)
    assert {e.event_id: e.payload for e in UsageEvent.objects.all()} == events_before
    # the old token no longer works, nor does signing in
    assert client.get("/api/v1/me").status_code == 401
    login = api_client.post(
        "/api/v1/auth/token", {"username": "taro-rights", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 401
    dump = json.dumps(
        list(User.objects.filter(pk=rider.pk).values("username", "email", "first_name"))
    )
    assert "taro" not in dump


@pytest.mark.django_db
def test_staff_cannot_erase_themselves(settings: Any) -> None:
    city = UserFactory.create(role=Role.CITY, username="analyst", email="a@city.jp")
    response = client_for(city).delete("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "erasure_not_allowed"
    city.refresh_from_db()
    assert (city.username, city.email, city.is_active) == ("analyst", "a@city.jp", True)
