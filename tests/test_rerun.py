"""Reruns of a finished run: the same command crawls again the sites that were not measured
(an outage, a block) and the partial ones cut by failed requests, keeps the measured ones and
says so; a run in which no site was measured ends with its own exit code (4)."""

from __future__ import annotations

import socket
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from evalcrawler import pipeline
from evalcrawler.archive import rebuild_page_facts
from evalcrawler.config import load_region
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.models import Page, Site
from evalcrawler.errors import EXIT_NONE_MEASURED, EXIT_OK, EXIT_UNMEASURED, RunLockedError
from evalcrawler.spiders import failures
from evalcrawler.spiders.state import CrawlLimits, SiteState, verdict
from tests.crawling import page
from tests.databases import database
from tests.test_distributed import REDIS, forget_queue, redis_or_skip, stop, unique_queue
from tests.webserver import FixtureServer, Reply

ADDRESSES = {"alpha": "127.0.0.201", "beta": "127.0.0.202", "gamma": "127.0.0.203"}
YEAR = date.today().year
FLAGS: dict[str, Any] = {"delay": 0.0, "autothrottle": False, "max_pages": 20, "check_budget": 20}


def reserve_port(address: str) -> int:
    """A port free on ``address`` now; its server starts later (the site is down until then)."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def site_routes(name: str, failing: set[str] | None = None) -> dict[str, Any]:
    """A home page linking four pages; the paths in ``failing`` answer 503 while it holds."""
    failing = failing if failing is not None else set()

    def reply(path: str, title: str) -> Any:
        def answer(_handler: Any) -> Reply:
            if path in failing:
                return Reply(503, "busy")
            return Reply(body=page(title))

        return answer

    links = "".join(f'<a href="/{p}.html">栏目{p}</a>' for p in "abcd")
    routes: dict[str, Any] = {"/": Reply(body=page(f"{name}人民政府", links))}
    for p in "abcd":
        routes[f"/{p}.html"] = reply(f"/{p}.html", f"{name} {p}")
    return routes


def write_region(folder: Path, ports: dict[str, int]) -> Path:
    sites = [
        {
            "id": name,
            "name_zh": f"{name}县人民政府",
            "level": "county",
            "url": f"http://{a}:{ports[name]}/",
        }
        for name, a in ADDRESSES.items()
    ]
    path = folder / "region.yaml"
    path.write_text(yaml.safe_dump({"id": "rerun", "name": "Rerun", "sites": sites}), "utf-8")
    return path


def run(region: Path, db_url: str, out: Path) -> tuple[pipeline.Outcome, list[str]]:
    said: list[str] = []
    outcome = pipeline.run(str(region), db_url=db_url, out=out, say=said.append, **FLAGS)
    return outcome, said


def statuses(db_url: str, run_id: int) -> dict[str, str | None]:
    with session_scope(make_engine(db_url)) as session:
        rows = session.execute(select(Site.site_id, Site.status).where(Site.run_id == run_id))
        return {site_id: status for site_id, status in rows}


def page_paths(server: FixtureServer, since: int) -> list[str]:
    """The pages (not probes: those ask /, robots.txt … and a soft-404 path) requested after
    hit ``since``."""
    return sorted(
        {
            h.path
            for h in server.hits[since:]
            if h.path.endswith(".html") and not h.path.startswith("/evalcrawl-check-")
        }
    )


def test_outage_then_reruns_measure_the_sites_without_fresh(tmp_path: Path, db_url: str) -> None:
    ports = {name: reserve_port(address) for name, address in ADDRESSES.items()}
    region = write_region(tmp_path, ports)
    out = tmp_path / "out"
    servers: dict[str, FixtureServer] = {}
    try:
        # 1. The network is down: nothing measured, its own exit code, and the hint to rerun.
        first, said = run(region, db_url, out)
        assert said[0] == f"run {first.run_id}: rerun {YEAR}, 3 sites"
        assert first.exit_code == EXIT_NONE_MEASURED == 4
        assert first.message == (
            "none of the 3 sites could be reached, so none is ranked; check the network "
            "connection (or the site addresses) and run the same command again: it crawls "
            "again the sites not measured"
        )
        assert statuses(db_url, first.run_id) == dict.fromkeys(ADDRESSES, "unreachable")

        # 2. Two sites are back: the same command (no --fresh) crawls the three again.
        for name in ("alpha", "beta"):
            servers[name] = FixtureServer(
                ADDRESSES[name], site_routes(name), port=ports[name]
            ).start()
        second, said = run(region, db_url, out)
        assert second.run_id == first.run_id
        assert said == [
            f"run {first.run_id}: rerun {YEAR} exists; crawling again the 3 not measured "
            "(unreachable: alpha, beta, gamma), keeping the 0 measured (--fresh starts over)",
            f"scored run {first.run_id} under gov2013 (as of {date.today().isoformat()})",
        ]
        assert second.exit_code == EXIT_UNMEASURED == 3
        assert statuses(db_url, first.run_id) == {
            "alpha": "measured",
            "beta": "measured",
            "gamma": "unreachable",
        }
        for name in ("alpha", "beta"):
            assert page_paths(servers[name], 0) == ["/a.html", "/b.html", "/c.html", "/d.html"]

        # 3. The last one is back: only it is crawled; the measured ones are kept as they are.
        servers["gamma"] = FixtureServer(
            ADDRESSES["gamma"], site_routes("gamma"), port=ports["gamma"]
        ).start()
        hits = {name: len(s.hits) for name, s in servers.items()}
        third, said = run(region, db_url, out)
        assert said[0] == (
            f"run {first.run_id}: rerun {YEAR} exists; crawling again the 1 not measured "
            "(unreachable: gamma), keeping the 2 measured (--fresh starts over)"
        )
        assert third.exit_code == EXIT_OK
        assert statuses(db_url, first.run_id) == dict.fromkeys(ADDRESSES, "measured")
        assert len(servers["alpha"].hits) == hits["alpha"]
        assert len(servers["beta"].hits) == hits["beta"]
        assert page_paths(servers["gamma"], 0) == ["/a.html", "/b.html", "/c.html", "/d.html"]
        ranked = (out / "scores.csv").read_text("utf-8-sig").splitlines()[1:]
        # Three alike sites: all ranked, tied first.
        assert sorted(line.split(",")[0] for line in ranked) == ["1", "1", "1"]

        # 4. Everything measured: a rerun only re-scores.
        hits = {name: len(s.hits) for name, s in servers.items()}
        fourth, said = run(region, db_url, out)
        assert (
            said[0]
            == f"run {first.run_id}: rerun {YEAR} exists, reusing its crawl (--fresh starts over)"
        )
        assert fourth.exit_code == EXIT_OK
        assert {name: len(s.hits) for name, s in servers.items()} == hits
    finally:
        for server in servers.values():
            server.stop()


def test_a_rerun_asks_again_only_the_failed_requests_of_a_partial_site(
    tmp_path: Path, db_url: str
) -> None:
    ports = {name: reserve_port(address) for name, address in ADDRESSES.items()}
    region = write_region(tmp_path, ports)
    failing = {"/b.html", "/c.html"}
    servers = {
        name: FixtureServer(
            ADDRESSES[name], site_routes(name, failing if name == "beta" else set()), port=port
        ).start()
        for name, port in ports.items()
    }
    try:
        first, _ = run(region, db_url, tmp_path / "out")
        assert first.exit_code == EXIT_UNMEASURED
        assert first.partial == ["beta"]
        with session_scope(make_engine(db_url)) as session:
            reason = session.scalar(
                select(Site.reason).where(Site.run_id == first.run_id, Site.site_id == "beta")
            )
        assert reason == "2 of 5 page requests failed (2 × HTTP 503)"

        failing.clear()  # the server is well again
        hits = {name: len(s.hits) for name, s in servers.items()}
        second, said = run(region, db_url, tmp_path / "out")
        assert said[0] == (
            f"run {first.run_id}: rerun {YEAR} exists; crawling again the 1 not measured "
            "(partly measured after failures: beta), keeping the 2 measured (--fresh starts over)"
        )
        assert second.exit_code == EXIT_OK
        assert statuses(db_url, first.run_id) == dict.fromkeys(ADDRESSES, "measured")
        # Only the failed pages were asked again; the others and the other sites were kept.
        assert page_paths(servers["beta"], hits["beta"]) == ["/b.html", "/c.html"]
        assert len(servers["alpha"].hits) == hits["alpha"]
        with session_scope(make_engine(db_url)) as session:
            stored = session.execute(
                select(Page.url, Page.status)
                .join(Site, Site.id == Page.site_pk)
                .where(Site.run_id == first.run_id, Site.site_id == "beta")
            ).all()
        assert sorted((u.rsplit("/", 1)[1], s) for u, s in stored) == [
            ("", 200),
            ("a.html", 200),
            ("b.html", 200),
            ("c.html", 200),
            ("d.html", 200),
        ]
        # The evidence archive holds both attempts; rebuilding the facts from it takes the
        # ones the database kept (the answers of the rerun), not the failed first ones.
        rebuilt = rebuild_page_facts(make_engine(db_url), first.run_id)
        assert rebuilt.pages == len(stored) + 10  # alpha's and gamma's five pages each
        with session_scope(make_engine(db_url)) as session:
            again = session.execute(
                select(Page.url, Page.status)
                .join(Site, Site.id == Page.site_pk)
                .where(Site.run_id == first.run_id, Site.site_id == "beta")
            ).all()
        assert sorted(again) == sorted(stored)
    finally:
        for server in servers.values():
            server.stop()


def _state(**kw: Any) -> SiteState:
    state = SiteState(pk=1, site_id="x", url="http://x/", hosts=frozenset({"x"}), candidates=[])
    state.home_done = True
    for key, value in kw.items():
        setattr(state, key, value)
    return state


LIMITS = CrawlLimits(max_pages=500, check_budget=2000, site_timeout=60, maxsize=20 * 2**20)


@pytest.mark.parametrize(
    ("state", "retried"),
    [
        (_state(page_responses=10, page_failures=3), True),
        (_state(page_responses=10, page_failures=1), False),  # measured: below the share
        (_state(page_responses=10, page_failures=3, too_big=["http://x/big.html"]), True),
        (_state(page_responses=10, too_big=["http://x/big.html"]), False),  # the size limit
        (_state(page_responses=10, cut_by_time=__import__("collections").Counter(page=4)), False),
        (_state(page_responses=10, links_not_queued=400), False),  # the budgets: a note
        (_state(home_done=False, home_errors=["http://x/: connection refused"]), True),
    ],
    ids=["failed", "few-failures", "failed-and-big", "too-big", "time-budget", "budget", "down"],
)
def test_which_verdicts_a_rerun_crawls_again(state: SiteState, retried: bool) -> None:
    # The wording store.py looks for is the verdict's own (spiders/state.py).
    status, reason = verdict(state, LIMITS)
    again = status in store.NOT_MEASURED or store.cut_by_failure(status, reason)
    assert again is retried, (status, reason)


def test_pages_cut_at_the_size_limit_are_kept_by_a_rerun() -> None:
    assert store.SIZE_LIMIT_ERROR == failures.SIZE_LIMIT_REASON


def test_a_run_held_by_another_process_is_refused_before_anything_is_said(
    tmp_path: Path, default_db_url: str
) -> None:
    region = write_region(tmp_path, {name: 9 for name in ADDRESSES})
    engine = make_engine(default_db_url)
    with session_scope(engine) as session:
        run_id = store.create_run(session, load_region(str(region)), YEAR, "gov2013", None, {}).id
    store.acquire_lock(engine, run_id, "another-host:4242")
    said: list[str] = []
    with pytest.raises(RunLockedError) as refused:
        pipeline.run(str(region), db_url=default_db_url, out=tmp_path / "out", say=said.append)
    assert refused.value.message.startswith(
        f"run {run_id} of this region and year is being run by another-host:4242; "
    )
    assert said == []  # not "resuming the crawl" first


@pytest.mark.services
@pytest.mark.timeout(300, method="thread")  # a hang ends the session, not in hours
def test_a_distributed_rerun_crawls_the_unmeasured_sites_on_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evalcrawl_cmd: list[str]
) -> None:
    client = redis_or_skip()
    queue = unique_queue()
    monkeypatch.setenv("EVALCRAWL_QUEUE", queue)
    # Scored by a pool of processes, forked after the wait for the workers (as a province of
    # 20,000 pages is): the queue's connections must not follow into the forked processes.
    monkeypatch.setenv("EVALCRAWL_SCORE_PROCESSES", "2")
    ports = {name: reserve_port(address) for name, address in ADDRESSES.items()}
    region = write_region(tmp_path, ports)
    servers: dict[str, FixtureServer] = {}
    log = tmp_path / "worker.log"
    with database("postgresql", tmp_path / "db") as db_url, log.open("wb") as sink:
        worker = subprocess.Popen(
            [*evalcrawl_cmd, "worker", "--broker", REDIS],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,
        )
        try:
            said: list[str] = []
            first = pipeline.run(
                str(region), db_url=db_url, out=tmp_path / "out", workers=REDIS, **FLAGS
            )
            assert first.exit_code == EXIT_NONE_MEASURED, log.read_text()
            servers["alpha"] = FixtureServer(
                ADDRESSES["alpha"], site_routes("alpha"), port=ports["alpha"]
            ).start()
            second = pipeline.run(
                str(region),
                db_url=db_url,
                out=tmp_path / "out",
                workers=REDIS,
                say=said.append,
                **FLAGS,
            )
            assert said[0] == (
                f"run {first.run_id}: rerun {YEAR} exists; crawling again the 3 not measured "
                "(unreachable: alpha, beta, gamma), keeping the 0 measured (--fresh starts over)"
            )
            assert said[1] == f"queued 3 sites on {REDIS} (queue {queue})"
            assert second.exit_code == EXIT_UNMEASURED, log.read_text()
            assert statuses(db_url, first.run_id) == {
                "alpha": "measured",
                "beta": "unreachable",
                "gamma": "unreachable",
            }
            assert page_paths(servers["alpha"], 0) == ["/a.html", "/b.html", "/c.html", "/d.html"]
        finally:
            stop(worker)
            for server in servers.values():
                server.stop()
            forget_queue(client, queue, db_url)
            client.close()
