"""What the detectors of one site share: :class:`DetectContext`.

The context holds a site's facts, metrics and thresholds and the as-of date, and computes once
per site what several detectors read: the site's pages, the normalised URL of every page, the
fetch status of every URL, the dated items, and an index of every distinct text of one source
(link texts, titles, headings, page text, dated items) with where it occurs, so that a detector
matches each text once. It also runs detectors (:meth:`DetectContext.detect`), once per site
and configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cached_property
from typing import NamedTuple
from urllib.parse import urljoin

from evalcrawler.facts import DatedItem, PageFacts, SiteFacts, calendar_day
from evalcrawler.scoring.detectors import Detection, DetectorConfig, KeywordList, flat_keywords
from evalcrawler.scoring.results import SiteMetrics, Thresholds
from evalcrawler.urls import host_of, is_internal, normalise

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- the context


class Occurrence(NamedTuple):
    """Where a text occurs: the page's place among the pages looked at, the text's place
    among that page's texts of one source, its evidence URL and date, and the page."""

    page_no: int
    pos: int
    url: str
    day: date | None
    page: PageFacts


class DetectContext:
    """What the detectors of one site share: facts, metrics, thresholds and the as-of date,
    plus derived data computed once (the site's pages, the fetch status of every URL)."""

    def __init__(
        self, facts: SiteFacts, metrics: SiteMetrics, thresholds: Thresholds, as_of: date
    ) -> None:
        self.facts = facts
        self.metrics = metrics
        self.thresholds = thresholds
        self.as_of = calendar_day(as_of)
        self._cache: dict[str, Detection] = {}
        self._texts: dict[tuple[str, str, str], dict[str, list[Occurrence]]] = {}

    def detect(self, config: DetectorConfig) -> Detection:
        """Run a detector (once per site); an error becomes a not-measured value, logged.

        Equal configurations share one result: a measure that a rubric reuses (a YAML anchor,
        or the same measure inside a ratio) is computed once per site."""
        key = f"{type(config).__name__}:{config.model_dump_json(by_alias=True)}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            result = config.detect(self)
        except Exception as exc:
            # A malformed stored fact must not stop the scoring of a whole region.
            logger.exception("detector %s failed on site %s", config.detector, self.facts.site_id)
            result = Detection(None, reason=f"error while detecting: {exc!r}")
        self._cache[key] = result
        return result

    # ------------------------------------------------------------------ URLs and pages

    @cached_property
    def hosts(self) -> frozenset[str]:
        hosts = {h.lower() for h in self.facts.hosts}
        for url in (self.facts.url, self.home.final_url if self.home else None):
            if url:
                host = host_of(url)
                if host:
                    hosts.add(host)
        return frozenset(hosts)

    def key(self, url: str | None, base: str | None = None) -> str | None:
        """The normalised absolute URL (relative URLs resolved against ``base``)."""
        if not url:
            return None
        if base and "://" not in url:
            url = urljoin(base, url)
        if not url.lower().startswith(("http://", "https://")):
            return None
        return normalise(url)

    @cached_property
    def home(self) -> PageFacts | None:
        """The home page when it answered 2xx HTML."""
        for page in self.facts.pages:
            if page.is_home and 200 <= page.status < 300 and page.is_html:
                return page
        return None

    @cached_property
    def site_pages(self) -> list[PageFacts]:
        """The site's 2xx HTML pages on its own hosts, one per final URL, home page first."""
        out: list[PageFacts] = []
        seen: set[str] = set()
        candidates = ([self.home] if self.home else []) + [
            p for p in self.facts.pages if p is not self.home
        ]
        for page in candidates:
            if not (200 <= page.status < 300 and page.is_html):
                continue
            key = self.key(page.final_url or page.url)
            if key is None or key in seen or not is_internal(key, self.hosts):
                continue
            seen.add(key)
            out.append(page)
        return out

    @cached_property
    def page_index(self) -> dict[str, PageFacts]:
        """Normalised final and requested URL of each site page → the page."""
        index: dict[str, PageFacts] = {}
        for page in self.site_pages:
            for url in (page.final_url or page.url, page.url):
                key = self.key(url)
                if key is not None:
                    index.setdefault(key, page)
        return index

    @cached_property
    def site_items(self) -> list[tuple[PageFacts, DatedItem, str]]:
        """Every dated item of the site's pages with its case-folded title, in page order."""
        return [
            (page, item, item.title.casefold())
            for page in self.site_pages
            for item in _page_items(page)
        ]

    def page_url(self, page: PageFacts) -> str:
        return page.final_url or page.url

    def pages(
        self, scope: str, select: KeywordList | None = None
    ) -> tuple[list[PageFacts] | None, str | None]:
        """The pages a detector looks at, or ``(None, reason)`` when there are none to see.

        ``select``: keep only pages whose title, headings or the anchor text of the link
        that led to them contain one of these keywords.
        """
        if scope == "home":
            if self.home is None:
                return None, "the home page was not fetched with a 2xx response"
            pages = [self.home]
        else:
            if not self.site_pages:
                return None, "no page of the site was fetched with a 2xx response"
            pages = self.site_pages
        if select:
            words = [w.casefold() for w in flat_keywords(select)]
            pages = [p for p in pages if _page_matches(p, words)]
        return pages, None

    def texts(
        self, scope: str, select: KeywordList | None, source: str
    ) -> dict[str, list[Occurrence]]:
        """Each distinct text of one source of the pages a detector looks at, with where it
        occurs, in page order: built once per site, so that a detector matches each text once
        (navigation repeats the same link texts on every page)."""
        key = (scope, repr(select), source)
        index = self._texts.get(key)
        if index is None:
            pages, _ = self.pages(scope, select)
            index = {}
            for n, page in enumerate(pages or []):
                for pos, (url, text, day) in enumerate(_texts(self, page, source)):
                    index.setdefault(text, []).append(Occurrence(n, pos, url, day, page))
            self._texts[key] = index
        return index

    @cached_property
    def fetch_status(self) -> dict[str, int]:
        """Normalised URL → final status (0 = no response) of every page request and check.

        The requested URL wins over a redirect's final URL, as in the metrics.
        """
        status: dict[str, int] = {}
        records: list[tuple[str, str | None, int]] = [
            (p.url, p.final_url, p.status) for p in self.facts.pages
        ]
        records += [(c.url, c.final_url, c.status) for c in self.facts.checks]
        for url, _final, code in records:
            key = self.key(url)
            if key is not None:
                status.setdefault(key, code)
        for _url, final, code in records:
            key = self.key(final)
            if key is not None:
                status.setdefault(key, code)
        return status

    def status_of(self, url: str | None) -> int | None:
        """Final status of a fetched URL; None when it was never fetched."""
        key = self.key(url)
        return None if key is None else self.fetch_status.get(key)

    # ------------------------------------------------------------------ dates

    def in_window(self, day: date | None, window_days: int | None) -> bool:
        """``day`` lies within ``window_days`` before the as-of date (both ends included).

        Without a window every date up to the as-of date counts. Dates after the as-of date
        never count (they are misread dates, or come from after the evaluation)."""
        if day is None:
            return False
        d = calendar_day(day)
        if d > self.as_of:
            return False
        return window_days is None or d >= self.as_of - timedelta(days=window_days)

    def age(self, day: date) -> int:
        return (self.as_of - calendar_day(day)).days


def _page_matches(page: PageFacts, words: list[str]) -> bool:
    texts = [page.title, *page.headings, page.via_text or ""]
    return any(w in t.casefold() for t in texts if t for w in words)


def _page_items(page: PageFacts) -> list[DatedItem]:
    """Every dated link of a page (its dated links, plus main-list items not among them)."""
    items = list(page.dated_links)
    seen = {(i.url, i.title) for i in items}
    items += [i for i in page.items if (i.url, i.title) not in seen]
    return items


def _texts(
    ctx: DetectContext, page: PageFacts, source: str
) -> Iterator[tuple[str, str, date | None]]:
    """(evidence URL, text, date of the text) of one source of one page."""
    url = ctx.page_url(page)
    if source == "links":
        for link in page.links:
            if link.text:
                yield link.url, link.text, None
    elif source == "titles":
        if page.title:
            yield url, page.title, page.publish_date
    elif source == "headings":
        for heading in page.headings:
            if heading:
                yield url, heading, page.publish_date
    elif source == "text":
        if page.text:
            yield url, page.text, page.publish_date
    elif source == "items":
        for item in _page_items(page):
            if item.title:
                target = ctx.key(item.url, url) or url
                yield target, item.title, item.date
