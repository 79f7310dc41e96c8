"""The explicit adapter registry (no dynamic imports): which adapter serves a leg is decided
by the operator's active OperatorIntegration (when it covers the leg's mode), else by the
leg's mode."""

from __future__ import annotations

from maas.bookings.adapters.base import LegAdapter
from maas.bookings.adapters.builtin import (
    AttractionAdapter,
    BikeShareAdapter,
    FixedRouteAdapter,
    OnDemandAdapter,
)
from maas.bookings.adapters.tomp import TompHttpAdapter
from maas.bookings.models import OperatorIntegration
from operators.models import Operator

ADAPTERS: dict[str, LegAdapter] = {
    "fixed-route": FixedRouteAdapter(),
    "ondemand": OnDemandAdapter(),
    "bikeshare": BikeShareAdapter(),
    "attraction": AttractionAdapter(),
    "tomp-http": TompHttpAdapter(),
}

MODE_ADAPTERS: dict[str, str] = {
    "transit": "fixed-route",
    "ondemand": "ondemand",
    "bikeshare": "bikeshare",
    "attraction_ticket": "attraction",
}


def adapter_name_for(*, operator: Operator, mode: str) -> str:
    integration = OperatorIntegration.objects.filter(operator=operator, active=True).first()
    if integration is not None and (not integration.modes or mode in integration.modes):
        return integration.adapter
    return MODE_ADAPTERS.get(mode, "fixed-route")


def adapter_get(name: str) -> LegAdapter:
    return ADAPTERS[name]
