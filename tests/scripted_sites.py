"""Loopback sites that scripts fill or firewalls guard, for tests/test_scripted.py and
tests/test_render.py (and bench/render.py).

directory   a 政府信息公开 directory page whose list comes from the getDocuments endpoint
            (the markup follows Taiyuan's ``/fzlm/gkmlpt/zdgk/index.shtml?chan=25`` pages and
            the endpoint's ``{"list": [{"title", "url", "openTime"}]}`` answer)
scripted    a notice column whose empty ``<ul>`` a script fills from a JSON file with fetch()
challenge   every answer without the cookie ``ec_verify=ok`` is HTTP 412 with a script that
            sets that cookie and reloads, as anti-bot firewalls answer a first visit
fenced      a page whose scripts try to reach a refused address (fetch, an iframe, a
            WebSocket, an image) and file: URLs; ``Sink`` counts every connection made to
            the refused address

Every site has a home page with a dated list and a navigation link to its special page, and
article pages, so that what differs between the crawls is the special page alone.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

from tests.webserver import FixtureServer, Handler, Reply

NOTICES = [
    ("关于2026年冬季供暖工作的通知", "2026-11-18"),
    ("关于开展安全生产大检查的通知", "2026-11-06"),
    ("关于做好秋冬季森林防火工作的通告", "2026-10-22"),
    ("关于征集2027年民生实事项目的公告", "2026-10-09"),
]
DOCUMENTS = [
    ("太原市国民经济和社会发展第十五个五年规划纲要", "2026-11-12", 1794448800000),
    ("2026年市政府重点工作任务分解方案", "2026-09-30", 1790733600000),
    ("关于印发城市更新行动实施方案的通知", "2026-08-15", 1786759200000),
]


def page(title: str, body: str = "", head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><h1>{title}</h1>{body}</body></html>"
    )


def home(nav: list[tuple[str, str]]) -> Reply:
    links = "".join(f'<a href="{href}">{text}</a>' for href, text in nav)
    news = "".join(
        f'<li><a href="/xwdt/{i}.html">本地新闻{i}</a><span>2026-11-{10 + i}</span></li>'
        for i in range(1, 4)
    )
    return Reply(body=page("首页", f'<div class="nav">{links}</div><ul class="list">{news}</ul>'))


def articles(prefix: str, titles: list[tuple[str, str]]) -> dict[str, Reply]:
    return {
        f"{prefix}{i}.html": Reply(body=page(title, f"<p>发布时间：{day}</p><p>正文。</p>"))
        for i, (title, day) in enumerate(titles, 1)
    }


def common() -> dict[str, Any]:
    return {
        "/robots.txt": Reply(body="User-agent: *\nAllow: /\n", content_type="text/plain"),
        **articles("/xwdt/", [(f"本地新闻{i}", f"2026-11-{10 + i}") for i in range(1, 4)]),
    }


# ------------------------------------------------------------------------- the sites


def directory_routes() -> dict[str, Any]:
    script = """<script>
    function getQueryString(name) {
      var m = location.search.match(new RegExp("[?&]" + name + "=([^&]*)"));
      return m ? decodeURIComponent(m[1]) : "";
    }
    var chan = getQueryString("chan");
    $.ajax({url: "/intertidwebapp/govChanInfo/getDocuments", type: "get", dataType: "json",
            data: {pageIndex: 1, pageSize: 20, siteId: 1, ChannelType: 1, chanId: chan},
            success: function (res) { render(res.list); }});
    </script>"""
    answer = {
        "total": len(DOCUMENTS),
        "list": [
            {"title": title, "url": f"/fzlm/gkmlpt/content/{i}.html", "openTime": stamp}
            for i, (title, _, stamp) in enumerate(DOCUMENTS, 1)
        ],
    }
    return {
        **common(),
        "/": home([("/", "首页"), ("/fzlm/gkmlpt/zdgk/index.shtml?chan=25", "法定主动公开内容")]),
        "/fzlm/gkmlpt/zdgk/index.shtml": Reply(
            body=page("法定主动公开内容", '<ul class="list" id="docList"></ul>' + script)
        ),
        "/intertidwebapp/govChanInfo/getDocuments": Reply(
            body=json.dumps(answer, ensure_ascii=False), content_type="application/json"
        ),
        **articles("/fzlm/gkmlpt/content/", [(t, d) for t, d, _ in DOCUMENTS]),
    }


def scripted_routes() -> dict[str, Any]:
    script = """<script>
    fetch("/tzgg/list.json").then(function (r) { return r.json(); }).then(function (rows) {
      document.getElementById("list").innerHTML = rows.map(function (row) {
        return '<li><a href="' + row.href + '">' + row.name + '</a><span>' + row.day +
          '</span></li>';
      }).join("");
    });
    </script>"""
    rows = [{"href": f"/tzgg/{i}.html", "name": t, "day": d} for i, (t, d) in enumerate(NOTICES, 1)]
    return {
        **common(),
        "/": home([("/", "首页"), ("/tzgg/", "通知公告")]),
        "/tzgg/": Reply(body=page("通知公告", '<ul class="list" id="list"></ul>' + script)),
        "/tzgg/list.json": Reply(
            body=json.dumps(rows, ensure_ascii=False), content_type="application/json"
        ),
        **articles("/tzgg/", NOTICES),
    }


CHALLENGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><script>'
    'document.cookie = "ec_verify=ok; path=/"; location.reload();'
    "</script></head><body></body></html>"
)


def challenge_routes() -> tuple[dict[str, Any], Any]:
    """The site's pages, each behind the challenge (the fallback answers every path)."""
    inner = {
        **common(),
        "/": home([("/", "首页"), ("/tzgg/", "通知公告")]),
        "/tzgg/": Reply(
            body=page(
                "通知公告",
                '<ul class="list">'
                + "".join(
                    f'<li><a href="/tzgg/{i}.html">{t}</a><span>{d}</span></li>'
                    for i, (t, d) in enumerate(NOTICES, 1)
                )
                + "</ul>",
            )
        ),
        **articles("/tzgg/", NOTICES),
    }

    def guarded(handler: Handler) -> Reply:
        if "ec_verify=ok" not in (handler.headers.get("Cookie") or ""):
            return Reply(412, CHALLENGE)
        path = handler.path.split("?", 1)[0]
        return inner.get(path) or Reply(404, page("404"))

    return {}, guarded


def fenced_routes(forbidden: str) -> dict[str, Any]:
    """``forbidden``: ``host:port`` of the refused address."""
    script = f"""<script>
    var out = document.getElementById("out");
    function show(text) {{ out.textContent += " " + text; }}
    fetch("http://{forbidden}/secret").then(function (r) {{ return r.text(); }})
      .then(show, function () {{ show("fetch-refused"); }});
    fetch("file:///etc/passwd").then(function (r) {{ return r.text(); }})
      .then(show, function () {{ show("file-refused"); }});
    try {{ var ws = new WebSocket("ws://{forbidden}/ws"); ws.onmessage = function (e) {{
      show(e.data); }}; }} catch (e) {{ show("ws-refused"); }}
    var x = new XMLHttpRequest(); x.open("GET", "/ok.json"); x.onload = function () {{
      show(x.responseText); }}; x.send();
    </script>"""
    body = (
        '<p id="out">结果：</p>'
        f'<iframe src="http://{forbidden}/frame"></iframe>'
        '<iframe src="file:///etc/passwd"></iframe>'
        f'<img src="http://{forbidden}/pixel.gif" alt="图">'
        f'<link rel="preconnect" href="http://{forbidden}/">' + script
    )
    return {
        **common(),
        "/": home([("/", "首页"), ("/fenced/", "测试页")]),
        "/fenced/": Reply(body=page("测试页", body)),
        "/ok.json": Reply(body='"own-site-data"', content_type="application/json"),
    }


class Sink:
    """A server on a refused address that counts every connection made to it."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def start(address: str, routes: dict[str, Any], fallback: Any = None) -> FixtureServer:
    return FixtureServer(address, routes, fallback=fallback).start()
