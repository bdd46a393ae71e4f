"""The one walk over a parsed page: its visible text as a stream of pieces.

:func:`walk_tree` visits the tree once and records the visible text as a flat list of pieces
``(text, link id, structure id, flags)``: each piece is tagged with the link it belongs to and
the innermost list structure (``li``/``tr``/``dt``/``dd``/``ul``/``ol``/``dl``/``table``) that
holds it, and flagged when it lies in navigation, a pager, a footer or a comment. Link texts,
headings, list items and the text searched for a publish date are all stretches of that list
(:class:`Span`), so the extractor's work is linear in the page size. Block boundaries are
:data:`HARD` pieces, ``<br>`` and source line breaks soft ones.

Spans nest (headings in headings, containers in containers): what is read of one span's text
is bounded (:data:`SPAN_TEXT_MAX`), so the sum over nested spans stays linear too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from evalcrawler.facts import EMPTY_PHRASES
from evalcrawler.spiders import dates

# A link text or heading longer than this is cut (no title is that long; spans can nest).
SPAN_TEXT_MAX = 2_000
# An empty-state phrase is a short text standing where a list should be, not a word inside a
# sentence ("项目正在建设" in an article).
_EMPTY_STATE_MAX_CHARS = 40

NAV_MARKERS = ("nav", "menu", "daohang", "dh", "lanmu", "column-nav")
PAGER_MARKERS = ("page", "pager", "fenye", "pagination")
FOOTER_MARKERS = ("foot", "copyright", "banquan")
# An element named or tagged as a footer that shows this many dates holds a list, not a footer
# (a DotNetNuke skin's bottom pane, class="copyright", holding a column's 20 rows): a footer
# shows a copyright line, a filing number, contacts and links, not a run of dates.
FOOTER_LIST_DATES = 5
_FOOTER_READ = 20_000  # characters of a footer's text searched for dates
_FOOTER_CHECKS = 32  # footers per page looked into (the rest are footers)
LIST = "list"  # a container named as a list: it holds (or should hold) the page's list
GENERIC = "generic"  # named news/info/content: a list when it holds dated items, else not

# Words of class and id names, split at blanks, "-" and "_", digits dropped ("list01" → list).
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_GENERIC_WORDS = ("news", "info", "content")
# Carousels, sliders, scrolling boxes, albums and related-items boxes (相关稿件, xg-list):
# never the page's list.
_WIDGET_PREFIXES = (
    "relat",
    "xg",
    "xiangguan",
    "lbt",
    "lunbo",
    "banner",
    "slide",
    "swiper",
    "carousel",
    "scroll",
    "marquee",
    "gundong",
    "focus",
    "album",
    "flash",
)
# Pagers: not a list either (unless a word also names the list: "lists-pages").
_PAGER_PREFIXES = ("page", "fenye")
_PAGER_ALWAYS = frozenset({"下一页", "上一页", "尾页", "末页"})
_PAGER_IN_PAGER = frozenset(
    {"下一页", "上一页", "下页", "上页", "首页", "尾页", "末页", "next", "prev", "previous"}
    | {"»", "«", "›", "‹", ">>", "<<", ">", "<"}
)
_PAGER_STRIP = " []【】()（）<>«»‹›"
_PAGE_NUMBER = re.compile(r"第?\d{1,5}页?")

# Element sets of the walk.
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "select", "svg", "iframe"}
    | {"object", "embed", "applet", "frameset", "frame", "math"}
)
_BLOCK = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details"}
    | {"dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main"}
    | {"menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot"}
    | {"tr", "td", "th", "ul", "option", "textarea", "button", "img"}
)
_ITEM_TAGS = frozenset({"li", "tr", "dt", "dd"})
_STRUCT_TAGS = _ITEM_TAGS | {"ul", "ol", "dl", "table", "menu"}
# Blocks that can be the "parent block" item of a link outside any li/tr/dt/dd.
_ITEM_BLOCKS = frozenset(
    {"div", "p", "td", "th", "section", "article", "center", "blockquote", "h1", "h2"}
    | {"h3", "h4", "h5", "h6", "header", "footer", "main", "aside", "body"}
)
_HEADINGS = frozenset({"h1", "h2", "h3"})
_CONTAINER_TAGS = frozenset({"ul", "ol", "table", "div"})

# Context flags carried down the walk. TEMPLATE: inside an element with template attributes
# (Avalon ms-*, Vue v-*, Angular ng-*, Alpine x-*, :bind, @on, data-bind): a script fills it.
NAV, PAGER, FOOTER, SKIPPED, TEMPLATE = 1, 2, 4, 8, 32
# Piece flags.
P_COMMENT = 16
_TEMPLATE_ATTRS = ("ms-", "v-", "ng-", "x-", ":", "@", "data-bind", "data-ng-", "data-v-")
# Inline script text kept for the list-container test (is a box named in a script?).
_SCRIPTS_KEPT = 1_000_000

HARD = "\x1e"  # a block boundary in the piece stream (control characters are removed first)
_SOFT = "\n"  # a line break inside inline text (<br>, newlines in the source)

_RUN = re.compile(r"\s+")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


def render(raw: str) -> str:
    """Collapse raw text: every whitespace run becomes one space, except a line break inside
    inline text between two CJK characters, which disappears (as CSS Text 3 renders segment
    breaks in Chinese: ``政府信息<br>公开指南`` reads 政府信息公开指南)."""

    def repl(m: re.Match[str]) -> str:
        run = m.group()
        if HARD not in run and ("\n" in run or "\r" in run):
            a, b = m.start(), m.end()
            if a > 0 and b < len(raw) and _is_cjk(raw[a - 1]) and _is_cjk(raw[b]):
                return ""
        return " "

    return _RUN.sub(repl, raw).strip()


@dataclass(slots=True)
class Span:
    """An element's stretch of the piece stream, and the list structure it sits in."""

    el: Any
    start: int
    end: int = -1
    sid: int = 0  # the structure id of the element's own pieces
    marks: str = ""
    flags: int = 0  # the walk's context flags where the element opens (containers)


@dataclass(slots=True)
class LinkRec:
    idx: int  # the link id the pieces carry
    el: Any
    href: str
    flags: int
    item: Span | None
    block: Span | None
    start: int
    end: int = -1
    url: str | None = None
    text: str = ""  # the anchor text as shown
    img_text: str = ""
    label: str = ""  # the text, else an image's alt/title, else the link's title


@dataclass
class Walk:
    """Everything one walk over the tree collects."""

    pieces: list[tuple[str, int, int, int]] = field(default_factory=list)  # text, link, sid, flags
    links: list[LinkRec] = field(default_factory=list)
    headings: list[Span] = field(default_factory=list)
    containers: list[Span] = field(default_factory=list)
    blocks: list[Span] = field(default_factory=list)  # div, p, td … in document order
    dtdd: dict[Any, Span] = field(default_factory=dict)
    forms: list[Any] = field(default_factory=list)
    structs: list[Any] = field(default_factory=lambda: [None])  # structure id → its element
    scripts: list[str] = field(default_factory=list)  # inline script text (the first MB)
    script_srcs: list[str] = field(default_factory=list)  # src of external scripts
    meta: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    base: str | None = None
    images: int = 0
    images_alt: int = 0
    empty_state: str | None = None
    _sid_index: dict[int, list[int]] | None = None

    def sid_index(self) -> dict[int, list[int]]:
        """Structure id → the indexes of its pieces, in order (built once, when first asked)."""
        if self._sid_index is None:
            index: dict[int, list[int]] = {}
            for i, piece in enumerate(self.pieces):
                at = index.get(piece[2])
                if at is None:
                    index[piece[2]] = [i]
                else:
                    at.append(i)
            self._sid_index = index
        return self._sid_index


def class_marks(el: Any) -> str:
    cls = el.get("class")
    ident = el.get("id")
    if cls is None and ident is None:
        return ""
    return f"{cls or ''} {ident or ''}".lower()


def walk_tree(root: Any) -> Walk:
    w = Walk()
    pieces = w.pieces
    add = pieces.append
    # Frame: flags, sid, item span, block span, link id, spans this element opened.
    stack: list[tuple[int, int, Span | None, Span | None, int, tuple[Any, ...]]] = [
        (0, 0, None, None, -1, ())
    ]
    sid_counter = 0
    scripts_kept = 0
    footer_checks = 0
    for event, el in etree.iterwalk(root, events=("start", "end", "comment")):
        flags, sid, item, block, link_id, _ = stack[-1]
        if event == "comment":
            if not flags & SKIPPED:
                if el.text:
                    add((el.text, link_id, sid, flags | P_COMMENT))
                if el.tail:
                    add((el.tail, link_id, sid, flags))
                    if w.empty_state is None and not flags & (NAV | FOOTER | TEMPLATE):
                        w.empty_state = _empty_phrase(el.tail)
            continue
        tag = el.tag
        if not isinstance(tag, str):
            continue  # processing instructions, entities
        if event == "end":
            frame = stack.pop()
            for span in frame[5]:
                span.end = len(pieces)
            if tag in _BLOCK and not frame[0] & SKIPPED:
                add((HARD, -1, frame[1], frame[0]))
            pflags, psid, _, _, plink, _ = stack[-1]
            if el.tail and not pflags & SKIPPED:
                add((el.tail, plink, psid, pflags))
                if w.empty_state is None and not pflags & (NAV | FOOTER | TEMPLATE):
                    w.empty_state = _empty_phrase(el.tail)
            continue

        # start
        opened: list[Any] = []
        marks = class_marks(el)
        footer = tag == "footer"
        if marks:
            if any(m in marks for m in NAV_MARKERS):
                flags |= NAV
            if any(m in marks for m in PAGER_MARKERS):
                flags |= PAGER
            footer = footer or any(m in marks for m in FOOTER_MARKERS)
        if tag in ("nav", "header"):
            flags |= NAV
        if footer and not flags & FOOTER:
            footer_checks += 1
            if footer_checks > _FOOTER_CHECKS or not _holds_dates(el):
                flags |= FOOTER
        if tag in _SKIP:
            flags |= SKIPPED
            if tag == "script" and scripts_kept < _SCRIPTS_KEPT:
                src = el.get("src")
                if src:
                    w.script_srcs.append(src[:500])
                    scripts_kept += len(src)
                elif el.text:
                    w.scripts.append(el.text)
                    scripts_kept += len(el.text)
        if not flags & TEMPLATE and el.attrib and _templated(el):
            flags |= TEMPLATE
        if tag in _STRUCT_TAGS:
            sid_counter += 1
            sid = sid_counter
            w.structs.append(el)
            if tag in _ITEM_TAGS:
                item = Span(el, len(pieces), sid=sid)
                opened.append(item)
                if tag in ("dt", "dd"):
                    w.dtdd[el] = item
        elif tag in _ITEM_BLOCKS:
            block = Span(el, len(pieces), sid=sid)
            opened.append(block)
            w.blocks.append(block)
        if tag in _BLOCK and not flags & SKIPPED:
            add((HARD, -1, sid, flags))

        if tag == "a":
            href = el.get("href")
            if href is not None:
                link_id = len(w.links)
                rec = LinkRec(link_id, el, href, flags, item, block, len(pieces))
                w.links.append(rec)
                opened.append(rec)
        elif tag == "br":
            add((_SOFT, link_id, sid, flags))
        elif tag == "img":
            w.images += 1
            alt = (el.get("alt") or "").strip()
            if alt:
                w.images_alt += 1
            if link_id >= 0 and not w.links[link_id].img_text:
                w.links[link_id].img_text = alt or (el.get("title") or "").strip()
        elif tag in _HEADINGS:
            span = Span(el, len(pieces))
            w.headings.append(span)
            opened.append(span)
        elif tag == "meta":
            key = el.get("name") or el.get("property") or el.get("http-equiv")
            if key:
                key = key.strip().lower()
                if key and key not in w.meta:
                    w.meta[key] = (el.get("content") or "").strip()
        elif tag == "title":
            if w.title is None:
                w.title = render("".join(el.itertext()))
        elif tag == "base":
            if w.base is None and el.get("href"):
                w.base = el.get("href")
        elif tag == "form":
            w.forms.append(el)
        if (
            tag in _CONTAINER_TAGS
            and marks
            and not flags & (NAV | FOOTER | SKIPPED)
            and container_kind(marks) is not None
        ):
            span = Span(el, len(pieces), sid=sid, marks=marks, flags=flags)
            w.containers.append(span)
            opened.append(span)

        text = el.text
        if text and not flags & SKIPPED:
            add((text, link_id, sid, flags))
            if w.empty_state is None and not flags & (NAV | FOOTER | TEMPLATE):
                w.empty_state = _empty_phrase(text)
        stack.append((flags, sid, item, block, link_id, tuple(opened)))
    # Spans left open by a walk that stopped early still get an end.
    for frame in stack:
        for span in frame[5]:
            if span.end < 0:
                span.end = len(pieces)
    return w


def tokens(marks: str) -> list[str]:
    """The words of a class and id string (``"wrap lists-pages"`` → wrap, lists, pages)."""
    out = []
    for token in _TOKEN_SPLIT.split(marks.lower()):
        token = _TRAILING_DIGITS.sub("", token)
        if token:
            out.append(token)
    return out


def container_kind(marks: str) -> str | None:
    """:data:`LIST`, :data:`GENERIC` or ``None`` (not a list container) for a class and id
    string. ``lb`` (列表) counts as a whole word or a word's end (``xwlb``), never inside
    one (``toolbar``, ``album``); widgets and pagers are never list containers."""
    words = tokens(marks)
    if any(w.startswith(_WIDGET_PREFIXES) for w in words):
        return None
    if any("list" in w or "datagrid" in w or w == "lb" or w.endswith("lb") for w in words):
        return LIST
    if any(w.startswith(_PAGER_PREFIXES) for w in words):
        return None
    if any(g in w for w in words for g in _GENERIC_WORDS):
        return GENERIC
    return None


def _holds_dates(el: Any) -> bool:
    """The element's shown text (its first :data:`_FOOTER_READ` characters) holds
    :data:`FOOTER_LIST_DATES` dates: a list, whatever its name."""
    parts: list[str] = []
    size = 0
    for node in el.iter():
        text = None if not isinstance(node.tag, str) or node.tag in _SKIP else node.text
        for piece in (text, node.tail if node is not el else None):
            if piece:
                parts.append(piece)
                size += len(piece)
        if size > _FOOTER_READ:
            break
    text = " ".join(parts)[:_FOOTER_READ]
    return len(dates.scan(text, month_day=False)) >= FOOTER_LIST_DATES


def _templated(el: Any) -> bool:
    return any(str(name).lower().startswith(_TEMPLATE_ATTRS) for name in el.attrib)


def _empty_phrase(text: str) -> str | None:
    s = text.strip()
    if not s or len(s) > _EMPTY_STATE_MAX_CHARS:
        return None
    for phrase in EMPTY_PHRASES:
        if phrase in s:
            return phrase
    return None


def span_raw(
    pieces: list[tuple[str, int, int, int]], start: int, end: int, limit: int
) -> tuple[str, bool]:
    """The raw text of a stretch of pieces (comments left out), at most ``limit`` characters
    from at most ``limit`` pieces; and whether that is all of it. Spans nest (headings in
    headings, containers in containers): a bound per span keeps their sum linear."""
    parts: list[str] = []
    size = 0
    stop = min(end, start + limit)
    for text, _link, _sid, flags in pieces[start:stop]:
        if flags & P_COMMENT:
            continue
        parts.append(text)
        size += len(text)
        if size > limit:
            return "".join(parts)[:limit], False
    return "".join(parts), stop == end


def span_text(
    pieces: list[tuple[str, int, int, int]], start: int, end: int, limit: int = SPAN_TEXT_MAX
) -> str:
    """The rendered text of a stretch of pieces: a link's text, a heading (the first ``limit``
    raw characters: no title is longer)."""
    return render(span_raw(pieces, start, end, limit)[0])


def is_pager(text: str, in_pager: bool) -> bool:
    t = text.strip().lower()
    if not t:
        return False
    core = t.strip(_PAGER_STRIP) or t
    if t in _PAGER_ALWAYS or core in _PAGER_ALWAYS:
        return True
    if not in_pager:
        return False
    return t in _PAGER_IN_PAGER or core in _PAGER_IN_PAGER or bool(_PAGE_NUMBER.fullmatch(core))


def short_text(el: Any, limit: int = SPAN_TEXT_MAX) -> tuple[str, bool]:
    """The rendered text of an element, read no further than ``limit`` raw characters; and
    whether that is all of it."""
    parts: list[str] = []
    size = 0
    for text in el.itertext():
        parts.append(text)
        size += len(text)
        if size > limit:
            return render("".join(parts)[:limit]), False
    return render("".join(parts)), True
