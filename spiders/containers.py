"""List containers and a page's own text: what shows where a page's list should be.

A blank column (docs/metrics.md, "Blank column") is a page whose list shows no item: an empty
list container, or an empty-state phrase. A false blank fails a site on false evidence, so a
container counts as an empty list only when it is named as a list (``walk.container_kind``)
and nothing else could be its content: a box that a script fills (template attributes such as
Avalon's ``ms-*`` or Vue's ``v-*``, an id or class the page's scripts name, a script file
named after it, a ``<script>`` or an ``<iframe>`` inside) is not empty, nor a carousel or a
pager, nor any container on a page whose other list containers show links (the page lists
items, undated ones). And a page with text of its own (:func:`own_text`: a service guide, a
form, an introduction) is never blank; that rule is the scoring's
(:mod:`evalcrawler.scoring.pages`), this module counts the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from evalcrawler.facts import EMPTY_PHRASES
from evalcrawler.spiders import dates
from evalcrawler.spiders.walk import (
    FOOTER,
    GENERIC,
    HARD,
    LIST,
    NAV,
    P_COMMENT,
    TEMPLATE,
    Span,
    Walk,
    class_marks,
    container_kind,
    is_pager,
    render,
    span_raw,
    tokens,
)

# An empty list shows a phrase and a pager at most: a container with more text than this is
# not empty (and containers nest: each reads at most this much).
_EMPTY_CONTAINER_READ = 4_000
_RESIDUE_MAX = 30
_SCRIPT_READ = 1_000_000  # characters of inline scripts searched for a container's name
_OWN_TEXT_READ = 200_000  # own text is counted up to this many characters
_NODES_READ = 2_000  # elements of an empty-looking container looked at for a script or frame
_FOREIGN = frozenset({"script", "iframe", "frame", "object", "embed", "template"})
# Words of box names too common to tie a box to a script file of the same name.
_COMMON_WORDS = frozenset(
    {"list", "lists", "news", "newslist", "info", "content", "main", "wrap", "item", "items"}
    | {"data", "page", "pages", "left", "right", "clearfix", "inner", "pannel", "panel"}
)


def own_text(w: Walk) -> int:
    """Characters (not counting blanks) of the page's own text: shown text outside links,
    navigation, footers and comments. A list page has little (its rows are links); a guide,
    a form or an introduction has its content."""
    count = 0
    for text, link, _sid, flags in w.pieces:
        if link >= 0 or flags & (NAV | FOOTER | P_COMMENT) or text == HARD:
            continue
        count += len(text) - sum(1 for ch in text if ch.isspace())
        if count > _OWN_TEXT_READ:
            break
    return count


def read_containers(w: Walk, holders: set[Any]) -> tuple[bool, str | None, bool]:
    """Whether the page has a list container (one that holds a dated item, or an empty one),
    the name of the empty one (``div.lists-pages``), if any, and whether an empty list
    container is one that scripts fill (never blank: it needs a browser). ``holders``: the
    elements that hold a dated item and their ancestors."""
    link_starts = [rec.start for rec in w.links]
    content_links = [0]
    for rec in w.links:
        content = rec.url is not None and not is_pager(rec.text, True)
        content_links.append(content_links[-1] + content)

    def links_in(span: Span) -> int:
        lo = bisect_left(link_starts, span.start)
        hi = bisect_left(link_starts, span.end)
        return content_links[hi] - content_links[lo]

    if any(span.el in holders for span in w.containers):
        return True, None, False
    lists = [span for span in w.containers if span.marks and _kind(span) == LIST]
    if any(links_in(span) for span in lists):
        return False, None, False  # a list that shows links (undated ones) shows items
    scripts = "".join(w.scripts)[:_SCRIPT_READ]
    found: Span | None = None
    filled = False
    for span in w.containers:
        if found is not None and span.start >= found.end:
            break
        if links_in(span) or not _listish(span) or not _shows_nothing(w, span):
            continue
        if _script_filled(span, scripts, w.script_srcs):
            filled = True
        else:
            found = span  # the innermost empty container names it best (div.pubListBox01)
    if found is not None:
        return True, _name(found.el), False
    return False, None, filled


def _kind(span: Span) -> str | None:
    return container_kind(span.marks)


def _listish(span: Span) -> bool:
    """Named as a list, or a ``ul``/``ol``/``table`` named news/info/content."""
    kind = _kind(span)
    return kind == LIST or (kind == GENERIC and span.el.tag in ("ul", "ol", "table"))


def _shows_nothing(w: Walk, span: Span) -> bool:
    """No date and at most a few characters besides an empty-state phrase and pager words."""
    raw, whole = span_raw(w.pieces, span.start, span.end, _EMPTY_CONTAINER_READ)
    if not whole:
        return False
    text = render(raw)
    if dates.scan(text, month_day=False):
        return False
    residue = text
    for phrase in EMPTY_PHRASES:
        residue = residue.replace(phrase, "")
    residue = re.sub(r"[\s\d首页上下一尾末共条第页/|<>«»，。,.:：()（）\[\]]+", "", residue)
    return len(residue) <= _RESIDUE_MAX


def _script_filled(span: Span, scripts: str, srcs: list[str]) -> bool:
    """A script fills the container: template attributes on it or around it, a script, an
    iframe or an embedded object inside it (outside its pager), its id or class named in the
    page's inline scripts, or a script file named after it."""
    if span.flags & TEMPLATE:
        return True
    el = span.el
    # The container's elements, a pager's left out: a pager's script writes the pager.
    stack = list(el)
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > _NODES_READ:
            return True  # thousands of elements and no text: a frame for something else
        if not isinstance(node.tag, str):
            continue
        if node.tag in _FOREIGN:
            return True
        marks = class_marks(node)
        if marks and _pager_named(marks):
            continue
        stack.extend(node)
    ident = (el.get("id") or "").strip()
    if scripts and ident and re.search(r"[#'\"]" + re.escape(ident) + r"\b", scripts):
        return True
    for cls in (el.get("class") or "").split():
        if scripts and re.search(r"\." + re.escape(cls) + r"\b", scripts):
            return True
    # A script file named after the box (zxft_data.js fills ul#zxft_wqhg on Yichun's home page).
    words = {w for w in tokens(span.marks) if len(w) >= 4 and w not in _COMMON_WORDS}
    return any(word in _file_name(src) for src in srcs for word in words)


def _file_name(src: str) -> str:
    return src.split("?", 1)[0].rsplit("/", 1)[-1].lower()


def _pager_named(marks: str) -> bool:
    return any(w.startswith(("page", "fenye")) or "pagination" in w for w in tokens(marks))


def _name(el: Any) -> str:
    """A short CSS name of an element: ``div.wrap.lists-pages``, ``ul#dataGrid``."""
    name = str(el.tag)
    ident = (el.get("id") or "").strip()
    if ident:
        name += f"#{ident}"
    classes = (el.get("class") or "").split()
    if classes:
        name += "." + ".".join(classes)
    return name[:120]
