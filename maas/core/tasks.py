"""Infrastructure tasks."""

from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(name="maas.core.ping")
def ping(token: str) -> dict[str, object]:
    """Echo `token` with where the task ran: proves a task reached a real worker."""
    return {"token": token, "pid": os.getpid(), "hostname": socket.gethostname()}
