"""Distributed runs: `evalcrawl worker` processes crawl the sites of `evalcrawl run --workers`.

The end-to-end test starts two workers (subprocesses, as on two machines) against the local
Redis and a fresh PostgreSQL database, runs the demo region of the session's demo crawl
(``demo_crawl``: the same region file, so the same URLs, with ``--delay 0.02`` so that a site
lasts long enough to be interrupted), SIGKILLs one worker in the middle of a site and checks
that the run completes with every site measured, no page stored twice, and the very results
of the single-process crawl. Each test uses its own queue, so workers of other runs sharing
the Redis never take its tasks. Without Redis or PostgreSQL these tests skip; under
``EVALCRAWL_REQUIRE_SERVICES=1`` they fail instead.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from evalcrawler.cli import main
from evalcrawler.db import make_engine, session_scope
from evalcrawler.db.models import Page, Run, Site
from evalcrawler.demo import free_port
from evalcrawler.distributed import Config, SiteLock, lock_key
from evalcrawler.errors import ConfigError
from evalcrawler.scoring.rubric import load_rubric
from tests.conftest import need
from tests.databases import database
from tests.demo_fixtures import write_demo_region
from tests.test_demo_run import timed_indicators

REDIS = os.environ.get("EVALCRAWL_TEST_REDIS", "redis://127.0.0.1:6379/0")
TIMING = {"home_response_ms"}  # the one metric that differs between any two crawls


def redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        need(False, f"Redis at {REDIS}")
    return client


def unique_queue() -> str:
    return f"evalcrawl-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def forget_queue(client: Any, queue: str, db_url: str | None = None) -> None:
    """Delete every key of a test queue (and the site locks of its database)."""
    patterns = [f"{queue}:*"]
    if db_url is not None:
        patterns.append(lock_key(db_url, 0, 0).rsplit(":", 2)[0] + ":*")
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------ quick checks


def test_the_broker_must_be_a_redis_url():
    with pytest.raises(ConfigError, match=r"'amqp://x' is not a Redis URL"):
        Config.from_env("amqp://x")
    with pytest.raises(ConfigError, match="must not be shorter than the site lock"):
        Config.from_env("redis://x", visibility_timeout=10)


def test_an_unreachable_broker_is_a_one_line_error_before_any_run(tmp_path):
    port = free_port(19900)  # nothing listens there
    db_url = f"sqlite:///{tmp_path / 'evalcrawl.db'}"
    region = write_demo_region(tmp_path, port)
    broker = f"redis://127.0.0.1:{port}/0"
    result = CliRunner().invoke(
        main, ["run", "--region", str(region), "--db", db_url, "--workers", broker]
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: cannot reach the broker at {broker}: Error 111 connecting to 127.0.0.1:{port}. "
        "Connection refused; check that Redis runs there and that the URL is right"
    )
    assert not (tmp_path / "evalcrawl.db").exists()  # no run was created


@pytest.mark.services
def test_the_site_lock_is_held_by_one_holder_at_a_time():
    client = redis_or_skip()
    key = f"{unique_queue()}:lock"
    try:
        first = SiteLock(client, key, ttl=0.5)
        second = SiteLock(client, key, ttl=0.5)
        assert first.acquire()
        assert not second.acquire()
        assert not second.refresh()
        second.release()  # not the holder: nothing happens
        assert first.holder() == first.token
        assert first.token.split(":")[1] == str(os.getpid())  # names its process
        assert first.refresh()
        time.sleep(0.7)  # not refreshed: expired
        assert second.acquire()
        assert not first.refresh()
        second.release()
        assert client.get(key) is None
    finally:
        client.delete(key)
        client.close()


@pytest.mark.services
def test_a_queue_without_workers_is_a_clear_error(tmp_path, evalcrawl_cmd):
    client = redis_or_skip()
    queue = unique_queue()
    region = write_demo_region(tmp_path, free_port(19950))
    env = dict(os.environ, EVALCRAWL_QUEUE=queue, EVALCRAWL_WORKER_WAIT="2")
    db_url = f"sqlite:///{tmp_path / 'evalcrawl.db'}"
    cmd = [*evalcrawl_cmd, "run", "--region", str(region), "--db", db_url, "--workers", REDIS]
    try:
        proc = subprocess.run(
            [*cmd, "--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
    finally:
        forget_queue(client, queue, db_url)
        client.close()
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"Error: no worker is taking tasks from {REDIS} (queue {queue}) for 2 s; start one with "
        f"`evalcrawl worker --broker {REDIS} --queue {queue}`, then run the same command again"
    )
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ two workers, one killed


def children_of(pid: int) -> list[int]:
    """Crawl processes started by ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"evalcrawler.crawl" in cmdline:
            found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def mid_site(db_url: str, client: Any, workers: dict[int, Any]) -> tuple[int, str, int] | None:
    """(site pk, site id, worker pid) of a site being crawled with pages stored, if any."""
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Site.id, Site.site_id, Site.run_id, func.count(Page.id))
                .join(Page, Page.site_pk == Site.id)
                .where(Site.crawl_state == "crawling")
                .group_by(Site.id, Site.site_id, Site.run_id)
            ).all()
    finally:
        engine.dispose()
    for pk, site_id, run_id, pages in rows:
        if pages < 15:
            continue
        holder = client.get(lock_key(db_url, run_id, pk))
        pid = int(holder.decode().split(":")[1]) if holder else None
        if pid in workers:
            return pk, site_id, pid
    return None


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    with database("postgresql", tmp_path / "db") as url:
        yield url


@pytest.mark.services
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes in /proc")
def test_two_workers_one_killed_mid_site_finish_the_run_as_one_process_does(
    demo_crawl, pg_url, tmp_path, evalcrawl_cmd
):
    client = redis_or_skip()
    queue = unique_queue()
    env = dict(
        os.environ,
        EVALCRAWL_QUEUE=queue,
        # Short timings, so that the killed worker's site is taken up again within seconds.
        EVALCRAWL_VISIBILITY_TIMEOUT="3",
        EVALCRAWL_SITE_LOCK_TTL="1.5",
        EVALCRAWL_WORKER_WAIT="30",
        PYTHONUNBUFFERED="1",
    )
    workers: dict[int, subprocess.Popen[bytes]] = {}
    logs: dict[int, Path] = {}
    run: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    files = contextlib.ExitStack()
    try:
        for n in (1, 2):
            log = tmp_path / f"worker{n}.log"
            proc = subprocess.Popen(
                [*evalcrawl_cmd, "worker", "--broker", REDIS, "--concurrency", "2"],
                stdout=files.enter_context(log.open("wb")),
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp_path,
                start_new_session=True,
            )
            workers[proc.pid], logs[proc.pid] = proc, log
        out = tmp_path / "out"
        cmd = [*evalcrawl_cmd, "run", "--region", str(demo_crawl.region_file), "--db", pg_url]
        cmd += ["--out", str(out), "--delay", "0.02", "--workers", REDIS]
        run_log = tmp_path / "run.log"
        run = subprocess.Popen(
            cmd,
            stdout=files.enter_context(run_log.open("wb")),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )

        deadline = time.monotonic() + 60
        found = None
        while found is None:
            assert time.monotonic() < deadline, "no site was crawled by a worker in 60 s"
            assert run.poll() is None, run_log.read_text()
            time.sleep(0.1)
            found = mid_site(pg_url, client, workers)
        _, site_id, victim = found
        children = children_of(victim)
        assert children, "the worker crawls in a child process"
        os.kill(victim, signal.SIGKILL)
        workers[victim].wait(timeout=10)
        deadline = time.monotonic() + 10
        while not all(gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(gone(pid) for pid in children), "a crawl process outlived its worker"

        code = run.wait(timeout=120)
        elapsed = time.monotonic() - started
        assert code == 0, run_log.read_text()
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        for proc in workers.values():
            stop(proc)
        forget_queue(client, queue, pg_url)
        client.close()
        files.close()

    # Every site done and measured; the run crawled by the orchestrator and scored.
    engine = make_engine(pg_url)
    try:
        with session_scope(engine) as session:
            sites = session.execute(select(Site.site_id, Site.crawl_state, Site.status)).all()
            assert sorted(sites) == sorted((s, "done", "measured") for s, _, _ in sites)
            assert len(sites) == 7
            assert session.scalars(select(Run.status)).one() == "scored"
            pages = session.execute(select(Page.run_id, Page.url, Page.status)).all()
        unique = {tuple(c["column_names"]) for c in inspect(engine).get_unique_constraints("pages")}
    finally:
        engine.dispose()
    # No page stored twice (and the database would refuse it).
    assert ("run_id", "url_hash") in unique
    assert len(pages) == len({(r, u) for r, u, _ in pages})

    # The killed worker's site was taken up again by the other worker.
    survivor = next(pid for pid in workers if pid != victim)
    assert f"site {site_id}: crawling" in logs[victim].read_text()
    assert f"site {site_id}: done" not in logs[victim].read_text()
    assert f"site {site_id}: done" in logs[survivor].read_text()

    # The very results of the single-process crawl of the same sites.
    reference = make_engine(demo_crawl.db_url)
    try:
        with session_scope(reference) as session:
            # Only the reference's own run (the demo stores its year before too).
            expected = session.execute(
                select(Page.url, Page.status).where(Page.run_id == demo_crawl.run_id)
            ).all()
    finally:
        reference.dispose()
    assert sorted((u, s) for _, u, s in pages) == sorted(expected)
    # The same scores; the reference's database also holds the demo's year before (a run
    # with --workers crawls only its own year), so its scores.csv has the previous_* columns
    # more: they are left out.
    # The home page's response time differs between any two crawls (more so on a loaded
    # machine), and gov2013 scores it: function, total and the rank intervals may move by at
    # most that indicator's points; everything else is identical.
    ours = read_rows(out / "scores.csv")
    reference_rows = [{k: r[k] for k in ours[0]} for r in read_rows(demo_crawl.out / "scores.csv")]
    timed = {"total", "function", "rank_function", "rank_low", "rank_high"}
    assert [{k: v for k, v in r.items() if k not in timed} for r in ours] == [
        {k: v for k, v in r.items() if k not in timed} for r in reference_rows
    ]
    points = sum(timed_indicators().values())
    categories = load_rubric("gov2013").categories
    function_points = float(categories["function"].points)
    weight = function_points / sum(float(c.points) for c in categories.values())
    for a, b in zip(ours, reference_rows, strict=True):
        moved = abs(float(a["function"]) - float(b["function"]))
        assert moved <= 100 * points / function_points + 0.01, (a, b)
        assert abs(float(a["total"]) - float(b["total"])) <= moved * weight + 0.02, (a, b)

    def measurements(folder: Path) -> list[dict[str, str]]:
        return [r for r in read_rows(folder / "measurements.csv") if r["metric"] not in TIMING]

    assert measurements(out) == measurements(demo_crawl.out)
    print(f"distributed demo run with a killed worker: {elapsed:.1f} s", file=sys.stderr)
