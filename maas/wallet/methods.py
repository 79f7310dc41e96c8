"""Top-up payment methods: a small registry of method name -> a callable that confirms the
payment with whoever moves the real money, before the ledger records it.

Only `sandbox` is built in; it confirms at once and is available only while
`settings.WALLET_SANDBOX_ENABLED` is on (development and tests, never production). A real
provider registers itself from its AppConfig.ready():

    payment_method_register(name="card", confirm=card_confirm)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class TopUpRequest:
    user_id: int
    amount: int  # minor units
    currency: str
    reference: str


@dataclass(frozen=True)
class TopUpConfirmation:
    provider_reference: str


class PaymentDeclined(Exception):
    """The method's provider refused the payment; nothing is recorded."""


# Raises PaymentDeclined when the money did not move.
ConfirmFn = Callable[[TopUpRequest], TopUpConfirmation]

_METHODS: dict[str, ConfirmFn] = {}


def payment_method_register(*, name: str, confirm: ConfirmFn) -> None:
    _METHODS[name] = confirm


def payment_method_unregister(*, name: str) -> None:
    _METHODS.pop(name, None)


def payment_method_is_available(*, name: str) -> bool:
    if name == "sandbox" and not settings.WALLET_SANDBOX_ENABLED:
        return False
    return name in _METHODS


def payment_method_find(*, name: str) -> ConfirmFn | None:
    """The confirm callable of an available method, else None."""
    return _METHODS[name] if payment_method_is_available(name=name) else None


def payment_methods_available() -> list[str]:
    return sorted(name for name in _METHODS if payment_method_is_available(name=name))


def _sandbox_confirm(request: TopUpRequest) -> TopUpConfirmation:
    return TopUpConfirmation(provider_reference=f"sandbox:{request.reference}")


payment_method_register(name="sandbox", confirm=_sandbox_confirm)
