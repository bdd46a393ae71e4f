"""The date each dated item takes (docs/metrics.md, "Dates", "Dated link").

:func:`resolve_items` gives a month-day date its year (the same day in the item's link, the
list's heading, the page's publish date, the fetch date) and falls back on the date in the
item's URL path only where the item shows none; :func:`url_dated_lists` keeps such URL dates
only in lists whose rows carry dates (a list template that links by date), not for a lone row
of an undated box whose link path happens to hold one. Every climb is cached: linear in the
number of lists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from evalcrawler.spiders import dates
from evalcrawler.spiders.items import Item
from evalcrawler.spiders.walk import class_marks, short_text

_HEADING_MARKS = ("tit", "head", "bt", "caption")


_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption"})
_HEADING_MAX = 80  # a heading is short; a longer text before a list is content
_SIBLINGS_LOOKED_AT = 12  # elements and comments before a list that may be its heading


def _heading_year(list_el: Any, levels: dict[Any, int | None]) -> int | None:
    """The year of a list's heading: the nearest heading-like element before the list (its own
    siblings, then its ancestors' siblings, three levels up) that shows ``YYYY年``. ``levels``
    keeps what each element's own level gave, for every list of the page."""
    node = list_el
    for _ in range(4):
        if node is None:
            return None
        if node not in levels:
            levels[node] = _level_year(node)
        if levels[node]:
            return levels[node]
        node = node.getparent()
    return None


def _level_year(node: Any) -> int | None:
    """The year a table's caption or one of the three elements before ``node`` shows."""
    if node.tag == "table":
        caption = node.find("caption")
        if caption is not None:
            year = dates.heading_year(short_text(caption)[0][:_HEADING_MAX])
            if year:
                return year
    sib = node.getprevious()
    elements = nodes = 0
    while sib is not None and elements < 3 and nodes < _SIBLINGS_LOOKED_AT:
        nodes += 1
        if isinstance(sib.tag, str):
            elements += 1
            if sib.tag in _HEADING_TAGS or any(m in class_marks(sib) for m in _HEADING_MARKS):
                text, whole = short_text(sib)
                if whole and len(text) <= _HEADING_MAX:
                    year = dates.heading_year(text)
                    if year:
                        return year
        sib = sib.getprevious()
    return None


def resolve_items(items: list[Item], fetched: date, page_year: int | None) -> list[Item]:
    """The items that take a date, each with its date (docs/metrics.md, "Dates")."""
    heading_years: dict[Any, int | None] = {}
    levels: dict[Any, int | None] = {}
    out = []
    url_only: list[Item] = []
    for it in items:
        for hit in it.hits:
            context = None
            if hit.year is None:
                # The year of a date of the same month and day in the link's URL is the item's
                # own (as a year written next to it); else the list heading's, the page's.
                own = dates.url_year(it.main.url, hit.month, hit.day)
                if own is not None:
                    value = dates.to_date(own, hit.month, hit.day)
                    if value is not None and value <= fetched:
                        it.date, it.raw = value, " ".join(hit.raw.split())
                        break
                    continue
                if it.list_el not in heading_years:
                    heading_years[it.list_el] = _heading_year(it.list_el, levels)
                context = heading_years[it.list_el] or page_year
            value = dates.hit_date(hit, fetched, context)
            if value is not None:
                it.date, it.raw = value, " ".join(hit.raw.split())
                break
        if it.date is None and it.url_date is not None:
            it.date, it.raw = it.url_date
            url_only.append(it)
        if it.date is not None:
            out.append(it)
    if not url_only:
        return out
    held = url_dated_lists(out, {it.list_el for it in url_only})
    dropped = {id(it) for it in url_only if it.list_el not in held}
    return [it for it in out if id(it) not in dropped]


# The rows of a list counted, at most (a longer list is a list whatever the share).
_ROWS_READ = 1_000


def url_dated_lists(items: list[Item], lists: set[Any]) -> set[Any]:
    """Those of ``lists`` whose rows carry dates: at least half of the rows that hold a link
    are dated items (shown dates or dates in their URLs). The date in a URL path is a row's
    date where the list's template links by date; in a box of undated links (新闻发布:
    ``xinwen/2014-06/19/…``, ``2014lh/live/20140302a.htm``, ``gzdt/…``) one compact date in one
    path is no date the page shows."""
    dated: dict[Any, int] = {}
    for it in items:
        if it.list_el in lists:
            dated[it.list_el] = dated.get(it.list_el, 0) + 1
    return {el for el in lists if dated.get(el, 0) * 2 >= _linked_rows(el)}


def _linked_rows(list_el: Any) -> int:
    """The rows of a list element that hold a link: a table's ``tr`` (through ``tbody``), a
    ``ul``'s ``li``, a ``dl``'s ``dt``, else its child elements."""
    if list_el.tag == "table":
        rows = [
            row
            for child in list_el
            for row in ([child] if child.tag == "tr" else child if child.tag in _SECTIONS else [])
            if row.tag == "tr"
        ]
    elif list_el.tag in ("ul", "ol", "menu"):
        rows = [child for child in list_el if child.tag == "li"]
    elif list_el.tag == "dl":
        rows = [child for child in list_el if child.tag == "dt"] or list(list_el)
    else:
        rows = [child for child in list_el if isinstance(child.tag, str)]
    return sum(1 for row in rows[:_ROWS_READ] if next(row.iter("a"), None) is not None)


_SECTIONS = ("thead", "tbody", "tfoot")
