"""What the metrics of one site share: :class:`MetricContext`.

The context holds the site's facts, the rubric's thresholds and the as-of date, runs the
registered metrics (:meth:`MetricContext.measure`, each once) and computes on first use, once,
what several metrics read: the site's hosts and 2xx pages, the normalised internal link targets,
the fetch result of every target, the broken links with the pages linking to them, the columns
(:mod:`evalcrawler.scoring.columns`), the letters (:mod:`evalcrawler.scoring.letters`) and the
probes.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import cached_property
from urllib.parse import urljoin

from evalcrawler.facts import Link, LinkCheck, PageFacts, Probe, SiteFacts, calendar_day
from evalcrawler.scoring.columns import Column, find_blank_columns, scan_columns
from evalcrawler.scoring.letters import Letter, site_letters
from evalcrawler.scoring.metrics import metric_spec
from evalcrawler.scoring.results import (
    UNMEASURED,
    BrokenLink,
    Measurement,
    ThreadResult,
    Thresholds,
)
from evalcrawler.urls import host_of, internal_key

MAX_LINKED_FROM = 20  # pages kept as evidence for each broken link target

logger = logging.getLogger(__name__)


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


class MetricContext:
    """What the metrics of one site share: facts, thresholds, as-of date, derived data.

    Every derived collection is computed on first use and cached, so a metric pays only for
    what it needs and nothing is computed twice.
    """

    def __init__(self, facts: SiteFacts, thresholds: Thresholds, as_of: date) -> None:
        self.facts = facts
        self.thresholds = thresholds
        self.as_of = calendar_day(as_of)
        self._measured: dict[str, Measurement] = {}
        self._keys: dict[str, str | None] = {}

    # ------------------------------------------------------------------ measuring

    def measure(self, name: str) -> Measurement:
        """The measurement of metric ``name`` (computed once, then cached)."""
        cached = self._measured.get(name)
        if cached is not None:
            return cached
        spec = metric_spec(name)
        if spec.needs_pages and self.unreachable:
            result = Measurement(
                None, f"site {self.facts.status}: {self.facts.reason or 'no reason given'}"
            )
        else:
            try:
                result = spec.func(self)
            except Exception as exc:
                # One malformed stored fact must not stop the scoring of a whole region; the
                # metric is reported as not measured, with the error, and logged in full.
                logger.exception("metric %s of site %s failed", name, self.facts.site_id)
                result = Measurement(None, f"error while measuring: {exc!r}")
        if result.value is None:
            logger.debug("%s: %s not measured: %s", self.facts.site_id, name, result.reason)
        self._measured[name] = result
        return result

    @property
    def unreachable(self) -> bool:
        """Nothing of the site could be measured: unreachable, or blocked by a challenge."""
        return self.facts.status in UNMEASURED

    def age(self, day: date) -> int:
        """Whole days from ``day`` to the as-of date."""
        return (self.as_of - calendar_day(day)).days

    # ------------------------------------------------------------------- URLs

    def key(self, url: str | None) -> str | None:
        """The normalised URL when ``url`` is an internal http(s) URL of the site, else None."""
        if not url:
            return None
        try:
            return self._keys[url]
        except KeyError:
            pass
        key = self._keys[url] = internal_key(url, self.hosts)
        return key

    def abs_key(self, url: str | None, base: str) -> str | None:
        """``key`` of a URL that may be relative to ``base`` (dated items, letters)."""
        if url and "://" not in url:
            url = urljoin(base, url)
        return self.key(url)

    @cached_property
    def hosts(self) -> frozenset[str]:
        """Site hosts: the registered ones, the registered URL's and the home page's final one.

        The crawler follows the home page's redirect to another host and crawls that host as
        the site (docs/metrics.md: the home page is the page fetched for the registered URL
        *after redirects*), so the final host of a 2xx home page belongs to the site too.
        """
        hosts = {h.lower() for h in self.facts.hosts}
        for url in (self.facts.url, self.home_final_url):
            if url:
                host = host_of(url)
                if host:
                    hosts.add(host)
        return frozenset(hosts)

    @cached_property
    def home_final_url(self) -> str | None:
        home = self.home
        if home is None or not self.home_ok:
            return None
        return home.final_url or home.url

    # ------------------------------------------------------------------- pages

    @cached_property
    def home(self) -> PageFacts | None:
        """The home page request: the one that answered 2xx HTML, else the first that answered.

        The crawler tries the registered URL, its other scheme, then each alias, and stores
        each attempt as a home page record; the home page is the attempt that worked.
        """
        homes = [p for p in self.facts.pages if p.is_home]
        for page in homes:
            if _is_2xx(page.status) and page.is_html:
                return page
        for page in homes:
            if page.status:
                return page
        return homes[0] if homes else None

    @cached_property
    def home_ok(self) -> bool:
        home = self.home
        return home is not None and _is_2xx(home.status) and home.is_html

    def home_missing(self) -> Measurement:
        """The not-measured result of a metric that reads the home page."""
        home = self.home
        if home is None:
            return Measurement(None, "the home page was not fetched")
        if not home.status:
            return Measurement(None, f"the home page got no response: {home.error or 'unknown'}")
        return Measurement(
            None, f"the home page answered {home.status} {home.content_type}".rstrip()
        )

    @cached_property
    def site_pages(self) -> list[PageFacts]:
        """The site's 2xx HTML pages, one per normalised final URL, home page first.

        A page counts when its final URL is on a site host: a redirect to another host leaves
        the site. When two requests ended at the same URL the first one is kept.
        """
        pages: list[PageFacts] = []
        seen: set[str] = set()
        candidates = [self.home] if self.home_ok and self.home is not None else []
        candidates += [p for p in self.facts.pages if p is not self.home]
        for page in candidates:
            if not (_is_2xx(page.status) and page.is_html):
                continue
            key = self.key(page.final_url or page.url)
            if key is None or key in seen:
                continue
            seen.add(key)
            pages.append(page)
        return pages

    @cached_property
    def home_index(self) -> int | None:
        """Index of the home page in :attr:`site_pages` (it is always first when present)."""
        if self.home_ok and self.site_pages and self.site_pages[0] is self.home:
            return 0
        return None

    @cached_property
    def page_index(self) -> dict[str, int]:
        """Normalised final URL and requested URL of each site page → its index.

        A link to ``/col`` that the server redirected to ``/col/index.html`` reaches the page
        whose final URL is the latter, so both URLs lead to the page.
        """
        index: dict[str, int] = {}
        for i, page in enumerate(self.site_pages):
            key = self.key(page.final_url or page.url)
            if key is not None:
                index[key] = i
        for i, page in enumerate(self.site_pages):
            key = self.key(page.url)
            if key is not None:
                index.setdefault(key, i)
        return index

    def page_url(self, i: int) -> str:
        page = self.site_pages[i]
        return self.key(page.final_url or page.url) or page.final_url or page.url

    # ------------------------------------------------------------------- links

    @cached_property
    def _link_scan(self) -> tuple[dict[str, None], dict[int, list[tuple[int, Link]]]]:
        """One pass over every link of every site page.

        Returns the distinct internal targets (in order of discovery) and, per site page, the
        links of *other* site pages that point at it (a page is not reached by its own links).
        """
        targets: dict[str, None] = {}
        incoming: dict[int, list[tuple[int, Link]]] = {}
        index = self.page_index
        for src, page in enumerate(self.site_pages):
            for link in page.links:
                key = self.key(link.url)
                if key is None:
                    continue
                targets[key] = None
                tgt = index.get(key)
                if tgt is not None and tgt != src:
                    incoming.setdefault(tgt, []).append((src, link))
        return targets, incoming

    @property
    def link_targets(self) -> dict[str, None]:
        """Distinct normalised internal link targets of the site's 2xx pages (ordered)."""
        return self._link_scan[0]

    @property
    def incoming(self) -> dict[int, list[tuple[int, Link]]]:
        return self._link_scan[1]

    @cached_property
    def home_targets(self) -> dict[str, None]:
        """Distinct normalised internal link targets of the home page."""
        if not self.home_ok or self.home is None:
            return {}
        out: dict[str, None] = {}
        for link in self.home.links:
            key = self.key(link.url)
            if key is not None:
                out[key] = None
        return out

    @cached_property
    def fetch_status(self) -> dict[str, int]:
        """Normalised URL → final status (0 = no response) of every page request and check.

        A target counts as fetched under the URL that was requested and under the URL the
        request ended at after redirects; the requested URL wins when both exist. Probes are
        not link fetches.
        """
        status: dict[str, int] = {}
        records: list[tuple[str, str | None, int, str | None]] = [
            (p.url, p.final_url, p.status, p.error) for p in self.facts.pages
        ]
        records += [(c.url, c.final_url, c.status, c.error) for c in self.facts.checks]
        # A request that robots.txt forbade was never made (the crawler does not store them;
        # this guards stores that do, with the probe's convention error="robots").
        records = [r for r in records if not (r[2] == 0 and r[3] == "robots")]
        for url, _final, code, _error in records:
            key = self.key(url)
            if key is not None:
                status.setdefault(key, code)
        for _url, final, code, _error in records:
            key = self.key(final)
            if key is not None:
                status.setdefault(key, code)
        return status

    @cached_property
    def checked(self) -> list[str]:
        """Internal link targets that were fetched, as a page or as a link check."""
        fetched = self.fetch_status
        return [t for t in self.link_targets if t in fetched]

    @cached_property
    def broken(self) -> list[str]:
        """Checked targets whose fetch ended with status ≥ 400 or without a response."""
        fetched = self.fetch_status
        return [t for t in self.checked if fetched[t] == 0 or fetched[t] >= 400]

    @cached_property
    def broken_links(self) -> list[BrokenLink]:
        """Each broken target with the pages that link to it: the evidence of broken_internal."""
        broken = set(self.broken)
        if not broken:
            return []
        sources: dict[str, list[str]] = {t: [] for t in self.broken}
        for i, page in enumerate(self.site_pages):
            for link in page.links:
                key = self.key(link.url)
                if key in broken:
                    linked = sources[key]
                    url = self.page_url(i)
                    if len(linked) < MAX_LINKED_FROM and url not in linked:
                        linked.append(url)
        errors: dict[str, str] = {}
        records: list[PageFacts | LinkCheck] = [*self.facts.pages, *self.facts.checks]
        for record in records:
            key = self.key(record.url)
            if key in broken and record.error and key not in errors:
                errors[key] = record.error
        return [
            BrokenLink(
                url=target,
                status=self.fetch_status[target],
                error=errors.get(target),
                linked_from=sources[target],
                on_home=target in self.home_targets,
            )
            for target in self.broken
        ]

    # ---------------------------------------------------------------- columns

    @cached_property
    def _column_scan(self) -> tuple[list[Column], set[int]]:
        return scan_columns(self)

    @cached_property
    def columns(self) -> list[Column]:
        """The column pages (with items), in crawl order."""
        return self._column_scan[0]

    @cached_property
    def list_pages(self) -> set[int]:
        """Column pages and their continuations: never article pages."""
        return self._column_scan[1]

    @cached_property
    def blank_columns(self) -> list[Column]:
        """Pages reached through a navigation link that show no dated link and either an
        empty-state phrase of the rubric or an empty list container."""
        return find_blank_columns(self)

    @cached_property
    def column_rows(self) -> list[Column]:
        """Columns and blank columns together, in crawl order (the rows of columns.csv)."""
        return sorted([*self.columns, *self.blank_columns], key=lambda c: c.root)

    # ---------------------------------------------------------------- letters

    @cached_property
    def letters(self) -> list[Letter]:
        """The site's letters, deduplicated, with their state, latency and overdue flag."""
        return site_letters(self)

    @cached_property
    def window_letters(self) -> list[ThreadResult]:
        """Letters asked within the board window before the as-of date (both ends included)."""
        return [letter.result for letter in self.letters if letter.in_window]

    # ----------------------------------------------------------------- probes

    def probes(self, kind: str) -> list[Probe]:
        """The probes of one kind, in sequence order."""
        return sorted((p for p in self.facts.probes if p.kind == kind), key=lambda p: p.seq)

    def probe(self, kind: str) -> Probe | None:
        found = self.probes(kind)
        return found[0] if found else None
