"""Writing usage events (the outbox). Call `event_record` inside the transaction of the
change an event describes, so the event exists exactly when the change does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from maas.platform.models import UsageEvent


def event_record(
    *,
    stream: str,
    type: str,  # shadows the builtin on purpose: the platform payload names it so
    payload: dict[str, Any],
    occurred_at: dt.datetime | None = None,
) -> UsageEvent:
    """Append one event to the outbox. `payload` must hold no raw personal data: pass
    person ids through the pseudonymisation helper first."""
    return UsageEvent.objects.create(
        stream=stream, type=type, payload=payload, occurred_at=occurred_at or timezone.now()
    )
