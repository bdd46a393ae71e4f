"""A loopback mirror of the real corpus: each corpus site served on its own address, its pages
at their own paths, for runs of the whole pipeline on real pages.

Every site of ``tests/fixtures/real/corpus`` (but those whose host is an IP address: a loopback
mirror cannot answer for it) gets a server on ``127.0.2.N``, all on one port. Its host name
resolves there through the injected address resolver (``EVALCRAWL_ADDRESS_RESOLVER`` =
:func:`tests.fakedns.mirror_addresses`, the map in ``EVALCRAWL_TEST_HOSTS``). Each page is
served at the path of its original URL (a second page labelled with the same URL at
``/<file name>``); home pages are left out (the synthetic start page is the site's home).

What is changed in the served bodies, and only that: an absolute link to the site's own host
(``http://www.gov.cn/…``, ``https://www.pingtan.gov.cn/…``, ``http://datacenter.mep.gov.cn:8099/…``)
gets the mirror's scheme and port, so that the crawl stays on loopback. The start page (``/``)
is synthetic: a navigation list (``div.nav``) linking every mirrored page, by its title.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from evalcrawler.demo.server import port_free
from tests.realcorpus import CORPUS, page_url
from tests.webserver import FixtureServer, Reply

HOSTS_ENV = "EVALCRAWL_TEST_HOSTS"
RESOLVER = "tests.fakedns.mirror_addresses"
ADDRESS_PREFIX = "127.0.2."
START = "/"


@dataclass
class MirrorPage:
    label: dict[str, Any]
    path: str  # where the mirror serves it (path and query)
    body: bytes


@dataclass
class MirrorSite:
    host: str  # the original host, without port
    address: str
    pages: list[MirrorPage] = field(default_factory=list)
    server: FixtureServer | None = None

    @property
    def site_id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.host.lower()).strip("-")

    def url(self, port: int, path: str = START) -> str:
        return f"http://{self.host}:{port}{path}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def mirror_sites(root: Path = CORPUS) -> list[MirrorSite]:
    """The corpus as sites to serve (bodies not yet rewritten: that needs the port)."""
    sites: dict[str, MirrorSite] = {}
    for label_path in sorted(root.glob("*/*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        if label["kind"] == "home":
            continue
        parts = urlsplit(page_url(label))
        host = parts.hostname or ""
        if _is_ip(host):
            continue
        site = sites.get(host)
        if site is None:
            site = sites[host] = MirrorSite(host, f"{ADDRESS_PREFIX}{len(sites) + 1}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if path == START or any(p.path == path for p in site.pages):
            path = "/" + label["file"].split("/", 1)[1]
        site.pages.append(MirrorPage(label, path, (root / label["file"]).read_bytes()))
    return list(sites.values())


def free_port(sites: list[MirrorSite], start: int = 19400) -> int:
    for port in range(start, start + 5000, 7):
        if all(port_free(site.address, port) for site in sites):
            return port
    raise RuntimeError("no port is free on every mirror address")


def rewrite(body: bytes, host: str, port: int) -> bytes:
    """Absolute links to ``host`` (any scheme, any port) lead to the mirror's port instead."""
    pattern = re.compile(rb"https?://" + re.escape(host.encode()) + rb"(?::\d+)?(?=[/\"'?#\s>]|$)")
    return pattern.sub(b"http://" + host.encode() + b":" + str(port).encode(), body)


def start_page(site: MirrorSite) -> str:
    links = "".join(
        f'<li><a href="{html.escape(page.path)}">{html.escape(_title(page))}</a></li>'
        for page in site.pages
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(site.host)}</title></head><body>"
        f'<div class="nav"><ul>{links}</ul></div></body></html>'
    )


def _title(page: MirrorPage) -> str:
    text = page.body.decode("utf-8", "replace")
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    title = " ".join(html.unescape(m.group(1)).split()) if m else ""
    return title[:40] or page.label["file"].split("/", 1)[1]


def serve(sites: list[MirrorSite], port: int) -> None:
    """Start a server for every site (its pages, the start page, 404 for the rest)."""
    for site in sites:
        routes: dict[str, Any] = {START: Reply(body=start_page(site))}
        for page in site.pages:
            # The corpus files are UTF-8 (some decoded from GBK by the index that served them,
            # their meta still saying gb2312): the header says what the bytes are.
            routes[page.path] = Reply(body=rewrite(page.body, site.host, port))
        site.server = FixtureServer(site.address, routes, port=port).start()


def stop(sites: list[MirrorSite]) -> None:
    for site in sites:
        if site.server is not None:
            site.server.stop()
            site.server = None


def hosts_env(sites: list[MirrorSite]) -> str:
    """The value of :data:`HOSTS_ENV`: ``host=address`` pairs."""
    return ",".join(f"{site.host}={site.address}" for site in sites)


def region_sites(sites: list[MirrorSite], port: int) -> list[dict[str, Any]]:
    return [
        {
            "id": site.site_id,
            "name_zh": site.host,
            "level": "county",
            "url": site.url(port),
        }
        for site in sites
    ]


def label_of(sites: list[MirrorSite], url: str) -> dict[str, Any] | None:
    """The label of the corpus page the mirror serves at ``url``."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for site in sites:
        if site.host == parts.hostname:
            for page in site.pages:
                if page.path == path:
                    return page.label
    return None
