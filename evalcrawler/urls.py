"""URL normalisation and site membership, shared by the crawler and the metrics.

Both sides must agree on when two links point at the same target and when a target belongs to
a site, or the counts of link targets would drift apart. See docs/metrics.md ("Normalised
URL", "internal").
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Session ids that some CMSs put in URLs: the same page under endless ids is a crawler trap.
_SESSION_PARAM = re.compile(
    r"(?i)^(jsessionid|phpsessid|aspsessionid\w*|sid|sessionid|session_id)=", re.ASCII
)
_PATH_SESSION = re.compile(r"(?i);jsessionid=[^/?#]*")

HTML_EXTENSIONS = frozenset(
    {
        "",
        ".htm",
        ".html",
        ".shtml",
        ".shtm",
        ".xhtml",
        ".jhtml",
        ".jsp",
        ".jspx",
        ".php",
        ".asp",
        ".aspx",
        ".do",
        ".action",
        ".cgi",
        ".pl",
        ".nsf",
    }
)


@lru_cache(maxsize=65536)
def normalise(url: str) -> str:
    """Absolute URL → normal form: no fragment, lower-case scheme and host, no default port,
    ``/`` for an empty path, session ids removed; the query string is otherwise kept."""
    try:
        parts = urlsplit(safe_url_string(url.strip()))
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if port and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = parts.query
    if query:
        query = "&".join(p for p in query.split("&") if p and not _SESSION_PARAM.match(p))
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """``host`` or ``host:port`` (non-default port), lower case."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def is_internal(url: str, hosts: frozenset[str]) -> bool:
    """The URL is http(s) and on one of the site's hosts (the scheme does not matter)."""
    if not url.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        return False
    host = host_of(url)
    if host in hosts:
        return True
    # A site registered as https://host/ is also http://host/ and vice versa: a host given
    # with an explicit default port of the other scheme still matches the bare host.
    bare = host.rsplit(":", 1)[0] if host.endswith((":80", ":443")) else None
    return bare is not None and bare in hosts


def extension(url: str) -> str:
    """The lower-case file extension of the URL path (``.pdf``), or ``""``."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return ""
    return "." + name.rsplit(".", 1)[-1].lower()


def looks_like_page(url: str) -> bool:
    """Worth fetching as a page (HTML) rather than only checking (a .pdf, .doc, image ...)."""
    return extension(url) in HTML_EXTENSIONS
