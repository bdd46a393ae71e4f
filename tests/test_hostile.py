"""The crawler on a hostile web: every way a server can be broken, in one crawl of one region.

One crawl of twenty sites (``tests/hostile.py``: one hostile case per site on its own
127.0.0.x address, and one well-behaved control site) runs once for the module, in a child
process as in production, with small budgets and timeouts. The tests then read what the
database recorded: each site's status and reason (the rules are in docs/metrics.md, "Site
status"), that the control site's facts equal those of a crawl of the control site alone,
and that politeness held on every server (one request at a time, the delay between them).

Which status is right for a case is decided in its test's docstring. The principle: a site is
``unreachable`` when its home page cannot be had; ``partial`` when the home page was fetched but
part of the site could not be (failures, size limits, crawler traps) — the reason says what;
``measured`` when the hostility was handled without losing anything (session ids stripped,
broken HTML parsed, charsets detected, binary files recognised, a Retry-After obeyed).
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.http import Request
from sqlalchemy import select

from evalcrawler.config import CrawlSettings, Region
from evalcrawler.crawl import crawl_run
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.db.models import Site
from evalcrawler.facts import SiteFacts
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.rubric import load_rubric
from evalcrawler.spiders import traps
from evalcrawler.spiders.middlewares import RetryAfterMiddleware, parse_retry_after
from tests.hostile import METADATA, RETRY_AFTER, control_routes, hostile_web
from tests.webserver import FixtureServer, Hit

DELAY = 0.2  # small, but large enough for the server-side in-flight count to be exact
TIMEOUT = 3.0  # enough for 20 MB over loopback on a loaded machine
PROBE_TIMEOUT = 2.0
SETTINGS = {
    "delay": DELAY,
    "autothrottle": False,
    "timeout": TIMEOUT,
    "probe_timeout": PROBE_TIMEOUT,
    "probe_count": 2,
    "max_pages": 40,
    "check_budget": 40,
    "allow_nets": ["127.0.0.0/8"],
    "keywords": ["通知", "动态"],
}


@dataclass
class Crawl:
    run_status: str
    facts: dict[str, SiteFacts]
    rows: dict[str, dict[str, Any]]  # site rows: crawl_state, started_at, finished_at


@dataclass
class Hostile:
    crawl: Crawl
    control_alone: Crawl
    servers: dict[str, FixtureServer]
    hits: dict[str, list[Hit]]  # each server's requests during the hostile crawl
    twin_url: str  # the control site's copy that was crawled alone


def region_of(servers: dict[str, FixtureServer]) -> Region:
    return Region.model_validate(
        {
            "id": "hostile",
            "name": "Hostile web",
            "sites": [
                {"id": site_id, "name_zh": site_id, "level": "county", "url": server.url}
                for site_id, server in servers.items()
            ],
        }
    )


def create_run(region: Region, db_path: Path) -> tuple[str, int]:
    db = f"sqlite:///{db_path}"
    settings = CrawlSettings(**SETTINGS)  # type: ignore[arg-type]
    engine = make_engine(db)
    with session_scope(engine) as session:
        run_id = store.create_run(
            session, region, 2026, "gov2013", None, {"crawl": asdict(settings)}
        ).id
    engine.dispose()
    return db, run_id


def crawled(db: str, run_id: int) -> Crawl:
    engine = make_engine(db)
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        facts = {f.site_id: f for f in load_site_facts(session, run)}
        rows = {
            s.site_id: {
                "crawl_state": s.crawl_state,
                "started_at": s.started_at,
                "finished_at": s.finished_at,
            }
            for s in session.scalars(select(Site).where(Site.run_id == run_id))
        }
        status = run.status
    engine.dispose()
    return Crawl(status, facts, rows)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile crawl, and meanwhile (a process of its own, on a copy of the control site
    at another address) the control site crawled alone."""
    folder = tmp_path_factory.mktemp("hostile")
    with hostile_web() as servers:
        routes, fallback = control_routes()
        twin = FixtureServer("127.0.0.100", routes, fallback=fallback).start()
        try:
            alone_db, alone_id = create_run(region_of({"control": twin}), folder / "alone.db")
            worker = ["evalcrawler.crawl", "--run", str(alone_id), "--db", alone_db]
            alone = subprocess.Popen([sys.executable, "-m", *worker])
            db, run_id = create_run(region_of(servers), folder / "hostile.db")
            crawl_run(run_id, db, log_file=folder / "hostile.log")
            assert alone.wait(timeout=60) == 0
        finally:
            twin.stop()
        hits = {site_id: list(server.hits) for site_id, server in servers.items()}
        yield Hostile(crawled(db, run_id), crawled(alone_db, alone_id), servers, hits, twin.url)


def url(hostile: Hostile, site_id: str, path: str = "/") -> str:
    return hostile.servers[site_id].url.rstrip("/") + path


def site(hostile: Hostile, site_id: str) -> SiteFacts:
    return hostile.crawl.facts[site_id]


def gets(hostile: Hostile, site_id: str, path: str | None = None) -> list[str]:
    """The paths (with query) of the GET requests a server got during the hostile crawl."""
    return [
        h.path
        for h in hostile.hits[site_id]
        if h.method == "GET" and (path is None or h.path == path)
    ]


def page_paths(hostile: Hostile, site_id: str) -> dict[str, Any]:
    base = url(hostile, site_id, "")
    return {p.url.removeprefix(base): p for p in site(hostile, site_id).pages}


# ----------------------------------------------------------------------------- the run


def test_the_run_finishes_and_every_site_gets_a_verdict(hostile):
    assert hostile.crawl.run_status == "crawled"
    assert {r["crawl_state"] for r in hostile.crawl.rows.values()} == {"done"}
    assert len(hostile.crawl.facts) == 20


def test_control_site_is_untouched_by_its_neighbours(hostile):
    """The well-behaved site gets exactly the facts, and the metrics, it gets crawled alone."""
    together, alone = site(hostile, "control"), hostile.control_alone.facts["control"]
    assert (together.status, together.reason) == ("measured", None)
    assert (alone.status, alone.reason) == ("measured", None)
    assert project(together, url(hostile, "control")) == project(alone, hostile.twin_url)
    rubric = load_rubric("gov2013")
    as_of = date(2026, 11, 20)
    metrics = [compute_metrics(f, rubric.thresholds, as_of).values for f in (together, alone)]
    timing = {"home_response_ms"}
    assert {k: v.value for k, v in metrics[0].items() if k not in timing} == {
        k: v.value for k, v in metrics[1].items() if k not in timing
    }
    assert metrics[0]["pages"].value == 7


def project(facts: SiteFacts, base: str) -> dict[str, Any]:
    """Everything the crawl recorded of a site except timings, with ``base``'s host written
    as ``HOST``."""
    host = urlsplit(base).netloc

    def rel(value: Any) -> Any:
        return value.replace(host, "HOST") if isinstance(value, str) else value

    return {
        "pages": sorted(
            (
                *(rel(p.url), rel(p.final_url), p.status, p.error, p.is_html, p.title),
                p.encoding,
                p.depth,
                tuple(sorted((rel(link.url), link.text) for link in p.links)),
                tuple(sorted(rel(str(d)) for d in p.dated_links)),
            )
            for p in facts.pages
        ),
        "checks": sorted((rel(c.url), c.status, c.error, c.method) for c in facts.checks),
        "probes": sorted(
            (p.kind, p.seq, rel(p.url), p.status, p.ok, p.error, rel(p.final_url))
            for p in facts.probes
        ),
    }


def test_a_silent_server_does_not_hold_up_the_other_sites(hostile):
    rows = hostile.crawl.rows
    control_done = rows["control"]["finished_at"] - rows["control"]["started_at"]
    silent_done = rows["silent"]["finished_at"] - rows["silent"]["started_at"]
    # robots.txt and the home page time out three times each (two retries), then two probes:
    # the silent site takes that long whatever the machine does; the control site, which
    # never waits for it, is done long before (on an idle machine in a few seconds).
    assert silent_done >= timedelta(seconds=6 * TIMEOUT)
    assert rows["control"]["finished_at"] < rows["silent"]["finished_at"]
    assert control_done < silent_done


def test_politeness_holds_on_every_server(hostile):
    """One request at a time per host, about --delay apart, on every hostile server.

    Scrapy's delay runs from when a request leaves the host's queue, and the server logs a
    request when its handler runs: a process that the machine does not schedule for a moment
    (the crawler between dequeuing and sending, the server before logging) makes single gaps
    short, by any amount on a busy machine. So the delay is judged over all gaps: nine in ten
    at least 0.8 of it and the typical one the delay itself (a crawler without a delay sends
    within milliseconds); the delay proper is checked on a quiet server in test_crawl. The
    silent server's handlers end only when the crawler gives up on them, and the crawler's
    next try may arrive before the server has counted the last one out: instead of its
    in-flight count, its requests must be about a (probe) timeout apart.
    """
    pooled: list[float] = []
    for site_id, hits in hostile.hits.items():
        times = sorted(h.time for h in hits)
        gaps = sorted(b - a for a, b in itertools.pairwise(times))
        if site_id == "silent":
            assert gaps and gaps[0] >= PROBE_TIMEOUT * 0.8, site_id
            continue
        assert max((h.in_flight for h in hits), default=0) <= 1, site_id
        pooled += gaps
    pooled.sort()
    assert len(pooled) > 200
    assert pooled[len(pooled) // 10] >= DELAY * 0.8, pooled[: len(pooled) // 10 + 1]
    assert pooled[len(pooled) // 2] >= DELAY * 0.9


# ------------------------------------------------------------------------ crawler traps


def test_endless_calendar_is_cut_after_a_year_of_months(hostile):
    """partial: the crawl could not follow the site everywhere (it chose not to), and says
    where; the calendar got 12 months each way, not the page budget."""
    facts = site(hostile, "calendar")
    assert facts.status == "partial"
    assert facts.reason == (
        "crawler trap: 2 URLs under /calendar/ not followed (a chain of more than 12 dated "
        "pages, each linked from the last)"
    )
    months = sorted(p for p in gets(hostile, "calendar") if p.startswith("/calendar/"))
    assert len(months) == 25  # 2026/11, and 12 months before and after it
    assert months[0] == "/calendar/2025/11/" and months[-1] == "/calendar/2027/11/"
    assert "/about.html" in page_paths(hostile, "calendar")


def test_session_ids_are_stripped_and_every_page_fetched_once(hostile):
    """measured: a page under ever new session ids is one page; nothing is lost or cut."""
    facts = site(hostile, "session")
    assert (facts.status, facts.reason) == ("measured", None)
    assert sorted(page_paths(hostile, "session")) == ["/", "/a.html", "/b.html", "/c.html?x=1"]
    for path in ("/a.html", "/b.html", "/c.html?x=1"):
        assert gets(hostile, "session", path) == [path]
    assert not [p for p in gets(hostile, "session") if re.search(r"(?i)sessionid|sid=", p)]


def test_ever_deeper_paths_are_cut(hostile):
    """partial, with both rules named: a segment repeated a third time, a 17th segment."""
    facts = site(hostile, "deep")
    assert facts.status == "partial"
    assert facts.reason == (
        "crawler trap: 1 URL under /deep/ and 1 URL under /tree/ not followed (paths deeper "
        "than 16 segments or repeating a segment more than 2 times)"
    )
    requested = gets(hostile, "deep")
    assert "/deep/sub/sub/" in requested and "/deep/sub/sub/sub/" not in requested
    deepest = max((p for p in requested if p.startswith("/tree/")), key=len)
    assert deepest.count("/") - 1 == 16


def test_the_same_page_under_endless_query_strings_is_cut(hostile):
    """partial: links of /item.html found on /item.html are cut once three of its query
    strings showed the same page."""
    facts = site(hostile, "query")
    assert facts.status == "partial"
    assert re.fullmatch(
        r"crawler trap: \d+ URLs of /item\.html not followed \(the same page under ever new "
        r"query strings\)",
        facts.reason or "",
    ), facts.reason
    assert len([p for p in gets(hostile, "query") if p.startswith("/item.html")]) <= 8


# -------------------------------------------------------------------------------- redirects


def test_redirect_loop_makes_the_site_unreachable(hostile):
    """unreachable: the home page never arrives; each hop of the loop was asked once."""
    facts = site(hostile, "redirect-loop")
    assert facts.status == "unreachable"
    assert (
        facts.reason
        == f"{url(hostile, 'redirect-loop')}: redirect loop (and 1 other address tried)"
    )
    assert gets(hostile, "redirect-loop", "/loop/a") == ["/loop/a"]
    assert gets(hostile, "redirect-loop", "/loop/b") == ["/loop/b"]


def test_long_redirect_chain_is_followed_ten_hops(hostile):
    facts = site(hostile, "redirect-chain")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"{url(hostile, 'redirect-chain')}: more than 10 redirects (and 1 other address tried)"
    )
    hops = [int(p.rsplit("/", 1)[1]) for p in gets(hostile, "redirect-chain") if "/hop/" in p]
    # The home page's chain and robots.txt's (Scrapy's redirects, limited alike) end at 10.
    assert max(hops) == 10
    assert not gets(hostile, "redirect-chain", "/final.html")


def test_redirect_to_a_private_address_is_refused(hostile):
    """unreachable: a "public" home page that sends the crawler to the cloud metadata address
    is refused by the address guard (here in allow-list mode, as in every test crawl)."""
    facts = site(hostile, "private")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"{url(hostile, 'private')} redirected to {METADATA}: refused: 169.254.169.254 is "
        "outside the allowed networks (127.0.0.0/8) (and 1 other address tried)"
    )
    assert not [p for p in facts.pages if p.status == 200]


# ------------------------------------------------------------------------------ big bodies


def test_50_mb_pages_are_cancelled_at_the_size_limit(hostile):
    """partial: two pages could not be read; the rest of the site was."""
    facts = site(hostile, "huge")
    assert facts.status == "partial"
    assert facts.reason == (
        "2 pages over the 20 MB download limit not read (/huge-stream.html, /huge.html)"
    )
    pages = page_paths(hostile, "huge")
    assert pages["/huge.html"].error == (
        "too large: 50 MB announced, more than the 20 MB download limit"
    )
    assert pages["/huge-stream.html"].error == (
        "too large: more than the 20 MB download limit received"
    )
    assert pages["/ok.html"].status == 200
    # Not retried: a size limit is no transient failure. (The streamed page must deliver
    # 20 MB within the timeout first; on a very busy machine a timeout may come first, and
    # that is retried.)
    assert gets(hostile, "huge", "/huge.html") == ["/huge.html"]
    assert 1 <= len(gets(hostile, "huge", "/huge-stream.html")) <= 3


def test_gzip_bomb_is_stopped_at_the_size_limit(hostile):
    """partial: HttpCompressionMiddleware applies the size limit to the decompressed body."""
    facts = site(hostile, "gzip-bomb")
    assert facts.status == "partial"
    assert facts.reason == "1 page over the 20 MB download limit not read (/bomb.html)"
    assert page_paths(hostile, "gzip-bomb")["/bomb.html"].error == (
        "too large: more than the 20 MB download limit once decompressed"
    )
    assert gets(hostile, "gzip-bomb", "/bomb.html") == ["/bomb.html"]


# --------------------------------------------------------------------------- broken bodies


def test_truncated_pages_count_as_failed_requests(hostile):
    """partial: half the page requests failed (a truncated body is not a page to measure)."""
    facts = site(hostile, "truncated")
    assert facts.status == "partial"
    assert facts.reason == "2 of 4 page requests failed (2 × truncated)"
    assert page_paths(hostile, "truncated")["/cut1.html"].error == (
        "truncated response (the connection closed before the whole body arrived)"
    )
    assert len(gets(hostile, "truncated", "/cut1.html")) == 3  # two retries, no more


def test_malformed_html_is_parsed(hostile):
    """measured: browsers render broken HTML and so does the parser; nothing is lost."""
    facts = site(hostile, "malformed")
    assert (facts.status, facts.reason) == ("measured", None)
    pages = page_paths(hostile, "malformed")
    assert pages["/"].title == "畸形页面"
    assert pages["/ok.html"].status == 200
    assert pages["/news/1.html"].title == "新闻一"
    requested = gets(hostile, "malformed")
    assert "/hidden.html" not in requested  # inside a comment
    assert "/x.html" not in requested  # written by a script


def test_wrong_and_missing_charsets_are_detected(hostile):
    """measured: the bytes decide the encoding when the declaration is wrong or missing."""
    facts = site(hostile, "charsets")
    assert (facts.status, facts.reason) == ("measured", None)
    pages = page_paths(hostile, "charsets")
    assert (pages["/"].title, pages["/"].encoding) == ("字符集测试首页", "gb18030")
    assert (pages["/gbk.html"].title, pages["/gbk.html"].encoding) == (
        "没有声明的国标页面",
        "gb18030",
    )
    assert (pages["/latin.html"].title, pages["/latin.html"].encoding) == (
        "声明为拉丁文的页面",
        "utf-8",
    )


def test_binary_files_served_as_html_are_files(hostile):
    """measured: a PDF or PNG behind an .html URL is a linked file (checked), not a page."""
    facts = site(hostile, "binary")
    assert (facts.status, facts.reason) == ("measured", None)
    assert sorted(page_paths(hostile, "binary")) == ["/", "/ok.html"]
    base = url(hostile, "binary", "")
    assert sorted((c.url.removeprefix(base), c.status) for c in facts.checks) == [
        ("/photo.html", 200),
        ("/report.html", 200),
    ]


def test_binary_home_page_makes_the_site_unreachable(hostile):
    facts = site(hostile, "binary-home")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"{url(hostile, 'binary-home')} is not an HTML page (binary data served as text/html) "
        "(and 1 other address tried)"
    )


# ---------------------------------------------------------------------- broken servers


def test_server_that_never_answers_times_out(hostile):
    facts = site(hostile, "silent")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"no response from {url(hostile, 'silent')}: timeout (and 1 other address tried)"
    )
    probes = [p for p in facts.probes if p.kind == "home"]
    assert [(p.status, p.error) for p in probes] == [(0, "timeout"), (0, "timeout")]
    # robots.txt is asked once per origin and never retried: a silent server costs one short
    # robots.txt timeout per address, not three page timeouts before every home candidate.
    assert gets(hostile, "silent", "/robots.txt") == ["/robots.txt"]


def test_server_that_resets_every_connection(hostile):
    facts = site(hostile, "reset")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"no response from {url(hostile, 'reset')}: connection reset (and 1 other address tried)"
    )


def test_5xx_pages_make_the_site_partial(hostile):
    """partial: 4 of 5 page requests failed even after two retries each."""
    facts = site(hostile, "server-errors")
    assert facts.status == "partial"
    assert facts.reason == "4 of 5 page requests failed (2 × HTTP 500, 2 × HTTP 503)"
    assert len(gets(hostile, "server-errors", "/e1.html")) == 3


def test_429_with_retry_after_pauses_the_host(hostile):
    """measured: the server asked to wait, the crawler waited, the page then came; the
    reason records the pause."""
    facts = site(hostile, "rate-limited")
    assert facts.status == "measured"
    assert facts.reason == (
        "the server asked to slow down once (429 or 503 with Retry-After); requests to it "
        f"were paused for up to {RETRY_AFTER} s"
    )
    assert page_paths(hostile, "rate-limited")["/busy.html"].status == 200
    hits = sorted(hostile.hits["rate-limited"], key=lambda h: h.time)
    first = next(i for i, h in enumerate(hits) if h.path == "/busy.html")
    assert hits[first + 1].time - hits[first].time >= RETRY_AFTER * 0.95
    assert [h.path for h in hits].count("/busy.html") == 2


def test_robots_txt_that_disallows_everything(hostile):
    """unreachable: the site asks not to be crawled; only robots.txt is ever requested."""
    facts = site(hostile, "robots")
    assert facts.status == "unreachable"
    assert facts.reason == (
        f"robots.txt disallows {url(hostile, 'robots')} (and 1 other address tried)"
    )
    assert [(h.method, h.path) for h in hostile.hits["robots"]] == [("GET", "/robots.txt")]


# ------------------------------------------------------------------------- unit-level rules


def test_retry_after_values():
    now = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 5 ") == 5.0
    assert parse_retry_after("Fri, 20 Nov 2026 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Fri, 20 Nov 2026 07:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None


class _Slot:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lastseen = 0.0
        self.latercall: Any = None


class _Later:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def test_retry_after_is_capped_and_holds_the_slot(monkeypatch):
    from scrapy.http import HtmlResponse

    from evalcrawler.spiders import middlewares

    now = {"t": 1000.0}
    monkeypatch.setattr(middlewares, "call_later", lambda seconds, *_: _Later(seconds))
    monkeypatch.setattr(middlewares, "monotonic", lambda: now["t"])
    slot = _Slot(delay=1.0)
    noted: list[tuple[int, float, bool]] = []

    class Downloader:
        def __init__(self) -> None:
            self.slots = {"example.gov.cn": slot}

        def get_slot_key(self, request: Request) -> str:
            return "example.gov.cn"

        def _latercall(self, slot: Any) -> None:
            raise AssertionError("not called in this test")

    class Spider:
        def note_retry_after(
            self, request: Request, status: int, seconds: float, honoured: bool = True
        ) -> None:
            noted.append((status, seconds, honoured))

    class Crawler:
        engine = type("Engine", (), {"downloader": Downloader()})()
        spider = Spider()

    mw = RetryAfterMiddleware(Crawler(), cap=300.0, max_pauses=2)  # type: ignore[arg-type]
    request = Request("http://example.gov.cn/a.html")
    answer = HtmlResponse(request.url, status=429, headers={"Retry-After": "3600"}, body=b"")
    assert mw.process_response(request, answer) is answer
    assert slot.latercall.seconds == 300.0  # capped
    assert slot.lastseen == 1000.0 + 300.0 - 1.0  # the delay counts from the pause's end
    assert noted == [(429, 300.0, True)]
    # A shorter pause while paused changes nothing; a 503 without Retry-After neither.
    short = HtmlResponse(request.url, status=503, headers={"Retry-After": "10"}, body=b"")
    mw.process_response(request, short)
    mw.process_response(request, HtmlResponse(request.url, status=503, body=b""))
    assert slot.latercall.seconds == 300.0 and noted == [(429, 300.0, True)]
    # After the pause, a second one is honoured; the third is not: the cap per host is 2.
    now["t"] = 2000.0
    mw.process_response(request, short)
    assert slot.latercall.seconds == 10.0 and noted[-1] == (503, 10.0, True)
    now["t"] = 3000.0
    later = slot.latercall
    mw.process_response(request, short)
    assert slot.latercall is later and noted[-1] == (503, 10.0, False)


def test_trap_rules_spare_ordinary_cms_urls():
    """The trap rules never cut what government CMSs ordinarily serve."""
    guard = traps.TrapGuard()
    base = "http://www.example.gov.cn"
    # One script serves every page (PHPCMS): articles found on a list page are no chain.
    lst = f"{base}/index.php?m=content&c=index&a=lists&catid=12"
    guard.saw_page(lst, f"{base}/", "list")
    for i in range(50):
        art = f"{base}/index.php?m=content&c=index&a=show&catid=12&id={i}"
        assert guard.judge(art, lst, 0) == (None, 0)
        guard.saw_page(art, lst, "信息不存在")  # the same text, but not found on itself
    # Pagination: list_2 … list_40, each found on the previous.
    for i in range(2, 40):
        assert (
            guard.judge(f"{base}/col/col1/list_{i}.html", f"{base}/col/col1/list_{i - 1}.html", 0)[
                0
            ]
            is None
        )
    # Dated article paths found on list pages; a long but ordinary path.
    assert guard.judge(f"{base}/art/2026/11/20/art_1_2.html", f"{base}/col/col1/", 0) == (None, 0)
    assert guard.judge(f"{base}/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p.html", f"{base}/", 0)[0] is None
    assert guard.cut == {}


def test_trap_rules_cut_traps():
    guard = traps.TrapGuard()
    base = "http://www.example.gov.cn"
    assert guard.judge(f"{base}/a/sub/sub/sub/", f"{base}/a/sub/sub/", 0) == (traps.DEEP, 0)
    chain = 0
    for month in range(1, 14):
        rule, chain = guard.judge(
            f"{base}/cal?y=2026&m={month + 1}", f"{base}/cal?y=2026&m={month}", chain
        )
        assert (rule is None) == (month <= traps.CALENDAR_CHAIN), month
    page = f"{base}/item.html?v=0"
    guard.saw_page(page, f"{base}/", "same")
    for v in range(1, 4):
        assert guard.judge(f"{base}/item.html?v={v}", page, 0) == (None, 0)
        guard.saw_page(f"{base}/item.html?v={v}", page, "same")
    assert guard.judge(f"{base}/item.html?v=9", page, 0) == (traps.QUERY, 0)
    assert guard.judge(f"{base}/item.html?v=9", f"{base}/", 0) == (None, 0)  # from elsewhere
