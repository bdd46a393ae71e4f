"""Distributed crawls: one Celery task per site, run by `evalcrawl worker` processes on any number
of machines that share one Redis (the broker) and one database.

``evalcrawl run --workers redis://…`` prepares the run as usual, enqueues one task per site not
yet done (:func:`crawl_with_workers`), waits while the workers crawl (showing progress from the
database, as the local crawl does), marks the run crawled, then scores and reports. A worker
(:func:`run_worker`) runs each task by starting ``python -m evalcrawler.crawl --run ID
--db URL --site PK``: the ordinary crawl child, limited to that site. It resumes the site from
the database like any crawl and streams its facts to the shared database; results never pass
through the broker.

Delivery and politeness, on the Redis transport:

* Tasks are acknowledged late (after the crawl), one at a time per worker slot
  (``worker_prefetch_multiplier=1``). Redis has no consumer liveness: an unacknowledged task is
  handed out again only after the *visibility timeout*, whoever held it. So a worker keeps the
  tasks it runs fresh (:func:`_keep_invisible`, every few seconds): a running crawl is never
  handed out again however long it lasts, and the task of a worker killed mid-site is handed
  to another worker one visibility timeout after that worker's last sign of life.
* A site is crawled by one process at a time: the task takes a per-site lock in Redis
  (``SET NX PX``, refreshed while the crawl child runs, by the worker and by the child itself,
  so a child that outlives its worker for a moment still holds it). A task that finds the lock
  taken (a redelivered duplicate) retries later; one that finds the site done returns. Tasks
  are therefore idempotent, and enqueuing a site twice is harmless.
* The workers run tasks in threads (``--pool threads``): a task only supervises its crawl child
  (the crawling happens in that child process), so a thread per slot is all it needs, every
  task dies with its worker (nothing forked is left without the connection that acknowledges),
  and the worker still answers the orchestrator's "who consumes this queue?" while all its
  slots crawl.
* A warm shutdown (SIGTERM, Ctrl-C) stops the crawl children cleanly and puts their sites back
  in the queue, so another worker resumes them at once.

All keys of a queue live under ``<queue>:`` in Redis, so several queues (teams, test runs) can
share one Redis without taking each other's tasks. See docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evalcrawler.errors import ConfigError, CrawlError, InterruptedRun, WorkersError

logger = logging.getLogger(__name__)

Progress = Callable[[dict[str, int]], None]

TASK_NAME = "evalcrawl.crawl_site"
DEFAULT_QUEUE = "evalcrawl"
DEFAULT_VISIBILITY_TIMEOUT = 300.0  # a dead worker's site is crawled again after this
DEFAULT_LOCK_TTL = 60.0  # a site lock not refreshed for this long is free
DEFAULT_WORKER_WAIT = 120.0  # no worker consuming the queue for this long is an error
MAX_FAILURES = 3  # crawl attempts of a site that fail before its task fails
LOCK_ENV = "EVALCRAWL_SITE_LOCK"  # the crawl child's copy of its site lock (JSON)
SCHEMES = ("redis", "rediss", "unix")


# ------------------------------------------------------------------ configuration


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds")
    return value


def safe_broker(url: str) -> str:
    """The broker URL with any password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


@dataclass(frozen=True)
class Config:
    """Where the queue is and its timings (the same on the orchestrator and every worker)."""

    broker: str
    queue: str = DEFAULT_QUEUE
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    lock_ttl: float = DEFAULT_LOCK_TTL
    worker_wait: float = DEFAULT_WORKER_WAIT

    @classmethod
    def from_env(
        cls,
        broker: str,
        *,
        queue: str | None = None,
        visibility_timeout: float | None = None,
    ) -> Config:
        """``EVALCRAWL_QUEUE``, ``EVALCRAWL_VISIBILITY_TIMEOUT``, ``EVALCRAWL_SITE_LOCK_TTL``
        and ``EVALCRAWL_WORKER_WAIT`` (seconds) change the defaults; arguments win."""
        if not broker or urlsplit(broker).scheme not in SCHEMES:
            raise ConfigError(
                f"{broker!r} is not a Redis URL; give the broker as redis://host:6379/0 "
                "(rediss:// for TLS)"
            )
        queue = queue or os.environ.get("EVALCRAWL_QUEUE", "").strip() or DEFAULT_QUEUE
        if not queue.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ConfigError(f"queue name {queue!r}: use letters, digits, '-', '_' and '.'")
        config = cls(
            broker=broker,
            queue=queue,
            visibility_timeout=visibility_timeout
            or _env_seconds("EVALCRAWL_VISIBILITY_TIMEOUT", DEFAULT_VISIBILITY_TIMEOUT),
            lock_ttl=_env_seconds("EVALCRAWL_SITE_LOCK_TTL", DEFAULT_LOCK_TTL),
            worker_wait=_env_seconds("EVALCRAWL_WORKER_WAIT", DEFAULT_WORKER_WAIT),
        )
        if config.visibility_timeout < config.lock_ttl:
            raise ConfigError(
                f"the visibility timeout ({config.visibility_timeout:g} s) must not be shorter "
                f"than the site lock's lifetime ({config.lock_ttl:g} s)"
            )
        return config

    @property
    def shown(self) -> str:
        return safe_broker(self.broker)

    @property
    def prefix(self) -> str:
        """Every Redis key of this queue starts with this."""
        return f"{self.queue}:"

    @property
    def refresh_every(self) -> float:
        """How often locks and running tasks are kept fresh: three times per lock lifetime."""
        return self.lock_ttl / 3

    @property
    def retry_after(self) -> float:
        """A duplicate that finds its site locked tries again after this (well within the
        visibility timeout: a task waiting for its retry is not kept fresh)."""
        return min(self.lock_ttl, self.visibility_timeout / 3)


def redis_client(config: Config) -> Any:
    """A Redis client of the broker, checked with a PING; one-line error when unreachable."""
    import redis

    client = redis.Redis.from_url(
        config.broker, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        text = str(exc).strip()
        reason = text.splitlines()[0].rstrip(".") if text else type(exc).__name__
        raise WorkersError(
            f"cannot reach the broker at {config.shown}: {reason}; check that Redis runs "
            "there and that the URL is right"
        ) from None
    return client


def check_broker(broker: str) -> Config:
    """The configuration for ``broker``, once Redis answers there (one-line errors)."""
    try:
        import celery  # noqa: F401 - the optional dependency must be there
    except ImportError:
        raise ConfigError(
            'distributed runs need Celery: pip install "evalcrawl[distributed]"'
        ) from None
    config = Config.from_env(broker)
    redis_client(config).close()
    return config


def make_app(config: Config) -> Any:
    """The Celery app of ``config``: broker and result backend on the same Redis."""
    from celery import Celery

    visibility = config.visibility_timeout
    transport = {
        "global_keyprefix": config.prefix,
        "visibility_timeout": visibility,
        # Look for the tasks of dead workers a few times per visibility timeout.
        "unacked_restore_interval": max(1.0, min(10.0, visibility / 4)),
        "unacked_restore_throttle": 1,
        # A worker killed while restoring must not block the others' restores for long.
        "unacked_mutex_expire": max(1, min(60, int(visibility))),
        # Named here because _keep_invisible writes to them.
        "unacked_key": "unacked",
        "unacked_index_key": "unacked_index",
        "socket_connect_timeout": 10,
    }
    app = Celery("evalcrawl", broker=config.broker, backend=config.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=config.queue,
        task_track_started=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=timedelta(days=7),
        broker_transport_options=transport,
        result_backend_transport_options={"global_keyprefix": config.prefix},
        broker_connection_retry_on_startup=True,
        # A lost connection does not stop the crawls; their tasks are acknowledged or handed
        # out again (the site lock keeps a second crawl waiting) once it is back.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_send_task_events=False,
        worker_hijack_root_logger=True,
    )

    @app.task(name=TASK_NAME, bind=True, max_retries=None)
    def crawl_site(task: Any, run_id: int, db_url: str, site_pk: int, failures: int = 0) -> str:
        return _crawl_site(task, config, run_id, db_url, site_pk, failures)

    return app


# ------------------------------------------------------------------ the site lock


def db_key(db_url: str) -> str:
    from evalcrawler.db import safe_url

    return hashlib.sha1(safe_url(db_url).encode()).hexdigest()[:12]


def lock_key(db_url: str, run_id: int, site_pk: int) -> str:
    """The site lock's key. Not under a queue's prefix: a site is one site whatever queue."""
    return f"evalcrawl:site-lock:{db_key(db_url)}:{run_id}:{site_pk}"


_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class SiteLock:
    """A lock in Redis that expires unless refreshed; its value names the holder."""

    def __init__(self, client: Any, key: str, ttl: float, token: str | None = None) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1, int(ttl * 1000))
        self.token = token or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def refresh(self) -> bool:
        """Extend the lock; False when it is no longer ours (it expired and was taken)."""
        return bool(self.client.eval(_REFRESH, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value else None

    def to_env(self, broker: str) -> str:
        return json.dumps(
            {"broker": broker, "key": self.key, "token": self.token, "ttl_ms": self.ttl_ms}
        )


@contextlib.contextmanager
def child_site_lock() -> Iterator[None]:
    """In a crawl child started by a worker: keep refreshing the worker's site lock for as
    long as this process runs (so a child that outlives a killed worker for a moment still
    holds it), and stop the crawl cleanly should the lock be lost. A no-op elsewhere."""
    raw = os.environ.get(LOCK_ENV)
    if not raw:
        yield
        return
    import redis

    spec = json.loads(raw)
    client = redis.Redis.from_url(spec["broker"], socket_connect_timeout=5, socket_timeout=10)
    lock = SiteLock(client, spec["key"], spec["ttl_ms"] / 1000, spec["token"])
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(lock.ttl_ms / 3000):
            try:
                kept = lock.refresh()
            except redis.RedisError as exc:
                logger.warning("cannot refresh the site lock: %s", exc)
                continue
            if not kept:
                logger.error("the site lock was lost: stopping this crawl (it is resumed later)")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=refresh, name="site-lock", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        client.close()


# ------------------------------------------------------------------ worker side


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


def _crawl_site(
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


# ------------------------------------------------------------------ orchestrator side


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
        app.close()
        engine.dispose()


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
