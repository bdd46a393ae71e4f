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

This module holds the registry and :func:`compute_metrics`. The metrics themselves are in
:mod:`~evalcrawler.scoring.catalogue`, the context in :mod:`~evalcrawler.scoring.metric_context`,
the columns and the letters it derives in :mod:`~evalcrawler.scoring.columns` and
:mod:`~evalcrawler.scoring.letters`.

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
  ``via_nav``; a page with a publish date of its own, or with more than 300 characters of its
  own text, is never blank (a false blank fails a site: when unsure, not blank); facts stored
  before the own text was counted are judged without that rule. Pages a site's
  ``not_columns`` patterns match are neither columns nor blank columns.
* Letters: a record without an asked date is not a letter; the site's letters form one board
  for the "unanswered when the board shows reply dates" rule, else the state stays unknown.
  The window is the calendar days [as-of − window, as-of], both included. A reply dated
  before its question has no latency. ``board_replied``, ``board_reply_rate``,
  ``board_unanswered_max_days`` and ``board_overdue`` are null when the window holds no
  letter (or no letter with a known state): 0 would read as a perfect board. A letter marked
  done without a reply date is replied with unknown latency: the latency metrics and
  ``board_overdue`` leave it out and say how many in their reason.
* ``search_works`` checks the result links against the query the probe actually submitted.
* A metric that raises is reported as not measured with the error (and logged), so one bad
  stored fact cannot stop the scoring of a region.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from evalcrawler.facts import SiteFacts
from evalcrawler.scoring.results import METRICS, Measurement, SiteMetrics, Thresholds

if TYPE_CHECKING:
    from evalcrawler.scoring.metric_context import MetricContext

logger = logging.getLogger(__name__)

__all__ = [
    "MetricFunc",
    "MetricSpec",
    "compute_metrics",
    "metric",
    "metric_spec",
    "registered_metrics",
]

MetricFunc = Callable[["MetricContext"], Measurement]
F = TypeVar("F", bound=MetricFunc)
CATALOGUE = "evalcrawler.scoring.catalogue"  # the module of the catalogue's metrics

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
    importlib.import_module(CATALOGUE)
    return dict(_REGISTRY)


def metric_spec(name: str) -> MetricSpec:
    """The registered metric ``name`` (the catalogue registers itself when first needed)."""
    spec = _REGISTRY.get(name)
    if spec is None:
        importlib.import_module(CATALOGUE)
        spec = _REGISTRY.get(name)
        if spec is None:
            raise KeyError(f"no metric {name!r} is registered")
    return spec


def compute_metrics(facts: SiteFacts, thresholds: Thresholds, as_of: date) -> SiteMetrics:
    """Every catalogue metric of one site, with the columns and letters behind them."""
    from evalcrawler.scoring.metric_context import MetricContext  # it measures through here

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
