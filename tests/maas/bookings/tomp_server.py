"""A real TOMP-API v1.6 booking endpoint on 127.0.0.1 (port 0) for the HTTP adapter tests.
`behaviour` decides each answer: hold "accept" | "reject" | "timeout" | "error";
commit "accept" | "fail" | "timeout"; cancel "accept" | "error"."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class TompOperator:
    base_url: str = ""
    hold: str = "accept"
    commit: str = "accept"
    cancel: str = "accept"
    delay_s: float = 2.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)

    def operations(self) -> list[str]:
        return [c["body"].get("operation", "HOLD") for c in self.calls]


@contextmanager
def tomp_operator() -> Iterator[TompOperator]:
    state = TompOperator()
    counter = iter(range(1, 10_000))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout tests)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.calls.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            parts = self.path.strip("/").split("/")
            if parts == ["tomp", "bookings"]:
                if state.hold == "timeout":
                    time.sleep(state.delay_s)
                if state.hold == "error":
                    return self._answer(503, {"errorcode": 503})
                if state.hold == "reject":
                    return self._answer(200, {"id": None, "state": "REJECTED"})
                booking_id = f"op-{next(counter)}"
                state.states[booking_id] = "PENDING"
                return self._answer(201, {"id": booking_id, "state": "PENDING"})
            if len(parts) == 4 and parts[3] == "events":
                booking_id, operation = parts[2], body.get("operation")
                if booking_id not in state.states:
                    return self._answer(404, {"errorcode": 404})
                if operation == "COMMIT":
                    if state.commit == "timeout":
                        time.sleep(state.delay_s)
                    if state.commit == "fail":
                        return self._answer(500, {"errorcode": 500})
                    state.states[booking_id] = "CONFIRMED"
                elif operation == "CANCEL":
                    if state.cancel == "error":
                        return self._answer(503, {"errorcode": 503})
                    state.states[booking_id] = "CANCELLED"
                return self._answer(200, {"id": booking_id, "state": state.states[booking_id]})
            return self._answer(404, {"errorcode": 404})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/tomp"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
