from __future__ import annotations

from django.urls import path

from maas.bookings import apis

urlpatterns = [
    path("bookings", apis.BookingListCreateApi.as_view(), name="bookings"),
    path("bookings/<str:booking_id>", apis.BookingDetailApi.as_view(), name="booking-detail"),
    path("bookings/<str:booking_id>/events", apis.BookingEventApi.as_view(), name="booking-events"),
    path("tickets/validate", apis.TicketValidateApi.as_view(), name="tickets-validate"),
    path(
        "operators/<slug:slug>/settlement",
        apis.OperatorSettlementApi.as_view(),
        name="operator-settlement",
    ),
]
