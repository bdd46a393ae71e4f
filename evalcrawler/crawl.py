"""Run the crawl of a run: the only module that starts Scrapy.

Twisted's reactor cannot be restarted, so the crawl runs in a child process started from this
module (``python -m evalcrawler.crawl --run ID --db URL``, see :func:`main`) that reads the run
from the database, crawls every site not yet done, streams its facts back to the database and
exits. The parent (:func:`crawl_run`) shows progress from the database, forwards SIGINT/SIGTERM
to the child (which then stops cleanly) and reports how the crawl ended. Results never pass
through pipes.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from datetime import date
from pathlib import Path
from typing import Any

from evalcrawler import archive
from evalcrawler.config import CrawlSettings
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.models import Run, Site
from evalcrawler.errors import EXIT_INTERRUPTED, CrawlError, EvalcrawlError, InterruptedRun
from evalcrawler.spiders.browser import render_settings

logger = logging.getLogger(__name__)

Progress = Callable[[dict[str, int]], None]


def scrapy_settings(
    cs: CrawlSettings, *, db_url: str, run_id: int, n_sites: int, log_file: str | None
) -> dict[str, Any]:
    """Scrapy settings for a crawl with these evalcrawl settings."""
    per_host = max(1, cs.per_host)
    settings: dict[str, Any] = {
        "BOT_NAME": "evalcrawl",
        "USER_AGENT": cs.user_agent,
        "ROBOTSTXT_OBEY": cs.obey_robots,
        "CONCURRENT_REQUESTS": max(16, min(1024, n_sites * per_host * 2)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        # Items go to a synchronous pipeline: Scrapy starts this many asyncio tasks per
        # response to process its output, so more would only cost time (100 by default).
        "CONCURRENT_ITEMS": 16,
        # A development check that parses a callback's source with ast, again and again for
        # bound methods: about a tenth of the crawl's CPU, for nothing a crawl can use.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # --delay is a minimum: no random shortening, AutoThrottle may only lengthen it.
        "DOWNLOAD_DELAY": cs.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": cs.autothrottle and cs.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(cs.delay, 1.0) if cs.delay > 0 else 0,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, cs.delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(per_host),
        "DOWNLOAD_TIMEOUT": cs.timeout,
        "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 0,
        "DNS_TIMEOUT": 15,
        # Only http and https are ever fetched: a redirect to file:///etc/shadow, data:, ftp:
        # or s3: finds no handler (and the address guard refuses it before that).
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        # Every connection resolves its host through the guard: one vetted answer per host.
        "TWISTED_DNS_RESOLVER": "evalcrawler.spiders.guard.GuardedResolver",
        "RETRY_TIMES": 2,
        "REDIRECT_MAX_TIMES": 10,  # robots.txt's redirects: as many as the spider follows
        "COOKIES_ENABLED": True,  # capped per site: see CappedCookiesMiddleware
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": os.environ.get("EVALCRAWL_LOG_LEVEL", "INFO"),
        "LOG_FILE": log_file,
        "LOG_FILE_APPEND": True,
        "LOGSTATS_INTERVAL": 60.0,
        "DEPTH_LIMIT": 50,  # a guard against ever deeper paths; budgets bound the rest
        "ITEM_PIPELINES": {"evalcrawler.spiders.pipelines.DatabasePipeline": 300},
        # --delay counts from the previous answer: a busy event loop cannot shorten it.
        "EXTENSIONS": {"evalcrawler.spiders.middlewares.DelayAfterResponse": 500},
        "DOWNLOADER_MIDDLEWARES": {
            # The guard first: a refused host never even gets its robots.txt asked for.
            "evalcrawler.spiders.guard.AddressGuardMiddleware": 50,
            # robots.txt per scheme, host and port (Scrapy's is per host and port).
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "evalcrawler.spiders.middlewares.OriginRobotsTxtMiddleware": 100,
            # After robots.txt (100): disallowed URLs do not use up the budget.
            "evalcrawler.spiders.middlewares.BudgetMiddleware": 110,
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
            "evalcrawler.spiders.middlewares.CappedCookiesMiddleware": 700,
            # Above RetryMiddleware (550): a 429/503 pauses its host before it is retried.
            "evalcrawler.spiders.middlewares.RetryAfterMiddleware": 560,
            # Above HttpCompressionMiddleware (590): the archive keeps the bytes as sent.
            "evalcrawler.spiders.warc.WarcMiddleware": 950,
        },
        "EVALCRAWL_WARC": cs.warc,
        "EVALCRAWL_DB_URL": db_url,
        "EVALCRAWL_RUN_ID": run_id,
        "EVALCRAWL_ALLOW_PRIVATE": cs.allow_private,
        "EVALCRAWL_ALLOW_NETS": list(cs.allow_nets),
        "EVALCRAWL_CA_BUNDLE": cs.ca_bundle or "",  # trusted by the TLS check, with the system's
        "EVALCRAWL_RESOLVER_INJECTED": bool(os.environ.get("EVALCRAWL_RESOLVER")),
        "EVALCRAWL_ADDRESS_RESOLVER": os.environ.get("EVALCRAWL_ADDRESS_RESOLVER", ""),
        "EVALCRAWL_RESOLVER": os.environ.get(
            "EVALCRAWL_RESOLVER", "evalcrawler.spiders.middlewares.resolve_aaaa"
        ),
    }
    # Rendering (docs/rendering.md): the browser's handler only when a page may need it.
    render = render_settings(cs.render, cs.timeout)
    handlers = render.pop("DOWNLOAD_HANDLERS", {})
    settings["DOWNLOAD_HANDLERS"].update(handlers)
    settings.update(render)
    return settings


# ------------------------------------------------------------------ child side


def main(argv: list[str] | None = None) -> int:
    """The crawl child: ``python -m evalcrawler.crawl --run ID --db URL [--log-file FILE]
    [--site PK …]``. Started by :func:`crawl_run` (and by a distributed worker, with ``--site``
    and its site lock in the environment); not for direct use. Returns the exit code: 0 done,
    1 failed (an expected failure is printed as ``Error: …``), 130 stopped."""
    parser = argparse.ArgumentParser(
        prog="python -m evalcrawler.crawl",
        description="Crawl the unfinished sites of a stored run in this process.",
    )
    parser.add_argument("--run", dest="run_id", type=int, required=True, help="Run id.")
    parser.add_argument("--db", dest="db_url", required=True, help="Database URL.")
    parser.add_argument("--log-file", help="Append Scrapy's log to this file.")
    parser.add_argument(
        "--site", dest="site_pks", type=int, action="append", help="Only this site (its pk)."
    )
    args = parser.parse_args(argv)
    from evalcrawler.distributed.sitelock import child_site_lock

    try:
        with child_site_lock():  # a worker's site lock, when a worker started this process
            return crawl_worker(
                args.run_id,
                args.db_url,
                args.log_file,
                site_pks=set(args.site_pks) if args.site_pks else None,
            )
    except EvalcrawlError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def crawl_worker(
    run_id: int,
    db_url: str,
    log_file: str | None = None,
    site_pks: Collection[int] | None = None,
) -> int:
    """Crawl every unfinished site of a run in this process (the child). Returns an exit code.

    ``site_pks``: only these sites (a distributed run's worker, see evalcrawler.distributed);
    the run's status is then left to the process that waits for all the sites.
    """
    finish = _finish if site_pks is None else _leave_run_status
    from scrapy.crawler import CrawlerProcess

    from evalcrawler.spiders.site import SiteSpider

    if not _die_with_parent():
        return 130  # the parent is gone already: nobody waits for this crawl
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        cs = CrawlSettings(**run.settings.get("crawl", {}))
        if run.crawl_date is None:
            run.crawl_date = date.today()
        fetched = run.crawl_date
        if cs.warc and run.warc_dir is None:
            run.warc_dir = str(archive.assign_run_folder(run, cs.warc_dir, db_url))
        warc_dir = run.warc_dir if cs.warc else None
        run.status = "crawling"
        run.started_at = run.started_at or store.now()
        specs = store.site_specs(session, run)
        if site_pks is not None:
            specs = [spec for spec in specs if spec["pk"] in site_pks]
        store.forget_unanswered(session, run, site_pks)
        session.flush()
        resume = store.resume_state(session, run, site_pks)
        for spec in specs:
            site = session.get(Site, spec["pk"])
            if site is not None and site.crawl_state == "pending":
                site.crawl_state = "crawling"
                site.started_at = store.now()
    engine.dispose()
    if not specs:
        finish(db_url, run_id, "crawled")
        return 0
    settings = scrapy_settings(
        cs, db_url=db_url, run_id=run_id, n_sites=len(specs), log_file=log_file
    )
    settings["EVALCRAWL_WARC_DIR"] = warc_dir
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    outcome: dict[str, str] = {}

    def closed(spider: Any, reason: str) -> None:  # signal arguments are passed by name
        outcome["value"] = reason

    from scrapy import signals

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(
        crawler,
        sites=specs,
        fetched=fetched,
        max_pages=cs.max_pages,
        check_budget=cs.check_budget,
        probe_count=cs.probe_count,
        probe_timeout=cs.probe_timeout,
        search_query=cs.search_query,
        keywords=cs.keywords,
        site_timeout=cs.site_timeout,
        resume=resume,
    )
    _watch_parent(process)  # after crawl(): that installs the reactor the settings ask for
    process.start()
    ended = outcome.get("value", "unknown")
    if ended == "finished":
        finish(db_url, run_id, "crawled")
        return 0
    if ended == "shutdown":
        finish(db_url, run_id, "interrupted")
        return 130
    finish(db_url, run_id, "failed", f"crawl ended: {ended}")
    return 1


PARENT_ENV = "EVALCRAWL_CRAWL_PARENT"  # the pid of the process that started this crawl


def _die_with_parent() -> bool:
    """Have the kernel kill this process when the parent dies (Linux); False if it is gone.

    The parent holds the run's lock (and serves the demo web of a demo region): once it is
    killed, the next run may take the lock over at once, so this crawl must not write another
    fact. SIGKILL loses at most the facts not yet flushed (a second's worth), which the
    resumed crawl fetches again. Elsewhere :func:`_watch_parent` stops the crawl within a
    second.
    """
    expected = os.environ.get(PARENT_ENV)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    return not (expected and expected.isdigit() and os.getppid() != int(expected))


def _watch_parent(process: Any) -> None:
    """Stop cleanly when the parent dies (where the kernel cannot be asked to kill this
    process with it, see :func:`_die_with_parent`): nothing is left running."""
    from twisted.internet import task

    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            logger.warning("the parent process is gone: stopping the crawl")
            loop.stop()
            process.stop()

    loop = task.LoopingCall(check)
    loop.start(1.0, now=False)


def _leave_run_status(db_url: str, run_id: int, status: str, message: str = "") -> None:
    return None


def _finish(db_url: str, run_id: int, status: str, message: str = "") -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is not None:
            run.status = status
            run.message = message
            if status == "crawled":
                run.finished_at = store.now()
    engine.dispose()


# ----------------------------------------------------------------- parent side


def crawl_run(
    run_id: int,
    db_url: str,
    *,
    log_file: Path | None = None,
    progress: Progress | None = None,
    poll: float = 1.0,
) -> None:
    """Crawl a run in a child process; raise on failure or interruption (see module docstring)."""
    from evalcrawler.spiders.extractpool import extract_settings

    extract_settings()  # a bad EVALCRAWL_EXTRACT_* variable: one line here, not in the child
    cmd = [sys.executable, "-m", "evalcrawler.crawl", "--run", str(run_id), "--db", db_url]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--log-file", str(log_file)]
    env = dict(os.environ)
    env[PARENT_ENV] = str(os.getpid())
    child = subprocess.Popen(cmd, env=env, start_new_session=True)
    stopping = {"signals": 0}

    def forward(signum: int, _frame: Any) -> None:
        stopping["signals"] += 1
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    engine = make_engine(db_url)
    try:
        last = 0.0
        while True:
            try:
                code = child.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            if progress is not None and time.monotonic() - last >= poll:
                last = time.monotonic()
                with session_scope(engine) as session:
                    progress(store.crawl_progress(session, run_id))
        if progress is not None:
            with session_scope(engine) as session:
                progress(store.crawl_progress(session, run_id))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.dispose()
    if stopping["signals"] or code == 130:
        raise InterruptedRun(
            f"stopped; what was crawled is stored. Run the same command again to resume run "
            f"{run_id}"
        )
    if code != 0:
        where = f"; see {log_file}" if log_file else ""
        raise CrawlError(f"the crawl process failed (exit code {code}){where}")


if __name__ == "__main__":
    sys.exit(main())
