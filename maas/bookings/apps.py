from __future__ import annotations

from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "maas.bookings"
    label = "bookings"
    verbose_name = "Bookings, tickets and settlement"
