"""Small HTTP servers on loopback addresses for crawler tests.

Each fixture site gets its own 127.0.0.x address (so the crawler's per-host politeness is
real) and an ephemeral port. A route is a fixed response or a function of the request; every
request is logged with its time and how many requests to that server were in flight, so tests
can check politeness.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering


Route = Reply | Callable[["Handler"], Reply | None]


@dataclass
class Hit:
    time: float
    method: str
    path: str
    in_flight: int
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    server: FixtureServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        srv = self.server
        with srv.lock:
            srv.in_flight += 1
            srv.hits.append(
                Hit(time.monotonic(), self.command, self.path, srv.in_flight, dict(self.headers))
            )
        try:
            path = urlsplit(self.path).path
            route = srv.routes.get(self.path) or srv.routes.get(path) or srv.fallback
            reply = route(self) if callable(route) else route
            if reply is None:  # the route wrote its own response
                return
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
            self.send_response(reply.status)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.posted = self.rfile.read(length) if length else b""
        self._serve()


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, host: str, routes: dict[str, Route], port: int = 0, fallback: Route | None = None
    ) -> None:
        super().__init__((host, port), Handler)
        self.routes = routes
        self.fallback: Route = fallback or Reply(404, "<html><body>404 页面不存在</body></html>")
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def max_in_flight(self) -> int:
        return max((h.in_flight for h in self.hits), default=0)

    def min_gap(self) -> float:
        """The smallest time between two consecutive requests (seconds)."""
        times = sorted(h.time for h in self.hits)
        return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))
