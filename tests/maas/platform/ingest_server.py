"""A real platform ingest endpoint on 127.0.0.1 (port 0) for the delivery tests.

`script` lists what the next requests get, one entry each (then `default`):
"ok" (200), "fail" (500), "late" (reads and stores the batch, then answers 200 only after
`delay_s` — past the client's timeout, so the client resends: a duplicate), "stall" (stores
the batch and hangs until `release` is set). Every request's signature is checked with
`secret`; `deduped()` is what a receiver deduping on the event id keeps, in arrival order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class IngestServer:
    secret: str
    url: str = ""
    script: list[str] = field(default_factory=list)
    default: str = "ok"
    delay_s: float = 1.5
    requests: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    received: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all_events(self) -> list[dict[str, Any]]:
        return [e for r in self.requests for e in r["events"]]

    def deduped(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for event in self.all_events():
            seen.setdefault(event["id"], event)
        return list(seen.values())


@contextmanager
def ingest_server(secret: str) -> Iterator[IngestServer]:
    state = IngestServer(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _answer(self, status: int) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the client gave up (timeout tests)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(expected, self.headers.get("X-Signature") or "")
            with state.lock:
                action = state.script.pop(0) if state.script else state.default
                if not signed:
                    state.bad_signatures += 1
                    action = "reject"
                if action in ("ok", "late", "stall"):
                    state.requests.append({"events": json.loads(body)["events"]})
                state.received.set()
            if action == "stall":
                state.release.wait(60)
                return self._answer(200)
            if action == "late":
                time.sleep(state.delay_s)
                return self._answer(200)
            self._answer({"ok": 200, "fail": 500, "reject": 401}[action])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/ingest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
