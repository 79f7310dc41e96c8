from __future__ import annotations

import pytest
from django.test import Client


def test_healthz() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_check() -> None:
    # given: the database answers, but no network snapshot was built yet
    response = Client().get("/readyz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["snapshot"] == {
        "ok": False,
        "detail": "no network snapshot has been built yet",
    }
    assert body["error"]["message"] == "Not ready: no network snapshot has been built yet"


@pytest.mark.django_db
def test_readyz_503_when_a_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from maas.core import health

    monkeypatch.setitem(health._READINESS_CHECKS, "snapshot", lambda: (False, "no snapshot loaded"))
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
    assert response.json()["error"]["message"] == "Not ready: no snapshot loaded"


@pytest.mark.django_db
def test_schema_and_docs_served() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/auth/token/refresh",
        "/api/v1/operators",
        "/api/v1/me/consent",
        "/api/v1/stats/accounts",
    ):
        assert path in paths
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
