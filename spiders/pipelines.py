"""Item pipeline that streams the crawl's facts to the database in small batches.

Items are plain dicts with a ``type``: ``page`` (PageFacts), ``check`` (LinkCheck), ``probe``
(Probe) and ``site`` (the site's crawl is done: status and reason). They are buffered and
written by one background thread every second or every ``EVALCRAWL_BATCH`` items, so the
reactor never waits for the database and nothing waits in memory for the end of the crawl: a
crawl killed with SIGKILL loses at most the last second of facts, which the resumed crawl
fetches again. One writer thread keeps the items of a site in order, so a site's ``done``
marker is always written after its pages.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from twisted.internet import task

from evalcrawler.db import make_engine
from evalcrawler.db.models import Link, LinkCheck, Page, Probe, Run, Site, url_hash
from evalcrawler.spiders import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

_PAGE_COLUMNS_OUT = ("links", "text")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DatabasePipeline:
    """Buffer crawl items and write them to the run's database (see module docstring)."""

    def __init__(self, db_url: str, run_id: int, batch: int, interval: float) -> None:
        self.db_url = db_url
        self.run_id = run_id
        self.batch = batch
        self.interval = interval
        self.queue: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evalcrawl-db")
        self._futures: list[Future[None]] = []
        self._loop: task.LoopingCall | None = None
        self.engine: Engine | None = None
        self.written = {"page": 0, "check": 0, "probe": 0, "site": 0}
        self.on_error: Callable[[BaseException], None] | None = None
        self.failed: BaseException | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatabasePipeline:
        settings = crawler.settings
        pipeline = cls(
            settings.get("EVALCRAWL_DB_URL"),
            settings.getint("EVALCRAWL_RUN_ID"),
            settings.getint("EVALCRAWL_BATCH", 200),
            settings.getfloat("EVALCRAWL_FLUSH_SECONDS", 1.0),
        )
        pipeline.crawler = crawler
        # Items the spider learns outside its callbacks reach the pipeline through the crawler.
        crawler.signals.connect(pipeline.add, signal=signals.item_found)
        return pipeline

    crawler: Crawler

    def open_spider(self) -> None:
        self.engine = make_engine(self.db_url)
        self._loop = task.LoopingCall(self.flush)
        self._loop.start(self.interval, now=False)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        self.add(item)
        return item

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.queue.append(item)
            full = len(self.queue) >= self.batch
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            items, self.queue = self.queue, []
        if items:
            self._futures = [f for f in self._futures if not f.done()]
            future = self._executor.submit(self._write, items)
            future.add_done_callback(self._check)
            self._futures.append(future)
        else:
            self._executor.submit(self._heartbeat)

    def _check(self, future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None and self.failed is None:
            self.failed = exc
            logger.error("writing crawl facts to the database failed: %s", exc)
            from twisted.internet import reactor

            reactor.callFromThread(self._stop_crawl)

    def _stop_crawl(self) -> None:
        # Without a database the crawl would only lose what it fetches: stop it.
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="database_error"))

    async def close_spider(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.flush()
        pending = list(self._futures)

        def wait() -> None:
            for future in pending:
                # A failed write was logged when it failed (_check); wait for the rest.
                with contextlib.suppress(Exception):
                    future.result()
            self._executor.shutdown(wait=True)
            if self.engine is not None:
                self.engine.dispose()

        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import threads

        await maybe_deferred_to_future(threads.deferToThread(wait))

    # ------------------------------------------------------------- writing

    def _heartbeat(self) -> None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == self.run_id).values(lock_heartbeat=_now()))

    def _write(self, items: list[dict[str, Any]]) -> None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            pages = [i for i in items if i["type"] == "page"]
            if pages:
                self._write_pages(conn, pages)
            checks = [i for i in items if i["type"] == "check"]
            if checks:
                self._write_checks(conn, checks)
            probes = [i for i in items if i["type"] == "probe"]
            if probes:
                self._write_probes(conn, probes)
            for item in items:
                if item["type"] == "site":
                    conn.execute(
                        update(Site)
                        .where(Site.id == item["site_pk"])
                        .values(
                            crawl_state="done",
                            status=item["status"],
                            reason=item["reason"],
                            home_url=item.get("home_url"),
                            finished_at=_now(),
                        )
                    )
                    self.written["site"] += 1
            conn.execute(update(Run).where(Run.id == self.run_id).values(lock_heartbeat=_now()))

    def _write_pages(self, conn: Connection, items: list[dict[str, Any]]) -> None:
        rows = []
        seen: set[str] = set()
        hashes = [url_hash(i["facts"].url) for i in items]
        existing = set(
            conn.scalars(
                select(Page.url_hash).where(Page.run_id == self.run_id, Page.url_hash.in_(hashes))
            )
        )
        kept = []
        for item, key in zip(items, hashes, strict=True):
            if key in existing or key in seen:
                continue  # already stored (a resumed crawl re-fetching an in-flight page)
            seen.add(key)
            facts = item["facts"]
            data = facts.to_json()
            for name in _PAGE_COLUMNS_OUT:
                data.pop(name, None)
            rows.append(
                {
                    "run_id": self.run_id,
                    "site_pk": item["site_pk"],
                    "url": facts.url,
                    "url_hash": key,
                    "final_url": facts.final_url or facts.url,
                    "status": facts.status,
                    "error": facts.error,
                    "is_html": facts.is_html,
                    "is_home": facts.is_home,
                    "title": facts.title[:2000],
                    "fetched_at": facts.fetched_at,
                    "text": facts.text,
                    "facts": data,
                    "warc_record": facts.warc_record,
                }
            )
            kept.append(item)
        if not rows:
            return
        ids = conn.scalars(
            insert(Page).returning(Page.id, sort_by_parameter_order=True), rows
        ).all()
        links = []
        for page_id, item in zip(ids, kept, strict=True):
            for link in item["facts"].links:
                links.append(
                    {
                        "run_id": self.run_id,
                        "site_pk": item["site_pk"],
                        "page_id": page_id,
                        "url": link.url,
                        "text": link.text[:500],
                        "nav": link.nav,
                        "pager": link.pager,
                    }
                )
        if links:
            conn.execute(insert(Link), links)
        self.written["page"] += len(rows)

    def _write_checks(self, conn: Connection, items: list[dict[str, Any]]) -> None:
        by_key: dict[tuple[int, str], dict[str, Any]] = {}
        for item in items:
            check = item["check"]
            by_key[(item["site_pk"], url_hash(check.url))] = {
                "run_id": self.run_id,
                "site_pk": item["site_pk"],
                "url": check.url,
                "url_hash": url_hash(check.url),
                "status": check.status,
                "error": check.error,
                "final_url": check.final_url,
                "method": check.method,
                "content_type": check.content_type,
                "checked_at": _now(),
            }
        existing = {
            tuple(row)
            for row in conn.execute(
                select(LinkCheck.site_pk, LinkCheck.url_hash).where(
                    LinkCheck.run_id == self.run_id,
                    LinkCheck.url_hash.in_([k[1] for k in by_key]),
                )
            )
        }
        rows = [row for key, row in by_key.items() if key not in existing]
        if rows:
            conn.execute(insert(LinkCheck), rows)
        self.written["check"] += len(rows)

    def _write_probes(self, conn: Connection, items: list[dict[str, Any]]) -> None:
        by_key: dict[tuple[int, str, int], dict[str, Any]] = {}
        for item in items:
            probe = item["probe"]
            by_key[(item["site_pk"], probe.kind, probe.seq)] = {
                "run_id": self.run_id,
                "site_pk": item["site_pk"],
                "kind": probe.kind,
                "seq": probe.seq,
                "url": probe.url,
                "status": probe.status,
                "ok": probe.ok,
                "elapsed_ms": probe.elapsed_ms,
                "error": probe.error,
                "final_url": probe.final_url,
                "headers": probe.headers,
                "detail": probe.detail,
                "probed_at": _now(),
            }
        existing = {
            tuple(row)
            for row in conn.execute(
                select(Probe.site_pk, Probe.kind, Probe.seq).where(
                    Probe.run_id == self.run_id,
                    Probe.site_pk.in_({k[0] for k in by_key}),
                )
            )
        }
        rows = [row for key, row in by_key.items() if key not in existing]
        if rows:
            conn.execute(insert(Probe), rows)
        self.written["probe"] += len(rows)
