from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest

from maas.accounts.models import Role, User
from maas.bookings.models import Booking
from maas.bookings.services.booking import booking_create
from maas.bookings.services.cancellation import booking_cancel
from maas.bookings.services.validation import ticket_validate
from maas.platform.delivery import batch_body
from maas.platform.models import UsageEvent
from maas.platform.services import (
    PersonalDataInPayload,
    event_record,
    object_ref,
    offer_event_record,
    person_pseudonym,
    plan_request_record,
    research_id,
)
from operators.models import Operator
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.maas.bookings.conftest import _ticket_keys, bike_station, bikes, bus  # noqa: F401
from tests.maas.bookings.helpers import DEPARTURE, leg, offer_make, top_up

DAY = dt.datetime(2030, 6, 5, 8, 0, tzinfo=dt.UTC)


def test_pseudonym_is_stable_within_a_utc_day_and_rotates_the_next() -> None:
    morning = person_pseudonym(user_id=7, at=DAY.replace(hour=0, minute=0, second=1))
    evening = person_pseudonym(user_id=7, at=DAY.replace(hour=23, minute=59))
    tomorrow = person_pseudonym(user_id=7, at=DAY + dt.timedelta(days=1))
    assert morning == evening
    assert morning != tomorrow
    assert morning is not None
    assert len(morning) == 32
    assert person_pseudonym(user_id=8, at=DAY) != morning
    # the day is the UTC day: 08:59 JST on the 6th is still the 5th in UTC
    jst = dt.timezone(dt.timedelta(hours=9))
    assert person_pseudonym(user_id=7, at=dt.datetime(2030, 6, 6, 8, 59, tzinfo=jst)) == morning


def test_research_id_is_stable_and_unlike_the_pseudonym() -> None:
    assert research_id(user_id=7) == research_id(user_id=7)
    assert research_id(user_id=7) != research_id(user_id=8)
    assert research_id(user_id=7) != person_pseudonym(user_id=7, at=DAY)


def test_pseudonyms_change_with_the_secret(settings: Any) -> None:
    before = person_pseudonym(user_id=7, at=DAY)
    settings.PLATFORM_PSEUDONYM_SECRET = "another"
    assert person_pseudonym(user_id=7, at=DAY) != before


def test_no_person_ids_without_a_secret_in_production(settings: Any) -> None:
    settings.DEBUG = False
    settings.PLATFORM_PSEUDONYM_SECRET = ""
    settings.PLATFORM_RESEARCH_SECRET = ""
    assert person_pseudonym(user_id=7, at=DAY) is None
    assert research_id(user_id=7) is None


@pytest.mark.django_db
def test_event_record_refuses_personal_fields() -> None:
    with pytest.raises(PersonalDataInPayload, match=r"rider\.email"):
        event_record(stream="offers", type="x", payload={"rider": {"email": "a@b.c"}})
    assert not UsageEvent.objects.exists()


@pytest.mark.django_db
def test_plan_event_is_coarse_and_anonymous() -> None:
    # given: a query from a point to a stop (the stop's place comes from the answer)
    query = SimpleNamespace(
        origin=SimpleNamespace(lat=35.681236, lon=139.767125),
        destination=None,
        time=dt.datetime(2030, 6, 5, 8, 47, 12, tzinfo=dt.UTC),
        arrive_by=False,
        modes=("walk", "transit"),
    )
    body = {"itineraries": [{"legs": [{"to": {"lat": 35.6595, "lon": 139.7004}}]}] * 2}
    # when
    event = plan_request_record(query=query, body=body)
    # then
    assert (event.stream, event.type) == ("plans", "plan_requested")
    assert event.payload == {
        "origin": {"mesh": "53394611"},
        "destination": {"mesh": "53393596"},
        "hour": "2030-06-05T08:00:00+00:00",
        "arrive_by": False,
        "modes": ["transit", "walk"],
        "itineraries": 2,
    }


def _events(stream: str) -> list[UsageEvent]:
    return list(UsageEvent.objects.filter(stream=stream).order_by("id"))


SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs/platform/events.schema.json").read_text()
)


def _scan_for_personal_data(user: User) -> None:
    # every event as delivered validates against the published schema
    body = json.loads(batch_body(list(UsageEvent.objects.order_by("id"))))
    jsonschema.validate(body, SCHEMA)
    text = json.dumps([e.payload for e in UsageEvent.objects.all()])
    assert user.username not in text
    assert not user.email or user.email not in text
    assert f'"{user.pk}"' not in text
    for key in ("username", "email", "user_id", "owner"):
        assert f'"{key}"' not in text
    # exact points never leave (the helper legs start at 35.68,139.76)
    assert "139.76" not in text
    assert "35.68" not in text


@pytest.mark.django_db
def test_booking_bike_and_ticket_events_exact(bus: Operator, bikes: Operator) -> None:  # noqa: F811
    # given: a rider who opted in to research books a bike then a bus
    rider = UserFactory.create(
        role=Role.PASSENGER,
        username="hanako-events",
        email="hanako@example.jp",
        share_usage_research=True,
        visitor_type="tourist",
    )
    top_up(rider, 1000)
    bike_station(bikes, bikes_available=2)
    offer = offer_make(
        owner=rider,
        legs=[
            leg("bikeshare", bikes.slug, station={"id": "cycle-share:st-1"}),
            leg("transit", bus.slug, start_min=30),
        ],
        prices=[150, 210],
    )
    # when
    booking = booking_create(user=rider, offer_id=str(offer.pk), add_on_ids=[])
    # then: the booking stream tells NEW, PENDING, CONFIRMED
    bookings = _events("bookings")
    assert [e.type for e in bookings] == ["NEW", "PENDING", "CONFIRMED"]
    confirmed = bookings[-1]
    legs = list(booking.legs.order_by("position"))
    rider_block = {
        "pseudonym": person_pseudonym(user_id=rider.pk, at=confirmed.occurred_at),
        "research_id": research_id(user_id=rider.pk),
        "visitor_type": "tourist",
    }
    assert confirmed.payload == {
        "scope": "booking",
        "trip_id": None,
        "booking_ref": object_ref(kind="booking", object_id=booking.pk),
        "offer_ref": object_ref(kind="offer", object_id=offer.pk),
        "state": "CONFIRMED",
        "rider": rider_block,
        "price": {"amount": 360, "currency": "JPY"},
        "paid": 360,
        "refunded": 0,
        "legs": [
            {
                "trip_id": object_ref(kind="booking-leg", object_id=legs[0].pk),
                "provider": "cycle-share",
                "mode": "bikeshare",
                "kind": "leg",
                "state": "CONFIRMED",
                "start_location": {"mesh": "533946104"},
                "end_location": {"mesh": "533946214"},
                "start_time": DEPARTURE.isoformat(),
                "price": 150,
            },
            {
                "trip_id": object_ref(kind="booking-leg", object_id=legs[1].pk),
                "provider": "city-bus",
                "mode": "transit",
                "kind": "leg",
                "state": "CONFIRMED",
                "start_location": {"mesh": "533946104"},
                "end_location": {"mesh": "533946214"},
                "start_time": (DEPARTURE + dt.timedelta(minutes=30)).isoformat(),
                "price": 210,
            },
        ],
    }
    # the bike stream: held then confirmed, at the station's cell
    bike = _events("bikeshare")
    assert [e.type for e in bike] == ["held", "confirmed"]
    assert bike[1].payload["station_id"] == "cycle-share:st-1"
    assert bike[1].payload["event_location"] == {"mesh": "533946104"}
    assert bike[1].payload["event_types"] == ["reserve"]
    assert bike[1].payload["trip_id"] == object_ref(kind="booking-leg", object_id=legs[0].pk)
    assert bike[1].payload["rider"] == rider_block

    # when: the bus ticket is validated, then the booking is cancelled
    legs[1].refresh_from_db()
    at = DEPARTURE + dt.timedelta(minutes=25)
    assert ticket_validate(code=legs[1].ticket_code, operator=bus, now=at)["valid"]
    booking_cancel(booking=Booking.objects.get(pk=booking.pk), now=at)
    # then
    (ticket,) = _events("tickets")
    assert ticket.payload == {
        "provider": "city-bus",
        "result": "valid",
        "reason": None,
        "trip_id": object_ref(kind="booking-leg", object_id=legs[1].pk),
        "booking_ref": object_ref(kind="booking", object_id=booking.pk),
        "mode": "transit",
        "rider": {**rider_block, "pseudonym": person_pseudonym(user_id=rider.pk, at=at)},
    }
    assert ticket.occurred_at == at
    assert [e.type for e in _events("bookings")][3:] == ["STARTED", "CANCELLED"]
    assert [e.type for e in _events("bikeshare")] == ["held", "confirmed", "cancelled"]
    _scan_for_personal_data(rider)


@pytest.mark.django_db
def test_research_id_only_while_opted_in(bus: Operator) -> None:  # noqa: F811
    # given: a rider opted in, then opting out through the API
    rider = UserFactory.create(role=Role.PASSENGER, share_usage_research=True)
    top_up(rider, 1000)
    first = offer_make(owner=rider, legs=[leg("transit", bus.slug)], prices=[210])
    offer_event_record(offer=first)
    client = client_for(rider)
    response = client.put("/api/v1/me/consent", {"share_usage_research": False}, format="json")
    assert response.status_code == 200
    rider.refresh_from_db()
    second = offer_make(owner=rider, legs=[leg("transit", bus.slug)], prices=[210])
    offer_event_record(offer=second)
    # then
    opted_in, opted_out = _events("offers")
    assert opted_in.payload["rider"]["research_id"] == research_id(user_id=rider.pk)
    assert "research_id" not in opted_out.payload["rider"]
    assert opted_out.payload["rider"]["pseudonym"] == person_pseudonym(
        user_id=rider.pk, at=opted_out.occurred_at
    )
    assert opted_out.payload == {
        "offer_ref": object_ref(kind="offer", object_id=second.pk),
        "rider": {
            "pseudonym": opted_out.payload["rider"]["pseudonym"],
            "visitor_type": "unknown",
        },
        "start_location": {"mesh": "533946104"},
        "end_location": {"mesh": "533946214"},
        "start_time": None,
        "end_time": None,
        "modes": ["transit"],
        "providers": ["city-bus"],
        "trip_distance_m": 0,
        "price": {"amount": 210, "currency": "JPY"},
        "add_ons": 0,
    }
    _scan_for_personal_data(rider)


@pytest.mark.django_db
def test_refused_booking_records_rejected_and_rolls_back_nothing_else(
    bus: Operator,  # noqa: F811
) -> None:
    # given: a rider without money
    rider = UserFactory.create(role=Role.PASSENGER)
    offer = offer_make(owner=rider, legs=[leg("transit", bus.slug)], prices=[210])
    # when
    with pytest.raises(Exception, match="Not enough money"):
        booking_create(user=rider, offer_id=str(offer.pk), add_on_ids=[])
    # then: the CONFIRMED event was rolled back with the charge
    assert [e.type for e in _events("bookings")] == ["NEW", "PENDING", "RELEASED", "REJECTED"]
    assert _events("bookings")[2].payload["scope"] == "leg"
