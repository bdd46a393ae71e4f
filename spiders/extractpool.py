"""Page-fact extraction in worker processes beside the crawl's event loop, each page with a
time limit.

Extraction is pure CPU work: run in Scrapy's reactor thread, one slow page stops every request
to every site (timeouts do not even fire), and the crawl uses one core. So the spider hands
each response to :class:`ExtractPool`: a few worker processes (``forkserver``: started once
per crawl from a clean process that has the extractor imported; no copy of the reactor, the
database connection or the downloads), fed by as many threads of a Twisted thread pool, which
the spider's async callbacks await. A page whose extraction takes longer than the limit has
its worker killed and replaced; the page is kept with the error :data:`TIMEOUT_ERROR` and no
facts (``is_html`` false), and the spider names it in the site's reason. A worker that dies
(out of memory, a crash in a C library) costs its page the same way.

Settings (Scrapy settings, else environment variables of the same name):

* ``EVALCRAWL_EXTRACT_TIMEOUT``: seconds one page may take (default 30);
* ``EVALCRAWL_EXTRACT_WORKERS``: worker processes (default: the cores, at least 2 and at
  most 4, so that a page at its time limit never stops the others); ``0`` extracts in the
  reactor thread, without a time limit.

No worker outlives the crawl, however it ends: each watches a pipe whose other end only the
crawl process holds, and exits when it closes (the spider closes, the process exits or is
killed); the fork server exits once the crawl process and its workers are gone. (A worker
holds the fork server's own "alive" pipe, so the kernel's parent-death signal, which names
the fork server as parent, would not do alone.)

Tests make a page slow with ``EVALCRAWL_EXTRACT_TEST_DELAY`` (``SECONDS:REGEX``: the worker
sleeps that long before extracting a URL the pattern matches).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Mapping
from datetime import date
from multiprocessing.connection import Connection
from typing import Any, cast

from evalcrawler.errors import ConfigError
from evalcrawler.facts import EXTRACTION_ERROR_PREFIX, ExtractOptions, PageFacts
from evalcrawler.spiders.extract import extract_page, page_without_facts

logger = logging.getLogger(__name__)

TIMEOUT_ENV = "EVALCRAWL_EXTRACT_TIMEOUT"
WORKERS_ENV = "EVALCRAWL_EXTRACT_WORKERS"
TEST_DELAY_ENV = "EVALCRAWL_EXTRACT_TEST_DELAY"
DEFAULT_TIMEOUT = 30.0
MAX_WORKERS = 4

TIMEOUT_ERROR = "extraction took over {seconds:g} s: not read"
FAILED_ERROR = "extraction failed ({why}): not read"

# What the fork server imports once, so that every worker starts with it.
_PRELOAD = ["evalcrawler.spiders.extract", "htmldate", "charset_normalizer"]


def is_cut(facts: PageFacts) -> bool:
    """Whether the pool gave up on this page (its time limit, a dead worker)."""
    return bool(facts.error and facts.error.startswith(EXTRACTION_ERROR_PREFIX))


def extract_settings(settings: Any = None) -> tuple[float, int]:
    """(time limit in seconds, worker processes) from Scrapy settings or the environment;
    :class:`~evalcrawler.errors.ConfigError` with a one-line fix for a bad value."""

    def value(name: str) -> str:
        given = settings.get(name) if settings is not None else None
        return str(given if given is not None else os.environ.get(name, "")).strip()

    timeout_text, workers_text = value(TIMEOUT_ENV), value(WORKERS_ENV)
    try:
        timeout = float(timeout_text) if timeout_text else DEFAULT_TIMEOUT
    except ValueError:
        timeout = -1.0
    if not 0 < timeout < float("inf"):
        raise ConfigError(
            f"{TIMEOUT_ENV}={timeout_text!r} is not a number of seconds: set it above 0 "
            f"(default {DEFAULT_TIMEOUT:g})"
        )
    try:
        workers = int(workers_text) if workers_text else default_workers()
    except ValueError:
        workers = -1
    if not 0 <= workers <= 64:
        raise ConfigError(
            f"{WORKERS_ENV}={workers_text!r} is not a number of processes: set it from 0 "
            "(extract in the crawl process) to 64"
        )
    return timeout, workers


def default_workers() -> int:
    return max(2, min(MAX_WORKERS, os.cpu_count() or 1))


# ------------------------------------------------------------------------- worker process


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux), as the crawl process
    does (evalcrawler.crawl); elsewhere the closed pipe ends the worker at its next page."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        os._exit(0)  # the parent is gone already


def _test_delay() -> tuple[float, re.Pattern[str]] | None:
    spec = os.environ.get(TEST_DELAY_ENV, "")
    seconds, sep, pattern = spec.partition(":")
    if not sep:
        return None
    return float(seconds), re.compile(pattern)


def _exit_with(life: Connection) -> None:
    """Exit this process at once when the crawl process closes its end of ``life`` (also by
    dying): even in the middle of a page."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            life.recv()  # nothing is ever sent: this returns when the other end closes
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-the-crawl", daemon=True).start()


def _serve(conn: Connection, life: Connection) -> None:
    """A worker: extract the pages the connection brings until it closes."""
    _die_with_parent()
    _exit_with(life)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle
    delay = _test_delay()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        url, body, headers, status, fetched = job[:5]
        options = job[5] if len(job) > 5 else None  # the site's corrections
        if delay is not None and delay[1].search(url):
            time.sleep(delay[0])
        conn.send(extract_page(url, body, headers, status, fetched=fetched, options=options))


# ------------------------------------------------------------------------- crawl side


class _Worker:
    """One worker process and the crawl's end of its pipe."""

    def __init__(self, context: Any, life: Connection) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, life), daemon=True)
        self.process.start()
        child.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        self.conn.close()  # the worker's recv ends: it returns
        self.process.join(1)
        if self.process.is_alive():
            self.kill()


class ExtractPool:
    """Worker processes that extract page facts, each page within ``timeout`` seconds."""

    def __init__(self, workers: int, timeout: float) -> None:
        self.workers = workers
        self.timeout = timeout
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._threads: Any = None  # a Twisted ThreadPool, one thread per worker
        self._context: Any = None
        self._life: tuple[Connection, Connection] | None = None  # (workers' end, ours)
        self.stopped = False
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPool:
        """The pool of a crawl: started when the spider opens, stopped when it closes."""
        from scrapy import signals

        timeout, workers = extract_settings(crawler.settings)
        pool = cls(workers, timeout)
        crawler.signals.connect(pool.start, signal=signals.spider_opened)
        crawler.signals.connect(pool.stop, signal=signals.spider_closed)
        return pool

    def start(self) -> None:
        if self.workers == 0 or self._threads is not None:
            return
        from twisted.internet import reactor
        from twisted.python.threadpool import ThreadPool

        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._life = self._context.Pipe(duplex=False)
        for _ in range(self.workers):
            self._idle.put(None)  # a slot: its worker starts with its first page
        self._threads = ThreadPool(self.workers, self.workers, name="extract")
        self._threads.start()
        # Should the crawl end without spider_closed, the threads must not keep the process.
        # (typed through Any: mypy misreads zope interface methods as taking no self)
        cast(Any, reactor).addSystemEventTrigger("during", "shutdown", self.stop)

    def stop(self) -> None:
        """Stop the threads and the workers (idempotent)."""
        if self.stopped or self._threads is None:
            return
        self.stopped = True
        idle: list[_Worker] = []
        with contextlib.suppress(queue.Empty):
            while True:
                worker = self._idle.get_nowait()
                if worker is not None:
                    idle.append(worker)
        with self._lock:
            busy = [w for w in self._all if w not in idle]
            self._all = []
        for worker in idle:
            worker.stop()
        # A busy worker is killed; the thread waiting for it sees the pipe close at once and
        # closes its end itself.
        for worker in busy:
            with contextlib.suppress(OSError, ValueError):
                worker.process.kill()
        for _ in range(self.workers):
            self._idle.put(None)  # a thread about to take a slot must not wait for ever
        self._threads.stop()
        if self._life is not None:
            for end in self._life:
                end.close()  # any worker still there exits

    async def extract(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        status: int,
        fetched: date,
        options: ExtractOptions | None = None,
    ) -> PageFacts:
        """The facts of one response, as :func:`~evalcrawler.spiders.extract.extract_page`
        gives them (``options``: the site's corrections), or a page without facts whose error
        says why (see the module docstring)."""
        if self._threads is None or self.stopped:
            return extract_page(url, body, headers, status, fetched=fetched, options=options)
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, threads

        job = (url, bytes(body), dict(headers), status, fetched, options)
        deferred = threads.deferToThreadPool(reactor, self._threads, self._run, job)
        facts: PageFacts = await maybe_deferred_to_future(deferred)
        return facts

    def _run(self, job: tuple[Any, ...]) -> PageFacts:
        """In a pool thread: one page on one worker, within the time limit."""
        url, body, headers, status, fetched = job[:5]
        options = job[5] if len(job) > 5 else None  # the site's corrections
        worker = self._idle.get()
        if self.stopped:  # the workers are gone: read it here (the crawl is ending anyway)
            self._idle.put(worker)
            return extract_page(url, body, headers, status, fetched=fetched, options=options)
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._forget(worker)
                    worker.kill()
                    worker = None
                try:
                    worker = self._start_worker()
                except Exception as exc:  # no worker process can start here: read it anyway
                    self._no_workers(exc)
                    return extract_page(
                        url, body, headers, status, fetched=fetched, options=options
                    )
            worker.conn.send(job)
            if worker.conn.poll(self.timeout):
                facts: PageFacts = worker.conn.recv()
                return facts
            logger.warning("extraction of %s took over %g s: worker killed", url, self.timeout)
            self._forget(worker)
            worker.kill()
            worker = None
            error = TIMEOUT_ERROR.format(seconds=self.timeout)
        except (EOFError, OSError) as exc:  # the worker died (or could not start)
            why = self._why_dead(worker, exc)
            logger.error("extraction of %s failed: %s", url, why)
            if worker is not None:
                self._forget(worker)
                worker.kill()
            worker = None
            error = FAILED_ERROR.format(why=why)
        finally:
            self._idle.put(worker)
        return page_without_facts(url, body, headers, status, error)

    def _no_workers(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            logger.error(
                "extraction workers cannot start (%s): pages are read in the crawl process's "
                "threads, without a time limit",
                exc,
            )

    def _start_worker(self) -> _Worker:
        assert self._life is not None
        worker = _Worker(self._context, self._life[0])
        with self._lock:
            self._all.append(worker)
        return worker

    def _forget(self, worker: _Worker) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._all.remove(worker)

    @staticmethod
    def _why_dead(worker: _Worker | None, exc: BaseException) -> str:
        if worker is None:
            return f"no worker process: {exc}"
        worker.process.join(1)
        code = worker.process.exitcode
        if code is not None and code < 0:
            return f"the worker process was killed by signal {-code}"
        if code is not None:
            return f"the worker process ended with exit code {code}"
        return f"the worker process stopped answering: {exc}"
