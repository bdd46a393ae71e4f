"""Downloader middlewares: the per-site budgets, robots.txt per origin and Retry-After.

(The address guard, which decides which schemes and addresses may be fetched at all, is in
:mod:`evalcrawler.spiders.guard`.)

``BudgetMiddleware`` applies the page budget (``--max-pages``) and the link-check budget
(``--check-budget``) when a request is about to be downloaded, not when it is discovered: the
scheduler hands out requests by priority, so the budget goes to the links that matter to the
rubric rather than to whichever links happened to be found first.

``OriginRobotsTxtMiddleware`` is Scrapy's robots.txt middleware with one fix: robots.txt
applies to one scheme, host and port (RFC 9309, 2.3), but Scrapy keeps one parser per host,
so when the first request to a host went over HTTPS and that robots.txt failed (a site without
HTTPS: the HTTPS probe, or a resumed crawl that starts with it), robots.txt was then ignored
for the site's HTTP pages too.

``RetryAfterMiddleware`` honours ``Retry-After`` on 429 and 503 answers, which Scrapy's retry
middleware does not: every further request to that host waits that long (capped at
:data:`MAX_RETRY_AFTER`), the retry of the refused request included.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import ipaddress
import logging
import socket
from collections import Counter, defaultdict
from datetime import datetime, timezone
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.cookies import CookieJar
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class BudgetMiddleware:
    """Apply the per-site page and link-check budgets at download time (see module docstring).

    The spider owns the counters (``spider.sites[pk]``); a page request over the page budget is
    turned into a link check of the same URL, and a check over the check budget is dropped.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        mw = cls()
        mw.crawler = crawler
        return mw

    crawler: Crawler

    def process_request(self, request: Request) -> Request | None:
        spider: Any = self.crawler.spider
        state = spider.sites.get(request.meta.get("ec_site"))
        if state is None:
            return None
        kind = request.meta.get("ec_kind")
        fresh = kind in ("page", "check") and not request.meta.get("ec_counted")
        if fresh and not request.meta.get("ec_home") and spider.out_of_time(state):
            state.cut_by_time[kind] += 1
            raise IgnoreRequest("the site's time budget is used up")
        if kind == "page" and not request.meta.get("ec_counted"):
            if state.pages_started < spider.max_pages:
                state.pages_started += 1
                request.meta["ec_counted"] = True
                return None
            if request.meta.get("ec_promoted"):
                raise IgnoreRequest("page budget exhausted")  # checked already, as it waited
            return spider.as_check(request)
        if kind == "check" and not request.meta.get("ec_counted"):
            if state.checks_started < spider.check_budget:
                state.checks_started += 1
                request.meta["ec_counted"] = True
                return None
            raise IgnoreRequest("check budget exhausted")
        return None


class OriginRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with one robots.txt per origin (see module docstring).

    ``robot_parser`` is Scrapy's (2.19), keyed by ``scheme://host:port`` instead of
    ``host:port``; the parsing, the error handling and the checks are Scrapy's own.
    """

    @property
    def _timeout(self) -> float:
        page = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", ROBOTS_TIMEOUT)
        return min(page, ROBOTS_TIMEOUT)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        origin = f"{url.scheme}://{url.netloc}"
        if origin not in self._parsers:
            self._parsers[origin] = Deferred()
            robotsreq = Request(
                f"{origin}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                # Asked once, with a short timeout: a silent server must not cost three full
                # page timeouts before each home page candidate.
                meta={
                    "dont_obey_robotstxt": True,
                    "dont_retry": True,
                    "download_timeout": self._timeout,
                },
                callback=NO_CALLBACK,
            )
            try:
                assert self.crawler.engine is not None
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, origin, request)
            except Exception as e:
                if not isinstance(e, IgnoreRequest):
                    logger.error(
                        "Error downloading %(request)s: %(f_exception)s",
                        {"request": robotsreq, "f_exception": e},
                        extra={"spider": self.crawler.spider},
                    )
                self._robots_error(e, origin)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[origin]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser


MAX_RETRY_AFTER = 300.0  # seconds; a longer Retry-After is capped: an annual job must finish
MAX_RETRY_AFTER_PAUSES = 3  # Retry-After pauses honoured per host; later ones are not
ROBOTS_TIMEOUT = 10.0  # seconds for robots.txt (asked once per origin, never retried)


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delay-seconds or an HTTP date); ``None``
    when the value is neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    """Pause a host for the ``Retry-After`` of its 429 and 503 answers (see module docstring).

    The pause holds the host's downloader slot: ``Slot.latercall`` blocks the slot's queue
    until it fires (Scrapy's own mechanism for ``DOWNLOAD_DELAY``), and ``Slot.lastseen`` is
    moved to the end of the pause so that the delay counts from there and the idle slot is not
    garbage-collected meanwhile. Placed above RetryMiddleware (550), it sees the answer before
    that turns it into a retry. The spider is told (``note_retry_after``) so that the site's
    reason records it.
    """

    def __init__(self, crawler: Crawler, cap: float, max_pauses: int) -> None:
        self.crawler = crawler
        self.cap = cap
        self.max_pauses = max_pauses
        self._until: dict[str, float] = {}  # slot key → monotonic end of its pause
        self._pauses: Counter[str] = Counter()  # slot key → pauses honoured

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        cap = crawler.settings.getfloat("EVALCRAWL_MAX_RETRY_AFTER", MAX_RETRY_AFTER)
        pauses = crawler.settings.getint("EVALCRAWL_MAX_RETRY_AFTER_PAUSES", MAX_RETRY_AFTER_PAUSES)
        return cls(crawler, cap, pauses)

    def process_response(self, request: Request, response: Response) -> Response:
        value = response.headers.get(b"Retry-After")
        if response.status not in (429, 503) or value is None:
            return response
        seconds = parse_retry_after(value.decode("latin-1"))
        if not seconds:
            return response
        seconds = min(seconds, self.cap)
        key = self._slot_key(request)
        if self._pauses[key] >= self.max_pauses:
            # Honoured enough: a server that always says "later" must not hold a site for hours.
            note = getattr(self.crawler.spider, "note_retry_after", None)
            if note is not None:
                note(request, response.status, seconds, honoured=False)
            return response
        if self._pause(request, seconds):
            self._pauses[key] += 1
            logger.info(
                "%s answered %d with Retry-After: pausing requests to its host for %g s",
                request.url,
                response.status,
                seconds,
            )
            note = getattr(self.crawler.spider, "note_retry_after", None)
            if note is not None:
                note(request, response.status, seconds)
        return response

    def _slot_key(self, request: Request) -> str:
        assert self.crawler.engine is not None
        downloader: Any = self.crawler.engine.downloader
        return str(request.meta.get("download_slot") or downloader.get_slot_key(request))

    def _pause(self, request: Request, seconds: float) -> bool:
        assert self.crawler.engine is not None
        downloader: Any = self.crawler.engine.downloader
        key = self._slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return False
        until = monotonic() + seconds
        if until <= self._until.get(key, 0.0):
            return False  # already paused at least that long
        self._until[key] = until
        slot.lastseen = max(slot.lastseen, until - slot.delay)
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        return True


class DelayAfterResponse:
    """Count ``--delay`` from the answer to a host's previous request, not from its dequeuing.

    Scrapy stamps a host's downloader slot (``Slot.lastseen``) when it takes a request off the
    slot's queue. When the event loop is busy (a large region on a saturated core), that request
    may reach the wire late while the next one leaves on time, so the server sees two requests
    closer than the delay: captured on the wire, 0.70 s apart with a 1 s delay at 200 sites.
    This extension moves the stamp to the arrival of the response, which Scrapy signals
    (``response_downloaded``) before it looks at the slot's queue again; the next request then
    leaves at least the delay after the previous one was answered, hence after it was sent,
    whatever the loop did meanwhile. Heritrix, too, counts its politeness delay from the end of
    the previous fetch. A request that fails without a response (a refused TLS handshake, a
    reset) is stamped when it leaves the downloader (``request_left_downloader``), which comes
    just after Scrapy looked at the queue: that still holds back the next request, unless the
    failure came a whole delay after the request was dequeued. Like RetryAfterMiddleware, it
    uses Scrapy's ``Slot`` attributes.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(self.stamp, signal=signals.request_left_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DelayAfterResponse:
        return cls(crawler)

    def response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        self.stamp(request)

    def stamp(self, request: Request, spider: Any = None) -> None:
        assert self.crawler.engine is not None
        downloader: Any = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay:
            # max: a Retry-After pause may already have moved the stamp into the future.
            slot.lastseen = max(slot.lastseen, monotonic())


def resolve_aaaa(host: str, timeout: float = 5.0) -> bool | None:
    """Does ``host`` have an AAAA record? ``None`` when DNS cannot be asked.

    The default resolver for the ``ipv6`` metric; tests inject their own through the
    ``EVALCRAWL_RESOLVER`` setting. An IP address has no DNS record to ask about.
    """
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        import dns.exception
        import dns.resolver
    except ImportError:  # pragma: no cover - dnspython is a dependency
        return _aaaa_socket(host)
    try:
        resolver = dns.resolver.Resolver()
        resolver.lifetime = timeout
        resolver.resolve(host, "AAAA")
        return True
    except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
        return False
    except (dns.exception.DNSException, OSError):
        return None


def _aaaa_socket(host: str) -> bool | None:  # pragma: no cover - fallback only
    try:
        return bool(socket.getaddrinfo(host, None, socket.AF_INET6))
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_NONAME:
            return False
        return None


MAX_COOKIES_PER_DOMAIN = 50  # RFC 6265, 6.1: what a user agent should hold at least …
MAX_COOKIES = 3000  # … and in all; a site gets no more than that
MAX_COOKIE_BYTES = 4096  # name, value and attributes of one cookie


class _CappedPolicy(http.cookiejar.DefaultCookiePolicy):
    """Refuse new cookies beyond RFC 6265's limits (replacing a held cookie is always fine)."""

    jar: http.cookiejar.CookieJar

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        if not super().set_ok(cookie, request):
            return False
        if len(cookie.name) + len(cookie.value or "") > MAX_COOKIE_BYTES:
            return False
        # domain → path → name → cookie, read under the jar's lock (extract_cookies holds it);
        # http.cookiejar has no public way to count a domain's cookies.
        held: dict[str, dict[str, dict[str, Any]]] = self.jar._cookies  # type: ignore[attr-defined]
        if cookie.name in held.get(cookie.domain, {}).get(cookie.path, {}):
            return True
        in_domain = sum(len(names) for names in held.get(cookie.domain, {}).values())
        if in_domain >= MAX_COOKIES_PER_DOMAIN:
            return False
        total = sum(len(n) for paths in held.values() for n in paths.values())
        return total < MAX_COOKIES


def capped_jar() -> CookieJar:
    policy = _CappedPolicy()
    jar = CookieJar(policy=policy)
    policy.jar = jar.jar
    return jar


class CappedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie middleware with jars capped as RFC 6265 says (50 cookies per domain,
    3,000 in all, 4 KB each). A site that sets 50 new cookies on every page otherwise makes
    every request carry all of them: a Cookie header of megabytes, and memory that grows with
    the square of the pages. The spider gives each site its own jar (``cookiejar`` meta)."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self.jars = defaultdict(capped_jar)
