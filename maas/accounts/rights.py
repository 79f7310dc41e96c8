"""A passenger's rights over their data (APPI / GDPR-style, docs/platform.md): the export
of everything held about them and erasure.

Erasure keeps what the books need — bookings, tickets and ledger rows stay, pointing at the
same (now pseudonymised, inactive) user row, so the ledger stays balanced and operators'
settlements unchanged — and removes what identifies the person: username, email, names,
password, consent, and the exact points (home!) in their offers and bookings, which are
coarsened to the centre of their 1 km grid square. Aggregates and usage events already sent
were pseudonymised from the start and stay.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from maas.accounts.models import Language, User, VisitorType
from maas.bookings.models import Booking, BookingLeg, LegKind, TicketValidation
from maas.bookings.selectors import booking_json
from maas.core.models import IdempotencyRecord
from maas.platform.mesh import mesh_center, mesh_code
from maas.platform.services import research_id
from maas.trips.models import Offer
from maas.trips.offers import offer_json
from maas.wallet.models import Account, AccountKind, Entry
from operators.ondemand.models import Ride

#: The grid level exact points are coarsened to on erasure (1 km cells).
ERASURE_MESH_LEVEL = 3


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything held about `user`, as JSON-ready data."""
    bookings = (
        Booking.objects.filter(owner=user).prefetch_related("legs__operator").order_by("created_at")
    )
    offers = Offer.objects.filter(owner=user).order_by("created_at", "id")
    wallets = Account.objects.filter(user=user, kind=AccountKind.PASSENGER_WALLET).order_by("id")
    entries = Entry.objects.filter(account__in=wallets).select_related("transaction").order_by("id")
    validations = (
        TicketValidation.objects.filter(leg__booking__owner=user)
        .select_related("operator")
        .order_by("at", "id")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "preferred_language": user.preferred_language,
            "visitor_type": user.visitor_type,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "consent": {
            "share_usage_research": user.share_usage_research,
            "updated_at": _iso(user.consent_updated_at),
        },
        "research_id": research_id(user_id=user.pk) if user.share_usage_research else None,
        "bookings": [booking_json(b) for b in bookings],
        "offers": [offer_json(o) for o in offers],
        "wallet": {
            "accounts": [{"currency": a.currency, "balance": int(a.balance or 0)} for a in wallets],
            "entries": [
                {
                    "id": e.pk,
                    "amount": e.amount,
                    "currency": e.transaction.currency,
                    "kind": e.transaction.kind,
                    "reference": e.transaction.reference,
                    "memo": e.transaction.memo,
                    "booking_leg_id": e.booking_leg_id,
                    "created_at": _iso(e.transaction.created_at),
                }
                for e in entries
            ],
        },
        "ticket_validations": [
            {
                "booking_leg_id": v.leg_id,
                "operator": v.operator.slug,
                "at": _iso(v.at),
                "result": v.result,
                "reason": v.reason,
            }
            for v in validations
        ],
    }


def _coarse_place(place: Any) -> Any:
    """A free point (no stop, no station) moved to its 1 km cell's centre, unnamed."""
    if not isinstance(place, dict) or place.get("stop_id") or place.get("station_id"):
        return place
    try:
        code = mesh_code(float(place["lat"]), float(place["lon"]), ERASURE_MESH_LEVEL)
    except (KeyError, TypeError, ValueError):
        return {**place, "lat": None, "lon": None, "name": ""}
    lat, lon = mesh_center(code)
    return {**place, "lat": round(lat, 6), "lon": round(lon, 6), "name": ""}


def _coarse_leg(leg: Any) -> Any:
    if not isinstance(leg, dict):
        return leg
    out = dict(leg)
    for end in ("from", "to"):
        if end in out:
            out[end] = _coarse_place(out[end])
    if out.get("mode") != "transit":
        out["geometry"] = None  # a walk/bike/ride line starts or ends at the person's door
    return out


def _coarse_itinerary(itinerary: Any) -> Any:
    if not isinstance(itinerary, dict):
        return itinerary
    return {**itinerary, "legs": [_coarse_leg(leg) for leg in itinerary.get("legs") or []]}


def user_erase(*, user: User, now: dt.datetime | None = None) -> User:
    """Erase `user`'s personal data (see the module docstring). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.username = f"deleted-{secrets.token_hex(8)}"
        locked.email = ""
        locked.first_name = ""
        locked.last_name = ""
        locked.set_unusable_password()
        locked.share_usage_research = False
        locked.consent_updated_at = now
        locked.visitor_type = VisitorType.UNKNOWN
        locked.preferred_language = Language.JA
        locked.is_active = False
        locked.last_login = None
        locked.save()
        for offer in Offer.objects.select_for_update().filter(owner=locked):
            offer.itinerary = _coarse_itinerary(offer.itinerary)
            offer.save(update_fields=["itinerary"])
        leg_ids = []
        for leg in BookingLeg.objects.select_for_update().filter(
            booking__owner=locked, kind=LegKind.LEG
        ):
            leg.detail = _coarse_leg(leg.detail)
            leg.save(update_fields=["detail"])
            leg_ids.append(leg.pk)
        # On-demand rides keep the exact door-to-door points for the operator: coarsen them.
        for ride in Ride.objects.select_for_update().filter(
            reference__in=[f"booking-leg:{pk}" for pk in leg_ids]
        ):
            for prefix in ("pickup", "dropoff"):
                lat, lon = getattr(ride, f"{prefix}_lat"), getattr(ride, f"{prefix}_lon")
                if lat is not None and lon is not None:
                    c_lat, c_lon = mesh_center(mesh_code(lat, lon, ERASURE_MESH_LEVEL))
                    setattr(ride, f"{prefix}_lat", round(c_lat, 6))
                    setattr(ride, f"{prefix}_lon", round(c_lon, 6))
            ride.save(update_fields=["pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon"])
        # Stored first answers of create requests hold the same itineraries.
        IdempotencyRecord.objects.filter(principal=f"user:{locked.pk}").delete()
    user.refresh_from_db()
    return user
