"""Page-fact extraction: one HTTP response in, one :class:`~evalcrawler.facts.PageFacts` out.

Pure functions over bytes (no Scrapy, no reactor): the spider calls :func:`extract_page` for
every response, and tests call it on saved pages. What each fact means is fixed in
``docs/metrics.md``; the decisions this module adds where those definitions are silent (each
one forced by a real page of ``tests/fixtures/real``) are listed at the end of this docstring.

The page is parsed once with lxml's HTML parser (libxml2 recovers from truncated markup, nested
``<a>``, stray ``</html>`` and second DOCTYPEs the way browsers mostly do) and walked once
(:mod:`evalcrawler.spiders.walk`): the visible text becomes a flat list of pieces, each tagged
with the link it belongs to and the innermost list structure that holds it; link texts,
headings, list items (:mod:`evalcrawler.spiders.items`) and the text searched for a publish
date are all slices of that list. So the work is linear in the page size, whatever shape the
page repeats, and a 50 KB page takes a few milliseconds.

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
* Main list: lists of one shape that follow each other are one list (gov.cn splits a column
  into ``ul.list01`` groups of six, or tables of five rows between spacer tables; Pingtan into
  ``div > ul`` blocks of five), unless a link lies between them (the next box of a portal) or
  their wrappers are tab panes (``spiders/mainlist.py``); lists hidden by an inline
  ``display:none`` or a class that says so (inactive tabs) compete only if nothing shown
  does; the main list is the first list of the longest one's tag and class that holds at
  least half as many dated items (and three), else the longest (ties: the first).
* Row blocks (``spiders/items.py``): a grid cell whose links lead to one target and whose
  date sits in a block beside the link's own is an item when such cells repeat.
* List container (``spiders/containers.py``): a container named as a list (a word of its
  id/class holds ``list`` or ``datagrid``, or is or ends in ``lb``; not a carousel, slider or
  pager), or a ``ul``/``ol``/``table`` named ``news``/``info``/``content``, outside navigation
  and footers, counts when it holds a dated item, or when it is empty: no non-pager link, no
  date, at most a few characters besides an empty-state phrase and pager words, nothing a
  script fills (template attributes, a script or frame inside, its id or class named in the
  page's scripts), and no other list container of the page shows links. A ``div`` named only
  ``news``/``info``/``content`` is never an empty list (article bodies and info bars carry those
  names).
* Empty state: a phrase counts only as a short text (at most 40 characters) outside
  navigation, footers and script templates (``ms-if="error"``), not inside a sentence.
* Own text: the characters (blanks not counted) of shown text outside links, navigation,
  footers and comments; the scoring never calls a page with more than 300 a blank column.
* Publish date (``spiders/pubdate.py``): labels are tried in order 发布时间/发布日期/发文日期,
  then 更新时间, then a bare 日期/时间 not glued to another word (成文日期 and 会议时间 are other
  dates; a bare label that labels several different dates labels items, not the page). Text
  of dated list rows and footers is not searched. When no label is shown, the article's info
  line counts: a full date within 50 characters of 来源 (``2014-10-10 23:05 来源：新华社``, the
  gov.cn and court templates). htmldate comes last and only when the main list has fewer than
  three items that show dates and the page is at most 2 MB; its date counts only when the page
  shows it as its own: as text (not only in the URL, a ``<meta>`` build stamp or a script),
  not right after the label of another date (发证日期, 有效期), not in a row of a data table
  whose rows show dates, and not equal to a dated link's date.
* Links: the first 5,000 of a page are kept, in page order; ``links_found`` counts them all.
* Forms: the form's ``name`` counts like its id/class; a form with a password field is never
  a search form; ``input type=image`` and images labelled 搜索 count as buttons.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import lxml.html
from lxml import etree

from evalcrawler.facts import DatedItem, ExtractOptions, Link, PageFacts
from evalcrawler.spiders import pubdate
from evalcrawler.spiders.boards import extract_threads
from evalcrawler.spiders.challenge import challenge
from evalcrawler.spiders.containers import own_text, read_containers
from evalcrawler.spiders.corrections import scanner, selected_rows
from evalcrawler.spiders.embedded import expand_scripts, needs_browser
from evalcrawler.spiders.encoding import charset_from_content_type, decode_html
from evalcrawler.spiders.forms import read_form
from evalcrawler.spiders.guide import guide_labels
from evalcrawler.spiders.hrefs import absolute_url
from evalcrawler.spiders.itemdates import resolve_items
from evalcrawler.spiders.items import collect_items, item_pieces
from evalcrawler.spiders.mainlist import main_list
from evalcrawler.spiders.nesting import FLAT_DEPTH, LIBXML2_DEPTH, flatten
from evalcrawler.spiders.text import clean, clean_tree, hostile_references
from evalcrawler.spiders.walk import (
    FOOTER,
    NAV,
    P_COMMENT,
    PAGER,
    is_pager,
    render,
    span_text,
    walk_tree,
)
from evalcrawler.urls import http_url

log = logging.getLogger(__name__)

TEXT_CAP = 50_000
# Links kept of one page, in page order (PageFacts.links_found counts them all): no page a
# crawl can use has more, and each one kept costs memory in the crawl, the database and the
# frontier.
MAX_LINKS_PER_PAGE = 5_000
# Bodies beyond this are cut before parsing: the time stays bounded on runaway pages, and no
# government page worth scoring is that large.
MAX_PARSE_BYTES = 8 * 1024 * 1024
# htmldate, the publish date's last resort, reads pages up to this size only.
HTMLDATE_MAX = 2 * 1024 * 1024


# Container markers that name a list outright; the generic ones (news, info, content) also
# name article bodies and info bars, so such a container counts as an empty list only when it
# shows nothing at all.
_LIST_MARKERS = ("list", "lb", "datagrid")


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


def _apply_selector(
    facts: PageFacts,
    root: Any,
    selector: str,
    base: str,
    url: str,
    fetched: date,
    scan: Any,
    publish: date | None,
) -> None:
    """The site's list rows, picked by its CSS selector, are the page's main list (when the
    selector finds rows on the page; else automatic reading stands)."""
    rows = selected_rows(
        root, selector, base, http_url(url), fetched, scan, publish.year if publish else None
    )
    if not rows:
        return
    facts.items = [row.item for row in rows if row.item is not None]
    known = {(d.url, d.date) for d in facts.dated_links}
    for row in rows:
        if row.item is None:
            continue
        for link_url, text in row.links:
            if (link_url, row.item.date) not in known:
                known.add((link_url, row.item.date))
                facts.dated_links.append(
                    DatedItem(title=text, url=link_url, date=row.item.date, raw=row.item.raw)
                )
    # The rows hold the list: the page shows items (dated or not), no empty container.
    facts.list_container = bool(facts.items)
    facts.empty_container = None


def _parse(text: str, limits: list[str]) -> Any:
    """The page's tree. What could not be read is added to ``limits``."""
    # Control characters, noncharacters and bidi controls never reach the tree (spiders/text.py);
    # those the parser makes of character references are cleaned from the tree below.
    root, too_deep = _parse_markup(clean(text), limits)
    if too_deep:
        # libxml2 drops all that follows the level where it stopped: parse the page again with
        # its innermost levels flattened (spiders/nesting.py).
        flat = flatten(clean(text))
        if flat is not None:
            root, too_deep = _parse_markup(clean(flat.markup), [])
            if flat.lost:
                limits.append(
                    f"nested deeper than {FLAT_DEPTH:,} levels: the lists and forms there "
                    "read as plain text and links"
                )
        if too_deep:
            limits.append(
                f"nested deeper than {LIBXML2_DEPTH:,} levels: what follows that depth not read"
            )
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


def _parse_markup(markup: str, limits: list[str]) -> tuple[Any, bool]:
    """libxml2's tree of the markup (cut at :data:`MAX_PARSE_BYTES`), and whether it stopped at
    its nesting limit."""
    data = markup.encode("utf-8", "replace")
    if len(data) > MAX_PARSE_BYTES:
        data = data[:MAX_PARSE_BYTES]
        _note_cut(limits)
    # huge_tree: 2,048 levels of nesting instead of 256 (a page whose every row leaves a tag
    # open is that deep), and no limit on the size of one text node.
    parser = lxml.html.HTMLParser(
        encoding="utf-8",
        remove_pis=True,
        no_network=True,
        recover=True,
        default_doctype=False,
        huge_tree=True,
    )
    root = None
    if data.strip():
        try:
            root = etree.fromstring(data, parser)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            root = None
    too_deep = any(
        e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in parser.error_log
    )
    if root is None:
        root = lxml.html.fromstring("<html><body></body></html>", parser=parser)
    return root, too_deep


def _note_cut(limits: list[str]) -> None:
    note = f"body over {MAX_PARSE_BYTES // 2**20} MB: the rest not read"
    if note not in limits:
        limits.append(note)


def extract_page(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    status: int = 200,
    *,
    fetched: date | None = None,
    options: ExtractOptions | None = None,
) -> PageFacts:
    """The facts of one response. ``headers`` keys are lower-case header names; ``fetched`` is
    the fetch date (month-day resolution, future dates; default today); ``options`` are the
    site's corrections (a CSS selector of list rows, a date format). Never raises."""
    try:
        return _extract(url, body, headers, status, fetched or date.today(), options)
    except Exception:  # one odd page must not end a crawl of hundreds: keep what needs no parse
        log.exception("page-fact extraction failed for %s", url)
        facts = page_without_facts(url, body, headers, status)
        facts.is_html = facts.content_type in _HTML_MIMES
        return facts


def page_without_facts(
    url: str, body: bytes, headers: Mapping[str, str], status: int, error: str | None = None
) -> PageFacts:
    """The facts of a response that need no parsing: status, content type, size; ``error``
    says why the page was not read."""
    return PageFacts(
        url=url,
        final_url=url,
        status=status,
        error=error,
        content_type=_mime(_header(headers, "content-type")),
        body_bytes=len(body or b""),
    )


def _extract(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    status: int,
    fetched: date,
    options: ExtractOptions | None = None,
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
        _note_cut(facts.limits)
    text, encoding, source = decode_html(body, raw_type)
    facts.encoding, facts.encoding_source = encoding, source
    root = _parse(text, facts.limits)
    scripts = expand_scripts(root, url)  # lists and pagers scripts hold, read as shown
    w = walk_tree(root)

    facts.title = w.title or ""
    facts.meta = w.meta
    facts.viewport = w.meta.get("viewport")
    lang = (root.get("lang") or root.get("xml:lang") or "").strip()
    facts.lang = lang or None
    facts.images, facts.images_alt = w.images, w.images_alt
    facts.empty_state = w.empty_state
    facts.headings = [t for t in (span_text(w.pieces, s.start, s.end) for s in w.headings) if t]

    base = url
    if w.base:
        base = absolute_url(url, w.base) or url
    for rec in w.links:
        rec.url = absolute_url(base, rec.href)
        rec.text = span_text(w.pieces, rec.start, rec.end)
        rec.label = rec.text or rec.img_text or render(rec.el.get("title") or "")
    http_links = [rec for rec in w.links if rec.url is not None]
    facts.links_found = len(http_links)
    facts.links = [
        Link(
            url=rec.url,
            text=rec.label,
            nav=bool(rec.flags & NAV),
            pager=is_pager(rec.label, bool(rec.flags & PAGER)),
        )
        for rec in http_links[:MAX_LINKS_PER_PAGE]
        if rec.url is not None  # for the type checker: the list holds only these
    ]

    # Body text, capped. The raw stream is cut well past the cap first: collapsing whitespace
    # shrinks it, and rendering a whole multi-megabyte page would cost time for nothing.
    raw_parts: list[str] = []
    size = 0
    for piece in w.pieces:
        if piece[3] & P_COMMENT:
            continue
        raw_parts.append(piece[0])
        size += len(piece[0])
        if size > TEXT_CAP * 8:
            break
    facts.text = render("".join(raw_parts))[:TEXT_CAP]

    scan = scanner(options.date_format if options else None)
    candidates = collect_items(w, fetched, http_url(url), scan)

    # Publish date: meta, else a labelled date in the shown text, else the article's info line
    # (date next to 来源). Text of dated list items and footers is left out, so a list page's
    # rows do not become its publish date.
    in_items = item_pieces(w, candidates)
    publish, source_name = pubdate.meta_date(w.meta, fetched)
    if publish is None:
        label_parts: list[str] = []
        size = 0
        for i, (text_piece, _link, _sid, flags) in enumerate(w.pieces):
            if flags & (P_COMMENT | FOOTER) or in_items[i]:
                continue
            label_parts.append(text_piece)
            size += len(text_piece)
            if size > TEXT_CAP * 8:
                break
        label_text = render("".join(label_parts))
        publish = pubdate.label_date(label_text, fetched)
        if publish is not None:
            source_name = "label"
        else:
            publish = pubdate.dateline_date(label_text, fetched)
            if publish is not None:
                source_name = "dateline"

    resolved = resolve_items(candidates, fetched, publish.year if publish else None)
    facts.dated_links = [
        DatedItem(title=rec.label, url=rec.url, date=it.date, raw=it.raw)
        for it in resolved
        for rec in it.links
    ]
    main = main_list(resolved)
    facts.items = [
        DatedItem(title=it.main.label, url=it.main.url, date=it.date, raw=it.raw) for it in main
    ]

    # List container: one that holds dated items, or an empty one (spiders/containers.py).
    holders: set[Any] = set()
    for it in resolved:
        for el in it.elements:
            node = el
            while node is not None and node not in holders:
                holders.add(node)
                node = node.getparent()
    facts.list_container, facts.empty_container, script_filled = read_containers(w, holders)
    facts.own_text = own_text(w)
    facts.guide_labels = guide_labels(w)
    if options is not None and options.list_selector:
        _apply_selector(facts, root, options.list_selector, base, url, fetched, scan, publish)

    facts.forms = [read_form(el, url, base) for el in w.forms]
    facts.threads = extract_threads(root, http_url(url) or url, fetched, text=facts.text, base=base)

    if publish is None and sum(1 for it in main if it.hits) < 3 and len(body) <= HTMLDATE_MAX:
        # Last resort for articles, not for list pages (a main list of three items that show
        # dates) nor for pages no article is as big as (htmldate copies the tree: on a page of
        # 8 MB that is 200 MB more and a second). A date htmldate takes from a list row is not
        # the page's own either.
        found = pubdate.htmldate_guess(root, url, fetched)
        if (
            found is not None
            and found not in {it.date for it in resolved}
            and pubdate.shown_as_own(w, in_items, found)
        ):
            publish, source_name = found, "htmldate"
    facts.publish_date, facts.publish_date_source = publish, source_name
    facts.embedded, facts.endpoints = scripts.forms, scripts.endpoints
    facts.scripted = needs_browser(
        scripts, facts.text, len(main), facts.list_container or script_filled, len(facts.links)
    )
    facts.challenge = challenge(status, body, facts.text)  # an anti-bot test, not the page
    return facts
