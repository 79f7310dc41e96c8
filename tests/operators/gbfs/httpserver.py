"""A real HTTP server on 127.0.0.1 (port 0) for GBFS polling tests.

Each path has a queue of scripted responses: a request takes the first one and removes
it, except that the last one stays (a file keeps being served until the test queues the
next). A response with an ETag answers 304 by itself to a request whose If-None-Match
matches, like a real server doing conditional GET.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Scripted:
    status: int = 200
    body: bytes = b""
    etag: str = ""
    delay_s: float = 0.0


@dataclass
class GbfsServer:
    base_url: str
    routes: dict[str, list[Scripted]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def queue(self, path: str, *responses: Scripted) -> None:
        self.routes.setdefault(path, []).extend(responses)

    def replace(self, path: str, *responses: Scripted) -> None:
        self.routes[path] = list(responses)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@contextmanager
def gbfs_server() -> Iterator[GbfsServer]:
    state: dict[str, GbfsServer] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server = state["server"]
            with lock:
                server.requests.append((self.path, dict(self.headers)))
                queue = server.routes.get(self.path)
                scripted = None
                if queue:
                    scripted = queue.pop(0) if len(queue) > 1 else queue[0]
            if scripted is None:
                self.send_response(404)
                self.end_headers()
                return
            if scripted.delay_s:
                time.sleep(scripted.delay_s)
            if scripted.etag and self.headers.get("If-None-Match") == scripted.etag:
                self.send_response(304)
                self.send_header("ETag", scripted.etag)
                self.end_headers()
                return
            self.send_response(scripted.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(scripted.body)))
            if scripted.etag:
                self.send_header("ETag", scripted.etag)
            self.end_headers()
            # The client may have given up already (the timeout test).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(scripted.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    state["server"] = GbfsServer(base_url=f"http://{host!s}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
