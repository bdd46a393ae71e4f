"""Serve the demo web: one ``ThreadingHTTPServer`` per site, each on its own loopback address.

Every site answers on ``http://127.0.0.{11..17}:{port}/`` (the first address and the port are
parameters), so the crawler's per-host politeness applies per site as on the real web; the
HTTPS sites answer ``https://`` on the same port too (:mod:`evalcrawler.demo.tls`), and the one
that redirects http:// to https:// is registered with its https:// URL. Pages
are built once, at start-up, by :mod:`evalcrawler.demo.sites`; a few answers are dynamic: the
site search, the soft-404 site's answer for unknown paths, the slow home page and the site that
refuses ``HEAD`` with 405.

Every request is logged (:class:`RequestRecord`: times, host, method, path, status and how many
requests to that host were in flight when it arrived) so that tests can check politeness.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from evalcrawler.config import Region, SiteConfig
from evalcrawler.demo.markup import error_response
from evalcrawler.demo.model import DemoSite, Response
from evalcrawler.demo.planted import SITES
from evalcrawler.demo.sites import address_of, build_sites
from evalcrawler.demo.specs import AS_OF, DEFAULT_PORT, FIRST_ADDRESS
from evalcrawler.demo.tls import DEMO_CA, DualProtocol, demo_context, is_tls
from evalcrawler.errors import ConfigError

DEMO_HEADER = "X-Evalcrawl-Demo"  # site id and build fingerprint: lets a second start reuse
LOG_LIMIT = 200_000  # requests kept in DemoWeb.log (a long `demo serve` must not grow forever)


@dataclass(frozen=True)
class RequestRecord:
    started: float  # time.monotonic() when the request arrived
    finished: float
    site: str
    host: str  # address:port the request was sent to
    method: str
    path: str  # as requested, with the query string
    status: int
    in_flight: int  # requests to this host being served when it arrived (itself included)


def demo_region(port: int = DEFAULT_PORT, first_address: str = FIRST_ADDRESS) -> Region:
    """The demo region for sites served on ``port`` from ``first_address`` on."""
    sites = [
        SiteConfig(
            id=spec.id,
            name_zh=spec.name_zh,
            name=spec.name,
            level=spec.level,  # type: ignore[arg-type]
            url=f"{spec.scheme}://{address_of(first_address, i)}:{port}/",
        )
        for i, spec in enumerate(SITES)
    ]
    return Region(
        id="demo",
        name="Demo region (fictional)",
        name_zh="示范市（演示）",
        as_of=AS_OF,
        demo=True,
        notes=(
            "Seven fictional government websites served by `evalcrawl demo serve` on loopback "
            "addresses, with planted differences in quality (evalcrawler/demo/truth.json)."
        ),
        crawl={  # type: ignore[arg-type]
            "delay": 0.0,
            "allow_nets": ["127.0.0.0/8"],
            "ca_bundle": str(DEMO_CA),
        },
        sites=sites,
    )


def _parse_query(body: bytes) -> dict[str, list[str]]:
    for encoding in ("utf-8", "gbk"):
        try:
            return parse_qs(body.decode("ascii"), encoding=encoding, errors="strict")
        except (UnicodeDecodeError, ValueError):
            continue
    return parse_qs(body.decode("latin-1"))


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.0"  # one request per connection: simple and robust
    server_version = "DemoGov/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        web = self.server.web
        site = self.server.site
        host = f"{site.address}:{site.port}"
        started = time.monotonic()
        with web.lock:
            web.in_flight[site.id] = web.in_flight.get(site.id, 0) + 1
            in_flight = web.in_flight[site.id]
        status = 0
        try:
            response = self._answer(site)
            status = response.status
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client went away
            pass
        finally:
            with web.lock:
                web.in_flight[site.id] -= 1
                web.log.append(
                    RequestRecord(
                        started,
                        time.monotonic(),
                        site.id,
                        host,
                        self.command,
                        self.path,
                        status,
                        in_flight,
                    )
                )

    def _answer(self, site: DemoSite) -> Response:
        spec = site.spec
        parts = urlsplit(self.path)
        path = parts.path or "/"
        if spec.https == "redirect" and not is_tls(self.connection):
            location = f"https://{site.address}:{site.port}{self.path}"
            return Response(301, [("Location", location), ("Content-Type", "text/html")], b"")
        if self.command == "HEAD" and spec.head405:
            return Response(405, [("Allow", "GET, POST"), ("Content-Type", "text/html")], b"")
        if path == "/" and spec.slow_home:
            time.sleep(spec.slow_home)
        if path == spec.search_action and spec.search in ("get", "post"):
            fields = _parse_query(parts.query.encode("ascii", "replace"))
            if self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                fields.update(_parse_query(self.rfile.read(length) if length else b""))
            query = (fields.get(spec.search_field) or [""])[0]
            assert site.render_search is not None
            return site.render_search(query)
        if self.command == "POST":
            return Response(405, [("Allow", "GET, HEAD"), ("Content-Type", "text/html")], b"")
        response = site.responses.get(path)
        if response is not None:
            return response
        if site.not_found_page is not None:
            return site.not_found_page
        return error_response(404, spec.encoding)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        if self.server.site.spec.hsts and is_tls(self.connection):
            self.send_header("Strict-Transport-Security", "max-age=31536000")
        self.send_header(DEMO_HEADER, f"{self.server.site.id} {self.server.web.fingerprint}")
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class _SiteServer(DualProtocol, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # SO_REUSEADDR: restart at once; still one listener per port

    def __init__(self, web: DemoWeb, site: DemoSite) -> None:
        self.web = web
        self.site = site
        super().__init__((site.address, site.port), _Handler)
        if site.spec.https != "none":  # HTTPS on the same port (see evalcrawler.demo.tls)
            self.tls_context = demo_context([site.address])

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hangs up is not worth a traceback on stderr


class DemoWeb:
    """The seven demo sites, served from ``first_address`` (127.0.0.11) on at ``port``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``region`` is the
    Region of the sites as served; ``log`` lists every request.
    """

    def __init__(
        self, port: int = DEFAULT_PORT, first_address: str = FIRST_ADDRESS, as_of: date = AS_OF
    ) -> None:
        if not 0 < port < 65536:
            # Port 0 (an ephemeral port) cannot work: the region's URLs must be known.
            raise ConfigError(f"--port must be between 1 and 65535, not {port}")
        self.port = port
        self.first_address = first_address
        self.as_of = as_of  # the web as it was on this date (docs/demo.md "Two years")
        self.sites: dict[str, DemoSite] = build_sites(port, first_address, as_of)
        self.region = demo_region(port, first_address)
        self.log: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.fingerprint = _fingerprint(self.sites)
        self._servers: list[_SiteServer] = []
        self._threads: list[threading.Thread] = []

    def url(self, site_id: str) -> str:
        return self.sites[site_id].url

    def start(self) -> DemoWeb:
        if self._servers:
            return self
        try:
            for site in self.sites.values():
                try:
                    server = _SiteServer(self, site)
                except OSError as exc:
                    raise _bind_error(site, exc) from None
                self._servers.append(server)
            for server in self._servers:
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"demo-{server.site.id}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server, thread in zip(self._servers, self._threads, strict=False):
            server.shutdown()
            thread.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def requests(self, site_id: str | None = None) -> list[RequestRecord]:
        with self.lock:
            return [r for r in self.log if site_id is None or r.site == site_id]


def _fingerprint(sites: dict[str, DemoSite]) -> str:
    digest = hashlib.sha1()
    for site in sites.values():
        for path in sorted(site.responses):
            digest.update(path.encode())
            digest.update(site.responses[path].body)
    return digest.hexdigest()[:12]


def _bind_error(site: DemoSite, exc: OSError) -> ConfigError:
    where = f"{site.address}:{site.port}"
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(f"address {where} is in use; stop the other demo or pass --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(
            f"cannot listen on {where}: this system does not route 127.0.0.0/8 to loopback "
            "(on macOS: sudo ifconfig lo0 alias 127.0.0.11 up, and so on up to 127.0.0.17)"
        )
    return ConfigError(f"cannot listen on {where}: {exc.strerror or exc}")


def _port_and_address(region: Region) -> tuple[int, str]:
    first = urlsplit(region.sites[0].url)
    if first.hostname is None or first.port is None:
        raise ConfigError(f"region {region.id!r}: the demo site URLs need an address and a port")
    return first.port, first.hostname


def _already_serving(web: DemoWeb) -> bool:
    """True when every site already answers with this very build (a `demo serve` running)."""
    import http.client

    for site in web.sites.values():
        conn = http.client.HTTPConnection(site.address, site.port, timeout=2)
        try:
            conn.request("HEAD", "/robots.txt")
            answer = conn.getresponse()
            answer.read()
            if answer.getheader(DEMO_HEADER) != f"{site.id} {web.fingerprint}":
                return False
        except OSError:
            return False
        finally:
            conn.close()
    return True


@contextlib.contextmanager
def start_demo_for(region: Region, as_of: date | None = None) -> Iterator[DemoWeb]:
    """Serve the demo web at the addresses of ``region`` (a demo region) while in the block,
    as it was on ``as_of`` (default: the demo's as-of date).

    When the same demo web is already being served there (``evalcrawl demo serve`` in another
    terminal), it is used as it is.
    """
    port, address = _port_and_address(region)
    web = DemoWeb(port, address, as_of or AS_OF)
    expected = {s.id: s.url for s in web.region.sites}
    given = {s.id: s.url for s in region.sites}
    if given != expected:
        raise ConfigError(
            f"region {region.id!r} is marked demo: true but its sites are not the demo web's "
            f"(expected {expected})"
        )
    try:
        web.start()
    except ConfigError:
        if _already_serving(web):
            yield web
            return
        raise
    try:
        yield web
    finally:
        web.stop()


def serve_forever(
    port: int | None = None,
    first_address: str = FIRST_ADDRESS,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Serve the demo web until interrupted (Ctrl-C, or ``stop`` set); print each site's URL.

    ``evalcrawl demo serve [--port N]`` calls this. A port other than the default needs a
    region for it: ``evalcrawler.demo.demo_region(N)`` (or a copy of regions/demo.yaml with
    the port changed).
    """
    web = DemoWeb(port or DEFAULT_PORT, first_address)
    with web:
        echo(f"Demo web (fictional sites, as of {AS_OF}) serving on {len(web.sites)} addresses:")
        for site in web.sites.values():
            echo(f"  {site.url}  {site.spec.id:<9} {site.spec.name_zh}")
        if web.port == DEFAULT_PORT:
            echo("Crawl it with `evalcrawl run --region demo`; Ctrl-C stops the demo web.")
        else:
            echo("Ctrl-C stops the demo web.")
        stop = stop or threading.Event()
        try:
            while not stop.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
        echo("Demo web stopped.")


def port_free(address: str, port: int) -> bool:
    """Whether ``address:port`` can be listened on now (for tests choosing a port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def free_port(start: int = 18480, first_address: str = FIRST_ADDRESS) -> int:
    """A port on which every demo address is free now (tests and benchmarks serve the demo
    web on such a port, so they never collide with an `evalcrawl demo serve` left running)."""
    first = int(first_address.rsplit(".", 1)[1])
    prefix = first_address.rsplit(".", 1)[0]
    for port in range(start, min(start + 5000, 65536), 17):
        if all(port_free(f"{prefix}.{first + i}", port) for i in range(len(SITES))):
            return port
    raise ConfigError(f"no port from {start} on is free on every demo address")
