"""Celery tasks of GBFS: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from operators.gbfs.services import gbfs_file_poll, gbfs_files_claim_due


@shared_task(name="gbfs.poll_due", ignore_result=True)
def gbfs_poll_due_task() -> int:
    """The beat dispatcher (every GBFS_POLL_INTERVAL_S): claim each file whose ttl has
    elapsed and queue one poll per file, so one slow server delays only its own file."""
    claimed = gbfs_files_claim_due()
    for file_id in claimed:
        gbfs_file_poll_task.delay(file_id)
    return len(claimed)


@shared_task(name="gbfs.file_poll", ignore_result=True)
def gbfs_file_poll_task(file_id: int) -> str:
    """Fetch and apply one file (marks the feed stale on failure)."""
    return gbfs_file_poll(file_id=file_id)
