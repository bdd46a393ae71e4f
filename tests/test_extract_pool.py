"""Page-fact extraction off the reactor thread, each page within a time limit.

Real crawls of loopback sites, in a child process as in production. One page of site A is made
slow in the extraction worker (``EVALCRAWL_EXTRACT_TEST_DELAY``), longer than the time limit
(``EVALCRAWL_EXTRACT_TIMEOUT``): the crawl of site B must go on meanwhile (the servers stamp
every request), the slow page is cut at the limit and A's reason says so, and no worker process
outlives the crawl, even when the crawl process is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

from evalcrawler.config import CrawlSettings, Region
from evalcrawler.crawl import PARENT_ENV, crawl_run
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.errors import ConfigError
from evalcrawler.facts import SiteFacts
from evalcrawler.spiders.extractpool import ExtractPool, extract_settings
from tests.webserver import FixtureServer, Reply, Route

LIMIT = 2.0  # seconds one page's extraction may take
SLOW = 60.0  # what the slow page's extraction would take
DELAY = 0.2


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    )


def site_a() -> dict[str, Route]:
    links = '<a href="/slow.html">慢页</a> <a href="/ok.html">正常页</a>'
    form = '<form action="/search"><input name="q"><button>搜索</button></form>'
    return {
        "/": Reply(body=page("甲站", links + form)),
        "/slow.html": Reply(body=page("慢页", "<p>发布时间：2026-11-01</p>")),
        "/ok.html": Reply(body=page("正常页", "<p>发布时间：2026-11-02</p>")),
        "/search": Reply(body=page("搜索结果", '<a href="/ok.html">政府正常页</a>')),
    }


def site_b(pages: int) -> dict[str, Route]:
    links = "".join(f'<a href="/p{i}.html">页面{i}</a> ' for i in range(pages))
    return {
        "/": Reply(body=page("乙站", links)),
        **{f"/p{i}.html": Reply(body=page(f"页面{i}", "<p>正文</p>")) for i in range(pages)},
    }


def start_run(servers: list[FixtureServer], db: str) -> int:
    region = Region.model_validate(
        {
            "id": "pool",
            "name": "Pool",
            "sites": [
                {"id": name, "name_zh": name, "level": "county", "url": server.url}
                for name, server in zip("ab", servers, strict=False)
            ],
        }
    )
    settings = CrawlSettings(
        delay=DELAY,
        autothrottle=False,
        probe_count=1,
        timeout=5.0,
        probe_timeout=5.0,
        max_pages=40,
        allow_nets=["127.0.0.0/8"],
    )
    engine = make_engine(db)
    with session_scope(engine) as session:
        run_id = store.create_run(
            session, region, 2026, "gov2013", None, {"crawl": asdict(settings)}
        ).id
    engine.dispose()
    return run_id


def site_facts(db: str, run_id: int) -> dict[str, SiteFacts]:
    engine = make_engine(db)
    with session_scope(engine) as session:
        facts = {f.site_id: f for f in load_site_facts(session, store.get_run(session, run_id))}
    engine.dispose()
    return facts


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (its children, theirs …), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Watcher:
    """While a crawl runs in a thread: the crawl process and every process below it."""

    def __init__(self) -> None:
        self.crawl_pid: int | None = None
        self.seen: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.05):
            for pid in descendants(me):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"evalcrawler.crawl" in cmdline:
                    self.crawl_pid = pid
            if self.crawl_pid is not None:
                self.seen |= descendants(self.crawl_pid)


@pytest.fixture
def slow_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALCRAWL_EXTRACT_TIMEOUT", str(LIMIT))
    monkeypatch.setenv("EVALCRAWL_EXTRACT_TEST_DELAY", rf"{SLOW:g}:/(slow\.html|search)")


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("slow_page")
def test_a_slow_page_is_cut_while_the_other_sites_go_on(default_db_url: str) -> None:
    a = FixtureServer("127.0.0.61", site_a()).start()
    b = FixtureServer("127.0.0.62", site_b(30)).start()
    watcher = Watcher()
    try:
        run_id = start_run([a, b], default_db_url)
        watcher.thread.start()
        started = time.monotonic()
        crawl_run(run_id, default_db_url)
        took = time.monotonic() - started
    finally:
        watcher.stop.set()
        a.stop()
        b.stop()
    facts = site_facts(default_db_url, run_id)
    site = facts["a"]
    slow = next(p for p in site.pages if p.url.endswith("/slow.html"))
    assert slow.error == "extraction took over 2 s: not read"
    assert (slow.status, slow.is_html, slow.links, slow.publish_date) == (200, False, [], None)
    ok = next(p for p in site.pages if p.url.endswith("/ok.html"))
    assert ok.error is None and ok.is_html and ok.publish_date is not None
    assert site.status == "partial"
    assert site.reason == "1 page whose extraction took over 2 s not read (/slow.html)"
    search = next(p for p in site.probes if p.kind == "search")
    assert (search.status, search.error) == (200, "extraction took over 2 s: not read")
    assert facts["b"].status == "measured" and len(facts["b"].pages) == 31

    # B's requests went on while A's page was being read (one every DELAY seconds): its
    # extraction began once the page arrived and was cut LIMIT seconds later.
    arrived = next(h.time for h in a.hits if h.path == "/slow.html")
    during = [h for h in b.hits if arrived + 0.3 <= h.time <= arrived + LIMIT]
    assert len(during) >= (LIMIT - 0.3) / DELAY / 3, [h.time - arrived for h in b.hits]
    assert took < SLOW  # nothing waited for the slow page's extraction to end

    # Nothing outlives the crawl: the fork server and its workers are gone with it.
    assert watcher.seen, "no process was seen below the crawl process"
    time.sleep(0.5)
    assert [pid for pid in watcher.seen if alive(pid)] == []


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("slow_page")
def test_no_worker_outlives_a_killed_crawl(
    default_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALCRAWL_EXTRACT_TIMEOUT", "100")  # the worker stays busy
    a = FixtureServer("127.0.0.63", site_a()).start()
    try:
        run_id = start_run([a], default_db_url)
        # The crawl process as crawl_run starts it (its parent, this test, stays alive).
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        cmd = [sys.executable, "-m", "evalcrawler.crawl", "--run", str(run_id)]
        child = subprocess.Popen([*cmd, "--db", default_db_url], env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not any(h.path == "/slow.html" for h in a.hits) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # the slow page is in a worker now
            pool = descendants(child.pid)
            assert len(pool) >= 2, "the fork server and a worker run below the crawl process"
            child.kill()
            assert child.wait(10) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        deadline = time.monotonic() + 10
        while [pid for pid in pool if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in pool if alive(pid)] == []
    finally:
        a.stop()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EVALCRAWL_EXTRACT_TIMEOUT": "soon"},
            "EVALCRAWL_EXTRACT_TIMEOUT='soon' is not a number of seconds: set it above 0 "
            "(default 30)",
        ),
        (
            {"EVALCRAWL_EXTRACT_TIMEOUT": "0"},
            "EVALCRAWL_EXTRACT_TIMEOUT='0' is not a number of seconds: set it above 0 (default 30)",
        ),
        (
            {"EVALCRAWL_EXTRACT_WORKERS": "-1"},
            "EVALCRAWL_EXTRACT_WORKERS='-1' is not a number of processes: set it from 0 "
            "(extract in the crawl process) to 64",
        ),
    ],
)
def test_bad_settings_say_how_to_fix_them(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as raised:
        extract_settings()
    assert raised.value.message == message
    with pytest.raises(ConfigError) as raised:  # before a crawl process is started
        crawl_run(1, "sqlite:///nowhere.db")
    assert raised.value.message == message


def test_settings_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALCRAWL_EXTRACT_TIMEOUT", raising=False)
    monkeypatch.delenv("EVALCRAWL_EXTRACT_WORKERS", raising=False)
    timeout, workers = extract_settings()
    assert timeout == 30.0
    assert 2 <= workers <= 4


def test_pages_are_read_when_no_worker_process_can_start(caplog: pytest.LogCaptureFixture) -> None:
    class NoProcesses:
        def Pipe(self, duplex: bool = True) -> tuple[object, object]:
            raise OSError("no forkserver here")

    pool = ExtractPool(workers=1, timeout=5.0)
    pool._context, pool._life = NoProcesses(), (None, None)
    pool._idle.put(None)
    body = page("标题", '<a href="/a.html">链接</a>').encode()
    job = ("http://127.0.0.1/x.html", body, {"content-type": "text/html"}, 200, date(2026, 11, 1))
    facts = pool._run(job)
    assert (facts.error, facts.title, [link.text for link in facts.links]) == (
        None,
        "标题",
        ["链接"],
    )
    assert "extraction workers cannot start (no forkserver here)" in caplog.text
