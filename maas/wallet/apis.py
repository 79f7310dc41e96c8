"""`GET /api/v1/wallet` and `POST /api/v1/wallet/top-ups` (API.md "Bookings and wallet";
passengers, own wallet only)."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.idempotency import HEADER, fingerprint_of, idempotent_create
from maas.core.permissions import IsPassenger
from maas.wallet.methods import PaymentDeclined
from maas.wallet.models import Entry, Transaction
from maas.wallet.selectors import wallet_entries
from maas.wallet.services import WalletError, wallet_balance, wallet_top_up

# A page of wallet entries; `?limit=` may ask for up to MAX_ENTRIES_PAGE.
ENTRIES_PAGE = 50
MAX_ENTRIES_PAGE = 500


def money(amount: int, currency: str | None = None) -> dict[str, Any]:
    return {"amount": int(amount), "currency": currency or settings.WALLET_CURRENCY}


def entry_json(entry: Entry) -> dict[str, Any]:
    txn = entry.transaction
    return {
        "id": entry.pk,
        "amount": money(entry.amount, entry.account.currency),
        "kind": txn.kind,
        "memo": txn.memo,
        "created_at": txn.created_at.isoformat(),
        "reference": txn.reference,
    }


def transaction_json(txn: Transaction, *, wallet_amount: int) -> dict[str, Any]:
    return {
        "id": txn.pk,
        "kind": txn.kind,
        "amount": money(wallet_amount, txn.currency),
        "memo": txn.memo,
        "reference": txn.reference,
        "method": txn.metadata.get("method"),
        "created_at": txn.created_at.isoformat(),
    }


def wallet_error(exc: WalletError) -> ApiError:
    return ApiError(exc.code, exc.message, details=exc.details)


class WalletApi(APIView):
    """The caller's balance and entries, newest first (`?limit=`, `?before=<entry id>`;
    the next page is in the `Link` header)."""

    permission_classes = [IsPassenger]

    class FilterSerializer(serializers.Serializer[Any]):
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ENTRIES_PAGE, default=ENTRIES_PAGE
        )
        before = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        limit = params.validated_data["limit"]
        entries = wallet_entries(
            user=request.user,  # type: ignore[arg-type]
            before_id=params.validated_data.get("before"),
            limit=limit + 1,
        )
        response = Response(
            {
                "balance": money(wallet_balance(user=request.user)),  # type: ignore[arg-type]
                "entries": [entry_json(entry) for entry in entries[:limit]],
            }
        )
        if len(entries) > limit:
            next_url = request.build_absolute_uri(
                f"{request.path}?limit={limit}&before={entries[limit - 1].pk}"
            )
            response["Link"] = f'<{next_url}>; rel="next"'
        return response


class MoneySerializer(serializers.Serializer[Any]):
    amount = serializers.IntegerField()
    currency = serializers.CharField(max_length=3)


class WalletTopUpApi(APIView):
    """Top up the caller's wallet; `Idempotency-Key` makes retries safe."""

    permission_classes = [IsPassenger]

    class InputSerializer(serializers.Serializer[Any]):
        amount = MoneySerializer()
        method = serializers.CharField(max_length=64)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApiError("malformed_request", "The body must be a JSON object.")
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        amount = body.validated_data["amount"]
        method = body.validated_data["method"]
        if amount["currency"] != settings.WALLET_CURRENCY:
            raise ApiError(
                "currency_not_supported",
                f"The wallet holds {settings.WALLET_CURRENCY} only.",
                details={"currency": settings.WALLET_CURRENCY},
            )
        user = request.user
        key = request.META.get(HEADER)
        # With a key, a retry maps onto the same ledger reference as well as the same stored
        # response; without one, every request is a new top-up.
        reference = f"api:{user.pk}:{key}" if key else None

        def create() -> Response:
            try:
                txn = wallet_top_up(
                    user=user,  # type: ignore[arg-type]
                    amount=amount["amount"],
                    method=method,
                    reference=reference or f"api:{user.pk}:{uuid4()}",
                )
            except WalletError as exc:
                raise wallet_error(exc) from exc
            except PaymentDeclined as exc:
                raise ApiError("payment_declined", str(exc) or "The payment was declined.") from exc
            return Response(
                {
                    "transaction": transaction_json(txn, wallet_amount=amount["amount"]),
                    "balance": money(wallet_balance(user=user)),  # type: ignore[arg-type]
                },
                status=status.HTTP_201_CREATED,
            )

        fingerprint = fingerprint_of("wallet-top-up", json.dumps(request.data, sort_keys=True))
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)
