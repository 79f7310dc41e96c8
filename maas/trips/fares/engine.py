"""Pricing rides with one feed version's fare tables. Pure functions, no database.

A *ride* is one transit leg. Consecutive rides priced with the same feed version form a
*run*; a run is priced as a whole so a fare that allows transfers can cover several rides.

Fares v1 (fare_attributes + fare_rules): a fare matches a sequence of rides when one of its
fare_rules "cells" (rows with the same origin, destination and contains set) matches: the
origin zone of the first boarding stop, the destination zone of the last alighting stop, the
set of zones passed through equal to the contains set (when it has one), and every ride's
route among the cell's routes (when it names routes). The fare's agency must run every ride,
its `transfers` allow len(rides)-1 transfers and `transfer_duration` covers the departure of
the first ride to the arrival of the last. Without fare_rules every fare of the agency
matches. The cheapest matching fare applies, and the run is split into fares by an exact
dynamic programme (fewest undeterminable rides first, then the lowest total).

Fares v2 (fare_leg_rules + fare_products + fare_transfer_rules): a leg rule matches on the
route's network (an empty network_id matches when no rule names the network); the highest
rule_priority wins; the cheapest product option (any fare medium) for the rider category
is taken. Transfer rules between consecutive rides apply when their leg groups, the
transfer count and the duration limit allow, and when cheaper than a new fare. Rules that
need areas (stop_areas.txt) or timeframes (timeframes.txt), which the importer does not
store, make the ride undeterminable rather than falling back to a less specific rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from maas.trips.fares.tables import FareAttribute, FareProductOption, FareTables

MAX_RIDES_PER_FARE = 6  # longest run one v1 fare is tried on (itineraries are shorter)

REASON_MESSAGES = {
    "no_fares_published": "The operator's feed publishes no fares.",
    "no_fare_feed": "The operator has no active GTFS feed to price this leg with.",
    "no_matching_fare": "No fare rule of the operator's feed matches this leg.",
    "rider_category_not_published": "The feed publishes no fare for this rider category.",
    "invalid_price": "The feed's price is not a whole amount of a known currency.",
    "unsupported_fare_rule": (
        "The feed's fare rules for this leg depend on areas or timeframes, which are not "
        "imported, so the fare cannot be determined."
    ),
    "bikeshare_price_unavailable": "The bike-share operator publishes no price for this leg.",
    "ondemand_price_unavailable": "The on-demand operator publishes no price for this leg.",
    "mode_not_priced": "Legs of this mode cannot be priced.",
    "mixed_currencies": "The legs are priced in different currencies.",
}


@dataclass(frozen=True)
class Ride:
    """One transit leg, with feed-local ids (no operator prefix)."""

    leg_index: int
    route_id: str
    from_stop_id: str
    to_stop_id: str
    departure_s: int  # epoch seconds
    arrival_s: int
    # every stop passed, boarding and alighting included, when known (for contains_id)
    visited_stop_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FareQuote:
    """The fare for one or more legs (several when one ticket covers a transfer)."""

    legs: tuple[int, ...]
    amount: int | None  # minor units; None: undeterminable (see reason)
    currency: str | None
    product_id: str | None
    product_name: str | None
    reason: str | None = None
    kind: str = "single"  # single | transfer

    @property
    def known(self) -> bool:
        return self.amount is not None


def unknown(legs: tuple[int, ...], reason: str) -> FareQuote:
    return FareQuote(legs, None, None, None, None, reason=reason)


def price_run(tables: FareTables, rides: list[Ride], category: str) -> list[FareQuote]:
    """Quotes covering every ride of a run, in ride order."""
    if not rides:
        return []
    if tables.has_v2:
        return _price_v2(tables, rides, category)
    if tables.has_v1:
        return _price_v1(tables, rides, category)
    return [unknown((r.leg_index,), "no_fares_published") for r in rides]


# ---------------------------------------------------------------------------- Fares v1


def _zones(tables: FareTables, rides: list[Ride]) -> frozenset[str]:
    zones: set[str] = set()
    for ride in rides:
        stops = ride.visited_stop_ids or (ride.from_stop_id, ride.to_stop_id)
        zones.update(tables.stop_zone.get(s, "") for s in stops)
    zones.discard("")
    return frozenset(zones)


def _v1_candidates(tables: FareTables, rides: list[Ride]) -> list[FareAttribute]:
    agencies = {tables.route_agency.get(r.route_id, "") for r in rides}
    transfers = len(rides) - 1
    span_s = rides[-1].arrival_s - rides[0].departure_s

    def fits(fare: FareAttribute) -> bool:
        if fare.agency_id and any(a and a != fare.agency_id for a in agencies):
            return False
        if transfers and fare.transfers is not None and transfers > fare.transfers:
            return False
        return not (transfers and fare.transfer_duration_s is not None) or (
            span_s <= fare.transfer_duration_s
        )

    if not tables.has_fare_rules:
        return [f for f in tables.fares.values() if fits(f)]
    origin = tables.stop_zone.get(rides[0].from_stop_id, "")
    destination = tables.stop_zone.get(rides[-1].to_stop_id, "")
    routes = {r.route_id for r in rides}
    fare_ids: set[str] = set()
    for key in {(origin, destination), (origin, ""), ("", destination), ("", "")}:
        fare_ids |= tables.cells_by_od.get(key, set())
    zones = _zones(tables, rides) if tables.uses_contains else frozenset()
    found = []
    for fare_id in sorted(fare_ids):
        fare = tables.fares.get(fare_id)
        if fare is None or not fits(fare):
            continue
        for cell in tables.cells[fare_id]:
            if cell.origin not in ("", origin) or cell.destination not in ("", destination):
                continue
            if cell.contains and cell.contains != zones:
                continue
            if "" not in cell.routes and not routes <= cell.routes:
                continue
            found.append(fare)
            break
    return found


def _v1_price(
    tables: FareTables, fare: FareAttribute, category: str
) -> tuple[int | None, str, str | None]:
    """(amount, currency, reason) of a fare for a rider category."""
    if category == "adult":
        return fare.amount, fare.currency, None if fare.amount is not None else "invalid_price"
    options = [
        tables.rider_prices[(fare.fare_id, c.rider_category_id)]
        for c in tables.categories_for(category)
        if (fare.fare_id, c.rider_category_id) in tables.rider_prices
    ]
    if not options:
        return None, fare.currency, "rider_category_not_published"
    priced = [(a, cur) for a, cur in options if a is not None]
    if not priced:
        return None, fare.currency, "invalid_price"
    amount, currency = min(priced)
    return amount, currency, None


def _best_v1(tables: FareTables, rides: list[Ride], category: str) -> tuple[FareQuote | None, str]:
    legs = tuple(r.leg_index for r in rides)
    candidates = _v1_candidates(tables, rides)
    if not candidates:
        return None, "no_matching_fare"
    best: FareQuote | None = None
    reason = "no_matching_fare"
    for fare in candidates:
        amount, currency, why = _v1_price(tables, fare, category)
        if amount is None:
            reason = why or reason
            continue
        if best is None or best.amount is None or amount < best.amount:
            best = FareQuote(legs, amount, currency, fare.fare_id, fare.fare_id)
    return best, reason


def _price_v1(tables: FareTables, rides: list[Ride], category: str) -> list[FareQuote]:
    n = len(rides)
    # best[j]: (undeterminable rides, total, quotes) for rides[:j]
    best: list[tuple[int, int, list[FareQuote]] | None] = [None] * (n + 1)
    best[0] = (0, 0, [])
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_RIDES_PER_FARE), j):
            before = best[i]
            if before is None:
                continue
            quote, reason = _best_v1(tables, rides[i:j], category)
            if quote is None:
                if j - i > 1:
                    continue
                gap = unknown((rides[i].leg_index,), reason)
                option = (before[0] + 1, before[1], [*before[2], gap])
            else:
                assert quote.amount is not None  # noqa: S101 - a found quote is priced
                option = (before[0], before[1] + quote.amount, [*before[2], quote])
            current = best[j]
            if current is None or (option[0], option[1]) < (current[0], current[1]):
                best[j] = option
    result = best[n]
    assert result is not None  # noqa: S101 - every ride alone is always an option
    return result[2]


# ---------------------------------------------------------------------------- Fares v2


def _v2_options(tables: FareTables, product_id: str, category: str) -> list[FareProductOption]:
    options = tables.products.get(product_id, [])
    if category == "adult":
        ids = {c.rider_category_id for c in tables.rider_categories.values() if c.is_default}
        ids |= {c.rider_category_id for c in tables.categories_for("adult")}
        return [o for o in options if not o.rider_category_id or o.rider_category_id in ids]
    ids = {c.rider_category_id for c in tables.categories_for(category)}
    return [o for o in options if o.rider_category_id and o.rider_category_id in ids]


def _v2_single(tables: FareTables, ride: Ride, category: str) -> tuple[FareQuote, str]:
    """The quote for one ride and its leg group."""
    legs = (ride.leg_index,)
    network = tables.route_network.get(ride.route_id, "")
    rules = [r for r in tables.leg_rules if network and r.network_id == network]
    if not rules:
        rules = [r for r in tables.leg_rules if not r.network_id]
    if not rules:
        return unknown(legs, "no_matching_fare"), ""
    if any(
        r.from_area_id or r.to_area_id or r.from_timeframe_group_id or r.to_timeframe_group_id
        for r in rules
    ):
        return unknown(legs, "unsupported_fare_rule"), ""
    priorities = [r.rule_priority for r in rules if r.rule_priority is not None]
    if priorities:
        rules = [r for r in rules if r.rule_priority == max(priorities)]
    best: tuple[int, FareProductOption, str] | None = None
    reason = "rider_category_not_published"
    for rule in rules:
        for option in _v2_options(tables, rule.fare_product_id, category):
            if option.amount is None:
                reason = "invalid_price"
                continue
            if best is None or option.amount < best[0]:
                best = (option.amount, option, rule.leg_group_id)
    if best is None:
        return unknown(legs, reason), ""
    amount, option, group = best
    return FareQuote(legs, amount, option.currency, option.fare_product_id, option.name), group


def _transfer_rule_ok(
    rule_duration_s: int | None, limit_type: int | None, first: Ride, previous: Ride, nxt: Ride
) -> bool:
    if rule_duration_s is None:
        return True
    # Measured from the first ride of the ticket (a "2½ hours" ticket), per duration_limit_type.
    start = first.arrival_s if limit_type in (2, 3) else first.departure_s
    end = nxt.arrival_s if limit_type in (0, 3) else nxt.departure_s
    del previous
    return end - start <= rule_duration_s


def _price_v2(tables: FareTables, rides: list[Ride], category: str) -> list[FareQuote]:
    quotes: list[FareQuote] = []
    chain_first: Ride | None = None
    chain_group = ""
    chain_transfers = 0
    previous: Ride | None = None
    for ride in rides:
        single, group = _v2_single(tables, ride, category)
        transfer = None
        if previous is not None and chain_first is not None and quotes and quotes[-1].known:
            transfer = _v2_transfer(
                tables,
                category,
                chain_first,
                previous,
                ride,
                chain_group,
                group,
                chain_transfers,
                single,
                quotes[-1],
            )
        if transfer is not None:
            kind, quote = transfer
            if kind == "replace_previous":
                quotes[-1] = quote
            else:
                quotes.append(quote)
            chain_transfers += 1
        else:
            quotes.append(single)
            chain_first, chain_transfers = (ride if single.known else None), 0
        chain_group = group
        previous = ride
    return quotes


def _v2_transfer(
    tables: FareTables,
    category: str,
    first: Ride,
    previous: Ride,
    ride: Ride,
    from_group: str,
    to_group: str,
    transfers_so_far: int,
    single: FareQuote,
    previous_quote: FareQuote,
) -> tuple[str, FareQuote] | None:
    if not from_group or not to_group:
        return None
    rules = [
        r
        for r in tables.transfer_rules
        if r.from_leg_group_id in (from_group, "") and r.to_leg_group_id in (to_group, "")
    ]
    best: tuple[str, FareQuote] | None = None
    for rule in rules:
        if rule.transfer_count is not None and rule.transfer_count != -1:
            if transfers_so_far + 1 > rule.transfer_count:
                continue
        elif rule.transfer_count is None and from_group == to_group and transfers_so_far >= 1:
            continue  # without transfer_count a rule covers one transfer
        if not _transfer_rule_ok(
            rule.duration_limit_s, rule.duration_limit_type, first, previous, ride
        ):
            continue
        ab_amount, ab_currency, ab_name = 0, None, "transfer"
        if rule.fare_product_id:
            offered = _v2_options(tables, rule.fare_product_id, category)
            options = [o for o in offered if o.amount is not None]
            if not options:
                continue
            cheapest = min(options, key=lambda o: o.amount or 0)
            ab_amount, ab_currency, ab_name = cheapest.amount or 0, cheapest.currency, cheapest.name
        if rule.fare_transfer_type == 0:  # A + AB
            amount = ab_amount
        elif rule.fare_transfer_type == 1:  # A + AB + B
            if single.amount is None:
                continue
            amount = ab_amount + single.amount
        else:  # AB replaces the whole journey so far: handled as a replacement below
            amount = ab_amount
        # A new fare that is no dearer wins: the rider would just pay it.
        if rule.fare_transfer_type == 2:
            if (
                single.amount is not None
                and previous_quote.amount is not None
                and amount >= previous_quote.amount + single.amount
            ):
                continue
        elif single.amount is not None and amount >= single.amount:
            continue
        quote = FareQuote(
            (ride.leg_index,),
            amount,
            ab_currency or single.currency,
            rule.fare_product_id or None,
            ab_name,
            kind="transfer",
        )
        kind = "append"
        if rule.fare_transfer_type == 2:
            kind = "replace_previous"
            quote = FareQuote(
                (*previous_quote.legs, ride.leg_index),
                amount,
                ab_currency,
                rule.fare_product_id or None,
                ab_name,
            )
        if best is None or (best[1].amount or 0) > amount:
            best = (kind, quote)
    return best
