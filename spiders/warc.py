"""The evidence archive: every request and response of a crawl, kept in WARC files.

``WarcMiddleware`` is a downloader middleware placed just above Scrapy's own (950: after the
cookie, user-agent and compression middlewares have finished the request, before
``HttpCompressionMiddleware`` (590) decompresses the response). So a WARC ``response`` record
holds the body exactly as the server sent it (still gzip-compressed when it was, with its
``Content-Encoding``), and the ``request`` record the headers Scrapy really sent. Every exchange
is archived: pages, each hop of a redirect, link checks (HEAD), probes and robots.txt.

For every page the spider records (an item of type ``page``), a ``metadata`` record follows
with the page's crawl context as JSON (is_home, depth, referer, the anchor text it was reached
by, timings, the error of a failed fetch) and ``WARC-Refers-To`` its response record. That is
what ``evalcrawl extract`` needs, besides the responses, to rebuild every page fact from the
archive alone. The location ``"<file name>#<offset>"`` of a page's response record goes into
the request's meta (``ec_warc``), and from there into ``PageFacts.warc_record``.

Files: ``<prefix>-<seq>.warc.gz`` in the run's folder, one gzip member per record (so any
record can be read by seeking to its offset), a ``warcinfo`` record first, a new file when one
reaches ``EVALCRAWL_WARC_MAX_BYTES`` (1 GB). A process never opens an existing file: a resumed
crawl starts the next sequence number, so the files of a killed crawl are never rewritten.

Writing happens in one background thread, so the reactor never waits for gzip or the disk; a
response continues to the spider once its records are written and flushed to the operating
system, which is what makes a SIGKILL'd crawl leave readable files (at worst the one record
being written is cut short; readers skip it).
"""

from __future__ import annotations

import http
import io
import json
import logging
import os
import re
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
MAX_FILE_BYTES = 1_000_000_000  # rotate to a new file beyond this size
GZIP_LEVEL = 6  # warcio's own level 9 costs twice the time for 1-2 % less space
PAGE_RECORD = "evalcrawl/page-context/1"  # the "profile" of a page's metadata record
META_LOCATION = "ec_warc"  # request meta: "<file>#<offset>" of the response record
META_RECORD_ID = "ec_warc_id"  # request meta: WARC-Record-ID of the response record
# Twisted's HTTP client undoes chunked transfer coding, so the archived body is not chunked:
# the header is kept under another name, or replay tools would try to de-chunk it.
RENAMED_HEADERS = {"transfer-encoding": "X-Evalcrawl-Orig-Transfer-Encoding"}
_SEQ = re.compile(r"-(\d{5,})\.warc\.gz$")


def location(name: str, offset: int) -> str:
    return f"{name}#{offset}"


def parse_location(value: str) -> tuple[str, int]:
    """``"x-00001.warc.gz#1234"`` → ``("x-00001.warc.gz", 1234)``."""
    name, sep, offset = value.rpartition("#")
    if not sep or not offset.isdigit() or not name:
        raise ValueError(f"{value!r} is not a WARC record location (file#offset)")
    return name, int(offset)


def warc_files(folder: Path) -> list[Path]:
    """The WARC files of a run's folder in the order they were written."""
    found = []
    for path in folder.glob("*.warc.gz"):
        match = _SEQ.search(path.name)
        found.append((int(match.group(1)) if match else 0, path.name, path))
    return [p for _, _, p in sorted(found)]


# ------------------------------------------------------------------------- writing


@dataclass
class Exchange:
    """One request and its response, as captured (cheaply) on the reactor thread."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    ip: str | None = None
    date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    truncated: bool = False


def capture(request: Request, response: Response) -> Exchange:
    """What the archive keeps of an exchange; no copying of bodies, no compression."""
    parts = urlsplit(request.url)
    req_headers = [("Host", parts.netloc)]
    req_headers += [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, values in request.headers.items()
        for v in values
        if k.lower() != b"host"
    ]
    resp_headers = [
        (RENAMED_HEADERS.get(k.decode("latin-1").lower(), k.decode("latin-1")), v.decode("latin-1"))
        for k, values in response.headers.items()
        for v in values
    ]
    ip = getattr(response, "ip_address", None)
    return Exchange(
        url=request.url,
        method=request.method,
        request_headers=req_headers,
        request_body=request.body or b"",
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        status=response.status,
        response_headers=resp_headers,
        body=response.body,
        ip=str(ip) if ip is not None else None,
        truncated="download_stopped" in (response.flags or []),
    )


class _RawHeaders(StatusAndHeaders):
    """Headers written byte for byte (warcio would percent-encode non-ASCII values)."""

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        return bytes(self.to_str(filter_func).encode("latin-1", "replace")) + b"\r\n"


def header_bytes(value: str) -> bytes:
    """A header value read back by warcio (which tries UTF-8 first) → its original bytes."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def exchange_records(ex: Exchange) -> tuple[ArcWarcRecord, ArcWarcRecord]:
    """The ``response`` and ``request`` records of an exchange (written in that order)."""
    builder = RecordBuilder(WARC_VERSION)
    date = datetime_to_iso_date(ex.date.replace(tzinfo=None), use_micros=True)
    warc: dict[str, str] = {"WARC-Date": date}
    if ex.ip:
        warc["WARC-IP-Address"] = ex.ip
    if ex.truncated:
        warc["WARC-Truncated"] = "unspecified"  # a link check stopped after the headers
    response = builder.create_warc_record(
        ex.url,
        "response",
        payload=io.BytesIO(ex.body),
        length=len(ex.body),
        warc_headers_dict=warc,
        http_headers=_RawHeaders(
            f"{ex.status} {_reason(ex.status)}", ex.response_headers, protocol=ex.protocol
        ),
    )
    parts = urlsplit(ex.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = builder.create_warc_record(
        ex.url,
        "request",
        payload=io.BytesIO(ex.request_body),
        length=len(ex.request_body),
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        },
        http_headers=_RawHeaders(
            f"{ex.method} {target}", ex.request_headers, protocol="HTTP/1.1", is_http_request=True
        ),
    )
    return response, request


def page_record(context: dict[str, Any], refers_to: str | None) -> ArcWarcRecord:
    """The ``metadata`` record with a page's crawl context (see the module docstring)."""
    payload = json.dumps({"profile": PAGE_RECORD, **context}, ensure_ascii=False, sort_keys=True)
    data = payload.encode("utf-8")
    warc = {"WARC-Date": _now_iso()}
    if refers_to:
        warc["WARC-Refers-To"] = refers_to
    return RecordBuilder(WARC_VERSION).create_warc_record(
        context["url"],
        "metadata",
        payload=io.BytesIO(data),
        length=len(data),
        warc_content_type="application/json",
        warc_headers_dict=warc,
    )


def conversion_record(url: str, html: bytes, refers_to: str | None) -> ArcWarcRecord:
    """A ``conversion`` record: the DOM a browser rendered from the answer ``refers_to``."""
    warc = {"WARC-Date": _now_iso()}
    if refers_to:
        warc["WARC-Refers-To"] = refers_to
    return RecordBuilder(WARC_VERSION).create_warc_record(
        url,
        "conversion",
        payload=io.BytesIO(html),
        length=len(html),
        warc_content_type="text/html; charset=utf-8",
        warc_headers_dict=warc,
    )


def _now_iso() -> str:
    return datetime_to_iso_date(datetime.now(timezone.utc).replace(tzinfo=None), use_micros=True)


def encode_record(record: ArcWarcRecord) -> bytes:
    """One record as one gzip member."""
    raw = io.BytesIO()
    WARCWriter(raw, gzip=False, warc_version=WARC_VERSION).write_record(record)
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(raw.getbuffer()) + compressor.flush()


class WarcFiles:
    """The append-only, rotating WARC files of one run (see the module docstring).

    Thread-safe; the middleware uses it from its one writer thread.
    """

    def __init__(
        self,
        folder: Path,
        prefix: str,
        *,
        max_bytes: int = MAX_FILE_BYTES,
        info: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info or {}
        self.records = 0
        self._fh: Any = None
        self._name = ""
        self._size = 0
        self._header_size = 0
        self._lock = threading.Lock()

    def append(self, records: list[ArcWarcRecord]) -> list[str]:
        """Write records; return the location of each. Flushed to the OS before returning."""
        blobs = [encode_record(r) for r in records]
        out = []
        with self._lock:
            for blob in blobs:
                if self._fh is None or (
                    self._size > self._header_size and self._size + len(blob) > self.max_bytes
                ):
                    self._rotate()
                out.append(location(self._name, self._size))
                self._fh.write(blob)
                self._size += len(blob)
                self.records += 1
            self._fh.flush()
        return out

    def _rotate(self) -> None:
        self._close_file()
        self.folder.mkdir(parents=True, exist_ok=True)
        seqs = [int(m.group(1)) for p in warc_files(self.folder) if (m := _SEQ.search(p.name))]
        seq = max(seqs, default=0) + 1
        while True:
            self._name = f"{self.prefix}-{seq:05d}.warc.gz"
            try:
                # "x": never open an existing file, so nothing already archived is rewritten.
                self._fh = open(self.folder / self._name, "xb")  # noqa: SIM115 - kept open
                break
            except FileExistsError:
                seq += 1
        builder = RecordBuilder(WARC_VERSION)
        info = {"software": _software(), "format": "WARC File Format 1.1", **self.info}
        blob = encode_record(builder.create_warcinfo_record(self._name, info))
        self._fh.write(blob)
        self._size = self._header_size = len(blob)

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        with self._lock:
            self._close_file()


def _software() -> str:
    from evalcrawler import __version__

    return f"evalcrawl/{__version__} (Scrapy, warcio)"


class WarcMiddleware:
    """Archive every exchange of the crawl (see the module docstring).

    Settings: ``EVALCRAWL_WARC`` (on by default), ``EVALCRAWL_WARC_DIR`` (the run's folder;
    without it the middleware is off), ``EVALCRAWL_WARC_MAX_BYTES``, ``EVALCRAWL_WARC_INFO``
    (extra warcinfo fields).
    """

    def __init__(self, crawler: Crawler, files: WarcFiles) -> None:
        from twisted.python.threadpool import ThreadPool

        self.crawler = crawler
        self.files = files
        self.failed: BaseException | None = None
        # One thread: records are written in the order they were handed over.
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="evalcrawl-warc")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        folder = settings.get("EVALCRAWL_WARC_DIR")
        if not settings.getbool("EVALCRAWL_WARC", True) or not folder:
            raise NotConfigured("the evidence archive is off")
        info = {
            "operator": "evalcrawl",
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            **settings.getdict("EVALCRAWL_WARC_INFO"),
        }
        files = WarcFiles(
            Path(folder),
            Path(folder).name,
            max_bytes=settings.getint("EVALCRAWL_WARC_MAX_BYTES", MAX_FILE_BYTES),
            info={k: str(v) for k, v in info.items() if v},
        )
        mw = cls(crawler, files)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self) -> None:
        from twisted.internet import reactor

        self.pool.start()
        # Should the crawl end without spider_closed, the thread must not keep the process.
        # (typed through Any: mypy misreads zope interface methods as taking no self)
        cast(Any, reactor).addSystemEventTrigger("during", "shutdown", self._stop_pool)

    def _stop_pool(self) -> None:
        if self.pool.started:
            self.pool.stop()

    def process_request(self, request: Request) -> None:
        # A redirect hop copies its predecessor's meta: never let it claim that response.
        request.meta.pop(META_LOCATION, None)
        request.meta.pop(META_RECORD_ID, None)

    async def process_response(self, request: Request, response: Response) -> Response:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, threads

        if request.meta.get("ec_render"):
            # A page the browser rendered: its raw answers were archived as the browser
            # fetched them; the DOM is archived as a conversion of the document's answer.
            text = response.text if hasattr(response, "text") else ""
            record = conversion_record(
                response.url, text.encode("utf-8"), request.meta.get("ec_render_source")
            )
            write: Any = self._write_records
            job: Any = [record]
        else:
            write, job = self._write_exchange, capture(request, response)
        try:
            where, record_id = await maybe_deferred_to_future(
                threads.deferToThreadPool(reactor, self.pool, write, job)
            )
        except Exception as exc:  # any write failure stops the crawl below
            self._fail(exc)
            return response
        request.meta[META_LOCATION] = where
        request.meta[META_RECORD_ID] = record_id
        return response

    def _write_records(self, records: list[ArcWarcRecord]) -> tuple[str, str]:
        where = self.files.append(records)[0]
        return where, records[0].rec_headers.get_header("WARC-Record-ID")

    def _write_exchange(self, exchange: Exchange) -> tuple[str, str]:
        response, request = exchange_records(exchange)
        where, _ = self.files.append([response, request])
        return where, response.rec_headers.get_header("WARC-Record-ID")

    def item_scraped(self, item: Any, response: Any) -> None:
        if not isinstance(item, dict) or item.get("type") != "page":
            return
        from scrapy.http import Response
        from twisted.internet import reactor, threads

        facts = item["facts"]
        meta = response.meta if isinstance(response, Response) else {}
        record_id = meta.get(META_RECORD_ID) if facts.warc_record else None
        spider: Any = self.crawler.spider
        state = spider.sites.get(item.get("site_pk")) if spider is not None else None
        context = {
            "site_id": state.site_id if state is not None else None,
            "site_pk": item.get("site_pk"),
            "url": facts.url,
            "final_url": facts.final_url,
            "status": facts.status,
            # A fetch without response keeps its error; a response only a redirect error,
            # the rest of its facts are extracted again from the response.
            "error": meta.get("ec_redirect_error") if facts.warc_record else facts.error,
            "is_home": facts.is_home,
            "depth": facts.depth,
            "referer": facts.referer,
            "via_text": facts.via_text,
            "via_nav": facts.via_nav,
            "elapsed_ms": facts.elapsed_ms,
            "fetched_at": facts.fetched_at.isoformat() if facts.fetched_at else None,
            "response": facts.warc_record,
            "list_of": facts.list_of,  # a list endpoint's answer is read as that page's list
            "rendered": facts.rendered,  # "response" is then the DOM's conversion record
        }
        d = threads.deferToThreadPool(
            reactor,
            self.pool,
            self.files.append,
            [page_record(context, record_id)],
        )
        d.addErrback(lambda failure: self._fail(failure.value))

    def _fail(self, exc: BaseException) -> None:
        if self.failed is not None:
            return
        self.failed = exc
        logger.error("writing the evidence archive failed: %s; stopping the crawl", exc)
        from scrapy.utils.defer import deferred_from_coro

        # A crawl that cannot keep its evidence stops; run it again to resume.
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_error"))

    async def spider_closed(self) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, threads

        if self.pool.started:
            await maybe_deferred_to_future(
                threads.deferToThreadPool(reactor, self.pool, self.files.close)
            )
            self.pool.stop()
        logger.info("evidence archive: %d records in %s", self.files.records, self.files.folder)
