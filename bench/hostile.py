"""Benchmark the hostile web: what a cookie flood, a link flood, a tarpit and a 40,000-line list
cost, against a normal site crawled in the same run.

Not a test (timings and memory depend on the machine): run it and read the table. Each site is
crawled alone, as ``evalcrawl crawl`` does (a child process, SQLite, robots.txt, probes, link
checks, the evidence archive), on loopback; the figures are the crawl's wall time and the peak
RSS of its crawl process, and the ratio is to the normal site of the same run.

    .venv/bin/python bench/hostile.py            # about 3 minutes on 2 cores
    .venv/bin/python bench/hostile.py --json     # also JSON on stdout

Sites (docs/security.md says what bounds each):

* normal: 100 pages, each a list of 20 dated links (the baseline of every ratio);
* cookies: 100 pages, each setting 50 new cookies of 1 KB (RFC 6265 caps the jar at 50);
* link flood: three pages of 600,000 links each, with --max-pages 10 --check-budget 10;
* tarpit: every answer after 5 s, with --site-timeout 30;
* long list: the normal site plus one page of 40,000 ``<a>…</a> (2013-11-15)<br>`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

os.environ.setdefault("EVALCRAWL_ALLOW_NETS", "127.0.0.0/8")  # never leave loopback
os.environ.pop("EVALCRAWL_DB", None)

from crawl import Row, machine, run_evalcrawl, table  # bench/ is the script's folder

NORMAL_PAGES = 100
FLOOD_LINKS = 600_000
LONG_LINES = 40_000
TARPIT_DELAY = 5.0
TARPIT_BUDGET = 30.0


def page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    ).encode()


def normal_page(n: int) -> bytes:
    items = "".join(
        f'<li><a href="/p{(n * 20 + i) % NORMAL_PAGES}.html">公告{n}-{i}</a>'
        f"<span>2026-11-{1 + i:02d}</span></li>"
        for i in range(20)
    )
    return page(f"栏目{n}", f'<ul class="list">{items}</ul>')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    kind = "normal"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        headers: list[tuple[str, str]] = []
        status, body = 200, b""
        match = re.fullmatch(r"/(?:p(\d+)\.html)?", path)
        if self.kind == "tarpit":
            time.sleep(TARPIT_DELAY)
        if path == "/long.html" and self.kind == "long":
            lines = "".join(
                f'<a href="/a{i}.html">第{i}号文件</a> (2013-11-15)<br>\n'
                for i in range(LONG_LINES)
            )
            body = page("长列表", f'<div class="list">{lines}</div>')
        elif self.kind == "flood" and match:
            n = int(match.group(1) or 0)
            nav = "".join(f'<a href="/p{k}.html">栏目{k}</a>' for k in range(1, 3))
            flood = "".join(f'<a href="/x{n}-{i}.html">x</a>' for i in range(FLOOD_LINKS))
            body = page("链接", nav + flood)
        elif match:
            n = int(match.group(1) or 0)
            body = normal_page(n)
            if n == 0 and self.kind == "long":
                body = body.replace(b"</ul>", '</ul><a href="/long.html">长列表</a>'.encode())
            if self.kind == "cookies":
                headers = [("Set-Cookie", f"c{n}_{i}={'x' * 1000}; Path=/") for i in range(50)]
        else:
            status, body = 404, page("404", "页面不存在")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def serve(kind: str, host: str) -> ThreadingHTTPServer:
    handler = type(f"{kind}Handler", (Handler,), {"kind": kind})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    # (name, server kind, crawl flags, goal)
    ("normal", "normal", {}, "baseline"),
    ("cookies (50 × 1 KB per page)", "cookies", {}, "peak ≤ 1.5 × normal"),
    (
        "link flood (3 × 600,000 links)",
        "flood",
        {"max_pages": 10, "check_budget": 10},
        "peak ≤ 2 × normal",
    ),
    (
        f"tarpit ({TARPIT_DELAY:g} s answers)",
        "tarpit",
        {"site_timeout": TARPIT_BUDGET},
        f"wall ≤ {TARPIT_BUDGET:g} s + 3 timeouts",
    ),
    ("long list (40,000 lines)", "long", {}, "wall ≤ 2 × normal, peak ≤ 2 × normal"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with TemporaryDirectory() as tmp:
        for index, (name, kind, flags, _) in enumerate(CASES):
            server = serve(kind, f"127.0.0.{60 + index}")
            url = f"http://{server.server_address[0]}:{server.server_address[1]}/"
            # A small check budget for every row: the long list's 40,000 links would otherwise
            # measure 2,000 link checks, not the page.
            settings = {
                "delay": 0.0,
                "autothrottle": False,
                "per_host": 4,
                "max_pages": 200,
                "check_budget": 100,
            }
            settings.update(flags)
            print(f"crawling {name} ...", file=sys.stderr, flush=True)
            results[name] = run_evalcrawl([url], Path(tmp), kind, measure_memory=True, **settings)
            server.shutdown()
    base = results["normal"]
    rows = [
        Row(
            "normal site",
            f"{base['wall_s']} s, {base['peak_rss_mb']} MB",
            "—",
            None,
            "baseline",
            None,
            base,
        )
    ]
    for name, _, _flags, goal in CASES[1:]:
        got = results[name]
        peak_ratio = got["peak_rss_mb"] / base["peak_rss_mb"]
        wall_ratio = got["wall_s"] / base["wall_s"]
        if name.startswith("tarpit"):
            limit = TARPIT_BUDGET + 3 * 30.0
            met, ratio = got["wall_s"] <= limit, got["wall_s"] / TARPIT_BUDGET
        elif name.startswith("long"):
            met, ratio = wall_ratio <= 2 and peak_ratio <= 2, max(wall_ratio, peak_ratio)
        elif name.startswith("link"):
            met, ratio = peak_ratio <= 2, peak_ratio
        else:
            met, ratio = peak_ratio <= 1.5, peak_ratio
        rows.append(
            Row(
                name,
                f"{got['wall_s']} s, {got['peak_rss_mb']} MB, {got['site_status']}",
                f"{base['wall_s']} s, {base['peak_rss_mb']} MB",
                ratio,
                goal,
                met,
                got,
            )
        )
    print(f"machine: {machine()}", file=sys.stderr)
    print(table(rows), file=sys.stderr)
    if args.json:
        print(json.dumps({r.measure: r.detail for r in rows}, indent=2, default=str))


if __name__ == "__main__":
    main()
