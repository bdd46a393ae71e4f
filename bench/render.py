"""Benchmark rendering: pages/s and peak memory of a crawl with the browser, against the same
site crawled without it, in the same run.

Not a test (timings depend on the machine): run it and read the table. A loopback site of
column pages whose lists a script fills from a JSON file (and their articles) is crawled three
times, as ``evalcrawl crawl`` does (``evalcrawler.crawl.crawl_run``: a child process, SQLite,
robots.txt, probes, the evidence archive), delay 0:

* ``never``: no browser; the lists are "needs rendering";
* ``auto``: the column pages (their lists are empty in the HTML) are fetched again through
  the browser; the articles are not;
* ``always``: every page through the browser.

Pages/s = 2xx HTML pages stored / wall time of the whole crawl (child start-up included).
Peak memory = the largest sum, sampled every 0.1 s, of the proportional set size (PSS: shared
pages split between the processes that share them) of the crawl child and every process under
it (Playwright's driver, Chromium's processes). Needs Chromium
(``apt-get install chromium``).

    .venv/bin/python bench/render.py            # 20 columns × 5 articles, about 2 minutes
    .venv/bin/python bench/render.py --columns 5 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ADDRESS = "127.0.0.90"


def site(columns: int, articles: int) -> dict[str, tuple[str, bytes]]:
    """path → (content type, body) of the benchmark site."""

    def page(title: str, body: str) -> bytes:
        return (
            f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}'
            f"</title></head><body><h1>{title}</h1>{body}</body></html>"
        ).encode()

    html = "text/html; charset=utf-8"
    nav = "".join(f'<a href="/c{c}/">栏目{c}</a>' for c in range(columns))
    items = "".join(
        f'<li><a href="/c0/{i}.html">要闻{i}</a><span>2026-11-{10 + i}</span></li>'
        for i in range(3)
    )
    out = {
        "/": (html, page("首页", f'<div class="nav">{nav}</div><ul class="list">{items}</ul>')),
        "/robots.txt": ("text/plain", b"User-agent: *\n"),
    }
    script = (
        '<ul class="list" id="list"></ul><script>fetch("list.json").then(function (r) {'
        " return r.json(); }).then(function (rows) { document.getElementById('list')"
        ".innerHTML = rows.map(function (x) { return '<li><a href=\"' + x.u + '\">' + x.t +"
        " '</a><span>' + x.d + '</span></li>'; }).join(''); });</script>"
    )
    for c in range(columns):
        out[f"/c{c}/"] = (html, page(f"栏目{c}", script))
        rows = [
            {"u": f"/c{c}/{i}.html", "t": f"栏目{c}文章{i}", "d": f"2026-11-{1 + i:02d}"}
            for i in range(articles)
        ]
        out[f"/c{c}/list.json"] = ("application/json", json.dumps(rows).encode())
        for i in range(articles):
            body = f"<p>发布时间：2026-11-{1 + i:02d}</p><p>{'正文。' * 40}</p>"
            out[f"/c{c}/{i}.html"] = (html, page(f"栏目{c}文章{i}", body))
    return out


def serve(routes: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            found = routes.get(self.path.split("?", 1)[0])
            status, (ctype, body) = (200, found) if found else (404, ("text/html", b"404"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

    server = ThreadingHTTPServer((ADDRESS, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class TreeRss:
    """The peak, over 0.1 s samples, of the summed PSS of this process's crawl child and all
    the processes under it (the browser's included)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        import os

        me = os.getpid()
        while not self._stop.wait(0.1):
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                    # PSS: memory shared by Chromium's processes is counted once in all.
                    for line in (entry / "smaps_rollup").read_text().splitlines():
                        if line.startswith("Pss:"):
                            rss[int(entry.name)] = int(line.split()[1])
            tree = {me}
            grew = True
            while grew:
                grew = False
                for pid, ppid in parents.items():
                    if ppid in tree and pid not in tree:
                        tree.add(pid)
                        grew = True
            tree.discard(me)
            self.peak_kb = max(self.peak_kb, sum(rss.get(pid, 0) for pid in tree))


def crawl(url: str, workdir: Path, mode: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from evalcrawler.config import CrawlSettings, Region
    from evalcrawler.crawl import crawl_run
    from evalcrawler.db import make_engine, session_scope, store
    from evalcrawler.db.models import Page

    folder = workdir / mode
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = f"sqlite:///{folder / 'bench.db'}"
    region = Region.model_validate(
        {
            "id": "r",
            "name": "R",
            "sites": [{"id": "s", "name_zh": "甲", "level": "county", "url": url}],
        }
    )
    settings = CrawlSettings(
        delay=0.0,
        autothrottle=False,
        probe_count=1,
        allow_nets=[f"{ADDRESS}/32"],
        render=mode,
        warc_dir=str(folder / "warc"),
    )
    engine = make_engine(db)
    with session_scope(engine) as session:
        run_id = store.create_run(
            session, region, 2026, "gov2013", None, {"crawl": asdict(settings)}
        ).id
    with TreeRss() as peak:
        started = time.monotonic()
        crawl_run(run_id, db, log_file=folder / "crawl.log")
        wall = time.monotonic() - started
    with session_scope(engine) as session:
        ok = Page.status.between(200, 299) & Page.is_html.is_(True) & (Page.run_id == run_id)
        pages = session.scalar(select(func.count(Page.id)).where(ok)) or 0
        rows = session.scalars(select(Page.facts).where(ok)).all()
    engine.dispose()
    rendered = sum(1 for f in rows if (f or {}).get("rendered"))
    return {
        "mode": mode,
        "pages": pages,
        "rendered": rendered,
        "wall_s": round(wall, 2),
        "pages_per_s": round(pages / wall, 2),
        "peak_mb": round(peak.peak_kb / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    from evalcrawler.spiders.browser import browser_problem

    problem = browser_problem()
    if problem:
        print(f"cannot render: {problem}", file=sys.stderr)
        return 1
    server = serve(site(args.columns, args.articles))
    url = f"http://{ADDRESS}:{server.server_address[1]}/"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("never", "auto", "always"):
            rows.append(crawl(url, Path(tmp), mode))
    server.shutdown()
    base = rows[0]
    for row in rows:
        row["speed_vs_never"] = round(row["pages_per_s"] / base["pages_per_s"], 3)
        row["memory_vs_never"] = round(row["peak_mb"] / base["peak_mb"], 2)
    if args.json:
        print(json.dumps({"date": date.today().isoformat(), "rows": rows}, indent=2))
        return 0
    head = f"{'render':8} {'pages':>5} {'rendered':>8} {'wall s':>7} {'pages/s':>8} {'peak MB':>8}"
    print(head + "  vs never (speed, memory)")
    for r in rows:
        print(
            f"{r['mode']:8} {r['pages']:>5} {r['rendered']:>8} {r['wall_s']:>7} "
            f"{r['pages_per_s']:>8} {r['peak_mb']:>8}  "
            f"{r['speed_vs_never']}, {r['memory_vs_never']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
