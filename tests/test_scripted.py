"""Sites that scripts fill or firewalls guard, crawled without a browser (``--render never``).

One crawl of three loopback sites (tests/scripted_sites.py), the whole pipeline: the
directory whose list comes from a getDocuments endpoint is measured with the endpoint's items;
the column a script fills is "needs rendering" in the site's reason and never a blank column;
the site behind a challenge is ``blocked`` (not unreachable), neither vetoed nor ranked, and
the run exits 3. The same sites crawled with the browser are in tests/test_render.py.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from evalcrawler.archive import rebuild_page_facts
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.errors import EXIT_UNMEASURED
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.rubric import load_rubric
from evalcrawler.spiders.challenge import challenge
from tests import scripted_sites as sites
from tests.crawling import run_region

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    directory = sites.start("127.0.0.181", sites.directory_routes())
    scripted = sites.start("127.0.0.182", sites.scripted_routes())
    routes, guarded = sites.challenge_routes()
    challenged = sites.start("127.0.0.183", routes, guarded)
    servers = {"directory": directory, "scripted": scripted, "challenge": challenged}
    folder = tmp_path_factory.mktemp("scripted")
    region = [
        {"id": key, "name_zh": key, "level": "county", "url": server.url}
        for key, server in servers.items()
    ]
    with pytest.MonkeyPatch.context() as mp:
        outcome, facts, db = run_region(
            folder, region, mp, "127.0.0.0/8", render="never", as_of=AS_OF
        )
    for server in servers.values():
        server.stop()
    yield outcome, facts, db, servers, folder


def metrics(facts):
    return compute_metrics(facts, load_rubric("gov2013").thresholds, AS_OF)


def test_the_endpoint_directory_is_measured_with_the_endpoints_items(crawl):
    _, facts, _, servers, _ = crawl
    site = facts["directory"]
    base = servers["directory"].url.rstrip("/")
    page_url = f"{base}/fzlm/gkmlpt/zdgk/index.shtml?chan=25"
    assert (site.status, site.reason) == ("measured", None)
    answers = [p for p in site.pages if p.list_of]
    assert len(answers) == 1
    answer = answers[0]
    assert answer.url == (
        f"{base}/intertidwebapp/govChanInfo/getDocuments?pageIndex=1&pageSize=20&siteId=1&chanId=25"
    )
    assert answer.list_of == page_url
    # openTime in milliseconds, 10:00 China Standard Time.
    assert [(i.title, i.url, i.date) for i in answer.items] == [
        (title, f"{base}/fzlm/gkmlpt/content/{n}.html", date.fromisoformat(day))
        for n, (title, day, _) in enumerate(sites.DOCUMENTS, 1)
    ]
    found = metrics(site)
    column = next(c for c in found.columns if c.url == page_url)
    assert (column.column, column.items, column.latest, column.blank) == (
        "法定主动公开内容",
        3,
        date(2026, 11, 12),
        False,
    )
    # The endpoint's records are followed as the page's links: the articles were fetched.
    fetched = {p.url for p in site.pages if p.status == 200}
    assert {f"{base}/fzlm/gkmlpt/content/{n}.html" for n in (1, 2, 3)} <= fetched


def test_the_endpoint_answer_is_rebuilt_from_the_archive(crawl):
    outcome, _, db, _, _ = crawl
    engine = make_engine(db)
    rebuild_page_facts(engine, outcome.run_id)
    with session_scope(engine) as session:
        rebuilt = {
            f.site_id: f for f in load_site_facts(session, store.get_run(session, outcome.run_id))
        }
    answer = next(p for p in rebuilt["directory"].pages if p.list_of)
    assert [i.date for i in answer.items] == [
        date(2026, 11, 12),
        date(2026, 9, 30),
        date(2026, 8, 15),
    ]
    assert answer.list_of.endswith("/fzlm/gkmlpt/zdgk/index.shtml?chan=25")


def test_a_list_that_scripts_fill_needs_rendering_and_is_not_blank(crawl):
    _, facts, _, _, _ = crawl
    site = facts["scripted"]
    assert site.status == "measured"
    assert site.reason == (
        "needs rendering: 1 page that scripts fill was not rendered, so what they list is "
        "not measured (/tzgg/)"
    )
    page = next(p for p in site.pages if p.url.endswith("/tzgg/"))
    assert (
        page.scripted
        == "its list container is empty and its scripts fill the page (fetch, innerHTML)"
    )
    assert not page.rendered and page.items == []
    found = metrics(site)
    assert (
        found.values["columns_blank"].value == 0
    )  # an empty <ul> a script fills is no blank column
    assert not any(c.url.endswith("/tzgg/") for c in found.columns)


def test_a_challenge_site_is_blocked_without_a_browser(crawl):
    outcome, facts, _, servers, folder = crawl
    site = facts["challenge"]
    url = servers["challenge"].url
    assert site.status == "blocked"
    assert site.reason == (
        f"{url} answered an anti-bot challenge: HTTP 412 with a script that sets a cookie and "
        "reloads the page; not rendered (--render never) (and 1 other address tried)"
    )
    # Only the challenge was ever seen: every request got 412.
    assert {h.path for h in servers["challenge"].hits} <= {"/", "/robots.txt"}
    assert outcome.blocked == ["challenge"]
    assert outcome.exit_code == EXIT_UNMEASURED
    with (folder / "out" / "scores.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["site_id"]: r for r in csv.DictReader(fh)}
    assert (rows["challenge"]["status"], rows["challenge"]["rank"], rows["challenge"]["total"]) == (
        "blocked",
        "",
        "",
    )
    assert rows["challenge"]["veto"] in ("", "False", "false", "0")
    assert rows["directory"]["rank"] and rows["scripted"]["rank"]
    html = (folder / "out" / "report.html").read_text(encoding="utf-8")
    assert "访问被拦截" in html


def test_challenge_recognition() -> None:
    reload = b'<script>document.cookie="a=1; path=/";location.reload();</script>'
    assert challenge(412, reload, "") == (
        "HTTP 412 with a script that sets a cookie and reloads the page"
    )
    assert challenge(521, b"<script>document.cookie=('__jsl_clearance=1');</script>", "") == (
        "HTTP 521 with a cookie challenge (__jsl_clearance)"
    )
    assert challenge(202, b"<script>$_ts=window['$_ts'];</script>", "") == (
        "HTTP 202 with a script challenge ($_ts)"
    )
    assert challenge(200, reload, "") is not None  # a 2xx page that shows nothing else
    assert challenge(200, reload, "正文" * 200) is None  # a page that shows its content
    assert challenge(404, reload, "") is None
    assert challenge(412, b"<html><body>Precondition Failed</body></html>", "") is None


def test_render_always_without_a_browser_is_refused_before_crawling(tmp_path, monkeypatch):
    from evalcrawler import pipeline
    from evalcrawler.errors import ConfigError

    monkeypatch.setenv("EVALCRAWL_CHROMIUM", str(tmp_path / "no-such-chromium"))
    region = tmp_path / "region.yaml"
    region.write_text(
        "id: r\nname: R\nsites:\n  - {id: a, name_zh: 甲, level: county, url: http://127.0.0.1:9/}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        pipeline.run(
            str(region), db_url=f"sqlite:///{tmp_path / 'x.db'}", out=None, render="always"
        )
    assert caught.value.message == (
        f"--render always needs a browser: EVALCRAWL_CHROMIUM={tmp_path / 'no-such-chromium'} "
        "is not an executable; or use --render auto"
    )
    assert not (tmp_path / "x.db").exists()  # refused before anything was stored


def test_render_js_in_the_region_file_reaches_the_spider(tmp_path):
    from evalcrawler.config import load_region
    from evalcrawler.errors import ConfigError
    from evalcrawler.spiders.rendering import RenderingMixin

    path = tmp_path / "region.yaml"
    site = "  - {id: a, name_zh: 甲, level: county, url: http://a.gov.cn/, render: %s}\n"
    path.write_text("id: r\nname: R\nsites:\n" + site % "js", encoding="utf-8")
    region = load_region(str(path))
    assert region.sites[0].render == "js"
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with session_scope(engine) as session:
        run = store.create_run(session, region, 2026, "gov2013", None, {"crawl": {}})
        assert [s["render"] for s in store.site_specs(session, run)] == ["js"]
    spider = RenderingMixin()
    for crawl, wanted in (("auto", "always"), ("always", "always"), ("never", "never")):
        spider.render_mode = crawl
        assert spider.site_render_mode({"render": "js"}) == wanted
        assert spider.site_render_mode({"render": None}) == crawl
    path.write_text("id: r\nname: R\nsites:\n" + site % "browser", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_region(str(path))
    assert caught.value.message == f"{path}:4: sites[0].render: must be one of 'js'"
