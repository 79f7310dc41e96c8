"""`Idempotency-Key` for create endpoints: the first result is stored and replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from maas.core.errors import ApiError
from maas.core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _principal(request: Request) -> str:
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"anon:{request.META.get('REMOTE_ADDR', '')}"


def fingerprint_of(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def idempotent_create(
    *, request: Request, fingerprint: str, create: Callable[[], Response]
) -> Response:
    """Run `create()` once per (caller, Idempotency-Key). A repeat with the same key and
    the same request returns the stored response; the same key with a different request
    is refused (409), as is a repeat while the first is still running."""
    key = request.META.get(HEADER)
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError("invalid_idempotency_key", "Idempotency-Key is longer than 255 characters.")
    principal = _principal(request)
    existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(principal=principal, key=key)
        else:
            try:
                response = create()
            except Exception:
                record.delete()  # nothing was created: the key may be used again
                raise
            if response.status_code >= 400:
                record.delete()
                return response
            record.status_code = response.status_code
            record.body = response.data
            record.save(update_fields=["status_code", "body"])
            return response
    if existing.fingerprint != fingerprint:
        raise ApiError(
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
            status_code=409,
        )
    if existing.status_code is None:
        raise ApiError(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed.",
            status_code=409,
        )
    replay = Response(existing.body, status=existing.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay
