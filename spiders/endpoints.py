"""The answers of JSON list endpoints, read as the items of the column page that calls them.

The 政府信息公开 directories of many municipal portals (Taiyuan's ``/fzlm/gkmlpt/…`` pages,
Wuxi's directory) and Guangdong's gkmlpt platform ship an empty list in the page and load it
from a JSON endpoint (``/intertidwebapp/govChanInfo/getDocuments?…&chanId=NN``,
``/gkmlpt/api/all/NN``): ``{"list": [{"title": …, "url": …, "openTime": …}, …]}``.
:mod:`evalcrawler.spiders.embedded` records the endpoint a page names; the spider fetches it
as a page request of the site (budget, robots.txt, delay) and :func:`read_endpoint` turns the
answer into a :class:`~evalcrawler.facts.PageFacts` whose ``list_of`` is the column page and
whose ``items`` are the endpoint's records. Scoring folds them into that column
(docs/metrics.md, "List endpoint"). Pure functions over bytes, like the extractor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from urllib.parse import urljoin

from evalcrawler.facts import DatedItem, Link, PageFacts
from evalcrawler.spiders import dates
from evalcrawler.spiders.embedded import (
    DATE_KEYS,
    TITLE_KEYS,
    URL_KEYS,
    date_text,
    js_data,
    records,
)
from evalcrawler.spiders.encoding import charset_from_content_type
from evalcrawler.urls import http_url

log = logging.getLogger(__name__)

MAX_ENDPOINT_BYTES = 8 * 1024 * 1024


def read_endpoint(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    status: int = 200,
    *,
    list_of: str,
    fetched: date | None = None,
) -> PageFacts:
    """The facts of a list endpoint's answer (see the module docstring). Never raises: an
    answer that is no JSON list gives no items."""
    fetched = fetched or date.today()
    raw_type = str(headers.get("content-type") or "")
    facts = PageFacts(
        url=url,
        final_url=url,
        status=status,
        content_type=raw_type.split(";", 1)[0].strip().lower(),
        body_bytes=len(body or b""),
        list_of=list_of,
    )
    if not 200 <= status < 300:
        return facts
    try:
        facts.items = _items(url, bytes(body or b"")[:MAX_ENDPOINT_BYTES], raw_type, fetched)
    except Exception:  # one odd answer must not end a crawl; it gives no items
        log.exception("reading the list endpoint %s failed", url)
        return facts
    facts.dated_links = list(facts.items)
    # The records are what the page shows as links once its script ran: followed as such.
    facts.links = [Link(url=i.url, text=i.title) for i in facts.items if i.url is not None]
    facts.title = f"list endpoint of {list_of}"
    return facts


def _items(url: str, body: bytes, raw_type: str, fetched: date) -> list[DatedItem]:
    text = _decode(body, raw_type).strip()
    if text.startswith(("(", "jsonp")) or (text[:1].isalpha() and "(" in text[:40]):
        text = text[text.index("(") + 1 : text.rindex(")")]  # a JSONP wrapper
    data = js_data(text) if text[:1] in "[{" else None
    out: list[DatedItem] = []
    for row in records(data):
        title = _first(row, TITLE_KEYS)
        link = _first(row, URL_KEYS)
        target = http_url(urljoin(url, str(link).strip())) if link else None
        raw = date_text(_first(row, DATE_KEYS))
        when = dates.parse_date(raw, fetched) if raw else None
        out.append(DatedItem(title=str(title).strip(), url=target, date=when, raw=raw))
    return out


def _first(row: Mapping[str, object], keys: tuple[str, ...]) -> object:
    for key in keys:
        value = row.get(key)
        if value not in (None, ""):
            return value
    return None


def _decode(body: bytes, raw_type: str) -> str:
    charset = charset_from_content_type(raw_type)
    for encoding in (charset, "utf-8", "gb18030"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")
