"""Benchmark row: a distributed crawl on one worker against the same crawl on two workers.

Demo-sized synthetic sites (``bench/sites.py``: ``pages`` pages each, the demo's sites have
about 100) are crawled as ``evalcrawl crawl --workers`` does (:func:`evalcrawler.distributed.
crawl_with_workers`: one Celery task per site, each crawled by a ``python -m evalcrawler.crawl``
child of a worker) into a fresh PostgreSQL database, once with one ``evalcrawl worker`` and once
with two, each worker running ``concurrency`` sites at once. The ratio is wall time with two
workers / wall time with one (ideal 0.5: twice the slots; here both workers share one machine,
so start-up and parsing compete for the same cores, which real separate machines do not).

    .venv/bin/python bench/distributed.py                # 200 sites, several minutes
    .venv/bin/python bench/distributed.py --sites 20     # a quick look

Needs Redis (``EVALCRAWL_BENCH_REDIS``, default ``redis://127.0.0.1:6379/0``) and a PostgreSQL
server where ``postgres`` may create databases (``EVALCRAWL_BENCH_PG``, default
``postgresql://postgres@127.0.0.1:5432/postgres``); the databases it creates are dropped.
``bench/crawl.py`` calls :func:`distributed_row`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("EVALCRAWL_ALLOW_NETS", "127.0.0.0/8")  # never leave loopback
os.environ.pop("EVALCRAWL_DB", None)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sites import WebServer  # bench/ is on sys.path (as for bench/crawl.py)

REDIS = os.environ.get("EVALCRAWL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES = os.environ.get("EVALCRAWL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
GOAL = 0.6  # two workers take at most 60 % of one worker's time


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on ``POSTGRES``, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(POSTGRES)
    name = f"evalcrawl_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def workers(n: int, concurrency: int, queue: str, logs: Path) -> Iterator[list[int]]:
    """``n`` `evalcrawl worker` processes on ``queue``, stopped (warm shutdown) afterwards."""
    from evalcrawler.distributed import Config, make_app
    from evalcrawler.distributed.orchestrator import _consumers

    env = dict(os.environ, EVALCRAWL_QUEUE=queue, EVALCRAWL_LOG_LEVEL="WARNING")
    procs = []
    with contextlib.ExitStack() as files:
        try:
            for i in range(n):
                log = files.enter_context((logs / f"worker{i + 1}.log").open("wb"))
                cmd = [sys.executable, "-m", "evalcrawler", "worker", "--broker", REDIS]
                cmd += ["--concurrency", str(concurrency), "--queue", queue]
                procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env))
            app = make_app(Config.from_env(REDIS, queue=queue))
            try:  # time the crawl, not the workers' start
                deadline = time.monotonic() + 60
                while len(_consumers(app, queue)) < n:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the workers did not start; see {logs}")
            finally:
                app.close()
            yield [p.pid for p in procs]
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def crawl(urls: list[str], n_workers: int, concurrency: int, delay: float, work: Path) -> dict:
    """Crawl the sites at ``urls`` on ``n_workers`` workers; time it, count what it stored."""
    from sqlalchemy import func, select

    from evalcrawler.config import Region
    from evalcrawler.db import make_engine, session_scope
    from evalcrawler.db.models import Page, Site
    from evalcrawler.distributed import crawl_with_workers
    from evalcrawler.pipeline import crawl_settings_for, prepare_run
    from evalcrawler.scoring.rubric import load_rubric

    work.mkdir(parents=True, exist_ok=True)
    os.environ["EVALCRAWL_WARC_DIR"] = str(work / "warc")
    region = Region.model_validate(
        {
            "id": "dist",
            "name": "bench distributed",
            "sites": [
                {"id": f"d{i}", "name_zh": f"测试{i}县人民政府", "level": "county", "url": u}
                for i, u in enumerate(urls)
            ],
        }
    )
    rubric = load_rubric("gov2013")
    settings = crawl_settings_for(region, rubric, allow_nets=["127.0.0.0/8"], delay=delay)
    queue = f"evalcrawl-bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    cpu = _children_cpu()
    with postgres_database() as db_url, workers(n_workers, concurrency, queue, work):
        run_id = prepare_run(
            region,
            year=date.today().year,
            rubric=rubric,
            db_url=db_url,
            as_of=None,
            crawl=settings,
            fresh=False,
        )
        os.environ["EVALCRAWL_QUEUE"] = queue
        try:
            started = time.monotonic()
            crawl_with_workers(run_id, db_url, REDIS)
            wall = time.monotonic() - started
        finally:
            os.environ.pop("EVALCRAWL_QUEUE", None)
        engine = make_engine(db_url)
        with session_scope(engine) as session:
            ok = Page.status.between(200, 299) & Page.is_html.is_(True)
            pages = session.scalar(select(func.count(Page.id)).where(ok))
            states = dict(
                session.execute(
                    select(Site.status, func.count(Site.id)).group_by(Site.status)
                ).all()
            )
        engine.dispose()
    _forget_queue(queue)  # once the workers are gone
    cpu = _children_cpu() - cpu  # the workers and their crawl processes, start-up included
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cores_busy": round(cpu / wall, 2),  # of os.cpu_count()
        "pages_2xx": pages or 0,
        "site_status": {str(k): v for k, v in states.items()},
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _forget_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{queue}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def distributed_row(
    workdir: Path,
    *,
    sites: int = 200,
    pages: int = 100,
    concurrency: int = 8,
    delay: float = 0.1,
) -> dict[str, Any]:
    """The bench row (the fields of bench/crawl.py's ``Row``): two workers against one."""
    say(
        f"distributed: {sites} sites × {pages} pages, delay {delay:g} s, workers of "
        f"{concurrency} slots: 1 worker, then 2 ..."
    )
    runs = {}
    with WebServer(sites, pages, first="127.0.5.1") as web:
        for n in (1, 2):
            runs[n] = crawl(web.urls, n, concurrency, delay, workdir / f"distributed-{n}")
            say(f"  {n} worker{'s' if n > 1 else ''}: {runs[n]['wall_s']:.0f} s, {runs[n]}")
    ratio = runs[2]["wall_s"] / runs[1]["wall_s"]
    return {
        "measure": f"distributed: {sites} sites × {pages} p, 2 workers vs 1 ({concurrency} "
        "slots each; wall ratio)",
        "evalcrawl": f"{runs[2]['wall_s']:.0f} s (2 workers)",
        "baseline": f"{runs[1]['wall_s']:.0f} s (1 worker)",
        "ratio": ratio,
        "goal": f"≤ {GOAL:g} (ideal 0.5)",
        "met": ratio <= GOAL,
        "detail": {
            "one_worker": runs[1],
            "two_workers": runs[2],
            "delay_s": delay,
            "cores": os.cpu_count(),
        },
    }


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8, help="slots per worker")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--workdir", help="keep logs here (default: a temporary folder)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        workdir = Path(
            args.workdir or stack.enter_context(tempfile.TemporaryDirectory(prefix="ecdist-"))
        )
        row = distributed_row(
            workdir,
            sites=args.sites,
            pages=args.pages,
            concurrency=args.concurrency,
            delay=args.delay,
        )
    print(json.dumps(row, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
