"""The upload endpoint itself: limits, idempotency, tenancy (importers are tested with
their feed kinds)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from maas.accounts.models import User
from maas.accounts.services import api_key_create
from operators.models import FeedStatus, FeedVersion, Operator
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error

pytestmark = pytest.mark.django_db


def zip_upload(
    content: bytes = b"PK\x05\x06" + b"\x00" * 18, name: str = "feed.zip"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def test_upload_is_queued_with_the_original_file_kept(operator_member: User) -> None:
    # when
    response = client_for(operator_member).post(
        "/api/v1/operators/alpha-bus/feeds", {"kind": "gtfs", "file": zip_upload()}
    )
    # then
    assert response.status_code == 202
    version = FeedVersion.objects.get()
    assert response.json() == {"id": version.pk, "status": "queued", "kind": "gtfs"}
    assert version.original_filename == "feed.zip"
    assert version.size_bytes == 22
    assert version.source_file.read() == b"PK\x05\x06" + b"\x00" * 18
    assert "feed.zip" not in str(version.source_file.name)  # stored names never come from clients


def test_idempotency_key_replays_and_creates_once(operator_member: User) -> None:
    client = client_for(operator_member)
    first = client.post(
        "/api/v1/operators/alpha-bus/feeds",
        {"kind": "gtfs", "file": zip_upload()},
        HTTP_IDEMPOTENCY_KEY="upload-2026-11-26",
    )
    again = client.post(
        "/api/v1/operators/alpha-bus/feeds",
        {"kind": "gtfs", "file": zip_upload()},
        HTTP_IDEMPOTENCY_KEY="upload-2026-11-26",
    )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert FeedVersion.objects.count() == 1
    other = client.post(
        "/api/v1/operators/alpha-bus/feeds",
        {"kind": "gtfs", "file": zip_upload(b"PK different")},
        HTTP_IDEMPOTENCY_KEY="upload-2026-11-26",
    )
    assert_error(other, 409, "idempotency_key_reused")
    assert FeedVersion.objects.count() == 1


def test_upload_over_the_limit_is_413_and_stores_nothing(
    operator_member: User, settings: object
) -> None:
    settings.FEED_UPLOAD_MAX_BYTES = 1000  # type: ignore[attr-defined]
    response = client_for(operator_member).post(
        "/api/v1/operators/alpha-bus/feeds", {"kind": "gtfs", "file": zip_upload(b"x" * 5000)}
    )
    assert_error(response, 413, "payload_too_large")
    assert response.json()["error"]["details"] == {"limit_bytes": 1000}
    assert FeedVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "gtfs"}, "file"),
        ({"kind": "gbfs"}, "url"),
        ({"kind": "timetable", "file": None}, "kind"),
    ],
)
def test_upload_bad_input(operator_member: User, payload: dict[str, object], field: str) -> None:
    if payload.get("file", "") is None:
        payload["file"] = zip_upload()
    response = client_for(operator_member).post("/api/v1/operators/alpha-bus/feeds", payload)
    assert_error(response, 400, "invalid_request")
    assert field in response.json()["error"]["details"]["fields"]
    assert FeedVersion.objects.count() == 0


def test_gbfs_is_registered_by_url(operator_member: User) -> None:
    response = client_for(operator_member).post(
        "/api/v1/operators/alpha-bus/feeds",
        {"kind": "gbfs", "url": "https://gbfs.example.jp/gbfs.json"},
        format="json",
    )
    assert response.status_code == 202
    assert FeedVersion.objects.get().source_url == "https://gbfs.example.jp/gbfs.json"


def test_api_key_uploads_for_its_own_operator_only(
    operator_a: Operator, operator_b: Operator
) -> None:
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_create(operator=operator_a).key}")
    ok = machine.post("/api/v1/operators/alpha-bus/feeds", {"kind": "gtfs", "file": zip_upload()})
    assert ok.status_code == 202
    refused = machine.post(
        "/api/v1/operators/beta-rail/feeds", {"kind": "gtfs", "file": zip_upload()}
    )
    assert_error(refused, 404, "not_found")
    assert list(FeedVersion.objects.values_list("operator__slug", flat=True)) == ["alpha-bus"]


def test_feed_endpoints_refuse_anonymous_passenger_and_other_tenant(
    api_client: APIClient, passenger: User, operator_member: User, operator_b: Operator
) -> None:
    theirs = FeedVersion.objects.create(operator=operator_b, kind="gtfs")
    url = f"/api/v1/operators/beta-rail/feeds/{theirs.pk}"
    assert_error(api_client.get(url), 401, "not_authenticated")
    assert_error(client_for(passenger).get(url), 403, "permission_denied")
    assert_error(client_for(operator_member).get(url), 404, "not_found")
    assert_error(client_for(operator_member).post(url + "/activate"), 404, "not_found")
    assert_error(
        client_for(operator_member).get(f"/api/v1/operators/alpha-bus/feeds/{theirs.pk}"),
        404,
        "not_found",
    )
    theirs.refresh_from_db()
    assert theirs.status == FeedStatus.QUEUED


def test_activating_a_failed_version_is_409(operator_member: User, operator_a: Operator) -> None:
    failed = FeedVersion.objects.create(operator=operator_a, kind="gtfs", status=FeedStatus.FAILED)
    response = client_for(operator_member).post(
        f"/api/v1/operators/alpha-bus/feeds/{failed.pk}/activate"
    )
    assert_error(response, 409, "invalid_state")
    failed.refresh_from_db()
    assert failed.status == FeedStatus.FAILED


def test_rollback_flips_the_active_pointer(operator_member: User, operator_a: Operator) -> None:
    # given: v1 superseded by v2
    v1 = FeedVersion.objects.create(operator=operator_a, kind="gtfs", status=FeedStatus.SUPERSEDED)
    v2 = FeedVersion.objects.create(operator=operator_a, kind="gtfs", status=FeedStatus.ACTIVE)
    # when
    response = client_for(operator_member).post(
        f"/api/v1/operators/alpha-bus/feeds/{v1.pk}/activate"
    )
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (FeedStatus.ACTIVE, FeedStatus.SUPERSEDED)
    listed = client_for(operator_member).get("/api/v1/operators").json()
    assert [o["active_feed_versions"] for o in listed if o["slug"] == "alpha-bus"] == [[v1.pk]]
