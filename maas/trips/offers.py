"""Offers: price each planned itinerary (GTFS fares per operator, passes, bundle discount),
attach tourism add-ons, and freeze the result in an Offer that a booking charges exactly.

Decisions (docs/offers.md): an itinerary whose price cannot be fully determined gets
`price: null` with `price_reason`, and its undeterminable legs say why in the breakdown;
`bundle_discount` is the sum of single fares minus the price (never negative), null when
either is unknown. Walk legs are free and not listed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from maas.core.errors import ApiError
from maas.platform.services import offer_event_record
from maas.trips.fares.engine import REASON_MESSAGES, FareQuote, Ride, price_run, unknown
from maas.trips.fares.hooks import LEG_PRICERS
from maas.trips.fares.loading import active_fare_version_id, fare_tables_load, visited_stop_ids
from maas.trips.fares.money import money
from maas.trips.fares.passes import Choice, PassOption, PayableLeg, choose
from maas.trips.fares.tables import FareTables
from maas.trips.models import AddOnDiscount, Offer, Product
from maas.trips.params import PlanQuery
from maas.trips.services import plan_itineraries
from operators.nearby import distance_m
from operators.tourism.selectors import attraction_list

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _split(namespaced: str | None) -> tuple[str, str]:
    if not namespaced or ":" not in namespaced:
        return "", namespaced or ""
    namespace, local = namespaced.split(":", 1)
    return namespace, local


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp())


@dataclass
class _FareLeg:
    index: int
    leg: dict[str, Any]
    operator: str | None
    namespace: str  # "" for legs priced by a hook
    fixed: FareQuote | None  # hook price (or an undeterminable reason)
    ride: Ride | None


class ItineraryPricer:
    """Prices one itinerary's legs; fare tables are loaded once per feed version."""

    def __init__(self, *, itinerary: dict[str, Any], rider_category: str) -> None:
        self.itinerary = itinerary
        self.category = rider_category
        self.feed_versions: dict[str, int] = {}
        self._tables: dict[str, FareTables | None] = {}
        self.legs = [fl for i, leg in enumerate(itinerary["legs"]) if (fl := self._leg(i, leg))]

    def tables(self, namespace: str) -> FareTables | None:
        if namespace not in self._tables:
            version_id = active_fare_version_id(namespace=namespace)
            self._tables[namespace] = None
            if version_id is not None:
                self.feed_versions[namespace] = version_id
                self._tables[namespace] = fare_tables_load(feed_version_id=version_id)
        return self._tables[namespace]

    def _leg(self, index: int, leg: dict[str, Any]) -> _FareLeg | None:
        mode = leg.get("mode")
        if mode == "walk":
            return None
        operator = leg.get("operator")
        if mode != "transit":
            pricer = LEG_PRICERS.get(str(mode))
            fixed = pricer(index, leg) if pricer else unknown((index,), "mode_not_priced")
            if fixed is not None:
                return _FareLeg(index, leg, operator, "", fixed, None)
        namespace, route_id = _split((leg.get("route") or {}).get("id"))
        _, from_stop = _split((leg.get("from") or {}).get("stop_id"))
        _, to_stop = _split((leg.get("to") or {}).get("stop_id"))
        tables = self.tables(namespace) if namespace else None
        if tables is None:
            return _FareLeg(index, leg, operator, "", unknown((index,), "no_fare_feed"), None)
        visited: tuple[str, ...] = ()
        if tables.uses_contains and leg.get("trip_id"):
            visited = visited_stop_ids(
                feed_version_id=self.feed_versions[namespace],
                trip_id=_split(leg["trip_id"])[1],
                from_stop_id=from_stop,
                to_stop_id=to_stop,
            )
        ride = Ride(
            leg_index=index,
            route_id=route_id,
            from_stop_id=from_stop,
            to_stop_id=to_stop,
            departure_s=_epoch(leg["departure"]),
            arrival_s=_epoch(leg["arrival"]),
            visited_stop_ids=visited,
        )
        return _FareLeg(
            index, leg, operator or namespace.removesuffix(".flex"), namespace, None, ride
        )

    def reprice(self, indices: frozenset[int]) -> list[FareQuote]:
        """Single fares for the legs `indices` (in itinerary order). Consecutive rides of
        one feed form a run priced together; a leg not in `indices` ends a run."""
        quotes: list[FareQuote] = []
        run: list[Ride] = []
        run_namespace = ""

        def flush() -> None:
            if run:
                tables = self._tables[run_namespace]
                assert tables is not None  # noqa: S101 - rides only exist with tables
                quotes.extend(price_run(tables, list(run), self.category))
                run.clear()

        for fare_leg in self.legs:
            if fare_leg.index not in indices:
                flush()
                continue
            if fare_leg.ride is None:
                flush()
                assert fare_leg.fixed is not None  # noqa: S101
                quotes.append(fare_leg.fixed)
                continue
            if run and fare_leg.namespace != run_namespace:
                flush()
            run_namespace = fare_leg.namespace
            run.append(fare_leg.ride)
        flush()
        return quotes


# ---------------------------------------------------------------------------- passes


def _local_day(iso: str, tz: zoneinfo.ZoneInfo) -> dt.date:
    return dt.datetime.fromisoformat(iso).astimezone(tz).date()


def _covers(product: Product, operators: set[str], leg: _FareLeg) -> bool:
    if leg.operator not in operators:
        return False
    if product.route_ids:
        route_id = (leg.leg.get("route") or {}).get("id")
        if route_id not in product.route_ids:
            return False
    if product.area_radius_m is not None and product.area_lat is not None:
        assert product.area_lon is not None  # noqa: S101 - set together (serializer)
        for end in ("from", "to"):
            place = leg.leg.get(end) or {}
            if "lat" not in place or "lon" not in place:
                return False
            d = distance_m(product.area_lat, product.area_lon, place["lat"], place["lon"])
            if d > product.area_radius_m:
                return False
    return True


def pass_options(
    *, legs: list[_FareLeg], rider_category: str, currency: str | None
) -> list[PassOption]:
    """Active products for the rider category that cover at least one leg."""
    found = []
    products = (
        Product.objects.filter(is_active=True, rider_category=rider_category)
        .select_related("operator")
        .prefetch_related("covered_operators")
        .order_by("id")
    )
    for product in products:
        if currency is not None and product.currency != currency:
            continue
        operators = {o.slug for o in product.covered_operators.all()}
        covers = frozenset(leg.index for leg in legs if _covers(product, operators, leg))
        if not covers:
            continue
        found.append(
            PassOption(
                product_id=product.pk,
                code=product.code,
                name=product.name_ja,
                owner=product.operator.slug if product.operator else None,
                operators=tuple(sorted(operators)),
                amount=product.price_amount,
                currency=product.currency,
                duration_s=product.duration_s,
                calendar_days=product.calendar_days,
                covers=covers,
            )
        )
    return found


# ---------------------------------------------------------------------------- pricing


@dataclass
class PricedItinerary:
    price: dict[str, Any] | None
    price_reason: dict[str, Any] | None
    breakdown: list[dict[str, Any]]
    bundle_discount: dict[str, Any] | None
    feed_version_ids: dict[str, int]
    product_ids: list[int]


def _reason(code: str) -> dict[str, str]:
    return {"code": code, "message": REASON_MESSAGES.get(code, code)}


def itinerary_price(
    *, itinerary: dict[str, Any], rider_category: str, language: str = "ja"
) -> PricedItinerary:
    """The cheapest valid combination of single fares and passes for an itinerary."""
    pricer = ItineraryPricer(itinerary=itinerary, rider_category=rider_category)
    everything = frozenset(leg.index for leg in pricer.legs)
    baseline = pricer.reprice(everything)
    currencies = {q.currency for q in baseline if q.known and q.currency}
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    payable = [
        PayableLeg(
            index=leg.index,
            departure_s=_epoch(leg.leg["departure"]),
            arrival_s=_epoch(leg.leg["arrival"]),
            departure_day=_local_day(leg.leg["departure"], tz),
            arrival_day=_local_day(leg.leg["arrival"], tz),
        )
        for leg in pricer.legs
    ]
    passes = (
        pass_options(legs=pricer.legs, rider_category=rider_category, currency=currency)
        if len(currencies) <= 1
        else []
    )
    choice: Choice = choose(payable, passes, pricer.reprice)
    operator_of = {leg.index: leg.operator for leg in pricer.legs}
    names = {p.product_id: p for p, _ in choice.passes}
    product_names = {p.pk: p.name_in(language) for p in Product.objects.filter(pk__in=list(names))}
    breakdown: list[dict[str, Any]] = []
    for option, covered in choice.passes:
        breakdown.append(
            {
                "operator": option.owner,
                "product": product_names.get(option.product_id, option.name),
                "product_id": f"product:{option.product_id}",
                "kind": "pass",
                "price": money(option.amount, option.currency),
                "legs": list(covered),
                "operators": list(option.operators),
            }
        )
    for quote in choice.singles:
        entry: dict[str, Any] = {
            "operator": operator_of.get(quote.legs[0]),
            "product": quote.product_name,
            "product_id": quote.product_id,
            "kind": quote.kind,
            "price": money(quote.amount, quote.currency),
            "legs": list(quote.legs),
        }
        if quote.reason:
            entry["reason"] = _reason(quote.reason)
        breakdown.append(entry)
    breakdown.sort(key=lambda e: (min(e["legs"]), e["kind"] != "pass"))

    all_currencies = currencies | {p.currency for p, _ in choice.passes}
    price: dict[str, Any] | None
    reason: dict[str, Any] | None = None
    if choice.unknown:
        price = None
        reason = {
            "code": "fare_unknown",
            "message": "The fare of at least one leg cannot be determined.",
            "legs": [
                {"leg": q.legs[0], **_reason(q.reason or "no_matching_fare")}
                for q in choice.singles
                if not q.known
            ],
        }
    elif len(all_currencies) > 1:
        price, reason = None, _reason("mixed_currencies")
    else:
        price = money(
            choice.total,
            next(iter(all_currencies)) if all_currencies else settings.OFFER_DEFAULT_CURRENCY,
        )
    discount = None
    if price is not None and all(q.known for q in baseline):
        single_total = sum(q.amount or 0 for q in baseline)
        discount = money(max(0, single_total - price["amount"]), price["currency"])
    return PricedItinerary(
        price=price,
        price_reason=reason,
        breakdown=breakdown,
        bundle_discount=discount,
        feed_version_ids=dict(sorted(pricer.feed_versions.items())),
        product_ids=sorted(names),
    )


# ---------------------------------------------------------------------------- add-ons


def _is_open(hours: dict[str, Any], when: dt.datetime) -> bool:
    if not hours:
        return False  # hours unknown: not offered as "open at arrival"
    spans = hours.get(_WEEKDAYS[when.weekday()]) or []
    minute = when.hour * 60 + when.minute
    for opens, closes in spans:
        oh, om = (int(x) for x in opens.split(":"))
        ch, cm = (int(x) for x in closes.split(":"))
        if oh * 60 + om <= minute < ch * 60 + cm:
            return True
    return False


def add_ons_for(
    *, itinerary: dict[str, Any], rider_category: str, language: str
) -> list[dict[str, Any]]:
    """Tickets of attractions open when the traveller gets there: near the destination,
    and near each place a transit leg ends ("along the way"), within OFFER_ADDON_RADIUS_M."""
    stops: list[tuple[dict[str, Any], str]] = []
    legs = itinerary.get("legs") or []
    for leg in legs[:-1]:
        if leg.get("mode") == "transit":
            stops.append((leg["to"], leg["arrival"]))
    if legs:
        stops.append((legs[-1]["to"], itinerary["arrival"]))
    stops.reverse()  # the destination first
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    discounts = {
        (d.tourism_operator_id, d.product_id): d
        for d in AddOnDiscount.objects.filter(is_active=True)
    }
    for place, arrival_iso in stops:
        arrival = dt.datetime.fromisoformat(arrival_iso)
        for attraction, distance in attraction_list(
            near=(place["lat"], place["lon"]),
            radius_m=settings.OFFER_ADDON_RADIUS_M,
            limit=settings.OFFER_ADDON_LIMIT,
        ):
            if attraction.pk in seen:
                continue
            seen.add(attraction.pk)
            local = arrival.astimezone(zoneinfo.ZoneInfo(attraction.operator.time_zone))
            if not _is_open(attraction.opening_hours, local):
                continue
            for product in attraction.products.all():
                if product.rider_category not in (rider_category, "any"):
                    continue
                rule = discounts.get((attraction.operator_id, product.product_id))
                off = rule.discount_on(product.price_amount) if rule else 0
                found.append(
                    {
                        "id": f"{attraction.operator.slug}:{product.product_id}",
                        "kind": "attraction_ticket",
                        "title": f"{attraction.name_in(language)} — {product.name_in(language)}",
                        "price": money(product.price_amount - off, product.currency),
                        "regular_price": money(product.price_amount, product.currency),
                        "discount": money(off, product.currency),
                        "valid_on": local.date().isoformat(),
                        "attraction": {
                            "id": f"{attraction.operator.slug}:{attraction.attraction_id}",
                            "name": attraction.name_in(language),
                            "lat": attraction.lat,
                            "lon": attraction.lon,
                            "distance_m": distance,
                        },
                    }
                )
    return found


# ---------------------------------------------------------------------------- offers


def offer_json(offer: Offer) -> dict[str, Any]:
    """The API representation of a (frozen) offer."""
    return {
        "id": str(offer.pk),
        "itinerary": offer.itinerary,
        "price": money(offer.price_amount, offer.currency or None),
        "price_reason": offer.price_reason,
        "price_breakdown": offer.price_breakdown,
        "bundle_discount": offer.bundle_discount,
        "add_ons": offer.add_ons,
        "rider_category": offer.rider_category,
        "created_at": offer.created_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
    }


def offers_create(
    *,
    query: PlanQuery,
    language: str,
    rider_category: str,
    itinerary_index: int | None = None,
    with_add_ons: bool = False,
    owner: Any = None,
) -> dict[str, Any]:
    """Plan, price every itinerary (or the one at `itinerary_index`) and freeze each as an
    Offer valid for OFFER_TTL_S. Returns the response body."""
    plan = plan_itineraries(query=query, language=language)
    itineraries = plan["itineraries"]
    if itinerary_index is not None:
        if itinerary_index >= len(itineraries):
            raise ApiError(
                "invalid_itinerary_index",
                f"itinerary_index {itinerary_index} is out of range: the plan has "
                f"{len(itineraries)} itineraries.",
                details={"parameter": "itinerary_index", "itineraries": len(itineraries)},
            )
        itineraries = [itineraries[itinerary_index]]
    expires_at = timezone.now() + dt.timedelta(seconds=settings.OFFER_TTL_S)
    user = owner if owner is not None and owner.is_authenticated else None
    offers = []
    for itinerary in itineraries:
        priced = itinerary_price(
            itinerary=itinerary, rider_category=rider_category, language=language
        )
        add_ons = (
            add_ons_for(itinerary=itinerary, rider_category=rider_category, language=language)
            if with_add_ons
            else []
        )
        offers.append(
            Offer(
                owner=user,
                expires_at=expires_at,
                rider_category=rider_category,
                itinerary=itinerary,
                price_amount=priced.price["amount"] if priced.price else None,
                currency=priced.price["currency"] if priced.price else "",
                price_reason=priced.price_reason,
                price_breakdown=priced.breakdown,
                bundle_discount=priced.bundle_discount,
                add_ons=add_ons,
                feed_version_ids=priced.feed_version_ids,
                product_ids=priced.product_ids,
                snapshot=plan.get("snapshot", ""),
            )
        )
    with transaction.atomic():
        for offer in offers:
            offer.save()
            offer_event_record(offer=offer)
    body: dict[str, Any] = {
        "offers": [offer_json(o) for o in offers],
        "snapshot": plan.get("snapshot"),
    }
    if not offers and "reason" in plan:
        body["reason"] = plan["reason"]
    return body
