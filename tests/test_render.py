"""Pages fetched through a real browser (``--render auto``): Debian's chromium, scrapy-playwright.

One crawl, shared by the tests of this module, of four loopback sites (tests/scripted_sites.py)
with a 0.3 s delay: the column a script fills is measured with its items; the site behind a
challenge is measured; a page whose scripts reach for a refused address, a file: URL and a
WebSocket gets nothing from them and nothing reaches them; a site whose name rebinds to a
refused address after its first answer is rendered from the vetted answer only; every server
sees its requests one at a time, the delay apart. A crawl that renders nothing starts no
browser. (Without a browser, the same sites are in tests/test_scripted.py.)

The tests skip when Chromium or scrapy-playwright is missing, and fail instead under
``EVALCRAWL_REQUIRE_SERVICES=1`` (.ci/run installs Debian's chromium).
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.rubric import load_rubric
from evalcrawler.spiders import warc, warcread
from evalcrawler.spiders.browser import browser_problem
from tests import fakedns
from tests import scripted_sites as sites
from tests.conftest import need
from tests.crawling import run_region
from tests.webserver import FixtureServer, Reply

AS_OF = date(2026, 11, 20)
DELAY = 0.3
NETS = "127.0.0.128/26"  # 127.0.0.128–191: the sites; the sink and 127.0.1.151 are refused
SINK = "127.0.0.200"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    need(browser_problem() is None, f"a browser for rendering ({browser_problem()})")
    sink = sites.Sink(SINK)
    scripted = sites.start("127.0.0.182", sites.scripted_routes())
    routes, guarded = sites.challenge_routes()
    challenged = sites.start("127.0.0.183", routes, guarded)
    fenced = sites.start("127.0.0.184", sites.fenced_routes(sink.address))
    public = sites.start("127.0.0.151", sites.scripted_routes())
    port = public.server_address[1]
    internal = FixtureServer("127.0.1.151", {}, port=port, fallback=Reply(body="internal")).start()
    servers = {"scripted": scripted, "challenge": challenged, "fenced": fenced, "rebind": public}
    folder = tmp_path_factory.mktemp("render")
    region = [
        {"id": key, "name_zh": key, "level": "county", "url": server.url}
        for key, server in servers.items()
        if key != "rebind"
    ]
    region.append(
        {
            "id": "rebind",
            "name_zh": "rebind",
            "level": "county",
            "url": f"http://www.rebind.test:{port}/",
        }
    )
    log = folder / "lookups.txt"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALCRAWL_ADDRESS_RESOLVER", "tests.fakedns.addresses")
        mp.setenv(fakedns.LOG_ENV, str(log))
        outcome, facts, _ = run_region(
            folder, region, mp, NETS, render="auto", delay=DELAY, as_of=AS_OF
        )
    sink_address = sink.address
    for server in (*servers.values(), internal):
        server.stop()
    sink.stop()
    yield {
        "outcome": outcome,
        "facts": facts,
        "servers": servers,
        "internal": internal,
        "sink": sink,
        "sink_address": sink_address,
        "folder": folder,
        "lookups": log.read_text().split(),
    }


def metrics(facts):
    return compute_metrics(facts, load_rubric("gov2013").thresholds, AS_OF)


def test_a_list_that_scripts_fill_is_measured_when_rendered(rendered):
    site = rendered["facts"]["scripted"]
    assert (site.status, site.reason) == ("measured", None)
    page = next(p for p in site.pages if p.url.endswith("/tzgg/"))
    assert page.rendered and page.scripted is None
    base = rendered["servers"]["scripted"].url.rstrip("/")
    assert [(i.title, i.url, i.date) for i in page.items] == [
        (title, f"{base}/tzgg/{n}.html", date.fromisoformat(day))
        for n, (title, day) in enumerate(sites.NOTICES, 1)
    ]
    column = next(c for c in metrics(site).columns if c.url.endswith("/tzgg/"))
    assert (column.column, column.items, column.latest) == ("通知公告", 4, date(2026, 11, 18))
    # Pages whose HTML shows their content are not rendered.
    assert not any(p.rendered for p in site.pages if not p.url.endswith("/tzgg/"))
    # The script's JSON was fetched by the browser through the crawl, once.
    hits = [h.path for h in rendered["servers"]["scripted"].hits]
    assert hits.count("/tzgg/list.json") == 1
    assert hits.count("/tzgg/") == 2  # the plain answer, then the browser's


def test_a_challenge_site_is_measured_with_the_browser(rendered):
    site = rendered["facts"]["challenge"]
    assert (site.status, site.reason) == ("measured", None)
    home = site.home
    assert home is not None and home.rendered and home.status == 200
    assert home.challenge is None
    assert len(home.items) == 3
    column = next(c for c in metrics(site).columns if c.url.endswith("/tzgg/"))
    assert (column.items, column.latest) == (4, date(2026, 11, 18))
    values = metrics(site).values
    assert values["home_latest"].value == "2026-11-13"


def test_rendered_dom_and_raw_answers_are_both_archived(rendered):
    folder = next((rendered["folder"] / "warc").iterdir())
    site = rendered["facts"]["scripted"]
    page = next(p for p in site.pages if p.url.endswith("/tzgg/"))
    record, payload = warcread.read_record(folder, page.warc_record)
    assert record.rec_type == "conversion"
    assert "/tzgg/1.html" in payload.decode("utf-8")  # the DOM, with what the script wrote
    refers = record.rec_headers.get_header("WARC-Refers-To")
    raw = {}
    for path in warc.warc_files(folder):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    raw[rec.rec_headers.get_header("WARC-Record-ID")] = (
                        rec.rec_headers.get_header("WARC-Target-URI"),
                        rec.content_stream().read(),
                    )
    uri, body = raw[refers]  # the browser's fetch of the document: the raw answer
    assert uri == page.url and b'<ul class="list" id="list"></ul>' in body


def test_nothing_the_browser_is_refused_reaches_its_target(rendered):
    assert rendered["sink"].connections == 0  # fetch, iframe, image, preconnect, WebSocket
    site = rendered["facts"]["fenced"]
    page = next(p for p in site.pages if p.url.endswith("/fenced/"))
    assert page.rendered
    # The page's own XHR worked; the refused fetches failed in the page.
    assert "own-site-data" in page.text
    assert "fetch-refused" in page.text and "file-refused" in page.text
    assert "root:x:0" not in page.text
    sink_port = rendered["sink_address"].rsplit(":", 1)[1]
    folder = next((rendered["folder"] / "warc").iterdir())
    for path in warc.warc_files(folder):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                assert SINK not in uri and not uri.startswith("file:"), uri
                assert f":{sink_port}/" not in uri


def test_a_rebinding_name_is_rendered_from_its_vetted_address_only(rendered):
    assert rendered["internal"].hits == []
    assert rendered["lookups"].count("www.rebind.test") == 1
    site = rendered["facts"]["rebind"]
    page = next(p for p in site.pages if p.url.endswith("/tzgg/"))
    assert page.rendered and len(page.items) == 4  # its script's fetch went to 127.0.0.151


def test_politeness_per_host_holds_with_rendering(rendered):
    """Server-stamped: one request at a time per host, the delay apart (the browser's
    requests included); as in test_crawl, nine gaps in ten at least 0.8 of it and the
    typical one the delay itself."""
    for key, server in rendered["servers"].items():
        times = sorted(h.time for h in server.hits)
        gaps = sorted(b - a for a, b in itertools.pairwise(times))
        assert server.max_in_flight() <= 1, key
        assert len(gaps) >= 8, key
        assert gaps[len(gaps) // 10] >= DELAY * 0.8, (key, gaps[:5])
        assert gaps[len(gaps) // 2] >= DELAY * 0.95, (key, gaps[:5])


def test_a_crawl_that_renders_nothing_starts_no_browser(tmp_path: Path):
    need(browser_problem() is None, f"a browser for rendering ({browser_problem()})")
    server = sites.start("127.0.0.186", sites.directory_routes())
    try:
        with pytest.MonkeyPatch.context() as mp:
            _, facts, _ = run_region(
                tmp_path,
                [{"id": "plain", "name_zh": "甲", "level": "county", "url": server.url}],
                mp,
                "127.0.0.0/8",
                render="auto",
                as_of=AS_OF,
            )
    finally:
        server.stop()
    assert facts["plain"].status == "measured"
    log = (tmp_path / "out" / "crawl.log").read_text(encoding="utf-8")
    assert "starting the browser" not in log
    assert "Starting download handler" not in log  # Playwright was not even started
