"""TOMP-API v1.6 over HTTP: the operator's own booking system takes part in the two-phase
booking. Hold = `POST {base}/bookings` (answer: the operator's booking, state PENDING);
commit = `POST {base}/bookings/{id}/events {"operation": "COMMIT"}` (answer CONFIRMED);
release and cancel = the same with `{"operation": "CANCEL"}`.

The auth header's value comes from the environment variable the integration names (never
stored in the database, never logged)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

import requests

from maas.bookings.adapters.base import Hold, LegRejected
from maas.bookings.models import BookingLeg, OperatorIntegration

logger = logging.getLogger(__name__)


def _place(place: dict[str, Any] | None) -> dict[str, Any] | None:
    if not place or "lat" not in place:
        return None
    return {
        "name": place.get("name"),
        "coordinates": {"lng": place["lon"], "lat": place["lat"]},
        "stopReference": [{"id": place["stop_id"]}] if place.get("stop_id") else [],
    }


class TompHttpAdapter:
    name = "tomp-http"
    single_use = True

    def _config(self, leg: BookingLeg) -> OperatorIntegration:
        return OperatorIntegration.objects.get(operator_id=leg.operator_id)

    def _post(self, leg: BookingLeg, path: str, body: dict[str, Any]) -> dict[str, Any]:
        config = self._config(leg)
        headers = {"Accept": "application/json", "Api-Version": "1.6.0"}
        if config.auth_secret_env:
            secret = os.environ.get(config.auth_secret_env, "")
            if secret:
                headers[config.auth_header] = secret
        url = config.base_url.rstrip("/") + path
        log = {"operator": leg.operator.slug, "leg": leg.pk, "path": path}
        try:
            response = requests.post(url, json=body, headers=headers, timeout=config.timeout_s)
        except requests.Timeout as exc:
            logger.warning("TOMP call timed out", extra=log)
            raise LegRejected(
                "operator_unavailable", f"{leg.operator.slug} did not answer in time."
            ) from exc
        except requests.RequestException as exc:
            logger.warning("TOMP call failed", extra={**log, "error": type(exc).__name__})
            raise LegRejected(
                "operator_unavailable", f"{leg.operator.slug} could not be reached."
            ) from exc
        if response.status_code >= 500:
            logger.warning("TOMP call failed", extra={**log, "status": response.status_code})
            raise LegRejected(
                "operator_unavailable",
                f"{leg.operator.slug} answered HTTP {response.status_code}.",
            )
        if response.status_code >= 400:
            raise LegRejected(
                "operator_rejected", f"{leg.operator.slug} refused (HTTP {response.status_code})."
            )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return answer if isinstance(answer, dict) else {}

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold:
        detail = leg.detail
        body = {
            "id": f"maas-leg-{leg.pk}",
            "externalReference": f"maas-leg-{leg.pk}",
            "from": _place(detail.get("from")),
            "to": _place(detail.get("to")),
            "departureTime": detail.get("departure"),
            "arrivalTime": detail.get("arrival"),
            "expires": expires_at.isoformat(),
            "legs": [{"mode": detail.get("mode"), "id": detail.get("trip_id")}],
        }
        answer = self._post(leg, "/bookings", body)
        state = answer.get("state")
        booking_id = answer.get("id")
        if state != "PENDING" or not booking_id:
            # An answer we cannot hold on to: cancel whatever it created.
            if booking_id:
                self._cancel_id(leg, str(booking_id))
            raise LegRejected("operator_rejected", f"{leg.operator.slug} answered state {state!r}.")
        return Hold(external_id=str(booking_id))

    def _event(self, leg: BookingLeg, booking_id: str, operation: str) -> dict[str, Any]:
        return self._post(leg, f"/bookings/{booking_id}/events", {"operation": operation})

    def _cancel_id(self, leg: BookingLeg, booking_id: str) -> None:
        try:
            self._event(leg, booking_id, "CANCEL")
        except LegRejected:
            logger.warning(
                "TOMP cancel of an unusable hold failed", extra={"operator": leg.operator.slug}
            )

    def commit(self, *, leg: BookingLeg) -> None:
        answer = self._event(leg, leg.external_id, "COMMIT")
        state = answer.get("state", "CONFIRMED")
        if state != "CONFIRMED":
            raise LegRejected(
                "operator_rejected", f"{leg.operator.slug} answered state {state!r} to COMMIT."
            )

    def release(self, *, leg: BookingLeg) -> None:
        if leg.external_id:
            self._event(leg, leg.external_id, "CANCEL")

    def cancel(self, *, leg: BookingLeg) -> None:
        if leg.external_id:
            self._event(leg, leg.external_id, "CANCEL")
