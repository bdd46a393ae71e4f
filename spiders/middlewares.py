"""Downloader middlewares: the address guard and the per-site budgets.

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
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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
            addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
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
