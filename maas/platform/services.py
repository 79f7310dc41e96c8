"""Writing usage events (the outbox). Call `event_record` — or one of the `*_event_record`
builders below — inside the transaction of the change an event describes, so the event
exists exactly when the change does.

Payloads are shaped after MDS trips/events (docs/platform.md, docs/platform/events.schema.json)
and hold no raw personal data: a person appears only as `rider = {"pseudonym",
"research_id"?, "visitor_type"}` where the pseudonym is a keyed hash rotated daily and the
research id (stable) is present only while the person opts in to research. Locations are
JIS X 0410 mesh codes, never coordinates. The builders take the models duck-typed so this
module imports no other app (bookings and trips call it, not the other way round).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from maas.platform.mesh import mesh_code
from maas.platform.models import Stream, UsageEvent

logger = logging.getLogger(__name__)

# Keys that must never appear anywhere in a payload (a last line of defence: the builders
# below never write them).
FORBIDDEN_KEYS = frozenset(
    {"username", "email", "first_name", "last_name", "password", "user_id", "owner", "owner_id"}
)
#: Plan requests are anonymous and carry 1 km cells; everything else 500 m cells (level 4),
#: whose prefixes are the coarser levels the statistics need.
PLAN_MESH_LEVEL = 3
EVENT_MESH_LEVEL = 4
#: Hex digits kept of an HMAC: 128 bits, far beyond any collision among our ids.
_ID_HEX = 32


class PersonalDataInPayload(ValueError):
    pass


def _personal_keys(value: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FORBIDDEN_KEYS:
                found.append(f"{path}{key}")
            found.extend(_personal_keys(item, f"{path}{key}."))
    elif isinstance(value, list):
        for item in value:
            found.extend(_personal_keys(item, path))
    return found


def event_record(
    *,
    stream: str,
    type: str,  # shadows the builtin on purpose: the platform payload names it so
    payload: dict[str, Any],
    occurred_at: dt.datetime | None = None,
) -> UsageEvent:
    """Append one event to the outbox. `payload` must hold no raw personal data: pass
    person ids through `rider_block` first (a forbidden key raises)."""
    found = _personal_keys(payload)
    if found:
        raise PersonalDataInPayload(f"personal fields in a usage event: {found}")
    return UsageEvent.objects.create(
        stream=stream, type=type, payload=payload, occurred_at=occurred_at or timezone.now()
    )


# ------------------------------------------------------------------ pseudonymisation


def _secret(name: str) -> bytes | None:
    # Settings give development keys with DEBUG on; in production an unset key means no
    # person ids at all rather than a guessable one.
    value = str(getattr(settings, name, "") or "")
    if value:
        return value.encode()
    logger.error("%s is not set: usage events carry no person ids", name)
    return None


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:_ID_HEX]


def _day_key(day: dt.date) -> bytes | None:
    """The key of one UTC day: HMAC(PLATFORM_PSEUDONYM_SECRET, day). Discarding old day keys
    is not needed for unlinkability — without the secret no day key can be derived."""
    secret = _secret("PLATFORM_PSEUDONYM_SECRET")
    if secret is None:
        return None
    return hmac.new(secret, f"pseudonym-day:{day.isoformat()}".encode(), hashlib.sha256).digest()


def _utc_day(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.UTC).date()


def person_pseudonym(*, user_id: int, at: dt.datetime) -> str | None:
    """The person's id for events of the UTC day of `at`: the same all day, different
    (and unlinkable without the secret) the next day."""
    key = _day_key(_utc_day(at))
    return None if key is None else _hmac_hex(key, f"user:{user_id}")


def research_id(*, user_id: int) -> str | None:
    """The stable id of a person who opted in to research (PLATFORM_RESEARCH_SECRET)."""
    secret = _secret("PLATFORM_RESEARCH_SECRET")
    return None if secret is None else _hmac_hex(secret, f"research:user:{user_id}")


def object_ref(*, kind: str, object_id: Any) -> str | None:
    """A stable pseudonymous id for a booking, leg, offer or ride (`trip_id`s in MDS terms):
    links the events of one object without exposing our database ids."""
    secret = _secret("PLATFORM_PSEUDONYM_SECRET")
    return None if secret is None else _hmac_hex(secret, f"{kind}:{object_id}")


def rider_block(user: Any, *, at: dt.datetime) -> dict[str, Any] | None:
    """`{"pseudonym", "research_id"?, "visitor_type"}` for a signed-in person, None for
    nobody. The research id is there only while the person opts in."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    block: dict[str, Any] = {
        "pseudonym": person_pseudonym(user_id=user.pk, at=at),
        "visitor_type": str(getattr(user, "visitor_type", "") or "unknown"),
    }
    if getattr(user, "share_usage_research", False):
        block["research_id"] = research_id(user_id=user.pk)
    return block


def coarse_location(lat: Any, lon: Any, *, level: int = EVENT_MESH_LEVEL) -> dict[str, Any] | None:
    """`{"mesh": "<JIS X 0410 code>"}` for a point, None when there is no usable point."""
    try:
        return {"mesh": mesh_code(float(lat), float(lon), level)}
    except (TypeError, ValueError):
        return None


def _place_location(place: Any, level: int = EVENT_MESH_LEVEL) -> dict[str, Any] | None:
    if not isinstance(place, dict):
        return None
    return coarse_location(place.get("lat"), place.get("lon"), level=level)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def _hour(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0).isoformat()


# ------------------------------------------------------------------ plans and offers


def plan_event_record(
    *,
    origin: tuple[float, float] | None,
    destination: tuple[float, float] | None,
    when: dt.datetime | None,
    arrive_by: bool,
    modes: list[str],
    itineraries: int,
    occurred_at: dt.datetime | None = None,
) -> UsageEvent:
    """One plan request, anonymous: 1 km cells, the hour asked for, the modes and how many
    itineraries were found. No person id, no exact point."""
    occurred_at = occurred_at or timezone.now()
    payload = {
        "origin": coarse_location(*origin, level=PLAN_MESH_LEVEL) if origin else None,
        "destination": (
            coarse_location(*destination, level=PLAN_MESH_LEVEL) if destination else None
        ),
        "hour": _hour(when or occurred_at),
        "arrive_by": arrive_by,
        "modes": sorted(modes),
        "itineraries": itineraries,
    }
    return event_record(
        stream=Stream.PLANS, type="plan_requested", payload=payload, occurred_at=occurred_at
    )


def _endpoint(point: Any, itineraries: list[Any], end: str) -> tuple[float, float] | None:
    if point is not None:
        return (float(point.lat), float(point.lon))
    for itinerary in itineraries:  # a stop id: where the first itinerary starts / ends
        legs = itinerary.get("legs") or []
        place = (legs[0].get("from") if end == "from" else legs[-1].get("to")) if legs else None
        if isinstance(place, dict) and place.get("lat") is not None:
            return (float(place["lat"]), float(place["lon"]))
    return None


def plan_request_record(*, query: Any, body: dict[str, Any]) -> UsageEvent:
    """The plan event of one `GET /plan` (`query` a trips PlanQuery, `body` its answer)."""
    itineraries = list(body.get("itineraries") or [])
    return plan_event_record(
        origin=_endpoint(query.origin, itineraries, "from"),
        destination=_endpoint(query.destination, itineraries, "to"),
        when=query.time,
        arrive_by=bool(query.arrive_by),
        modes=list(query.modes),
        itineraries=len(itineraries),
    )


def _itinerary_summary(itinerary: dict[str, Any]) -> dict[str, Any]:
    legs = [leg for leg in itinerary.get("legs") or [] if isinstance(leg, dict)]
    first = legs[0] if legs else {}
    last = legs[-1] if legs else {}
    return {
        "start_location": _place_location(first.get("from")),
        "end_location": _place_location(last.get("to")),
        "start_time": itinerary.get("departure"),
        "end_time": itinerary.get("arrival"),
        "modes": [str(leg.get("mode")) for leg in legs],
        "providers": sorted({str(leg["operator"]) for leg in legs if leg.get("operator")}),
        "trip_distance_m": sum(int(leg.get("distance_m") or 0) for leg in legs),
    }


def offer_event_record(*, offer: Any) -> UsageEvent:
    """An offer frozen for a passenger (or an anonymous caller: rider null)."""
    at = offer.created_at or timezone.now()
    payload = {
        "offer_ref": object_ref(kind="offer", object_id=offer.pk),
        "rider": rider_block(offer.owner, at=at),
        **_itinerary_summary(offer.itinerary or {}),
        "price": (
            {"amount": int(offer.price_amount), "currency": offer.currency}
            if offer.price_amount is not None
            else None
        ),
        "add_ons": len(offer.add_ons or []),
    }
    return event_record(stream=Stream.OFFERS, type="offer_created", payload=payload, occurred_at=at)


# ------------------------------------------------------------------ bookings and legs


def _leg_summary(leg: Any) -> dict[str, Any]:
    detail = leg.detail if isinstance(leg.detail, dict) else {}
    return {
        "trip_id": object_ref(kind="booking-leg", object_id=leg.pk),
        "provider": leg.operator.slug,
        "mode": leg.mode,
        "kind": leg.kind,
        "state": leg.state,
        "start_location": _place_location(detail.get("from")),
        "end_location": _place_location(detail.get("to")),
        "start_time": _iso(leg.departure_at),
        "price": int(leg.price_amount or 0),
    }


def booking_event_record(
    *, booking: Any, state: str, leg: Any = None, occurred_at: dt.datetime | None = None
) -> UsageEvent:
    """A booking — or one `leg` of it (scope "leg": RELEASED, EXPIRED legs) — entered
    `state` (TOMP names: NEW, PENDING, CONFIRMED, ...). The event type is the state; the
    legs are listed as they are at that moment."""
    at = occurred_at or timezone.now()
    legs = list(booking.legs.select_related("operator").order_by("position"))
    payload = {
        "scope": "booking" if leg is None else "leg",
        "trip_id": None if leg is None else object_ref(kind="booking-leg", object_id=leg.pk),
        "booking_ref": object_ref(kind="booking", object_id=booking.pk),
        "offer_ref": object_ref(kind="offer", object_id=booking.offer_id),
        "state": state,
        "rider": rider_block(booking.owner, at=at),
        "price": {"amount": int(booking.price_amount or 0), "currency": booking.currency},
        "paid": int(booking.paid_amount or 0),
        "refunded": int(booking.refunded_amount or 0),
        "legs": [_leg_summary(leg) for leg in legs],
    }
    return event_record(stream=Stream.BOOKINGS, type=state, payload=payload, occurred_at=at)


def ticket_event_record(
    *, leg: Any, provider: str, result: str, reason: str, at: dt.datetime
) -> UsageEvent:
    """A ticket shown to an operator and checked (valid or not)."""
    payload: dict[str, Any] = {
        "provider": provider,
        "result": result,
        "reason": reason or None,
        "trip_id": None,
        "booking_ref": None,
        "mode": None,
        "rider": None,
    }
    if leg is not None:
        payload.update(
            trip_id=object_ref(kind="booking-leg", object_id=leg.pk),
            booking_ref=object_ref(kind="booking", object_id=leg.booking_id),
            mode=leg.mode,
            rider=rider_block(leg.booking.owner, at=at),
        )
    return event_record(
        stream=Stream.TICKETS, type="ticket_validated", payload=payload, occurred_at=at
    )


#: MDS-like event_types for the rental / ride lifecycle.
_EVENT_TYPES = {
    "held": ["reservation_start"],
    "confirmed": ["reserve"],
    "released": ["reservation_cancel"],
    "cancelled": ["reservation_cancel"],
    "expired": ["reservation_cancel"],
    "ended": ["reservation_stop"],
}


def leg_event_record(
    *,
    stream: str,
    type: str,
    leg: Any,
    extra: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> UsageEvent:
    """A bike rental (stream bikeshare) or an on-demand ride (stream ondemand) of a booking
    leg changed: held, confirmed, released, cancelled, expired, ended."""
    at = occurred_at or timezone.now()
    payload = {
        **_leg_summary(leg),
        "event_types": _EVENT_TYPES.get(type, [type]),
        "timestamp": _iso(at),
        "rider": rider_block(leg.booking.owner, at=at),
        **(extra or {}),
    }
    payload.pop("state", None)
    return event_record(stream=stream, type=type, payload=payload, occurred_at=at)
