"""Interrupted runs: SIGINT and SIGTERM stop cleanly, SIGKILL loses only what was in flight,
running the same command again resumes to exactly the results of an uninterrupted run, and a
second run of the same (region, year) is refused while the first holds the lock.

The story: ``evalcrawl run`` in a subprocess (its own session, as a scheduler starts it) on the
demo region, into its own database, with ``--delay 0.02`` so that the crawl lasts long enough
to be interrupted; stopped with Ctrl-C (while a second run of the same region is tried),
SIGTERM and SIGKILL, at ever later points, and resumed each time by the same command. The
uninterrupted run to compare the end with is the session's demo crawl (``demo_crawl``; its
demo web was served on another port, which is all that differs in the URLs).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from evalcrawler.config import Region, load_region
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.models import (
    IndicatorScore,
    Link,
    LinkCheck,
    Measurement,
    Page,
    Probe,
    Run,
    ScoreSet,
    Site,
    SiteScore,
    url_hash,
)
from evalcrawler.demo import free_port
from evalcrawler.scoring.rubric import load_rubric
from tests.demo_fixtures import write_demo_region

TIMING = {"home_response_ms"}  # the one metric that differs between any two crawls
TIMED = {  # indicators of that metric: their values differ too (their scores do not, here)
    i.id for i in load_rubric("gov2013").indicators if getattr(i.measure, "metric", None) in TIMING
}
LOCK_MESSAGE = (
    "Error: run 1 of this region and year is being run by {holder}; wait for it to finish or "
    "stop it (a lock is released when its holder stops; a crashed holder's lock is taken over "
    "after 90 s)"
)
STOPPED = "Error: stopped; what was crawled is stored. Run the same command again to resume run 1"
PROGRESS = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d crawling: \d/7 sites done, \d+ pages, \d+ links checked, "
    r"\d+ errors, \d+m\d\ds$"
)

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")


@dataclass
class Job:
    cmd: list[str]
    db_url: str
    work: Path
    port: int  # of the demo web


def job(evalcrawl_cmd: list[str], work: Path) -> Job:
    # A port free now (not the session demo crawl's, which another process may have taken
    # meanwhile), away from the ports other tests start searching at.
    port = free_port(19300)
    region = write_demo_region(work, port)
    db_url = f"sqlite:///{work / 'evalcrawl.db'}"
    cmd = [
        *evalcrawl_cmd,
        "run",
        "--region",
        str(region),
        "--db",
        db_url,
        "--out",
        str(work / "out"),
        "--year",  # this year only: the demo's year before is not crawled first
        "2026",
        "--delay",
        "0.05",  # slow enough that each signal lands mid-crawl on an idle machine
    ]
    return Job(cmd, db_url, work, port)


def start(j: Job) -> subprocess.Popen[str]:
    return subprocess.Popen(
        j.cmd,
        cwd=j.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as cron or systemd start it: not in the test's process group
    )


def finish(j: Job, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        j.cmd, cwd=j.work, capture_output=True, text=True, timeout=timeout, check=False
    )


def stored_pages(j: Job) -> int:
    if not (j.work / "evalcrawl.db").exists():
        return 0
    engine = make_engine(j.db_url)
    with session_scope(engine) as session:
        count = session.scalar(select(func.count(Page.id))) or 0
    engine.dispose()
    return count


def wait_for_pages(j: Job, proc: subprocess.Popen[str], more: int, timeout: float = 60) -> int:
    """Wait until this process has stored ``more`` pages beyond those stored before it."""
    before = stored_pages(j)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        stored = stored_pages(j)
        if stored >= before + more:
            return stored
        time.sleep(0.1)
    raise AssertionError(f"the run did not store {more} more pages in {timeout} s")


def crawl_workers(db_url: str) -> list[int]:
    """Pids of the crawl processes of this database (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"evalcrawler.crawl" in cmdline and db_url.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie has stopped; its parent (init) reaps it


def run_row(db_url: str) -> dict[str, Any]:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run = session.scalars(select(Run)).one()
        row = {"status": run.status, "lock_owner": run.lock_owner, "id": run.id}
    engine.dispose()
    return row


def results(db_url: str, run_id: int) -> dict[str, Any]:
    """What a run ends with: pages, checks, probes, measurements, indicator and site scores."""
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        sites = {
            pk: site_id
            for pk, site_id in session.execute(
                select(Site.id, Site.site_id).where(Site.run_id == run_id)
            )
        }
        score_set = session.scalars(
            select(ScoreSet).where(ScoreSet.run_id == run_id, ScoreSet.rubric_id == "gov2013")
        ).one()
        out = {
            "sites": sorted(
                (s.site_id, s.status, s.reason, s.crawl_state)
                for s in session.scalars(select(Site).where(Site.run_id == run_id))
            ),
            "pages": sorted(
                (sites[p.site_pk], p.url, p.status, p.error, p.final_url)
                for p in session.scalars(select(Page).where(Page.run_id == run_id))
            ),
            "checks": sorted(
                (sites[c.site_pk], c.url, c.status, c.error)
                for c in session.scalars(select(LinkCheck).where(LinkCheck.run_id == run_id))
            ),
            "probes": sorted(
                (sites[p.site_pk], p.kind, p.seq, p.status, p.ok, p.error)
                for p in session.scalars(select(Probe).where(Probe.run_id == run_id))
            ),
            "links": session.scalar(select(func.count(Link.id)).where(Link.run_id == run_id)),
            "measurements": sorted(
                (sites[m.site_pk], m.metric, repr(m.value), m.reason)
                for m in session.scalars(
                    select(Measurement).where(Measurement.score_set_id == score_set.id)
                )
                if m.metric not in TIMING
            ),
            "indicators": sorted(
                (
                    sites[i.site_pk],
                    i.indicator_id,
                    i.score,
                    i.status,
                    None if i.indicator_id in TIMED else repr(i.value),
                )
                for i in session.scalars(
                    select(IndicatorScore).where(IndicatorScore.score_set_id == score_set.id)
                )
            ),
            "scores": sorted(
                (sites[s.site_pk], s.rank, s.total, sorted(s.categories.items()), s.veto)
                for s in session.scalars(
                    select(SiteScore).where(SiteScore.score_set_id == score_set.id)
                )
            ),
        }
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def reference(demo_crawl) -> tuple[dict[str, Any], int]:
    """The uninterrupted run's results, and the port its demo web was served on."""
    port = urlsplit(load_region(str(demo_crawl.region_file)).sites[0].url).port
    assert port is not None
    return results(demo_crawl.db_url, demo_crawl.run_id), port


def assert_same_results(j: Job, reference: dict[str, Any], reference_port: int) -> None:
    """The run's results equal the reference's, the demo web's port aside."""

    def same_port(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(f":{j.port}/", f":{reference_port}/")
        if isinstance(value, (list, tuple)):
            return type(value)(same_port(v) for v in value)
        return value

    got = {key: same_port(value) for key, value in results(j.db_url, 1).items()}
    assert len(got["pages"]) == len({(p[0], p[1]) for p in got["pages"]})  # no duplicates
    for key, expected in reference.items():
        value = sorted(got[key]) if isinstance(got[key], list) else got[key]
        assert value == expected, key


# ------------------------------------------------------------------------------ the story


@dataclass
class Stopped:
    proc: subprocess.CompletedProcess[str]
    pid: int
    pages: int  # stored when the signal was sent
    run: dict[str, Any]  # the run's row afterwards
    workers: list[int]  # crawl processes still running afterwards


@dataclass
class Story:
    job: Job
    second: subprocess.CompletedProcess[str]  # started while the first one crawled
    sigint: Stopped
    sigterm: Stopped
    sigkill: Stopped
    kept: int  # pages stored after the SIGKILL
    last: subprocess.CompletedProcess[str]
    last_run: dict[str, Any]


def stop(j: Job, pages: int, how: signal.Signals) -> Stopped:
    proc = start(j)
    stored = wait_for_pages(j, proc, pages)
    workers = crawl_workers(j.db_url)
    assert len(workers) == 1
    if how == signal.SIGKILL:
        os.killpg(proc.pid, how)  # the CLI and its demo web; the crawl runs in its own session
    else:
        proc.send_signal(how)
    out, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return Stopped(
        subprocess.CompletedProcess(j.cmd, proc.returncode, out, err),
        proc.pid,
        stored,
        run_row(j.db_url),
        [pid for pid in workers if not gone(pid)],
    )


@pytest.fixture(scope="module")
def story(evalcrawl_cmd, tmp_path_factory) -> Story:
    """One run of the demo region, stopped three times and resumed each time by the same
    command: Ctrl-C (with a second run of the same region tried meanwhile), SIGTERM, SIGKILL,
    and a last rerun that finishes it."""
    j = job(evalcrawl_cmd, tmp_path_factory.mktemp("interrupted"))
    first = start(j)
    pages = wait_for_pages(j, first, 100)
    second = finish(j, timeout=60)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=60)
    sigint = Stopped(
        subprocess.CompletedProcess(j.cmd, first.returncode, out, err),
        first.pid,
        pages,
        run_row(j.db_url),
        [pid for pid in crawl_workers(j.db_url) if not gone(pid)],
    )
    sigterm = stop(j, 100, signal.SIGTERM)
    sigkill = stop(j, 30, signal.SIGKILL)
    kept = stored_pages(j)
    last = finish(j)
    return Story(j, second, sigint, sigterm, sigkill, kept, last, run_row(j.db_url))


def test_a_second_run_of_the_same_region_and_year_is_refused(story):
    assert story.second.returncode == 1
    holder = f"{socket.gethostname()}:{story.sigint.pid}"
    assert story.second.stderr.splitlines()[-1] == LOCK_MESSAGE.format(holder=holder)
    assert "Traceback" not in story.second.stderr


@pytest.mark.parametrize("stage", ["sigint", "sigterm"])
def test_sigint_and_sigterm_stop_cleanly_and_release_the_lock(story, stage):
    stopped: Stopped = getattr(story, stage)
    assert stopped.proc.returncode == 130
    assert stopped.proc.stderr.splitlines()[-1] == STOPPED
    assert "Traceback" not in stopped.proc.stderr
    assert stopped.run == {"status": "interrupted", "lock_owner": None, "id": 1}
    assert stopped.workers == []  # the crawl process stopped too


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes in /proc")
def test_sigkill_leaves_the_run_to_resume(story):
    """SIGKILL to the run's process group (the CLI and the demo web it serves) mid-crawl: the
    crawl process dies with it, and the run stays as it was: status crawling, the dead
    holder's lock, the pages stored so far."""
    killed = story.sigkill
    assert killed.proc.returncode == -signal.SIGKILL
    assert killed.workers == [], "the crawl process outlived its parent"
    assert killed.run == {
        "status": "crawling",
        "lock_owner": f"{socket.gethostname()}:{killed.pid}",
        "id": 1,
    }
    assert killed.pages <= story.kept < 674  # the demo web's pages


def test_rerun_resumes_to_the_results_of_an_uninterrupted_run(story, reference):
    """The same command after each stop resumes (taking over the dead holder's lock after the
    SIGKILL, asking again for what got no response) and ends with exactly the pages,
    checks, probes, measurements and scores of the uninterrupted run — no duplicate."""
    last = story.last
    assert last.returncode == 0, last.stderr
    assert "run 1: demo 2026 exists, resuming the crawl (--fresh starts over)" in last.stderr
    assert story.last_run == {"status": "scored", "lock_owner": None, "id": 1}
    assert_same_results(story.job, *reference)


def test_non_interactive_runs_print_plain_progress_lines(story):
    """stderr is a pipe (as under cron or systemd): plain time-stamped lines, no ``\r``."""
    for proc in (story.sigint.proc, story.last):
        assert "\r" not in proc.stderr
        progress = [line for line in proc.stderr.splitlines() if "crawling:" in line]
        assert progress, proc.stderr
        assert all(PROGRESS.match(line) for line in progress), progress
    final = [line for line in story.last.stderr.splitlines() if "crawling:" in line][-1]
    assert " 7/7 sites done, 661 pages, " in final  # 2xx HTML pages, errors apart


# ---------------------------------------------------------------------- lock and resume rules


def test_fresh_never_supersedes_a_run_that_another_process_is_running(tmp_path, evalcrawl_cmd):
    region = tmp_path / "r.yaml"
    region.write_text(
        "id: r\nname: R\nsites:\n  - id: a\n    name_zh: 甲\n    level: county\n"
        "    url: http://a.gov.cn/\n",
        encoding="utf-8",
    )
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run_id = store.create_run(session, load_region(str(region)), 2026, "gov2013", None, {}).id
    holder = f"{socket.gethostname()}:{os.getpid()}"  # this test process: alive
    store.acquire_lock(engine, run_id, holder)
    cmd = [*evalcrawl_cmd, "run", "--region", str(region), "--year", "2026", "--db", db_url]
    proc = subprocess.run(
        [*cmd, "--fresh", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [LOCK_MESSAGE.format(holder=holder)]
    with session_scope(engine) as session:
        runs = session.scalars(select(Run)).all()
        assert [(r.id, r.superseded, r.lock_owner) for r in runs] == [(run_id, False, holder)]
    engine.dispose()


def test_resume_asks_again_for_what_got_no_response_in_unfinished_sites(tmp_path):
    """What an interruption may have caused — requests that got no response (status 0) — is
    forgotten in the sites not done, and a site whose home page never answered starts over;
    finished sites and real answers (a 503, a 404) are kept."""
    region = Region.model_validate(
        {
            "id": "r",
            "name": "R",
            "sites": [
                {"id": s, "name_zh": s, "level": "county", "url": f"http://{s}.gov.cn/"}
                for s in ("done", "half", "restart")
            ],
        }
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with session_scope(engine) as session:
        run = store.create_run(session, region, 2026, "gov2013", None, {})
        pk = {site.site_id: site.id for site in session.scalars(select(Site))}
        for site in session.scalars(select(Site)):
            site.crawl_state = "done" if site.site_id == "done" else "crawling"

        def page(site: str, path: str, status: int, home: bool = False) -> Page:
            url = f"http://{site}.gov.cn{path}"
            row = Page(
                run_id=run.id,
                site_pk=pk[site],
                url=url,
                url_hash=url_hash(url),
                status=status,
                is_html=status == 200,
                is_home=home,
            )
            session.add(row)
            return row

        def check(site: str, path: str, status: int) -> None:
            url = f"http://{site}.gov.cn{path}"
            session.add(
                LinkCheck(
                    run_id=run.id, site_pk=pk[site], url=url, url_hash=url_hash(url), status=status
                )
            )

        def probe(site: str, kind: str, status: int) -> None:
            session.add(Probe(run_id=run.id, site_pk=pk[site], kind=kind, url="/", status=status))

        page("done", "/", 200, home=True)
        page("done", "/lost.html", 0)
        check("done", "/lost.pdf", 0)
        home = page("half", "/", 200, home=True)
        page("half", "/a.html", 200)
        page("half", "/refused.html", 0)
        page("half", "/down.html", 503)
        check("half", "/refused.pdf", 0)
        check("half", "/missing.pdf", 404)
        for kind, status in [("home", 0), ("https", 0), ("robots", 200), ("dns", 0), ("tls", 0)]:
            probe("half", kind, status)
        page("restart", "/", 503, home=True)
        probe("restart", "home", 0)
        session.flush()
        session.add(Link(run_id=run.id, site_pk=pk["half"], page_id=home.id, url="/a.html"))
        run_id = run.id

    with session_scope(engine) as session:
        store.forget_unanswered(session, store.get_run(session, run_id))
    with session_scope(engine) as session:
        pages = sorted((p.site_pk, p.url, p.status) for p in session.scalars(select(Page)))
        checks = sorted((c.site_pk, c.url) for c in session.scalars(select(LinkCheck)))
        probes = sorted((p.site_pk, p.kind) for p in session.scalars(select(Probe)))
        links = session.scalar(select(func.count(Link.id)))
    engine.dispose()
    assert pages == [
        (pk["done"], "http://done.gov.cn/", 200),
        (pk["done"], "http://done.gov.cn/lost.html", 0),
        (pk["half"], "http://half.gov.cn/", 200),
        (pk["half"], "http://half.gov.cn/a.html", 200),
        (pk["half"], "http://half.gov.cn/down.html", 503),
    ]
    assert checks == [
        (pk["done"], "http://done.gov.cn/lost.pdf"),
        (pk["half"], "http://half.gov.cn/missing.pdf"),
    ]
    assert probes == [(pk["half"], "dns"), (pk["half"], "robots"), (pk["half"], "tls")]
    assert links == 1
