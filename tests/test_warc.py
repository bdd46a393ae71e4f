"""The evidence archive: WARC files of every exchange, and page facts rebuilt from them.

A real crawl of a small fixture site (gzip-encoded home page, a redirect, a HEAD link check,
the probes) is archived; the tests read the files back with warcio and check them with its CLI.
Then the run's page facts are deleted and rebuilt from the archive alone: on the fixture site
they equal the crawled facts field for field, and on the demo web `evalcrawl extract` followed
by `evalcrawl score` gives byte-identical scores. A crawl killed with SIGKILL leaves readable
files, and its resumption appends new files without touching the old ones.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select
from warcio.archiveiterator import ArchiveIterator

from evalcrawler.archive import default_root, rebuild_page_facts
from evalcrawler.config import CrawlSettings, Region
from evalcrawler.crawl import crawl_run
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.db.models import Link, Page, Run
from evalcrawler.errors import ConfigError
from evalcrawler.spiders import warc, warcread
from tests.databases import database
from tests.webserver import FixtureServer, Reply

HOME = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>存档站首页</title>'
    "</head><body><h1>存档站</h1>"
    '<a href="/news/">新闻动态</a><a href="/old.html">旧栏目</a>'
    '<a href="/files/guide.pdf">办事指南</a><a href="/files/form.doc">申请表</a>'
    '<form action="/search" method="get"><input name="q"><button>搜索</button></form>'
    "</body></html>"
)


def page(title: str, body: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    )


def routes() -> dict[str, Reply]:
    return {
        "/": Reply(
            body=gzip.compress(HOME.encode("utf-8"), mtime=0),
            # A non-ASCII header value (UTF-8 bytes) must be kept byte for byte.
            headers={"Content-Encoding": "gzip", "X-Owner": "政府".encode().decode("latin-1")},
        ),
        "/news/": Reply(
            body=page(
                "新闻动态",
                "".join(
                    f'<li><a href="/news/{i}.html">新闻{i}</a><span>2026-11-1{i}</span></li>'
                    for i in range(1, 4)
                ),
            )
        ),
        **{
            f"/news/{i}.html": Reply(body=page(f"新闻{i}", "<p>发布时间：2026-11-1{i}</p>"))
            for i in range(1, 4)
        },
        "/old.html": Reply(301, "", headers={"Location": "/new.html"}),
        "/new.html": Reply(body=page("新栏目")),
        "/files/guide.pdf": Reply(body=b"%PDF-1.4 guide", content_type="application/pdf"),
        # A server that refuses HEAD: the check asks again with GET and stops after the headers.
        "/files/form.doc": lambda handler: (
            Reply(405)
            if handler.command == "HEAD"
            else Reply(body=b"x" * 50_000, content_type=None)
        ),
        "/robots.txt": Reply(body="User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/search": Reply(body=page("搜索结果", '<a href="/news/1.html">政府新闻1</a>')),
    }


def one_site(server: FixtureServer, site_id: str = "w") -> Region:
    return Region.model_validate(
        {
            "id": "fixture",
            "name": "Fixture",
            "sites": [{"id": site_id, "name_zh": "存档站", "level": "county", "url": server.url}],
        }
    )


def settings(**overrides: object) -> CrawlSettings:
    values: dict[str, object] = {
        "delay": 0.0,
        "probe_count": 2,
        "probe_timeout": 5.0,
        "timeout": 5.0,
        "allow_nets": ["127.0.0.0/8"],
    }
    return CrawlSettings(**{**values, **overrides})  # type: ignore[arg-type]


def new_run(db: str, region: Region, cs: CrawlSettings) -> int:
    with session_scope(make_engine(db)) as session:
        return store.create_run(session, region, 2026, "gov2013", None, {"crawl": asdict(cs)}).id


def records(folder: Path) -> list[tuple[str, int, object, bytes]]:
    """Every record of a run's folder: (file name, offset, record, payload as stored)."""
    out = []
    for path in warc.warc_files(folder):
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                payload = record.raw_stream.read()
                out.append((path.name, iterator.get_record_offset(), record, payload))
    return out


def page_facts(db: str, run_id: int) -> dict[str, dict]:
    with session_scope(make_engine(db)) as session:
        run = store.get_run(session, run_id)
        return {p.url: p.to_json() for site in load_site_facts(session, run) for p in site.pages}


def copy_db(url: str, to: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), for tests that change it."""
    with (
        closing(sqlite3.connect(url[len("sqlite:///") :])) as src,
        closing(sqlite3.connect(to)) as dst,
    ):
        src.backup(dst)


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    server = FixtureServer("127.0.0.41", routes()).start()
    folder = tmp_path_factory.mktemp("warc")
    db = f"sqlite:///{folder / 'w.db'}"
    run_id = new_run(db, one_site(server), settings())
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.delenv("EVALCRAWL_WARC_DIR")  # the default place: next to the database
            crawl_run(run_id, db)
    finally:
        server.stop()
    with session_scope(make_engine(db)) as session:
        warc_dir = Path(store.get_run(session, run_id).warc_dir)
    return db, run_id, warc_dir, server


def test_the_archive_lives_next_to_the_database(archived):
    db, _, warc_dir, _ = archived
    assert warc_dir == (Path(db[len("sqlite:///") :]).parent / "w-warc" / "fixture-2026-run1")
    assert [p.name for p in warc.warc_files(warc_dir)] == ["fixture-2026-run1-00001.warc.gz"]
    assert default_root("postgresql://u@h/evalcrawl") == Path("evalcrawl-warc")


def test_every_exchange_has_a_request_and_a_response_record(archived):
    _, _, warc_dir, server = archived
    found = records(warc_dir)
    assert found[0][2].rec_type == "warcinfo"
    responses = {
        r.rec_headers.get_header("WARC-Record-ID"): r
        for _, _, r, _ in found
        if r.rec_type == "response"
    }
    requests = [r for _, _, r, _ in found if r.rec_type == "request"]
    assert len(requests) == len(responses)
    for request in requests:
        response = responses[request.rec_headers.get_header("WARC-Concurrent-To")]
        assert response.rec_headers.get_header("WARC-Target-URI") == request.rec_headers.get_header(
            "WARC-Target-URI"
        )
        # The address is known, except for a download stopped after its headers.
        ip = response.rec_headers.get_header("WARC-IP-Address")
        assert ip == "127.0.0.41" or response.rec_headers.get_header("WARC-Truncated")
        assert response.rec_headers.get_header("WARC-Date") == request.rec_headers.get_header(
            "WARC-Date"
        )
    archived_hits = Counter(  # warcio reads a request line's method as its "protocol"
        (r.http_headers.protocol, urlsplit(r.rec_headers.get_header("WARC-Target-URI")).path)
        for r in requests
    )
    served = Counter((h.method, urlsplit(h.path).path) for h in server.hits)
    assert archived_hits == served
    # Pages, each hop of a redirect, link checks with HEAD, and the probes are all there.
    assert ("GET", "/old.html") in served and ("GET", "/new.html") in served
    assert ("HEAD", "/files/guide.pdf") in served
    form = [
        r
        for r in responses.values()
        if r.rec_headers.get_header("WARC-Target-URI").endswith("/files/form.doc")
    ]
    assert sorted(r.http_headers.get_statuscode() for r in form) == ["200", "405"]
    cut = next(r for r in form if r.http_headers.get_statuscode() == "200")
    assert cut.rec_headers.get_header("WARC-Truncated") == "unspecified"
    for probe in ("/robots.txt", "/sitemap.xml", "/search"):
        assert ("GET", probe) in served
    assert any(p.startswith("/evalcrawl-check-") for _, p in served)
    redirect = next(
        r
        for r in responses.values()
        if r.rec_headers.get_header("WARC-Target-URI").endswith("/old.html")
    )
    assert redirect.http_headers.get_statuscode() == "301"
    assert redirect.http_headers.get_header("Location") == "/new.html"


def test_the_raw_gzip_bytes_are_kept(archived):
    _, _, warc_dir, server = archived
    home = next(
        (r, payload)
        for _, _, r, payload in records(warc_dir)
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI") == server.url
    )
    record, payload = home
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert record.http_headers.get_header("X-Owner") == "政府"
    assert payload[:2] == b"\x1f\x8b"
    assert gzip.decompress(payload).decode("utf-8") == HOME


def test_page_facts_point_at_their_response_records(archived):
    db, run_id, warc_dir, server = archived
    facts = page_facts(db, run_id)
    bodies = routes()
    assert len(facts) == 6
    for url, data in facts.items():
        record, payload = warcread.read_record(warc_dir, data["warc_record"])
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == data["final_url"]
        served = bodies[urlsplit(data["final_url"]).path].body
        assert payload == (served.encode("utf-8") if isinstance(served, str) else served), url
        decoded = warcread.read_response(warc_dir, data["warc_record"])
        assert decoded.status == data["status"] == 200
        assert b"<html" in decoded.body
    assert facts[server.url + "old.html"]["final_url"] == server.url + "new.html"


def test_each_page_has_a_context_record(archived):
    db, run_id, warc_dir, _ = archived
    scan = warcread.scan(warc_dir)
    assert scan.problems == []
    assert sorted(c["url"] for c in scan.pages) == sorted(page_facts(db, run_id))
    home = next(c for c in scan.pages if c["is_home"])
    assert home["depth"] == 0 and home["site_id"] == "w"
    ids = {
        r.rec_headers.get_header("WARC-Record-ID"): f"{name}#{offset}"
        for name, offset, r, _ in records(warc_dir)
    }
    for _, _, record, payload in records(warc_dir):
        if record.rec_type == "metadata":
            context = json.loads(payload)
            assert ids[record.rec_headers.get_header("WARC-Refers-To")] == context["response"]


def test_warcio_accepts_the_files(archived):
    _, _, warc_dir, _ = archived
    files = [str(p) for p in warc.warc_files(warc_dir)]
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *files],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "digest fail" not in check.stdout
    index = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "index", "-f", "warc-type,offset", *files],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert index.returncode == 0, index.stderr
    kinds = Counter(json.loads(line)["warc-type"] for line in index.stdout.splitlines())
    assert kinds["warcinfo"] == 1 and kinds["request"] == kinds["response"] > 6


def test_rebuilt_page_facts_equal_the_crawled_ones(archived, tmp_path):
    db, run_id, _, _ = archived
    copy = tmp_path / "copy.db"
    copy_db(db, copy)
    copy_url = f"sqlite:///{copy}"
    before = page_facts(copy_url, run_id)
    engine = make_engine(copy_url)
    with session_scope(engine) as session:
        session.execute(delete(Link).where(Link.run_id == run_id))
        session.execute(delete(Page).where(Page.run_id == run_id))
    done = rebuild_page_facts(engine, run_id)
    assert (done.pages, done.extracted, done.without_response, done.problems) == (6, 6, 0, [])
    assert page_facts(copy_url, run_id) == before


def test_extract_refuses_an_archive_that_lacks_stored_pages(archived, tmp_path):
    db, run_id, warc_dir, _ = archived
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no WARC files"):
        rebuild_page_facts(make_engine(db), run_id, warc_dir=empty)
    # A copy of the archive without the home page's context record.
    moved = tmp_path / "moved"
    moved.mkdir()
    (path,) = warc.warc_files(warc_dir)
    raw = path.read_bytes()
    spans = records(warc_dir)
    ends = [offset for _, offset, _, _ in spans[1:]] + [len(raw)]
    with (moved / path.name).open("wb") as fh:
        for (_, start, record, payload), end in zip(spans, ends, strict=True):
            if not (record.rec_type == "metadata" and json.loads(payload)["is_home"]):
                fh.write(raw[start:end])
    with pytest.raises(ConfigError, match="lacks 1 of the 6 pages"):
        rebuild_page_facts(make_engine(db), run_id, warc_dir=moved)
    assert len(page_facts(db, run_id)) == 6  # nothing was changed


# ----------------------------------------------------------------------------- the writer


def test_files_rotate_and_are_never_reopened(tmp_path):
    def exchange(i: int) -> warc.Exchange:
        return warc.Exchange(
            url=f"http://127.0.0.1/{i}.html",
            method="GET",
            request_headers=[("Host", "127.0.0.1")],
            request_body=b"",
            protocol="HTTP/1.1",
            status=200,
            response_headers=[("Content-Type", "text/html")],
            body=os.urandom(3000),  # incompressible: a file holds one exchange
        )

    files = warc.WarcFiles(tmp_path, "r-2026-run1", max_bytes=5_000)
    places = [files.append(list(warc.exchange_records(exchange(i)))) for i in range(4)]
    files.close()
    names = [p.name for p in warc.warc_files(tmp_path)]
    assert len(names) >= 3
    for where in [p for pair in places for p in pair]:
        record, _ = warcread.read_record(tmp_path, where)
        assert record.rec_type in ("response", "request")
    before = {n: (tmp_path / n).read_bytes() for n in names}
    again = warc.WarcFiles(tmp_path, "r-2026-run1", max_bytes=5_000)
    (where,) = again.append([warc.exchange_records(exchange(9))[0]])
    again.close()
    assert where.startswith(f"r-2026-run1-{len(names) + 1:05d}.warc.gz#")
    assert {n: (tmp_path / n).read_bytes() for n in names} == before


def test_a_cut_short_last_record_is_skipped(tmp_path):
    files = warc.WarcFiles(tmp_path, "cut")
    context = {"url": "http://127.0.0.1/", "is_home": True, "response": None}
    files.append([warc.page_record(context, None), warc.page_record(context, None)])
    files.close()
    (path,) = warc.warc_files(tmp_path)
    path.write_bytes(path.read_bytes()[:-40])
    scan = warcread.scan(tmp_path)
    assert len(scan.pages) == 1
    assert len(scan.problems) == 1 and path.name in scan.problems[0]


# ----------------------------------------------------------------------------- a killed crawl


def test_a_killed_crawl_leaves_readable_files_and_resumes_into_new_ones(tmp_path, warc_root):
    slow = {
        "/": Reply(
            body=page("首页", "".join(f'<a href="/p{i}.html">页{i}</a>' for i in range(12)))
        ),
        **{f"/p{i}.html": Reply(body=page(f"页{i}"), delay=0.15) for i in range(12)},
    }
    server = FixtureServer("127.0.0.42", slow).start()
    db = f"sqlite:///{tmp_path / 'k.db'}"
    run_id = new_run(db, one_site(server, "k"), settings(probe_count=1))
    worker = subprocess.Popen(
        [sys.executable, "-m", "evalcrawler.crawl", "--run", str(run_id), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        folder = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with session_scope(make_engine(db)) as session:
                stored = session.scalar(select(Run.warc_dir).where(Run.id == run_id))
            folder = Path(stored) if stored else None
            if folder is not None and warcread.scan(folder).responses >= 4:
                break
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert folder is not None
        killed = warcread.scan(folder)
        assert killed.responses >= 4
        assert len(killed.problems) <= 1  # at most the record being written when killed
        first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in killed.files}
        crawl_run(run_id, db)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()
    assert folder.parent == warc_root  # EVALCRAWL_WARC_DIR, as the tests set it
    files = warc.warc_files(folder)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files[:1]} == first
    # (the folder is fixture-2026-run1, or -run1-2 ... when another test's run 1 is there)
    assert folder.name.startswith("fixture-2026-run1")
    assert [p.name for p in files] == [
        f"{folder.name}-00001.warc.gz",
        f"{folder.name}-00002.warc.gz",
    ]
    with session_scope(make_engine(db)) as session:
        assert store.get_run(session, run_id).status == "crawled"
    crawled = page_facts(db, run_id)
    assert len(crawled) == 13
    done = rebuild_page_facts(make_engine(db), run_id)
    assert done.pages == 13
    assert sorted(page_facts(db, run_id)) == sorted(crawled)


# ----------------------------------------------------------------------------- the demo web


@pytest.fixture
def private_demo(demo_crawl, tmp_path, evalcrawl_cmd):
    """(database URL, run id) of a demo crawl this test may change: a copy of the session's
    SQLite file, or under EVALCRAWL_TEST_DB=postgresql://… a crawl into a database of its own."""
    if demo_crawl.db_url.startswith("sqlite:///"):
        copy_db(demo_crawl.db_url, tmp_path / "demo.db")
        yield f"sqlite:///{tmp_path / 'demo.db'}", demo_crawl.run_id
        return
    with database("postgresql", tmp_path / "db") as db:
        region = str(demo_crawl.region_file)
        proc = subprocess.run(
            [*evalcrawl_cmd, "crawl", "--region", region, "--db", db, "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        yield db, 1


def test_demo_scores_rebuilt_from_the_archive_are_identical(private_demo, tmp_path, evalcrawl_cmd):
    """Delete a run's page facts, rebuild them from the WARC files, get the same scores."""
    db, run_id = private_demo
    run = str(run_id)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*evalcrawl_cmd, *args, "--db", db],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        return proc

    cli("score", "--run", run, "--out", str(tmp_path / "original"))
    with session_scope(make_engine(db)) as session:
        pages = len(session.scalars(select(Page.id).where(Page.run_id == run_id)).all())
        session.execute(delete(Link).where(Link.run_id == run_id))
        session.execute(delete(Page).where(Page.run_id == run_id))
    extracted = cli("extract", "--run", run)
    assert extracted.stdout.startswith(f"Rebuilt {pages} pages (")
    assert f"{pages} extracted again, 0 without a response" in extracted.stdout
    cli("score", "--run", run, "--out", str(tmp_path / "rebuilt"))
    for name in ("scores.csv", "indicators.csv", "measurements.csv", "findings.csv", "columns.csv"):
        original = (tmp_path / "original" / name).read_bytes()
        assert (tmp_path / "rebuilt" / name).read_bytes() == original, name
    indicators = (tmp_path / "original" / "indicators.csv").read_text("utf-8-sig")
    assert indicators.splitlines()[0].endswith(",evidence_warc")
    assert ".warc.gz#" in indicators
