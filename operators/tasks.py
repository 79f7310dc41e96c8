"""Celery tasks of the operators app: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from operators.services import feed_version_import


@shared_task(name="operators.feed_version_import", acks_late=True)
def feed_version_import_task(feed_version_id: int) -> str:
    """Validate, load and activate one queued feed version."""
    return feed_version_import(feed_version_id=feed_version_id).status


@shared_task(name="operators.network_snapshot_build", acks_late=True)
def network_snapshot_build_task(force: bool = False) -> str:
    """Rebuild the routing network snapshot from the active feed versions."""
    from operators.network import network_snapshot_build

    snapshot = network_snapshot_build(force=force)
    return f"{snapshot.version} {snapshot.status}"
