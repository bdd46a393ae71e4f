"""Every metric of the catalogue, computed from the stored facts of one site.

The exact meaning of each metric is fixed in ``docs/metrics.md``; this module implements those
definitions and nothing else. It is pure Python over :class:`~evalcrawler.facts.SiteFacts`:
no Scrapy, no network, no database, so any rubric can re-score any stored crawl in
milliseconds.

Metrics form a **registry**: a function per metric id, registered with :func:`metric`. The
function takes a :class:`MetricContext` and returns a :class:`Measurement`. The context holds
the site's facts, the rubric's thresholds and the as-of date, and lazily computes (once per
site) what several metrics share: the site's 2xx pages, the normalised internal link targets,
the fetch result of every target, the columns, the letters.

The contract, by example (``_example`` is registered for real but is not in the catalogue)::

    @metric("_example")
    def _example(ctx: MetricContext) -> Measurement:
        if not ctx.site_pages:
            # Could not be measured: value None and a reason, never a default such as 0.
            return Measurement(None, "no 2xx page was fetched")
        # Measured: the value, and the URL a person should look at to check it.
        return Measurement(len(ctx.site_pages), evidence_url=ctx.facts.url)

``needs_pages=True`` marks a metric that needs crawled pages: for an unreachable site the
registry returns ``None`` with the reason ``site unreachable: …`` without calling it, while
the probe metrics (home status, probes, HTTPS …) are still computed. A metric may use another
through :meth:`MetricContext.measure`, which caches every result.

Decisions where ``docs/metrics.md`` leaves room (each is also explained at its code):

* URLs are normalised exactly as the crawler does (``evalcrawler.urls.normalise``, which also
  drops session ids).
* Site hosts also include the final host of the 2xx home page: the crawler follows a home
  redirect to a new host and crawls that host as the site.
* The home page is the stored home attempt that answered 2xx HTML (the crawler stores every
  attempt: registered URL, other scheme, aliases). Site pages are 2xx HTML pages whose final
  URL is internal, one per normalised final URL.
* A link target is fetched when a page request or a link check was made for it, under the
  requested or the final URL; a request without response is fetched and broken.
  ``broken_home`` is null when none of the home page's targets was fetched.
* A probe slower than ``thresholds.probe_timeout_s`` is a timeout. ``home_probes`` is 0 when
  none was made, the other probe metrics are null. A probe without response (or forbidden by
  robots.txt) leaves ``https_redirect``, ``robots_txt``, ``sitemap_xml``, ``soft_404`` null;
  ``https`` is false then (the definition says so) and null when the certificate was never
  checked; ``hsts`` is false whenever ``https`` is.
* Columns: only items with a date count; a list page that no fetched page links to at all
  (a sitemap entry) is a column; a continuation need not hold 3 items and joins the nearest
  column along pager links; continuations of no fetched column are left out; an article
  listed twice counts once. Name: links without text are skipped; PageFacts keeps headings
  without their level, so the first heading stands for ``<h1>``. Kind: the name is tried
  against every kind first, then the title. ``columns_stale`` is null when there is no column.
* Blank columns: the empty-state phrase is the one the extractor found where the list should
  be (matched against the rubric's phrases), not any occurrence in the page text; "reached
  through a navigation link" is a navigation link on another fetched page, or the crawler's
  ``via_nav``.
* Letters: a record without an asked date is not a letter; the site's letters form one board
  for the "unanswered when the board shows reply dates" rule, else the state stays unknown.
  The window is the calendar days [as-of − window, as-of], both included. A reply dated
  before its question has no latency. ``board_replied``, ``board_reply_rate``,
  ``board_unanswered_max_days`` and ``board_overdue`` are null when the window holds no
  letter (or no letter with a known state): 0 would read as a perfect board.
* ``search_works`` checks the result links against the query the probe actually submitted.
* A metric that raises is reported as not measured with the error (and logged), so one bad
  stored fact cannot stop the scoring of a region.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from evalcrawler.facts import DatedItem, Link, LinkCheck, PageFacts, Probe, SiteFacts, Thread
from evalcrawler.scoring.results import (
    METRICS,
    BrokenLink,
    ColumnResult,
    Measurement,
    SiteMetrics,
    ThreadResult,
    Thresholds,
)
from evalcrawler.urls import host_of, internal_key, normalise

MAX_LINKED_FROM = 20  # pages kept as evidence for each broken link target

logger = logging.getLogger(__name__)

__all__ = [
    "MetricContext",
    "MetricFunc",
    "MetricSpec",
    "compute_metrics",
    "latency_days",
    "metric",
    "percentile",
    "registered_metrics",
]

MetricFunc = Callable[["MetricContext"], Measurement]
F = TypeVar("F", bound=MetricFunc)

REPLIED = "replied"
UNANSWERED = "unanswered"
UNKNOWN = "unknown"


# --------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: its id, the function that measures it and what it needs."""

    name: str
    func: MetricFunc
    needs_pages: bool = False


_REGISTRY: dict[str, MetricSpec] = {}


def metric(name: str, *, needs_pages: bool = False) -> Callable[[F], F]:
    """Register the decorated function as the implementation of metric ``name``.

    ``needs_pages``: the metric needs crawled pages, so an unreachable site gets ``None``
    with the crawler's reason instead of a call.
    """

    def register(func: F) -> F:
        if name in _REGISTRY:
            raise ValueError(f"metric {name!r} is registered twice")
        _REGISTRY[name] = MetricSpec(name, func, needs_pages)
        return func

    return register


def registered_metrics() -> dict[str, MetricSpec]:
    """Every registered metric by id (the catalogue's and any extra, such as ``_example``)."""
    return dict(_REGISTRY)


def compute_metrics(facts: SiteFacts, thresholds: Thresholds, as_of: date) -> SiteMetrics:
    """Every catalogue metric of one site, with the columns and letters behind them."""
    ctx = MetricContext(facts, thresholds, as_of)
    values = {name: ctx.measure(name) for name in METRICS}
    if ctx.unreachable:
        return SiteMetrics(site_id=facts.site_id, values=values)
    return SiteMetrics(
        site_id=facts.site_id,
        values=values,
        columns=[c.result for c in ctx.column_rows],
        threads=[letter.result for letter in ctx.letters],
        broken=ctx.broken_links,
    )


# ------------------------------------------------------------------------------ small helpers


def latency_days(asked: date, replied: date) -> float:
    """Days from a letter's question to its reply.

    Fractional when both are datetimes (seconds / 86,400); whole days between the calendar
    dates when either is a plain date, because a date without a time cannot give more.
    """
    if isinstance(asked, datetime) and isinstance(replied, datetime):
        if (asked.tzinfo is None) != (replied.tzinfo is None):
            # One side aware, one naive: both are wall-clock times of the same board.
            asked, replied = asked.replace(tzinfo=None), replied.replace(tzinfo=None)
        return (replied - asked).total_seconds() / 86400
    return float((_day(replied) - _day(asked)).days)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) with linear interpolation, as numpy's default method.

    ``values`` must be sorted and non-empty. Same result as
    ``statistics.quantiles(values, n=…, method="inclusive")`` where that is defined.
    """
    if not values:
        raise ValueError("percentile of no values")
    h = (len(values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (h - lo) * (values[hi] - values[lo])


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


# ------------------------------------------------------------------------------- the context


@dataclass
class _Column:
    """A column page (with its folded pager continuations) or a blank column page."""

    root: int  # index in MetricContext.site_pages
    members: list[int]  # root first, then the continuations
    items: list[DatedItem]
    result: ColumnResult


@dataclass
class _Letter:
    result: ThreadResult
    in_window: bool


class MetricContext:
    """What the metrics of one site share: facts, thresholds, as-of date, derived data.

    Every derived collection is computed on first use and cached, so a metric pays only for
    what it needs and nothing is computed twice.
    """

    def __init__(self, facts: SiteFacts, thresholds: Thresholds, as_of: date) -> None:
        self.facts = facts
        self.thresholds = thresholds
        self.as_of = _day(as_of)
        self._measured: dict[str, Measurement] = {}
        self._keys: dict[str, str | None] = {}

    # ------------------------------------------------------------------ measuring

    def measure(self, name: str) -> Measurement:
        """The measurement of metric ``name`` (computed once, then cached)."""
        cached = self._measured.get(name)
        if cached is not None:
            return cached
        spec = _REGISTRY.get(name)
        if spec is None:
            raise KeyError(f"no metric {name!r} is registered")
        if spec.needs_pages and self.unreachable:
            result = Measurement(
                None, f"site unreachable: {self.facts.reason or 'no reason given'}"
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
        return self.facts.status == "unreachable"

    def age(self, day: date) -> int:
        """Whole days from ``day`` to the as-of date."""
        return (self.as_of - _day(day)).days

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

    def dated(self, page: PageFacts) -> list[DatedItem]:
        """The items of the page's main list that carry a date (its dated links)."""
        return [item for item in page.items if item.date is not None]

    @cached_property
    def _column_scan(self) -> tuple[list[_Column], set[int]]:
        """Column pages with their folded continuations, and the set of all list pages.

        A column page is a 2xx page, not the home page, without a publish date, whose main
        list holds ≥ ``min_column_items`` dated links, and which is reached by a non-pager link
        of another page. A page reached only through pager links is a continuation: it joins
        the column whose page (or continuation) links to it through a pager link, found by a
        breadth-first walk from all column pages at once, so each continuation joins the
        nearest column, ties going to the column found first in crawl order. Continuations
        that no column reaches (their first page was not fetched) are left out.

        A list page with ≥ 3 dated links that no fetched page links to at all (a start URL, a
        sitemap entry) is a column: it was not reached "only through pager links".
        """
        pages = self.site_pages
        incoming = self.incoming
        roots: list[int] = []
        pager_only: set[int] = set()
        for i, page in enumerate(pages):
            if i == self.home_index:
                continue
            links = incoming.get(i, [])
            if links and all(link.pager for _, link in links):
                pager_only.add(i)
            elif page.publish_date is None and len(self.dated(page)) >= (
                self.thresholds.min_column_items
            ):
                roots.append(i)
        owner: dict[int, int] = {r: r for r in roots}
        queue = deque(roots)
        while queue:
            i = queue.popleft()
            for link in pages[i].links:
                if not link.pager:
                    continue
                key = self.key(link.url)
                tgt = self.page_index.get(key) if key is not None else None
                if tgt is not None and tgt in pager_only and tgt not in owner:
                    owner[tgt] = owner[i]
                    queue.append(tgt)
        members: dict[int, list[int]] = {r: [r] for r in roots}
        for i, root in owner.items():
            if i != root:
                members[root].append(i)
        columns = [self._column(r, members[r]) for r in roots]
        return columns, set(owner)

    def _column(self, root: int, members: list[int]) -> _Column:
        items: list[DatedItem] = []
        seen: set[Any] = set()
        for i in members:
            page = self.site_pages[i]
            for item in self.dated(page):
                # The same article listed twice (a pinned item, a page fetched under two URLs)
                # is one item of the column.
                key = self.abs_key(item.url, page.final_url or page.url)
                ident: Any = key if key is not None else (item.url, item.title, item.date)
                if ident in seen:
                    continue
                seen.add(ident)
                items.append(item)
        name = self._column_name(root)
        kind = self._column_kind(name, self.site_pages[root].title)
        latest = max((_day(item.date) for item in items if item.date is not None), default=None)
        age = self.age(latest) if latest is not None else None
        limit = self._stale_limit(kind)
        stale = age is not None and limit is not None and age > limit
        result = ColumnResult(
            column=name,
            url=self.page_url(root),
            kind=kind,
            items=len(items),
            latest=latest,
            age_days=age,
            stale=stale,
            blank=False,
        )
        return _Column(root, members, items, result)

    def _column_name(self, i: int) -> str:
        """Anchor text of the first non-pager link to the page (navigation links first), else
        its first heading, else its title. Links without text (an image without alt) are
        skipped: they name nothing."""
        links = [link for _, link in self.incoming.get(i, []) if not link.pager and link.text]
        for link in links:
            if link.nav:
                return link.text.strip()
        if links:
            return links[0].text.strip()
        page = self.site_pages[i]
        # PageFacts keeps h1–h3 in page order without their level; the first stands for <h1>.
        for heading in page.headings:
            if heading.strip():
                return heading.strip()
        return page.title.strip()

    def _column_kind(self, name: str, title: str) -> str:
        """The first kind (in the rubric's order) whose keywords occur in the name; only when
        none does, the same test on the page title; else ``other``."""
        for text in (name, title):
            for kind, words in self.thresholds.column_kinds.items():
                if any(word and word in text for word in words):
                    return kind
        return "other"

    def _stale_limit(self, kind: str) -> int | None:
        limits = self.thresholds.stale_days
        return limits.get(kind, limits.get("other"))

    @cached_property
    def columns(self) -> list[_Column]:
        """The column pages (with items), in crawl order."""
        return self._column_scan[0]

    @cached_property
    def list_pages(self) -> set[int]:
        """Column pages and their continuations: never article pages."""
        return self._column_scan[1]

    @cached_property
    def blank_columns(self) -> list[_Column]:
        """Pages reached through a navigation link that show no dated link and either an
        empty-state phrase of the rubric or an empty list container."""
        phrases = [p for p in self.thresholds.empty_phrases if p]
        out: list[_Column] = []
        for i, page in enumerate(self.site_pages):
            if i == self.home_index or i in self.list_pages:
                continue
            if page.items or page.dated_links:
                continue
            # Only the phrase the extractor found where the list should be counts, not any
            # occurrence in the page text: prose such as 城市建设中 contains 建设中.
            empty_state = page.empty_state or ""
            if not (page.list_container or any(p in empty_state for p in phrases)):
                continue
            via_nav = page.via_nav or any(link.nav for _, link in self.incoming.get(i, []))
            if not via_nav:
                continue
            name = self._column_name(i)
            result = ColumnResult(
                column=name,
                url=self.page_url(i),
                kind=self._column_kind(name, page.title),
                items=0,
                latest=None,
                age_days=None,
                stale=False,
                blank=True,
            )
            out.append(_Column(i, [i], [], result))
        return out

    @cached_property
    def column_rows(self) -> list[_Column]:
        """Columns and blank columns together, in crawl order (the rows of columns.csv)."""
        return sorted([*self.columns, *self.blank_columns], key=lambda c: c.root)

    # ---------------------------------------------------------------- letters

    @cached_property
    def letters(self) -> list[_Letter]:
        """The site's letters, deduplicated, with their state, latency and overdue flag.

        Rows of list pages and detail pages are merged by URL, the detail page winning; rows
        without a URL are merged by (title, asked). A record that shows no asked date is not a
        letter (docs/metrics.md: a letter shows when it was asked).
        """
        groups: dict[Any, tuple[list[Thread], list[Thread]]] = {}
        for page in self.site_pages:
            base = page.final_url or page.url
            for thread in page.threads:
                key = self.abs_key(thread.url, base) if thread.url else None
                if key is not None:
                    ident: Any = ("url", key)
                elif thread.url:
                    ident = ("url", thread.url)  # an off-site detail URL: still one letter
                else:
                    ident = ("title", thread.title.strip(), thread.asked)
                rows, details = groups.setdefault(ident, ([], []))
                (details if thread.source == "detail" else rows).append(thread)
        merged: list[tuple[Thread, date]] = []
        for rows, details in groups.values():
            letter = _fold(rows)
            detail = _fold(details)
            if letter is None:
                letter = detail
            elif detail is not None:
                letter = _merge(letter, detail)
            if letter is not None and letter.asked is not None:
                merged.append((letter, letter.asked))
        # "With neither [reply date nor status] it is unanswered when the board shows reply
        # dates for other letters"; the site's letters are taken as one board.
        board_shows_replies = any(t.replied is not None for t, _ in merged)
        window_start = self.as_of - timedelta(days=self.thresholds.board_window_days)
        overdue_days = self.thresholds.overdue_days
        out: list[_Letter] = []
        for t, asked in merged:
            if t.replied is not None:
                state = REPLIED
            elif t.state in (REPLIED, UNANSWERED):
                state = t.state
            else:
                state = UNANSWERED if board_shows_replies else UNKNOWN
            latency = latency_days(asked, t.replied) if t.replied is not None else None
            if latency is not None and latency < 0:
                # A reply before its question is a misread date, not a measurement.
                latency = None
            overdue = (latency is not None and latency > overdue_days) or (
                state == UNANSWERED and self.age(asked) > overdue_days
            )
            result = ThreadResult(
                url=t.url,
                title=t.title,
                asked=asked,
                replied=t.replied,
                latency_days=latency,
                overdue=overdue,
                state=state,
            )
            out.append(_Letter(result, window_start <= _day(asked) <= self.as_of))
        return out

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


def _fold(threads: list[Thread]) -> Thread | None:
    """Merge records of one letter from the same source: the first wins, later ones fill gaps."""
    if not threads:
        return None
    result = threads[0]
    for later in threads[1:]:
        result = _merge(later, result)
    return result


def _merge(base: Thread, over: Thread) -> Thread:
    """``over``'s facts win; ``base`` fills what ``over`` does not show."""
    replied: date | None
    if over.replied is not None:
        replied, state = over.replied, REPLIED
    elif over.state in (REPLIED, UNANSWERED):
        # An explicit status wins; a reply date is kept only if it agrees with it.
        state = over.state
        replied = base.replied if state == REPLIED else None
    else:
        replied, state = base.replied, base.state
    return Thread(
        title=over.title or base.title,
        url=over.url or base.url,
        asked=over.asked if over.asked is not None else base.asked,
        replied=replied,
        state=state,
        source=over.source,
    )


def _probe_unmeasured(probe: Probe | None, what: str) -> Measurement | None:
    """The not-measured result for a missing, forbidden or unanswered probe, else None."""
    if probe is None:
        return Measurement(None, f"no {what} probe was made")
    if probe.error == "robots":
        return Measurement(None, f"robots.txt forbids {probe.url}", probe.url)
    if not probe.status:
        return Measurement(None, f"no response from {probe.url}: {probe.error or 'unknown'}")
    return None


def _count_evidence(urls: Iterable[str]) -> tuple[int, str | None]:
    count, first = 0, None
    for url in urls:
        if first is None:
            first = url
        count += 1
    return count, first


# --------------------------------------------------------------------------- the metrics


@metric("_example")
def _example(ctx: MetricContext) -> Measurement:
    """The documented no-op that shows the contract (not in the catalogue).

    Return ``Measurement(value, reason=None, evidence_url=...)`` when measured and
    ``Measurement(None, reason)`` when not; never a value that merely looks measured.
    """
    return Measurement(None, "example metric: it measures nothing")


@metric("pages", needs_pages=True)
def _pages(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.site_pages), evidence_url=ctx.facts.url)


@metric("home_status")
def _home_status(ctx: MetricContext) -> Measurement:
    home = ctx.home
    if home is not None:
        return Measurement(home.status, evidence_url=home.final_url or home.url)
    # No home page request was stored: robots.txt forbade it (the crawler's reason says so).
    return Measurement(None, ctx.facts.reason or "the home page was not requested")


def _probe_timed_out(ctx: MetricContext, probe: Probe) -> bool:
    # The rubric's timeout applies on re-scoring too: an answer slower than it is a timeout.
    limit_ms = ctx.thresholds.probe_timeout_s * 1000
    return probe.elapsed_ms is not None and probe.elapsed_ms > limit_ms


@metric("home_probes")
def _home_probes(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.probes("home")), evidence_url=ctx.facts.url)


@metric("home_probe_failures")
def _home_probe_failures(ctx: MetricContext) -> Measurement:
    probes = ctx.probes("home")
    if not probes:
        return Measurement(None, "no home page probe was made")
    failed = [p for p in probes if p.status == 0 or p.status >= 400 or _probe_timed_out(ctx, p)]
    return Measurement(len(failed), evidence_url=failed[0].url if failed else probes[0].url)


@metric("home_response_ms")
def _home_response_ms(ctx: MetricContext) -> Measurement:
    probes = ctx.probes("home")
    if not probes:
        return Measurement(None, "no home page probe was made")
    times = sorted(
        p.elapsed_ms
        for p in probes
        if p.status and p.elapsed_ms is not None and not _probe_timed_out(ctx, p)
    )
    if not times:
        return Measurement(None, "no home page probe got a response")
    return Measurement(percentile(times, 0.5), evidence_url=probes[0].url)


@metric("https")
def _https(ctx: MetricContext) -> Measurement:
    probe = ctx.probe("https")
    if probe is None:
        return Measurement(None, "no HTTPS probe was made")
    if probe.error == "robots":
        return Measurement(None, f"robots.txt forbids {probe.url}", probe.url)
    if not probe.status or probe.status >= 400:
        return Measurement(False, evidence_url=probe.url)
    tls = next((p.ok for p in ctx.probes("tls") if p.ok is not None), None)
    if tls is None:
        return Measurement(None, "the certificate was not verified", probe.url)
    return Measurement(tls, evidence_url=probe.url)


@metric("https_redirect")
def _https_redirect(ctx: MetricContext) -> Measurement:
    probe = ctx.probe("http_redirect")
    if probe is not None and probe.final_url and probe.final_url.lower().startswith("https://"):
        return Measurement(True, evidence_url=probe.url)
    location = probe.headers.get("location", "") if probe is not None else ""
    if probe is not None and 300 <= probe.status < 400 and location.lower().startswith("https://"):
        # A probe stored without following the chain: its first hop already goes to HTTPS.
        return Measurement(True, evidence_url=probe.url)
    # No response from http://host/ (port 80 closed, a timeout) shows no redirect either way.
    unmeasured = _probe_unmeasured(probe, "http:// redirect")
    if unmeasured is not None:
        return unmeasured
    assert probe is not None
    return Measurement(False, evidence_url=probe.url)


@metric("hsts")
def _hsts(ctx: MetricContext) -> Measurement:
    https = ctx.measure("https")
    probe = ctx.probe("https")
    if https.value is False:
        return Measurement(False, evidence_url=https.evidence_url)
    if probe is None or probe.error == "robots":
        return Measurement(None, https.reason)
    header = probe.headers.get("strict-transport-security", "").strip()
    return Measurement(bool(header), evidence_url=probe.url)


@metric("ipv6")
def _ipv6(ctx: MetricContext) -> Measurement:
    # The resolver's answer wins (an injected resolver may know about any host); without
    # one, an IP-address host has no DNS record to ask about.
    probe = ctx.probe("dns")
    if probe is not None and probe.ok is not None:
        return Measurement(bool(probe.ok), evidence_url=probe.url)
    host = urlsplit(ctx.home_final_url or ctx.facts.url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return Measurement(None, f"the home host {host} is an IP address")
    if probe is None:
        return Measurement(None, "no DNS probe was made")
    reason = probe.detail.get("reason") or probe.error or "DNS could not be asked"
    return Measurement(None, str(reason))


@metric("mobile_viewport", needs_pages=True)
def _mobile_viewport(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    content = (ctx.home.viewport or "").lower().replace(" ", "")
    return Measurement("width=device-width" in content, evidence_url=ctx.home.url)


@metric("html_lang", needs_pages=True)
def _html_lang(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    return Measurement(bool((ctx.home.lang or "").strip()), evidence_url=ctx.home.url)


@metric("img_alt_ratio", needs_pages=True)
def _img_alt_ratio(ctx: MetricContext) -> Measurement:
    images = with_alt = 0
    worst: tuple[int, str] | None = None
    for page in ctx.site_pages:
        images += page.images
        with_alt += page.images_alt
        missing = page.images - page.images_alt
        if missing > 0 and (worst is None or missing > worst[0]):
            worst = (missing, page.final_url or page.url)
    if not images:
        return Measurement(None, "no image on the fetched pages")
    return Measurement(with_alt / images, evidence_url=worst[1] if worst else None)


def _answers_2xx(ctx: MetricContext, kind: str, what: str) -> Measurement:
    probe = ctx.probe(kind)
    unmeasured = _probe_unmeasured(probe, what)
    if unmeasured is not None:
        return unmeasured
    assert probe is not None
    return Measurement(_is_2xx(probe.status), evidence_url=probe.url)


@metric("robots_txt")
def _robots_txt(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "robots", "robots.txt")


@metric("sitemap_xml")
def _sitemap_xml(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "sitemap", "sitemap.xml")


@metric("soft_404")
def _soft_404(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "soft404", "soft-404")


@metric("links_internal", needs_pages=True)
def _links_internal(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.link_targets), evidence_url=ctx.facts.url)


@metric("links_checked", needs_pages=True)
def _links_checked(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.checked), evidence_url=ctx.facts.url)


@metric("broken_internal", needs_pages=True)
def _broken_internal(ctx: MetricContext) -> Measurement:
    count, first = _count_evidence(ctx.broken)
    return Measurement(count, evidence_url=first)


@metric("broken_ratio", needs_pages=True)
def _broken_ratio(ctx: MetricContext) -> Measurement:
    if not ctx.checked:
        return Measurement(None, "no internal link target was checked")
    count, first = _count_evidence(ctx.broken)
    return Measurement(count / len(ctx.checked), evidence_url=first)


@metric("broken_home", needs_pages=True)
def _broken_home(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok:
        return ctx.home_missing()
    targets = ctx.home_targets
    fetched = ctx.fetch_status
    if targets and not any(t in fetched for t in targets):
        return Measurement(None, "no link target of the home page was checked")
    count, first = _count_evidence(t for t in ctx.broken if t in targets)
    return Measurement(count, evidence_url=first)


@metric("home_latest", needs_pages=True)
def _home_latest(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    home = ctx.home
    dated = [(_day(item.date), item) for item in [*home.dated_links, *home.items] if item.date]
    if not dated:
        return Measurement(None, "the home page shows no dated link", home.url)
    # max() keeps the first of equal dates: the evidence is the first link showing the date.
    newest, item = max(dated, key=lambda pair: pair[0])
    return Measurement(newest.isoformat(), evidence_url=item.url or home.url)


@metric("home_age_days", needs_pages=True)
def _home_age_days(ctx: MetricContext) -> Measurement:
    latest = ctx.measure("home_latest")
    if latest.value is None:
        return Measurement(None, latest.reason, latest.evidence_url)
    return Measurement(ctx.age(date.fromisoformat(latest.value)), evidence_url=latest.evidence_url)


@metric("dated_share", needs_pages=True)
def _dated_share(ctx: MetricContext) -> Measurement:
    articles: dict[int, None] = {}
    for src, page in enumerate(ctx.site_pages):
        base = page.final_url or page.url
        for item in [*page.dated_links, *page.items]:
            if item.date is None:
                continue
            key = ctx.abs_key(item.url, base)
            tgt = ctx.page_index.get(key) if key is not None else None
            if tgt is not None and tgt != src and tgt not in ctx.list_pages:
                articles[tgt] = None
    if not articles:
        return Measurement(None, "no article page was fetched")
    undated = [i for i in articles if ctx.site_pages[i].publish_date is None]
    return Measurement(
        (len(articles) - len(undated)) / len(articles),
        evidence_url=ctx.page_url(undated[0]) if undated else None,
    )


@metric("columns", needs_pages=True)
def _columns(ctx: MetricContext) -> Measurement:
    columns = ctx.columns
    return Measurement(len(columns), evidence_url=columns[0].result.url if columns else None)


@metric("columns_stale", needs_pages=True)
def _columns_stale(ctx: MetricContext) -> Measurement:
    if not ctx.columns:
        # Zero stale columns out of zero would read as "all columns fresh".
        return Measurement(None, "no column page was found")
    stale = [c.result.url for c in ctx.columns if c.result.stale]
    return Measurement(len(stale), evidence_url=stale[0] if stale else None)


@metric("columns_blank", needs_pages=True)
def _columns_blank(ctx: MetricContext) -> Measurement:
    blank = ctx.blank_columns
    return Measurement(len(blank), evidence_url=blank[0].result.url if blank else None)


def _board_url(ctx: MetricContext) -> str | None:
    return next((t.url for t in ctx.window_letters if t.url), None)


@metric("board_found", needs_pages=True)
def _board_found(ctx: MetricContext) -> Measurement:
    first = next((letter.result for letter in ctx.letters), None)
    return Measurement(first is not None, evidence_url=first.url if first else None)


@metric("board_threads", needs_pages=True)
def _board_threads(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.window_letters), evidence_url=_board_url(ctx))


def _board_unmeasured(ctx: MetricContext) -> Measurement | None:
    """None when the window holds letters with a known state, else why not."""
    window = ctx.window_letters
    if not window:
        days = ctx.thresholds.board_window_days
        return Measurement(None, f"no letter asked in the {days} days before {ctx.as_of}")
    if all(t.state == UNKNOWN for t in window):
        return Measurement(None, "the board shows neither reply dates nor reply states")
    return None


@metric("board_replied", needs_pages=True)
def _board_replied(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    replied = sum(1 for t in ctx.window_letters if t.state == REPLIED)
    return Measurement(replied, evidence_url=_board_url(ctx))


@metric("board_reply_rate", needs_pages=True)
def _board_reply_rate(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    replied = sum(1 for t in ctx.window_letters if t.state == REPLIED)
    return Measurement(replied / len(ctx.window_letters), evidence_url=_board_url(ctx))


def _latencies(ctx: MetricContext) -> list[float]:
    return sorted(t.latency_days for t in ctx.window_letters if t.latency_days is not None)


@metric("board_reply_median_days", needs_pages=True)
def _board_reply_median_days(ctx: MetricContext) -> Measurement:
    values = _latencies(ctx)
    if not values:
        return Measurement(None, "no replied letter with a reply date in the window")
    return Measurement(percentile(values, 0.5), evidence_url=_board_url(ctx))


@metric("board_reply_p90_days", needs_pages=True)
def _board_reply_p90_days(ctx: MetricContext) -> Measurement:
    values = _latencies(ctx)
    if not values:
        return Measurement(None, "no replied letter with a reply date in the window")
    return Measurement(percentile(values, 0.9), evidence_url=_board_url(ctx))


@metric("board_unanswered_max_days", needs_pages=True)
def _board_unanswered_max_days(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    ages = [
        (ctx.age(t.asked), t.url)
        for t in ctx.window_letters
        if t.state == UNANSWERED and t.asked is not None
    ]
    if not ages:
        return Measurement(0, evidence_url=_board_url(ctx))
    oldest, url = max(ages, key=lambda pair: pair[0])
    return Measurement(oldest, evidence_url=url)


@metric("board_overdue", needs_pages=True)
def _board_overdue(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    overdue = [t for t in ctx.window_letters if t.overdue]
    return Measurement(
        len(overdue), evidence_url=next((t.url for t in overdue if t.url), _board_url(ctx))
    )


@metric("search_form", needs_pages=True)
def _search_form(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    form = next((f for f in ctx.home.forms if f.search), None)
    return Measurement(form is not None, evidence_url=form.action if form else ctx.home.url)


@metric("search_works", needs_pages=True)
def _search_works(ctx: MetricContext) -> Measurement:
    form = ctx.measure("search_form")
    if form.value is None:
        return Measurement(None, form.reason)
    if form.value is False:
        return Measurement(None, "the home page has no search form")
    probes = ctx.probes("search")
    if not probes:
        return Measurement(None, "the search form was not submitted", form.evidence_url)
    made = [p for p in probes if p.error != "robots"]
    if not made:
        return Measurement(None, f"robots.txt forbids the search URL {probes[0].url}")
    home_links = {normalise(link.url) for link in ctx.home.links} if ctx.home else set()
    for probe in made:
        if not _is_2xx(probe.status):
            continue
        query = str(probe.detail.get("query") or ctx.thresholds.search_query)
        for link in probe.detail.get("links") or []:
            url, text = str(link.get("url") or ""), str(link.get("text") or "")
            key = ctx.key(url)
            if key is not None and query in text and key not in home_links:
                return Measurement(True, evidence_url=probe.final_url or probe.url)
    return Measurement(False, evidence_url=made[0].final_url or made[0].url)


_missing = [name for name in METRICS if name not in _REGISTRY]
if _missing:  # pragma: no cover - a programming error, caught at import and by the tests
    raise RuntimeError(f"catalogue metrics without an implementation: {', '.join(_missing)}")
