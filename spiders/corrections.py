"""A site's corrections for extraction (the region file's ``extract:``, docs/metrics.md
"Per-site corrections"): list rows picked by a CSS selector, dates read in the site's format.

Automatic reading stays the default. A site whose list rows automatic reading cannot see (rows
of ``<span>`` in a ``<div>``, links without a row element) names them with ``list``; a site
whose dates are in a form no rule knows (``17/12/2014``) names the form with ``date``. On a
page where the selector finds no row, automatic reading decides as for any site.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.cssselect import CSSSelector

from evalcrawler.facts import DatedItem
from evalcrawler.spiders import dates
from evalcrawler.spiders.hrefs import absolute_url
from evalcrawler.spiders.walk import render

Scan = Callable[..., list[dates.DateHit]]

_ROWS_MAX = 5_000  # rows read of one page (as many as the links kept)
_ROW_TEXT_MAX = 2_000  # characters of one row read


@lru_cache(maxsize=64)
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)


@lru_cache(maxsize=64)
def scanner(date_format: str | None) -> Scan:
    """The date scan of a site: its own format first (when it has one), then the usual forms."""
    if not date_format:
        return dates.scan
    return dates.format_scanner(date_format)


class Row:
    """One row the selector found: its links (URL, text) and its dated item, if it shows a
    date."""

    def __init__(self, links: list[tuple[str, str]], item: DatedItem | None) -> None:
        self.links = links
        self.item = item


def selected_rows(
    root: Any,
    selector: str,
    base: str,
    page_url: str | None,
    fetched: date,
    scan: Scan,
    page_year: int | None,
) -> list[Row]:
    """The rows ``selector`` picks on the page, in page order, each with its links and its date:
    the first date the row shows outside its links, else one at the start or end of a link's
    text, else a date in the title link's URL. A month-day date takes the year of the same day
    in the link's URL, else the page's year, else the fetch year (docs/metrics.md)."""
    rows: list[Row] = []
    for el in _selector(selector)(root)[:_ROWS_MAX]:
        links: list[tuple[str, str]] = []
        outside: list[str] = []
        _read(el, links, outside, base, page_url)
        if not links:
            continue
        url, title = max(links, key=lambda link: len(link[1]))
        texts = [text for _url, text in links]
        found = _row_date(render(" ".join(outside)), texts, url, fetched, scan, page_year)
        item = None
        if found is not None:
            item = DatedItem(title=title, url=url, date=found[0], raw=found[1])
        rows.append(Row(links, item))
    return rows


def _read(
    row: Any,
    links: list[tuple[str, str]],
    outside: list[str],
    base: str,
    page_url: str | None,
) -> None:
    """The row's links (URL, text) and its text outside them (the first few thousand
    characters)."""
    budget = _ROW_TEXT_MAX
    depth = 0  # how many links the walk is inside
    for event, node in etree.iterwalk(row, events=("start", "end")):
        if budget <= 0:
            break
        if not isinstance(node.tag, str):
            continue
        is_link = node.tag == "a" and node.get("href") is not None
        if event == "start":
            if node.tag in ("script", "style"):
                continue
            if is_link:
                url = absolute_url(base, node.get("href"))
                text = render("".join(node.itertext()))[:300] or (node.get("title") or "").strip()
                if url is not None and url != page_url:
                    links.append((url, text))
                depth += 1
            if node.text and not depth:
                outside.append(node.text)
                budget -= len(node.text)
        else:
            if is_link:
                depth -= 1
            if node is not row and node.tail and not depth:
                outside.append(node.tail)
                budget -= len(node.tail)


def _row_date(
    outside: str,
    link_texts: list[str],
    url: str,
    fetched: date,
    scan: Scan,
    page_year: int | None,
) -> tuple[date, str] | None:
    hits = scan(outside)
    if not hits:
        for text in link_texts:
            hits = [h for h in scan(text) if h.start == 0 or h.end >= len(text)]
            if hits:
                break
    for hit in hits:
        if hit.year is None:
            year = dates.url_year(url, hit.month, hit.day)
            if year is not None:
                value = dates.to_date(year, hit.month, hit.day)
                if value is not None and value <= fetched:
                    return value, " ".join(hit.raw.split())
                continue
        value = dates.hit_date(hit, fetched, page_year)
        if value is not None:
            return value, " ".join(hit.raw.split())
    return dates.url_date(url, fetched)
