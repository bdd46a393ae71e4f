"""Link targets as the crawl keeps them: absolute, normalised http(s) URLs.

:func:`absolute_url` resolves an ``href`` the way browsers do (tabs and newlines dropped,
spaces trimmed, ``javascript:``/``mailto:``/bare ``#fragment`` are no links) and
:func:`evalcrawler.urls.http_url` puts a URL in the form ``docs/metrics.md`` calls normalised
(fragment removed, scheme and host lower case, default port dropped, empty path ``/``). The common
cases (absolute links into the site, plain paths) skip urllib, which costs more than the rest
of a link's handling on list pages with 10,000 rows.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from evalcrawler.urls import http_url

_NON_HTTP = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:", "ftp:")


def absolute_url(base: str, href: str | None) -> str | None:
    """Resolve an ``href`` against the page (or ``<base>``) URL; ``None`` when it does not lead
    to an http(s) resource (``javascript:``, ``mailto:``, a bare ``#fragment``)."""
    if href is None:
        return None
    # Browsers drop tabs and newlines anywhere in a URL and trim spaces around it.
    href = href.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    if not href or href.startswith("#"):
        return None
    low = href[:12].lower()
    if low.startswith(_NON_HTTP):
        return None
    m = _SIMPLE_ABSOLUTE.match(href)
    if m and "/." not in (m.group(4) or ""):
        # The common case, absolute links into the site, without urllib's cost.
        scheme, host, port, path = m.groups()
        number = int(port) if port else None
        if number is not None and number > 65535:
            return None
        if number is not None and (scheme, number) not in (("http", 80), ("https", 443)):
            host = f"{host}:{number}"
        return f"{scheme}://{host}{path or '/'}"
    if _SIMPLE_HREF.match(href):
        # Most hrefs are plain paths ("/a/b.html", "b.html?id=1"): join them without urllib,
        # which costs more than the rest of a link's handling on list pages with 10,000 rows.
        prefix = _base_parts(base)
        if prefix is not None:
            origin, directory = prefix
            path = href.split("#", 1)[0]
            return origin + path if href.startswith("/") else origin + directory + path
    try:
        joined = urljoin(base, href.replace("\\", "/"))
    except ValueError:
        return None
    return http_url(joined)


# An absolute http(s) URL already in normal form but for its fragment and default port.
_SIMPLE_ABSOLUTE = re.compile(
    r"(https?)://([a-z0-9][a-z0-9.\-]*)(?::(\d{1,5}))?(/[^\s\\#]*)?(?:#.*)?$"
)
# A path with no scheme, no authority, no dot segments and no backslash.
_SIMPLE_HREF = re.compile(
    r"(?![/?]/|\?)(?![^/?#]*:)(?!\.{1,2}(?:/|$))(?!.*/\.{1,2}(?:/|$|[?#]))[^\\\s]+$"
)


@lru_cache(maxsize=64)
def _base_parts(base: str) -> tuple[str, str] | None:
    """(``scheme://host[:port]``, directory path ending in ``/``) of a normalised base URL."""
    norm = http_url(base)
    if norm is None:
        return None
    parts = urlsplit(norm)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rsplit("/", 1)[0] + "/"
