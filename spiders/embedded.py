"""Lists that scripts hold: read them as a browser would show them, without a browser.

Chinese government CMSs often ship a column's list inside a script rather than as markup:

* **Hanweb (大汉) JCMS** column pages carry the records as XML in a script block,
  ``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]></record>…``,
  which their ``jpage.js`` writes into the page;
* **JSON assigned in scripts**: ``var list = [{"title": …, "url": …, "date": …}, …]``, which a
  template loop renders;
* **document.write lists**: ``document.write("<li><a href='…'>…</a><span>2026-11-20</span></li>")``
  (rows: ``li``, ``tr``, ``dt``/``dd``; a lone link a script writes is not read);
* **script pagers**: TRS WCM's ``createPageHTML(count, index, "index", "html")``, or the same
  pager written inline from ``var countPage = N`` / ``var currentPage = M``, which write the
  links ``index.html``, ``index_1.html`` … ``index_{N-1}.html``.

:func:`expand_scripts` finds these forms in a parsed page and puts what they would show into
the tree in place of (or right after) the script, so that the extractor's single walk reads
their items, dates and pager links like any other markup. A form is read only when its
content can be had from literals alone (no script is run); a ``document.write`` inside a
function body, or with a computed argument, is not read. A list whose links the page already
shows (a page saved from a browser, script and output both) is not added again.

The same pass notes two things the extractor records on the page:

* the **JSON list endpoints** of known platforms the page's scripts name (the 政府信息公开
  directories of ``/intertidwebapp/govChanInfo/getDocuments?…&chanId=NN`` and gkmlpt's
  ``/gkmlpt/api/all/NN``), which the spider fetches as the column's items
  (:mod:`evalcrawler.spiders.endpoints`);
* the **signs that scripts fill the page** (calls that load or write content), from which
  :func:`needs_browser` says whether an empty-looking page is filled by scripts, and
  :mod:`evalcrawler.spiders.challenge` whether the answer is an anti-bot challenge.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import lxml.html
from lxml import etree

MAX_EMBEDDED_CHARS = 2_000_000  # markup taken from scripts per page; more is not read
MAX_ENDPOINTS = 3  # endpoints named per page that are kept
SHELL_TEXT = 100  # a page that shows fewer characters than this …
SHELL_LINKS = 2  # … and fewer links (a logo at most) is an empty shell

# Hanweb datastore: records, or bare CDATA sections (some variants skip <record>).
_DATASTORE = re.compile(r"<datastore\b", re.I)
_RECORD = re.compile(r"<record\b[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup\b.*?</nextgroup>", re.S | re.I)
_TOTAL = re.compile(r"<total(?:record|page)>\s*\d+\s*</total(?:record|page)>", re.I)

# TRS pagers.
_CREATE_PAGE = re.compile(
    r"(?<![\w.])createPageHTML\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w.-]+)['\"]\s*,"
    r"\s*['\"](\w+)['\"]\s*\)"
)
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_PAGER_HREF = re.compile(r"href=\\?['\"]?([\w-]+)\.(s?html?)\b")

_WRITE = re.compile(r"\bdocument\s*\.\s*write(?:ln)?\s*\(")
_ASSIGN = re.compile(r"(?:\bvar|\blet|\bconst|[\w$.\]]\s*)\s*[\w$]*\s*=\s*(?=[\[{])")

# JSON list endpoints of known platforms.
_GET_DOCUMENTS = re.compile(r"[\w/.:-]*/intertidwebapp/govChanInfo/getDocuments(?:\?[^'\"\s<>]*)?")
_GKMLPT_API = re.compile(r"[\w/.:-]*/gkmlpt/api/all/\d+(?:\?[^'\"\s<>]*)?")
_CHAN_ID = re.compile(r"\bchanId['\"]?\s*[:=]\s*['\"]?(\d+)")
_SITE_ID = re.compile(r"\bsiteId['\"]?\s*[:=]\s*['\"]?(\d+)")

# Calls that load content or write it into the page.
_FILLERS = (
    ("$.ajax", re.compile(r"\$\s*\.\s*ajax\s*\(")),
    ("$.get", re.compile(r"\$\s*\.\s*(?:get|getJSON|post)\s*\(")),
    (".load", re.compile(r"\)\s*\.\s*load\s*\(\s*['\"]")),
    ("XMLHttpRequest", re.compile(r"\bXMLHttpRequest\b")),
    ("fetch", re.compile(r"(?<![\w.])fetch\s*\(")),
    ("axios", re.compile(r"\baxios\b")),
    ("innerHTML", re.compile(r"\.\s*innerHTML\s*=")),
    ("a template", re.compile(r"\b(?:new\s+Vue|createApp|ReactDOM|template\s*\()")),
)

# Keys of list records (JSON in scripts and endpoint answers), most specific first.
TITLE_KEYS = ("title", "docTitle", "DOCTITLE", "doctitle", "name", "bt", "subject", "text")
URL_KEYS = ("url", "docUrl", "DOCPUBURL", "docpuburl", "link", "href", "pageUrl", "path")
DATE_KEYS = (
    "openTime",
    "publishTime",
    "publish_time",
    "first_publish_time",
    "pubDate",
    "pubdate",
    "publishDate",
    "releaseTime",
    "DOCRELTIME",
    "docreltime",
    "date",
    "time",
    "createTime",
    "create_time",
    "created",
)


@dataclass
class Scripts:
    """What :func:`expand_scripts` read and noticed in a page's scripts."""

    forms: list[str] = field(default_factory=list)  # embedded forms read (see the docstring)
    endpoints: list[str] = field(default_factory=list)  # absolute endpoint URLs
    fillers: list[str] = field(default_factory=list)  # calls that load or write content
    scripts: int = 0  # script elements (inline or with src)
    inline: list[str] = field(default_factory=list)  # inline script texts (capped)


# ------------------------------------------------------------------------- JavaScript


def string_literal(text: str, i: int) -> tuple[str, int] | None:
    """The JavaScript string literal starting at ``text[i]`` (a quote): its value and the index
    after it; ``None`` when there is none."""
    quote = text[i] if i < len(text) else ""
    if quote not in ("'", '"'):
        return None
    out: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == quote:
            return "".join(out), j + 1
        if ch == "\\" and j + 1 < len(text):
            nxt = text[j + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                out.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
                continue
            if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[j + 2 : j + 4]):
                out.append(chr(int(text[j + 2 : j + 4], 16)))
                j += 4
                continue
            out.append({"n": "\n", "t": "\t", "r": "", "\n": ""}.get(nxt, nxt))
            j += 2
            continue
        if ch == "\n":
            return None  # an unterminated literal
        out.append(ch)
        j += 1
    return None


def literal_argument(text: str, i: int) -> tuple[str, int] | None:
    """A call's argument made only of string literals joined with ``+``, from ``text[i]`` to
    the closing parenthesis: its value and the index after the parenthesis."""
    parts: list[str] = []
    j = i
    expect_literal = True
    while j < len(text):
        ch = text[j]
        if ch.isspace():
            j += 1
            continue
        if expect_literal:
            found = string_literal(text, j)
            if found is None:
                return None
            parts.append(found[0])
            j = found[1]
            expect_literal = False
        elif ch == "+":
            expect_literal = True
            j += 1
        elif ch == ")":
            return "".join(parts), j + 1
        else:
            return None  # a second argument, a method call on the literal …
    return None


def function_ranges(text: str) -> list[tuple[int, int]]:
    """Where the bodies of functions are (``function …(…) {…}`` and ``=> {…}``), skipping
    strings and comments: writes there happen only when something calls them."""
    ranges: list[tuple[int, int]] = []
    stack: list[tuple[int, bool]] = []  # (start, opens a function body)
    pending_function = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"', "`"):
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if text.startswith("function", i) and (i == 0 or not (text[i - 1].isalnum())):
            pending_function = True
            i += 8
            continue
        if text.startswith("=>", i):
            pending_function = True
            i += 2
            continue
        if ch == "{":
            stack.append((i, pending_function))
            pending_function = False
        elif ch == "}" and stack:
            start, is_function = stack.pop()
            if is_function:
                ranges.append((start, i))
        elif ch == ";":
            pending_function = False
        i += 1
    for start, is_function in stack:
        if is_function:
            ranges.append((start, n))  # an unclosed body still counts
    return ranges


def _inside(ranges: list[tuple[int, int]], pos: int) -> bool:
    return any(a < pos < b for a, b in ranges)


def balanced(text: str, i: int) -> str | None:
    """The bracketed text (``[…]`` or ``{…}``) starting at ``text[i]``, strings skipped."""
    pairs = {"[": "]", "{": "}"}
    if i >= len(text) or text[i] not in pairs:
        return None
    depth: list[str] = []
    j = i
    while j < len(text):
        ch = text[j]
        if ch in ("'", '"'):
            k = j + 1
            while k < len(text) and text[k] != ch:
                k += 2 if text[k] == "\\" else 1
            j = k + 1
            continue
        if ch in pairs:
            depth.append(pairs[ch])
        elif ch in ("]", "}"):
            if not depth or depth.pop() != ch:
                return None
            if not depth:
                return text[i : j + 1]
        j += 1
    return None


_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:")
_SINGLE = re.compile(r"'((?:[^'\\\"]|\\.)*)'")


def js_data(text: str) -> Any:
    """A JSON value, or a JavaScript literal that differs from JSON only in unquoted keys,
    single-quoted strings and trailing commas; ``None`` when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    relaxed = _BARE_KEY.sub(r'\1"\2":', _SINGLE.sub(r'"\1"', text))
    relaxed = re.sub(r",\s*([}\]])", r"\1", relaxed)
    try:
        return json.loads(relaxed)
    except ValueError:
        return None


# ------------------------------------------------------------------------ list records


def _pick(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def date_text(value: Any) -> str:
    """A record's date as text the extractor reads: epoch seconds or milliseconds become an
    ISO date (China Standard Time), anything else is kept as written."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        if len(str(int(number))) == 8:  # 20261120
            text = str(int(number))
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        if number > 1e11:
            number /= 1000  # milliseconds
        if 6e8 < number < 5e9:
            moment = datetime.fromtimestamp(number + 8 * 3600, tz=timezone.utc)
            return moment.date().isoformat()
        return ""
    return str(value).strip()[:40]


def records(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The longest list of records (objects with a title and a URL) inside ``data``."""
    best: list[dict[str, Any]] = []
    if depth > 4:
        return best
    if isinstance(data, list):
        rows = [r for r in data if isinstance(r, dict)]
        good = [r for r in rows if _pick(r, TITLE_KEYS) and _pick(r, URL_KEYS)]
        if rows and len(good) >= max(1, len(rows) // 2):
            best = good
        for value in data[:5]:
            found = records(value, depth + 1)
            if len(found) > len(best):
                best = found
    elif isinstance(data, dict):
        for value in data.values():
            found = records(value, depth + 1)
            if len(found) > len(best):
                best = found
    return best


def list_element(rows: list[dict[str, Any]]) -> Any:
    """``<ul>`` of the records as a browser's template would show them: a link with the title,
    then the date."""
    ul = etree.Element("ul")
    for row in rows:
        url = _pick(row, URL_KEYS)
        title = _pick(row, TITLE_KEYS)
        if not isinstance(url, str) or not isinstance(title, (str, int)):
            continue
        li = etree.SubElement(ul, "li")
        a = etree.SubElement(li, "a", href=url)
        a.text = str(title)
        when = date_text(_pick(row, DATE_KEYS))
        if when:
            span = etree.SubElement(li, "span")
            span.text = when
    return ul


# ---------------------------------------------------------------------------- reading


def expand_scripts(root: Any, page_url: str) -> Scripts:
    """Put what the page's scripts would show into ``root`` (see the module docstring) and
    return what was read and noticed."""
    out = Scripts()
    budget = [MAX_EMBEDDED_CHARS]
    shown: set[str | None] | None = None
    for script in list(root.iter("script")):
        out.scripts += 1
        text = script.text or ""
        if not text.strip() or len(text) > MAX_EMBEDDED_CHARS:
            continue
        if len(out.inline) < 50:
            out.inline.append(text[:20_000])
        for name, pattern in _FILLERS:
            if name not in out.fillers and pattern.search(text):
                out.fillers.append(name)
        _endpoints(text, page_url, out)
        made = _read(script, text, budget)
        if made is None:
            continue
        form, element = made
        if shown is None:
            shown = {_href_key(a.get("href"), page_url) for a in root.iter("a")}
        hrefs = {_href_key(a.get("href"), page_url) for a in element.iter("a")} - {None}
        if not hrefs or hrefs <= shown:
            continue  # nothing to show, or the page shows it already (a saved DOM)
        shown |= hrefs
        _insert_after(script, element)
        if form not in out.forms:
            out.forms.append(form)
    return out


def _read(script: Any, text: str, budget: list[int]) -> tuple[str, Any] | None:
    """The first embedded form a script holds, as an element to insert."""
    if _DATASTORE.search(text):
        fragment = _datastore(text)
        if fragment:
            return _fragment("hanweb-datastore", fragment, budget)
    if _CREATE_PAGE.search(text) or _COUNT_PAGE.search(text) or _CURRENT_PAGE.search(text):
        # A pager script: only the pager is read (its writes are the pager's branches).
        pager = _pager(text)
        return None if pager is None else ("script-pager", pager)
    written = _written(text)
    if written:
        return _fragment("document.write", written, budget)
    rows = _assigned_rows(text)
    if rows:
        return "script-json", list_element(rows)
    return None


def _datastore(text: str) -> str:
    body = _TOTAL.sub("", _NEXTGROUP.sub("", text))
    found = _RECORD.findall(body) or _CDATA.findall(body)
    return "\n".join(found)


def _pager(text: str) -> Any:
    """The pager a TRS script writes (first, previous, next and last page), or ``None``."""
    m = _CREATE_PAGE.search(text)
    if m is not None:
        count, current, name, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    else:
        mc, mp = _COUNT_PAGE.search(text), _CURRENT_PAGE.search(text)
        if mc is None or mp is None or "document" not in text:
            return None
        count, current = int(mc.group(1)), int(mp.group(1))
        href = _PAGER_HREF.search(text)
        name, ext = (href.group(1), href.group(2)) if href else ("index", "html")
    if count <= 1 or not 0 <= current < count:
        return None

    def page(n: int) -> str:
        return f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}"

    div = etree.Element("div", {"class": "page"})
    links = [("首页", 0)]
    if current > 0:
        links.append(("上一页", current - 1))
    if current + 1 < count:
        links.append(("下一页", current + 1))
    links.append(("尾页", count - 1))
    for label, n in links:
        a = etree.SubElement(div, "a", href=page(n))
        a.text = label
        a.tail = " "
    return div


def _written(text: str) -> str:
    """What the script's top-level ``document.write`` calls of literals write."""
    ranges: list[tuple[int, int]] | None = None
    parts: list[str] = []
    for m in _WRITE.finditer(text):
        if ranges is None:
            ranges = function_ranges(text)
        if _inside(ranges, m.start()):
            continue
        found = literal_argument(text, m.end())
        if found is not None:
            parts.append(found[0])
    html = "".join(parts)
    # A list: rows with links. A lone link a script writes (a badge, a redirect) is no list.
    if re.search(r"<a\s[^>]*href", html, re.I) and re.search(r"<(?:li|tr|dt|dd)\b", html, re.I):
        return html
    return ""


def _assigned_rows(text: str) -> list[dict[str, Any]]:
    best: list[dict[str, Any]] = []
    for m in _ASSIGN.finditer(text):
        block = balanced(text, m.end())
        if block is None or len(block) < 20:
            continue
        rows = records(js_data(block))
        if len(rows) >= 2 and len(rows) > len(best):
            best = rows
    return best


def _endpoints(text: str, page_url: str, out: Scripts) -> None:
    for pattern in (_GET_DOCUMENTS, _GKMLPT_API):
        for m in pattern.finditer(text):
            url = _endpoint_url(m.group(), text, page_url)
            if url and url not in out.endpoints and len(out.endpoints) < MAX_ENDPOINTS:
                out.endpoints.append(url)


def _endpoint_url(found: str, script: str, page_url: str) -> str | None:
    """The endpoint's absolute URL; a getDocuments call needs a channel id, from the literal,
    the script (``chanId: 25``) or the page's own query (``?chan=25``)."""
    try:
        url = urljoin(page_url, found)
    except ValueError:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if "getDocuments" not in parts.path:
        return url
    query = parse_qs(parts.query)
    if "chanId" in query:
        return url
    page_query = parse_qs(urlsplit(page_url).query)
    chan = _CHAN_ID.search(script)
    chan_id = (
        chan.group(1) if chan else (page_query.get("chanId") or page_query.get("chan") or [""])[0]
    )
    if not chan_id.isdigit():
        return None
    params = {"pageIndex": "1", "pageSize": "20"}
    site = _SITE_ID.search(script)
    if site:
        params["siteId"] = site.group(1)
    params["chanId"] = chan_id
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(params)}"


def _href_key(href: str | None, page_url: str) -> str | None:
    if not href or href.strip().lower().startswith(("javascript:", "#")):
        return None
    try:
        return urljoin(page_url, href.strip()).split("#", 1)[0]
    except ValueError:
        return None


def _fragment(form: str, html: str, budget: list[int]) -> tuple[str, Any] | None:
    if len(html) > budget[0]:
        return None
    budget[0] -= len(html)
    try:
        element = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    for node in list(element.iter("script")):  # what a list writes is read, not run
        node.getparent().remove(node)
    return form, element


def _insert_after(script: Any, element: Any) -> None:
    """Put ``element`` where the script's output would appear: right after it."""
    element.tail = script.tail
    script.tail = None
    script.addnext(element)


# -------------------------------------------------------------------------- judgement


def needs_browser(
    scripts: Scripts, text: str, items: int, empty_list: bool, links: int = 0
) -> str | None:
    """Why the page's main content is filled by scripts (so a browser shows more than the
    HTML does), or ``None``: it shows no dated list and either an empty list container with
    scripts that load or write content, or almost no text and next to no links (an empty
    shell) while it has scripts. A page whose lists were read from its scripts, or whose list
    endpoint is known, needs no browser."""
    if items or scripts.forms or scripts.endpoints or not scripts.scripts:
        return None
    calls = ", ".join(scripts.fillers)
    if empty_list and scripts.fillers:
        return f"its list container is empty and its scripts fill the page ({calls})"
    if len(text) < SHELL_TEXT and links < SHELL_LINKS:
        return "it shows almost no text until its scripts run" + (f" ({calls})" if calls else "")
    return None
