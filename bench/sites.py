"""A fast synthetic government web for the benchmarks: many sites, one thread, loopback only.

Each site answers on its own loopback address (``127.0.1.1``, ``127.0.1.2``, ...; Linux routes
all of 127/8 to ``lo``), so per-host politeness is as real as on the web. A site is a tree of
``pages`` HTML pages (10–30 KB of Chinese government-style markup: a header with a site-search
form, a navigation bar, a sidebar of recent items, dated lists on column pages, articles with a
publish date, attachments and related links, a footer), generated on demand and cached:

* page ``n``'s children are pages ``n*12+1 … n*12+12`` (below ``pages``): a page with children
  is a column page listing them with dates, the others are articles; every page is reachable
  from the home page, the navigation shows the home page's first eight children;
* every third article links a PDF attachment (``/files/…pdf``, one in 40 of them missing: 404),
  every 50th article links a page that does not exist (404), every page has one link off the
  site (to an unused loopback address that is never fetched);
* ``/robots.txt`` allows everything, ``/search?q=…`` answers a result list, anything else 404.

All sites are served by one asyncio event loop (a ``Protocol`` per connection, HTTP/1.1 with
keep-alive) in one process, which keeps 200 sites cheap. Every response carries a
``LinkChecker`` header: it is how LinkChecker lets a server lift its 10-requests-per-second
throttle. The server counts every request per host with its arrival time (``time.monotonic``,
comparable across processes on Linux), including TLS handshakes made to the plain-HTTP port
(the crawler's HTTPS probe), so a benchmark can compute the politeness floor of what was
actually requested.

    python bench/sites.py serve --sites 3 --pages 100       # prints the site URLs, serves
    python bench/sites.py loadtest --pages 2000 --seconds 3  # the server's own max rate

Driven by ``bench/crawl.py`` through :class:`WebServer`: it starts ``serve`` as a child process
and talks to it over stdin/stdout (``stats``, ``reset``; end of input stops it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

FANOUT = 12  # children per column page
NAV = 8  # navigation links (the home page's first children)
SIDEBAR = 10  # "recent" links on every page
COLUMNS = [
    *("政务动态", "通知公告", "政策文件", "政府信息公开"),
    *("办事服务", "互动交流", "人事信息", "专题专栏"),
]
SERVICES = [
    *("社保查询", "公积金", "不动产登记", "户籍办理"),
    *("企业开办", "婚姻登记", "医保服务", "就业创业"),
]
PLACES = "安宁平和东西南北清河阳城山泉云龙兴福长新丰华"
PHRASES = [
    "为深入贯彻落实党中央、国务院决策部署，进一步优化营商环境，",
    "根据《中华人民共和国政府信息公开条例》有关规定，现将有关事项通知如下：",
    "各乡镇人民政府、街道办事处，县直各有关单位：",
    "会议强调，要坚持以人民为中心的发展思想，切实解决群众急难愁盼问题，",
    "全面推进政务公开标准化规范化建设，不断提升政府网站集约化水平，",
    "加强统筹协调，压实工作责任，确保各项任务落地见效。",
    "本次活动共受理群众咨询二百余件，现场办结率达百分之九十以上，",
    "今年以来，我县扎实推进乡村振兴战略，农村人居环境持续改善，",
    "请各单位高度重视，认真组织实施，并于规定时间内报送工作总结。",
    "县政府常务会议研究部署安全生产、防汛抗旱和秋冬季森林防火工作，",
    "进一步规范行政审批行为，推行一网通办、一窗受理、集成服务，",
    "联系电话：０３５１－１２３４５６７，联系地址：县政务服务中心三楼。",
]
PDF = b"%PDF-1.4\n" + b"0" * 4000 + b"\n%%EOF\n"


def address(first: str, index: int) -> str:
    """The ``index``-th loopback address from ``first`` on (127.0.1.1 + 300 → 127.0.2.45)."""
    packed = int.from_bytes(socket.inet_aton(first), "big") + index
    return socket.inet_ntoa(packed.to_bytes(4, "big"))


class Site:
    """One synthetic site: its pages, generated on demand."""

    def __init__(self, index: int, pages: int, today: date) -> None:
        self.index = index
        self.pages = max(1, pages)
        self.today = today
        a, b = PLACES[index % len(PLACES)], PLACES[(index // len(PLACES) + 3) % len(PLACES)]
        self.name = f"{a}{b}县人民政府"
        self.render = lru_cache(maxsize=4096)(self._render)

    # ---------------------------------------------------------------- structure

    def children(self, n: int) -> range:
        return range(min(n * FANOUT + 1, self.pages), min(n * FANOUT + FANOUT + 1, self.pages))

    def parent(self, n: int) -> int:
        return (n - 1) // FANOUT

    def is_column(self, n: int) -> bool:
        return n == 0 or n * FANOUT + 1 < self.pages

    def day(self, n: int) -> date:
        return self.today - timedelta(days=(n * 7) % 400)

    def path(self, n: int) -> str:
        if n == 0:
            return "/"
        if self.is_column(n):
            return f"/col{n}/"
        stamp = self.day(n).strftime("%Y%m")
        return f"/col{self.parent(n)}/{stamp}/t{self.day(n):%Y%m%d}_{n}.html"

    def page_of(self, path: str) -> int | None:
        if path in ("/", "/index.html"):
            return 0
        if path.startswith("/col") and path.endswith("/") and path[4:-1].isdigit():
            n = int(path[4:-1])
            return n if 0 < n < self.pages and self.is_column(n) else None
        if path.endswith(".html") and "_" in path:
            tail = path.rsplit("_", 1)[1][:-5]
            if tail.isdigit():
                n = int(tail)
                if 0 < n < self.pages and self.path(n) == path:
                    return n
        return None

    def title(self, n: int) -> str:
        if n == 0:
            return self.name
        if self.is_column(n):
            return COLUMNS[(n - 1) % len(COLUMNS)] + ("" if n <= FANOUT else f"（{n}）")
        topic = PHRASES[n % len(PHRASES)][:14].rstrip("，、：；")
        return f"关于{topic}的通知（第{n}号）"

    def urls(self) -> list[str]:
        return [self.path(n) for n in range(self.pages)]

    # ---------------------------------------------------------------- markup

    def _link(self, n: int) -> str:
        return f'<a href="{self.path(n)}" title="{self.title(n)}">{self.title(n)}</a>'

    def _chrome_top(self, n: int) -> str:
        nav = "".join(f"<li>{self._link(c)}</li>" for c in list(self.children(0))[:NAV])
        return (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{self.title(n)} - {self.name}</title>"
            f'<meta name="SiteName" content="{self.name}"><meta name="ColumnName" '
            f'content="{self.title(self.parent(n)) if n else "首页"}">'
            '<link rel="stylesheet" href="/css/style.css"></head><body>'
            f'<div class="header"><div class="logo">{self.name}</div>'
            '<form class="search" id="searchform" action="/search" method="get">'
            '<input type="text" name="q" placeholder="请输入关键词">'
            '<button type="submit">搜索</button></form></div>'
            f'<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div>'
            '<div class="wrap"><div class="position">当前位置：<a href="/">首页</a> &gt; '
            f"{self.title(self.parent(n)) if n else ''}</div>"
        )

    def _sidebar(self, n: int) -> str:
        rng = random.Random(n * 7919 + self.index)
        items = "".join(
            f'<li>{self._link(rng.randrange(self.pages))}<span class="date">'
            f"{self.day(n + i):%m-%d}</span></li>"
            for i in range(SIDEBAR)
        )
        services = "".join(
            f'<li><a href="{self.path(rng.randrange(self.pages))}">{name}</a></li>'
            for name in SERVICES
        )
        return (
            f'<div class="side"><h3>最新信息</h3><ul class="recent">{items}</ul>'
            f'<h3>便民服务</h3><ul class="services">{services}</ul></div>'
        )

    def _footer(self) -> str:
        return (
            '<div class="footer"><div class="links">相关链接：'
            '<a href="http://127.0.0.254:1/">中国政府网</a></div>'
            f"<p>主办：{self.name}办公室　承办：{self.name}信息中心</p>"
            "<p>网站标识码：1400000000　晋ICP备00000000号　晋公网安备 14000000000000号</p>"
            "<p>联系电话：0351-0000000　建议使用1366×768分辨率浏览</p></div></body></html>"
        )

    def _column(self, n: int) -> str:
        rows = "".join(
            f'<li><a href="{self.path(c)}" target="_blank">{self.title(c)}</a>'
            f'<span class="date">{self.day(c):%Y-%m-%d}</span></li>'
            for c in self.children(n)
        )
        intro = "".join(PHRASES[(n + i) % len(PHRASES)] for i in range(48))
        return (
            f'<div class="main"><h2 class="column-title">{self.title(n)}</h2>'
            f'<p class="intro">{intro}</p><ul class="list">{rows}</ul>'
            '<div class="pager">共1页　<a href="#">首页</a> <a href="#">尾页</a></div></div>'
        )

    def _article(self, n: int) -> str:
        rng = random.Random(n * 104729 + self.index)
        paragraphs = "".join(
            "<p>" + "".join(rng.choice(PHRASES) for _ in range(8)) + "</p>"
            for _ in range(8 + n % 20)
        )
        extra = ""
        if n % 3 == 0:
            missing = "x" if n % 120 == 0 else ""
            extra += (
                f'<p class="attach">附件：<a href="/files/{n}{missing}.pdf">'
                f"{self.title(n)}.pdf</a></p>"
            )
        siblings = [s for s in self.children(self.parent(n)) if s != n][:3]
        related = "".join(f"<li>{self._link(s)}</li>" for s in siblings)
        if n % 50 == 0:
            related += f'<li><a href="/col{self.parent(n)}/old/{n}.html">旧版页面</a></li>'
        return (
            f'<div class="main article"><h1>{self.title(n)}</h1>'
            f'<div class="info">发布时间：{self.day(n):%Y-%m-%d}　来源：{self.name}办公室'
            f'　<a href="javascript:window.print()">打印</a></div>'
            f'<div class="content">{paragraphs}</div>{extra}'
            f'<div class="related"><h3>相关信息</h3><ul>{related}</ul></div></div>'
        )

    def _render(self, n: int) -> bytes:
        main = self._column(n) if self.is_column(n) else self._article(n)
        html = self._chrome_top(n) + main + self._sidebar(n) + "</div>" + self._footer()
        return html.encode("utf-8")

    def search(self, query: str) -> bytes:
        hits = [n for n in range(1, min(self.pages, 200)) if not self.is_column(n)][:10]
        rows = "".join(f"<li>{self._link(n)}</li>" for n in hits)
        html = (
            self._chrome_top(0)
            + f'<div class="main"><h2>搜索结果：{query}</h2><ul class="results">{rows}</ul></div>'
            + "</div>"
            + self._footer()
        )
        return html.encode("utf-8")

    # ---------------------------------------------------------------- answers

    def respond(self, method: str, target: str) -> tuple[int, str, bytes]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        n = self.page_of(path)
        if n is not None:
            return 200, "text/html; charset=utf-8", self.render(n)
        if path.startswith("/files/") and path.endswith(".pdf"):
            if path[7:-4].isdigit():
                return 200, "application/pdf", PDF
        elif path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        elif path == "/search":
            query = parse_qs(parts.query).get("q", [""])[0]
            return 200, "text/html; charset=utf-8", self.search(query)
        body = f"<html><body><h1>404 您访问的页面不存在</h1>{self._footer()}".encode()
        return 404, "text/html; charset=utf-8", body


class Stats:
    """Requests per host: arrival times, methods and statuses."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.what: dict[str, list[str]] = defaultdict(list)  # "METHOD path" of each request
        self.methods: dict[str, Counter[str]] = defaultdict(Counter)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.bytes = 0

    def add(self, host: str, method: str, status: int, size: int, path: str = "") -> None:
        self.times[host].append(time.monotonic())
        self.what[host].append(f"{method} {path}")
        self.methods[host][method] += 1
        self.statuses[host][status] += 1
        self.bytes += size

    def _closest(self, host: str) -> list[str]:
        """The two consecutive requests to ``host`` that came closest together."""
        times = self.times[host]
        if len(times) < 2:
            return []
        i = min(range(1, len(times)), key=lambda k: times[k] - times[k - 1])
        return [self.what[host][i - 1], self.what[host][i]]

    def to_json(self) -> dict[str, Any]:
        return {
            "hosts": {
                host: {
                    "requests": len(times),
                    "first": times[0],
                    "last": times[-1],
                    "min_gap": min((b - a for a, b in itertools.pairwise(times)), default=None),
                    "min_gap_between": self._closest(host),
                    "methods": dict(self.methods[host]),
                    "statuses": {str(k): v for k, v in self.statuses[host].items()},
                }
                for host, times in self.times.items()
            },
            "bytes": self.bytes,
        }


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 with keep-alive; enough for Scrapy, wget and LinkChecker."""

    def __init__(self, site: Site, host: str, stats: Stats) -> None:
        self.site = site
        self.host = host
        self.stats = stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        if self.buffer[:1] == b"\x16":  # a TLS ClientHello: the crawler's HTTPS probe
            self.stats.add(self.host, "TLS", 0, 0, "(handshake)")
            self.transport.close()
            return
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buffer) < end + 4 + length:
                return  # wait for the body
            self.buffer = self.buffer[end + 4 + length :]
            status, ctype, body = self.site.respond(method, target)
            close = headers.get("connection", "").lower() == "close" or (
                version == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive"
            )
            reason = "OK" if status == 200 else "Not Found"
            out = (
                f"HTTP/1.1 {status} {reason}\r\nServer: bench-sites\r\nLinkChecker: 1\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
            ).encode("latin-1")
            self.transport.write(out if method == "HEAD" else out + body)
            size = 0 if method == "HEAD" else len(body)
            self.stats.add(self.host, method, status, size, target)
            if close:
                self.transport.close()
                return


async def serve(sites: int, pages: int, first: str, port: int) -> None:
    """Serve ``sites`` sites; print one JSON line with their URLs; obey stdin commands."""
    loop = asyncio.get_running_loop()
    stats = Stats()
    today = date.today()
    servers = []
    urls = []
    for i in range(sites):
        host = address(first, i)
        site = Site(i, pages, today)
        server = await loop.create_server(
            lambda site=site, host=host: HttpProtocol(site, host, stats),
            host,
            port,
            reuse_address=True,
            backlog=1024,
        )
        bound = server.sockets[0].getsockname()[1]
        servers.append(server)
        urls.append(f"http://{host}:{bound}/")
    print(json.dumps({"urls": urls, "pid": os.getpid()}), flush=True)

    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if not line or line == "quit":
            break
        if line == "stats":
            print(json.dumps(stats.to_json()), flush=True)
        elif line == "reset":
            stats.reset()
            print("{}", flush=True)
    for server in servers:
        server.close()


class WebServer:
    """Run ``serve`` in a child process (its own core) and query its request counts."""

    def __init__(self, sites: int, pages: int, first: str = "127.0.1.1", port: int = 0) -> None:
        cmd = [sys.executable, __file__, "serve", "--sites", str(sites), "--pages", str(pages)]
        cmd += ["--first", first, "--port", str(port)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the synthetic web server did not start (see its stderr)")
        self.urls: list[str] = json.loads(line)["urls"]
        self.pages = pages

    def _ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stats(self) -> dict[str, Any]:
        return self._ask("stats")

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ load test


async def _load_client(host: str, port: int, paths: list[str], stop: float, out: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(len(out))
    done = size = 0
    while time.monotonic() < stop:
        path = quote(rng.choice(paths))
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        done += 1
        size += length
    writer.close()
    out.append(done)
    out.append(-size)


def loadtest(url: str, pages: int, seconds: float, connections: int) -> dict[str, Any]:
    """Fetch random pages of the site at ``url`` as fast as a trivial client can."""
    parts = urlsplit(url)
    paths = Site(0, pages, date.today()).urls()

    async def main() -> list[int]:
        out: list[int] = []
        stop = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _load_client(parts.hostname or "", parts.port or 80, paths, stop, out)
                for _ in range(connections)
            )
        )
        return out

    started = time.monotonic()
    out = asyncio.run(main())
    elapsed = time.monotonic() - started
    requests = sum(v for v in out if v > 0)
    size = -sum(v for v in out if v < 0)
    return {
        "requests": requests,
        "seconds": round(elapsed, 2),
        "pages_per_s": round(requests / elapsed, 1),
        "mean_kb": round(size / max(1, requests) / 1024, 1),
        "connections": connections,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve synthetic sites until stdin closes")
    s.add_argument("--sites", type=int, default=1)
    s.add_argument("--pages", type=int, default=100)
    s.add_argument("--first", default="127.0.1.1", help="address of the first site")
    s.add_argument("--port", type=int, default=0, help="0: an ephemeral port per address")
    lt = sub.add_parser("loadtest", help="the server's max rate with a trivial client")
    lt.add_argument("--url", help="a running site (default: start a server)")
    lt.add_argument("--pages", type=int, default=2000)
    lt.add_argument("--seconds", type=float, default=3.0)
    lt.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if args.command == "serve":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.sites, args.pages, args.first, args.port))
    elif args.url:
        print(json.dumps(loadtest(args.url, args.pages, args.seconds, args.connections)))
    else:
        with WebServer(1, args.pages, first="127.0.1.250") as web:
            result = loadtest(web.urls[0], args.pages, args.seconds, args.connections)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
