"""Read side of tourism: attractions of active versions, with their ticket products."""

from __future__ import annotations

from django.db.models import Prefetch

from operators.models import FeedStatus
from operators.nearby import bounding_box, distance_m
from operators.tourism.models import Attraction, TicketProduct


def attraction_list(
    *,
    near: tuple[float, float] | None = None,
    radius_m: float = 5000,
    limit: int = 50,
) -> list[tuple[Attraction, int | None]]:
    """Attractions of active tourism versions, with their distance in metres: within
    `radius_m` of `near`, nearest first; without `near`, all, by operator and id."""
    attractions = (
        Attraction.objects.filter(feed_version__status=FeedStatus.ACTIVE)
        .select_related("operator")
        .prefetch_related(
            Prefetch(
                "products",
                queryset=TicketProduct.objects.select_related("partner_operator").order_by(
                    "product_id"
                ),
            )
        )
        .order_by("operator__slug", "attraction_id")
    )
    if near is None:
        return [(a, None) for a in attractions[:limit]]
    lat, lon = near
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    in_box = attractions.filter(
        lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon
    )
    found = []
    for attraction in in_box:
        d = distance_m(lat, lon, attraction.lat, attraction.lon)
        if d <= radius_m:
            found.append((round(d), attraction))
    found.sort(key=lambda pair: (pair[0], pair[1].pk))
    return [(a, d) for d, a in found[:limit]]
