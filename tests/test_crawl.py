"""Real crawls of small fixture sites on loopback: what the crawler stores.

Each test site runs on its own 127.0.0.x address. The crawl runs in a child process exactly as
in production (``evalcrawler.crawl.crawl_run``); the assertions read the database.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import asdict

import pytest

from evalcrawler.config import CrawlSettings, Region
from evalcrawler.crawl import crawl_run
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from tests.databases import backend_params, database
from tests.webserver import FixtureServer, Reply


def page(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><h1>{title}</h1>{body}</body></html>"
    )


def site_a_routes() -> dict[str, Reply]:
    nav = (
        '<div class="nav"><a href="/">首页</a><a href="/news/">政务动态</a>'
        '<a href="/notice/">通知公告</a><a href="/private/secret.html">内部</a></div>'
    )
    items = "".join(
        f'<li><a href="/news/{i}.html">新闻{i}</a><span class="date">2026-11-{10 + i}</span></li>'
        for i in range(1, 5)
    )
    return {
        "/": Reply(
            body=page(
                "甲站首页",
                nav
                + f'<ul class="list">{items}</ul>'
                + '<a href="/files/guide.pdf">下载</a><a href="/missing.html">坏链</a>'
                + '<a href="http://127.0.0.99:1/elsewhere.html">外站</a>'
                + '<form action="/search" method="get"><input name="q">'
                + "<button>搜索</button></form>",
                head='<meta name="viewport" content="width=device-width, initial-scale=1">',
            )
        ),
        "/news/": Reply(body=page("政务动态", f'<ul class="list">{items}</ul>')),
        "/notice/": Reply(body=page("通知公告", '<ul class="list"></ul><p>暂无信息</p>')),
        **{
            f"/news/{i}.html": Reply(
                body=page(f"新闻{i}", f"<p>发布时间：2026-11-{10 + i}</p><p>正文</p>")
            )
            for i in range(1, 5)
        },
        "/files/guide.pdf": Reply(body=b"%PDF-1.4 test", content_type="application/pdf"),
        "/robots.txt": Reply(
            body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        ),
        "/search": Reply(body=page("搜索结果", '<a href="/news/1.html">政府新闻1</a>')),
    }


@pytest.fixture(scope="module")
def fixture_sites():
    a = FixtureServer("127.0.0.21", site_a_routes()).start()
    b = FixtureServer("127.0.0.22", {"/": Reply(503, "down")}, fallback=Reply(503, "down")).start()
    yield a, b
    a.stop()
    b.stop()


def make_region(a: FixtureServer, b: FixtureServer) -> Region:
    return Region.model_validate(
        {
            "id": "fixture",
            "name": "Fixture",
            "sites": [
                {"id": "a", "name_zh": "甲", "level": "municipal", "url": a.url},
                {"id": "b", "name_zh": "乙", "level": "county", "url": b.url},
            ],
        }
    )


@pytest.fixture(scope="module", params=backend_params())
def crawled(request, fixture_sites, tmp_path_factory):
    """The fixture sites crawled once into SQLite and once into PostgreSQL."""
    a, b = fixture_sites
    folder = tmp_path_factory.mktemp("crawl")
    with database(request.param, folder) as db:
        yield crawl_fixture_sites(db, folder / "crawl.log", a, b)


def crawl_fixture_sites(db, log_file, a, b):
    settings = CrawlSettings(
        delay=0.0,
        probe_count=3,
        probe_timeout=5.0,
        timeout=5.0,
        allow_nets=["127.0.0.0/8"],
        keywords=["通知", "动态"],
    )
    engine = make_engine(db)
    with session_scope(engine) as session:
        run = store.create_run(
            session, make_region(a, b), 2026, "gov2013", None, {"crawl": asdict(settings)}
        )
        run_id = run.id
    crawl_run(run_id, db, log_file=log_file)
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        facts = {f.site_id: f for f in load_site_facts(session, run)}
        status = run.status
    engine.dispose()
    return status, facts, a, b


def test_run_is_crawled(crawled):
    status, facts, _, _ = crawled
    assert status == "crawled"
    assert facts["a"].status == "measured"


def test_pages_checks_and_robots(crawled):
    _, facts, a, _ = crawled
    site = facts["a"]
    paths = sorted(p.url.replace(a.url, "/") for p in site.pages)
    assert paths == [
        "/",
        "/missing.html",
        "/news/",
        "/news/1.html",
        "/news/2.html",
        "/news/3.html",
        "/news/4.html",
        "/notice/",
    ]
    missing = next(p for p in site.pages if p.url.endswith("/missing.html"))
    assert missing.status == 404
    checks = {c.url.replace(a.url, "/"): c for c in site.checks}
    assert set(checks) == {"/files/guide.pdf"}
    assert checks["/files/guide.pdf"].status == 200
    # robots.txt disallows /private/: never requested
    assert not [h for h in a.hits if h.path.startswith("/private/")]
    # the external link is not followed
    home = site.home
    assert home is not None and home.title == "甲站首页"


def test_probes(crawled):
    _, facts, _a, _ = crawled
    probes = {(p.kind, p.seq): p for p in facts["a"].probes}
    assert [probes[("home", i)].status for i in range(3)] == [200, 200, 200]
    assert probes[("robots", 0)].status == 200
    assert probes[("sitemap", 0)].status == 404
    assert probes[("soft404", 0)].status == 404
    assert probes[("https", 0)].status == 0
    assert probes[("tls", 0)].ok is False
    assert probes[("http_redirect", 0)].status == 200
    search = probes[("search", 0)]
    assert search.status == 200
    assert search.detail["query"] == "政府"
    assert any(link["text"] == "政府新闻1" for link in search.detail["links"])
    assert probes[("dns", 0)].ok is None  # IP host, allow-list mode: DNS never asked


def test_unreachable_site(crawled):
    _, facts, _, _b = crawled
    site = facts["b"]
    assert site.status == "unreachable"
    assert "answered 503" in (site.reason or "")
    assert not site.checks


def crawl_one_site(address: str, routes: dict, db_url: str, *, delay: float) -> FixtureServer:
    """Crawl one fixture site served on ``address`` with this delay (AutoThrottle off, one
    home probe); return its stopped server, which remembers every request."""
    server = FixtureServer(address, routes).start()
    try:
        region = Region.model_validate(
            {
                "id": "p",
                "name": "P",
                "sites": [{"id": "p", "name_zh": "丙", "level": "county", "url": server.url}],
            }
        )
        settings = CrawlSettings(
            delay=delay, probe_count=1, autothrottle=False, allow_nets=["127.0.0.0/8"]
        )
        with session_scope(make_engine(db_url)) as session:
            run_id = store.create_run(
                session, region, 2026, "gov2013", None, {"crawl": asdict(settings)}
            ).id
        crawl_run(run_id, db_url)
    finally:
        server.stop()
    return server


def test_the_delay_counts_from_the_previous_answer(default_db_url):
    """A host that takes 0.3 s to answer gets its next request at least --delay after the
    answer, not --delay after the previous request left: the crawler cannot squeeze two
    requests together when its event loop is late."""
    slow = 0.3
    routes = {
        "/": Reply(
            body=page("首页", "".join(f'<a href="/p{i}.html">页{i}</a>' for i in range(4))),
            delay=slow,
        ),
        **{f"/p{i}.html": Reply(body=page(f"页{i}", "<p>正文</p>"), delay=slow) for i in range(4)},
    }
    server = crawl_one_site("127.0.0.24", routes, default_db_url, delay=0.2)
    hits = sorted(server.hits, key=lambda h: h.time)
    assert sum(h.path.startswith("/p") for h in hits) == 4
    # After each slow answer: counted from the request, the gap would be the answer time
    # alone (0.3 s).
    gaps = [b.time - a.time for a, b in itertools.pairwise(hits) if a.path.split("?")[0] in routes]
    assert len(gaps) >= 5
    assert min(gaps) >= slow + 0.2 * 0.8, gaps


def test_politeness_delay_and_one_request_at_a_time(default_db_url):
    """With --delay d, requests to one host are at least d apart and never overlap."""
    routes = {
        "/": Reply(body=page("首页", "".join(f'<a href="/p{i}.html">页{i}</a>' for i in range(6)))),
        **{f"/p{i}.html": Reply(body=page(f"页{i}", "<p>正文</p>")) for i in range(6)},
    }
    server = crawl_one_site("127.0.0.23", routes, default_db_url, delay=0.25)
    assert len(server.hits) >= 12  # 7 pages, robots.txt twice, probes
    assert server.max_in_flight() == 1
    # The server stamps a request when its handler thread runs, so on a loaded machine one
    # stamp can lag and make the next gap look short; without the delay gaps are milliseconds.
    gaps = sorted(b - a for a, b in itertools.pairwise(sorted(h.time for h in server.hits)))
    assert gaps[0] >= 0.25 * 0.8, gaps
    assert gaps[len(gaps) // 2] >= 0.25 * 0.95, gaps


def test_the_crawl_child_starts_from_its_own_module(tmp_path):
    """``python -m evalcrawler.crawl`` is the crawl child; an expected failure is one line."""
    db = f"sqlite:///{tmp_path / 'none.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "evalcrawler.crawl", "--run", "99", "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        1,
        "",
        "Error: no run 99 in this database; `evalcrawl runs` lists the runs\n",
    )


def test_a_redirected_home_page_is_fetched_once(default_db_url):
    """`/` redirects to `/index.html`, whose navigation links to `/index.html` again (首页): the
    crawl fetches the home page's final URL once, not a second time as a page of its own."""
    home = page("首页", '<a href="/index.html">首页</a><a href="/a.html">页</a>')
    routes = {
        "/": Reply(301, headers={"Location": "/index.html"}),
        "/index.html": Reply(body=home),
        "/a.html": Reply(body=page("页", '<a href="/index.html">首页</a><p>正文</p>')),
    }
    server = crawl_one_site("127.0.0.25", routes, default_db_url, delay=0.0)
    # /index.html is asked for three times: the home fetch (after the redirect), the home probe
    # (probes ask the final home URL) and the end of the http→https probe's redirect. Before
    # the fix the 首页 links made a fourth request, the home page fetched again as a page.
    gets = [h.path for h in server.hits if h.method == "GET"]
    assert gets.count("/index.html") == 3, gets
    assert gets.count("/a.html") == 1, gets
