"""Redirects, followed by the site spider itself rather than by Scrapy's RedirectMiddleware:
so that a chain can be recorded, a loop detected, an off-site hop of a page stopped, a redirect
to a scheme other than http(s) refused, and every hop pass the address guard (the next hop is
a new request through the downloader middlewares). At most :data:`MAX_REDIRECTS` hops."""

from __future__ import annotations

from typing import cast
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response

from evalcrawler.spiders.guard import SCHEMES
from evalcrawler.spiders.state import SiteState
from evalcrawler.urls import is_internal, normalise

MAX_REDIRECTS = 10


class RedirectMixin:
    """The next hop of a redirect (see the module docstring)."""

    sites: dict[int, SiteState]

    def _redirect(self, response: Response) -> Request | None:
        """The next hop of a redirect, or None (the response is final)."""
        if not (300 <= response.status < 400) or b"Location" not in response.headers:
            return None
        location = (response.headers.get(b"Location") or b"").decode("latin-1")
        target = normalise(urljoin(response.url, location.strip()))
        scheme = urlsplit(target).scheme.lower()
        if scheme not in SCHEMES:
            # file:, data:, ftp: … are never fetched: the page ends here, not measured.
            response.meta["ec_redirect_error"] = (
                f"redirect to a {scheme or 'scheme-less'}: URL refused "
                "(only http and https are fetched)"
            )
            state = self.sites[response.meta["ec_site"]]
            state.refused_redirects.append((response.url, scheme or "scheme-less"))
            return None
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
            # The home page's final URL is fetched here: a link to it is not fetched again.
            state.seen.add(target)
        for key in ("download_slot", "download_latency", "depth", "ec_counted_dummy"):
            meta.pop(key, None)
        meta["ec_chain"] = chain
        request = cast(Request, response.request)
        method = (
            request.method
            if response.status in (307, 308)
            else ("HEAD" if request.method == "HEAD" else "GET")
        )
        body = request.body if response.status in (307, 308) else None
        return Request(
            target,
            method=method,
            body=body,
            callback=request.callback,
            errback=request.errback,
            priority=request.priority,
            dont_filter=True,
            meta=meta,
        )
