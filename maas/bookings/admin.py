from __future__ import annotations

from django.contrib import admin

from maas.bookings.models import (
    AttractionQuota,
    Booking,
    BookingLeg,
    CancellationPolicy,
    OperatorIntegration,
    TicketValidation,
)


class BookingLegInline(admin.TabularInline[BookingLeg, Booking]):
    model = BookingLeg
    extra = 0
    fields = ("position", "kind", "mode", "operator", "adapter", "state", "price_amount")
    readonly_fields = fields
    can_delete = False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
    list_display = ("id", "owner", "state", "price_amount", "currency", "created_at")
    list_filter = ("state",)
    readonly_fields = ("owner", "offer", "price_amount", "paid_amount", "refunded_amount")
    inlines = [BookingLegInline]


@admin.register(OperatorIntegration)
class OperatorIntegrationAdmin(admin.ModelAdmin[OperatorIntegration]):
    list_display = ("operator", "adapter", "base_url", "active")


@admin.register(CancellationPolicy)
class CancellationPolicyAdmin(admin.ModelAdmin[CancellationPolicy]):
    list_display = (
        "operator",
        "free_until_min",
        "fee_amount",
        "fee_percent",
        "platform_fee_percent",
    )


@admin.register(AttractionQuota)
class AttractionQuotaAdmin(admin.ModelAdmin[AttractionQuota]):
    list_display = ("tourism_operator", "product_id", "daily_limit")


@admin.register(TicketValidation)
class TicketValidationAdmin(admin.ModelAdmin[TicketValidation]):
    list_display = ("operator", "leg", "at", "result", "reason")
    list_filter = ("result",)
