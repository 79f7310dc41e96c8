"""A task travels through Redis to a real worker process started by the test."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from maas.core.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_task_round_trip_through_redis_to_a_real_worker(settings: object) -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER is False  # type: ignore[attr-defined]
    queue = f"test-{uuid.uuid4().hex}"  # no other worker listens here
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "maas",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "true"},
    )
    try:
        token = uuid.uuid4().hex
        # when
        result = ping.apply_async(args=[token], queue=queue).get(timeout=60)
        # then: the answer came from the worker process, not from this one
        assert result["token"] == token
        assert result["pid"] == worker.pid
        assert result["pid"] != os.getpid()
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_without_broker_tasks_run_eagerly(settings: object) -> None:
    from maas.celery import app

    app.conf.task_always_eager = True
    try:
        assert ping.delay("x").get()["pid"] == os.getpid()
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER  # type: ignore[attr-defined]
