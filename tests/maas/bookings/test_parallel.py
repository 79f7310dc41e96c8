"""The last bike / the last ticket of the day goes to exactly one of N simultaneous
bookings: real parallel HTTP requests (threads + Barrier) on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from maas.accounts.models import Role
from maas.bookings.models import AttractionQuota, AttractionSales, Booking
from maas.wallet.models import Transaction
from tests.conftest import client_for
from tests.factories import OperatorFactory, UserFactory
from tests.maas.bookings.conftest import bike_station, bikes_left
from tests.maas.bookings.helpers import add_on, balance, leg, offer_make, top_up
from tests.maas.wallet.ledger import assert_ledger_balanced

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
N = 6

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL row locks and concurrent connections "
        "(DATABASE_URL=postgres://...); SQLite serialises every writer",
    ),
]


def _race(offers: list[Any], users: list[Any], body: dict[str, Any]) -> list[int]:
    barrier = threading.Barrier(len(offers))
    statuses: list[int] = [0] * len(offers)

    def book(i: int) -> None:
        try:
            client = client_for(users[i])
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/bookings", {"offer_id": str(offers[i].pk), **body}, format="json"
            )
            statuses[i] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(len(offers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_last_bike_goes_to_exactly_one_booking(transactional_db: None) -> None:
    bikes = OperatorFactory.create(slug="cycle-share")
    station = bike_station(bikes, bikes_available=1)
    users = [UserFactory.create(role=Role.PASSENGER, username=f"p{i}") for i in range(N)]
    offers = []
    for user in users:
        top_up(user, 1000)
        offers.append(
            offer_make(
                owner=user,
                legs=[leg("bikeshare", "cycle-share", station={"id": "cycle-share:st-1"})],
                prices=[150],
            )
        )
    statuses = _race(offers, users, {})
    assert sorted(statuses) == [201] + [409] * (N - 1)
    assert bikes_left(station) == 0
    assert Booking.objects.filter(state="CONFIRMED").count() == 1
    assert Transaction.objects.filter(kind="payment").count() == 1
    assert sorted(balance(u) for u in users) == [850] + [1000] * (N - 1)
    assert_ledger_balanced()


def test_last_ticket_of_the_day_goes_to_exactly_one_booking(transactional_db: None) -> None:
    bus = OperatorFactory.create(slug="city-bus")
    museum = OperatorFactory.create(slug="museum-co", time_zone="Asia/Tokyo")
    AttractionQuota.objects.create(tourism_operator=museum, product_id="entry", daily_limit=1)
    users = [UserFactory.create(role=Role.PASSENGER, username=f"p{i}") for i in range(N)]
    offers = []
    for user in users:
        top_up(user, 1000)
        offers.append(
            offer_make(
                owner=user,
                legs=[leg("transit", "city-bus")],
                prices=[200],
                add_ons=[add_on("museum-co", "entry", 500)],
            )
        )
    statuses = _race(offers, users, {"add_on_ids": ["museum-co:entry"]})
    assert sorted(statuses) == [201] + [409] * (N - 1)
    assert AttractionSales.objects.get().taken == 1
    assert Transaction.objects.filter(kind="payment").count() == 1
    assert sorted(balance(u) for u in users) == [300] + [1000] * (N - 1)
    assert bus.pk
    assert_ledger_balanced()
