from __future__ import annotations

from django.contrib import admin

from operators.ondemand.models import OnDemandService, Ride, Vehicle


class VehicleInline(admin.TabularInline[Vehicle, OnDemandService]):
    model = Vehicle
    extra = 0
    fields = ("label", "seats", "shifts", "depot_lat", "depot_lon", "active")


@admin.register(OnDemandService)
class OnDemandServiceAdmin(admin.ModelAdmin[OnDemandService]):
    list_display = ("name", "operator", "zone_id", "active", "road_speed_mps", "detour_factor")
    list_filter = ("active", "operator")
    search_fields = ("name", "zone_id")
    inlines = [VehicleInline]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin[Vehicle]):
    list_display = ("label", "service", "seats", "active")
    list_filter = ("active", "service__operator")
    search_fields = ("label",)


@admin.register(Ride)
class RideAdmin(admin.ModelAdmin[Ride]):
    """Read-only: rides change only through the hold lifecycle (and the dispatcher's
    locks), never by hand."""

    list_display = (
        "id",
        "service",
        "vehicle",
        "seats",
        "state",
        "planned_pickup_at",
        "planned_dropoff_at",
        "expires_at",
    )
    list_filter = ("state", "service__operator")
    search_fields = ("reference",)

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
