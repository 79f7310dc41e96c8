"""`POST /api/v1/offers` and `GET /api/v1/offers/{id}` over BART imported through the feed
pipeline: exact fares, passes, rider categories, add-ons, expiry and freezing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from maas.accounts.models import Role, User
from maas.trips.fares.loading import fare_tables_cache_clear
from maas.trips.models import AddOnDiscount, Offer, Product
from maas.trips.selectors import OfferExpired, OfferNotPriced, offer_get_for_booking
from operators.gtfs.models import FareAttribute, FareRule, Stop
from operators.models import FeedStatus, FeedVersion, NetworkSnapshot, Operator
from operators.tourism.models import Attraction, TicketProduct
from tests.conftest import SHARED_DATA, client_for
from tests.maas.trips.networks import committed_network
from tests.maas.trips.networks import import_feed as import_feed  # re-exported for other tests

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]

BODY = {
    "from_stop": "bart:EMBR",
    "to_stop": "bart:DUBL",
    "depart_at": "2018-06-05T08:00:00-07:00",
    "itinerary_index": 0,
}


@pytest.fixture(scope="module")
def bart_network(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NetworkSnapshot]:
    with committed_network(
        django_db_blocker,
        tmp_path_factory.mktemp("bart-offers"),
        slug="bart",
        path=SHARED_DATA / "gtfs" / "bart_2018.zip",
        horizon_start="2018-06-05",
        horizon_days=2,
    ) as snapshot:
        yield snapshot


@pytest.fixture(autouse=True)
def _fresh_fare_cache() -> Iterator[None]:
    fare_tables_cache_clear()
    yield
    fare_tables_cache_clear()


def _offer(client: APIClient, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/offers", {**BODY, **extra}, format="json")
    assert response.status_code == 201, response.content
    offers = response.json()["offers"]
    assert len(offers) == 1
    return offers[0]


def _city_pass(amount: int, code: str) -> Product:
    product = Product.objects.create(
        code=code,
        name_ja=code,
        name_en=code,
        price_amount=amount,
        currency="USD",
        duration_s=86400,
    )
    product.covered_operators.set([Operator.objects.get(slug="bart")])
    return product


def test_offer_prices_the_bart_ride_exactly(
    api_client: APIClient, bart_network: NetworkSnapshot
) -> None:
    # when
    offer = _offer(api_client)
    # then: fare_rules 136,,EMBR,DUBL ; fare_attributes 136,6.80,USD
    assert offer["price"] == {"amount": 680, "currency": "USD"}
    assert offer["price_breakdown"] == [
        {
            "operator": "bart",
            "product": "136",
            "product_id": "136",
            "kind": "single",
            "price": {"amount": 680, "currency": "USD"},
            "legs": [0],
        }
    ]
    assert offer["bundle_discount"] == {"amount": 0, "currency": "USD"}
    assert offer["add_ons"] == []
    assert offer["itinerary"]["legs"][0]["from"]["stop_id"] == "bart:EMBR"
    stored = Offer.objects.get(pk=offer["id"])
    assert stored.owner is None
    assert stored.price_amount == 680
    assert (stored.expires_at - stored.created_at).total_seconds() == pytest.approx(1800, abs=1)
    assert dt.datetime.fromisoformat(offer["expires_at"]) == stored.expires_at
    version = FeedVersion.objects.get(operator__slug="bart", status=FeedStatus.ACTIVE)
    assert stored.feed_version_ids == {"bart": version.pk}


def test_pass_is_used_only_when_cheaper(
    api_client: APIClient, bart_network: NetworkSnapshot
) -> None:
    # given a 7.00 day pass: dearer than the 6.80 single fare
    _city_pass(700, "bart-day-dear")
    offer = _offer(api_client)
    assert offer["price"] == {"amount": 680, "currency": "USD"}
    assert [e["kind"] for e in offer["price_breakdown"]] == ["single"]
    # given also a 5.00 day pass: cheaper
    cheap = _city_pass(500, "bart-day-cheap")
    offer = _offer(api_client)
    assert offer["price"] == {"amount": 500, "currency": "USD"}
    assert offer["bundle_discount"] == {"amount": 180, "currency": "USD"}  # 680 - 500
    assert offer["price_breakdown"] == [
        {
            "operator": None,
            "product": "bart-day-cheap",
            "product_id": f"product:{cheap.pk}",
            "kind": "pass",
            "price": {"amount": 500, "currency": "USD"},
            "legs": [0],
            "operators": ["bart"],
        }
    ]
    assert Offer.objects.get(pk=offer["id"]).product_ids == [cheap.pk]


def test_child_fare_not_published_gives_null_price_with_reason(
    api_client: APIClient, bart_network: NetworkSnapshot, passenger: User
) -> None:
    # BART's feed has no rider categories: a child fare is not invented
    offer = _offer(client_for(passenger), rider_category="child")
    assert offer["price"] is None
    assert offer["bundle_discount"] is None
    assert offer["price_reason"]["code"] == "fare_unknown"
    assert offer["price_reason"]["legs"][0]["code"] == "rider_category_not_published"
    entry = offer["price_breakdown"][0]
    assert (entry["price"], entry["reason"]["code"]) == (None, "rider_category_not_published")
    with pytest.raises(OfferNotPriced):
        offer_get_for_booking(offer_id=offer["id"], user=passenger)


def test_bad_input_is_400_and_creates_nothing(
    api_client: APIClient, bart_network: NetworkSnapshot
) -> None:
    for body, code in [
        ({"from_stop": "bart:EMBR", "depart_at": "2018-06-05T08:00:00-07:00"}, "missing_parameter"),
        ({**BODY, "rider_category": "pirate"}, "invalid_request"),
        ({**BODY, "itinerary_index": 99}, "invalid_request"),
        ({**BODY, "itinerary_index": 5}, "invalid_itinerary_index"),
        ({**BODY, "to_stop": "bart:NOPE"}, "unknown_stop"),
    ]:
        response = api_client.post("/api/v1/offers", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code
    assert Offer.objects.count() == 0


def test_idempotency_key_returns_the_first_offers(
    api_client: APIClient, bart_network: NetworkSnapshot
) -> None:
    first = api_client.post("/api/v1/offers", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post("/api/v1/offers", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Offer.objects.count() == 1


def test_get_offer_owner_semantics_and_expiry(
    api_client: APIClient,
    bart_network: NetworkSnapshot,
    passenger: User,
    make_user: Callable[..., User],
) -> None:
    # given an offer of a signed-in passenger, and an anonymous one
    owner_client = client_for(passenger)
    mine = _offer(owner_client)
    anonymous = _offer(api_client)
    other = client_for(make_user(Role.PASSENGER, username="taro"))
    assert Offer.objects.get(pk=mine["id"]).owner == passenger
    # then: the owner reads it; nobody else learns it exists
    assert owner_client.get(f"/api/v1/offers/{mine['id']}").json()["price"]["amount"] == 680
    assert api_client.get(f"/api/v1/offers/{mine['id']}").status_code == 404
    assert other.get(f"/api/v1/offers/{mine['id']}").status_code == 404
    assert other.get(f"/api/v1/offers/{anonymous['id']}").status_code == 200
    assert api_client.get("/api/v1/offers/not-a-uuid").status_code == 404
    # when it expires
    Offer.objects.filter(pk=mine["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = owner_client.get(f"/api/v1/offers/{mine['id']}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_expired"
    with pytest.raises(OfferExpired) as caught:
        offer_get_for_booking(offer_id=mine["id"], user=passenger)
    assert caught.value.as_api_error().status_code == 409
    assert caught.value.code == "offer_expired"


def test_price_is_frozen_when_a_new_feed_version_is_activated(
    api_client: APIClient, bart_network: NetworkSnapshot, passenger: User
) -> None:
    # given an offer at 6.80
    offer = _offer(client_for(passenger))
    # when a new BART version with a different EMBR->DUBL fare (9.99) becomes active
    bart = Operator.objects.get(slug="bart")
    old = FeedVersion.objects.get(operator=bart, status=FeedStatus.ACTIVE)
    old.status = FeedStatus.SUPERSEDED
    old.save(update_fields=["status"])
    new = FeedVersion.objects.create(operator=bart, kind="gtfs", status=FeedStatus.ACTIVE)
    for stop_id in ("EMBR", "DUBL"):
        Stop.objects.create(feed_version=new, stop_id=stop_id, zone_id=stop_id)
    FareAttribute.objects.create(
        feed_version=new, fare_id="new", price="9.99", currency_type="USD", payment_method=1
    )
    FareRule.objects.create(
        feed_version=new, fare_id="new", origin_id="EMBR", destination_id="DUBL"
    )
    # and products change too
    _city_pass(100, "after-the-offer")
    # then: a new offer prices the new tables ...
    assert _offer(api_client, rider_category="senior")["price"] is None
    assert Product.objects.filter(code="after-the-offer").update(is_active=False) == 1
    assert _offer(api_client)["price"] == {"amount": 999, "currency": "USD"}
    # ... and the frozen offer still charges exactly what it quoted
    frozen = offer_get_for_booking(offer_id=offer["id"], user=passenger)
    assert (frozen.price_amount, frozen.currency) == (680, "USD")
    assert frozen.price_breakdown == offer["price_breakdown"]
    assert frozen.feed_version_ids == {"bart": old.pk}
    again = client_for(passenger).get(f"/api/v1/offers/{offer['id']}").json()
    assert again["price"] == {"amount": 680, "currency": "USD"}


def test_add_ons_near_the_destination_open_at_arrival(
    api_client: APIClient, bart_network: NetworkSnapshot
) -> None:
    # given a tourism operator with two attractions by Dublin/Pleasanton station (Tuesday)
    tourism = Operator.objects.create(
        slug="tri-valley-tourism", name_ja="観光", time_zone="America/Los_Angeles"
    )
    version = FeedVersion.objects.create(operator=tourism, kind="tourism", status="active")
    open_now = Attraction.objects.create(
        feed_version=version,
        operator=tourism,
        attraction_id="museum",
        name_ja="博物館",
        name_en="Museum",
        lat=37.7030,
        lon=-121.8990,
        opening_hours={"tue": [["08:00", "18:00"]]},
    )
    closed = Attraction.objects.create(
        feed_version=version,
        operator=tourism,
        attraction_id="night-market",
        name_ja="夜市",
        lat=37.7020,
        lon=-121.8995,
        opening_hours={"tue": [["18:00", "23:00"]]},
    )
    for attraction, product_id, category, price in [
        (open_now, "museum-adult", "adult", 1200),
        (open_now, "museum-child", "child", 600),
        (closed, "market-adult", "adult", 500),
    ]:
        TicketProduct.objects.create(
            feed_version=version,
            attraction=attraction,
            product_id=product_id,
            name_ja=product_id,
            name_en=product_id,
            rider_category=category,
            price_amount=price,
            currency="USD",
        )
    AddOnDiscount.objects.create(
        tourism_operator=tourism, product_id="museum-adult", percent_off=15
    )
    # when
    offer = _offer(api_client, add_ons=True)
    # then: only the open attraction's adult ticket, 15 % off 12.00 = 10.20
    assert [
        (a["id"], a["kind"], a["price"], a["regular_price"], a["valid_on"])
        for a in offer["add_ons"]
    ] == [
        (
            "tri-valley-tourism:museum-adult",
            "attraction_ticket",
            {"amount": 1020, "currency": "USD"},
            {"amount": 1200, "currency": "USD"},
            "2018-06-05",
        )
    ]
    assert offer["add_ons"][0]["title"] == "博物館 — museum-adult"
    # the add-on is not part of the trip's price; its price is frozen with the offer
    assert offer["price"] == {"amount": 680, "currency": "USD"}
    assert Offer.objects.get(pk=offer["id"]).add_ons == offer["add_ons"]
