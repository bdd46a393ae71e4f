"""``evalcrawl worker``: consume the queue and crawl each site in a crawl child process.

A task (:func:`crawl_site`) takes the site's lock, starts ``python -m evalcrawler.crawl --run ID
--db URL --site PK``, keeps the lock and the task's message fresh while the child runs, and
retries, requeues or fails the task by how the child ended (see the package docstring).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from evalcrawler.distributed.broker import Config, make_app, redis_client
from evalcrawler.distributed.sitelock import LOCK_ENV, SiteLock, lock_key

logger = logging.getLogger(__name__)

MAX_FAILURES = 3  # crawl attempts of a site that fail before its task fails


class _Children:
    """The crawl children running in this worker, to stop them on a warm shutdown."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen[bytes]] = set()
        self.shutting_down = threading.Event()

    @contextlib.contextmanager
    def tracked(self, child: subprocess.Popen[bytes]) -> Iterator[None]:
        with self.lock:
            self.running.add(child)
        try:
            yield
        finally:
            with self.lock:
                self.running.discard(child)

    def stop_all(self, *_args: Any, **_kwargs: Any) -> None:
        self.shutting_down.set()
        with self.lock:
            children = list(self.running)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)  # the crawl stops cleanly, keeping its facts


CHILDREN = _Children()


def _site_state(db_url: str, run_id: int, site_pk: int) -> tuple[str, str]:
    """("todo" | "done" | "gone", site id) of a site of a run."""
    from evalcrawler.db import make_engine, session_scope
    from evalcrawler.db.models import Run, Site

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            run = session.get(Run, run_id)
            site = session.get(Site, site_pk)
            if run is None or site is None or site.run_id != run_id or run.superseded:
                return "gone", site.site_id if site is not None else str(site_pk)
            return ("done" if site.crawl_state == "done" else "todo"), site.site_id
    finally:
        engine.dispose()


def _delivery_tag(task_id: str) -> str | None:
    """The broker's delivery tag of the message of a task this worker runs."""
    from celery.worker import state

    for request in [*state.active_requests, *state.reserved_requests]:
        if request.id == task_id:
            return str(request.message.delivery_tag)
    return None


def _keep_invisible(client: Any, config: Config, tag: str | None) -> None:
    """Mark the running task's message as delivered just now, so that Redis' visibility
    timeout counts from the worker's last sign of life, not from the start of a long crawl.

    (The Redis transport keeps delivered, unacknowledged messages in a sorted set scored by
    delivery time, and hands out again those older than the visibility timeout. ``XX``: only
    an entry still there is updated. Should the transport ever store them otherwise, this does
    nothing and a long crawl is handed out again after the timeout: the site lock then keeps
    the duplicate waiting.)"""
    if tag is None:
        return
    client.zadd(f"{config.prefix}unacked_index", {tag: time.time()}, xx=True)


def _supervise(
    task_id: str, config: Config, client: Any, lock: SiteLock, cmd: list[str]
) -> int | None:
    """Run the crawl child, keeping the lock and the task fresh. None: the lock was lost."""
    from evalcrawler.crawl import PARENT_ENV

    env = dict(os.environ)
    env[LOCK_ENV] = lock.to_env(config.broker)
    env[PARENT_ENV] = str(os.getpid())
    tag = _delivery_tag(task_id)
    lost = False
    child = subprocess.Popen(cmd, env=env, start_new_session=True)
    with CHILDREN.tracked(child):
        if CHILDREN.shutting_down.is_set():
            child.send_signal(signal.SIGTERM)
        while True:
            try:
                code = child.wait(timeout=config.refresh_every)
                break
            except subprocess.TimeoutExpired:
                pass
            try:
                if not lock.refresh() and not lost:
                    lost = True
                    logger.error("lost the lock of %s: stopping its crawl", lock.key)
                    child.send_signal(signal.SIGTERM)
                _keep_invisible(client, config, tag)
            except Exception as exc:  # Redis away for a moment: keep crawling, try again
                logger.warning("cannot refresh the site lock or the task: %s", exc)
    return None if lost else code


def crawl_site(
    task: Any, config: Config, run_id: int, db_url: str, site_pk: int, failures: int
) -> str:
    """The task: crawl one site of a run (see the module docstring). Returns what happened."""
    from celery.exceptions import Reject

    from evalcrawler.errors import EvalcrawlError

    try:
        state, site_id = _site_state(db_url, run_id, site_pk)
    except EvalcrawlError as exc:  # the database is unreachable: like a failed crawl
        return _failed(task, config, run_id, db_url, site_pk, failures, str(exc))
    if state != "todo":
        logger.info("run %s, site %s: %s, nothing to do", run_id, site_id, state)
        return state
    client = redis_client(config)
    try:
        lock = SiteLock(client, lock_key(db_url, run_id, site_pk), config.lock_ttl)
        if not lock.acquire():
            logger.info(
                "run %s, site %s is being crawled by %s; trying again in %.0f s",
                run_id,
                site_id,
                lock.holder(),
                config.retry_after,
            )
            raise task.retry(countdown=config.retry_after, max_retries=None)
        try:
            state, _ = _site_state(db_url, run_id, site_pk)  # done while we waited?
            if state != "todo":
                return state
            logger.info("run %s, site %s: crawling", run_id, site_id)
            cmd = [sys.executable, "-m", "evalcrawler.crawl", "--run", str(run_id)]
            cmd += ["--db", db_url, "--site", str(site_pk)]
            code = _supervise(task.request.id, config, client, lock, cmd)
        finally:
            with contextlib.suppress(Exception):
                lock.release()
    finally:
        client.close()
    with contextlib.suppress(EvalcrawlError):
        # Done is done, however the process ended (it may have been stopped while closing).
        if _site_state(db_url, run_id, site_pk)[0] != "todo":
            logger.info("run %s, site %s: done", run_id, site_id)
            return "done"
    if CHILDREN.shutting_down.is_set():
        logger.info("run %s, site %s: stopped by the shutdown; back in the queue", run_id, site_id)
        raise Reject("the worker is shutting down", requeue=True)
    if code is None:  # the lock was lost (Redis away longer than its lifetime): resume later
        raise task.retry(countdown=config.retry_after, max_retries=None)
    reason = (
        f"the crawl process exited with {code}"
        if code
        else "the crawl process ended without finishing the site"
    )
    return _failed(task, config, run_id, db_url, site_pk, failures, reason)


def _failed(
    task: Any,
    config: Config,
    run_id: int,
    db_url: str,
    site_pk: int,
    failures: int,
    reason: str,
) -> str:
    failures += 1
    if failures >= MAX_FAILURES:
        raise RuntimeError(f"{reason} ({failures} attempts); see the worker's log")
    logger.warning(
        "run %s, site pk %s: %s; trying again (%d/%d)",
        run_id,
        site_pk,
        reason,
        failures,
        MAX_FAILURES,
    )
    raise task.retry(
        args=[run_id, db_url, site_pk],
        kwargs={"failures": failures},
        countdown=min(10.0 * 2**failures, config.retry_after),
        max_retries=None,
    )


def run_worker(
    broker: str,
    *,
    concurrency: int = 1,
    queue: str | None = None,
    visibility_timeout: float | None = None,
    loglevel: str = "INFO",
) -> None:
    """Consume the queue until stopped: ``evalcrawl worker``."""
    from celery import signals

    config = Config.from_env(broker, queue=queue, visibility_timeout=visibility_timeout)
    redis_client(config).close()  # a one-line error now rather than retries forever
    app = make_app(config)
    signals.worker_shutting_down.connect(CHILDREN.stop_all, weak=False)
    app.worker_main(
        [
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--queues",
            config.queue,
            "--hostname",
            f"evalcrawl-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            loglevel,
        ]
    )
