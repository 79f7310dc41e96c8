"""Helpers of the GTFS tests: upload a feed through the HTTP API and run its import."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
BAD_FEEDS = FIXTURES / "bad_feeds"
EXPECTED = json.loads((BAD_FEEDS / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    # With REDIS_URL set (CI) tasks go to a broker; these tests run the import in-process.
    from maas.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


Upload = Callable[..., dict[str, Any]]


@pytest.fixture
def upload(eager_tasks: None, django_capture_on_commit_callbacks: Any) -> Upload:
    """POST a feed file to /api/v1/operators/<slug>/feeds (the import runs on commit),
    then GET the version and return its JSON."""

    def run(client: APIClient, slug: str, path: Path, kind: str = "gtfs") -> dict[str, Any]:
        with path.open("rb") as fh, django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/v1/operators/{slug}/feeds", {"kind": kind, "file": fh}, format="multipart"
            )
        assert response.status_code == 202, response.content
        detail = client.get(f"/api/v1/operators/{slug}/feeds/{response.json()['id']}")
        assert detail.status_code == 200
        body: dict[str, Any] = detail.json()
        return body

    return run


def codes(issues: list[dict[str, Any]]) -> list[str]:
    return [issue["code"] for issue in issues]
