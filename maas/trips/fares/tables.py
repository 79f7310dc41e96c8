"""One feed version's fare tables, loaded once into plain Python structures.

Built from row dicts (database rows in production, the feed's CSV rows in tests), so the
same code path reads both. Everything here is immutable once built: a feed version's rows
never change, so a process may cache the tables by feed version id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from maas.trips.fares.money import to_minor

# The rider categories a passenger may ask for; "adult" is the feed's default fare.
RIDER_CATEGORIES = ("adult", "child", "senior", "disability")

# Words in a feed's rider category name (English or Japanese) that say which of our
# categories it serves. "Honored citizen" (TriMet, C-TRAN) covers seniors and riders with
# disabilities.
_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "adult": ("adult", "大人", "おとな", "一般"),
    "child": (
        "child",
        "youth",
        "kid",
        "junior",
        "小児",
        "小学生",
        "こども",
        "子ども",
        "子供",
        "小人",
        "児童",
        "幼児",
    ),
    "senior": ("senior", "honored", "honoured", "elder", "高齢", "シニア", "老人"),
    "disability": ("disab", "honored", "honoured", "handicap", "障害", "障がい", "身障"),
}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def generic_categories(name: str, category_id: str) -> frozenset[str]:
    """Which of our rider categories a feed category serves, from its name and id."""
    haystack = f"{name} {category_id}".lower()
    return frozenset(
        generic for generic, words in _CATEGORY_WORDS.items() if any(w in haystack for w in words)
    )


@dataclass(frozen=True)
class FareAttribute:
    fare_id: str
    amount: int | None  # minor units; None: not a whole number of minor units
    currency: str
    transfers: int | None  # None: unlimited
    transfer_duration_s: int | None
    agency_id: str


@dataclass(frozen=True)
class FareCell:
    """The fare_rules rows of one fare with the same origin, destination and contains set;
    `routes` holds their route ids ("" = any route)."""

    origin: str
    destination: str
    contains: frozenset[str]
    routes: frozenset[str]


@dataclass(frozen=True)
class FeedRiderCategory:
    rider_category_id: str
    name: str
    is_default: bool
    generic: frozenset[str]


@dataclass(frozen=True)
class FareProductOption:
    """One row of fare_products.txt (a product may have a row per fare medium)."""

    fare_product_id: str
    name: str
    rider_category_id: str
    fare_media_id: str
    amount: int | None
    currency: str


@dataclass(frozen=True)
class FareLegRule:
    leg_group_id: str
    network_id: str
    from_area_id: str
    to_area_id: str
    from_timeframe_group_id: str
    to_timeframe_group_id: str
    fare_product_id: str
    rule_priority: int | None


@dataclass(frozen=True)
class FareTransferRule:
    from_leg_group_id: str
    to_leg_group_id: str
    transfer_count: int | None
    duration_limit_s: int | None
    duration_limit_type: int | None
    fare_transfer_type: int
    fare_product_id: str


@dataclass
class FareTables:
    feed_version_id: int
    # v1
    fares: dict[str, FareAttribute] = field(default_factory=dict)
    cells: dict[str, list[FareCell]] = field(default_factory=dict)
    # (origin, destination) -> fare ids having a cell with exactly that pair ("" = any)
    cells_by_od: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    has_fare_rules: bool = False
    uses_contains: bool = False
    rider_prices: dict[tuple[str, str], tuple[int | None, str]] = field(default_factory=dict)
    rider_categories: dict[str, FeedRiderCategory] = field(default_factory=dict)
    # network
    stop_zone: dict[str, str] = field(default_factory=dict)
    route_agency: dict[str, str] = field(default_factory=dict)
    route_network: dict[str, str] = field(default_factory=dict)
    route_names: dict[str, str] = field(default_factory=dict)
    single_agency_id: str = ""
    # v2
    products: dict[str, list[FareProductOption]] = field(default_factory=dict)
    leg_rules: list[FareLegRule] = field(default_factory=list)
    transfer_rules: list[FareTransferRule] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)

    @property
    def has_v1(self) -> bool:
        return bool(self.fares)

    @property
    def has_v2(self) -> bool:
        return bool(self.leg_rules)

    def categories_for(self, category: str) -> list[FeedRiderCategory]:
        """The feed's rider categories that serve `category` (one of RIDER_CATEGORIES)."""
        return [c for c in self.rider_categories.values() if category in c.generic]


Rows = Iterable[Mapping[str, Any]]


def fare_tables_build(
    *,
    feed_version_id: int,
    agencies: Rows = (),
    routes: Rows = (),
    stops: Rows = (),
    fare_attributes: Rows = (),
    fare_rules: Rows = (),
    rider_categories: Rows = (),
    fare_rider_categories: Rows = (),
    fare_products: Rows = (),
    fare_leg_rules: Rows = (),
    fare_transfer_rules: Rows = (),
    fare_media: Rows = (),
) -> FareTables:
    """Fare tables from row dicts keyed by the GTFS column names."""
    tables = FareTables(feed_version_id=feed_version_id)
    agency_ids = [_text(a.get("agency_id")) for a in agencies]
    if len(agency_ids) == 1:
        tables.single_agency_id = agency_ids[0]

    for r in routes:
        route_id = _text(r.get("route_id"))
        tables.route_agency[route_id] = _text(r.get("agency_id")) or tables.single_agency_id
        tables.route_network[route_id] = _text(r.get("network_id"))
        tables.route_names[route_id] = _text(r.get("route_short_name")) or _text(
            r.get("route_long_name")
        )

    parent: dict[str, str] = {}
    for s in stops:
        stop_id = _text(s.get("stop_id"))
        tables.stop_zone[stop_id] = _text(s.get("zone_id"))
        parent[stop_id] = _text(s.get("parent_station"))
    # A platform without a zone takes its station's zone.
    for stop_id, zone in list(tables.stop_zone.items()):
        if not zone and parent.get(stop_id):
            tables.stop_zone[stop_id] = tables.stop_zone.get(parent[stop_id], "")

    for a in fare_attributes:
        currency = _text(a.get("currency_type")).upper()
        fare = FareAttribute(
            fare_id=_text(a.get("fare_id")),
            amount=to_minor(_text(a.get("price")) or "x", currency),
            currency=currency,
            transfers=_int(a.get("transfers")),
            transfer_duration_s=_int(a.get("transfer_duration")),
            agency_id=_text(a.get("agency_id")),
        )
        tables.fares[fare.fare_id] = fare

    # fare_id -> (route, origin, destination) -> contains ids
    grouped: dict[str, dict[tuple[str, str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in fare_rules:
        tables.has_fare_rules = True
        key = (_text(r.get("route_id")), _text(r.get("origin_id")), _text(r.get("destination_id")))
        contains = grouped[_text(r.get("fare_id"))][key]
        if _text(r.get("contains_id")):
            contains.add(_text(r.get("contains_id")))
            tables.uses_contains = True
    for fare_id, by_key in grouped.items():
        routes_of: dict[tuple[str, str, frozenset[str]], set[str]] = defaultdict(set)
        for (route, origin, destination), contains in by_key.items():
            routes_of[(origin, destination, frozenset(contains))].add(route)
        cells = [
            FareCell(origin=o, destination=d, contains=c, routes=frozenset(rs))
            for (o, d, c), rs in routes_of.items()
        ]
        tables.cells[fare_id] = cells
        for cell in cells:
            tables.cells_by_od.setdefault((cell.origin, cell.destination), set()).add(fare_id)

    for c in rider_categories:
        extra = c.get("extra") or {}
        name = _text(c.get("rider_category_name")) or _text(
            c.get("rider_category_description") or extra.get("rider_category_description")
        )
        category_id = _text(c.get("rider_category_id"))
        tables.rider_categories[category_id] = FeedRiderCategory(
            rider_category_id=category_id,
            name=name,
            is_default=_int(c.get("is_default_fare_category")) == 1,
            generic=generic_categories(name, category_id),
        )
    for p in fare_rider_categories:
        fare_id, category_id = _text(p.get("fare_id")), _text(p.get("rider_category_id"))
        fare_attribute = tables.fares.get(fare_id)
        currency = _text(p.get("currency_type")).upper() or (
            fare_attribute.currency if fare_attribute else ""
        )
        price = _text(p.get("price"))
        tables.rider_prices[(fare_id, category_id)] = (
            to_minor(price, currency) if price else None,
            currency,
        )
        if category_id not in tables.rider_categories:
            tables.rider_categories[category_id] = FeedRiderCategory(
                category_id, "", False, generic_categories("", category_id)
            )

    for media in fare_media:
        tables.media[_text(media.get("fare_media_id"))] = _text(media.get("fare_media_name"))
    for p in fare_products:
        currency = _text(p.get("currency")).upper()
        option = FareProductOption(
            fare_product_id=_text(p.get("fare_product_id")),
            name=_text(p.get("fare_product_name")),
            rider_category_id=_text(p.get("rider_category_id")),
            fare_media_id=_text(p.get("fare_media_id")),
            amount=to_minor(_text(p.get("amount")) or "x", currency),
            currency=currency,
        )
        tables.products.setdefault(option.fare_product_id, []).append(option)
    for r in fare_leg_rules:
        tables.leg_rules.append(
            FareLegRule(
                leg_group_id=_text(r.get("leg_group_id")),
                network_id=_text(r.get("network_id")),
                from_area_id=_text(r.get("from_area_id")),
                to_area_id=_text(r.get("to_area_id")),
                from_timeframe_group_id=_text(r.get("from_timeframe_group_id")),
                to_timeframe_group_id=_text(r.get("to_timeframe_group_id")),
                fare_product_id=_text(r.get("fare_product_id")),
                rule_priority=_int(r.get("rule_priority")),
            )
        )
    for r in fare_transfer_rules:
        tables.transfer_rules.append(
            FareTransferRule(
                from_leg_group_id=_text(r.get("from_leg_group_id")),
                to_leg_group_id=_text(r.get("to_leg_group_id")),
                transfer_count=_int(r.get("transfer_count")),
                duration_limit_s=_int(r.get("duration_limit")),
                duration_limit_type=_int(r.get("duration_limit_type")),
                fare_transfer_type=_int(r.get("fare_transfer_type")) or 0,
                fare_product_id=_text(r.get("fare_product_id")),
            )
        )
    return tables
