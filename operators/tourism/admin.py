from __future__ import annotations

from django.contrib import admin

from operators.tourism.models import Attraction, TicketProduct


class TicketProductInline(admin.TabularInline[TicketProduct, Attraction]):
    model = TicketProduct
    extra = 0
    fields = ("product_id", "name_ja", "rider_category", "price_amount", "currency")


@admin.register(Attraction)
class AttractionAdmin(admin.ModelAdmin[Attraction]):
    list_display = ("attraction_id", "name_ja", "name_en", "operator", "feed_version")
    search_fields = ("attraction_id", "name_ja", "name_en")
    inlines = [TicketProductInline]
