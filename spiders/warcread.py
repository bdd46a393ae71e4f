"""Reading the evidence archive back: one record, one response as the spider saw it, or a
scan of a run's WARC files (for ``evalcrawl extract`` and for tests).

The files are written by :mod:`evalcrawler.spiders.warc`; a record is found by its location,
``"<file name>#<offset>"``, which page facts and indicator evidence keep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from evalcrawler.spiders.warc import (
    PAGE_RECORD,
    RENAMED_HEADERS,
    header_bytes,
    parse_location,
    warc_files,
)

# ------------------------------------------------------------------------- reading


@dataclass
class ArchivedResponse:
    """A response record read back, decoded the way Scrapy decodes it for the spider."""

    url: str
    status: int
    headers: dict[str, str]  # lower-case names, repeated headers joined with ", "
    body: bytes  # after Content-Encoding was undone, as the spider saw it
    date: str = ""


def read_record(folder: Path, where: str) -> tuple[ArcWarcRecord, bytes]:
    """The record at ``"<file>#<offset>"`` of a run's folder and its payload (as stored)."""
    name, offset = parse_location(where)
    with (folder / name).open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return record, record.raw_stream.read()


def read_response(
    folder: Path, where: str, *, max_size: int = 20 * 1024 * 1024
) -> ArchivedResponse:
    """The response record at ``where``, with the body Scrapy's HttpCompressionMiddleware
    would have handed to the spider (raises ``IgnoreRequest`` where Scrapy would have)."""
    record, payload = read_record(folder, where)
    if record.rec_type == "conversion":  # a rendered DOM (its status is the page context's)
        url = record.rec_headers.get_header("WARC-Target-URI")
        headers = {"content-type": "text/html; charset=utf-8"}
        return ArchivedResponse(
            url, 0, headers, payload, record.rec_headers.get_header("WARC-Date")
        )
    if record.rec_type != "response" or record.http_headers is None:
        raise ValueError(f"{where} is a {record.rec_type} record, not a response")
    url = record.rec_headers.get_header("WARC-Target-URI")
    status = int(record.http_headers.get_statuscode() or 0)
    raw_headers = [
        (k, v) for k, v in record.http_headers.headers if k not in RENAMED_HEADERS.values()
    ]
    body, headers = scrapy_decode(url, status, raw_headers, payload, max_size=max_size)
    return ArchivedResponse(url, status, headers, body, record.rec_headers.get_header("WARC-Date"))


def scrapy_decode(
    url: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    method: str = "GET",
    max_size: int = 20 * 1024 * 1024,
) -> tuple[bytes, dict[str, str]]:
    """Body and headers after Scrapy's own HttpCompressionMiddleware, as the spider saw them."""
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.http import Headers, Request
    from scrapy.responsetypes import responsetypes
    from scrapy.settings import Settings

    scrapy_headers = Headers()
    for key, value in headers:
        scrapy_headers.appendlist(key, header_bytes(value))
    cls = responsetypes.from_args(headers=scrapy_headers, url=url, body=body)
    request = Request(url, method=method)
    response = cls(url, status=status, headers=scrapy_headers, body=body, request=request)
    # The middleware only reads settings and connects a signal; no crawl is started.
    stub = SimpleNamespace(
        stats=None,
        settings=Settings({"DOWNLOAD_MAXSIZE": max_size, "DOWNLOAD_WARNSIZE": 0}),
        signals=SimpleNamespace(connect=lambda *a, **k: None),
    )
    mw = HttpCompressionMiddleware(crawler=cast(Any, stub))  # a stand-in, see above
    decoded = mw.process_response(request, response)
    out = {
        k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
        for k, v in decoded.headers.items()
    }
    return decoded.body, out


@dataclass
class ArchiveScan:
    """What a scan of a run's WARC files found."""

    files: list[Path] = field(default_factory=list)
    records: int = 0
    responses: int = 0
    pages: list[dict[str, Any]] = field(default_factory=list)  # page contexts, in order
    problems: list[str] = field(default_factory=list)  # cut-short files and the like


def scan(folder: Path) -> ArchiveScan:
    """Read every record of a run's folder; collect the page context records."""
    out = ArchiveScan(files=warc_files(folder))
    for path in out.files:
        for problem, record in _records(path):
            if problem:
                out.problems.append(problem)
                continue
            out.records += 1
            if record.rec_type == "response":
                out.responses += 1
            elif record.rec_type == "metadata" and (
                record.rec_headers.get_header("Content-Type") == "application/json"
            ):
                try:
                    context = json.loads(record.raw_stream.read().decode("utf-8"))
                except Exception as exc:  # a cut-short record, bad JSON ...
                    out.problems.append(f"{path.name}: a page context record unreadable ({exc})")
                    continue
                if isinstance(context, dict) and context.get("profile") == PAGE_RECORD:
                    out.pages.append(context)
    return out


def _records(path: Path) -> Iterator[tuple[str | None, Any]]:
    """Records of one file; a cut-short last record (a killed crawl) ends it with a problem."""
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # warcio raises several kinds here
                yield f"{path.name}: unreadable from offset {iterator.offset} ({exc})", None
                return
            yield None, record
