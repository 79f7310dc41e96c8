"""Read side of the fare engine: an operator's active fare tables, loaded once per feed
version and kept in the process (a version's rows never change)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from maas.trips.fares.tables import FareTables, fare_tables_build
from operators.gtfs import models as m
from operators.models import FeedKind, FeedStatus, FeedVersion

# Fare tables of this many feed versions stay in memory per process (a version's tables
# are a few MB at most: Yamanashi's 109k fare_rules rows are the largest we know).
CACHE_SIZE = 16

_lock = threading.Lock()
_cache: OrderedDict[int, FareTables] = OrderedDict()


def _rows(model: Any, feed_version_id: int, fields: list[str]) -> list[dict[str, Any]]:
    return list(model.objects.filter(feed_version_id=feed_version_id).values(*fields))


def fare_tables_load(*, feed_version_id: int) -> FareTables:
    """The fare tables of one feed version (from the process cache when loaded before)."""
    with _lock:
        cached = _cache.get(feed_version_id)
        if cached is not None:
            _cache.move_to_end(feed_version_id)
            return cached
    fv = feed_version_id
    tables = fare_tables_build(
        feed_version_id=fv,
        agencies=_rows(m.Agency, fv, ["agency_id"]),
        routes=_rows(
            m.Route,
            fv,
            ["route_id", "agency_id", "network_id", "route_short_name", "route_long_name"],
        ),
        stops=_rows(m.Stop, fv, ["stop_id", "zone_id", "parent_station"]),
        fare_attributes=_rows(
            m.FareAttribute,
            fv,
            ["fare_id", "price", "currency_type", "transfers", "transfer_duration", "agency_id"],
        ),
        fare_rules=_rows(
            m.FareRule, fv, ["fare_id", "route_id", "origin_id", "destination_id", "contains_id"]
        ),
        rider_categories=_rows(
            m.RiderCategory,
            fv,
            ["rider_category_id", "rider_category_name", "is_default_fare_category", "extra"],
        ),
        fare_rider_categories=_rows(
            m.FareRiderCategory, fv, ["fare_id", "rider_category_id", "price", "currency_type"]
        ),
        fare_products=_rows(
            m.FareProduct,
            fv,
            [
                "fare_product_id",
                "fare_product_name",
                "rider_category_id",
                "fare_media_id",
                "amount",
                "currency",
            ],
        ),
        fare_leg_rules=_rows(
            m.FareLegRule,
            fv,
            [
                "leg_group_id",
                "network_id",
                "from_area_id",
                "to_area_id",
                "from_timeframe_group_id",
                "to_timeframe_group_id",
                "fare_product_id",
                "rule_priority",
            ],
        ),
        fare_transfer_rules=_rows(
            m.FareTransferRule,
            fv,
            [
                "from_leg_group_id",
                "to_leg_group_id",
                "transfer_count",
                "duration_limit",
                "duration_limit_type",
                "fare_transfer_type",
                "fare_product_id",
            ],
        ),
        fare_media=_rows(m.FareMedia, fv, ["fare_media_id", "fare_media_name"]),
    )
    with _lock:
        _cache[feed_version_id] = tables
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return tables


def fare_tables_cache_clear() -> None:
    """Forget the loaded tables (tests that rewrite a version's rows in place)."""
    with _lock:
        _cache.clear()


def active_fare_version_id(*, namespace: str) -> int | None:
    """The active GTFS/GTFS-Flex version that ids in `namespace` ("<operator>" or
    "<operator>.flex", as in plan responses) come from."""
    slug = namespace.removesuffix(".flex")
    versions = list(
        FeedVersion.objects.filter(
            operator__slug=slug,
            status=FeedStatus.ACTIVE,
            kind__in=[FeedKind.GTFS, FeedKind.GTFS_FLEX],
        ).values_list("id", "kind")
    )
    if not versions:
        return None
    if len(versions) == 1:
        return versions[0][0]
    wanted = FeedKind.GTFS_FLEX if namespace.endswith(".flex") else FeedKind.GTFS
    return next((pk for pk, kind in versions if kind == wanted), None)


def visited_stop_ids(
    *, feed_version_id: int, trip_id: str, from_stop_id: str, to_stop_id: str
) -> tuple[str, ...]:
    """Every stop a trip passes from boarding to alighting (for fare_rules contains_id)."""
    rows = list(
        m.StopTime.objects.filter(feed_version_id=feed_version_id, trip_id=trip_id)
        .order_by("stop_sequence")
        .values_list("stop_id", flat=True)
    )
    if from_stop_id not in rows:
        return ()
    start = rows.index(from_stop_id)
    tail = rows[start:]
    if to_stop_id not in tail:
        return ()
    return tuple(tail[: tail.index(to_stop_id) + 1])
