"""Link checks: internal link targets the crawl fetches only to know whether they answer.

:class:`ChecksMixin` gives the spider the check requests (HEAD, then GET when HEAD is refused;
a GET check stops at the headers), their callback, and the page budget's bookkeeping between
pages and checks: a page request over the page budget becomes a check of the same URL and waits
in case a page request still in flight turns out not to be a page (``_promote``), because the
page budget counts the 2xx HTML pages a site has, not the dead links it lists
(docs/metrics.md, "Budgets").
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Request, Response

from evalcrawler.facts import LinkCheck

if TYPE_CHECKING:
    from twisted.python.failure import Failure

    from evalcrawler.spiders.state import SiteState

CHECK_PRIORITY = -10_000


class ChecksMixin:
    """Check requests, their callback and the page/check budget exchange (module docstring)."""

    sites: dict[int, SiteState]
    max_pages: int

    if TYPE_CHECKING:

        def _meta(self, state: SiteState, kind: str, **extra: Any) -> dict[str, Any]: ...

        def _item(self, state: SiteState, item: dict[str, Any]) -> dict[str, Any]: ...

        def _settle(self, state: SiteState) -> Iterator[Any]: ...

        def _redirect(self, response: Response) -> Request | None: ...

        def on_error(self, failure: Failure) -> Iterator[Any]: ...

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
        """A page request over the page budget becomes a check of the same URL, and waits in
        case a page request still in flight turns out not to be a page (:meth:`_promote`)."""
        state = self.sites[request.meta["ec_site"]]
        if not request.meta.get("ec_promoted"):
            state.waiting_seq += 1
            heapq.heappush(state.waiting, (-request.priority, state.waiting_seq, request))
        return self._check_request(
            state, request.meta.get("ec_orig", request.url), request.meta.get("ec_referer")
        )

    def _promote(self, state: SiteState) -> Iterator[Request]:
        """A page request ended without a page, so the page budget has room again: fetch the
        best page that was turned into a check for want of it (the budget counts the 2xx HTML
        pages a site has, not the dead links it lists)."""
        while state.waiting and state.pages_started < self.max_pages:
            _, _, waiting = heapq.heappop(state.waiting)
            if waiting.meta.get("ec_orig", waiting.url) in state.broken:
                continue  # its check found it broken already: not a page either
            meta = {k: v for k, v in waiting.meta.items() if k not in ("ec_counted", "ec_moved")}
            meta["ec_promoted"] = True
            state.outstanding += 1
            yield waiting.replace(meta=meta)
            return

    def _on_headers(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        # A GET that only checks a link does not need the body.
        if request.meta.get("ec_kind") == "check" and request.method == "GET":
            raise scrapy.exceptions.StopDownload(fail=False)

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
        orig = response.meta.get("ec_orig", response.url)
        if response.status >= 400:
            state.broken.add(orig)
        yield self._check_item(state, orig, response, method)
        yield from self._settle(state)

    def _check_item(
        self, state: SiteState, url: str, response: Response, method: str
    ) -> dict[str, Any]:
        check = LinkCheck(
            url=url,
            status=response.status,
            final_url=response.url,
            method=method,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1")[:200],
            error=response.meta.get("ec_redirect_error"),
        )
        return self._item(state, {"type": "check", "check": check})
