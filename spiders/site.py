"""The site spider: one spider crawls every site of a run.

For each site it fetches the home page (trying the registered URL, its other scheme and the
aliases in turn), follows internal links in priority order (rubric keywords in the anchor
text first, then shallow pages), checks the internal link targets it does not crawl as pages,
and makes the site probes (home page probes, HTTPS, redirect, robots.txt, sitemap.xml, a
soft-404 path, a site search, DNS). Everything it learns is yielded as items that the
database pipeline streams to the database; nothing waits in memory for the end of the crawl.

Redirects are followed by the spider (:mod:`~evalcrawler.spiders.redirects`) rather than by
Scrapy's RedirectMiddleware, so that a chain can be recorded, a loop detected, an off-site hop
stopped and every hop pass the address guard.

A crawl can resume: the spider is given what the database already holds for the run (pages,
their links, checks, probes) and rebuilds its frontier from it.

Hostile servers cannot stall or trap it: timeouts, the download size limit and the redirect
limit bound every request, the trap guard (:mod:`evalcrawler.spiders.traps`) cuts endless
link structures, and :func:`evalcrawler.spiders.state.verdict` turns what could not be fetched
into the site's status and reason (docs/metrics.md, "Site status").

The spider's probes are in :mod:`~evalcrawler.spiders.probing`, its errback in
:mod:`~evalcrawler.spiders.failures`, the per-site state and the verdict in
:mod:`~evalcrawler.spiders.state`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object

from evalcrawler.facts import SEARCH_QUERY, ExtractOptions, PageFacts
from evalcrawler.limits import SITE_TIMEOUT
from evalcrawler.spiders.checks import ChecksMixin
from evalcrawler.spiders.endpoints import read_endpoint
from evalcrawler.spiders.extract import extract_page
from evalcrawler.spiders.extractpool import ExtractPool, is_cut
from evalcrawler.spiders.failures import SIZE_LIMIT_REASON, FailureMixin, failure_kind
from evalcrawler.spiders.probing import ProbesMixin
from evalcrawler.spiders.redirects import RedirectMixin
from evalcrawler.spiders.rendering import RenderingMixin
from evalcrawler.spiders.signals import item_found, site_finished
from evalcrawler.spiders.state import (
    CrawlLimits,
    SiteState,
    home_candidates,
    home_problem,
    verdict,
)
from evalcrawler.urls import is_internal, looks_like_page, normalise

logger = logging.getLogger(__name__)

HOME_PRIORITY = 10_000
SECTION_TEXT_MAX = 16  # section names are short; longer anchor texts are titles of articles


class SiteSpider(
    ProbesMixin, ChecksMixin, FailureMixin, RedirectMixin, RenderingMixin, scrapy.Spider
):
    """Crawl all sites of one run (see the module docstring)."""

    name = "evalcrawl"
    _ask_dns: bool  # set by from_crawler

    def __init__(
        self,
        *,
        sites: list[dict[str, Any]],
        fetched: date,
        max_pages: int = 500,
        check_budget: int = 2000,
        probe_count: int = 5,
        probe_timeout: float = 15.0,
        search_query: str = SEARCH_QUERY,
        keywords: list[str] | None = None,
        resume: dict[int, dict[str, Any]] | None = None,
        site_timeout: float = SITE_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fetched = fetched
        self.max_pages = max_pages
        self.check_budget = check_budget
        self.site_timeout = site_timeout
        self.probe_count = probe_count
        self.probe_timeout = probe_timeout
        self.search_query = search_query
        self.keywords = [k for k in (keywords or []) if k]
        self.resume = resume or {}
        self.sites: dict[int, SiteState] = {}
        for site in sites:
            state = SiteState(
                pk=site["pk"],
                site_id=site["site_id"],
                url=site["url"],
                hosts=frozenset(site["hosts"]),
                candidates=home_candidates(site["url"], site.get("aliases", [])),
                extract=ExtractOptions.from_config(site.get("extract")),
            )
            state.render = site.get("render") or "auto"  # settled by from_crawler
            self.sites[state.pk] = state
        self._resolver: Any = None
        self._maxsize = 0  # DOWNLOAD_MAXSIZE, set by from_crawler
        self._extract_pool: ExtractPool | None = None  # set by from_crawler
        self._side_checks = 0  # DNS and TLS checks running in threads (see _on_idle)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._resolver = load_object(crawler.settings.get("EVALCRAWL_RESOLVER"))
        spider._maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        spider._extract_pool = ExtractPool.from_crawler(crawler)
        # In allow-list mode (tests, the demo) DNS is not asked, unless a resolver was injected.
        spider._ask_dns = crawler.settings.getbool("EVALCRAWL_RESOLVER_INJECTED") or not (
            crawler.settings.getlist("EVALCRAWL_ALLOW_NETS")
        )
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        spider._setup_rendering(crawler.settings)
        for state in spider.sites.values():
            js = "js" if state.render == "js" else None
            state.render = spider.site_render_mode({"render": js})
        return spider

    @property
    def limits(self) -> CrawlLimits:
        """The limits the site verdicts name."""
        return CrawlLimits(self.max_pages, self.check_budget, self.site_timeout, self._maxsize)

    # ------------------------------------------------------------------ start

    async def start(self) -> AsyncIterator[Any]:
        for state in self.sites.values():
            stored = self.resume.get(state.pk)
            if stored:
                for item in self._resume_site(state, stored):
                    yield item
            else:
                yield self._home_request(state)
                state.outstanding += 1
            if state.outstanding == 0:
                for req in self._settle(state):
                    yield req

    def _resume_site(self, state: SiteState, stored: dict[str, Any]) -> Iterator[Any]:
        """Rebuild the frontier of a site from what the database holds."""
        # The page budget counts the 2xx HTML pages; the other page requests were broken
        # targets, which count against the check budget (docs/metrics.md).
        state.pages_started = stored.get("pages_ok", 0)
        state.checks_started = len(stored["checks"]) + (
            stored.get("page_responses", 0) - state.pages_started
        )
        state.seen.update(stored["pages"])
        state.seen.update(stored["checks"])
        state.probes_done.update(stored["probes"])
        state.probes_scheduled.update(stored["probes"])
        state.page_responses = stored.get("page_responses", 0)
        state.page_failures = stored.get("page_failures", 0)
        for url, status, error in stored.get("failed", []):
            if (error or "").startswith(SIZE_LIMIT_REASON):
                state.page_failures -= 1  # not a failure of the site: a limit of the crawl
                state.too_big.append(url)
            else:
                state.failure_kinds[failure_kind(status, error)] += 1
        state.extract_cut.extend((url, error) for url, error in stored.get("cut", []))
        home = stored.get("home")
        if home is None:
            # The home page never answered: start the site over.
            state.pages_started = 0
            state.seen.clear()
            yield self._home_request(state)
            state.outstanding += 1
            return
        state.home_url = home["url"]
        state.home_done = True
        state.hosts = state.hosts | {urlsplit(home["url"]).netloc.lower()}
        state.candidate_index = home.get("candidate_index", 0)
        if home.get("form") is not None and ("search", 0) not in state.probes_done:
            state.probes_scheduled.discard(("search", 0))
        for link in stored["frontier"]:
            if not is_internal(link["url"], state.hosts):
                continue  # stored links include external ones: the crawl never follows those
            req = self._link_request(
                state,
                link["url"],
                link["text"],
                link["nav"],
                link["pager"],
                link["depth"],
                link["referer"],
                dated=link.get("dated", False),
            )
            if req is not None:
                yield req
        for req in self._site_probes(state, search_form=home.get("form")):
            yield req

    # ---------------------------------------------------------------- requests

    def _meta(self, state: SiteState, kind: str, **extra: Any) -> dict[str, Any]:
        if state.clock_started is None:
            state.clock_started = time.monotonic()
        meta = {
            "ec_site": state.pk,
            "ec_kind": kind,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "cookiejar": state.pk,  # one capped jar per site: no site fills another's
        }
        meta.update(extra)
        if (
            kind == "page"
            and state.render == "always"
            and self.browser
            and not (meta.get("ec_list_of") or meta.get("ec_render_failed"))
        ):
            meta.update(self.render_meta(state, "every page is rendered (always, or render: js)"))
            meta.pop("ec_counted", None)  # counted when it is downloaded, as any page
        return meta

    def _home_request(self, state: SiteState) -> Request:
        url = state.candidates[state.candidate_index]
        state.seen.add(normalise(url))
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=HOME_PRIORITY,
            dont_filter=True,
            meta=self._meta(state, "page", ec_home=True, ec_depth=0, ec_orig=url),
        )

    def _priority(
        self, text: str, nav: bool, depth: int, dated: bool = False, pager: bool = False
    ) -> int:
        """Sections first: links named by a rubric keyword, then navigation, then the rest;
        the dated items of lists (articles, letters) come after every section."""
        if dated:
            return -100 - depth
        short = len(text) <= SECTION_TEXT_MAX
        hits = sum(1 for k in self.keywords if k in text) if text and short else 0
        score = 200 + 10 * min(hits, 5) if hits else 0
        return score + (50 if nav else 0) + (20 if pager else 0) - 5 * depth

    def _link_request(
        self,
        state: SiteState,
        url: str,
        text: str,
        nav: bool,
        pager: bool,
        depth: int,
        referer: str | None,
        dated: bool = False,
        chain: int = 0,
    ) -> Request | None:
        key = normalise(url)
        if key in state.seen:
            return None
        if len(state.seen) >= self.max_pages + self.check_budget:
            # Every URL held already could use up both budgets: more would only take memory.
            state.links_not_queued += 1
            return None
        state.seen.add(key)
        trap, chain = state.traps.judge(key, referer, chain)
        if trap is not None:
            state.traps.record_cut(trap, key)  # neither fetched nor checked
            return None
        state.outstanding += 1
        if looks_like_page(key):
            return Request(
                key,
                callback=self.parse_page,
                errback=self.on_error,
                priority=self._priority(text, nav, depth, dated, pager),
                dont_filter=True,
                headers={"Referer": referer} if referer else None,
                meta=self._meta(
                    state,
                    "page",
                    ec_depth=depth,
                    ec_via=text,
                    ec_via_nav=nav,
                    ec_orig=key,
                    ec_referer=referer,
                    ec_trap_chain=chain,
                ),
            )
        return self._check_request(state, key, referer)

    # --------------------------------------------------------------- callbacks

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        state = self.sites[response.meta["ec_site"]]
        # The browser follows a rendered page's redirects itself (each hop is guarded).
        nxt = None if response.meta.get("ec_render") else self._redirect(response)
        if nxt is not None:
            yield nxt
            return
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
        }
        list_of = response.meta.get("ec_list_of")  # a list endpoint's answer, for that page
        status, body = response.status, response.body
        if response.meta.get("ec_render"):
            status, body, headers = self.rendered_input(response)
        if list_of:
            facts = read_endpoint(
                response.url, body, headers, status, list_of=list_of, fetched=self.fetched
            )
        else:
            facts = await self._extract(state, response.url, body, headers, status)
        again = self.render_again(state, response, facts)
        if again is not None:
            yield again  # the page is fetched again through the browser: still in flight
            return
        for out in self._record_page(state, response, facts, status):
            yield out
        for out in self._settle(state):
            yield out

    async def _extract(
        self, state: SiteState, url: str, body: bytes, headers: dict[str, str], status: int
    ) -> PageFacts:
        """The page's facts, from the extraction pool (off the reactor thread, time-limited),
        read with the site's corrections (the region file's ``extract:``)."""
        if self._extract_pool is None:  # a spider made without a crawler
            return extract_page(
                url, body, headers, status, fetched=self.fetched, options=state.extract
            )
        return await self._extract_pool.extract(
            url, body, headers, status, self.fetched, state.extract
        )

    def _record_page(
        self, state: SiteState, response: Response, facts: PageFacts, status: int
    ) -> Iterator[Any]:
        meta = response.meta
        is_home = bool(meta.get("ec_home"))
        orig = meta.get("ec_orig", response.url)
        list_of = meta.get("ec_list_of")
        state.outstanding -= 1
        cut = is_cut(facts)  # not read: the extraction's time limit, a dead worker
        if meta.get("ec_render"):
            facts.rendered, facts.scripted = True, None
        elif facts.scripted and not facts.challenge and 200 <= status < 300 and not is_home:
            state.scripted.append(orig)  # "needs rendering" (spiders/state.py)
        if not facts.is_html and 200 <= status < 300 and not (is_home or list_of) and not cut:
            # Not a page after all (a PDF behind an .html-looking URL ...): keep it as a check.
            state.not_a_page(meta)
            yield self._check_item(state, orig, response, "GET")
            yield from self._promote(state)
            return
        facts.url = orig
        facts.final_url = response.url
        facts.elapsed_ms = _latency_ms(meta)
        facts.is_home = is_home
        facts.depth = meta.get("ec_depth", 0)
        facts.referer = meta.get("ec_referer")
        facts.via_text = meta.get("ec_via")
        facts.via_nav = bool(meta.get("ec_via_nav"))
        facts.fetched_at = datetime.now(timezone.utc).replace(tzinfo=None)
        facts.warc_record = meta.get("ec_warc")  # the response record in the evidence archive
        if meta.get("ec_redirect_error"):
            facts.error = meta["ec_redirect_error"]
        ok = 200 <= status < 300 and facts.is_html and not facts.challenge
        if is_home and not state.home_done and ok and facts.scripted and not facts.items:
            ok = False  # a home page that only scripts fill: not measured without a browser
        if not ok and not list_of:
            state.not_a_page(meta)
            yield from self._promote(state)
        if is_home and not state.home_done:
            if not ok:
                state.challenged_home = state.challenged_home or bool(facts.challenge)
                rendering = self._rendering_note(state, facts, meta)
                state.home_errors.append(home_problem(orig, status, facts, rendering))
                yield self._item(state, {"type": "page", "facts": facts})
                yield from self._next_home_candidate(state)
                return
            state.home_done = True
            state.home_url = response.url
            state.hosts = state.hosts | {urlsplit(response.url).netloc.lower()}
        state.page_responses += 1
        if cut:
            state.extract_cut.append((orig, facts.error or ""))
        if facts.challenge:
            state.page_failures += 1
            state.failure_kinds[f"challenge (HTTP {status})"] += 1
        elif status >= 500 or status == 429:
            state.page_failures += 1
            state.failure_kinds[failure_kind(status, None)] += 1
        yield self._item(state, {"type": "page", "facts": facts})
        if not (ok or (list_of and 200 <= status < 300)):
            return
        state.traps.saw_page(orig, meta.get("ec_referer"), facts.text)
        if response.url != orig:
            state.traps.saw_page(response.url, meta.get("ec_referer"), facts.text)
        if is_home:
            form = next((f for f in facts.forms if f.search), None)
            form_dict = None
            if form is not None:
                form_dict = {
                    "action": form.action,
                    "method": form.method,
                    "query_field": form.query_field,
                    "fields": [vars(f) for f in form.fields],
                }
            yield from self._site_probes(state, form_dict)
        else:
            yield from self._spread_home_probes(state)
        depth = facts.depth + 1
        dated = {item.url for item in facts.dated_links if item.url}
        for link in facts.links:
            if is_internal(link.url, state.hosts):
                req = self._link_request(
                    state,
                    link.url,
                    link.text,
                    link.nav,
                    link.pager,
                    depth,
                    response.url,
                    dated=link.url in dated,
                    chain=meta.get("ec_trap_chain", 0),
                )
                if req is not None:
                    yield req
        for endpoint in facts.endpoints:
            req = self._endpoint_request(state, endpoint, orig, response.url, depth)
            if req is not None:
                yield req

    def _next_home_candidate(self, state: SiteState) -> Iterator[Any]:
        state.candidate_index += 1
        if state.candidate_index < len(state.candidates):
            state.outstanding += 1
            yield self._home_request(state)
        else:
            state.home_failed = True

    # ------------------------------------------------------------ completion

    def _on_idle(self) -> None:
        """Scrapy has no request left, but a DNS or TLS check may still run in a thread: the
        crawl stays open until it ends (each is bounded by the probe timeout), so that its
        probe is stored and the site settles, instead of being lost with a closed spider."""
        if self._side_checks > 0:
            raise DontCloseSpider

    def _finish_request(self, state: SiteState) -> None:
        """A request made outside Scrapy (DNS, TLS) finished."""
        state.outstanding -= 1
        for out in self._settle(state):
            if isinstance(out, Request):
                self.crawler.engine.crawl(out)
            else:
                self._send(out)

    def _settle(self, state: SiteState) -> Iterator[Any]:
        """When nothing of a site is left in flight: the remaining probes, or the end."""
        if state.outstanding > 0 or state.finished:
            return
        if state.home_done:
            made = False
            for seq in range(self.probe_count):
                req = self._probe_request(state, "home", seq, state.home_url or state.url)
                if req is not None:
                    made = True
                    yield req
            if made:
                return
        elif not state.home_failed:
            return
        elif self.probe_count and not state.probes_scheduled:
            # Unreachable: the home probes still measure availability.
            for seq in range(self.probe_count):
                req = self._probe_request(state, "home", seq, state.url)
                if req is not None:
                    yield req
            return
        state.finished = True
        if self.browser:  # the site's browser context is closed
            self.crawler.signals.send_catch_log(signal=site_finished, site_pk=state.pk)
        status, reason = verdict(state, self.limits)
        yield self._item(
            state, {"type": "site", "status": status, "reason": reason, "home_url": state.home_url}
        )
        logger.info("site %s done: %s%s", state.site_id, status, f" ({reason})" if reason else "")

    def note_retry_after(
        self, request: Request, status: int, seconds: float, honoured: bool = True
    ) -> None:
        """A Retry-After answer (RetryAfterMiddleware): the host was paused, or, once the
        pauses per host are used up, not: record it."""
        state = self.sites.get(request.meta.get("ec_site", -1))
        if state is None:
            return
        if not honoured:
            state.throttle_ignored += 1
            return
        state.throttled += 1
        state.throttle_wait = max(state.throttle_wait, seconds)

    def out_of_time(self, state: SiteState) -> bool:
        """The site's time budget (``--site-timeout``) is used up: no further page or check."""
        started = state.clock_started
        return started is not None and time.monotonic() - started > self.site_timeout

    @staticmethod
    def _item(state: SiteState, item: dict[str, Any]) -> dict[str, Any]:
        item["site_pk"] = state.pk
        return item

    def _sink(self, state: SiteState, item: dict[str, Any]) -> None:
        """Hand an item to the database pipeline from outside a callback (DNS, TLS threads)."""
        self._send(self._item(state, item))

    def _send(self, item: dict[str, Any]) -> None:
        # Outside a callback Scrapy takes no items: the pipeline listens to this signal.
        self.crawler.signals.send_catch_log(signal=item_found, item=item)


def _latency_ms(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    return round(latency * 1000, 1) if latency is not None else None
