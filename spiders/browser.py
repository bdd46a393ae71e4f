"""The browser a crawl renders with: which one, how it is started, what it may do.

Only this module's names are needed to decide whether a crawl can render; the rendering
itself (:mod:`evalcrawler.spiders.render`) imports Playwright, which a crawl that never
renders does not load. docs/rendering.md says when pages are rendered and what it costs;
docs/security.md what the browser may reach.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

RENDER_MODES = ("auto", "never", "always")
RENDER_SLOT = "evalcrawl-browser"  # downloader slot of the browser's page loads (not a host)
RENDER_PAGES = 2  # pages rendered at once in the whole crawl (2 cores: more only queue)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_ENV = "EVALCRAWL_CHROMIUM"  # an explicit browser executable
INSTALL_HINT = "install Debian's chromium package (apt-get install chromium)"

# What the browser fetches: the document, its scripts and the calls they make. Images,
# styles, fonts and media change nothing the extractor reads, and each would cost a request
# of the host under the politeness delay.
FETCHED_TYPES = frozenset({"document", "script", "xhr", "fetch"})
MAX_BROWSER_REQUESTS = 60  # requests one rendering may make; further ones are aborted


def find_browser() -> str | None:
    """The Chromium executable to render with (``EVALCRAWL_CHROMIUM``, else the first of
    :data:`BROWSERS` on the PATH), or ``None``."""
    given = os.environ.get(BROWSER_ENV, "").strip()
    if given:
        return given if os.path.isfile(given) and os.access(given, os.X_OK) else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_problem() -> str | None:
    """Why this machine cannot render (no Chromium, no scrapy-playwright), or ``None``."""
    if importlib.util.find_spec("scrapy_playwright") is None:
        return "scrapy-playwright is not installed (pip install scrapy-playwright)"
    if find_browser() is None:
        where = os.environ.get(BROWSER_ENV)
        return (
            f"{BROWSER_ENV}={where} is not an executable"
            if where
            else (f"no Chromium was found; {INSTALL_HINT}")
        )
    return None


def render_settings(mode: str, timeout: float) -> dict[str, object]:
    """The Scrapy settings of a crawl that may render (``mode`` not ``never`` and a browser
    found): scrapy-playwright's handler (lazy: see spiders/render.py) for http and https, the
    system Chromium, and the browser's own downloader slot."""
    browser = find_browser() if mode != "never" and browser_problem() is None else None
    if browser is None:
        return {"EVALCRAWL_RENDER": mode, "EVALCRAWL_BROWSER": None}
    handler = "evalcrawler.spiders.render.RenderHandler"
    return {
        "EVALCRAWL_RENDER": mode,
        "EVALCRAWL_BROWSER": browser,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": browser,
            "chromium_sandbox": False,
            "timeout": 60_000,
        },
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": RENDER_PAGES,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        # The page loads wait here; each request the browser makes waits in its host's slot.
        "DOWNLOAD_SLOTS": {RENDER_SLOT: {"concurrency": RENDER_PAGES, "delay": 0}},
    }


def launch_args(dead_proxy: int) -> list[str]:
    """Chromium's flags: headless, off the network except through the crawl.

    Every request of a page is answered by the crawl's own downloader (the route in
    :mod:`~evalcrawler.spiders.render`), so the browser itself needs no network at all: its
    resolver answers nothing (``--host-resolver-rules``), anything that escapes the route
    (a preconnect, WebRTC, a socket to an IP address) goes to a proxy on a loopback port that
    this process holds without listening, so the connection is refused (``--proxy-bypass-list
    =<-loopback>`` takes loopback addresses through it too), and Chromium's own traffic
    (updates, sync, safe browsing, metrics) is switched off. Playwright starts it with a new
    empty profile (``--user-data-dir`` in a temporary folder) every time.
    """
    return [
        "--headless=new",
        "--no-sandbox",  # Debian's chromium as root, in a container, has no usable sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--metrics-recording-only",
        "--disable-quic",
        "--dns-prefetch-disable",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--proxy-server=http://127.0.0.1:{dead_proxy}",
        "--proxy-bypass-list=<-loopback>",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-features=NetworkPrediction,InterestFeedContentSuggestions,"
        "OptimizationHints,MediaRouter,Translate",
    ]
