"""The store on SQLite and on PostgreSQL: runs, the run lock under concurrency, the crawl's
batched writer, the resume state, the facts scoring reads and the scores it stores.

Every test takes ``db_url`` and runs once per database. The crawl's facts are written by the
crawl's own writer (``DatabasePipeline``), without Scrapy: the spider's items are built here.
"""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, inspect, select, update

from evalcrawler import pipeline
from evalcrawler.cli import main
from evalcrawler.config import Region
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.db.models import Link, Measurement, Page, Run, ScoreSet, Site, SiteScore
from evalcrawler.errors import RunLockedError
from evalcrawler.facts import DatedItem, Form, FormField, LinkCheck, PageFacts, Probe
from evalcrawler.facts import Link as LinkFact
from evalcrawler.reports.data import load_report_data
from evalcrawler.spiders.pipelines import DatabasePipeline

CITY = "http://127.0.0.41/"
COUNTY = "http://127.0.0.42/"
FETCHED = datetime(2026, 11, 20, 8, 0, 0)


def region(**site_overrides: Any) -> Region:
    city = {"id": "city", "name_zh": "示范市人民政府", "level": "municipal", "url": CITY}
    city.update(site_overrides)
    return Region.model_validate(
        {
            "id": "store",
            "name": "Store",
            "name_zh": "示范市",
            "sites": [city, {"id": "county", "name_zh": "丙县", "level": "county", "url": COUNTY}],
        }
    )


def new_run(engine: Engine, reg: Region | None = None, year: int = 2026) -> int:
    with session_scope(engine) as session:
        return store.create_run(
            session, reg or region(), year, "gov2013", date(2026, 11, 20), {"crawl": {}}
        ).id


def site_pks(engine: Engine, run_id: int) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.execute(select(Site.site_id, Site.id).where(Site.run_id == run_id))
        return {site_id: pk for site_id, pk in rows}


def page(url: str, title: str, *, home: bool = False, links: int = 0, **kw: Any) -> PageFacts:
    facts = PageFacts(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        is_html=True,
        title=title,
        text=f"{title} 正文",
        is_home=home,
        fetched_at=FETCHED,
        elapsed_ms=12.5,
        links=[LinkFact(f"{url}l{i}.html", f"链接{i}", nav=i == 0) for i in range(links)],
        **kw,
    )
    return facts


def city_items(pk: int, articles: int = 3) -> list[dict[str, Any]]:
    """The facts of a small measured site: a home page with a dated list, articles, a
    search form, a link check and probes."""
    items_shown = [
        DatedItem(f"新闻{i}", f"{CITY}news/{i}.html", date(2026, 11, 10 + i), f"11-{10 + i}")
        for i in range(articles)
    ]
    home = page(
        CITY,
        "示范市人民政府",
        home=True,
        items=items_shown,
        dated_links=items_shown,
        viewport="width=device-width, initial-scale=1",
        lang="zh-CN",
        forms=[
            Form(f"{CITY}search", fields=[FormField("q")], search=True, query_field="q"),
        ],
    )
    home.links = [LinkFact(f"{CITY}news/{i}.html", f"新闻{i}", nav=False) for i in range(articles)]
    home.links.append(LinkFact(f"{CITY}notice/", "通知公告", nav=True))
    out: list[dict[str, Any]] = [{"type": "page", "site_pk": pk, "facts": home}]
    for i in range(articles):
        out.append(
            {
                "type": "page",
                "site_pk": pk,
                "facts": page(
                    f"{CITY}news/{i}.html",
                    f"新闻{i}",
                    publish_date=date(2026, 11, 10 + i),
                    depth=1,
                    referer=CITY,
                ),
            }
        )
    out.append(
        {
            "type": "check",
            "site_pk": pk,
            "check": LinkCheck(f"{CITY}files/a.pdf", 404, content_type="text/html"),
        }
    )
    for seq in range(3):
        out.append(
            {
                "type": "probe",
                "site_pk": pk,
                "probe": Probe(
                    kind="home",
                    url=CITY,
                    status=200,
                    elapsed_ms=100.0 + seq,
                    headers={"server": "nginx"},
                    seq=seq,
                ),
            }
        )
    return out


def write(engine: Engine, url: str, run_id: int, items: list[dict[str, Any]]) -> None:
    """Write items as the crawl's writer thread does (one batch)."""
    writer = DatabasePipeline(url, run_id, batch=1000, interval=1.0)
    writer.engine = engine
    writer._write(items)


def crawl(engine: Engine, url: str, run_id: int) -> None:
    """A finished crawl: the city measured, the county unreachable."""
    pks = site_pks(engine, run_id)
    items = city_items(pks["city"])
    items.append({"type": "site", "site_pk": pks["city"], "status": "measured", "reason": None})
    items.append(
        {
            "type": "site",
            "site_pk": pks["county"],
            "status": "unreachable",
            "reason": "DNS lookup failed",
        }
    )
    write(engine, url, run_id, items)
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        run.status = "crawled"
        run.crawl_date = date(2026, 11, 20)


# ----------------------------------------------------------------- runs


def test_runs_are_found_superseded_and_listed(db_url):
    engine = make_engine(db_url)
    first = new_run(engine)
    with session_scope(engine) as session:
        assert store.find_run(session, "store", 2026).id == first
        store.supersede(session, store.get_run(session, first))
    second = new_run(engine)
    crawl(engine, db_url, second)
    with session_scope(engine) as session:
        assert store.find_run(session, "store", 2026).id == second
        assert store.find_run(session, "store", 2025) is None
        rows = store.list_runs(session)
    assert [(r["id"], r["status"], r["sites"], r["pages"]) for r in rows] == [
        (first, "new (superseded)", 2, 0),
        (second, "crawled", 2, 4),
    ]
    assert rows[1]["crawl_date"] == "2026-11-20"


def test_names_and_ids_have_no_length_limit(db_url):
    """Region files set ids and names; PostgreSQL enforced VARCHAR limits SQLite ignored."""
    engine = make_engine(db_url)
    long_id = "s" * 120
    run_id = new_run(engine, region(id=long_id, name_zh="示" * 400, name="N" * 500))
    with session_scope(engine) as session:
        site = session.scalars(select(Site).where(Site.run_id == run_id, Site.site_id == long_id))
        assert site.one().name_zh == "示" * 400


# ----------------------------------------------------------------- the lock


def test_lock_is_taken_reentered_refused_and_released(db_url):
    engine = make_engine(db_url)
    run_id = new_run(engine)
    assert store.acquire_lock(engine, run_id, "host-a:1") == "host-a:1"
    assert store.acquire_lock(engine, run_id, "host-a:1") == "host-a:1"  # its own holder
    with pytest.raises(RunLockedError, match=r"being run by host-a:1; wait for it"):
        store.acquire_lock(engine, run_id, "host-b:2")
    store.release_lock(engine, run_id, "host-b:2")  # not the holder: nothing happens
    with pytest.raises(RunLockedError):
        store.acquire_lock(engine, run_id, "host-b:2")
    store.release_lock(engine, run_id, "host-a:1")
    assert store.acquire_lock(engine, run_id, "host-b:2") == "host-b:2"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _race(url: str, run_id: int, racers: int) -> list[str]:
    """``racers`` contenders, each with its own engine (its own connections, as separate
    processes have), released at the same instant; returns the owners that won."""
    engines = [make_engine(url) for _ in range(racers)]
    start = threading.Barrier(racers)
    winners: list[str] = []
    errors: list[BaseException] = []

    def contend(i: int) -> None:
        owner = f"racer-{i}:{i}"
        try:
            start.wait(30)
            winners.append(store.acquire_lock(engines[i], run_id, owner))
        except RunLockedError:
            pass
        except BaseException as exc:  # reported below, with the test's own assertion
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    return winners


@pytest.mark.parametrize("held_by", ["nobody", "a stale holder", "a dead holder"])
def test_racing_for_a_run_has_exactly_one_winner(db_url, held_by):
    """Contenders racing for one run's lock: exactly one wins, whatever state the lock was
    in (free, a heartbeat older than the stale limit, a holder process that is gone)."""
    engine = make_engine(db_url)
    run_id = new_run(engine)
    for _round in range(3):
        values: dict[str, Any] = {"lock_owner": None, "lock_heartbeat": None}
        if held_by == "a stale holder":
            values = {
                "lock_owner": "elsewhere:1",
                "lock_heartbeat": store.now() - store.LOCK_STALE - timedelta(seconds=5),
            }
        elif held_by == "a dead holder":
            values = {
                "lock_owner": f"{socket.gethostname()}:{_dead_pid()}",
                "lock_heartbeat": store.now(),
            }
        with session_scope(engine) as session:
            session.execute(update(Run).where(Run.id == run_id).values(**values))
        winners = _race(db_url, run_id, racers=6)
        assert len(winners) == 1, winners
        with session_scope(engine) as session:
            assert store.get_run(session, run_id).lock_owner == winners[0]


# ----------------------------------------------------------------- the crawl writer


def test_writer_stores_each_pages_links_with_that_page(db_url):
    """One batch of many pages: the ids that INSERT … RETURNING gives back are matched to the
    pages in the order they were sent, so every link belongs to its own page."""
    engine = make_engine(db_url)
    run_id = new_run(engine)
    pk = site_pks(engine, run_id)["city"]
    items = [
        {"type": "page", "site_pk": pk, "facts": page(f"{CITY}p{i}/", f"页{i}", links=i % 4)}
        for i in range(250)
    ]
    write(engine, db_url, run_id, items)
    write(engine, db_url, run_id, items[:10])  # a resumed crawl re-sending stored pages
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Page.id))) == 250
        rows = session.execute(select(Page.url, Link.url).join(Link, Link.page_id == Page.id))
        pairs = list(rows)
    assert len(pairs) == sum(i % 4 for i in range(250))
    assert all(link.startswith(page_url) for page_url, link in pairs)


def test_values_postgresql_refuses_are_stored_alike(db_url):
    """NUL characters (PostgreSQL text cannot hold them), NaN (not JSON; PostgreSQL refuses
    it), infinities, time zones: both databases store and give back the same."""
    engine = make_engine(db_url)
    run_id = new_run(engine)
    pk = site_pks(engine, run_id)["city"]
    facts = page(f"{CITY}a\x00b", "标\x00题", links=1, meta={"k": "v\x00"})
    facts.text = "正\x00文"
    facts.elapsed_ms = float("nan")
    facts.links[0].text = "链\x00接"
    facts.fetched_at = datetime(2026, 11, 20, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    probe = Probe(
        kind="home",
        url=CITY,
        elapsed_ms=float("nan"),
        detail={"inf": float("inf"), "nan": float("nan"), "s": "\x00"},
    )
    check = LinkCheck(f"{CITY}c", 200, content_type="text/html; " + "x" * 300)
    write(
        engine,
        db_url,
        run_id,
        [
            {"type": "page", "site_pk": pk, "facts": facts},
            {"type": "probe", "site_pk": pk, "probe": probe},
            {"type": "check", "site_pk": pk, "check": check},
        ],
    )
    with session_scope(engine) as session:
        row = session.scalars(select(Page)).one()
        assert (row.url, row.title, row.text) == (f"{CITY}ab", "标题", "正文")
        assert row.fetched_at == datetime(2026, 11, 20, 8, 0)  # UTC
        assert row.facts["elapsed_ms"] is None
        assert row.facts["meta"] == {"k": "v\x00"}  # JSON keeps it, escaped
        run = store.get_run(session, run_id)
        site = load_site_facts(session, run)[0]
    assert site.pages[0].links[0].text == "链接"
    assert site.probes[0].elapsed_ms is None
    assert site.probes[0].detail == {"inf": None, "nan": None, "s": "\x00"}
    assert len(site.checks[0].content_type) == 311


# ----------------------------------------------------------------- resume


def test_resume_state_of_an_interrupted_crawl(db_url):
    engine = make_engine(db_url)
    run_id = new_run(engine)
    pks = site_pks(engine, run_id)
    items = city_items(pks["city"], articles=2)
    write(engine, db_url, run_id, items[:2])  # the home page and one article, then a kill
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        specs = store.site_specs(session, run)
        state = store.resume_state(session, run)
        progress = store.crawl_progress(session, run_id)
    assert [s["site_id"] for s in specs] == ["city", "county"]
    city = state[pks["city"]]
    assert city["home"] == {"url": CITY, "form": asdict(items[0]["facts"].forms[0])}
    assert sorted(f["url"] for f in city["frontier"]) == [f"{CITY}news/1.html", f"{CITY}notice/"]
    assert city["page_responses"] == 2
    assert pks["county"] not in state  # nothing fetched yet: starts from its home page
    assert progress == {"pages": 2, "errors": 0, "checks": 0, "sites_done": 0, "sites": 2}
    with session_scope(engine) as session:
        store.reset_run_crawl(session, store.get_run(session, run_id))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Link.id))) == 0
        assert store.crawl_progress(session, run_id)["pages"] == 0


def test_resume_state_keeps_the_pages_whose_extraction_was_cut(db_url):
    """A page that answered but was not read (the extraction's time limit) is neither a failed
    request nor a page: a resumed crawl still names it in the site's reason."""
    engine = make_engine(db_url)
    run_id = new_run(engine)
    pk = site_pks(engine, run_id)["city"]
    cut = PageFacts(
        url=f"{CITY}slow.html",
        final_url=f"{CITY}slow.html",
        status=200,
        error="extraction took over 30 s: not read",
        content_type="text/html",
        fetched_at=FETCHED,
    )
    write(
        engine,
        db_url,
        run_id,
        [*city_items(pk, articles=1)[:1], {"type": "page", "site_pk": pk, "facts": cut}],
    )
    with session_scope(engine) as session:
        state = store.resume_state(session, store.get_run(session, run_id))[pk]
    assert state["cut"] == [(f"{CITY}slow.html", "extraction took over 30 s: not read")]
    assert (state["failed"], state["page_failures"], state["page_responses"]) == ([], 0, 2)


# ----------------------------------------------------------------- facts and scores


def test_scores_are_stored_replaced_and_loaded(db_url):
    engine = make_engine(db_url)
    run_id = new_run(engine)
    crawl(engine, db_url, run_id)
    with session_scope(engine) as session:
        facts = {f.site_id: f for f in load_site_facts(session, store.get_run(session, run_id))}
    city = facts["city"]
    assert city.pages[0].url == CITY and city.home is not None
    assert [(p.kind, p.seq) for p in city.probes] == [("home", 0), ("home", 1), ("home", 2)]
    assert city.pages[0].items[0].date == date(2026, 11, 10)
    assert facts["county"].status == "unreachable"
    assert facts["county"].reason == "DNS lookup failed"

    pipeline.score(engine, run_id, "gov2013")
    pipeline.score(engine, run_id, "gov2013")  # re-scoring replaces, never duplicates
    pipeline.score(engine, run_id, "checklist2019")
    with session_scope(engine) as session:
        sets = session.scalars(select(ScoreSet).order_by(ScoreSet.id)).all()
        assert [s.rubric_id for s in sets] == ["gov2013", "checklist2019"]
        per_site = session.execute(
            select(SiteScore.score_set_id, func.count(SiteScore.id)).group_by(
                SiteScore.score_set_id
            )
        )
        assert sorted(n for _, n in per_site) == [2, 2]
        pages = session.scalar(
            select(Measurement.value)
            .where(Measurement.metric == "pages", Measurement.score_set_id == sets[0].id)
            .join(Site, Site.id == Measurement.site_pk)
            .where(Site.site_id == "city")
        )
        assert pages == 4
    data = load_report_data(engine, run_id, "gov2013")
    assert data.site("city").status == "measured" and data.site("city").rank == 1
    assert data.site("city").measurements["home_status"].value == 200
    assert data.site("county").rank is None and not data.site("county").included
    assert data.site("city").total is not None and 0 < data.site("city").total <= 100


def test_schema_has_the_link_index(db_url):
    engine = make_engine(db_url)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("links")}
    assert indexes["ix_links_run"] == ["run_id", "id"]


# ----------------------------------------------------------------- the CLI


def test_cli_runs_score_and_report(db_url, tmp_path, monkeypatch):
    engine = make_engine(db_url)
    run_id = new_run(engine)
    crawl(engine, db_url, run_id)
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # score without --out writes to the run's folder here
    scored = runner.invoke(main, ["score", "--run", str(run_id), "--db", db_url])
    assert scored.exit_code == 3, scored.output  # the county could not be measured
    assert f"scored run {run_id} under gov2013 (as of 2026-11-20)" in scored.output
    assert "Wrote 11 files to evalcrawl-out/store-2026: scores.csv," in scored.output
    assert (tmp_path / "evalcrawl-out" / "store-2026" / "report.html").is_file()
    out = tmp_path / "out"
    reported = runner.invoke(
        main, ["report", "--run", str(run_id), "--db", db_url, "--out", str(out)]
    )
    assert reported.exit_code == 0, reported.output
    assert reported.output.startswith(f"Wrote 11 files to {out}: scores.csv, indicators.csv")
    with (out / "scores.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["rank"], r["site_id"], r["status"]) for r in rows] == [
        ("1", "city", "measured"),
        ("", "county", "unreachable"),
    ]
    listed = runner.invoke(main, ["runs", "--db", db_url])
    assert listed.exit_code == 0
    assert listed.output.splitlines()[1].split() == [
        str(run_id),
        "store",
        "2026",
        "scored",
        "2",
        "4",
        "2026-11-20",
        "gov2013",
    ]
