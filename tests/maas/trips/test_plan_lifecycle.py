"""The snapshot life cycle seen from `/api/v1/plan` and `/readyz`: none yet, a newer one,
a failed build, a build on activation; and names per language."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.trips.services import snapshot_reset
from operators.models import NetworkSnapshot, SnapshotStatus
from operators.network import network_snapshot_build
from tests.conftest import SHARED_DATA
from tests.maas.accounts.test_role_matrix import assert_error
from tests.maas.trips.networks import import_feed

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


@pytest.fixture
def bart(settings: Any) -> NetworkSnapshot:
    settings.SNAPSHOT_HORIZON_START = "2018-06-05"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    import_feed("bart", SHARED_DATA / "gtfs" / "bart_2018.zip")
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error
    return snapshot


def test_without_a_snapshot_plan_and_readyz_are_503(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/plan", {"from_stop": "a:1", "to_stop": "a:2"})
    assert_error(response, 503, "no_snapshot")
    assert response.json()["error"]["message"] == (
        "Trip planning is not available yet: no network snapshot has been built yet."
    )
    ready = api_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["snapshot"] == {
        "ok": False,
        "detail": "no network snapshot has been built yet",
    }


def test_a_newer_snapshot_is_picked_up_without_restart(
    api_client: APIClient, bart: NetworkSnapshot, settings: Any
) -> None:
    # given: the process serves the first snapshot
    params = {
        "from_stop": "bart:EMBR",
        "to_stop": "bart:DUBL",
        "depart_at": "2018-06-05T08:00:00-07:00",
    }
    assert api_client.get("/api/v1/plan", params).json()["snapshot"] == bart.version
    assert api_client.get("/readyz").json()["checks"]["snapshot"]["ok"] is True
    # when: a new snapshot is built (another process would do this)
    newer = network_snapshot_build(force=True)
    # then: the next request answers from it
    assert newer.version != bart.version
    assert api_client.get("/api/v1/plan", params).json()["snapshot"] == newer.version
    bart.refresh_from_db()
    assert bart.status == SnapshotStatus.SUPERSEDED


def test_a_failed_build_keeps_the_previous_snapshot_serving(
    api_client: APIClient, bart: NetworkSnapshot, settings: Any
) -> None:
    # given: a second operator whose feed is in another time zone (one network, one zone)
    import_feed("gunma", SHARED_DATA / "gtfs-jp" / "gunmachuo_gtfs-jp.zip")
    # when
    failed = network_snapshot_build()
    # then
    assert failed.status == SnapshotStatus.FAILED
    assert failed.error == (
        "active feeds are in different time zones (America/Los_Angeles, Asia/Tokyo); "
        "one network serves one time zone"
    )
    snapshot_reset()
    params = {
        "from_stop": "bart:EMBR",
        "to_stop": "bart:DUBL",
        "depart_at": "2018-06-05T08:00:00-07:00",
    }
    assert api_client.get("/api/v1/plan", params).json()["snapshot"] == bart.version


def test_names_in_the_requested_language(api_client: APIClient, settings: Any) -> None:
    # given: Gunma Chuo Bus publishes ja-Hrkt and en names in translations.txt
    settings.SNAPSHOT_HORIZON_START = "2025-06-02"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    import_feed("gunma", SHARED_DATA / "gtfs-jp" / "gunmachuo_gtfs-jp.zip")
    assert network_snapshot_build().status == SnapshotStatus.READY
    params = {
        "from_stop": "gunma:g002_01",
        "to_stop": "gunma:g003_01",
        "depart_at": "2025-06-02T07:00:00+09:00",
        "modes": "transit",
    }
    names = {}
    for lang in ("ja", "en", "ja-Hrkt"):
        body = api_client.get("/api/v1/plan", {**params, "lang": lang}).json()
        leg = body["itineraries"][0]["legs"][0]
        names[lang] = (leg["from"]["name"], leg["to"]["name"])
    assert names == {
        "ja": ("あら町銀行前", "連雀町"),
        "en": ("AramachiGinkoumae(Aramachi Bank)", "Renjaku-cho"),
        "ja-Hrkt": ("あらまちぎんこうまえ", "れんじゃくちょう"),
    }


def test_activation_rebuilds_the_snapshot(
    api_client: APIClient,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: automatic builds on, the task run in this process (the trip of a task through
    # Redis to a worker is proved in tests/maas/test_celery.py)
    from maas.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.SNAPSHOT_AUTO_BUILD = True
    settings.SNAPSHOT_HORIZON_START = "2018-06-05"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    # when
    with django_capture_on_commit_callbacks(execute=True):
        version = import_feed("bart", SHARED_DATA / "gtfs" / "bart_2018.zip")
    # then
    snapshot = NetworkSnapshot.objects.get(status=SnapshotStatus.READY)
    assert snapshot.feed_version_ids == [version.pk]
    assert snapshot.meta["counts"]["stops"] == 50
    snapshot_reset()
    assert api_client.get("/readyz").status_code == 200
