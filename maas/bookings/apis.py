"""Bookings (passenger, own only), ticket validation (operators) and settlement (operator:
own; city and admin: all). API.md "Bookings and wallet"; docs/bookings.md."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.bookings.selectors import booking_find, booking_json, booking_list, operator_settlement
from maas.bookings.services.booking import booking_create
from maas.bookings.services.cancellation import booking_cancel
from maas.bookings.services.errors import BookingError
from maas.bookings.services.validation import ticket_validate
from maas.core.errors import ApiError
from maas.core.idempotency import fingerprint_of, idempotent_create
from maas.core.pagination import LinkHeaderCursorPagination
from maas.core.permissions import IsOperatorOrApiKey, IsPassenger, _RolePermission
from maas.core.permissions import operator_scope_get as _operator_scope_get
from maas.core.renderers import CsvRenderer
from maas.core.roles import Role
from maas.trips.selectors import OfferUnavailable
from maas.wallet.services import WalletError
from operators.models import Operator


class BookingPagination(LinkHeaderCursorPagination):
    ordering = "-created_at"


class BookingListCreateApi(APIView):
    permission_classes = [IsPassenger]

    class InputSerializer(serializers.Serializer[Any]):
        offer_id = serializers.CharField(max_length=64)
        add_on_ids = serializers.ListField(
            child=serializers.CharField(max_length=600), required=False, default=list, max_length=50
        )
        payment = serializers.ChoiceField(choices=["wallet"], required=False, default="wallet")

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        paginator = BookingPagination()
        page = paginator.paginate_queryset(booking_list(user=request.user), request, view=self)
        return paginator.get_paginated_response([booking_json(b) for b in page or []])

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def create() -> Response:
            try:
                booking = booking_create(
                    user=request.user, offer_id=data["offer_id"], add_on_ids=data["add_on_ids"]
                )
            except OfferUnavailable as exc:
                raise exc.as_api_error() from None
            except BookingError as exc:
                raise exc.as_api_error() from None
            except WalletError as exc:
                raise ApiError(
                    exc.code, exc.message, status_code=409, details=exc.details
                ) from None
            return Response(booking_json(booking), status=status.HTTP_201_CREATED)

        fingerprint = fingerprint_of("bookings", json.dumps(data, sort_keys=True, default=str))
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)


class BookingDetailApi(APIView):
    permission_classes = [IsPassenger]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, booking_id: str) -> Response:
        booking = booking_find(user=request.user, booking_id=booking_id)
        if booking is None:
            raise NotFound(f"No booking {booking_id}.")
        return Response(booking_json(booking))


class BookingEventApi(APIView):
    """TOMP-style events on a booking; passengers may send CANCEL."""

    permission_classes = [IsPassenger]

    class InputSerializer(serializers.Serializer[Any]):
        operation = serializers.ChoiceField(choices=["CANCEL"])

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, booking_id: str) -> Response:
        booking = booking_find(user=request.user, booking_id=booking_id)
        if booking is None:
            raise NotFound(f"No booking {booking_id}.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            booking_cancel(booking=booking)
        except BookingError as exc:
            raise exc.as_api_error() from None
        found = booking_find(user=request.user, booking_id=booking_id)
        assert found is not None  # noqa: S101 - it was just read
        return Response(booking_json(found))


class TicketValidateApi(APIView):
    """Validate a ticket shown to the caller's operator (operator staff or API key; admins
    may check any ticket)."""

    permission_classes = [IsOperatorOrApiKey]

    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=2000)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        operator: Operator | None = None
        if getattr(request.user, "role", None) != Role.ADMIN:
            operator_id = getattr(request.user, "operator_id", None)
            if operator_id is not None:
                operator = Operator.objects.filter(pk=operator_id).first()
            if operator is None:
                raise ApiError(
                    "permission_denied", "Your account belongs to no operator.", status_code=403
                )
        return Response(ticket_validate(code=serializer.validated_data["code"], operator=operator))


class IsSettlementReader(_RolePermission):
    roles = (Role.OPERATOR, Role.ADMIN, Role.CITY)
    allow_api_key = True
    message = "Only operator staff, city staff and administrators may read settlements."


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CSV_COLUMNS = [
    "at",
    "type",
    "reference",
    "booking_leg",
    "kind",
    "gross",
    "platform_fee",
    "amount",
    "currency",
]


class OperatorSettlementApi(APIView):
    permission_classes = [IsSettlementReader]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        if getattr(request.user, "role", None) in (Role.CITY, Role.ADMIN) and not getattr(
            request.user, "is_api_key", False
        ):
            operator = Operator.objects.filter(slug=slug).first()
            if operator is None:
                raise NotFound(f"No operator {slug!r}.")
        else:
            operator = _operator_scope_get(request=request, slug=slug)
        match = _MONTH.match(request.query_params.get("month", ""))
        # 1970..9998: the month after 9999-12 (the report's end) does not exist.
        if match is None or not 1970 <= int(match.group(1)) <= 9998:
            raise ApiError(
                "invalid_month",
                "month must be YYYY-MM (from 1970-01).",
                details={"parameter": "month", "value": request.query_params.get("month")},
            )
        month = dt.date(int(match.group(1)), int(match.group(2)), 1)
        report = operator_settlement(
            operator_slug=operator.slug, month=month, currency=settings.WALLET_CURRENCY
        )
        if request.accepted_renderer.format == "csv":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(report["lines"])
            response = Response(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="settlement-{operator.slug}-{report["month"]}.csv"'
            )
            return response
        return Response(report)
