"""Page-fact extraction: one HTTP response in, one :class:`~evalcrawler.facts.PageFacts` out.

Pure functions over bytes (no Scrapy, no reactor): the spider calls :func:`extract_page` for
every response, and tests call it on saved pages. What each fact means is fixed in
``docs/metrics.md``; the decisions this module adds where those definitions are silent (each
one forced by a real page of ``tests/fixtures/real``) are listed at the end of this docstring.

The page is parsed once with lxml's HTML parser (libxml2 recovers from truncated markup, nested
``<a>``, stray ``</html>`` and second DOCTYPEs the way browsers mostly do) and walked once.
The walk records the visible text as a flat list of pieces, each tagged with the link it
belongs to and the innermost list structure (``li``/``tr``/``dt``/``dd``/``ul``/``ol``/
``dl``/``table``) that holds it; link texts, headings, list items and the text searched for a
publish date are all slices of that list. So the work is linear in the page size and a 50 KB
page takes a few milliseconds.

:func:`extract_page` never raises: a page that breaks an unforeseen assumption is logged and
returned with the facts that need no parsing (status, content type, size).

Decisions beyond docs/metrics.md
--------------------------------
* ``content_type`` is the media type only (``text/html``), lower case, without parameters.
  A body that is binary whatever its Content-Type (PDF/image/archive magic, or control bytes)
  is not HTML. What follows a stray ``</html>`` (gov.cn's inlined footers) is still read.
* Links: only ``http``/``https`` targets are recorded; ``javascript:``, ``mailto:``, ``tel:``
  and bare ``#fragment`` links are not links (a ``javascript:changeClass(...)`` menu, as on
  Xinghualing's site, leads nowhere a crawler can fetch; its names stay in ``text``). A link
  to the page itself is never a dated item.
* Text: a line break inside inline text between two CJK characters is dropped, as browsers
  render Chinese (``政府信息<br>公开指南`` → 政府信息公开指南); block boundaries are spaces.
* Dated items: one item per list item; its link is the item's longest-text link (the title,
  not ``图解`` or ``[部门]``); every link of a dated item is in ``dated_links`` with the item's
  date. A date inside link text counts only at the start or the end of the text (a date in the
  middle of a title is part of the title). A comment counts only when it is a bare year (the
  TRS ``<!-- 2018-->07-04`` case); commented-out markup gives no dates. A block that lists
  several ``link date`` lines (``<a>…</a> (2013-11-15)<br>…``) gives one item per line.
* Month-day dates need two digits each in the numeric forms (``1/2`` is a pager, ``2.7`` a
  number). A year written next to one is the item's own: a resulting date after the fetch is
  no date (never moved back); only the heading / publish / fetch-year fallbacks move back.
* Main list: sibling lists of one tag and class under one parent are one list (gov.cn splits a
  column into ``ul.list01`` groups of six, or tables of five rows between spacer tables);
  lists hidden by an inline ``display:none`` (inactive tabs) compete only if nothing shown
  does; ties go to the first list.
* List container: a container (marker in id/class, outside navigation and footers) counts
  when it holds a dated item, or when it is empty: no non-pager link, no date, at most a few
  characters besides an empty-state phrase and pager words. Containers named only by the
  generic markers ``news``/``info``/``content`` count as empty only when they show nothing at
  all (article bodies and info bars carry those names).
* Empty state: a phrase counts only as a short text (at most 40 characters) outside
  navigation and footers, not inside a sentence.
* Publish date: labels are tried in order 发布时间/发布日期/发文日期, then 更新时间, then a
  bare 日期/时间 not glued to another word (成文日期 and 会议时间 are other dates). Text of dated
  list rows and footers is not searched. When no label is shown, the article's info line
  counts: a full date within 50 characters of 来源 (``2014-10-10 23:05 来源：新华社``, the
  gov.cn and court templates). htmldate comes last and only when the main list has fewer than
  three items that show dates; a date it returns that equals a dated link's date is refused
  (it read a list row).
* Forms: the form's ``name`` counts like its id/class; a form with a password field is never
  a search form; ``input type=image`` and images labelled 搜索 count as buttons.
"""

from __future__ import annotations

import logging
import re
import warnings
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from evalcrawler.facts import EMPTY_PHRASES, DatedItem, Form, FormField, Link, PageFacts
from evalcrawler.spiders import dates
from evalcrawler.spiders.boards import extract_threads
from evalcrawler.spiders.challenge import challenge
from evalcrawler.spiders.embedded import expand_scripts, needs_browser
from evalcrawler.spiders.encoding import charset_from_content_type, decode_html
from evalcrawler.urls import http_url

log = logging.getLogger(__name__)

TEXT_CAP = 50_000
# Bodies beyond this are cut before parsing: the time stays bounded on runaway pages, and no
# government page worth scoring is that large.
MAX_PARSE_BYTES = 8 * 1024 * 1024

# An empty-state phrase is a short text standing where a list should be, not a word inside a
# sentence ("项目正在建设" in an article).
_EMPTY_STATE_MAX_CHARS = 40

NAV_MARKERS = ("nav", "menu", "daohang", "dh", "lanmu", "column-nav")
PAGER_MARKERS = ("page", "pager", "fenye", "pagination")
FOOTER_MARKERS = ("foot", "copyright", "banquan")
CONTAINER_MARKERS = ("list", "lb", "news", "info", "content", "datagrid")
# Container markers that name a list outright; the generic ones (news, info, content) also
# name article bodies and info bars, so such a container counts as an empty list only when it
# shows nothing at all.
_LIST_MARKERS = ("list", "lb", "datagrid")

PUBDATE_METAS = ("pubdate", "publishdate", "article:published_time", "dc.date")

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
# Text (outside its link) a parent-block item may show: a title's date, source, summary.
_BLOCK_ITEM_MAX = 300
_HEADINGS = frozenset({"h1", "h2", "h3"})
_CONTAINER_TAGS = frozenset({"ul", "ol", "table", "div"})

# Context flags carried down the walk.
_NAV, _PAGER, _FOOTER, _SKIPPED = 1, 2, 4, 8
# Piece flags.
_P_COMMENT = 16

_HARD = "\x1e"  # a block boundary in the piece stream (control characters are removed first)
_SOFT = "\n"  # a line break inside inline text (<br>, newlines in the source)

_CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")
_RUN = re.compile(r"\s+")
_NON_HTTP = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:", "ftp:")

_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"OggS",
    b"fLaC",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
    b"\x7fELF",
    b"{\\rtf",
)
_HTML_MIMES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = re.compile(
    rb"<(!doctype\s+html|html|head|body|title|meta|div|p|a|table|script)\b", re.I
)

_LABEL_STRONG = re.compile(r"发布时间|发布日期|发文日期")
_LABEL_UPDATE = re.compile(r"更新时间")
# The generic labels count only on their own: 成文日期, 会议时间 or 来信时间 are other dates.
_LABEL_WEAK = re.compile(r"(?<![\u3400-\u9fff])(?:日期|时间)")
_LABEL_GAP = " \t\n\r:：\x1e\xa0\u3000[]【】"
_DATELINE = re.compile(r"来源")
_COMMENT_YEAR = re.compile(r"\s*((?:19|20)\d{2})\s*年?\s*")
_DATELINE_REACH = 50


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


def render(raw: str) -> str:
    """Collapse raw text: every whitespace run becomes one space, except a line break inside
    inline text between two CJK characters, which disappears (as CSS Text 3 renders segment
    breaks in Chinese: ``政府信息<br>公开指南`` reads 政府信息公开指南)."""

    def repl(m: re.Match[str]) -> str:
        run = m.group()
        if _HARD not in run and ("\n" in run or "\r" in run):
            a, b = m.start(), m.end()
            if a > 0 and b < len(raw) and _is_cjk(raw[a - 1]) and _is_cjk(raw[b]):
                return ""
        return " "

    return _RUN.sub(repl, raw).strip()


def _mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _header(headers: Mapping[str, Any] | None, name: str) -> str:
    if not headers:
        return ""
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if str(key).lower() == name:
                value = val
                break
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    return str(value or "")


def looks_binary(body: bytes, charset: str | None = None) -> bool:
    """A body that is not text whatever its Content-Type says (a PDF, an image, an archive)."""
    head = body[:2048]
    if not head:
        return False
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False  # a BOM: text, maybe UTF-16
    if charset and charset.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        return False
    stripped = head.lstrip()
    if head.startswith(_MAGIC) and not stripped.startswith(b"<"):
        return True
    # Text has next to no control bytes; a page with a few stray NULs is still a page.
    ratio = sum(1 for b in head if b < 9 or (13 < b < 32 and b != 27)) / len(head)
    return ratio > 0.3 or (ratio > 0.1 and not _sniff_html(head))


def _sniff_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b" \t\r\n\xef\xbb\xbf")
    return head.startswith(b"<") and _HTML_SNIFF.search(head) is not None


def absolute_url(base: str, href: str | None) -> str | None:
    """Resolve an ``href`` against the page (or ``<base>``) URL; ``None`` when it does not lead
    to an http(s) resource (``javascript:``, ``mailto:``, a bare ``#fragment``)."""
    if href is None:
        return None
    # Browsers drop tabs and newlines anywhere in a URL and trim spaces around it.
    href = href.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    if not href or href.startswith("#"):
        return None
    low = href[:12].lower()
    if low.startswith(_NON_HTTP):
        return None
    m = _SIMPLE_ABSOLUTE.match(href)
    if m and "/." not in (m.group(4) or ""):
        # The common case, absolute links into the site, without urllib's cost.
        scheme, host, port, path = m.groups()
        number = int(port) if port else None
        if number is not None and number > 65535:
            return None
        if number is not None and (scheme, number) not in (("http", 80), ("https", 443)):
            host = f"{host}:{number}"
        return f"{scheme}://{host}{path or '/'}"
    if _SIMPLE_HREF.match(href):
        # Most hrefs are plain paths ("/a/b.html", "b.html?id=1"): join them without urllib,
        # which costs more than the rest of a link's handling on list pages with 10,000 rows.
        prefix = _base_parts(base)
        if prefix is not None:
            origin, directory = prefix
            path = href.split("#", 1)[0]
            return origin + path if href.startswith("/") else origin + directory + path
    try:
        joined = urljoin(base, href.replace("\\", "/"))
    except ValueError:
        return None
    return http_url(joined)


# An absolute http(s) URL already in normal form but for its fragment and default port.
_SIMPLE_ABSOLUTE = re.compile(
    r"(https?)://([a-z0-9][a-z0-9.\-]*)(?::(\d{1,5}))?(/[^\s\\#]*)?(?:#.*)?$"
)
# A path with no scheme, no authority, no dot segments and no backslash.
_SIMPLE_HREF = re.compile(
    r"(?![/?]/|\?)(?![^/?#]*:)(?!\.{1,2}(?:/|$))(?!.*/\.{1,2}(?:/|$|[?#]))[^\\\s]+$"
)


@lru_cache(maxsize=64)
def _base_parts(base: str) -> tuple[str, str] | None:
    """(``scheme://host[:port]``, directory path ending in ``/``) of a normalised base URL."""
    norm = http_url(base)
    if norm is None:
        return None
    parts = urlsplit(norm)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rsplit("/", 1)[0] + "/"


@dataclass
class _Span:
    """An element's stretch of the piece stream, and the list structure it sits in."""

    el: Any
    start: int
    end: int = -1
    sid: int = 0  # the structure id of the element's own pieces
    marks: str = ""


@dataclass
class _LinkRec:
    idx: int  # the link id the pieces carry
    el: Any
    href: str
    flags: int
    item: _Span | None
    block: _Span | None
    start: int
    end: int = -1
    url: str | None = None
    text: str = ""  # the anchor text as shown
    img_text: str = ""
    label: str = ""  # the text, else an image's alt/title, else the link's title


@dataclass
class _Walk:
    """Everything one walk over the tree collects."""

    pieces: list[tuple[str, int, int, int]] = field(default_factory=list)  # text, link, sid, flags
    links: list[_LinkRec] = field(default_factory=list)
    headings: list[_Span] = field(default_factory=list)
    containers: list[_Span] = field(default_factory=list)
    dtdd: dict[Any, _Span] = field(default_factory=dict)
    forms: list[Any] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    base: str | None = None
    images: int = 0
    images_alt: int = 0
    empty_state: str | None = None


def _marks(el: Any) -> str:
    cls = el.get("class")
    ident = el.get("id")
    if cls is None and ident is None:
        return ""
    return f"{cls or ''} {ident or ''}".lower()


def _walk(root: Any) -> _Walk:
    w = _Walk()
    pieces = w.pieces
    add = pieces.append
    # Frame: flags, sid, item span, block span, link id, spans this element opened.
    stack: list[tuple[int, int, _Span | None, _Span | None, int, tuple[Any, ...]]] = [
        (0, 0, None, None, -1, ())
    ]
    sid_counter = 0
    for event, el in etree.iterwalk(root, events=("start", "end", "comment")):
        flags, sid, item, block, link_id, _ = stack[-1]
        if event == "comment":
            if not flags & _SKIPPED:
                if el.text:
                    add((el.text, link_id, sid, flags | _P_COMMENT))
                if el.tail:
                    add((el.tail, link_id, sid, flags))
                    if w.empty_state is None and not flags & (_NAV | _FOOTER):
                        w.empty_state = _empty_phrase(el.tail)
            continue
        tag = el.tag
        if not isinstance(tag, str):
            continue  # processing instructions, entities
        if event == "end":
            frame = stack.pop()
            for span in frame[5]:
                span.end = len(pieces)
            if tag in _BLOCK and not frame[0] & _SKIPPED:
                add((_HARD, -1, frame[1], frame[0]))
            pflags, psid, _, _, plink, _ = stack[-1]
            if el.tail and not pflags & _SKIPPED:
                add((el.tail, plink, psid, pflags))
                if w.empty_state is None and not pflags & (_NAV | _FOOTER):
                    w.empty_state = _empty_phrase(el.tail)
            continue

        # start
        opened: list[Any] = []
        marks = _marks(el)
        if marks:
            if any(m in marks for m in NAV_MARKERS):
                flags |= _NAV
            if any(m in marks for m in PAGER_MARKERS):
                flags |= _PAGER
            if any(m in marks for m in FOOTER_MARKERS):
                flags |= _FOOTER
        if tag in ("nav", "header"):
            flags |= _NAV
        elif tag == "footer":
            flags |= _FOOTER
        if tag in _SKIP:
            flags |= _SKIPPED
        if tag in _STRUCT_TAGS:
            sid_counter += 1
            sid = sid_counter
            if tag in _ITEM_TAGS:
                item = _Span(el, len(pieces), sid=sid)
                opened.append(item)
                if tag in ("dt", "dd"):
                    w.dtdd[el] = item
        elif tag in _ITEM_BLOCKS:
            block = _Span(el, len(pieces), sid=sid)
            opened.append(block)
        if tag in _BLOCK and not flags & _SKIPPED:
            add((_HARD, -1, sid, flags))

        if tag == "a":
            href = el.get("href")
            if href is not None:
                link_id = len(w.links)
                rec = _LinkRec(link_id, el, href, flags, item, block, len(pieces))
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
            span = _Span(el, len(pieces))
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
            and not flags & (_NAV | _FOOTER | _SKIPPED)
            and any(m in marks for m in CONTAINER_MARKERS)
        ):
            span = _Span(el, len(pieces), sid=sid, marks=marks)
            w.containers.append(span)
            opened.append(span)

        text = el.text
        if text and not flags & _SKIPPED:
            add((text, link_id, sid, flags))
            if w.empty_state is None and not flags & (_NAV | _FOOTER):
                w.empty_state = _empty_phrase(text)
        stack.append((flags, sid, item, block, link_id, tuple(opened)))
    # Spans left open by a walk that stopped early still get an end.
    for frame in stack:
        for span in frame[5]:
            if span.end < 0:
                span.end = len(pieces)
    return w


def _empty_phrase(text: str) -> str | None:
    s = text.strip()
    if not s or len(s) > _EMPTY_STATE_MAX_CHARS:
        return None
    for phrase in EMPTY_PHRASES:
        if phrase in s:
            return phrase
    return None


def _span_text(pieces: list[tuple[str, int, int, int]], start: int, end: int) -> str:
    return render("".join(p[0] for p in pieces[start:end] if not p[3] & _P_COMMENT))


def _is_pager(text: str, in_pager: bool) -> bool:
    t = text.strip().lower()
    if not t:
        return False
    core = t.strip(_PAGER_STRIP) or t
    if t in _PAGER_ALWAYS or core in _PAGER_ALWAYS:
        return True
    if not in_pager:
        return False
    return t in _PAGER_IN_PAGER or core in _PAGER_IN_PAGER or bool(_PAGE_NUMBER.fullmatch(core))


# ---------------------------------------------------------------------------------------------
# Dated items


@dataclass
class _Item:
    """A list item with a date (or date candidates, resolved once the page's years are known)."""

    key: Any
    elements: list[Any]
    list_el: Any
    links: list[_LinkRec]
    main: _LinkRec
    hits: list[dates.DateHit]
    url_date: tuple[date, str] | None
    spans: list[_Span]  # the item's stretches of the piece stream
    first_piece: int
    date: date | None = None
    raw: str = ""


def _list_element(item_el: Any, tag: str) -> Any:
    if tag == "li":
        wanted: tuple[str, ...] = ("ul", "ol", "menu")
    elif tag == "tr":
        wanted = ("table",)
    else:
        return item_el.getparent() if item_el.getparent() is not None else item_el
    node = item_el.getparent()
    while node is not None:
        if node.tag in wanted:
            return node
        node = node.getparent()
    return item_el.getparent() if item_el.getparent() is not None else item_el


def _segments(pieces: list[tuple[str, int, int, int]], spans: list[_Span]) -> list[tuple[int, str]]:
    """The item's own text as (link id or -1, raw text) runs, nested lists left out.

    A comment counts only when it is a bare year: that is the TRS list trap
    ``<!-- 2018-->07-04`` (docs/metrics.md). Other comments (commented-out markup, old dates)
    are not shown and give nothing."""
    segs: list[tuple[int, str]] = []
    for span in spans:
        for text, link, sid, flags in pieces[span.start : span.end]:
            if sid != span.sid:
                continue
            if flags & _P_COMMENT:
                m = _COMMENT_YEAR.fullmatch(text)
                text = f" {m.group(1)} " if m else " "
            if segs and segs[-1][0] == link:
                segs[-1] = (link, segs[-1][1] + text)
            else:
                segs.append((link, text))
    return segs


def _edge_hits(text: str) -> list[dates.DateHit]:
    """Dates a link text shows at its very start or end (``[07-04] 标题``, ``标题 2020-08-05``);
    a date in the middle of a title is part of the title."""
    core = text.strip(" []【】()（）·|-—")
    if not core:
        return []
    offset = text.find(core)
    out = []
    for hit in dates.scan(core):
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


def _hidden(el: Any) -> bool:
    node = el
    while node is not None:
        style = node.get("style")
        if style:
            s = style.replace(" ", "").lower()
            if "display:none" in s or "visibility:hidden" in s:
                return True
        if node.get("hidden") is not None:
            return True
        node = node.getparent()
    return False


def _collect_items(w: _Walk, fetched: date, page_url: str | None) -> list[_Item]:
    """Every item (li, tr, dt+dd, or single-link parent block) that shows a date candidate."""
    pieces = w.pieces
    link_starts = [rec.start for rec in w.links]
    groups: dict[int, tuple[list[_Span], Any, str, list[_LinkRec]]] = {}
    for rec in w.links:
        if rec.url is None or rec.flags & _FOOTER:
            continue  # footers never give content dates
        if rec.url == page_url:
            # A link to the page itself (href="#", saved pages' absolutised anchors) is no list
            # entry; its URL would date it by the page's own t20200802 path.
            continue
        if rec.item is not None:
            el = rec.item.el
            members = _dtdd_group(w, el) if el.tag in ("dt", "dd") else [rec.item]
            kind = "dl" if el.tag in ("dt", "dd") else el.tag
        elif rec.block is not None:
            members, kind = [rec.block], "block"
        else:
            continue
        key = id(members[0])
        if key not in groups:
            groups[key] = (members, members[0].el, kind, [])
        groups[key][3].append(rec)

    items: list[_Item] = []
    for key, (spans, el, kind, recs) in groups.items():
        segs = _segments(pieces, spans)
        ids = {r.idx for r in recs}
        # The shape of the item: L = one of its links, D = one date shown outside the links.
        shape: list[str] = []
        outside: list[dates.DateHit] = []
        for link, text in segs:
            if link < 0:
                hits = [h for h in dates.scan(text) if dates.hit_date(h, fetched) is not None]
                outside.extend(hits)
                shape.extend("D" * len(hits))
            elif link in ids:
                shape.append("L")
        flat = re.sub(r"L+", "L", "".join(shape))
        if len(recs) >= 2 and len(flat) >= 4 and re.fullmatch(r"(?:LD)+|(?:DL)+", flat):
            # Several "link date" lines in one block: each link takes its own line's date.
            items.extend(_line_items(spans, el, recs, segs, fetched, flat[0] == "L"))
            continue
        if kind == "block":
            # A parent block is an item only when it holds exactly one link (docs/metrics.md),
            # and only when it is short: a paragraph of prose with a link and a date in it
            # ("详见<a>通知</a>，自2026年1月1日起施行") is no list entry.
            span = spans[0]
            n_links = bisect_left(link_starts, span.end) - bisect_left(link_starts, span.start)
            if n_links != 1:
                continue
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
                hits = _edge_hits(rec.text)
                if hits:
                    break
        udate = None if hits else dates.url_date(main.url, fetched)
        if not hits and udate is None:
            continue
        list_el = el.getparent() if kind == "block" else _list_element(el, el.tag)
        items.append(
            _Item(
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


def _line_items(
    spans: list[_Span],
    el: Any,
    recs: list[_LinkRec],
    segs: list[tuple[int, str]],
    fetched: date,
    link_first: bool,
) -> list[_Item]:
    """Items of a block that lists several ``link date`` lines (``<a>…</a> (2013-11-15)<br>``):
    each link takes the date of its own line, and the block is their list."""
    by_id = {r.idx: r for r in recs}
    order: list[tuple[str, Any]] = []
    for link, text in segs:
        if link < 0:
            for h in dates.scan(text):
                if dates.hit_date(h, fetched) is not None:
                    order.append(("D", h))
        elif link in by_id:
            if order and order[-1][0] == "L":
                continue  # a second link on the same line (…|图解): the first one is the title
            order.append(("L", by_id[link]))
    out: list[_Item] = []
    for n, (a, b) in enumerate(zip(order[0::2], order[1::2], strict=False)):
        rec, hit = (a[1], b[1]) if link_first else (b[1], a[1])
        out.append(
            _Item(
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


def _dtdd_group(w: _Walk, el: Any) -> list[_Span]:
    """A ``dt`` with the ``dd`` elements after it (or a ``dd`` with its ``dt``)."""
    head = el
    if el.tag == "dd":
        node = el.getprevious()
        while node is not None and node.tag == "dd":
            node = node.getprevious()
        if node is not None and node.tag == "dt":
            head = node
    members = [w.dtdd[head]] if head in w.dtdd else [w.dtdd[el]]
    node = head.getnext()
    while node is not None and node.tag == "dd":
        if node in w.dtdd:
            members.append(w.dtdd[node])
        node = node.getnext()
    if w.dtdd.get(el) not in members and el in w.dtdd:
        members.append(w.dtdd[el])
    return members


_HEADING_MARKS = ("tit", "head", "bt", "caption")


def _heading_year(list_el: Any) -> int | None:
    """The year of a list's heading: the nearest heading-like element before the list (its own
    siblings, then its ancestors' siblings, three levels up) that shows ``YYYY年``."""
    node = list_el
    for _ in range(4):
        if node is None:
            return None
        if node.tag == "table":
            caption = node.find("caption")
            if caption is not None:
                year = dates.heading_year(render("".join(caption.itertext()))[:80])
                if year:
                    return year
        sib = node.getprevious()
        seen = 0
        while sib is not None and seen < 3:
            if isinstance(sib.tag, str):
                seen += 1
                if sib.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "caption") or any(
                    m in _marks(sib) for m in _HEADING_MARKS
                ):
                    text = render("".join(sib.itertext()))
                    if len(text) <= 80:
                        year = dates.heading_year(text)
                        if year:
                            return year
            sib = sib.getprevious()
        node = node.getparent()
    return None


def _resolve_items(items: list[_Item], fetched: date, page_year: int | None) -> list[_Item]:
    heading_years: dict[Any, int | None] = {}
    out = []
    for it in items:
        for hit in it.hits:
            context = None
            if hit.year is None:
                if it.list_el not in heading_years:
                    heading_years[it.list_el] = _heading_year(it.list_el)
                context = heading_years[it.list_el] or page_year
            value = dates.hit_date(hit, fetched, context)
            if value is not None:
                it.date, it.raw = value, " ".join(hit.raw.split())
                break
        if it.date is None and it.url_date is not None:
            it.date, it.raw = it.url_date
        if it.date is not None:
            out.append(it)
    return out


def _main_list(items: list[_Item]) -> list[_Item]:
    """The list with the most dated items. Sibling lists of one tag and class under one parent
    are one list (gov.cn writes a column as several ``ul.list01`` of six); lists hidden with an
    inline ``display:none`` (inactive tabs) are not candidates while a shown one exists."""
    groups: dict[tuple[Any, ...], list[_Item]] = {}
    hidden: dict[Any, bool] = {}
    for it in items:
        el = it.list_el
        parent = el.getparent()
        key = (parent if parent is not None else el, el.tag, el.get("class"))
        groups.setdefault(key, []).append(it)
        if el not in hidden:
            hidden[el] = _hidden(el)
    visible = {k: [it for it in g if not hidden[it.list_el]] for k, g in groups.items()}
    if not any(visible.values()):
        visible = groups
    best: list[_Item] = []
    for group in visible.values():
        if len(group) > len(best) or (
            len(group) == len(best)
            and group
            and best
            and group[0].first_piece < best[0].first_piece
        ):
            best = group
    return best


# ---------------------------------------------------------------------------------------------
# Publish date


def _label_date(text: str, fetched: date) -> date | None:
    for pattern in (_LABEL_STRONG, _LABEL_UPDATE, _LABEL_WEAK):
        for m in pattern.finditer(text):
            rest = text[m.end() : m.end() + 60]
            gap = len(rest) - len(rest.lstrip(_LABEL_GAP))
            if gap > 12:
                continue
            snippet = rest[gap:]
            for hit in dates.scan(snippet, month_day=False):
                if hit.start > 0:
                    break
                value = hit.to_date()
                if value is not None and value <= fetched:
                    return value
                break
    return None


def _dateline_date(text: str, fetched: date) -> date | None:
    """The date of an article's info line: ``2014-10-10 23:05 来源： 新华社``."""
    for m in _DATELINE.finditer(text):
        before = text[max(0, m.start() - _DATELINE_REACH) : m.start()]
        for hit in reversed(dates.scan(before, month_day=False)):
            value = hit.to_date()
            if value is not None and value <= fetched:
                return value
        after = text[m.end() : m.end() + _DATELINE_REACH]
        for hit in dates.scan(after, month_day=False):
            value = hit.to_date()
            if value is not None and value <= fetched:
                return value
    return None


def _htmldate(root: Any, url: str, fetched: date) -> date | None:
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        with warnings.catch_warnings():
            # htmldate and its parsers warn about odd inputs; pytest runs with warnings as errors
            # and a warning about a scraped page is not a defect of ours.
            warnings.simplefilter("ignore")
            found = find_date(
                root,
                url=url,
                original_date=True,
                extensive_search=False,
                outputformat="%Y-%m-%d",
                max_date=fetched.isoformat(),
            )
    except Exception:  # htmldate raises on inputs it cannot handle; the fallback is optional
        log.debug("htmldate failed on %s", url, exc_info=True)
        return None
    if not found:
        return None
    try:
        value = date.fromisoformat(found)
    except ValueError:
        return None
    return value if value <= fetched else None


# ---------------------------------------------------------------------------------------------
# Forms

_SEARCH_WORDS = ("search", "sousuo", "query", "keyword", "searchword", "sword")
_SEARCH_TOKENS = frozenset({"q", "kw", "wd", "ss"})
_SEARCH_BUTTONS = ("搜索", "检索", "查询")
_TEXT_TYPES = frozenset({"text", "search", ""})
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")


def says_search(value: str | None) -> bool:
    """A field name, form action, id or class that names a site search (docs/metrics.md)."""
    if not value:
        return False
    v = value.lower()
    if any(word in v for word in _SEARCH_WORDS):
        return True
    return any(tok in _SEARCH_TOKENS for tok in _TOKEN_SPLIT.split(v))


def _form(el: Any, page_url: str, base: str) -> Form:
    action = absolute_url(base, el.get("action")) if (el.get("action") or "").strip() else None
    method = "post" if (el.get("method") or "").strip().lower() == "post" else "get"
    fields: list[FormField] = []
    text_names: list[str] = []
    has_text = has_password = button_says = False
    for node in el.iter("input", "select", "textarea", "button", "img"):
        tag = node.tag
        name = (node.get("name") or "").strip()
        if tag == "input":
            ftype = (node.get("type") or "text").strip().lower()
            value = node.get("value") or ""
            if ftype in _TEXT_TYPES:
                has_text = True
                if name:
                    text_names.append(name)
            elif ftype == "password":
                has_password = True
            elif ftype in ("submit", "button", "image"):
                label = " ".join(filter(None, (value, node.get("alt"), node.get("title"))))
                button_says = button_says or _says_button(label)
        elif tag == "select":
            ftype = "select"
            value = ""
            options = node.findall(".//option")
            chosen = next((o for o in options if o.get("selected") is not None), None)
            if chosen is None and options:
                chosen = options[0]
            if chosen is not None:
                value = chosen.get("value") or render("".join(chosen.itertext()))
        elif tag == "textarea":
            ftype = "textarea"
            value = node.text or ""
        elif tag == "button":
            ftype = (node.get("type") or "submit").strip().lower()
            value = node.get("value") or ""
            if ftype in ("submit", "button"):
                label = " ".join((render("".join(node.itertext())), value, node.get("title") or ""))
                button_says = button_says or _says_button(label)
        else:  # img: an image that submits by script, labelled 搜索
            button_says = button_says or _says_button(
                f"{node.get('alt') or ''} {node.get('title') or ''}"
            )
            continue
        if name:
            fields.append(FormField(name=name, type=ftype, value=value))
    form_says = any(says_search(el.get(a)) for a in ("action", "id", "class", "name"))
    name_says = [n for n in text_names if says_search(n)]
    search = has_text and not has_password and bool(name_says or form_says or button_says)
    candidates = name_says or text_names
    query_field = candidates[0] if candidates else None
    return Form(
        action=action or page_url,
        method=method,
        fields=fields,
        search=search,
        query_field=query_field,
    )


def _says_button(label: str) -> bool:
    flat = "".join(label.split())
    return any(word in flat for word in _SEARCH_BUTTONS)


# ---------------------------------------------------------------------------------------------
# List container


def _empty_container(w: _Walk, span: _Span, link_starts: list[int]) -> bool:
    lo = bisect_left(link_starts, span.start)
    hi = bisect_left(link_starts, span.end)
    for rec in w.links[lo:hi]:
        if rec.url is not None and not _is_pager(rec.text, True):
            return False
    text = _span_text(w.pieces, span.start, span.end)
    if dates.scan(text, month_day=False):
        return False
    residue = text
    for phrase in EMPTY_PHRASES:
        residue = residue.replace(phrase, "")
    residue = re.sub(r"[\s\d首页上下一尾末共条第页/|<>«»，。,.:：()（）\[\]]+", "", residue)
    if len(residue) > 30:
        return False
    listish = span.el.tag in ("ul", "ol", "table") or any(m in span.marks for m in _LIST_MARKERS)
    return listish or not residue


# ---------------------------------------------------------------------------------------------


def _parse(text: str) -> Any:
    data = _CONTROL.sub("", text).encode("utf-8", "replace")
    if len(data) > MAX_PARSE_BYTES:
        data = data[:MAX_PARSE_BYTES]
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_pis=True, no_network=True, recover=True, default_doctype=False
    )
    root = None
    if data.strip():
        try:
            root = etree.fromstring(data, parser)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            root = None
    if root is None:
        root = lxml.html.fromstring("<html><body></body></html>", parser=parser)
    # libxml2 (2.14) puts what follows a stray </html> into a second top-level <html>: gov.cn's
    # inlined footers close the document halfway, and the article follows. Move such trees
    # into the body so every consumer (walk, boards, htmldate) sees the whole page in order.
    extra = [node for node in root.itersiblings() if isinstance(node.tag, str)]
    if extra:
        body = root.find("body")
        if body is None:
            body = etree.SubElement(root, "body")
        for node in extra:
            body.append(node)
    return root


def extract_page(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    status: int = 200,
    *,
    fetched: date | None = None,
) -> PageFacts:
    """The facts of one response. ``headers`` keys are lower-case header names; ``fetched`` is
    the fetch date (month-day resolution, future dates; default today). Never raises."""
    try:
        return _extract(url, body, headers, status, fetched or date.today())
    except Exception:  # one odd page must not end a crawl of hundreds: keep what needs no parse
        log.exception("page-fact extraction failed for %s", url)
        content_type = _mime(_header(headers, "content-type"))
        return PageFacts(
            url=url,
            final_url=url,
            status=status,
            content_type=content_type,
            is_html=content_type in _HTML_MIMES,
            body_bytes=len(body or b""),
        )


def _extract(
    url: str, body: bytes, headers: Mapping[str, str], status: int, fetched: date
) -> PageFacts:
    body = bytes(body or b"")
    raw_type = _header(headers, "content-type")
    content_type = _mime(raw_type)
    facts = PageFacts(
        url=url, final_url=url, status=status, content_type=content_type, body_bytes=len(body)
    )
    # No Content-Type: an HTML-looking body is a page (docs/metrics.md, "2xx page").
    is_html = content_type in _HTML_MIMES if content_type else _sniff_html(body)
    charset = None
    if is_html:
        charset = charset_from_content_type(raw_type)
        if looks_binary(body, charset):
            is_html = False
    if not is_html:
        return facts
    facts.is_html = True
    if len(body) > MAX_PARSE_BYTES:
        body = body[:MAX_PARSE_BYTES]
    text, encoding, source = decode_html(body, raw_type)
    facts.encoding, facts.encoding_source = encoding, source
    root = _parse(text)
    scripts = expand_scripts(root, url)  # lists and pagers scripts hold, read as shown
    w = _walk(root)

    facts.title = w.title or ""
    facts.meta = w.meta
    facts.viewport = w.meta.get("viewport")
    lang = (root.get("lang") or root.get("xml:lang") or "").strip()
    facts.lang = lang or None
    facts.images, facts.images_alt = w.images, w.images_alt
    facts.empty_state = w.empty_state
    facts.headings = [t for t in (_span_text(w.pieces, s.start, s.end) for s in w.headings) if t]

    base = url
    if w.base:
        base = absolute_url(url, w.base) or url
    for rec in w.links:
        rec.url = absolute_url(base, rec.href)
        rec.text = _span_text(w.pieces, rec.start, rec.end)
        rec.label = rec.text or rec.img_text or render(rec.el.get("title") or "")
    facts.links = [
        Link(
            url=rec.url,
            text=rec.label,
            nav=bool(rec.flags & _NAV),
            pager=_is_pager(rec.label, bool(rec.flags & _PAGER)),
        )
        for rec in w.links
        if rec.url is not None
    ]

    # Body text, capped. The raw stream is cut well past the cap first: collapsing whitespace
    # shrinks it, and rendering a whole multi-megabyte page would cost time for nothing.
    raw_parts: list[str] = []
    size = 0
    for piece in w.pieces:
        if piece[3] & _P_COMMENT:
            continue
        raw_parts.append(piece[0])
        size += len(piece[0])
        if size > TEXT_CAP * 8:
            break
    facts.text = render("".join(raw_parts))[:TEXT_CAP]

    candidates = _collect_items(w, fetched, http_url(url))

    # Publish date: meta, else a labelled date in the shown text, else the article's info line
    # (date next to 来源). Text of dated list items and footers is left out, so a list page's
    # rows do not become its publish date.
    in_items = bytearray(len(w.pieces))
    for it in candidates:
        for span in it.spans:
            for i in range(span.start, span.end):
                if w.pieces[i][2] == span.sid:
                    in_items[i] = 1
    publish, source_name = None, ""
    for key in PUBDATE_METAS:
        if key in w.meta:
            publish = dates.parse_date(w.meta[key], fetched)
            if publish is not None:
                source_name = f"meta:{key}"
                break
    if publish is None:
        label_parts: list[str] = []
        size = 0
        for i, (text_piece, _link, _sid, flags) in enumerate(w.pieces):
            if flags & (_P_COMMENT | _FOOTER) or in_items[i]:
                continue
            label_parts.append(text_piece)
            size += len(text_piece)
            if size > TEXT_CAP * 8:
                break
        label_text = render("".join(label_parts))
        publish = _label_date(label_text, fetched)
        if publish is not None:
            source_name = "label"
        else:
            publish = _dateline_date(label_text, fetched)
            if publish is not None:
                source_name = "dateline"

    resolved = _resolve_items(candidates, fetched, publish.year if publish else None)
    facts.dated_links = [
        DatedItem(title=rec.label, url=rec.url, date=it.date, raw=it.raw)
        for it in resolved
        for rec in it.links
    ]
    main = _main_list(resolved)
    facts.items = [
        DatedItem(title=it.main.label, url=it.main.url, date=it.date, raw=it.raw) for it in main
    ]

    # List container: one that holds dated items, or an empty one (see the module docstring).
    holders: set[Any] = set()
    for it in resolved:
        for el in it.elements:
            node = el
            while node is not None and node not in holders:
                holders.add(node)
                node = node.getparent()
    link_starts = [rec.start for rec in w.links]
    facts.list_container = any(span.el in holders for span in w.containers) or any(
        _empty_container(w, span, link_starts) for span in w.containers
    )

    facts.forms = [_form(el, url, base) for el in w.forms]
    facts.threads = extract_threads(root, http_url(url) or url, fetched, text=facts.text, base=base)

    if publish is None and sum(1 for it in main if it.hits) < 3:
        # Last resort for articles, not for list pages (a main list of three items that show
        # dates). A date htmldate takes from a list row is not the page's own either.
        found = _htmldate(root, url, fetched)
        if found is not None and found not in {it.date for it in resolved}:
            publish, source_name = found, "htmldate"
    facts.publish_date, facts.publish_date_source = publish, source_name
    facts.embedded, facts.endpoints = scripts.forms, scripts.endpoints
    facts.scripted = needs_browser(
        scripts, facts.text, len(main), facts.list_container, len(facts.links)
    )
    facts.challenge = challenge(status, body, facts.text)  # an anti-bot test, not the page
    return facts
