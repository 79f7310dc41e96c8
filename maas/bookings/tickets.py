"""Signed ticket codes that an operator can verify offline.

    T1.<kid>.<payload>.<signature>

`payload` is base64url (no padding) of compact JSON `{"l": leg id, "b": booking id,
"o": operator slug, "f": valid_from, "u": valid_until (Unix seconds), "s": 1 if single
use}`; `signature` is base64url of HMAC-SHA256 over the ASCII text `T1.<kid>.<payload>`
with the *operator's* key: HMAC-SHA256(master secret `kid`, "maas-ticket-key:" + slug).
Each operator is given only its own derived key, so it can verify (but never forge) the
tickets of other operators. TICKET_SIGNING_KEYS = "kid:secret,kid2:secret2": the first
signs, all verify (key rotation). See docs/bookings.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "T1"
# Used only when DEBUG is on and TICKET_SIGNING_KEYS is empty; never in production.
DEBUG_KEYS = "debug:insecure-debug-ticket-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_keys() -> list[tuple[str, bytes]]:
    """(kid, master secret) pairs from TICKET_SIGNING_KEYS, the signing key first."""
    raw = settings.TICKET_SIGNING_KEYS or (DEBUG_KEYS if settings.DEBUG else "")
    keys = []
    for item in raw.split(","):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid or not secret or "." in kid:
            raise ImproperlyConfigured("TICKET_SIGNING_KEYS must be 'kid:secret,kid2:secret2'.")
        keys.append((kid, secret.encode()))
    if not keys:
        raise ImproperlyConfigured("TICKET_SIGNING_KEYS is not set.")
    return keys


def operator_ticket_key(*, master: bytes, operator_slug: str) -> bytes:
    """The key an operator uses to verify its tickets offline."""
    return hmac.new(master, f"maas-ticket-key:{operator_slug}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class TicketClaims:
    leg_id: int
    booking_id: str
    operator: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    single_use: bool


def ticket_sign(
    *,
    leg_id: int,
    booking_id: str,
    operator_slug: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    single_use: bool,
) -> str:
    kid, master = signing_keys()[0]
    claims: dict[str, Any] = {
        "l": leg_id,
        "b": booking_id,
        "o": operator_slug,
        "f": int(valid_from.timestamp()),
        "u": int(valid_until.timestamp()),
        "s": 1 if single_use else 0,
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{VERSION}.{kid}.{payload}"
    key = operator_ticket_key(master=master, operator_slug=operator_slug)
    signature = _b64(hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest())
    return f"{signed}.{signature}"


class TicketInvalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ticket_verify(*, code: str) -> TicketClaims:
    """The claims of a genuine code; TicketInvalid("malformed" | "invalid_signature")."""
    parts = code.strip().split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise TicketInvalid("malformed")
    _, kid, payload, signature = parts
    try:
        claims = json.loads(_unb64(payload))
        given = _unb64(signature)
        operator_slug = str(claims["o"])
        result = TicketClaims(
            leg_id=int(claims["l"]),
            booking_id=str(claims["b"]),
            operator=operator_slug,
            valid_from=dt.datetime.fromtimestamp(int(claims["f"]), tz=dt.UTC),
            valid_until=dt.datetime.fromtimestamp(int(claims["u"]), tz=dt.UTC),
            single_use=bool(claims["s"]),
        )
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise TicketInvalid("malformed") from None
    master = dict(signing_keys()).get(kid)
    if master is None:
        raise TicketInvalid("invalid_signature")
    key = operator_ticket_key(master=master, operator_slug=operator_slug)
    expected = hmac.new(key, f"{VERSION}.{kid}.{payload}".encode("ascii"), hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), given):
        raise TicketInvalid("invalid_signature")
    return result
