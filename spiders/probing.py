"""The site probes: home page probes, HTTPS and its certificate, the HTTP redirect,
robots.txt, sitemap.xml, a soft-404 path, the site search and DNS (docs/metrics.md).

:class:`ProbesMixin` gives the spider the requests and callbacks of the probes. A probe
measures one attempt (no retries); the home probes are spread over the crawl of the site.
The TLS check (:func:`verify_tls`) opens its own socket to the address the guard vetted.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response
from twisted.internet import threads
from twisted.python.failure import Failure

from evalcrawler.facts import NOT_SUBMITTED, PageFacts, Probe
from evalcrawler.spiders.extractpool import is_cut
from evalcrawler.spiders.failures import describe_failure, probe_ms
from evalcrawler.spiders.guard import AddressRefused, vetted_address
from evalcrawler.urls import same_site_family

if TYPE_CHECKING:
    from evalcrawler.spiders.state import SiteState

logger = logging.getLogger(__name__)

PROBE_PRIORITY = 5_000
SEARCH_PROBE_LINKS = 200  # result links kept as evidence of a search probe


def verify_tls(
    host: str,
    port: int,
    timeout: float,
    address: str | None = None,
    ca_bundle: str | None = None,
) -> tuple[bool, str | None]:
    """Handshake with ``host:port`` verifying the certificate (its chain, dates and host name)
    against the system trust store, and the CA certificates of ``ca_bundle`` when given (a PEM
    file: an intranet's own CA, the demo web's; the crawl's ``ca_bundle`` setting,
    ``EVALCRAWL_CA_BUNDLE``). Verification is never switched off.

    ``address``: connect there (the address the guard vetted for ``host``, see
    :func:`evalcrawler.spiders.guard.vetted_address`) instead of resolving ``host`` again.
    """
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    try:
        with (
            socket.create_connection((address or host, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, f"certificate not valid: {exc.verify_message or exc.reason}"
    except (ssl.SSLError, OSError) as exc:
        return False, f"TLS failed: {exc}"


class ProbesMixin:
    """The probes' requests and callbacks (see the module docstring)."""

    sites: dict[int, SiteState]
    fetched: date
    max_pages: int
    probe_count: int
    probe_timeout: float
    search_query: str
    _resolver: Any
    _ask_dns: bool
    _side_checks: int  # DNS and TLS checks running in threads

    if TYPE_CHECKING:

        def _meta(self, state: SiteState, kind: str, **extra: Any) -> dict[str, Any]: ...

        def _item(self, state: SiteState, item: dict[str, Any]) -> dict[str, Any]: ...

        def _sink(self, state: SiteState, item: dict[str, Any]) -> None: ...

        def _settle(self, state: SiteState) -> Iterator[Any]: ...

        def _finish_request(self, state: SiteState) -> None: ...

        def _redirect(self, response: Response) -> Request | None: ...

        def on_error(self, failure: Failure) -> Iterator[Any]: ...

        async def _extract(
            self,
            state: SiteState,
            url: str,
            body: bytes,
            headers: dict[str, str],
            status: int,
        ) -> PageFacts: ...

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
        if search_form is not None and not same_site_family(search_form["action"], state.hosts):
            # The site's hidden fields are never posted to another site: not measured, and said.
            if ("search", 0) not in state.probes_scheduled:
                state.probes_scheduled.add(("search", 0))
                state.probes_done.add(("search", 0))
                action = search_form["action"]
                yield self._item(
                    state,
                    {
                        "type": "probe",
                        "probe": Probe(
                            kind="search",
                            url=action,
                            error=f"{NOT_SUBMITTED}: the search form submits to "
                            f"{urlsplit(action).netloc or action}, outside the site",
                        ),
                    },
                )
        elif search_form is not None:
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
            self._side_checks -= 1
            self._finish_request(state)

        def failed(failure: Failure) -> None:
            done(None)

        self._side_checks += 1
        if not self._ask_dns:
            # Allow-list mode (tests, the demo): DNS is never asked.
            d = threads.deferToThread(lambda: None)
        else:
            d = threads.deferToThread(self._resolver, host)
        d.addCallbacks(done, failed)

    def _spread_home_probes(self, state: SiteState) -> Iterator[Any]:
        """Home probes are spread over the crawl of the site: one every N pages."""
        step = max(1, self.max_pages // max(1, self.probe_count))
        seq = len([k for k in state.probes_scheduled if k[0] == "home"])
        if seq < self.probe_count and state.page_responses >= seq * step:
            req = self._probe_request(state, "home", seq, state.home_url or state.url)
            if req is not None:
                yield req

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
            facts = await self._extract(
                state, response.url, response.body, {"content-type": content_type}, response.status
            )
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
            elapsed_ms=probe_ms(response.meta),
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
                "method": cast(Request, response.request).method,
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

    def _ca_bundle(self) -> str | None:
        """The crawl's extra CA bundle (the ``EVALCRAWL_CA_BUNDLE`` Scrapy setting), if any."""
        settings = getattr(self, "settings", None)
        return (settings.get("EVALCRAWL_CA_BUNDLE") if settings is not None else None) or None

    def _tls_probe(self, state: SiteState, host: str, port: int, url: str) -> None:
        def done(result: tuple[bool, str | None]) -> None:
            ok, error = result
            self._sink(
                state, {"type": "probe", "probe": Probe(kind="tls", url=url, ok=ok, error=error)}
            )
            self._side_checks -= 1
            self._finish_request(state)

        def check() -> tuple[bool, str | None]:
            try:
                address = vetted_address(host)  # never a second lookup: the guard's answer
            except AddressRefused as exc:
                return False, f"TLS check not made: {exc}"
            return verify_tls(host, port, self.probe_timeout, address, self._ca_bundle())

        self._side_checks += 1
        d = threads.deferToThread(check)
        d.addCallbacks(done, lambda f: done((False, describe_failure(f))))
