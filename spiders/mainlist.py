"""The main list of a page (docs/metrics.md, "Main list"): which dated items are one list.

The items :mod:`evalcrawler.spiders.items` finds each belong to a list element (an ``li``'s
``ul``, a ``tr``'s ``table``, the parent of ``div`` rows). Templates cut one list into blocks
(gov.cn's ``ul.list01`` groups of six, tables of five rows between spacer tables, Pingtan's
``div > ul`` blocks of five), and portals set several lists side by side: :func:`main_list`
puts blocks of one list together and keeps the boxes of a portal apart, then picks the lead
list: the first of the lists like the longest one. Each test climbs a few levels or reads a
few nodes: linear in the number of lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalcrawler.spiders.walk import class_marks

if TYPE_CHECKING:
    from evalcrawler.spiders.items import Item


def main_list(items: list[Item]) -> list[Item]:
    """The page's lead list: the first list that has the tag and class of the longest one and
    at least half its dated items (and three), else the longest. Lists of one shape that follow
    each other are one list (:func:`_list_groups`: gov.cn writes a column as several
    ``ul.list01`` of six, Pingtan as fifteen ``div > ul`` blocks of five); lists hidden with an
    inline ``display:none`` (inactive tabs) are not candidates while a shown one exists."""
    keys = _list_groups(items)
    groups: dict[Any, list[Item]] = {}
    hidden: dict[Any, bool] = {}
    climbed: dict[Any, bool] = {}
    for it in items:
        el = it.list_el
        groups.setdefault(keys[el], []).append(it)
        if el not in hidden:
            hidden[el] = _hidden(el, climbed)
    visible = {k: [it for it in g if not hidden[it.list_el]] for k, g in groups.items()}
    if not any(visible.values()):
        visible = groups
    best: list[Item] = []
    for group in visible.values():
        if len(group) > len(best) or (
            len(group) == len(best)
            and group
            and best
            and group[0].first_piece < best[0].first_piece
        ):
            best = group
    if not best:
        return best
    # The lead list: the first list of the largest one's shape (one template writes a portal's
    # boxes) and of a comparable size. A portal's boxes of 8, 9, 5 and 10 rows: the first box
    # leads, the page's top; a column's 20 rows beat a box of 5, and a side box of another
    # markup never leads.
    shape = _shape(best[0].list_el)
    return min(
        (
            g
            for g in visible.values()
            if len(g) >= _LEAD_MIN
            and len(g) * _LEAD_RATIO >= len(best)
            and _shape(g[0].list_el) == shape
        ),
        key=lambda g: g[0].first_piece,
        default=best,
    )


def _shape(el: Any) -> tuple[Any, Any]:
    return el.tag, el.get("class")


# A list leads the page when it holds this many dated items at least and no fewer than a
# 1/_LEAD_RATIO share of the largest list's.
_LEAD_MIN = 3
_LEAD_RATIO = 2


# How far a list climbs through wrappers that hold nothing else (div > ul, td > table; an
# item's table in a td > tr > tbody > table of its own, as Xinxiang's news tabs).
_WRAPPER_LEVELS = 5
# An element with more nodes than this is never a spacer (the test reads no further).
_SPACER_NODES = 64


def _list_groups(items: list[Item]) -> dict[Any, Any]:
    """The group of each item's list element: lists of one shape that follow each other.

    A list climbs through the wrappers that hold nothing else but blank elements (a ``div``
    around each ``ul`` block, a ``td`` around a table), at most :data:`_WRAPPER_LEVELS` levels,
    never through a tab pane (:data:`_TAB_MARKS`: panes are lists of their own);
    its shape is the tags and classes from that top wrapper down to the list. A list joins the
    group of the nearest list before it among its top's siblings when both have one shape and
    only blank elements or elements without links lie between them (spacer tables, year
    headings). An element with a link between them (a box heading ``政府公报 >>``, a ``更多``
    link) starts a new group: that is the next box of a portal, not the same list."""
    out: dict[Any, Any] = {}
    tops: dict[Any, tuple[tuple[Any, ...], int]] = {}  # top wrapper → (shape, group)
    children: dict[Any, tuple[Any, ...]] = {}
    for it in items:
        el = it.list_el
        if el in out:
            continue
        top, shape = _climb(el, children)
        group = -1
        sib = top.getprevious()
        while sib is not None:
            if not isinstance(sib.tag, str) or _no_link(sib):
                sib = sib.getprevious()
                continue
            found = tops.get(sib)
            if found is not None and found[0] == shape:
                group = found[1]
            break
        if group < 0:
            group = len(tops)
        tops[top] = (shape, group)
        parent = top.getparent()
        out[el] = (parent if parent is not None else top, shape, group)
    return out


def _climb(el: Any, cache: dict[Any, tuple[Any, ...]]) -> tuple[Any, tuple[Any, ...]]:
    """The list's top wrapper and the shape from there down."""
    node = el
    shape = [(el.tag, el.get("class"))]
    for _ in range(_WRAPPER_LEVELS):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html") or _tab_pane(parent):
            break
        if not _wraps(parent, node, cache):
            break
        node = parent
        shape.append((parent.tag, parent.get("class")))
    return node, tuple(reversed(shape))


# Wrappers so named are tab panes or slides: each holds a list of its own (gov.cn's
# ``div.tab_con``, SuperSlide's ``div.bd``), shown one at a time by a script.
_TAB_MARKS = ("tab", "con", "pane", "bd", "slide", "swiper", "switch", "qh")


def _tab_pane(el: Any) -> bool:
    marks = class_marks(el)
    return bool(marks) and any(m in marks for m in _TAB_MARKS)


def _wraps(parent: Any, child: Any, cache: dict[Any, tuple[Any, ...]]) -> bool:
    """``parent`` holds nothing but ``child`` and blank elements (no text, no link). ``cache``
    keeps each parent's content children (two at most): every child is read once, however
    many lists climb to the parent."""
    content = cache.get(parent)
    if content is None:
        content = _content_children(parent)
        cache[parent] = content
    return content == (child,)


def _content_children(parent: Any) -> tuple[Any, ...]:
    """The first two children that are not blank; loose text counts as one (``None``)."""
    if parent.text and parent.text.strip():
        return (None,)
    found: list[Any] = []
    for node in parent:
        if isinstance(node.tag, str) and not _blank(node):
            found.append(node)
        if node.tail and node.tail.strip():
            found.append(None)
        if len(found) >= 2:
            break
    return tuple(found[:2])


def _blank(el: Any) -> bool:
    """No link and no text (a spacer, a dashed rule), read no further than a few nodes."""
    for n, node in enumerate(el.iter()):
        if n > _SPACER_NODES or node.tag == "a":
            return False
        if node is not el and node.tail and node.tail.strip():
            return False
        shown = isinstance(node.tag, str) and node.tag not in ("script", "style")
        if shown and node.text and node.text.strip():
            return False
    return True


def _no_link(el: Any) -> bool:
    """No ``<a>`` in the element, read no further than a few nodes (a longer one counts as
    holding a link: it is content, not a spacer)."""
    return all(n <= _SPACER_NODES and node.tag != "a" for n, node in enumerate(el.iter()))


def _hidden(el: Any, cache: dict[Any, bool]) -> bool:
    """Hidden by an inline style, the ``hidden`` attribute or a class that says so (``hide``,
    ``tabbertabhide_01``, ``hidden``, ``d-none``: inactive tabs), its own or an ancestor's."""
    path = []
    node = el
    hidden = False
    while node is not None:
        if node in cache:
            hidden = cache[node]
            break
        style = node.get("style")
        if style:
            s = style.replace(" ", "").lower()
            if "display:none" in s or "visibility:hidden" in s:
                hidden = True
                break
        if node.get("hidden") is not None or _hiding_class(node.get("class")):
            hidden = True
            break
        path.append(node)
        node = node.getparent()
    for seen in path:
        cache[seen] = hidden
    if node is not None:
        cache[node] = hidden
    return hidden


def _hiding_class(cls: str | None) -> bool:
    if not cls:
        return False
    for token in cls.lower().split():
        if "hide" in token or token in ("hidden", "d-none", "is-hidden"):
            return True
    return False
