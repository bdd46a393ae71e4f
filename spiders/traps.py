"""Crawler traps: links that would let one site swallow its page budget without end.

A page budget bounds every site, but a trap that eats the budget leaves the site's real
sections unfetched, makes the crawl hammer one path and makes results depend on the trap.
:class:`TrapGuard` keeps one site's crawl out of the usual traps and counts what it cut, so
that the site's verdict can say so (``partial``, reason ``crawler trap: …``; see
docs/metrics.md, "Site status"). Session ids in URLs (``;jsessionid=``, ``?sid=`` …) are no
trap: :func:`evalcrawler.urls.normalise` removes them, so the same page is fetched once.

The rules, each chosen so that ordinary government CMS URLs never meet them:

* **Ever deeper paths**: a path of more than :data:`MAX_PATH_SEGMENTS` segments, or one that
  repeats a segment more than :data:`MAX_SEGMENT_REPEATS` times (``/a/sub/sub/sub/``: a
  relative link that resolves against itself). Heritrix uses the same two rules.
* **The same page under endless query strings**: a page that links to its own path under a
  new query string and shows the same text as the page it was found on, more than
  :data:`SAME_PAGE_QUERIES` times: links to that path found on pages of that path are cut.
  Requiring the link to come from the same path keeps sites that serve everything from one
  script (``index.php?…&id=N``) safe: their articles are found on list pages.
* **An endless calendar**: a URL that holds a year (19xx/20xx) and has the same pattern (digits
  aside) as the page it was found on continues a chain of dated pages; a chain longer than
  :data:`CALENDAR_CHAIN` links (a year of months) is cut.

A cut link is neither fetched nor checked: a trap gets no request beyond the limit.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

MAX_PATH_SEGMENTS = 16
MAX_SEGMENT_REPEATS = 2
SAME_PAGE_QUERIES = 3
CALENDAR_CHAIN = 12

_DIGITS = re.compile(r"\d+")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?:\d{2}(?:\d{2})?)?(?!\d)")

DEEP = "deep"
QUERY = "query"
CALENDAR = "calendar"

_WHY = {
    DEEP: (
        f"paths deeper than {MAX_PATH_SEGMENTS} segments or repeating a segment more than "
        f"{MAX_SEGMENT_REPEATS} times"
    ),
    QUERY: "the same page under ever new query strings",
    CALENDAR: f"a chain of more than {CALENDAR_CHAIN} dated pages, each linked from the last",
}


def _pattern(url: str) -> str:
    """Host, path and the query's keys, with every run of digits replaced by ``0``."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return _DIGITS.sub("0", f"{parts.netloc}{parts.path}?{'&'.join(keys)}")


def _where(path: str) -> str:
    """The first folder of a path (``/calendar/``), or the path itself at the top level."""
    segments = [s for s in path.split("/") if s]
    if len(segments) > 1 or path.endswith("/"):
        return f"/{segments[0]}/" if segments else "/"
    return path or "/"


def deep_path(path: str) -> bool:
    """Too many segments, or one segment repeated too often."""
    segments = [s for s in path.split("/") if s]
    if len(segments) > MAX_PATH_SEGMENTS:
        return True
    counts = Counter(segments)
    return bool(counts) and max(counts.values()) > MAX_SEGMENT_REPEATS


class TrapGuard:
    """The trap rules for one site (see the module docstring)."""

    def __init__(self) -> None:
        self._text: dict[str, int] = {}  # fetched URL → hash of its visible text
        self._same_page: Counter[str] = Counter()  # path → same-text query variants seen
        self.cut: Counter[tuple[str, str]] = Counter()  # (rule, where) → URLs not followed

    def saw_page(self, url: str, found_on: str | None, text: str) -> None:
        """A page was fetched: remember its text, and whether it repeats the page it was
        found on under another query string of the same path."""
        digest = zlib.crc32(text.encode("utf-8", "replace"))
        self._text[url] = digest
        if not found_on or found_on not in self._text:
            return
        here, there = urlsplit(url), urlsplit(found_on)
        if (
            here.query
            and (here.netloc, here.path) == (there.netloc, there.path)
            and here.query != there.query
            and self._text[found_on] == digest
        ):
            self._same_page[f"{here.netloc}{here.path}"] += 1

    def judge(self, url: str, found_on: str | None, chain: int) -> tuple[str | None, int]:
        """Whether a link is a trap (the rule's name, else ``None``), and the length of the
        chain of dated pages it continues (``chain`` is that of the page it was found on)."""
        parts = urlsplit(url)
        if deep_path(parts.path):
            return DEEP, 0
        if found_on:
            there = urlsplit(found_on)
            same_path = (parts.netloc, parts.path) == (there.netloc, there.path)
            if (
                same_path
                and parts.query
                and self._same_page[f"{parts.netloc}{parts.path}"] >= SAME_PAGE_QUERIES
            ):
                return QUERY, 0
            if _YEAR.search(f"{parts.path}?{parts.query}") and _pattern(url) == _pattern(found_on):
                chain += 1
                return (CALENDAR if chain > CALENDAR_CHAIN else None), chain
        return None, 0

    def record_cut(self, rule: str, url: str) -> None:
        path = urlsplit(url).path or "/"
        self.cut[(rule, path if rule == QUERY else _where(path))] += 1

    def reasons(self) -> list[str]:
        """One ``crawler trap: …`` line per rule, naming where and how many URLs were cut."""
        by_rule: dict[str, list[str]] = {}
        for (rule, where), count in sorted(self.cut.items()):
            urls = "URL" if count == 1 else "URLs"
            of = "of" if rule == QUERY else "under"
            by_rule.setdefault(rule, []).append(f"{count} {urls} {of} {where}")
        return [
            f"crawler trap: {' and '.join(places)} not followed ({_WHY[rule]})"
            for rule, places in by_rule.items()
        ]
