"""Fast URL normalisation for metrics: the crawler's rules, without its cost on common URLs.

Metrics must normalise link targets exactly as the crawler does (``evalcrawler.urls``), or the
counts of targets, checks and broken links would drift apart. That function goes through w3lib
and urlsplit (tens of microseconds a URL), which dominates the scoring of a large crawl. Most
stored URLs are already in normal form: plain ASCII, lower-case host, a path, a simple query.
For those, :func:`normalised` recognises the form with one regular expression and returns the
URL unchanged; everything else goes to ``evalcrawler.urls.normalise``. A test checks that the
fast path never disagrees with it.
"""

from __future__ import annotations

import re

from evalcrawler.urls import is_internal, normalise

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
# Session parameters are removed by normalise(): any URL that could hold one takes the slow path.
_SESSION_HINT = re.compile(r"(?i)sid|session")


def normalised(url: str) -> str:
    """``evalcrawler.urls.normalise(url)``, fast for URLs already in normal form."""
    if _CANONICAL.fullmatch(url) and not _SESSION_HINT.search(url):
        return url
    return normalise(url)


def internal_key(url: str, hosts: frozenset[str]) -> str | None:
    """The normalised URL when ``url`` is an http(s) URL on one of ``hosts``, else None."""
    match = _CANONICAL.fullmatch(url)
    if match and not _SESSION_HINT.search(url):
        # In normal form the netloc is exactly the host (with a non-default port, if any).
        return url if match.group(1) in hosts else None
    if not url.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        return None
    norm = normalise(url)
    return norm if is_internal(norm, hosts) else None
