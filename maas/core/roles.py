"""The four roles. Defined here (not in accounts) so that `operators` can check roles
without importing a feature app (see docs/decisions/002-core-plumbing.md)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    PASSENGER = "passenger", "Passenger"
    OPERATOR = "operator", "Operator member"
    CITY = "city", "City analyst"
    ADMIN = "admin", "Administrator"
