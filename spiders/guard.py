"""The address guard: which schemes and addresses the crawl may ever touch.

evalcrawl crawls hundreds of sites nobody on the team controls, so every way out of the
process goes through one policy:

* **Schemes.** Only ``http`` and ``https`` are fetched. Scrapy's other download handlers
  (``file``, ``data``, ``ftp``, ``s3``) are switched off in the crawl settings, and
  :class:`AddressGuardMiddleware` refuses any other scheme before a handler is even looked
  for, so a ``302 Location: file:///etc/shadow`` ends as a recorded refusal, never as a read.
* **Addresses.** By default only globally routable addresses are allowed. An address is
  refused when it, or an IPv4 address embedded in it (IPv4-mapped, IPv4-compatible, 6to4,
  Teredo, NAT64), is loopback, private, carrier-grade NAT (100.64.0.0/10), link-local,
  multicast, reserved, unspecified or otherwise not global. ``--allow-private`` widens this to
  the private ranges only (RFC 1918, unique-local IPv6, loopback): link-local (cloud metadata
  at 169.254.169.254), carrier-grade NAT (100.100.100.200) and the rest stay refused. An
  explicit allow-list of networks (``EVALCRAWL_ALLOW_NETS``: the tests and the demo) allows
  those networks and nothing else.
* **The address actually used.** Host names are resolved once per crawl by
  :class:`GuardedResolver`, which the crawl installs as the reactor's name resolver: the
  guard's verdict and every connection (pages, probes, link checks, robots.txt, form
  submissions) use the same vetted answer, so a name that answers a public address first and
  ``127.0.0.1`` later (DNS rebinding) never reaches the second. The TLS check connects to the
  vetted address too (:func:`vetted_address`). A name that cannot be resolved is refused.

In allow-list mode host names are not resolved at all (the tests stay off the network) unless
a lookup function is injected with ``EVALCRAWL_ADDRESS_RESOLVER=module.function`` (a host name
→ a list of address strings), which tests of name resolution use.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet import defer, threads
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from twisted.python.failure import Failure
from zope.interface import implementer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Lookup = Callable[[str], Sequence[str]]

SCHEMES = ("http", "https")
DNS_FAILED = "DNS lookup failed (no such host, or no network)"
ALLOW_PRIVATE_HINT = "pass --allow-private to crawl private networks"

# What --allow-private widens: the private ranges, nothing else.
PRIVATE_NETS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "::1/128",
    )
)
SHARED_NET = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64_NETS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class AddressRefused(IgnoreRequest):
    """The address guard refused a request; the message says why and how to allow it."""


class NameNotResolved(IgnoreRequest):
    """A host name could not be resolved: nothing is fetched from an address not vetted."""


def embedded_ipv4(addr: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if not isinstance(addr, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if addr.ipv4_mapped is not None:
        found.append(addr.ipv4_mapped)
    if addr.sixtofour is not None:
        found.append(addr.sixtofour)
    if addr.teredo is not None:
        found.extend(addr.teredo)
    packed = int(addr)
    if any(addr in net for net in NAT64_NETS) or (packed >> 32 == 0 and packed > 0xFFFF):
        # NAT64 and the deprecated IPv4-compatible form (::a.b.c.d) keep it in the low 32 bits.
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    return found


def _kind(addr: Address) -> str | None:
    """What non-global kind of address this is (``None`` for a global one)."""
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr in SHARED_NET:
        return "carrier-grade NAT"
    if addr.is_multicast:
        return "multicast"
    if addr.is_unspecified:
        return "unspecified"
    if isinstance(addr, ipaddress.IPv4Address) and addr == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    if any(addr in net for net in PRIVATE_NETS):
        return "private"
    if addr.is_reserved:
        return "reserved"
    if not addr.is_global:
        return "not globally routable"
    return None


class AddressPolicy:
    """Which addresses the crawl may connect to (see the module docstring)."""

    def __init__(self, allow_private: bool = False, allow_nets: Sequence[Network] = ()) -> None:
        self.allow_private = allow_private
        self.allow_nets = tuple(allow_nets)

    def problem(self, addr: Address) -> str | None:
        """Why ``addr`` is refused, as ``"a loopback address"`` …; ``None`` when allowed."""
        if self.allow_nets:
            if any(addr in net for net in self.allow_nets):
                return None
            allowed = ", ".join(str(n) for n in self.allow_nets)
            return f"outside the allowed networks ({allowed})"
        inner_v4 = embedded_ipv4(addr)
        judged: list[Address] = [*inner_v4, addr]
        if isinstance(addr, ipaddress.IPv6Address) and int(addr) >> 48 == 0:
            judged = list(inner_v4) or judged  # ::ffff:a.b.c.d and ::a.b.c.d are IPv4 itself
        for one in judged:
            kind = _kind(one)
            if kind is None:
                continue
            if kind in ("private", "loopback") and self.allow_private:
                continue
            inner = f" (it carries {one})" if one != addr else ""
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{article} {kind} address{inner}"
        return None

    def refusal(self, host: str, addr: Address) -> str | None:
        """The full refusal message for ``host`` resolving to ``addr``, or ``None``."""
        problem = self.problem(addr)
        if problem is None:
            return None
        if self.allow_nets:
            return f"refused: {host} is {problem}"
        hint = "" if self.allow_private else f" ({ALLOW_PRIVATE_HINT})"
        if problem.startswith(("a private", "a loopback")):
            return f"refused: {host} resolves to {addr}, {problem}{hint}"
        return f"refused: {host} resolves to {addr}, {problem}"


def parse_networks(specs: Sequence[str]) -> list[Network]:
    nets: list[Network] = []
    for spec in specs:
        try:
            nets.append(ipaddress.ip_network(spec, strict=False))
        except ValueError:
            raise ValueError(f"{spec!r} is not a network; write it as 127.0.0.0/8") from None
    return nets


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def system_lookup(host: str) -> list[str]:
    """The addresses of ``host`` from the system resolver (blocking; run in a thread)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels these
        pass


@implementer(IHostnameResolver)
class GuardedResolver:
    """The crawl's only name resolver: resolve once, vet, use that answer for every connection.

    Installed with Scrapy's ``TWISTED_DNS_RESOLVER`` setting. Answers are kept for the whole
    crawl (as Scrapy's own caching resolver does), so the guard and every later connection
    to a host see the same, vetted addresses. A host whose answer holds any refused address is
    refused as a whole.
    """

    def __init__(
        self,
        reactor: Any,
        policy: AddressPolicy,
        lookup: Lookup | None,
        timeout: float = 15.0,
    ) -> None:
        self.reactor = reactor
        self.policy = policy
        self.lookup = lookup  # None: host names are refused (allow-list mode without DNS)
        self.timeout = timeout
        self._answers: dict[str, list[Address]] = {}
        self._refused: dict[str, str] = {}
        self._waiting: dict[str, list[defer.Deferred[list[Address]]]] = {}
        self._lock = threading.Lock()  # the TLS check reads the answers from a thread

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        nets = parse_networks(settings.getlist("EVALCRAWL_ALLOW_NETS"))
        policy = AddressPolicy(settings.getbool("EVALCRAWL_ALLOW_PRIVATE"), nets)
        injected = settings.get("EVALCRAWL_ADDRESS_RESOLVER") or os.environ.get(
            "EVALCRAWL_ADDRESS_RESOLVER"
        )
        lookup: Lookup | None
        if injected:
            lookup = load_object(injected)
        elif nets:
            lookup = None
        else:
            lookup = system_lookup
        return cls(reactor, policy, lookup, settings.getfloat("DNS_TIMEOUT", 15.0))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    # ------------------------------------------------------------------ vetting

    def resolve(self, host: str) -> defer.Deferred[list[Address]]:
        """The vetted addresses of ``host``; fails with AddressRefused or NameNotResolved."""
        literal = literal_address(host)
        if literal is not None:
            refusal = self.policy.refusal(host.strip("[]"), literal)
            if refusal:
                return defer.fail(AddressRefused(refusal))
            return defer.succeed([literal])
        host = host.lower().rstrip(".")
        with self._lock:
            if host in self._refused:
                return defer.fail(AddressRefused(self._refused[host]))
            if host in self._answers:
                return defer.succeed(list(self._answers[host]))
        if self.lookup is None:
            allowed = ", ".join(str(n) for n in self.policy.allow_nets)
            return defer.fail(
                AddressRefused(f"refused: {host} is outside the allowed networks ({allowed})")
            )
        waiter: defer.Deferred[list[Address]] = defer.Deferred()
        if host in self._waiting:
            self._waiting[host].append(waiter)  # one lookup per host, however many ask
            return waiter
        self._waiting[host] = [waiter]
        d = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.lookup, host)
        d.addTimeout(self.timeout, self.reactor)
        d.addCallback(self._vet, host)
        d.addBoth(self._fan_out, host)
        return waiter

    def _vet(self, answer: Sequence[str], host: str) -> list[Address]:
        addresses: list[Address] = []
        for text in answer:
            addr = literal_address(str(text))
            if addr is not None and addr not in addresses:
                addresses.append(addr)
        if not addresses:
            raise NameNotResolved(DNS_FAILED)
        for addr in addresses:
            refusal = self.policy.refusal(host, addr)
            if refusal:
                with self._lock:
                    self._refused[host] = refusal
                raise AddressRefused(refusal)
        with self._lock:
            self._answers[host] = addresses
        return addresses

    def _fan_out(self, result: Any, host: str) -> None:
        waiters = self._waiting.pop(host, [])
        if isinstance(result, Failure):
            if not result.check(AddressRefused, NameNotResolved):
                logger.debug("lookup of %s failed: %s", host, result.value)
                result = Failure(NameNotResolved(DNS_FAILED))
            for waiter in waiters:
                waiter.errback(result)
        else:
            for waiter in waiters:
                waiter.callback(list(result))

    def answer(self, host: str) -> list[Address] | None:
        """The vetted answer already held for ``host`` (thread-safe), or ``None``."""
        literal = literal_address(host)
        if literal is not None:
            return None if self.policy.problem(literal) else [literal]
        with self._lock:
            return list(self._answers.get(host.lower().rstrip("."), [])) or None

    # ------------------------------------------------- Twisted's IHostnameResolver

    def resolveHostName(
        self,
        resolutionReceiver: Any,  # an IResolutionReceiver (zope interfaces are not types)
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        kinds = tuple(addressTypes) if addressTypes else (IPv4Address, IPv6Address)

        def deliver(addresses: list[Address]) -> None:
            for addr in addresses:
                cls = IPv4Address if addr.version == 4 else IPv6Address
                if cls in kinds:
                    resolutionReceiver.addressResolved(cls("TCP", str(addr), portNumber))
            resolutionReceiver.resolutionComplete()

        def refuse(failure: Any) -> None:
            # No address: the connection fails with Twisted's DNSLookupError, nothing is sent.
            logger.debug("not connecting to %s: %s", hostName, failure.value)
            resolutionReceiver.resolutionComplete()

        self.resolve(hostName).addCallbacks(deliver, refuse)
        return cast(IHostResolution, resolution)


def installed_resolver() -> GuardedResolver | None:
    """The reactor's GuardedResolver, when the crawl installed one."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


def vetted_address(host: str) -> str:
    """An address of ``host`` the guard vetted in this crawl (for the TLS check's own socket).

    Raises :class:`AddressRefused` when the guard holds no vetted answer: the check then does
    not connect at all.
    """
    resolver = installed_resolver()
    if resolver is None:
        raise AddressRefused(f"refused: no vetted address for {host}")
    answer = resolver.answer(host)
    if not answer:
        raise AddressRefused(f"refused: no vetted address for {host}")
    return str(answer[0])


class AddressGuardMiddleware:
    """Refuse requests to other schemes and to addresses outside the policy (module docstring)."""

    def __init__(self, policy: AddressPolicy, resolver: GuardedResolver | None = None) -> None:
        self.policy = policy
        self._resolver = resolver

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        settings = crawler.settings
        nets = parse_networks(settings.getlist("EVALCRAWL_ALLOW_NETS"))
        return cls(AddressPolicy(settings.getbool("EVALCRAWL_ALLOW_PRIVATE"), nets))

    @property
    def resolver(self) -> GuardedResolver | None:
        return self._resolver or installed_resolver()

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        scheme = (parts.scheme or "").lower()
        if scheme not in SCHEMES:
            raise AddressRefused(
                f"refused: {scheme or 'scheme-less'}: URLs are never fetched (only http and https)"
            )
        host = parts.hostname or ""
        if not host:
            raise AddressRefused(f"refused: {request.url} names no host")
        resolver = self.resolver
        literal = literal_address(host)
        if resolver is None or literal is not None:
            if literal is None:
                raise AddressRefused(f"refused: {host}: no address resolver is installed")
            refusal = self.policy.refusal(host.strip("[]"), literal)
            if refusal:
                raise AddressRefused(refusal)
            return
        from scrapy.utils.defer import maybe_deferred_to_future

        await maybe_deferred_to_future(resolver.resolve(host))
