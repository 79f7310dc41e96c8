from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from operators.models import Operator
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


def test_public_operator_list_in_requested_language(
    api_client: APIClient, operator_a: Operator, operator_b: Operator
) -> None:
    ja = api_client.get("/api/v1/operators")
    assert ja.status_code == 200
    assert ja.json() == [
        {"slug": "alpha-bus", "name": "アルファバス", "modes": ["bus"], "active_feed_versions": []},
        {"slug": "beta-rail", "name": "ベータ鉄道", "modes": ["rail"], "active_feed_versions": []},
    ]
    en = api_client.get("/api/v1/operators?lang=en")
    assert [o["name"] for o in en.json()] == ["Alpha Bus", "Beta Rail"]
    header = api_client.get("/api/v1/operators", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9,ja;q=0.5")
    assert [o["name"] for o in header.json()] == ["Alpha Bus", "Beta Rail"]


def test_operator_list_bad_language(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/operators?lang=fr")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_language"


def test_operator_list_is_paginated_with_link_header(api_client: APIClient) -> None:
    for i in range(7):
        OperatorFactory.create(slug=f"op-{i:02d}")
    first = api_client.get("/api/v1/operators?limit=5")
    assert [o["slug"] for o in first.json()] == [f"op-{i:02d}" for i in range(5)]
    link = first["Link"]
    assert link.endswith('>; rel="next"')
    next_url = link[1 : link.index(">")]
    second = api_client.get(next_url)
    assert [o["slug"] for o in second.json()] == ["op-05", "op-06"]
    assert "Link" not in second


def test_load_demo_is_idempotent() -> None:
    from django.core.management import call_command

    call_command("load_demo")
    call_command("load_demo")
    assert list(Operator.objects.values_list("slug", flat=True)) == [
        "fuji-tourism",
        "kofu-cycle",
        "kofu-ondemand",
        "yamanashi-bus",
    ]
