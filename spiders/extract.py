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
from itertools import islice, pairwise
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from evalcrawler.facts import EMPTY_PHRASES, DatedItem, Form, FormField, Link, PageFacts
from evalcrawler.spiders import dates
from evalcrawler.spiders.boards import extract_threads
from evalcrawler.spiders.encoding import charset_from_content_type, decode_html
from evalcrawler.spiders.text import clean, clean_tree, hostile_references

log = logging.getLogger(__name__)

TEXT_CAP = 50_000
# A link text or heading longer than this is cut (no title is that long; spans can nest).
SPAN_TEXT_MAX = 2_000
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
    return clean(content_type.split(";", 1)[0].strip().lower())


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


def normalize_url(url: str) -> str | None:
    """Absolute http(s) URL without fragment, scheme and host lower case, default port dropped,
    empty path ``/``; ``None`` for other schemes and unparsable URLs."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = parts.port
    except ValueError:
        return None
    netloc = host
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


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
    return normalize_url(joined)


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
    norm = normalize_url(base)
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
    blocks: list[_Span] = field(default_factory=list)  # div, p, td … in document order
    dtdd: dict[Any, _Span] = field(default_factory=dict)
    forms: list[Any] = field(default_factory=list)
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
            w.blocks.append(block)
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


def _span_raw(
    pieces: list[tuple[str, int, int, int]], start: int, end: int, limit: int
) -> tuple[str, bool]:
    """The raw text of a stretch of pieces (comments left out), at most ``limit`` characters
    from at most ``limit`` pieces; and whether that is all of it. Spans nest (headings in
    headings, containers in containers): a bound per span keeps their sum linear."""
    parts: list[str] = []
    size = 0
    stop = min(end, start + limit)
    for text, _link, _sid, flags in pieces[start:stop]:
        if flags & _P_COMMENT:
            continue
        parts.append(text)
        size += len(text)
        if size > limit:
            return "".join(parts)[:limit], False
    return "".join(parts), stop == end


def _span_text(
    pieces: list[tuple[str, int, int, int]], start: int, end: int, limit: int = SPAN_TEXT_MAX
) -> str:
    """The rendered text of a stretch of pieces: a link's text, a heading (the first ``limit``
    raw characters: no title is longer)."""
    return render(_span_raw(pieces, start, end, limit)[0])


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


def _own_pieces(w: _Walk, span: _Span) -> list[int]:
    """The indexes of the pieces of ``span`` that are its own (nested lists left out): those
    of its structure id, found by bisection, so nested items do not read each other's."""
    index = w.sid_index()
    at = index.get(span.sid, [])
    return at[bisect_left(at, span.start) : bisect_left(at, span.end)]


def _segments(w: _Walk, spans: list[_Span]) -> list[tuple[int, str]]:
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
            if flags & _P_COMMENT:
                m = _COMMENT_YEAR.fullmatch(text)
                text = f" {m.group(1)} " if m else " "
            if links and links[-1] == link:
                runs[-1].append(text)
            else:
                links.append(link)
                runs.append([text])
    return [(link, "".join(run)) for link, run in zip(links, runs, strict=True)]


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


def _hidden(el: Any, cache: dict[Any, bool]) -> bool:
    """Hidden by an inline style or the ``hidden`` attribute, its own or an ancestor's."""
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
        if node.get("hidden") is not None:
            hidden = True
            break
        path.append(node)
        node = node.getparent()
    for seen in path:
        cache[seen] = hidden
    if node is not None:
        cache[node] = hidden
    return hidden


def _collect_items(w: _Walk, fetched: date, page_url: str | None) -> list[_Item]:
    """Every item (li, tr, dt+dd, or single-link parent block) that shows a date candidate."""
    link_starts = [rec.start for rec in w.links]
    dl_groups = _dtdd_groups(w)
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
            members = dl_groups[el] if el.tag in ("dt", "dd") else [rec.item]
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
    lists: dict[Any, Any] = {}
    block_lines = _BlockLines(w, fetched)
    for key, (spans, el, kind, recs) in groups.items():
        if kind == "block" and len(recs) >= 2:
            # Several links of one block: "link date" lines, or no item at all (a block item
            # holds exactly one link, below).
            order = block_lines.order(spans[0], recs)
            if order is not None and _alternates(order):
                items.extend(_line_items(spans, el, order))
            continue
        if kind == "block" and _links_in(link_starts, spans[0]) != 1:
            continue
        segs = _segments(w, spans)
        by_id = {r.idx: r for r in recs}
        # The item's order: L = one of its links (the first of adjacent ones), D = one date
        # shown outside the links.
        order = []
        outside: list[dates.DateHit] = []
        for link, text in segs:
            if link < 0:
                hits = [h for h in dates.scan(text) if dates.hit_date(h, fetched) is not None]
                outside.extend(hits)
                order.extend(("D", h) for h in hits)
            elif link in by_id and not (order and order[-1][0] == "L"):
                order.append(("L", by_id[link]))
        if len(recs) >= 2 and _alternates(order):
            # Several "link date" lines in one item: each link takes its own line's date.
            items.extend(_line_items(spans, el, order))
            continue
        if kind == "block":
            # A parent block is an item only when it holds exactly one link (docs/metrics.md),
            # and only when it is short: a paragraph of prose with a link and a date in it
            # ("详见<a>通知</a>，自2026年1月1日起施行") is no list entry.
            if _links_in(link_starts, spans[0]) != 1:
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
        list_el = el.getparent() if kind == "block" else _list_element(el, el.tag, lists)
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


def _item_pieces(w: _Walk, items: list[_Item]) -> bytearray:
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


def _links_in(link_starts: list[int], span: _Span) -> int:
    return bisect_left(link_starts, span.end) - bisect_left(link_starts, span.start)


def _alternates(order: list[tuple[str, Any]]) -> bool:
    """``order`` reads link, date, link, date … (or date, link …): two lines at least."""
    return len(order) >= 4 and len(order) % 2 == 0 and all(a[0] != b[0] for a, b in pairwise(order))


def _line_items(spans: list[_Span], el: Any, order: list[tuple[str, Any]]) -> list[_Item]:
    """Items of a block that lists several ``link date`` lines (``<a>…</a> (2013-11-15)<br>``):
    each link takes the date of its own line, and the block is their list."""
    link_first = order[0][0] == "L"
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


class _BlockLines:
    """The "link date" lines of blocks that hold several links.

    Blocks nest, and an outer block's text holds its inner blocks' text: reading each block's
    whole stretch would cost the nesting depth times the page. So each block's own stretch
    (its pieces outside the blocks nested in it, of its structure id) is read once, and an
    inner block counts in an outer block's lines only by its dates: none, one (the date of
    the outer block's line), or several (the outer block is not a list of lines: two dates
    follow each other). A text run ends at a block boundary: no date spans two blocks.
    """

    def __init__(self, w: _Walk, fetched: date) -> None:
        self.w = w
        self.fetched = fetched
        self.done: set[int] = set()  # the structure ids read
        self.children: dict[int, list[_Span]] = {}  # id(block) → nested blocks of its sid
        self.own: dict[int, list[tuple[int, str, Any]]] = {}  # (piece, "L"/"D", id/hit)
        self.dated: dict[int, tuple[int, dates.DateHit | None]] = {}  # (0/1/2 dates, the one)

    def order(self, span: _Span, recs: list[_LinkRec]) -> list[tuple[str, Any]] | None:
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
        stack: list[_Span] = []
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
                    if link >= 0 or text == _HARD:
                        self._dates(run, run_at, own)
                        run, run_at = [], -1
                        if link >= 0 and link != last_link:
                            own.append((i, "L", link))
                        last_link = link
                        continue
                    last_link = -1
                    if flags & _P_COMMENT:
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
        for hit in dates.scan("".join(run)):
            if dates.hit_date(hit, self.fetched) is not None:
                own.append((at, "D", hit))


def _dtdd_groups(w: _Walk) -> dict[Any, list[_Span]]:
    """The item of each ``dt``/``dd``: a ``dt`` with the ``dd`` elements after it; a ``dd``
    with no ``dt`` before it starts an item of its own, which the link-less ``dd`` elements
    after it (a date, a summary) join. One pass over the siblings of every dt/dd."""
    groups: dict[Any, list[_Span]] = {}
    linked = {id(rec.item) for rec in w.links if rec.item is not None}
    parents: dict[Any, None] = {}
    for el in w.dtdd:
        parent = el.getparent()
        if parent is not None:
            parents.setdefault(parent)
        else:
            groups[el] = [w.dtdd[el]]
    for parent in parents:
        current: list[_Span] | None = None
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
            year = dates.heading_year(_short_text(caption)[0][:_HEADING_MAX])
            if year:
                return year
    sib = node.getprevious()
    elements = nodes = 0
    while sib is not None and elements < 3 and nodes < _SIBLINGS_LOOKED_AT:
        nodes += 1
        if isinstance(sib.tag, str):
            elements += 1
            if sib.tag in _HEADING_TAGS or any(m in _marks(sib) for m in _HEADING_MARKS):
                text, whole = _short_text(sib)
                if whole and len(text) <= _HEADING_MAX:
                    year = dates.heading_year(text)
                    if year:
                        return year
        sib = sib.getprevious()
    return None


def _short_text(el: Any, limit: int = SPAN_TEXT_MAX) -> tuple[str, bool]:
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


def _resolve_items(items: list[_Item], fetched: date, page_year: int | None) -> list[_Item]:
    heading_years: dict[Any, int | None] = {}
    levels: dict[Any, int | None] = {}
    out = []
    for it in items:
        for hit in it.hits:
            context = None
            if hit.year is None:
                if it.list_el not in heading_years:
                    heading_years[it.list_el] = _heading_year(it.list_el, levels)
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
    climbed: dict[Any, bool] = {}
    for it in items:
        el = it.list_el
        parent = el.getparent()
        key = (parent if parent is not None else el, el.tag, el.get("class"))
        groups.setdefault(key, []).append(it)
        if el not in hidden:
            hidden[el] = _hidden(el, climbed)
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
_OPTIONS_READ = 1_000


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
            chosen = first = None
            # Selects nest (libxml2 does not close one that is left open): look at a few.
            for option in islice(node.iter("option"), _OPTIONS_READ):
                first = first if first is not None else option
                if option.get("selected") is not None:
                    chosen = option
                    break
            chosen = chosen if chosen is not None else first
            if chosen is not None:
                value = chosen.get("value") or _short_text(chosen)[0]
        elif tag == "textarea":
            ftype = "textarea"
            value = node.text or ""
        elif tag == "button":
            ftype = (node.get("type") or "submit").strip().lower()
            value = node.get("value") or ""
            if ftype in ("submit", "button"):
                label = " ".join((_short_text(node)[0], value, node.get("title") or ""))
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


# An empty list shows a phrase and a pager at most: a container with more text than this is
# not empty (and containers nest: each reads at most this much).
_EMPTY_CONTAINER_READ = 4_000


def _empty_container(
    w: _Walk, span: _Span, link_starts: list[int], content_links: list[int]
) -> bool:
    """``content_links[i]``: how many of the first ``i`` links are not pager links."""
    lo = bisect_left(link_starts, span.start)
    hi = bisect_left(link_starts, span.end)
    if content_links[hi] > content_links[lo]:
        return False
    raw, whole = _span_raw(w.pieces, span.start, span.end, _EMPTY_CONTAINER_READ)
    if not whole:
        return False
    text = render(raw)
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
    # Control characters, noncharacters and bidi controls never reach the tree (spiders/text.py);
    # those the parser makes of character references are cleaned from the tree below.
    data = clean(text).encode("utf-8", "replace")
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
    if hostile_references(text):
        clean_tree(root)
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

    candidates = _collect_items(w, fetched, normalize_url(url))

    # Publish date: meta, else a labelled date in the shown text, else the article's info line
    # (date next to 来源). Text of dated list items and footers is left out, so a list page's
    # rows do not become its publish date.
    in_items = _item_pieces(w, candidates)
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
    content_links = [0]
    for rec in w.links:
        content = rec.url is not None and not _is_pager(rec.text, True)
        content_links.append(content_links[-1] + content)
    facts.list_container = any(span.el in holders for span in w.containers) or any(
        _empty_container(w, span, link_starts, content_links) for span in w.containers
    )

    facts.forms = [_form(el, url, base) for el in w.forms]
    facts.threads = extract_threads(
        root, normalize_url(url) or url, fetched, text=facts.text, base=base
    )

    if publish is None and sum(1 for it in main if it.hits) < 3:
        # Last resort for articles, not for list pages (a main list of three items that show
        # dates). A date htmldate takes from a list row is not the page's own either.
        found = _htmldate(root, url, fetched)
        if found is not None and found not in {it.date for it in resolved}:
            publish, source_name = found, "htmldate"
    facts.publish_date, facts.publish_date_source = publish, source_name
    return facts
