from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from maas.platform.delivery import backoff_s, usage_push
from maas.platform.models import Stream, UsageEvent
from maas.platform.services import event_record
from tests.maas.platform.ingest_server import IngestServer, ingest_server

SECRET = "test-ingest-secret"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def platform(settings: Any) -> Iterator[IngestServer]:
    with ingest_server(SECRET) as server:
        settings.PLATFORM_INGEST_URL = server.url
        settings.PLATFORM_INGEST_SECRET = SECRET
        settings.PLATFORM_PUSH_BATCH_SIZE = 3
        settings.PLATFORM_PUSH_CONNECT_TIMEOUT_S = 1.0
        settings.PLATFORM_PUSH_READ_TIMEOUT_S = 0.5
        settings.PLATFORM_PUSH_BACKOFF_BASE_S = 30
        settings.PLATFORM_PUSH_BACKOFF_MAX_S = 3600
        yield server


def _events(stream: str, n: int) -> list[str]:
    return [str(event_record(stream=stream, type="t", payload={"n": i}).event_id) for i in range(n)]


def _ids_by_stream(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in events:
        out.setdefault(event["stream"], []).append(event["id"])
    return out


@pytest.mark.django_db
def test_push_delivers_signed_batches_in_order_per_stream(platform: IngestServer) -> None:
    # given
    bookings = _events(Stream.BOOKINGS, 7)
    tickets = _events(Stream.TICKETS, 2)
    # when
    result = usage_push()
    # then: 3 + 3 + 1 booking batches and one ticket batch, all signed, all delivered
    assert not result.failed
    assert result.delivered == 9
    assert platform.bad_signatures == 0
    assert [len(r["events"]) for r in platform.requests] == [3, 3, 1, 2]
    assert _ids_by_stream(platform.deduped()) == {"bookings": bookings, "tickets": tickets}
    first = platform.requests[0]["events"][0]
    assert first == {
        "n": 0,
        "id": bookings[0],
        "stream": "bookings",
        "type": "t",
        "occurred_at": first["occurred_at"],
    }
    assert not UsageEvent.objects.filter(delivered_at__isnull=True).exists()
    assert set(UsageEvent.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_failing_platform_keeps_events_pending_backs_off_and_holds_order(
    platform: IngestServer,
) -> None:
    # given: the first booking batch gets a 500
    bookings = _events(Stream.BOOKINGS, 5)
    platform.script = ["fail"]
    before = timezone.now()
    # when
    result = usage_push()
    # then: nothing of the stream is delivered — the later batch is not sent past the failure
    assert result.failed
    assert platform.requests == []
    head = UsageEvent.objects.get(event_id=bookings[0])
    assert head.delivered_at is None
    assert head.attempts == 1
    assert head.last_error.startswith("HTTP 500")
    assert head.next_attempt_at is not None
    assert before + dt.timedelta(seconds=30) <= head.next_attempt_at
    assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 5
    # when: the scheduled run respects the backoff
    assert usage_push().delivered == 0
    assert platform.requests == []
    # when: the push is forced (push_usage by hand), everything goes, in order
    assert usage_push(force=True).delivered == 5
    assert _ids_by_stream(platform.deduped()) == {"bookings": bookings}
    assert UsageEvent.objects.get(event_id=bookings[0]).attempts == 2


def test_backoff_doubles_up_to_the_cap(settings: Any) -> None:
    settings.PLATFORM_PUSH_BACKOFF_BASE_S = 30
    settings.PLATFORM_PUSH_BACKOFF_MAX_S = 3600
    assert [backoff_s(a) for a in (1, 2, 3, 4, 7, 8, 50)] == [30, 60, 120, 240, 1920, 3600, 3600]


@pytest.mark.django_db
def test_late_answers_are_resent_and_dedupe_leaves_each_event_once(
    platform: IngestServer,
) -> None:
    # given: the platform stores the first two batches but answers after the client timeout
    plans = _events(Stream.PLANS, 4)
    offers = _events(Stream.OFFERS, 2)
    platform.script = ["late", "late"]
    # when: the first run times out on both streams, the second run resends
    first = usage_push(force=True)
    second = usage_push(force=True)
    # then
    assert first.failed
    assert first.delivered == 0
    assert not second.failed
    assert second.delivered == 6
    received = [e["id"] for e in platform.all_events()]
    assert len(received) == 3 + 2 + 3 + 1 + 2  # both first batches arrived twice
    assert len(set(received)) == 6
    assert _ids_by_stream(platform.deduped()) == {"plans": plans, "offers": offers}
    assert platform.bad_signatures == 0
    assert not UsageEvent.objects.filter(delivered_at__isnull=True).exists()


@pytest.mark.django_db
def test_platform_down_for_hours_loses_nothing(platform: IngestServer, settings: Any) -> None:
    # given: nobody listens at the ingest URL
    ids = _events(Stream.BIKESHARE, 4)
    settings.PLATFORM_INGEST_URL = "http://127.0.0.1:9/ingest"
    # when: many runs fail
    for _ in range(3):
        assert usage_push(force=True).failed
    # then: all still pending, attempts counted
    assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 4
    assert UsageEvent.objects.get(event_id=ids[0]).attempts == 3
    assert "ConnectionError" in UsageEvent.objects.get(event_id=ids[0]).last_error
    # when: the platform is back
    settings.PLATFORM_INGEST_URL = platform.url
    assert usage_push(force=True).delivered == 4
    assert _ids_by_stream(platform.deduped()) == {"bikeshare": ids}


@pytest.mark.django_db
def test_push_usage_command_exit_code(platform: IngestServer) -> None:
    # given
    _events(Stream.ONDEMAND, 2)
    platform.script = ["fail"]
    # when / then: a failed batch is an error (exit code 1), and stays pending
    with pytest.raises(CommandError, match="could not be delivered"):
        call_command("push_usage")
    assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 2
    # when / then: the next run delivers and succeeds
    call_command("push_usage")
    assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_push_usage_without_url_fails(settings: Any) -> None:
    settings.PLATFORM_INGEST_URL = ""
    with pytest.raises(CommandError, match="PLATFORM_INGEST_URL"):
        call_command("push_usage")


def _subprocess_env(server: IngestServer) -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": url,
        "PLATFORM_INGEST_URL": server.url,
        "PLATFORM_INGEST_SECRET": SECRET,
        "PLATFORM_PUSH_BATCH_SIZE": "3",
        "PLATFORM_PUSH_READ_TIMEOUT_S": "30",
    }


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a second process needs a shared database (PostgreSQL); SQLite tests run in memory",
)
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_nothing() -> None:
    with ingest_server(SECRET) as server:
        # given: the platform stalls on the first batch
        bookings = _events(Stream.BOOKINGS, 5)
        tickets = _events(Stream.TICKETS, 2)
        server.script = ["stall"]
        env = _subprocess_env(server)
        command = [sys.executable, "manage.py", "push_usage"]
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        # when: the worker is killed while the request hangs
        assert server.received.wait(60), "the worker never reached the platform"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        server.release.set()
        time.sleep(0.2)
        assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 7
        # when: a new worker runs
        rerun = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        # then: everything delivered; the killed batch arrived twice, dedupe keeps one
        assert rerun.returncode == 0, rerun.stderr
        assert UsageEvent.objects.filter(delivered_at__isnull=True).count() == 0
        received = [e["id"] for e in server.all_events()]
        assert len(received) == 7 + 3
        assert _ids_by_stream(server.deduped()) == {"bookings": bookings, "tickets": tickets}
        assert server.bad_signatures == 0
