"""Pages that scripts fill: their list endpoints, and when the spider renders them.

**List endpoints.** A page that names the JSON list endpoint of a known platform
(``PageFacts.endpoints``) gets it fetched as a page request of its site (budget, robots.txt,
delay), its answer read as that page's list (spiders/endpoints.py).

**The browser.**
``--render auto`` (the default): a page is fetched again through the browser when its answer
is an anti-bot challenge (:mod:`~evalcrawler.spiders.challenge`), or when its main content is
empty in the HTML while its scripts fill it (``PageFacts.scripted``, from
:func:`evalcrawler.spiders.embedded.needs_browser`). ``--render always``, or ``render: js`` on
a site in the region file: every page of the site is fetched through the browser. ``--render
never``: no page is; a challenge then makes the site ``blocked`` and pages that scripts fill
are named in its reason ("needs rendering"). List endpoints, link checks and probes are never
rendered.

A rendered page is a page request of its site like any other: its budget was counted by the
plain fetch (or is counted once, ``always``), and every request the browser makes for it goes
through the crawl's downloader (:mod:`~evalcrawler.spiders.render`) under the per-host delay.
The page's facts are those of the rendered DOM (``PageFacts.rendered``); the raw answers stay
in the evidence archive, and the DOM is archived beside them (spiders/warc.py). When the
browser fails, the page keeps the facts of its plain answer and the site's reason says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from evalcrawler.spiders.browser import INSTALL_HINT, RENDER_SLOT
from evalcrawler.urls import is_internal, normalise

if TYPE_CHECKING:
    from evalcrawler.facts import PageFacts
    from evalcrawler.spiders.state import SiteState

logger = logging.getLogger(__name__)

# Request meta of a plain answer that is not carried into its rendering.
_NOT_CARRIED = ("download_slot", "download_latency", "ec_warc", "ec_warc_id", "depth")


class RenderingMixin:
    """The spider's side of rendering (see the module docstring)."""

    sites: dict[int, SiteState]
    render_mode: str = "never"
    browser: str | None = None  # the Chromium the crawl renders with; None: it cannot
    user_agent: str = ""
    render_timeout: float = 30.0

    def _setup_rendering(self, settings: Any) -> None:
        self.render_mode = settings.get("EVALCRAWL_RENDER") or "never"
        self.browser = settings.get("EVALCRAWL_BROWSER") or None
        self.user_agent = settings.get("USER_AGENT", "")
        self.render_timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 30.0)

    def site_render_mode(self, spec: dict[str, Any]) -> str:
        """``always`` for a ``render: js`` site (unless ``--render never``), else the crawl's."""
        if self.render_mode == "never":
            return "never"
        return "always" if spec.get("render") == "js" else self.render_mode

    def cannot_render(self, state: SiteState) -> str:
        """Why a page of the site that needs the browser is not rendered."""
        if state.render == "never":
            return "not rendered (--render never)"
        return f"not rendered: no browser was found ({INSTALL_HINT})"

    def render_meta(self, state: SiteState, why: str) -> dict[str, Any]:
        """The meta that makes a page request go through the browser."""
        return {
            "playwright": True,
            "playwright_context": f"site-{state.pk}",
            "playwright_context_kwargs": {
                "user_agent": self.user_agent,
                "service_workers": "block",
                "accept_downloads": False,
                "locale": "zh-CN",
            },
            "playwright_page_goto_kwargs": {
                "wait_until": "commit",  # the settling is the handler's (spiders/render.py)
                "timeout": self.render_timeout * 1000,
            },
            "download_slot": RENDER_SLOT,
            "ec_render": why,
            "ec_counted": True,
            "dont_retry": True,
        }

    def render_again(
        self, state: SiteState, response: Response, facts: PageFacts
    ) -> Request | None:
        """The request that fetches this plain answer's page through the browser, when it
        needs it and the crawl can (see the module docstring); else ``None``."""
        meta = response.meta
        if meta.get("ec_render") or meta.get("ec_list_of") or meta.get("ec_render_failed"):
            return None
        if not self.browser:
            return None
        if state.render == "never":
            return None
        ok = 200 <= response.status < 300 and facts.is_html
        if facts.challenge:
            why = f"challenge ({facts.challenge})"
        elif facts.scripted and ok:
            why = f"filled by scripts ({facts.scripted})"
        else:
            return None
        carried = {k: v for k, v in meta.items() if k not in _NOT_CARRIED}
        carried.update(self.render_meta(state, why))
        carried["ec_plain"] = response
        state.renders += 1
        return Request(
            response.url,
            callback=cast(Any, self).parse_page,
            errback=self.on_render_error,
            priority=cast(Request, response.request).priority,
            dont_filter=True,
            meta=carried,
        )

    @staticmethod
    def rendered_input(response: Response) -> tuple[int, bytes, dict[str, str]]:
        """Status, body and headers to extract a rendered page from: the status of the last
        document the browser's main frame loaded (a challenge's 412 is followed by the page's
        200), the DOM as UTF-8."""
        meta = response.meta
        status = int(meta.get("ec_render_status") or response.status)
        text = response.text if hasattr(response, "text") else response.body.decode("utf-8")
        return status, text.encode("utf-8"), {"content-type": "text/html; charset=utf-8"}

    def on_render_error(self, failure: Failure) -> Iterator[Any]:
        """The browser failed: the page keeps its plain answer's facts (``auto``), or is
        fetched plainly (``always``); the site's reason counts the failures."""
        request = cast(Request, getattr(failure, "request", None))
        meta = request.meta
        state = self.sites.get(meta.get("ec_site", -1))
        if state is None:
            return
        reason = f"{request.url}: {failure.getErrorMessage()[:200] or failure.type.__name__}"
        state.render_failures.append(reason)
        logger.info("rendering failed: %s", reason)
        spider: Any = self
        plain = meta.get("ec_plain")
        if isinstance(plain, Response):
            plain.meta["ec_render_failed"] = True
            yield from spider._record_page(state, plain)
            yield from spider._settle(state)
            return
        again = {k: v for k, v in meta.items() if not k.startswith(("playwright", "ec_render"))}
        for key in ("download_slot", "dont_retry", "ec_plain"):
            again.pop(key, None)
        again["ec_render_failed"] = True
        yield Request(
            request.url,
            callback=spider.parse_page,
            errback=spider.on_error,
            priority=request.priority,
            dont_filter=True,
            meta=again,
        )

    def _endpoint_request(
        self, state: SiteState, url: str, list_of: str, referer: str, depth: int
    ) -> Request | None:
        """A list endpoint the page names: a page request of the site, its answer read as
        the page's list (spiders/endpoints.py)."""
        key = normalise(url)
        if key in state.seen or not is_internal(key, state.hosts):
            return None
        state.seen.add(key)
        state.outstanding += 1
        return Request(
            key,
            callback=cast(Any, self).parse_page,
            errback=cast(Any, self).on_error,
            priority=cast(Any, self)._priority("", False, depth, pager=True),
            dont_filter=True,
            headers={"Referer": referer, "Accept": "application/json, text/javascript, */*"},
            meta=cast(Any, self)._meta(
                state,
                "page",
                ec_depth=depth,
                ec_orig=key,
                ec_referer=referer,
                ec_list_of=list_of,
            ),
        )

    def _rendering_note(self, state: SiteState, facts: Any, meta: dict[str, Any]) -> str:
        """What the browser did for a home page that is still no usable page."""
        if not (facts.challenge or facts.scripted):
            return ""
        if meta.get("ec_render"):
            return "rendering it in a browser did not get past it"
        if meta.get("ec_render_failed"):
            return "rendering it in a browser failed"
        return self.cannot_render(state)
