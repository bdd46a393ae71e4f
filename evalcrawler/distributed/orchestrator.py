"""``evalcrawl run --workers URL``: enqueue a task per site not yet done, wait while the
workers crawl (showing progress from the database, as the local crawl does), mark the run
crawled (:func:`crawl_with_workers`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from evalcrawler.distributed.broker import DEFAULT_QUEUE, TASK_NAME, Config, make_app, redis_client
from evalcrawler.errors import CrawlError, InterruptedRun, WorkersError

logger = logging.getLogger(__name__)

Progress = Callable[[dict[str, int]], None]


def shareable_db_url(db_url: str) -> str:
    """The URL the workers are given: a SQLite file by its absolute path (a relative one
    would mean another file in each worker's working directory)."""
    from evalcrawler.db import sqlite_file

    path = sqlite_file(db_url)
    return f"sqlite:///{path}" if path is not None else db_url


def _prepare(engine: Any, run_id: int, db_url: str) -> list[tuple[int, str]]:
    """Fix what every worker must agree on before any starts (the crawl date, the evidence
    archive's folder); return the sites not done yet as (pk, site id)."""
    from sqlalchemy import select

    from evalcrawler import archive
    from evalcrawler.config import CrawlSettings
    from evalcrawler.db import session_scope, store
    from evalcrawler.db.models import Site

    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        cs = CrawlSettings(**run.settings.get("crawl", {}))
        if run.crawl_date is None:
            run.crawl_date = date.today()
        if cs.warc and run.warc_dir is None:
            run.warc_dir = str(archive.assign_run_folder(run, cs.warc_dir, db_url))
        run.status = "crawling"
        run.started_at = run.started_at or store.now()
        sites = session.execute(
            select(Site.id, Site.site_id)
            .where(Site.run_id == run_id, Site.crawl_state != "done")
            .order_by(Site.id)
        ).all()
        return [(pk, site_id) for pk, site_id in sites]


def _consumers(app: Any, queue: str) -> list[str]:
    """The workers consuming ``queue`` now (they answer within a second)."""
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    return sorted(
        node for node, queues in replies.items() if any(q["name"] == queue for q in queues)
    )


def crawl_with_workers(
    run_id: int,
    db_url: str,
    broker: str,
    *,
    owner: str | None = None,
    progress: Progress | None = None,
    poll: float = 1.0,
    say: Callable[[str], None] | None = None,
) -> None:
    """Crawl a run on `evalcrawl worker` processes: enqueue a task per site not done, wait for
    every site to be done, mark the run crawled. Raises on a failed site, when no worker
    consumes the queue, or when interrupted (the workers go on; run again to wait again)."""
    from evalcrawler.db import make_engine, session_scope, store
    from evalcrawler.db.models import Run

    config = Config.from_env(broker)
    redis_client(config).close()
    db_url = shareable_db_url(db_url)
    engine = make_engine(db_url)
    app = make_app(config)
    try:
        sites = _prepare(engine, run_id, db_url)
        names = dict(sites)
        results = {}
        for pk, _site_id in sites:
            results[pk] = app.send_task(
                TASK_NAME,
                args=[run_id, db_url, pk],
                queue=config.queue,
                argsrepr=repr([run_id, shown_url(db_url), pk]),
            )
        if say is not None and sites:
            say(f"queued {len(sites)} sites on {config.shown} (queue {config.queue})")
        _wait(app, engine, config, run_id, names, results, owner, progress, poll)
        with session_scope(engine) as session:
            run = session.get(Run, run_id)
            if run is not None:
                run.status = "crawled"
                run.message = ""
                run.finished_at = store.now()
    except KeyboardInterrupt:
        raise InterruptedRun(
            f"stopped waiting; the workers go on crawling run {run_id}. Run the same command "
            "again to wait for them, then score and report"
        ) from None
    finally:
        close_app(app)
        engine.dispose()


def close_app(app: Any) -> None:
    """Close the app, and the connections to the queue it leaves open.

    Celery's ``close()`` only forgets the app's connection pool: a kombu pool shared by the
    process, whose connections stay open, one of them with a BRPOP in flight (the replies of
    ``inspect``). kombu closes its pools' connections in every forked process, so a process
    forked later by this one (the scoring pool of a large run) waited for ever for that reply.
    ``kombu.pools.reset()`` closes them here, marks those pools closed (a fork leaves them
    alone) and lets the next use in this process make new ones."""
    from kombu import pools

    app.close()
    pools.reset()


def shown_url(db_url: str) -> str:
    from evalcrawler.db import safe_url

    return safe_url(db_url)


def _wait(
    app: Any,
    engine: Any,
    config: Config,
    run_id: int,
    names: dict[int, str],
    results: dict[int, Any],
    owner: str | None,
    progress: Progress | None,
    poll: float,
) -> None:
    from evalcrawler.db import session_scope, store

    check_every = max(2.0, min(15.0, config.worker_wait / 4))
    started = time.monotonic()
    last_seen = started  # when a worker consuming the queue was last seen (or the start)
    next_check = started + min(check_every, 3.0)
    next_states = started
    while True:
        with session_scope(engine) as session:
            state = store.crawl_progress(session, run_id)
        if progress is not None:
            progress(state)
        if state["sites_done"] >= state["sites"]:
            return
        store.refresh_lock(engine, run_id, owner)
        now = time.monotonic()
        if now >= next_states:
            next_states = now + 5.0
            for pk, result in results.items():
                if result.state == "FAILURE":
                    raise CrawlError(
                        f"site {names[pk]} could not be crawled on a worker: {result.result}; "
                        "run the same command again to try it again"
                    )
        if now >= next_check:
            next_check = now + check_every
            if _consumers(app, config.queue):
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen >= config.worker_wait:
                queue = "" if config.queue == DEFAULT_QUEUE else f" --queue {config.queue}"
                raise WorkersError(
                    f"no worker is taking tasks from {config.shown} (queue {config.queue}) "
                    f"for {config.worker_wait:g} s; start one with `evalcrawl worker --broker "
                    f"{config.shown}{queue}`, then run the same command again"
                )
        time.sleep(poll)
