"""A hostile web for crawler tests: loopback sites broken in every way a server can be broken.

Each case is one site on its own address (``127.0.0.101`` on, one per case, ephemeral ports),
built on :mod:`tests.webserver` so that every request is logged for the politeness checks.
``tests/test_hostile.py`` crawls them all at once, with one well-behaved control site, and
asserts each site's recorded status and reason.

The cases (the status each should get, and why, is in the test of each):

calendar        an endless calendar: every month links to the month before and after
session         fresh session ids in every link (``;jsessionid=``, ``?sid=``, ``PHPSESSID``)
deep            ever deeper paths: a relative link that resolves against itself, and a tree
                whose every level links one level deeper
query           the same page under endless query strings, each linking to new ones
redirect-loop   the home page redirects in a circle
redirect-chain  the home page redirects through 30 hops
huge            two 50 MB pages: one announced by Content-Length, one streamed without it
gzip-bomb       a page of ~100 KB that decompresses to 100 MB
truncated       pages cut off before their announced Content-Length
malformed       a home page of broken HTML (bad nesting, stray tags, NUL bytes, bad entities)
charsets        GBK pages declared as UTF-8, with no charset, and UTF-8 declared as Latin-1
silent          a server that accepts connections and never answers
reset           a server that resets every connection (RST, SO_LINGER 0)
server-errors   pages that answer 500 and 503
rate-limited    a page that answers 429 with Retry-After the first time
robots          robots.txt disallows everything
binary          binary files (PDF, PNG) served as text/html
binary-home     a home page that is a ZIP file served as text/html
private         a "public" home page that redirects to 169.254.169.254 (cloud metadata)
"""

from __future__ import annotations

import random
import re
import select
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from tests.webserver import FixtureServer, Handler, Reply, Route

FIRST_ADDRESS = 101
HUGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 100 * 1024 * 1024
RETRY_AFTER = 2  # seconds the rate-limited site asks for
CALENDAR_START = (2026, 11)

_stop = threading.Event()  # set when the hostile web stops: hanging handlers return


def page(title: str, body: str = "", head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><h1>{title}</h1>{body}</body></html>"
    )


def links(*pairs: tuple[str, str]) -> str:
    return "".join(f'<a href="{href}">{text}</a> ' for href, text in pairs)


# --------------------------------------------------------------------------- raw behaviours


def hang(handler: Handler) -> None:
    """Accept the request and never answer; return when the client gives up (or at stop)."""
    conn = handler.connection
    while not _stop.is_set():
        readable, _, _ = select.select([conn], [], [], 0.01)
        if readable:
            try:
                if not conn.recv(1024, socket.MSG_PEEK):
                    break  # the client closed the connection
                conn.recv(1024)
            except OSError:
                break
    handler.close_connection = True


def reset(handler: Handler) -> None:
    """Close the connection abruptly: SO_LINGER 0 makes close() send a RST."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def stream(size: int, announce: bool) -> Callable[[Handler], None]:
    """A page of ``size`` bytes written in 1 MB chunks until the client hangs up."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        if announce:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Connection", "close")  # the body ends when the server closes
        handler.end_headers()
        handler.close_connection = True
        chunk = b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>\n"
        sent = 0
        try:
            handler.wfile.write(b"<html><head><title>huge</title></head><body>")
            while sent < size and not _stop.is_set():
                handler.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client hung up, as it should

    return route


def truncated(body: str, announce: int) -> Callable[[Handler], None]:
    """Announce ``announce`` bytes, send fewer, close."""

    def route(handler: Handler) -> None:
        data = body.encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(announce))
        handler.end_headers()
        handler.close_connection = True
        try:
            handler.wfile.write(data[: announce // 3])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    return route


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    parts = [packer.compress(b"<html><body>")]
    for _ in range(size // len(chunk)):
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    return b"".join(parts)


# ------------------------------------------------------------------------------ the sites


def control_routes() -> tuple[dict[str, Route], Route | None]:
    nav = (
        '<div class="nav">'
        + links(("/", "首页"), ("/news/", "政务动态"), ("/notice/", "通知公告"))
        + "</div>"
    )
    items = "".join(
        f'<li><a href="/news/{i}.html">新闻{i}</a><span class="date">2026-11-{10 + i}</span></li>'
        for i in range(1, 5)
    )
    routes: dict[str, Route] = {
        "/": Reply(
            body=page(
                "对照站首页",
                nav
                + f'<ul class="list">{items}</ul>'
                + links(("/files/guide.pdf", "下载"), ("/missing.html", "坏链"))
                + '<form action="/search" method="get"><input name="q">'
                + "<button>搜索</button></form>",
                head='<meta name="viewport" content="width=device-width, initial-scale=1">',
            )
        ),
        "/news/": Reply(body=page("政务动态", f'<ul class="list">{items}</ul>')),
        "/notice/": Reply(body=page("通知公告", '<ul class="list"></ul><p>暂无信息</p>')),
        "/files/guide.pdf": Reply(body=b"%PDF-1.4 test", content_type="application/pdf"),
        "/robots.txt": Reply(
            body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        ),
        "/search": Reply(body=page("搜索结果", links(("/news/1.html", "政府新闻1")))),
    }
    for i in range(1, 5):
        routes[f"/news/{i}.html"] = Reply(
            body=page(f"新闻{i}", f"<p>发布时间：2026-11-{10 + i}</p><p>正文</p>")
        )
    return routes, None


def _month(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


def calendar_routes() -> tuple[dict[str, Route], Route | None]:
    y, m = CALENDAR_START

    def month_page(handler: Handler) -> Reply:
        found = re.fullmatch(r"/calendar/(\d{4})/(\d{2})/", urlsplit(handler.path).path)
        if not found:
            return Reply(404, page("404"))
        year, month = int(found.group(1)), int(found.group(2))
        (py, pm), (ny, nm) = _month(year, month, -1), _month(year, month, 1)
        return Reply(
            body=page(
                f"{year}年{month}月 活动日历",
                f"<table><tr><td>{year}年{month}月</td></tr></table>"
                + links(
                    (f"/calendar/{py}/{pm:02d}/", "上个月"), (f"/calendar/{ny}/{nm:02d}/", "下个月")
                ),
            )
        )

    return {
        "/": Reply(
            body=page(
                "日历站首页",
                links((f"/calendar/{y}/{m:02d}/", "活动日历"), ("/about.html", "本站介绍")),
            )
        ),
        "/about.html": Reply(body=page("本站介绍", "<p>介绍</p>")),
    }, month_page


def _sid() -> str:
    return f"{random.getrandbits(64):016X}"


def session_routes() -> tuple[dict[str, Route], Route | None]:
    def with_ids(title: str) -> Callable[[Handler], Reply]:
        def route(_handler: Handler) -> Reply:
            return Reply(
                body=page(
                    title,
                    links(
                        (f"/a.html;jsessionid={_sid()}", "甲页"),
                        (f"/b.html?sid={_sid()}", "乙页"),
                        (f"/c.html?x=1&PHPSESSID={_sid()}", "丙页"),
                        (f"/;jsessionid={_sid()}", "首页"),
                    ),
                )
            )

        return route

    return {
        "/": with_ids("会话站首页"),
        "/a.html": with_ids("甲页"),
        "/b.html": with_ids("乙页"),
        "/c.html": with_ids("丙页"),
    }, None


def deep_routes() -> tuple[dict[str, Route], Route | None]:
    def deeper(handler: Handler) -> Reply:
        path = urlsplit(handler.path).path
        if path.startswith("/deep/"):
            return Reply(body=page("循环目录", links(("sub/", "子目录"), ("/", "首页"))))
        if path.startswith("/tree/"):
            level = path.count("/") - 1
            return Reply(body=page(f"第{level}层", links((f"n{level}/", "下一层"))))
        return Reply(404, page("404"))

    return {
        "/": Reply(body=page("深层站首页", links(("/deep/", "循环目录"), ("/tree/", "目录树")))),
    }, deeper


def query_routes() -> tuple[dict[str, Route], Route | None]:
    def same(handler: Handler) -> Reply:
        query = parse_qs(urlsplit(handler.path).query)
        n = int((query.get("v") or ["0"])[0]) if (query.get("v") or ["0"])[0].isdigit() else 0
        return Reply(
            body=page(
                "同一页面",
                "<p>无论查询串是什么，这一页都一样。</p>"
                + links((f"?v={n + 1}", "下一个"), (f"/item.html?v=r{_sid()}", "随机")),
            )
        )

    return {
        "/": Reply(body=page("查询串站首页", links(("/item.html?v=1", "条目")))),
        "/item.html": same,
    }, None


def redirect(to: str, status: int = 302) -> Reply:
    return Reply(status, b"", headers={"Location": to}, content_type=None)


def loop_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": redirect("/loop/a"),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
    }, None


def chain_routes() -> tuple[dict[str, Route], Route | None]:
    def hop(handler: Handler) -> Reply:
        found = re.fullmatch(r"/hop/(\d+)", urlsplit(handler.path).path)
        n = int(found.group(1)) if found else 0
        return redirect(f"/hop/{n + 1}" if n < 30 else "/final.html", 301)

    return {
        "/": redirect("/hop/1"),
        "/final.html": Reply(body=page("终点")),
    }, hop


def huge_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(
            body=page(
                "大页面站首页",
                links(
                    ("/huge.html", "大页面"),
                    ("/huge-stream.html", "大页面二"),
                    ("/ok.html", "正常"),
                ),
            )
        ),
        "/huge.html": stream(HUGE_BYTES, announce=True),
        "/huge-stream.html": stream(HUGE_BYTES, announce=False),
        "/ok.html": Reply(body=page("正常页")),
    }, None


def bomb_routes(bomb: bytes) -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(
            body=page("压缩炸弹站首页", links(("/bomb.html", "炸弹"), ("/ok.html", "正常")))
        ),
        "/bomb.html": Reply(body=bomb, headers={"Content-Encoding": "gzip"}),
        "/ok.html": Reply(body=page("正常页")),
    }, None


def truncated_routes() -> tuple[dict[str, Route], Route | None]:
    long_page = page("被截断的页面", "<p>" + "内容" * 800 + "</p>")
    return {
        "/": Reply(
            body=page(
                "截断站首页",
                links(("/cut1.html", "截断一"), ("/cut2.html", "截断二"), ("/ok.html", "正常")),
            )
        ),
        "/cut1.html": truncated(long_page, 6000),
        "/cut2.html": truncated(long_page, 6000),
        "/ok.html": Reply(body=page("正常页")),
    }, None


MALFORMED = (
    b"<html><head><title>\xe7\x95\xb8\xe5\xbd\xa2\xe9\xa1\xb5\xe9\x9d\xa2</title>"
    b"<meta charset=utf-8><body><div><p>\xe6\x9c\xaa\xe9\x97\xad\xe5\x90\x88<table><tr><td>"
    b"<a href=/ok.html>\xe6\xad\xa3\xe5\xb8\xb8\xe9\xa1\xb5</a><td><a href='/news/1.html' "
    b"class=x class=y>\xe6\x96\xb0\xe9\x97\xbb</a></div></div></b></i></table>"
    b'&nbsp&amp;&#xZZ;&#99999999;<<>>\x00\x01\x02 <p <a href="/never" <img src=x alt=>'
    b"<script>document.write('<a href=\"/x.html\">')</script></span></body></html></html>"
    b'<!-- a comment that never ends <a href="/hidden.html">'
)


def malformed_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(body=MALFORMED),
        "/ok.html": Reply(body=page("正常页")),
        "/news/1.html": Reply(body=page("新闻一", "<p>发布时间：2026-11-18</p>")),
    }, None


def charset_routes() -> tuple[dict[str, Route], Route | None]:
    def gbk(title: str, body: str = "", meta: str = "") -> bytes:
        return (
            f"<html><head>{meta}<title>{title}</title></head><body><h1>{title}</h1>{body}"
            "</body></html>"
        ).encode("gbk")

    return {
        # GBK bytes under a header that says UTF-8: the bytes must win.
        "/": Reply(
            body=gbk("字符集测试首页", links(("/gbk.html", "无声明"), ("/latin.html", "拉丁"))),
            content_type="text/html; charset=utf-8",
        ),
        # GBK without any declaration.
        "/gbk.html": Reply(body=gbk("没有声明的国标页面"), content_type="text/html"),
        # UTF-8 declared as Latin-1 (a server default).
        "/latin.html": Reply(
            body=page("声明为拉丁文的页面").encode("utf-8").replace(b'<meta charset="utf-8">', b""),
            content_type="text/html; charset=iso-8859-1",
        ),
    }, None


def silent_routes() -> tuple[dict[str, Route], Route | None]:
    return {}, hang


def reset_routes() -> tuple[dict[str, Route], Route | None]:
    return {}, reset


def server_error_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(
            body=page(
                "故障站首页",
                links(
                    ("/e1.html", "一"), ("/e2.html", "二"), ("/e3.html", "三"), ("/e4.html", "四")
                ),
            )
        ),
        "/e1.html": Reply(500, page("500")),
        "/e2.html": Reply(500, page("500")),
        "/e3.html": Reply(503, page("503")),
        "/e4.html": Reply(503, page("503")),
    }, None


def rate_limited_routes() -> tuple[dict[str, Route], Route | None]:
    asked: dict[str, int] = {}

    def busy(handler: Handler) -> Reply:
        asked["busy"] = asked.get("busy", 0) + 1
        if asked["busy"] == 1:
            return Reply(429, page("请求过于频繁"), headers={"Retry-After": str(RETRY_AFTER)})
        return Reply(body=page("繁忙页面", "<p>现在好了</p>"))

    return {
        "/": Reply(body=page("限流站首页", links(("/busy.html", "繁忙"), ("/ok.html", "正常")))),
        "/busy.html": busy,
        "/ok.html": Reply(body=page("正常页")),
    }, None


def robots_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(body=page("禁止抓取站首页", links(("/a.html", "甲")))),
        "/a.html": Reply(body=page("甲")),
        "/robots.txt": Reply(body="User-agent: *\nDisallow: /\n", content_type="text/plain"),
    }, None


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\n" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8
ZIP = b"PK\x03\x04\x14\0\0\0\x08\0" + bytes(range(256)) * 8


def binary_routes() -> tuple[dict[str, Route], Route | None]:
    return {
        "/": Reply(
            body=page(
                "二进制站首页",
                links(("/report.html", "年报"), ("/photo.html", "照片"), ("/ok.html", "正常")),
            )
        ),
        "/report.html": Reply(body=PDF, content_type="text/html"),
        "/photo.html": Reply(body=PNG, content_type="text/html; charset=utf-8"),
        "/ok.html": Reply(body=page("正常页")),
    }, None


def binary_home_routes() -> tuple[dict[str, Route], Route | None]:
    return {"/": Reply(body=ZIP, content_type="text/html")}, None


METADATA = "http://169.254.169.254/latest/meta-data/"


def private_routes() -> tuple[dict[str, Route], Route | None]:
    return {"/": redirect(METADATA), "/a.html": Reply(body=page("甲"))}, None


def cases(bomb: bytes) -> dict[str, tuple[dict[str, Route], Route | None]]:
    """Every hostile case, by site id, in address order (the control site last)."""
    return {
        "calendar": calendar_routes(),
        "session": session_routes(),
        "deep": deep_routes(),
        "query": query_routes(),
        "redirect-loop": loop_routes(),
        "redirect-chain": chain_routes(),
        "huge": huge_routes(),
        "gzip-bomb": bomb_routes(bomb),
        "truncated": truncated_routes(),
        "malformed": malformed_routes(),
        "charsets": charset_routes(),
        "silent": silent_routes(),
        "reset": reset_routes(),
        "server-errors": server_error_routes(),
        "rate-limited": rate_limited_routes(),
        "robots": robots_routes(),
        "binary": binary_routes(),
        "binary-home": binary_home_routes(),
        "private": private_routes(),
        "control": control_routes(),
    }


@contextmanager
def hostile_web() -> Iterator[dict[str, FixtureServer]]:
    """Serve every case on its own address while in the block: ``{site id: server}``."""
    _stop.clear()
    servers: dict[str, FixtureServer] = {}
    try:
        for offset, (site_id, (routes, fallback)) in enumerate(
            cases(gzip_bomb(BOMB_BYTES)).items()
        ):
            address = f"127.0.0.{FIRST_ADDRESS + offset}"
            servers[site_id] = FixtureServer(address, routes, fallback=fallback).start()
        yield servers
    finally:
        _stop.set()
        # shutdown() waits for the serve loop's next poll (0.5 s): stop them all at once.
        stoppers = [threading.Thread(target=server.stop) for server in servers.values()]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
