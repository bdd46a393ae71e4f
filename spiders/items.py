"""Dated items of a page (docs/metrics.md, "Dated link").

:func:`collect_items` finds every list item (``li``, ``tr``, ``dt`` with its ``dd``, a block
that holds one link, a repeated row block of one link target, each line of a block of
``link date`` lines) that shows a date candidate; :mod:`evalcrawler.spiders.itemdates` gives
each its date and :mod:`evalcrawler.spiders.mainlist` picks the page's lead list. Every step
is linear in the page: an item reads its own pieces (by structure id and bisection), nested
blocks are read once (:class:`_BlockLines`), and every climb up the tree (to a list, a
heading) is cached.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from evalcrawler.spiders import dates
from evalcrawler.spiders.walk import (
    FOOTER,
    HARD,
    P_COMMENT,
    LinkRec,
    Span,
    Walk,
    render,
)

Scan = Callable[..., list[dates.DateHit]]  # dates.scan, or a site's own (spiders/corrections)

# Text (outside its link) a parent-block item may show: a title's date, source, summary.
_BLOCK_ITEM_MAX = 300
_COMMENT_YEAR = re.compile(r"\s*((?:19|20)\d{2})\s*年?\s*")


@dataclass(slots=True)
class Item:
    """A list item with a date (or date candidates, resolved once the page's years are known)."""

    key: Any
    elements: list[Any]
    list_el: Any
    links: list[LinkRec]
    main: LinkRec
    hits: list[dates.DateHit]
    url_date: tuple[date, str] | None
    spans: list[Span]  # the item's stretches of the piece stream
    first_piece: int
    date: date | None = None
    raw: str = ""


_LIST_OF = {"li": ("ul", "ol", "menu"), "tr": ("table",)}


def _list_element(item_el: Any, tag: str, cache: dict[Any, Any]) -> Any:
    """The list an item belongs to: an li's ul/ol/menu, a tr's table, else the parent."""
    parent = item_el.getparent()
    wanted = _LIST_OF.get(tag)
    found = None if wanted is None else _nearest(parent, wanted, cache)
    if found is not None:
        return found
    return parent if parent is not None else item_el


def _nearest(node: Any, tags: tuple[str, ...], cache: dict[Any, Any]) -> Any:
    """``node`` or its nearest ancestor with one of ``tags`` (None if none). ``cache`` is
    shared by every call with the same ``tags``: each element is climbed over once."""
    path = []
    found = None
    while node is not None:
        if node in cache:
            found = cache[node]
            break
        if node.tag in tags:
            found = node
            break
        path.append(node)
        node = node.getparent()
    for el in path:
        cache[el] = found
    return found


def _own_pieces(w: Walk, span: Span) -> list[int]:
    """The indexes of the pieces of ``span`` that are its own (nested lists left out): those
    of its structure id, found by bisection, so nested items do not read each other's."""
    index = w.sid_index()
    at = index.get(span.sid, [])
    return at[bisect_left(at, span.start) : bisect_left(at, span.end)]


def _segments(w: Walk, spans: list[Span]) -> list[tuple[int, str]]:
    """The item's own text as (link id or -1, raw text) runs, nested lists left out.

    A comment counts only when it is a bare year: that is the TRS list trap
    ``<!-- 2018-->07-04`` (docs/metrics.md). Other comments (commented-out markup, old dates)
    are not shown and give nothing."""
    pieces = w.pieces
    links: list[int] = []
    runs: list[list[str]] = []
    for span in spans:
        for i in _own_pieces(w, span):
            text, link, _sid, flags = pieces[i]
            if flags & P_COMMENT:
                m = _COMMENT_YEAR.fullmatch(text)
                text = f" {m.group(1)} " if m else " "
            if links and links[-1] == link:
                runs[-1].append(text)
            else:
                links.append(link)
                runs.append([text])
    return [(link, "".join(run)) for link, run in zip(links, runs, strict=True)]


def _edge_hits(text: str, scan: Scan = dates.scan) -> list[dates.DateHit]:
    """Dates a link text shows at its very start or end (``[07-04] 标题``, ``标题 2020-08-05``);
    a date in the middle of a title is part of the title."""
    core = text.strip(" []【】()（）·|-—")
    if not core:
        return []
    offset = text.find(core)
    out = []
    for hit in scan(core):
        if hit.start <= 0 or hit.end >= len(core):
            out.append(
                dates.DateHit(
                    hit.year,
                    hit.month,
                    hit.day,
                    hit.start + offset,
                    hit.end + offset,
                    hit.raw,
                    hit.time,
                )
            )
    return out


def collect_items(
    w: Walk, fetched: date, page_url: str | None, scan: Scan = dates.scan
) -> list[Item]:
    """Every item (li, tr, dt+dd, or single-link parent block) that shows a date candidate.
    ``scan`` finds the dates of a text (a site's own date format first, when it has one)."""
    link_starts = [rec.start for rec in w.links]
    dl_groups = _dtdd_groups(w)
    rows = _row_blocks(w, link_starts, fetched, scan)
    groups: dict[int, tuple[list[Span], Any, str, list[LinkRec]]] = {}
    for rec in w.links:
        if rec.url is None or rec.flags & FOOTER:
            continue  # footers never give content dates
        if rec.url == page_url:
            # A link to the page itself (href="#", saved pages' absolutised anchors) is no list
            # entry; its URL would date it by the page's own t20200802 path.
            continue
        if rec.item is not None:
            el = rec.item.el
            members = dl_groups[el] if el.tag in ("dt", "dd") else [rec.item]
            kind = "dl" if el.tag in ("dt", "dd") else el.tag
        elif rec.block is not None:
            members, kind = [rows.get(rec.idx, rec.block)], "block"
        else:
            continue
        key = id(members[0])
        if key not in groups:
            groups[key] = (members, members[0].el, kind, [])
        groups[key][3].append(rec)

    items: list[Item] = []
    lists: dict[Any, Any] = {}
    block_lines = _BlockLines(w, fetched, scan)
    row_keys = {id(span) for span in rows.values()}
    for key, (spans, el, kind, recs) in groups.items():
        # A repeated row block whose links all lead to one target (a thumbnail and its title)
        # is one item, like a block of one link.
        one_link = key in row_keys or (kind == "block" and _links_in(link_starts, spans[0]) == 1)
        if kind == "block" and not one_link and len(recs) >= 2:
            # Several links of one block: "link date" lines, or no item at all (a block item
            # holds exactly one link, below).
            order = block_lines.order(spans[0], recs)
            if order is not None and _alternates(order):
                items.extend(_line_items(spans, el, order))
            continue
        if kind == "block" and not one_link:
            continue
        segs = _segments(w, spans)
        by_id = {r.idx: r for r in recs}
        # The item's order: L = one of its links (the first of adjacent ones), D = one date
        # shown outside the links.
        order = []
        outside: list[dates.DateHit] = []
        for link, text in segs:
            if link < 0:
                hits = [h for h in scan(text) if dates.hit_date(h, fetched) is not None]
                outside.extend(hits)
                order.extend(("D", h) for h in hits)
            elif link in by_id and not (order and order[-1][0] == "L"):
                order.append(("L", by_id[link]))
        if len(recs) >= 2 and _alternates(order):
            # Several "link date" lines in one item: each link takes its own line's date.
            items.extend(_line_items(spans, el, order))
            continue
        if kind == "block":
            # A parent block is an item only when it holds exactly one link (docs/metrics.md)
            # or is a repeated row of one target (:func:`_row_blocks`), and only when it is
            # short: a paragraph of prose with a link and a date in it
            # ("详见<a>通知</a>，自2026年1月1日起施行") is no list entry.
            outside_len = sum(len(text) for link, text in segs if link < 0)
            if (
                outside_len > _BLOCK_ITEM_MAX
                and len(render(" ".join(text for link, text in segs if link < 0))) > _BLOCK_ITEM_MAX
            ):
                continue
        main = max(recs, key=lambda r: len(r.text))  # the title link: the longest text
        hits = outside
        if not hits:
            for rec in recs:
                hits = _edge_hits(rec.text, scan)
                if hits:
                    break
        udate = None if hits else dates.url_date(main.url, fetched)
        if not hits and udate is None:
            continue
        list_el = el.getparent() if kind == "block" else _list_element(el, el.tag, lists)
        items.append(
            Item(
                key=key,
                elements=[s.el for s in spans],
                list_el=list_el if list_el is not None else el,
                links=recs,
                main=main,
                hits=hits,
                url_date=udate,
                spans=spans,
                first_piece=min(s.start for s in spans),
            )
        )
    items.sort(key=lambda it: it.first_piece)
    return items


# How far a link climbs from its own block to the row block that shows its date (a grid cell
# div.tplgd > div.tplgd_wz > a, its date in div.tplgd_sj beside), the links one row may hold
# (an image link and a title link to one target), and the largest row read (pieces).
_ROW_LEVELS = 2
_ROW_LINKS = 3
_ROW_PIECES = 200


def _row_blocks(w: Walk, link_starts: list[int], fetched: date, scan: Scan) -> dict[int, Span]:
    """The row block of each link that sits in a repeated row of a grid (docs/metrics.md,
    "Dated link"): a link whose own block shows no date climbs at most :data:`_ROW_LEVELS`
    blocks while the block's links all lead to one target (a thumbnail and its title), to the
    first that shows a date outside its links; a block of several links to one target that
    shows a date is a row too. Such a block counts only when its parent holds another of the
    same tag and class (rows repeat: a lone info bar with a date and a 分享 link is no row).
    Each block is read once; a climb is bounded in levels and in pieces."""
    spans = {b.el: b for b in w.blocks}
    shows: dict[int, bool] = {}
    targets: dict[int, bool] = {}

    def dated(span: Span) -> bool:
        if id(span) not in shows:
            shows[id(span)] = span.end - span.start <= _ROW_PIECES and any(
                dates.hit_date(h, fetched) is not None
                for link, text in _segments(w, [span])
                if link < 0
                for h in scan(text)
            )
        return shows[id(span)]

    def one_target(span: Span) -> bool:
        if id(span) not in targets:
            lo = bisect_left(link_starts, span.start)
            hi = bisect_left(link_starts, span.end)
            targets[id(span)] = 1 <= hi - lo <= _ROW_LINKS and (
                len({w.links[i].url for i in range(lo, hi)} - {None}) == 1
                and all(w.links[i].url is not None for i in range(lo, hi))
            )
        return targets[id(span)]

    found: dict[int, Span] = {}
    for rec in w.links:
        if rec.item is not None or rec.block is None or rec.url is None or rec.flags & FOOTER:
            continue
        span: Span | None = rec.block
        for level in range(_ROW_LEVELS + 1):
            if span is None or not one_target(span):
                break
            if dated(span):
                if level or _links_in(link_starts, span) > 1:
                    found[rec.idx] = span
                break
            if _edge_hits(rec.text, scan):
                break  # the link shows its own date: its block is the item
            parent = span.el.getparent()
            span = spans.get(parent) if parent is not None else None
    shapes: dict[tuple[Any, ...], int] = {}
    keys: dict[int, tuple[Any, ...]] = {}
    for s in {id(s): s for s in found.values()}.values():
        top = _sole_wrapper(s.el)
        keys[id(s)] = key = (top.getparent(), top.tag, top.get("class"))
        shapes[key] = shapes.get(key, 0) + 1
    return {idx: s for idx, s in found.items() if shapes[keys[id(s)]] >= 2}


def _sole_wrapper(el: Any) -> Any:
    """``el``, or the outermost of at most :data:`_ROW_LEVELS` ancestors that hold nothing but
    it (a panel ``div.subcon`` around its ``div.inner``): the element that repeats."""
    node = el
    for _ in range(_ROW_LEVELS):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html") or (parent.text or "").strip():
            break
        if (node.tail or "").strip() or any(
            isinstance(c.tag, str) for c in parent if c is not node
        ):
            break
        node = parent
    return node


def item_pieces(w: Walk, items: list[Item]) -> bytearray:
    """A mark for each piece that is a dated item's own text. Items can share their spans (the
    lines of one block) and spans can nest: each piece is marked once, whatever the shape."""
    ranges: dict[int, list[tuple[int, int]]] = {}
    seen: set[int] = set()
    for it in items:
        for span in it.spans:
            if id(span) not in seen:
                seen.add(id(span))
                ranges.setdefault(span.sid, []).append((span.start, span.end))
    marks = bytearray(len(w.pieces))
    index = w.sid_index()
    for sid, spans in ranges.items():
        at = index.get(sid, [])
        reached = 0  # the pieces of this sid before it are marked already
        for start, end in sorted(spans):
            lo = bisect_left(at, max(start, reached))
            hi = bisect_left(at, end)
            for i in at[lo:hi]:
                marks[i] = 1
            reached = max(reached, end)
    return marks


def _links_in(link_starts: list[int], span: Span) -> int:
    return bisect_left(link_starts, span.end) - bisect_left(link_starts, span.start)


def _alternates(order: list[tuple[str, Any]]) -> bool:
    """``order`` reads link, date, link, date … (or date, link …): two lines at least."""
    return len(order) >= 4 and len(order) % 2 == 0 and all(a[0] != b[0] for a, b in pairwise(order))


def _line_items(spans: list[Span], el: Any, order: list[tuple[str, Any]]) -> list[Item]:
    """Items of a block that lists several ``link date`` lines (``<a>…</a> (2013-11-15)<br>``):
    each link takes the date of its own line, and the block is their list."""
    link_first = order[0][0] == "L"
    out: list[Item] = []
    for n, (a, b) in enumerate(zip(order[0::2], order[1::2], strict=False)):
        rec, hit = (a[1], b[1]) if link_first else (b[1], a[1])
        out.append(
            Item(
                key=(id(spans[0]), n),
                elements=[s.el for s in spans],
                list_el=el,
                links=[rec],
                main=rec,
                hits=[hit],
                url_date=None,
                spans=spans,
                first_piece=rec.start,
            )
        )
    return out


class _BlockLines:
    """The "link date" lines of blocks that hold several links.

    Blocks nest, and an outer block's text holds its inner blocks' text: reading each block's
    whole stretch would cost the nesting depth times the page. So each block's own stretch
    (its pieces outside the blocks nested in it, of its structure id) is read once, and an
    inner block counts in an outer block's lines only by its dates: none, one (the date of
    the outer block's line), or several (the outer block is not a list of lines: two dates
    follow each other). A text run ends at a block boundary: no date spans two blocks.
    """

    def __init__(self, w: Walk, fetched: date, scan: Scan = dates.scan) -> None:
        self.w = w
        self.fetched = fetched
        self.scan = scan
        self.done: set[int] = set()  # the structure ids read
        self.children: dict[int, list[Span]] = {}  # id(block) → nested blocks of its sid
        self.own: dict[int, list[tuple[int, str, Any]]] = {}  # (piece, "L"/"D", id/hit)
        self.dated: dict[int, tuple[int, dates.DateHit | None]] = {}  # (0/1/2 dates, the one)

    def order(self, span: Span, recs: list[LinkRec]) -> list[tuple[str, Any]] | None:
        """The block's lines as ("L", link) and ("D", date) entries, or None when two dates
        follow each other (no list of lines)."""
        if span.sid not in self.done:
            self._read(span.sid)
        by_id = {r.idx: r for r in recs}
        entries: list[tuple[int, str, Any]] = list(self.own.get(id(span), []))
        for child in self.children.get(id(span), []):
            count, hit = self.dated[id(child)]
            if count > 1:
                return None
            if count == 1:
                entries.append((child.start, "D", hit))
        entries.sort(key=lambda e: e[0])
        order: list[tuple[str, Any]] = []
        for _pos, kind, value in entries:
            if kind == "L":
                rec = by_id.get(value)
                if rec is not None and not (order and order[-1][0] == "L"):
                    order.append(("L", rec))
            elif order and order[-1][0] == "D":
                return None
            else:
                order.append(("D", value))
        return order

    def _read(self, sid: int) -> None:
        """Read every block of one structure id: nesting, own entries, dates held."""
        self.done.add(sid)
        blocks = [b for b in self.w.blocks if b.sid == sid]  # in document order
        stack: list[Span] = []
        for block in blocks:
            while stack and stack[-1].end <= block.start:
                stack.pop()
            if stack:
                self.children.setdefault(id(stack[-1]), []).append(block)
            stack.append(block)
        at = self.w.sid_index().get(sid, [])
        pieces = self.w.pieces
        for block in blocks:
            own: list[tuple[int, str, Any]] = []
            bounds = [block.start]
            for child in self.children.get(id(block), []):
                bounds += [child.start, child.end]
            bounds.append(block.end)
            for lo, hi in zip(bounds[0::2], bounds[1::2], strict=True):
                run: list[str] = []
                run_at = -1
                last_link = -2
                for i in at[bisect_left(at, lo) : bisect_left(at, hi)]:
                    text, link, _sid, flags = pieces[i]
                    if link >= 0 or text == HARD:
                        self._dates(run, run_at, own)
                        run, run_at = [], -1
                        if link >= 0 and link != last_link:
                            own.append((i, "L", link))
                        last_link = link
                        continue
                    last_link = -1
                    if flags & P_COMMENT:
                        m = _COMMENT_YEAR.fullmatch(text)
                        text = f" {m.group(1)} " if m else " "
                    if run_at < 0:
                        run_at = i
                    run.append(text)
                self._dates(run, run_at, own)
            self.own[id(block)] = own
        for block in reversed(blocks):  # inner blocks first: they start later
            hits = [value for _pos, kind, value in self.own[id(block)] if kind == "D"]
            count, first = len(hits), hits[0] if hits else None
            for child in self.children.get(id(block), []):
                n, hit = self.dated[id(child)]
                if n and first is None:
                    first = hit
                count += n
            self.dated[id(block)] = (min(count, 2), first if count == 1 else None)

    def _dates(self, run: list[str], at: int, own: list[tuple[int, str, Any]]) -> None:
        if not run:
            return
        for hit in self.scan("".join(run)):
            if dates.hit_date(hit, self.fetched) is not None:
                own.append((at, "D", hit))


def _dtdd_groups(w: Walk) -> dict[Any, list[Span]]:
    """The item of each ``dt``/``dd``: a ``dt`` with the ``dd`` elements after it; a ``dd``
    with no ``dt`` before it starts an item of its own, which the link-less ``dd`` elements
    after it (a date, a summary) join. One pass over the siblings of every dt/dd."""
    groups: dict[Any, list[Span]] = {}
    linked = {id(rec.item) for rec in w.links if rec.item is not None}
    parents: dict[Any, None] = {}
    for el in w.dtdd:
        parent = el.getparent()
        if parent is not None:
            parents.setdefault(parent)
        else:
            groups[el] = [w.dtdd[el]]
    for parent in parents:
        current: list[Span] | None = None
        headed = False
        for node in parent:
            span = w.dtdd.get(node) if node.tag in ("dt", "dd") else None
            if span is None:
                current = None
                continue
            if node.tag == "dt" or current is None or (not headed and id(span) in linked):
                current, headed = [span], node.tag == "dt"
            else:
                current.append(span)
            groups[node] = current
    return groups
