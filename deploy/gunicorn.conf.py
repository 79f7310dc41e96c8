"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py maas.wsgi`."""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Routing is CPU-bound numpy/numba work: one worker per core, a few threads each for I/O.
workers = int(os.environ.get("GUNICORN_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load the app (and later the memory-mapped network snapshot) once, share pages after fork.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-"
# No query strings in the access log: they can carry coordinates of a person's trip.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
