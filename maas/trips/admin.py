from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from maas.trips.models import AddOnDiscount, Offer, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = (
        "code",
        "operator",
        "name_ja",
        "price_amount",
        "currency",
        "rider_category",
        "is_active",
    )
    list_filter = ("is_active", "rider_category", "operator")
    filter_horizontal = ("covered_operators",)
    search_fields = ("code", "name_ja", "name_en")


@admin.register(AddOnDiscount)
class AddOnDiscountAdmin(admin.ModelAdmin[AddOnDiscount]):
    list_display = ("tourism_operator", "product_id", "percent_off", "amount_off", "is_active")
    list_filter = ("is_active", "tourism_operator")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin[Offer]):
    list_display = (
        "id",
        "owner",
        "price_amount",
        "currency",
        "rider_category",
        "created_at",
        "expires_at",
    )
    readonly_fields = [f.name for f in Offer._meta.fields]
    search_fields = ("id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # offers are frozen quotes, created only by the API
