"""The site spider: one spider crawls every site of a run.

For each site it fetches the home page (trying the registered URL, its other scheme and the
aliases in turn), follows internal links in priority order (rubric keywords in the anchor
text first, then shallow pages), checks the internal link targets it does not crawl as pages,
and makes the site probes (home page probes, HTTPS, redirect, robots.txt, sitemap.xml, a
soft-404 path, a site search, DNS). Everything it learns is yielded as items that the
database pipeline streams to the database; nothing waits in memory for the end of the crawl.

Redirects are followed here rather than by Scrapy's RedirectMiddleware, so that a chain can
be recorded, a loop detected, an off-site hop stopped and every hop pass the address guard.

A crawl can resume: the spider is given what the database already holds for the run (pages,
their links, checks, probes) and rebuilds its frontier from it.

Hostile servers cannot stall or trap it: timeouts, the download size limit and the redirect
limit bound every request, the trap guard (:mod:`evalcrawler.spiders.traps`) cuts endless
link structures, and :meth:`SiteSpider._verdict` turns what could not be fetched into the
site's status and reason (docs/metrics.md, "Site status").
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object
from twisted.internet import threads
from twisted.python.failure import Failure

from evalcrawler.facts import LinkCheck, PageFacts, Probe
from evalcrawler.spiders.extract import extract_page
from evalcrawler.spiders.extractpool import ExtractPool, is_cut
from evalcrawler.spiders.traps import TrapGuard
from evalcrawler.urls import is_internal, looks_like_page, normalise

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 10
HOME_PRIORITY = 10_000
PROBE_PRIORITY = 5_000
CHECK_PRIORITY = -10_000
SEARCH_PROBE_LINKS = 200  # result links kept as evidence of a search probe
SECTION_TEXT_MAX = 16  # section names are short; longer anchor texts are titles of articles
PARTIAL_FAILURE_SHARE = 0.2  # share of failed page requests that makes a site "partial"


@dataclass
class SiteState:
    """What the spider tracks for one site during the crawl."""

    pk: int
    site_id: str
    url: str
    hosts: frozenset[str]
    candidates: list[str]
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
    traps: TrapGuard = field(default_factory=TrapGuard)
    cut_short: list[str] = field(default_factory=list)
    finished: bool = False


def home_candidates(url: str, aliases: Iterable[str]) -> list[str]:
    """The registered URL, the same host under the other scheme, then each alias."""
    out = [url]
    parts = urlsplit(url)
    other = "http" if parts.scheme == "https" else "https"
    out.append(urlunsplit((other, parts.netloc, parts.path or "/", parts.query, "")))
    out.extend(a for a in aliases if a not in out)
    return out


SIZE_LIMIT_REASON = "too large"  # how the error of a download cut at the size limit starts


def describe_failure(failure: Failure, maxsize: int = 0) -> str:
    """A short, readable reason for a failed download (``maxsize``: the download size limit,
    in bytes, named in the reason when a download was cut for its size)."""
    exc = failure.value
    name = type(exc).__name__
    text = str(exc).strip()
    limit = f"the {maxsize / 2**20:g} MB download limit" if maxsize else "the download size limit"
    if isinstance(exc, IgnoreRequest):
        if "exceeded DOWNLOAD_MAXSIZE" in text:  # HttpCompressionMiddleware: a gzip bomb
            return f"{SIZE_LIMIT_REASON}: more than {limit} once decompressed"
        return text or "ignored"
    if name == "DownloadCancelledError":
        # Scrapy cancels a download whose announced or received size passes DOWNLOAD_MAXSIZE.
        announced = re.match(r"Expected to receive (\d+) bytes", text)
        if announced:
            size = int(announced.group(1)) / 2**20
            return f"{SIZE_LIMIT_REASON}: {size:.0f} MB announced, more than {limit}"
        return f"{SIZE_LIMIT_REASON}: more than {limit} received"
    if "DNSLookupError" in name or "Resolve" in name:
        return "DNS lookup failed (no such host, or no network)"
    if "TimeoutError" in name or "TCPTimedOut" in name:
        return "timeout"
    if "ConnectionRefused" in name:
        return "connection refused"
    if name == "ResponseDataLossError":
        return "truncated response (the connection closed before the whole body arrived)"
    if "SSL.Error" in text or "SSL" in name:
        return "TLS handshake failed"
    if "non-clean" in text or "ConnectionLost" in name or "Connection reset" in text:
        return "connection reset"
    if "ConnectionDone" in text or "ConnectionDone" in name or "cleanly" in text:
        return "connection closed without a response"
    if "ResponseFailed" in name or "ResponseNeverReceived" in name or "DownloadFailed" in name:
        return "no response (connection closed or reset)"
    if text and len(text) < 200:
        return f"{name}: {text}"
    return name


def failure_kind(status: int, error: str | None) -> str:
    """The kind of a failed page request, as the site's reason counts them."""
    if status:
        return f"HTTP {status}"
    error = error or "no response"
    if error.startswith("truncated"):
        return "truncated"
    return error.split(" (", 1)[0].split(":", 1)[0]


def verify_tls(host: str, port: int, timeout: float) -> tuple[bool, str | None]:
    """Handshake with ``host:port`` verifying the certificate against the system trust store."""
    context = ssl.create_default_context()
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, f"certificate not valid: {exc.verify_message or exc.reason}"
    except (ssl.SSLError, OSError) as exc:
        return False, f"TLS failed: {exc}"


class SiteSpider(scrapy.Spider):
    """Crawl all sites of one run (see the module docstring)."""

    name = "evalcrawl"

    def __init__(
        self,
        *,
        sites: list[dict[str, Any]],
        fetched: date,
        max_pages: int = 500,
        check_budget: int = 2000,
        probe_count: int = 5,
        probe_timeout: float = 15.0,
        search_query: str = "政府",
        keywords: list[str] | None = None,
        resume: dict[int, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fetched = fetched
        self.max_pages = max_pages
        self.check_budget = check_budget
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
            )
            self.sites[state.pk] = state
        self._resolver: Any = None
        self._maxsize = 0  # DOWNLOAD_MAXSIZE, set by from_crawler
        self._extract_pool: ExtractPool | None = None  # set by from_crawler

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
        return spider

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
        # Every stored page was a page request counted against the budget ("pages" lists the
        # URLs and final URLs of the pages, which is more).
        state.pages_started = stored.get("page_responses", len(stored["pages"]))
        state.checks_started = len(stored["checks"])
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
        meta = {
            "ec_site": state.pk,
            "ec_kind": kind,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
        }
        meta.update(extra)
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

    def _check_request(
        self, state: SiteState, url: str, referer: str | None, method: str = "HEAD"
    ) -> Request:
        return Request(
            url,
            method=method,
            callback=self.parse_check,
            errback=self.on_error,
            priority=CHECK_PRIORITY,
            dont_filter=True,
            headers={"Referer": referer} if referer else None,
            meta=self._meta(state, "check", ec_orig=url, ec_method=method),
        )

    def as_check(self, request: Request) -> Request:
        """A page request over the page budget becomes a check of the same URL."""
        state = self.sites[request.meta["ec_site"]]
        return self._check_request(
            state, request.meta.get("ec_orig", request.url), request.meta.get("ec_referer")
        )

    def _probe_request(
        self, state: SiteState, kind: str, seq: int, url: str, **kwargs: Any
    ) -> Request | None:
        if (kind, seq) in state.probes_scheduled:
            return None
        state.probes_scheduled.add((kind, seq))
        state.outstanding += 1
        meta = self._meta(
            state,
            "probe",
            dont_retry=True,  # a probe measures one attempt; retries would hide failures
            ec_probe=(kind, seq),
            ec_orig=url,
            download_timeout=self.probe_timeout,
            ec_started=time.monotonic(),
        )
        if kind == "robots":
            meta["dont_obey_robotstxt"] = True
        meta.update(kwargs.pop("meta", {}))
        cls = kwargs.pop("cls", Request)
        return cls(
            url,
            callback=self.parse_probe,
            errback=self.on_error,
            priority=PROBE_PRIORITY,
            dont_filter=True,
            meta=meta,
            **kwargs,
        )

    def _site_probes(self, state: SiteState, search_form: dict[str, Any] | None) -> Iterator[Any]:
        """All probes of a site except the later home probes (spread over the crawl)."""
        home = state.home_url or state.url
        parts = urlsplit(home)
        root = f"{parts.scheme}://{parts.netloc}"
        host = parts.hostname or ""
        probes: list[Request | None] = [
            self._probe_request(state, "home", 0, home),
            self._probe_request(state, "https", 0, f"https://{parts.netloc}/"),
            self._probe_request(state, "http_redirect", 0, f"http://{parts.netloc}/"),
            self._probe_request(state, "robots", 0, f"{root}/robots.txt"),
            self._probe_request(state, "sitemap", 0, f"{root}/sitemap.xml"),
            self._probe_request(
                state,
                "soft404",
                0,
                f"{root}/evalcrawl-check-{zlib.crc32(state.site_id.encode()) % 10**8}"
                "-no-such-page.html",
            ),
        ]
        if search_form is not None:
            probes.append(self._search_request(state, search_form))
        for req in probes:
            if req is not None:
                yield req
        if ("dns", 0) not in state.probes_scheduled:
            state.probes_scheduled.add(("dns", 0))
            state.outstanding += 1
            self._dns_probe(state, host, home)

    def _search_request(self, state: SiteState, form: dict[str, Any]) -> Request | None:
        fields = {
            f["name"]: f.get("value", "")
            for f in form.get("fields", [])
            if f.get("name")
            and f.get("type", "text") not in ("submit", "button", "image", "reset", "file")
        }
        query_field = form.get("query_field")
        if not query_field:
            return None
        fields[query_field] = self.search_query
        method = (form.get("method") or "get").upper()
        return self._probe_request(
            state,
            "search",
            0,
            form["action"],
            cls=scrapy.FormRequest,
            formdata=fields,
            method=method,
            meta={"ec_query": self.search_query},
        )

    def _dns_probe(self, state: SiteState, host: str, url: str) -> None:
        def done(result: bool | None) -> None:
            detail: dict[str, Any] = {}
            if result is None:
                detail["reason"] = "DNS cannot be asked about this host"
            self._sink(
                state,
                {"type": "probe", "probe": Probe(kind="dns", url=url, ok=result, detail=detail)},
            )
            state.probes_done.add(("dns", 0))
            self._finish_request(state)

        def failed(failure: Failure) -> None:
            done(None)

        if not self._ask_dns:
            # Allow-list mode (tests, the demo): DNS is never asked.
            d = threads.deferToThread(lambda: None)
        else:
            d = threads.deferToThread(self._resolver, host)
        d.addCallbacks(done, failed)

    # --------------------------------------------------------------- callbacks

    def _on_headers(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        # A GET that only checks a link does not need the body.
        if request.meta.get("ec_kind") == "check" and request.method == "GET":
            raise scrapy.exceptions.StopDownload(fail=False)

    def _redirect(self, response: Response) -> Request | None:
        """The next hop of a redirect, or None (the response is final)."""
        if not (300 <= response.status < 400) or b"Location" not in response.headers:
            return None
        location = response.headers.get(b"Location", b"").decode("latin-1")
        target = normalise(urljoin(response.url, location.strip()))
        meta = dict(response.meta)
        chain = [*meta.get("ec_chain", []), response.url]
        if len(chain) > MAX_REDIRECTS:
            response.meta["ec_redirect_error"] = f"more than {MAX_REDIRECTS} redirects"
            return None
        if target in chain or target == normalise(response.url):
            response.meta["ec_redirect_error"] = "redirect loop"
            return None
        state = self.sites[meta["ec_site"]]
        kind = meta["ec_kind"]
        if kind == "page" and not meta.get("ec_home"):
            if not is_internal(target, state.hosts):
                return None  # an off-site hop ends the page; the link itself is not broken
            if target in state.seen:
                return None  # the target is (or will be) fetched on its own
            state.seen.add(target)
        if kind == "page" and meta.get("ec_home"):
            # Home redirects may move to an alias or another scheme: the site's hosts grow.
            state.hosts = state.hosts | {urlsplit(target).netloc.lower()}
        for key in ("download_slot", "download_latency", "depth", "ec_counted_dummy"):
            meta.pop(key, None)
        meta["ec_chain"] = chain
        method = (
            response.request.method
            if response.status in (307, 308)
            else ("HEAD" if response.request.method == "HEAD" else "GET")
        )
        body = response.request.body if response.status in (307, 308) else None
        return Request(
            target,
            method=method,
            body=body,
            callback=response.request.callback,
            errback=response.request.errback,
            priority=response.request.priority,
            dont_filter=True,
            meta=meta,
        )

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        state = self.sites[response.meta["ec_site"]]
        nxt = self._redirect(response)
        if nxt is not None:
            yield nxt
            return
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
        }
        facts = await self._extract(response, headers)
        for out in self._record_page(state, response, facts):
            yield out
        for out in self._settle(state):
            yield out

    async def _extract(self, response: Response, headers: dict[str, str]) -> PageFacts:
        """The page's facts, from the extraction pool (off the reactor thread, time-limited)."""
        if self._extract_pool is None:  # a spider made without a crawler
            return extract_page(
                response.url, response.body, headers, response.status, fetched=self.fetched
            )
        return await self._extract_pool.extract(
            response.url, response.body, headers, response.status, self.fetched
        )

    def _record_page(self, state: SiteState, response: Response, facts: PageFacts) -> Iterator[Any]:
        meta = response.meta
        is_home = bool(meta.get("ec_home"))
        orig = meta.get("ec_orig", response.url)
        state.outstanding -= 1
        cut = is_cut(facts)  # not read: the extraction's time limit, a dead worker
        if not facts.is_html and 200 <= response.status < 300 and not is_home and not cut:
            # Not a page after all (a PDF behind an .html-looking URL ...): keep it as a check.
            yield self._check_item(state, orig, response, "GET")
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
        ok = 200 <= response.status < 300 and facts.is_html
        if is_home and not state.home_done:
            if not ok:
                state.home_errors.append(_home_problem(orig, response.status, facts))
                yield self._item(state, {"type": "page", "facts": facts})
                yield from self._next_home_candidate(state)
                return
            state.home_done = True
            state.home_url = response.url
            state.hosts = state.hosts | {urlsplit(response.url).netloc.lower()}
        state.page_responses += 1
        if cut:
            state.extract_cut.append((orig, facts.error or ""))
        if response.status >= 500 or response.status == 429:
            state.page_failures += 1
            state.failure_kinds[failure_kind(response.status, None)] += 1
        yield self._item(state, {"type": "page", "facts": facts})
        if not ok:
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

    def _spread_home_probes(self, state: SiteState) -> Iterator[Any]:
        """Home probes are spread over the crawl of the site: one every N pages."""
        step = max(1, self.max_pages // max(1, self.probe_count))
        seq = len([k for k in state.probes_scheduled if k[0] == "home"])
        if seq < self.probe_count and state.page_responses >= seq * step:
            req = self._probe_request(state, "home", seq, state.home_url or state.url)
            if req is not None:
                yield req

    def _next_home_candidate(self, state: SiteState) -> Iterator[Any]:
        state.candidate_index += 1
        if state.candidate_index < len(state.candidates):
            state.outstanding += 1
            yield self._home_request(state)
        else:
            state.home_failed = True

    def parse_check(self, response: Response) -> Iterator[Any]:
        state = self.sites[response.meta["ec_site"]]
        nxt = self._redirect(response)
        if nxt is not None:
            yield nxt
            return
        method = response.meta.get("ec_method", "HEAD")
        if method == "HEAD" and response.status >= 400:
            # Some servers refuse HEAD (405, 501, even 404): ask again with GET.
            orig = response.meta.get("ec_orig", response.url)
            req = self._check_request(state, orig, None, method="GET")
            req.meta["ec_counted"] = True
            yield req
            return
        state.outstanding -= 1
        yield self._check_item(state, response.meta.get("ec_orig", response.url), response, method)
        yield from self._settle(state)

    def _check_item(
        self, state: SiteState, url: str, response: Response, method: str
    ) -> dict[str, Any]:
        check = LinkCheck(
            url=url,
            status=response.status,
            final_url=response.url,
            method=method,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1")[:200],
            error=response.meta.get("ec_redirect_error"),
        )
        return self._item(state, {"type": "check", "check": check})

    async def parse_probe(self, response: Response) -> AsyncIterator[Any]:
        state = self.sites[response.meta["ec_site"]]
        kind, seq = response.meta["ec_probe"]
        follow = kind in ("http_redirect", "search", "robots", "sitemap", "soft404")
        if follow:
            nxt = self._redirect(response)
            if nxt is not None:
                yield nxt
                return
        facts = None
        if kind == "search":  # read before the probe stops counting as outstanding
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            facts = await self._extract(response, {"content-type": content_type})
        state.outstanding -= 1
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
            if k.lower()
            in (
                b"strict-transport-security",
                b"location",
                b"content-type",
                b"server",
                b"retry-after",
            )
        }
        probe = Probe(
            kind=kind,
            url=response.meta.get("ec_orig", response.url),
            status=response.status,
            elapsed_ms=_probe_ms(response.meta),
            final_url=response.url,
            headers=headers,
            seq=seq,
        )
        if response.meta.get("ec_redirect_error"):
            probe.error = response.meta["ec_redirect_error"]
        if facts is not None:
            if is_cut(facts):
                probe.error = facts.error  # the result page was not read: no links to judge
            probe.detail = {
                "query": response.meta.get("ec_query", self.search_query),
                "method": response.request.method,
                "links": [
                    {"url": link.url, "text": link.text}
                    for link in facts.links[:SEARCH_PROBE_LINKS]
                ],
            }
        state.probes_done.add((kind, seq))
        yield self._item(state, {"type": "probe", "probe": probe})
        if kind == "https" and response.status:
            parts = urlsplit(response.url)
            state.outstanding += 1
            self._tls_probe(state, parts.hostname or "", parts.port or 443, response.url)
        elif kind == "https":
            yield self._item(
                state,
                {
                    "type": "probe",
                    "probe": Probe(kind="tls", url=probe.url, ok=False, error="no HTTPS response"),
                },
            )
        for out in self._settle(state):
            yield out

    def _tls_probe(self, state: SiteState, host: str, port: int, url: str) -> None:
        def done(result: tuple[bool, str | None]) -> None:
            ok, error = result
            self._sink(
                state, {"type": "probe", "probe": Probe(kind="tls", url=url, ok=ok, error=error)}
            )
            self._finish_request(state)

        d = threads.deferToThread(verify_tls, host, port, self.probe_timeout)
        d.addCallbacks(done, lambda f: done((False, describe_failure(f))))

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        state = self.sites.get(meta.get("ec_site"))
        if state is None:
            return
        state.outstanding -= 1
        reason = describe_failure(failure, self._maxsize)
        kind = meta.get("ec_kind")
        orig = meta.get("ec_orig", request.url)
        robots = "robots.txt" in reason
        if kind == "page":
            if meta.get("ec_home") and not state.home_done:
                if robots:
                    problem = f"robots.txt disallows {orig}"
                elif meta.get("ec_chain"):  # a hop of the home page's redirects failed
                    problem = f"{orig} redirected to {request.url}: {reason}"
                elif reason.startswith(SIZE_LIMIT_REASON):
                    problem = f"{orig} {reason}"
                else:
                    problem = f"no response from {orig}: {reason}"
                state.home_errors.append(problem)
                if not robots:
                    yield self._item(
                        state,
                        {
                            "type": "page",
                            "facts": PageFacts(
                                url=orig,
                                final_url=request.url,
                                error=reason,
                                is_home=True,
                                fetched_at=datetime.now(timezone.utc).replace(tzinfo=None),
                            ),
                        },
                    )
                yield from self._next_home_candidate(state)
                yield from self._settle(state)
                return
            if robots:
                state.cut_short.append("robots.txt disallows some pages") if (
                    "robots.txt disallows some pages" not in state.cut_short
                ) else None
            elif "budget" not in reason:
                state.page_responses += 1
                if reason.startswith(SIZE_LIMIT_REASON):
                    state.too_big.append(orig)
                else:
                    state.page_failures += 1
                    state.failure_kinds[failure_kind(0, reason)] += 1
                yield self._item(
                    state,
                    {
                        "type": "page",
                        "facts": PageFacts(
                            url=orig,
                            final_url=request.url,
                            error=reason,
                            depth=meta.get("ec_depth", 0),
                            referer=meta.get("ec_referer"),
                            via_text=meta.get("ec_via"),
                            via_nav=bool(meta.get("ec_via_nav")),
                            fetched_at=datetime.now(timezone.utc).replace(tzinfo=None),
                        ),
                    },
                )
        elif kind == "check":
            if not robots and "budget" not in reason:
                yield self._item(
                    state,
                    {
                        "type": "check",
                        "check": LinkCheck(
                            url=orig,
                            status=0,
                            error=reason,
                            final_url=request.url,
                            method=meta.get("ec_method", "HEAD"),
                        ),
                    },
                )
        elif kind == "probe":
            pkind, seq = meta["ec_probe"]
            state.probes_done.add((pkind, seq))
            yield self._item(
                state,
                {
                    "type": "probe",
                    "probe": Probe(
                        kind=pkind,
                        url=orig,
                        status=0,
                        error="robots" if robots else reason,
                        elapsed_ms=_probe_ms(meta) if "timeout" in reason else None,
                        seq=seq,
                    ),
                },
            )
            if pkind == "https":
                yield self._item(
                    state,
                    {
                        "type": "probe",
                        "probe": Probe(
                            kind="tls", url=orig, ok=False, error=f"no HTTPS response: {reason}"
                        ),
                    },
                )
        yield from self._settle(state)

    # ------------------------------------------------------------ completion

    def _finish_request(self, state: SiteState) -> None:
        """A request made outside Scrapy (DNS, TLS) finished."""
        state.outstanding -= 1
        for out in self._settle(state):
            if isinstance(out, Request):
                self.crawler.engine.crawl(out)
            else:
                self.item_sink.add(out)

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
        status, reason = self._verdict(state)
        yield self._item(
            state, {"type": "site", "status": status, "reason": reason, "home_url": state.home_url}
        )
        logger.info("site %s done: %s%s", state.site_id, status, f" ({reason})" if reason else "")

    def _verdict(self, state: SiteState) -> tuple[str, str | None]:
        """The site's status and reason: the rules of docs/metrics.md, "Site status"."""
        if not state.home_done:
            first = state.home_errors[0] if state.home_errors else "the home page did not answer"
            others = len(state.home_errors) - 1
            more = (
                f" (and {others} other address{'es' if others > 1 else ''} tried)" if others else ""
            )
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
            limit = f"{self._maxsize / 2**20:g} MB " if self._maxsize else ""
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
        notes = list(state.cut_short)  # robots.txt: the site's own choice, not a failure
        if state.throttled:
            times = "once" if state.throttled == 1 else f"{state.throttled} times"
            notes.append(
                f"the server asked to slow down {times} (429 or 503 with Retry-After); "
                f"requests to it were paused for up to {state.throttle_wait:g} s"
            )
        if partial:
            return "partial", "; ".join(partial + notes)
        return "measured", "; ".join(notes) or None

    def note_retry_after(self, request: Request, status: int, seconds: float) -> None:
        """The downloader paused a host for a Retry-After (RetryAfterMiddleware): record it."""
        state = self.sites.get(request.meta.get("ec_site", -1))
        if state is not None:
            state.throttled += 1
            state.throttle_wait = max(state.throttle_wait, seconds)

    @staticmethod
    def _item(state: SiteState, item: dict[str, Any]) -> dict[str, Any]:
        item["site_pk"] = state.pk
        return item

    def _sink(self, state: SiteState, item: dict[str, Any]) -> None:
        """Hand an item to the database pipeline from outside a callback (DNS, TLS threads)."""
        self.item_sink.add(self._item(state, item))


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """(url, why) pairs as why → urls, in the order the whys came."""
    out: dict[str, list[str]] = {}
    for url, why in pairs:
        out.setdefault(why, []).append(url)
    return out


def _home_problem(url: str, status: int, facts: PageFacts) -> str:
    """Why a home page that answered is not a usable home page."""
    if facts.error:  # a redirect that was not followed: a loop, too many hops
        return f"{url}: {facts.error}"
    if 200 <= status < 300:
        served = facts.content_type or "no content type"
        what = f"binary data served as {served}" if "html" in served else served
        return f"{url} is not an HTML page ({what})"
    return f"{url} answered {status}"


def _latency_ms(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    return round(latency * 1000, 1) if latency is not None else None


def _probe_ms(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    if latency is not None:
        return round(latency * 1000, 1)
    started = meta.get("ec_started")
    return round((time.monotonic() - started) * 1000, 1) if started else None
