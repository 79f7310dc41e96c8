"""Delivering the outbox to the shared data platform (API.md "Operations").

Per stream, in `id` order, one batch at a time: the worker locks the stream's StreamLock row
(SELECT ... FOR UPDATE SKIP LOCKED: a second worker skips the stream instead of sending it
concurrently), POSTs the batch and, only after a 2xx, marks it delivered in the same
transaction. Anything else — a non-2xx, a timeout, a refused connection, a worker killed
mid-request — leaves the batch undelivered, so it is sent again (at least once; the platform
dedupes on the event id). A failed batch backs the stream off exponentially; a stream's later
events are never sent while an earlier one is undelivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from maas.platform.models import Stream, StreamLock, UsageEvent

logger = logging.getLogger(__name__)


class IngestNotConfigured(RuntimeError):
    pass


@dataclass
class StreamOutcome:
    stream: str
    delivered: int = 0
    batches: int = 0
    failed: bool = False
    skipped: str = ""  # "busy" (another worker holds it) or "backing_off"
    error: str = ""


@dataclass
class PushResult:
    streams: list[StreamOutcome] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(s.delivered for s in self.streams)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.streams)


def body_sign(*, body: bytes, secret: str) -> str:
    """The X-Signature header value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _event_json(event: UsageEvent) -> dict[str, Any]:
    # The envelope fields come last so a payload can never overwrite them.
    return {
        **event.payload,
        "id": str(event.event_id),
        "stream": event.stream,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
    }


def batch_body(events: list[UsageEvent]) -> bytes:
    return json.dumps(
        {"events": [_event_json(e) for e in events]},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def backoff_s(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed try: base x 2^(attempts-1), capped."""
    base = int(settings.PLATFORM_PUSH_BACKOFF_BASE_S)
    cap = int(settings.PLATFORM_PUSH_BACKOFF_MAX_S)
    return int(min(cap, base * 2 ** min(max(attempts - 1, 0), 30)))


def _stream_lock(stream: str) -> StreamLock | None:
    StreamLock.objects.get_or_create(stream=stream)
    return StreamLock.objects.select_for_update(skip_locked=True).filter(stream=stream).first()


def _post(body: bytes) -> tuple[bool, str]:
    url = settings.PLATFORM_INGEST_URL
    secret = settings.PLATFORM_INGEST_SECRET
    try:
        response = requests.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Signature": body_sign(body=body, secret=secret),
            },
            timeout=(
                float(settings.PLATFORM_PUSH_CONNECT_TIMEOUT_S),
                float(settings.PLATFORM_PUSH_READ_TIMEOUT_S),
            ),
        )
    except requests.RequestException as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return True, ""
    return False, f"HTTP {response.status_code}: {response.text[:200]}"


def stream_push_batch(*, stream: str, force: bool = False) -> StreamOutcome:
    """Send the stream's oldest undelivered batch (at most PLATFORM_PUSH_BATCH_SIZE events).
    `force` ignores the backoff (an operator running push_usage by hand)."""
    outcome = StreamOutcome(stream=stream)
    now = timezone.now()
    with transaction.atomic():
        if _stream_lock(stream) is None:
            outcome.skipped = "busy"
            return outcome
        events = list(
            UsageEvent.objects.filter(stream=stream, delivered_at__isnull=True).order_by("id")[
                : int(settings.PLATFORM_PUSH_BATCH_SIZE)
            ]
        )
        if not events:
            return outcome
        head = events[0]
        if not force and head.next_attempt_at is not None and head.next_attempt_at > now:
            outcome.skipped = "backing_off"
            return outcome
        ids = [e.pk for e in events]
        # The lock is held across the request: the transaction stays open for at most the
        # client timeout, which is what keeps a second worker off this stream meanwhile.
        ok, error = _post(batch_body(events))
        done = timezone.now()
        outcome.batches = 1
        if ok:
            UsageEvent.objects.filter(pk__in=ids).update(
                delivered_at=done, attempts=F("attempts") + 1, next_attempt_at=None, last_error=""
            )
            outcome.delivered = len(ids)
            return outcome
        attempts = head.attempts + 1
        UsageEvent.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1,
            next_attempt_at=done + dt.timedelta(seconds=backoff_s(attempts)),
            last_error=error,
        )
    outcome.failed = True
    outcome.error = error
    logger.warning(
        "usage batch not delivered; retried later",
        extra={"stream": stream, "events": len(ids), "attempts": attempts, "error": error},
    )
    return outcome


def usage_push(*, force: bool = False, max_batches: int | None = None) -> PushResult:
    """Deliver every stream's pending events, batch after batch, until each stream is empty,
    fails, backs off or reaches `max_batches` (PLATFORM_PUSH_MAX_BATCHES: one run must end)."""
    if not settings.PLATFORM_INGEST_URL:
        raise IngestNotConfigured("PLATFORM_INGEST_URL is not set")
    if not settings.PLATFORM_INGEST_SECRET:
        raise IngestNotConfigured("PLATFORM_INGEST_SECRET is not set")
    limit = max_batches if max_batches is not None else int(settings.PLATFORM_PUSH_MAX_BATCHES)
    result = PushResult()
    for stream in Stream.values:
        total = StreamOutcome(stream=stream)
        for _ in range(limit):
            outcome = stream_push_batch(stream=stream, force=force)
            total.delivered += outcome.delivered
            total.batches += outcome.batches
            if outcome.failed or outcome.skipped or not outcome.batches:
                total.failed = outcome.failed
                total.skipped = outcome.skipped
                total.error = outcome.error
                break
        result.streams.append(total)
    return result
