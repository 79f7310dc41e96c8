"""Money as integers in the currency's minor unit (API.md): never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

# ISO 4217 minor units of the currencies the feeds use; an unlisted currency is not
# guessed (its fares are reported as undeterminable).
MINOR_UNITS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "USD": 2,
    "CAD": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "CNY": 2,
    "HKD": 2,
    "SGD": 2,
    "TWD": 2,
}


def to_minor(amount: Decimal | str | int | float, currency: str) -> int | None:
    """A published price (main unit, e.g. `"2.55"` USD) -> minor units (255); None when the
    currency is unknown or the price is not a whole number of minor units."""
    exponent = MINOR_UNITS.get(currency.upper())
    if exponent is None:
        return None
    try:
        value = Decimal(str(amount)) * (Decimal(10) ** exponent)
    except InvalidOperation:
        return None
    if value != value.to_integral_value() or value < 0:
        return None
    return int(value)


def money(amount: int | None, currency: str | None) -> dict[str, Any] | None:
    """The API's money object, or None when the amount is unknown."""
    if amount is None or currency is None:
        return None
    return {"amount": amount, "currency": currency}
