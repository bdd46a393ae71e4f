"""Rendering pages in a real browser: scrapy-playwright with the system Chromium.

:class:`RenderHandler` is scrapy-playwright's download handler with four changes:

* **Lazy.** Playwright and Chromium start with the first page that asks to be rendered
  (``meta["playwright"]``), not when the crawl starts: a crawl that never renders starts no
  browser and pays nothing for it. One browser serves the whole crawl; each site gets its own
  context (cookies, storage), closed when the site is done.
* **Every request of the browser is the crawl's.** A route on the context and on each page
  answers every request the page makes (the document, its scripts, XHR and fetch calls,
  iframes, popups) from the crawl's own downloader (``engine.download_async``): so each one
  passes the address guard with the crawl's one vetted DNS answer (no other scheme, no refused
  address, no DNS rebinding), robots.txt, the per-host delay and the evidence archive, exactly
  as a page request does. Images, styles, fonts and media are not fetched; a refused or
  failed request is aborted in the browser. The browser itself is kept off the network
  (:func:`evalcrawler.spiders.browser.launch_args`).
* **Settled.** After the document answered, the page is given time to run its scripts: its
  load event, then no request in flight for half a second; a challenge page (an answer a
  firewall sends, see :mod:`~evalcrawler.spiders.challenge`) gets a few seconds more to set its
  cookie and reload. The DOM is then read (``page.content()``).
* **What happened is told.** The status of the last document the main frame loaded, the
  WARC record of its raw answer and the requests the browser made or had refused go into the
  request's meta (``ec_render_*``), for the page facts and the evidence archive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from evalcrawler.spiders.browser import FETCHED_TYPES, MAX_BROWSER_REQUESTS, launch_args
from evalcrawler.spiders.challenge import CHALLENGE_STATUSES
from evalcrawler.spiders.signals import site_finished
from evalcrawler.spiders.warc import META_LOCATION, META_RECORD_ID

logger = logging.getLogger(__name__)

IDLE_MS = 500  # "settled": no request in flight for this long
CHALLENGE_WAIT = 8.0  # seconds a challenge page gets to reload itself
_HOP_HEADERS = frozenset(
    {"host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"}
)
_NOT_RETURNED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass
class RenderState:
    """What one rendering did (kept per browser page)."""

    site: int | None
    timeout: float
    requests: int = 0
    status: int | None = None  # of the last document the main frame loaded
    final_url: str | None = None
    record_id: str | None = None  # WARC record of that document's raw answer
    location: str | None = None
    refused: list[str] = field(default_factory=list)


class RenderHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, lazy and fenced (see the module docstring)."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        super().__init__(crawler)
        # A loopback port held without listening: the browser's proxy, so any connection the
        # routes do not answer is refused (launch_args).
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind(("127.0.0.1", 0))
        self.config.launch_options = {
            **self.config.launch_options,
            "headless": True,
            "args": launch_args(self._dead.getsockname()[1]),
        }
        self._evalcrawl = crawler
        self._states: dict[Any, RenderState] = {}
        self._closing: set[asyncio.Future[None]] = set()
        self._started = False
        self._start_lock = asyncio.Lock()
        self._timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 30.0)
        crawler.signals.connect(self._site_finished, signal=site_finished)

    # ------------------------------------------------------------------ laziness

    async def _maybe_launch_in_thread(self) -> None:
        return None  # nothing at engine start: see _download_request

    def _engine_started(self) -> Any:  # Scrapy < 2.14 calls this instead
        return None

    async def _download_request(self, request: Request, spider: Any = None) -> Any:
        async with self._start_lock:
            if not self._started:
                logger.info("starting the browser for %s", request.url)
                await self._launch()
                self._started = True
        return await super()._download_request(request, spider)

    async def _close(self) -> None:
        await super()._close()
        self._dead.close()

    def _site_finished(self, site_pk: int) -> None:
        wrapper = self.context_wrappers.get(f"site-{site_pk}")
        if wrapper is not None:
            task = asyncio.ensure_future(_quietly(wrapper.context.close()))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    # ---------------------------------------------------------------- fencing

    async def _create_browser_context(
        self, name: str, context_kwargs: dict[str, Any] | None, spider: Any = None
    ) -> Any:
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        # Popups and frames of any page of the context: the same route (a page's own route,
        # set by scrapy-playwright through _make_request_handler, is the same function).
        await wrapper.context.route("**/*", self._route)
        await wrapper.context.route_web_socket("**/*", _refuse_web_socket)
        return wrapper

    async def _create_page(self, request: Request, spider: Any) -> Any:
        page = await super()._create_page(request, spider)
        self._states[page] = RenderState(request.meta.get("ec_site"), self._timeout)
        return page

    def _make_request_handler(self, *args: Any, **kwargs: Any) -> Any:
        return self._route

    async def _route(self, route: Any, request: Any) -> None:
        state = self._state_of(request)
        url = request.url
        scheme = urlsplit(url).scheme.lower()
        if state is None:
            await _quietly(route.abort("blockedbyclient"))  # a page the crawl did not open
            return
        if scheme not in ("http", "https"):
            state.refused.append(f"{scheme}: URL")
            await _quietly(route.abort("blockedbyclient"))
            return
        if request.resource_type not in FETCHED_TYPES:
            await _quietly(route.abort("blockedbyclient"))
            return
        if state.requests >= MAX_BROWSER_REQUESTS:
            state.refused.append(f"{url}: more than {MAX_BROWSER_REQUESTS} requests")
            await _quietly(route.abort("blockedbyclient"))
            return
        state.requests += 1
        main = _main_document(request)
        headers = {
            k: v
            for k, v in (await request.all_headers()).items()
            if not k.startswith(":") and k.lower() not in _HOP_HEADERS
        }
        fetch = Request(
            url,
            method=request.method,
            headers=headers,
            body=request.post_data_buffer or b"",
            dont_filter=True,
            meta={
                "ec_site": state.site,
                "ec_browser": True,
                "dont_redirect": True,  # the browser follows redirects: each hop comes back here
                "handle_httpstatus_all": True,
                "dont_merge_cookies": True,  # the browser keeps the cookies of its requests
                "dont_retry": not main,
                "download_timeout": state.timeout,
            },
        )
        try:
            engine: Any = self._evalcrawl.engine
            response = await engine.download_async(fetch)
        except IgnoreRequest as exc:  # the address guard, robots.txt, the time budget
            state.refused.append(f"{url}: {exc}")
            await _quietly(route.abort("blockedbyclient"))
            return
        except Exception as exc:  # no answer: the browser sees a failed request
            logger.debug("browser request %s failed: %s", url, exc)
            await _quietly(route.abort("failed"))
            return
        if main:
            state.status = response.status
            state.final_url = url
            state.record_id = fetch.meta.get(META_RECORD_ID)
            state.location = fetch.meta.get(META_LOCATION)
        await _quietly(
            route.fulfill(status=response.status, headers=_headers(response), body=response.body)
        )

    def _state_of(self, request: Any) -> RenderState | None:
        try:
            return self._states.get(request.frame.page)
        except PlaywrightError:  # a service worker's request has no frame
            return None

    # ---------------------------------------------------------------- settling

    async def _apply_page_methods(self, page: Any, request: Request, spider: Any) -> None:
        state = self._states.get(page)
        deadline = time.monotonic() + self._timeout
        await _settle(page, deadline)
        waited = time.monotonic() + CHALLENGE_WAIT
        while (
            state is not None
            and state.status in CHALLENGE_STATUSES
            and time.monotonic() < min(waited, deadline)
        ):
            await asyncio.sleep(0.2)  # a challenge reloads itself once its cookie is set
            if state.status not in CHALLENGE_STATUSES:
                await _settle(page, deadline)
        await super()._apply_page_methods(page, request, spider)
        if state is not None:
            self._states.pop(page, None)
            request.meta["ec_render_status"] = state.status
            request.meta["ec_render_url"] = state.final_url
            request.meta["ec_render_source"] = state.record_id
            request.meta["ec_render_raw"] = state.location
            request.meta["ec_render_requests"] = state.requests
            request.meta["ec_render_refused"] = list(state.refused)


async def _settle(page: Any, deadline: float) -> None:
    for load_state in ("load", "networkidle"):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(PlaywrightError):
            await page.wait_for_load_state(load_state, timeout=left * 1000)


def _main_document(request: Any) -> bool:
    try:
        return bool(request.is_navigation_request() and request.frame.parent_frame is None)
    except PlaywrightError:
        return False


def _headers(response: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        name = key.decode("latin-1")
        if name.lower() in _NOT_RETURNED:
            continue  # the body is handed over decoded and whole
        joiner = "\n" if name.lower() == "set-cookie" else ", "
        out[name] = joiner.join(v.decode("latin-1") for v in values)
    return out


async def _refuse_web_socket(socket_route: Any) -> None:
    """WebSockets are never connected: without connect_to_server Playwright mocks them."""
    await _quietly(socket_route.close())


async def _quietly(awaitable: Any) -> None:
    """Await a browser call whose page may be gone meanwhile (closed, navigated away)."""
    with contextlib.suppress(PlaywrightError):
        await awaitable
