"""What bounds one site's cost: cookies, links, time, Retry-After, and the YAML files.

One crawl of four hostile loopback sites (and a well-behaved control site) runs once for the
module with small budgets; each test reads what the servers received and what the database
recorded. The YAML tests read files that would take minutes and gigabytes if expanded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalcrawler.errors import ConfigError
from evalcrawler.spiders.middlewares import MAX_COOKIES_PER_DOMAIN
from evalcrawler.yamlfile import MAX_ALIASES, parse_yaml
from tests.crawling import page, run_region
from tests.webserver import FixtureServer, Handler, Reply

COOKIE_BYTES = 1000  # 50 of them fit under Python's 64 KB header line limit; 100 do not
COOKIE_PAGES = 12
TARPIT_DELAY = 2.0
TARPIT_PAGES = 30
SITE_TIMEOUT = 10.0  # the tarpit needs a minute; the others finish in about 5 s on a loaded machine
RETRY_PAGES = 4
FLOOD_LINKS = 20_000
BUDGET = 5


def cookie_page(handler: Handler) -> Reply | None:
    """Page n sets 50 new cookies of 1 KB and links to page n + 1."""
    path = handler.path.split("?")[0]
    match = re.fullmatch(r"/(?:p(\d+)\.html)?", path)
    if match is None:
        return Reply(404, page("404"))
    n = int(match.group(1) or 0)
    body = page(f"第{n}页", f'<a href="/p{n + 1}.html">下一篇</a>').encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    for i in range(50):
        handler.send_header("Set-Cookie", f"c{n}_{i}={'x' * COOKIE_BYTES}; Path=/")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    return None


def links(n: int, prefix: str) -> str:
    return "".join(f'<a href="/{prefix}/{i}.html">条目{i}</a> ' for i in range(n))


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounds")
    servers = {
        "cookies": FixtureServer("127.0.0.171", {}, fallback=cookie_page),
        "tarpit": FixtureServer(
            "127.0.0.172",
            {"/": Reply(body=page("首页", links(TARPIT_PAGES, "t")), delay=TARPIT_DELAY)},
            fallback=Reply(body=page("慢"), delay=TARPIT_DELAY),
        ),
        "retry": FixtureServer(
            "127.0.0.173",
            {"/": Reply(body=page("首页", links(RETRY_PAGES, "r")))},
            fallback=Reply(503, page("稍后"), headers={"Retry-After": "1"}),
        ),
        "flood": FixtureServer(
            "127.0.0.174",
            {"/": Reply(body=page("首页", links(FLOOD_LINKS, "f")))},
            fallback=Reply(body=page("条目")),
        ),
        "control": FixtureServer(
            "127.0.0.175",
            {"/": Reply(body=page("首页", '<a href="/a.html">政务动态</a>'))},
            fallback=Reply(body=page("动态")),
        ),
    }
    for server in servers.values():
        server.start()
    monkeypatch = pytest.MonkeyPatch()
    try:
        _, facts, _ = run_region(
            folder,
            [
                {"id": name, "name_zh": name, "level": "county", "url": server.url}
                for name, server in servers.items()
            ],
            monkeypatch,
            "127.0.0.0/8",
            max_pages=max(BUDGET, COOKIE_PAGES),
            check_budget=BUDGET,
            site_timeout=SITE_TIMEOUT,
        )
        yield facts, servers
    finally:
        monkeypatch.undo()
        for server in servers.values():
            server.stop()


def test_a_site_holds_at_most_50_cookies_per_domain(bounded):
    """Every page sets 50 new cookies: the crawler keeps 50, so every request carries at most
    50 (without the cap the 3rd page's request carried 100 and the server refused it)."""
    facts, servers = bounded
    sent = [h.headers.get("Cookie", "") for h in servers["cookies"].hits]
    assert max(len(c.split("; ")) for c in sent if c) == MAX_COOKIES_PER_DOMAIN
    assert max(len(c) for c in sent) < (COOKIE_BYTES + 10) * MAX_COOKIES_PER_DOMAIN
    site = facts["cookies"]
    assert site.status == "measured", site.reason
    assert {p.status for p in site.pages} == {200}
    assert len(site.pages) == COOKIE_PAGES


def test_a_tarpit_is_cut_by_the_site_time_budget(bounded):
    facts, servers = bounded
    site = facts["tarpit"]
    assert site.status == "partial"
    assert site.reason.startswith(f"the site's time budget of {SITE_TIMEOUT:g} s ran out: ")
    pages = [h for h in servers["tarpit"].hits if h.path.startswith("/t/")]
    assert len(pages) < TARPIT_PAGES / 2
    assert len(site.pages) >= 1  # the home page was measured


def test_retry_after_is_honoured_three_times_per_host(bounded):
    facts, _ = bounded
    site = facts["retry"]
    # Three pauses in all for the host (robots.txt's answer may have taken one of them).
    honoured = re.search(r"the server asked to slow down (once|\d times) \(429", site.reason)
    assert honoured is not None, site.reason
    assert honoured.group(1) in ("once", "2 times", "3 times")
    assert re.search(r"; \d+ later Retry-After answers were not honoured", site.reason)


def test_links_beyond_the_budgets_are_counted_not_queued(bounded):
    facts, servers = bounded
    site = facts["flood"]
    assert site.status == "measured"
    assert "further links were counted, not queued" in site.reason
    fetched = [h for h in servers["flood"].hits if h.path.startswith("/f/")]
    assert len(fetched) <= max(BUDGET, COOKIE_PAGES) + BUDGET


def test_the_control_site_is_measured_in_full(bounded):
    facts, _ = bounded
    site = facts["control"]
    assert site.status == "measured" and site.reason is None
    assert sorted(p.url.rsplit("/", 1)[1] for p in site.pages) == ["", "a.html"]


# ---------------------------------------------------------------------------------- YAML


def test_many_aliases_are_refused():
    anchors = "base: &b {x: 1}\n" + "".join(f"k{i}: *b\n" for i in range(MAX_ALIASES + 1))
    with pytest.raises(ConfigError) as refused:
        parse_yaml(anchors, ConfigError, "r.yaml")
    assert str(refused.value) == (
        f"r.yaml:{MAX_ALIASES + 2}: more than {MAX_ALIASES} YAML aliases (*name); write the "
        "values out instead"
    )


def test_a_recursive_alias_is_refused():
    with pytest.raises(ConfigError) as refused:
        parse_yaml("a: &a [1, *a]\n", ConfigError, "r.yaml")
    assert str(refused.value) == (
        "r.yaml:1: a YAML alias refers to a value that contains it; write the values out"
    )


def test_a_few_aliases_still_work_and_lines_are_kept(tmp_path: Path):
    loaded = parse_yaml("base: &b [1, 2]\none: *b\ntwo:\n  - *b\n", ConfigError, "r.yaml")
    assert loaded.data == {"base": [1, 2], "one": [1, 2], "two": [[1, 2]]}
    assert loaded.lines[("one",)] == 2 and loaded.lines[("two", 0)] == 4


# ------------------------------------------------------------------- the page budget


def test_the_page_budget_counts_pages_that_answered_and_broken_links_the_check_budget(
    tmp_path, monkeypatch
):
    """The home page's twelve dead links are named by the rubric's keywords (政务动态, so they
    are fetched first) and its five live ones are not. With --max-pages 6 the crawl still
    fetches the home page and all five live pages: the dead targets (404) count against the
    check budget, not the page budget (before, they used it up)."""
    from evalcrawler.db import make_engine, session_scope, store

    dead = "".join(f'<a href="/dead{i}.html">政务动态{i}</a> ' for i in range(12))
    live = "".join(f'<a href="/live{i}.html">其他{i}</a> ' for i in range(5))
    server = FixtureServer(
        "127.0.0.176",
        {"/": Reply(body=page("首页", dead + live))}
        | {f"/live{i}.html": Reply(body=page(f"栏目{i}")) for i in range(5)},
    ).start()
    try:
        outcome, facts, db = run_region(
            tmp_path,
            [{"id": "dead", "name_zh": "甲", "level": "county", "url": server.url}],
            monkeypatch,
            "127.0.0.0/8",
            max_pages=6,
            check_budget=30,
        )
    finally:
        server.stop()
    site = facts["dead"]
    ok = sorted(p.url.rsplit("/", 1)[1] for p in site.pages if p.status == 200)
    assert ok == ["", "live0.html", "live1.html", "live2.html", "live3.html", "live4.html"]
    assert len([p for p in site.pages if p.status == 404]) == 12
    with session_scope(make_engine(db)) as session:
        progress = store.crawl_progress(session, outcome.run_id)
        listed = store.list_runs(session)[0]
    assert (progress["pages"], progress["errors"]) == (6, 12)
    assert listed["pages"] == 6
