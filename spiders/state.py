"""What the spider knows of each site during a crawl, and the site's verdict from it.

:class:`SiteState` is the per-site record the spider, the budget middleware and the item
pipeline share: budgets used, requests in flight, what failed and why, what was cut.
:func:`verdict` turns it into the site's status and reason, by the rules of docs/metrics.md,
"Site status": ``unreachable`` when the home page could not be had, ``blocked`` when its
answers stayed an anti-bot challenge, ``partial`` when part of the site could not be fetched,
else ``measured`` (with notes that take nothing away).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evalcrawler.facts import ExtractOptions, PageFacts
from evalcrawler.spiders.traps import TrapGuard

PARTIAL_FAILURE_SHARE = 0.2  # share of failed page requests that makes a site "partial"


@dataclass
class SiteState:
    """What the spider tracks for one site during the crawl."""

    pk: int
    site_id: str
    url: str
    hosts: frozenset[str]
    candidates: list[str]
    render: str = "never"  # auto | never | always (spiders/rendering.py)
    pages_started: int = 0
    checks_started: int = 0
    seen: set[str] = field(default_factory=set)
    outstanding: int = 0
    candidate_index: int = 0
    home_url: str | None = None
    home_errors: list[str] = field(default_factory=list)
    home_done: bool = False
    home_failed: bool = False
    probes_done: set[tuple[str, int]] = field(default_factory=set)
    probes_scheduled: set[tuple[str, int]] = field(default_factory=set)
    page_responses: int = 0
    page_failures: int = 0
    failure_kinds: Counter[str] = field(default_factory=Counter)  # "timeout", "HTTP 503" …
    too_big: list[str] = field(default_factory=list)  # pages over the download size limit
    extract_cut: list[tuple[str, str]] = field(default_factory=list)  # (page, why) not read
    throttled: int = 0  # 429/503 answers with a Retry-After that paused the host
    throttle_wait: float = 0.0  # the longest such pause, seconds
    throttle_ignored: int = 0  # further Retry-After answers, not honoured (the cap was reached)
    clock_started: float | None = None  # monotonic time of the site's first request
    cut_by_time: Counter[str] = field(default_factory=Counter)  # "page"/"check" not made
    links_not_queued: int = 0  # links found once the budgets could take no more
    traps: TrapGuard = field(default_factory=TrapGuard)
    cut_short: list[str] = field(default_factory=list)
    refused_redirects: list[tuple[str, str]] = field(default_factory=list)  # (url, scheme)
    challenged_home: bool = False  # a home page candidate answered an anti-bot challenge
    scripted: list[str] = field(default_factory=list)  # pages scripts fill, not rendered
    renders: int = 0  # pages fetched again through the browser
    render_failures: list[str] = field(default_factory=list)  # why a rendering failed
    finished: bool = False
    # Page requests turned into checks for want of page budget, best first: one is fetched as
    # a page whenever a page request ends without a page (SiteSpider._promote).
    waiting: list[tuple[int, int, Any]] = field(default_factory=list)
    waiting_seq: int = 0
    broken: set[str] = field(default_factory=set)  # targets whose check failed (not pages)
    extract: ExtractOptions | None = None  # the site's corrections for extraction

    def not_a_page(self, meta: dict[str, Any]) -> None:
        """A page request ended without a 2xx HTML page (a broken target, an error status, a
        file): it leaves the page budget, which counts 2xx HTML pages, for the check budget."""
        if meta.get("ec_kind") == "page" and meta.get("ec_counted") and not meta.get("ec_moved"):
            meta["ec_moved"] = True
            self.pages_started -= 1
            self.checks_started += 1


@dataclass(frozen=True)
class CrawlLimits:
    """The limits a verdict names: budgets, the site time budget and the download size limit."""

    max_pages: int
    check_budget: int
    site_timeout: float
    maxsize: int = 0  # bytes; 0 = not known


def home_candidates(url: str, aliases: Iterable[str]) -> list[str]:
    """The registered URL, the same host under the other scheme, then each alias."""
    out = [url]
    parts = urlsplit(url)
    other = "http" if parts.scheme == "https" else "https"
    out.append(urlunsplit((other, parts.netloc, parts.path or "/", parts.query, "")))
    out.extend(a for a in aliases if a not in out)
    return out


def verdict(state: SiteState, limits: CrawlLimits) -> tuple[str, str | None]:
    """The site's status and reason: the rules of docs/metrics.md, "Site status"."""
    if not state.home_done:
        first = state.home_errors[0] if state.home_errors else "the home page did not answer"
        others = len(state.home_errors) - 1
        more = f" (and {others} other address{'es' if others > 1 else ''} tried)" if others else ""
        if state.challenged_home:
            # The site answers, but only with a firewall's test: never judged as unreachable.
            challenged = next((e for e in state.home_errors if CHALLENGE_MARK in e), first)
            return "blocked", challenged + more
        return "unreachable", first + more
    partial: list[str] = []
    if state.page_responses and state.page_failures / state.page_responses >= (
        PARTIAL_FAILURE_SHARE
    ):
        kinds = ", ".join(
            f"{n} × {kind}"
            for kind, n in sorted(state.failure_kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        partial.append(
            f"{state.page_failures} of {state.page_responses} page requests failed"
            + (f" ({kinds})" if kinds else "")
        )
    if state.too_big:
        n = len(state.too_big)
        paths = ", ".join(sorted(urlsplit(u).path for u in state.too_big)[:3])
        limit = f"{limits.maxsize / 2**20:g} MB " if limits.maxsize else ""
        partial.append(
            f"{n} page{'s' if n > 1 else ''} over the {limit}download limit not read "
            f"({paths}{', …' if n > 3 else ''})"
        )
    for why, urls in _grouped(state.extract_cut).items():
        n = len(urls)
        paths = ", ".join(sorted(urlsplit(u).path for u in urls)[:3])
        partial.append(
            f"{n} page{'s' if n > 1 else ''} whose {why.removesuffix(': not read')} "
            f"not read ({paths}{', …' if n > 3 else ''})"
        )
    partial.extend(state.traps.reasons())
    if state.cut_by_time:
        pages, checks = state.cut_by_time["page"], state.cut_by_time["check"]
        partial.append(
            f"the site's time budget of {limits.site_timeout:g} s ran out: {pages} page "
            f"request{'s' if pages != 1 else ''} and {checks} link check"
            f"{'s' if checks != 1 else ''} not made"
        )
    notes = list(state.cut_short)  # robots.txt: the site's own choice, not a failure
    if state.refused_redirects:
        n = len(state.refused_redirects)
        schemes = ", ".join(sorted({f"{scheme}:" for _, scheme in state.refused_redirects}))
        paths = ", ".join(sorted(urlsplit(u).path for u, _ in state.refused_redirects)[:3])
        notes.append(
            f"{n} redirect{'s' if n > 1 else ''} to {schemes} URLs refused, only http and "
            f"https are fetched ({paths}{', …' if n > 3 else ''})"
        )
    if state.throttled:
        times = "once" if state.throttled == 1 else f"{state.throttled} times"
        notes.append(
            f"the server asked to slow down {times} (429 or 503 with Retry-After); "
            f"requests to it were paused for up to {state.throttle_wait:g} s"
            + (
                f"; {state.throttle_ignored} later Retry-After answers were not honoured"
                if state.throttle_ignored
                else ""
            )
        )
    if state.scripted:
        n = len(state.scripted)
        paths = ", ".join(sorted(urlsplit(u).path or "/" for u in state.scripted)[:3])
        what = f"{n} pages that scripts fill were" if n > 1 else "1 page that scripts fill was"
        notes.append(
            f"needs rendering: {what} not rendered, so what they list is not measured "
            f"({paths}{', …' if n > 3 else ''})"
        )
    if state.render_failures:
        notes.append(
            f"rendering failed {len(state.render_failures)} × ({state.render_failures[0]})"
        )
    if state.links_not_queued:
        notes.append(
            f"{state.links_not_queued:,} further links were counted, not queued: the page "
            f"and check budgets ({limits.max_pages:,} + {limits.check_budget:,}) could fetch "
            "no more"
        )
    if partial:
        return "partial", "; ".join(partial + notes)
    return "measured", "; ".join(notes) or None


CHALLENGE_MARK = "an anti-bot challenge"


def home_problem(url: str, status: int, facts: PageFacts, rendering: str = "") -> str:
    """Why a home page that answered is not a usable home page. ``rendering``: what the
    browser did (or why there was none), for challenges and pages that scripts fill."""
    after = f"; {rendering}" if rendering else ""
    if facts.challenge:
        return f"{url} answered {CHALLENGE_MARK}: {facts.challenge}{after}"
    if facts.scripted and 200 <= status < 300:
        return f"{url} is filled by scripts ({facts.scripted}){after}"
    if facts.error:  # a redirect that was not followed: a loop, too many hops
        return f"{url}: {facts.error}"
    if 200 <= status < 300:
        served = facts.content_type or "no content type"
        what = f"binary data served as {served}" if "html" in served else served
        return f"{url} is not an HTML page ({what})"
    return f"{url} answered {status}"


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """(url, why) pairs as why → urls, in the order the whys came."""
    out: dict[str, list[str]] = {}
    for url, why in pairs:
        out.setdefault(why, []).append(url)
    return out
