"""URL normalisation and site membership, shared by the extractor, the crawler and the metrics.

All of them must agree on when two links point at the same target and when a target belongs to
a site, or the counts of link targets would drift apart, so :func:`normalise` is the one URL
normaliser of evalcrawl. See docs/metrics.md ("Normalised URL", "internal").

The full rules go through w3lib and urlsplit (tens of microseconds a URL), which would dominate
the scoring of a large crawl. Most stored URLs are already in normal form: plain ASCII,
lower-case host, a path, a simple query. :func:`normalise` recognises that form with one
regular expression and returns such a URL unchanged; everything else takes the full rules. A
test checks that the fast path never disagrees with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
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


# Characters that w3lib leaves alone ('%' and ';' left out: percent escapes and ;jsessionid=
# need the full treatment). In a query it also escapes the apostrophe.
_PATH = r"A-Za-z0-9\-._~/!$'()*+,=:@"
_QUERY = r"A-Za-z0-9\-._~/!$()*+,=:@?"
_CANONICAL = re.compile(
    r"https?://"
    r"([a-z0-9.\-]+(?::(?!80/|443/)[1-9][0-9]*)?)"  # lower-case host, no default port
    rf"/[{_PATH}]*"  # a path, never empty
    rf"(?:\?[{_QUERY}]+(?:&[{_QUERY}]+)*)?"  # a query without empty parts
)
# Session parameters are removed by the full rules: a URL that could hold one takes them.
_SESSION_HINT = re.compile(r"(?i)sid|session")


def normalise(url: str) -> str:
    """Absolute URL → normal form: no fragment, lower-case scheme and host, no default port,
    ``/`` for an empty path, percent-escaped (as w3lib does), session ids removed; the query
    string is otherwise kept. Two URLs are the same target when their normal forms are equal.

    A URL already in normal form is returned as it is, without the cost of the full rules."""
    if _CANONICAL.fullmatch(url) and not _SESSION_HINT.search(url):
        return url
    return _normalise(url)


@lru_cache(maxsize=65536)
def _normalise(url: str) -> str:
    """The full rules of :func:`normalise`."""
    try:
        parts = urlsplit(safe_url_string(url.strip()))
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = _netloc(scheme, parts.hostname or "", port, parts.username or None)
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = parts.query
    if query:
        query = "&".join(p for p in query.split("&") if p and not _SESSION_PARAM.match(p))
    return urlunsplit((scheme, netloc, path, query, ""))


def http_url(url: str) -> str | None:
    """An absolute http(s) URL as the extractor records it: :func:`normalise`'s rules for the
    scheme, host, port, fragment and empty path, while the path and query stay as written (no
    escaping, session ids kept: :func:`normalise` decides which targets are the same).
    ``None`` for other schemes, URLs without a host and unparsable URLs."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port
    except ValueError:
        return None
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else None
    netloc = _netloc(scheme, parts.hostname, port, userinfo)
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _netloc(scheme: str, host: str, port: int | None, userinfo: str | None) -> str:
    """``[userinfo@]host[:port]``: lower-case host, IPv6 literal in brackets, no default port."""
    host = host.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host if userinfo is None else f"{userinfo}@{host}"


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


def site_hosts(url: str, aliases: Iterable[str] = ()) -> frozenset[str]:
    """The hosts of a site registered at ``url`` with these aliases (see :func:`host_of`)."""
    return frozenset(host_of(u) for u in [url, *aliases])


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


def internal_key(url: str, hosts: frozenset[str]) -> str | None:
    """The normalised URL when ``url`` is an http(s) URL on one of ``hosts``, else None."""
    match = _CANONICAL.fullmatch(url)
    if match and not _SESSION_HINT.search(url):
        # In normal form the netloc is exactly the host (with a non-default port, if any).
        return url if match.group(1) in hosts else None
    if not url.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        return None
    norm = _normalise(url)
    return norm if is_internal(norm, hosts) else None


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


def matches_pattern(url: str, patterns: Iterable[str]) -> str | None:
    """The first URL pattern (a region file's ``extract.not_columns``) that ``url`` matches, or
    ``None``. A pattern that starts with ``/`` is matched against the URL's path (with its
    query, when it has one), any other against the whole URL; ``*`` matches any run of
    characters, ``/`` included, ``?`` one character (shell-style, case-sensitive)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for pattern in patterns:
        subject = path if pattern.startswith("/") else url
        if fnmatchcase(subject, pattern) or (
            pattern.startswith("/") and fnmatchcase(parts.path or "/", pattern)
        ):
            return pattern
    return None
