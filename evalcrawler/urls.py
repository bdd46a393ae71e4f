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


# Second-level names under which a registered domain takes three labels (www.x.gov.cn → x.gov.cn).
_SECOND_LEVEL = frozenset({"gov", "com", "org", "net", "edu", "ac", "mil"})


def registered_domain(host: str) -> str:
    """The domain a host was registered under: ``www.taiyuan.gov.cn`` → ``taiyuan.gov.cn``,
    ``search.example.com`` → ``example.com``; an IP address (or a one-label name) is its own."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or all(part.isdigit() for part in labels) or ":" in name:
        return name
    take = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-take:])


def same_site_family(url: str, hosts: frozenset[str]) -> bool:
    """The URL is http(s) and on one of the site's hosts or under the same registered domain
    (a site search served by ``search.x.gov.cn`` for ``www.x.gov.cn``)."""
    if is_internal(url, hosts):
        return True
    if not url.lower().startswith(("http://", "https://")):
        return False
    domain = registered_domain(host_of(url))
    return any(registered_domain(h) == domain for h in hosts)
