"""Operator endpoints of on-demand capacity: services, vehicles (list, create, update,
deactivate) and a read-only view of the rides the dispatcher assigned. Own operator only
(another tenant's objects answer 404); passengers and the city get 403."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError, django_validation_error
from maas.core.idempotency import fingerprint_of, idempotent_create
from maas.core.pagination import LinkHeaderCursorPagination
from maas.core.permissions import IsOperatorOrApiKey, operator_scope_get
from operators.models import Operator
from operators.ondemand.models import OnDemandService, Ride, RideState, Vehicle
from operators.ondemand.selectors import (
    ride_list,
    service_get,
    service_list,
    vehicle_get,
    vehicle_list,
)
from operators.ondemand.services import (
    ondemand_service_create,
    ondemand_service_update,
    vehicle_create,
    vehicle_update,
)
from operators.ondemand.shifts import ShiftError, shifts_validate


def _point_geojson(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2},
        },
    }
)
class GeoJsonPointField(serializers.Field):
    """A GeoJSON Point `{"type": "Point", "coordinates": [lon, lat]}` <-> (lat, lon)."""

    def to_internal_value(self, data: Any) -> tuple[float, float]:
        if not isinstance(data, dict) or data.get("type") != "Point":
            raise serializers.ValidationError('expected a GeoJSON Point {"type": "Point", ...}')
        coordinates = data.get("coordinates")
        if (
            not isinstance(coordinates, list)
            or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
        ):
            raise serializers.ValidationError("coordinates must be [lon, lat]")
        lon, lat = float(coordinates[0]), float(coordinates[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise serializers.ValidationError("coordinates out of range")
        return lat, lon

    def to_representation(self, value: Any) -> Any:
        return value


# ---------------------------------------------------------------------------- services
class ServiceOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "OnDemandService"

    id = serializers.IntegerField()
    operator = serializers.CharField(source="operator.slug")
    zone_id = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    road_speed_mps = serializers.FloatField()
    detour_factor = serializers.FloatField()
    dwell_s = serializers.IntegerField()
    max_ride_factor = serializers.FloatField()
    service_buffer_s = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ServiceInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "OnDemandServiceInput"

    zone_id = serializers.CharField(max_length=255)
    name = serializers.CharField(max_length=200)
    active = serializers.BooleanField(required=False)
    road_speed_mps = serializers.FloatField(min_value=0.5, max_value=40.0, required=False)
    detour_factor = serializers.FloatField(min_value=1.0, max_value=5.0, required=False)
    dwell_s = serializers.IntegerField(min_value=0, max_value=1800, required=False)
    max_ride_factor = serializers.FloatField(min_value=1.0, max_value=10.0, required=False)
    service_buffer_s = serializers.IntegerField(min_value=0, max_value=4 * 3600, required=False)


def _service_of(operator: Operator, service_id: int) -> OnDemandService:
    try:
        return service_get(operator=operator, service_id=service_id)
    except OnDemandService.DoesNotExist as exc:
        raise NotFound(f"No on-demand service {service_id}.") from exc


def _zone_taken(operator: Operator, zone_id: str, *, but: int | None = None) -> None:
    taken = service_list(operator=operator).filter(zone_id=zone_id)
    if but is not None:
        taken = taken.exclude(pk=but)
    if taken.exists():
        raise ApiError(
            "duplicate_key",
            f"An on-demand service for zone {zone_id!r} exists; update that one.",
            status_code=409,
        )


class OnDemandServiceListCreateApi(APIView):
    """An operator's on-demand services; configure a new one for a flex zone."""

    permission_classes = [IsOperatorOrApiKey]
    pagination_class = LinkHeaderCursorPagination

    @extend_schema(responses=ServiceOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(service_list(operator=operator), request, self)
        return paginator.get_paginated_response(ServiceOutputSerializer(page or [], many=True).data)

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        data = ServiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def create() -> Response:
            _zone_taken(operator, data.validated_data["zone_id"])
            try:
                service = ondemand_service_create(operator=operator, data=data.validated_data)
            except DjangoValidationError as exc:
                raise django_validation_error(exc) from exc
            return Response(ServiceOutputSerializer(service).data, status=status.HTTP_201_CREATED)

        fingerprint = fingerprint_of(
            "ondemand-service", slug, json.dumps(request.data, sort_keys=True, default=str)
        )
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)


class OnDemandServiceDetailApi(APIView):
    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(responses=ServiceOutputSerializer)
    def get(self, request: Request, slug: str, service_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        return Response(ServiceOutputSerializer(_service_of(operator, service_id)).data)

    @extend_schema(request=ServiceInputSerializer, responses=ServiceOutputSerializer)
    def patch(self, request: Request, slug: str, service_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        service = _service_of(operator, service_id)
        data = ServiceInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "zone_id" in data.validated_data:
            _zone_taken(operator, data.validated_data["zone_id"], but=service.pk)
        try:
            service = ondemand_service_update(service=service, data=data.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        return Response(ServiceOutputSerializer(service).data)


class OnDemandServiceDeactivateApi(APIView):
    """The service takes no further rides (held and confirmed ones stay)."""

    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(request=None, responses=ServiceOutputSerializer)
    def post(self, request: Request, slug: str, service_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        service = ondemand_service_update(
            service=_service_of(operator, service_id), data={"active": False}
        )
        return Response(ServiceOutputSerializer(service).data)


# ---------------------------------------------------------------------------- vehicles
class VehicleOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "OnDemandVehicle"

    id = serializers.IntegerField()
    service = serializers.IntegerField(source="service_id")
    label = serializers.CharField()  # type: ignore[assignment]
    seats = serializers.IntegerField()
    shifts = serializers.ListField(child=serializers.DictField())
    depot = serializers.SerializerMethodField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_depot(self, vehicle: Vehicle) -> dict[str, Any] | None:
        return _point_geojson(vehicle.depot_lat, vehicle.depot_lon)


class VehicleInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "OnDemandVehicleInput"

    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    seats = serializers.IntegerField(min_value=1, max_value=100)
    shifts = serializers.ListField(child=serializers.DictField(), min_length=1)
    depot = GeoJsonPointField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)

    def validate_shifts(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return shifts_validate(value)
        except ShiftError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "depot" in attrs:
            depot = attrs.pop("depot")
            attrs["depot_lat"], attrs["depot_lon"] = depot if depot is not None else (None, None)
        return attrs


class VehicleCreateSerializer(VehicleInputSerializer):
    class Meta:
        ref_name = "OnDemandVehicleCreate"

    service = serializers.IntegerField()


def _vehicle_of(operator: Operator, vehicle_id: int) -> Vehicle:
    try:
        return vehicle_get(operator=operator, vehicle_id=vehicle_id)
    except Vehicle.DoesNotExist as exc:
        raise NotFound(f"No vehicle {vehicle_id}.") from exc


def _label_taken(service_id: int, label: str, *, but: int | None = None) -> None:
    taken = Vehicle.objects.filter(service_id=service_id, label=label)
    if but is not None:
        taken = taken.exclude(pk=but)
    if taken.exists():
        raise ApiError(
            "duplicate_key",
            f"The service already has a vehicle labelled {label!r}.",
            status_code=409,
        )


class VehicleListCreateApi(APIView):
    """The operator's vehicles (`?service=` filters); add one to a service."""

    permission_classes = [IsOperatorOrApiKey]
    pagination_class = LinkHeaderCursorPagination

    @extend_schema(
        parameters=[OpenApiParameter("service", int, required=False)],
        responses=VehicleOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        service_id = _int_param(request, "service")
        paginator = self.pagination_class()
        vehicles = vehicle_list(operator=operator, service_id=service_id)
        page = paginator.paginate_queryset(vehicles, request, self)
        return paginator.get_paginated_response(VehicleOutputSerializer(page or [], many=True).data)

    @extend_schema(request=VehicleCreateSerializer, responses={201: VehicleOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        data = VehicleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        service_id = fields.pop("service")
        try:
            service = service_get(operator=operator, service_id=service_id)
        except OnDemandService.DoesNotExist as exc:
            raise ApiError(
                "invalid_request",
                f"Invalid request: service: no on-demand service {service_id}.",
                details={"fields": {"service": [f"no on-demand service {service_id}"]}},
            ) from exc

        def create() -> Response:
            _label_taken(service.pk, fields["label"])
            try:
                vehicle = vehicle_create(service=service, data=fields)
            except DjangoValidationError as exc:
                raise django_validation_error(exc) from exc
            return Response(VehicleOutputSerializer(vehicle).data, status=status.HTTP_201_CREATED)

        fingerprint = fingerprint_of(
            "ondemand-vehicle", slug, json.dumps(request.data, sort_keys=True, default=str)
        )
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)


class VehicleDetailApi(APIView):
    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(responses=VehicleOutputSerializer)
    def get(self, request: Request, slug: str, vehicle_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        return Response(VehicleOutputSerializer(_vehicle_of(operator, vehicle_id)).data)

    @extend_schema(request=VehicleInputSerializer, responses=VehicleOutputSerializer)
    def patch(self, request: Request, slug: str, vehicle_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        vehicle = _vehicle_of(operator, vehicle_id)
        data = VehicleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "label" in data.validated_data:
            _label_taken(vehicle.service_id, data.validated_data["label"], but=vehicle.pk)
        try:
            vehicle = vehicle_update(vehicle=vehicle, data=data.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        return Response(VehicleOutputSerializer(vehicle).data)


class VehicleDeactivateApi(APIView):
    """The vehicle takes no further rides (its held and confirmed rides stay)."""

    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(request=None, responses=VehicleOutputSerializer)
    def post(self, request: Request, slug: str, vehicle_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        vehicle = vehicle_update(vehicle=_vehicle_of(operator, vehicle_id), data={"active": False})
        return Response(VehicleOutputSerializer(vehicle).data)


# ---------------------------------------------------------------------------- rides
class RideOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "OnDemandRide"

    id = serializers.IntegerField()
    service = serializers.IntegerField(source="service_id")
    vehicle = serializers.IntegerField(source="vehicle_id")
    vehicle_label = serializers.CharField(source="vehicle.label")
    seats = serializers.IntegerField()
    state = serializers.CharField()
    pickup = serializers.SerializerMethodField()
    dropoff = serializers.SerializerMethodField()
    pickup_earliest = serializers.DateTimeField()
    pickup_latest = serializers.DateTimeField()
    dropoff_latest = serializers.DateTimeField(allow_null=True)
    planned_pickup_at = serializers.DateTimeField()
    planned_dropoff_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_pickup(self, ride: Ride) -> dict[str, Any] | None:
        return _point_geojson(ride.pickup_lat, ride.pickup_lon)

    def get_dropoff(self, ride: Ride) -> dict[str, Any] | None:
        return _point_geojson(ride.dropoff_lat, ride.dropoff_lon)


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(
            "invalid_request",
            f"Invalid request: {name}: must be an integer.",
            details={"fields": {name: ["must be an integer"]}},
        ) from exc


class RideListApi(APIView):
    """The rides held or booked on the operator's vehicles (read-only; holds are made by
    bookings). Filters: `service`, `vehicle`, `state` (comma list)."""

    permission_classes = [IsOperatorOrApiKey]
    pagination_class = LinkHeaderCursorPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("service", int, required=False),
            OpenApiParameter("vehicle", int, required=False),
            OpenApiParameter("state", str, required=False, description="e.g. HELD,CONFIRMED"),
        ],
        responses=RideOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        states = [s for s in request.query_params.get("state", "").split(",") if s]
        unknown = sorted(set(states) - set(RideState.values))
        if unknown:
            raise ApiError(
                "invalid_request",
                f"Invalid request: state: unknown {', '.join(unknown)}.",
                details={"fields": {"state": [f"one of {', '.join(RideState.values)}"]}},
            )
        rides = ride_list(
            operator=operator,
            service_id=_int_param(request, "service"),
            vehicle_id=_int_param(request, "vehicle"),
            states=states,
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rides, request, self)
        return paginator.get_paginated_response(RideOutputSerializer(page or [], many=True).data)
