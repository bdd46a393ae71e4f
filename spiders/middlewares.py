"""Downloader middlewares: the address guard, the per-site budgets and Retry-After.

``AddressGuardMiddleware`` keeps the crawler off addresses it must not touch. By default it
refuses loopback, private, link-local, reserved, multicast and unspecified addresses, so a
public site that redirects to ``127.0.0.1`` or ``169.254.169.254`` (cloud metadata) is refused
and the refusal is recorded. ``--allow-private`` lifts that; an explicit allow-list of networks
(``EVALCRAWL_ALLOW_NETS``, used by the tests and the demo) allows only those networks and
refuses every host name without even asking DNS, which keeps test crawls off the network.

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

import asyncio
import email.utils
import ipaddress
import logging
import socket
from datetime import datetime, timezone
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(IgnoreRequest):
    """The address guard refused a request; the message says why and how to allow it."""


def address_problem(addr: Address) -> str | None:
    """Why an address is not public (``None`` when it is)."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_private:
        return "private"
    if addr.is_multicast:
        return "multicast"
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_reserved:
        return "reserved"
    return None


def parse_networks(specs: list[str]) -> list[Network]:
    nets: list[Network] = []
    for spec in specs:
        try:
            nets.append(ipaddress.ip_network(spec, strict=False))
        except ValueError:
            raise ValueError(f"{spec!r} is not a network; write it as 127.0.0.0/8") from None
    return nets


class AddressGuardMiddleware:
    """Refuse requests to addresses outside what the crawl may touch (see module docstring)."""

    def __init__(self, allow_private: bool, allow_nets: list[Network]) -> None:
        self.allow_private = allow_private
        self.allow_nets = allow_nets
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        settings = crawler.settings
        nets = parse_networks(settings.getlist("EVALCRAWL_ALLOW_NETS"))
        return cls(settings.getbool("EVALCRAWL_ALLOW_PRIVATE"), nets)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = await self._judge(host)
        problem = self._verdicts[host]
        if problem:
            raise AddressRefused(problem)

    async def _judge(self, host: str) -> str | None:
        try:
            literal: Address | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if self.allow_nets:
            if literal is not None and any(literal in net for net in self.allow_nets):
                return None
            allowed = ", ".join(str(n) for n in self.allow_nets)
            return f"refused: {host} is outside the allowed networks ({allowed})"
        if self.allow_private:
            return None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None)
            except (OSError, UnicodeError):
                return None  # let the download fail with its own DNS error
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        for addr in addresses:
            problem = address_problem(addr)
            if problem:
                return (
                    f"refused: {host} resolves to {addr}, a {problem} address "
                    "(pass --allow-private to crawl private networks)"
                )
        return None


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
        if kind == "page" and not request.meta.get("ec_counted"):
            if state.pages_started < spider.max_pages:
                state.pages_started += 1
                request.meta["ec_counted"] = True
                return None
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

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        origin = f"{url.scheme}://{url.netloc}"
        if origin not in self._parsers:
            self._parsers[origin] = Deferred()
            robotsreq = Request(
                f"{origin}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
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

    def __init__(self, crawler: Crawler, cap: float) -> None:
        self.crawler = crawler
        self.cap = cap
        self._until: dict[str, float] = {}  # slot key → monotonic end of its pause

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        cap = crawler.settings.getfloat("EVALCRAWL_MAX_RETRY_AFTER", MAX_RETRY_AFTER)
        return cls(crawler, cap)

    def process_response(self, request: Request, response: Response) -> Response:
        value = response.headers.get(b"Retry-After")
        if response.status not in (429, 503) or value is None:
            return response
        seconds = parse_retry_after(value.decode("latin-1"))
        if not seconds:
            return response
        seconds = min(seconds, self.cap)
        if self._pause(request, seconds):
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

    def _pause(self, request: Request, seconds: float) -> bool:
        assert self.crawler.engine is not None
        downloader: Any = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
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
