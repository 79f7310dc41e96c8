"""Shared infrastructure tables."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a create request carrying an `Idempotency-Key`, so a retry
    with the same key gets the same answer and changes nothing (API.md)."""

    principal = models.CharField(max_length=100)  # "user:<id>" / "api-key:<id>" / "anon:<ip>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # what the first request asked for
    status_code = models.PositiveSmallIntegerField(null=True)  # None while in progress
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.principal}:{self.key}"
