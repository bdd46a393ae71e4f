"""Generate the demo web: every page, file and answer of the seven fictional sites.

The generator is pure and deterministic (a fixed ``random.Random`` per site, fixed dates
relative to :data:`~evalcrawler.demo.specs.AS_OF`). It writes HTML through :class:`Doc`, which
records, while it writes, every fact a metric depends on: each ``<a href>`` (resolved, with its
anchor text and whether it sits in the navigation or a pager), each ``<img>`` and its alt,
every dated link and the list it belongs to, the page's publish date, list containers,
empty-state phrases and letters. The truth file (:mod:`evalcrawler.demo.truth`) is computed
from those records, never by parsing the HTML back.

Markup conventions (so that docs/metrics.md reads every page one way):

* navigation links sit in the site's nav container (``div.nav``, ``<nav>``, ``div#menu``,
  ``div.daohang``, ``div.menu``, ``table.menu``); no other ``id``/``class`` contains a
  navigation word;
* every content list has a container whose class contains ``list``, ``lb`` or ``news``; no
  other element's ``id``/``class`` contains a list-container word, and pages without dated
  links have none, except the planted blank columns;
* each dated item is one ``li``/``tr``/``p`` with exactly one link; no block that shows a date
  holds exactly one link unless it is such an item; footers show no date but the copyright
  year; every month-day date has its year on the page (item comment or list heading);
* every link to a column uses the column's name as its anchor text; pager links only join
  the pages of one column.
"""

from __future__ import annotations

import html
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit

from evalcrawler.demo import content as C
from evalcrawler.demo.planted import SITES
from evalcrawler.demo.specs import AS_OF, ColSpec, SiteSpec

# ------------------------------------------------------------------------------ the model


@dataclass
class LinkFact:
    """An ``<a href>`` as written: ``url`` is a path (internal), an absolute URL (external)
    or the raw href (``javascript:``, ``mailto:``)."""

    url: str
    text: str
    nav: bool = False
    pager: bool = False
    internal: bool = True
    http: bool = True


@dataclass
class ItemFact:
    """A dated link: the date its list item shows (resolved), and the raw date text."""

    title: str
    url: str
    date: date
    raw: str


@dataclass
class LetterFact:
    title: str
    url: str | None
    asked: date
    replied: date | None
    state: str  # replied | unanswered
    source: str  # list | detail


@dataclass
class PageModel:
    """One HTML page and the facts it shows."""

    path: str
    role: str  # home | hub | column | continuation | blank | article | letter | board | other
    title: str
    links: list[LinkFact] = field(default_factory=list)
    items: list[ItemFact] = field(default_factory=list)  # the main list's dated links
    dated_links: list[ItemFact] = field(default_factory=list)  # dated links outside it
    publish_date: date | None = None
    images: int = 0
    images_alt: int = 0
    list_container: bool = False
    empty_phrase: str | None = None
    letters: list[LetterFact] = field(default_factory=list)
    column: str | None = None  # column name (column pages, continuations, blank pages)
    root: str | None = None  # continuations: the path of the column's first page
    body: bytes = b""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Article:
    id: int
    col: str  # column key
    title: str
    date: date
    path: str = ""
    topic: str | None = None
    dated: bool = True  # the article page shows its date
    missing: bool = False  # the article answers 404
    number: str = ""  # 文号 (policies)


@dataclass
class Column:
    key: str
    name: str
    root: str
    articles: list[Article]
    state: str = "ok"
    phrase: str = ""
    nav: bool = False
    per_page: int = 0
    hub: str = "zwgk"
    pages: list[str] = field(default_factory=list)


@dataclass
class Letter:
    id: int
    title: str
    asked: date
    replied: date | None
    status: str | None
    path: str | None


@dataclass
class DemoSite:
    """One built site: its responses by path and the model behind them."""

    spec: SiteSpec
    address: str
    port: int
    pages: dict[str, PageModel]
    responses: dict[str, Response]
    articles: list[Article]
    columns: list[Column]
    letters: list[Letter]
    broken: dict[str, int]  # planted broken targets → status
    redirects: dict[str, str]  # path → Location path
    home_broken: set[str]
    render_search: Callable[[str], Response] | None = None
    not_found_page: Response | None = None  # what a soft-404 site answers for unknown paths

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def netloc(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/"


# --------------------------------------------------------------------------- small helpers


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def iso(d: date) -> str:
    return d.isoformat()


def fmt_date(d: date, style: str) -> str:
    if style == "iso":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if style == "slash":
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    if style == "dot":
        return f"{d.year:04d}.{d.month:02d}.{d.day:02d}"
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "cn_nopad":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "md":
        return f"{d.month:02d}-{d.day:02d}"
    raise ValueError(style)


def _png() -> bytes:
    """A valid 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x00\x80"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()
FILE_TYPES = {
    "doc": "application/msword",
    "pdf": "application/pdf",
    "xls": "application/vnd.ms-excel",
    "png": "image/png",
}


def file_bytes(ext: str, title: str) -> bytes:
    if ext == "pdf":
        return (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "
            + title.encode("utf-8")
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        )
    # An OLE2 compound-file signature, then the title: enough for a content sniffer.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + title.encode("utf-8") + b"\x00" * 64


COL_NAMES: dict[str, str] = {
    "zwdt": "政务动态",
    "tzgg": "通知公告",
    "zcwj": "政策文件",
    "zcjd": "政策解读",
    "rsxx": "人事信息",
    "czyjs": "财政预决算",
    "ghjh": "规划计划",
    "tjxx": "统计信息",
    "yjgl": "应急管理",
    "zfcg": "政府采购",
    "hygq": "回应关切",
    "xwfbh": "新闻发布会",
    "zxft": "在线访谈",
    "zjdc": "征集调查",
    "ndbg": "政府信息公开年报",
    **C.TOPICS,
}
COL_CODES: dict[str, int] = {
    key: n
    for n, key in enumerate(
        [
            "zwdt",
            "tzgg",
            "zcwj",
            "zcjd",
            "rsxx",
            "czyjs",
            "ghjh",
            "tjxx",
            "yjgl",
            "zfcg",
            "hygq",
            "xwfbh",
            "zxft",
            "zjdc",
            "ndbg",
            *C.TOPICS,
        ],
        start=1,
    )
}
NAV_KEYS = ("zwdt", "tzgg", "zcwj", "zcjd")  # columns of the main navigation bar
HDJL_KEYS = ("zxft", "zjdc")  # columns under 互动交流 (the rest under 政务公开)
TOPIC_KIND = {"zwdt": "news", "tzgg": "notice", "zcwj": "policy", "zcjd": "jd"}
ARTICLE_LABEL = {
    # dialect → (label, date style) of the publish date shown on articles
    "trs": ("发布时间", "iso"),
    "jcms": ("发布日期", "slash"),
    "plist": ("发布时间", "cn"),
    "comment": ("日期", "dot"),
    "plain": ("时间", "iso"),
    "cnfull": ("发布时间", "cn_nopad"),
    "oldtable": ("更新时间", "iso"),
}
NAV_CONTAINER = {
    "trs": ('<div class="nav">', "</div>"),
    "jcms": ("<nav>", "</nav>"),
    "plist": ('<div id="menu">', "</div>"),
    "comment": ('<div class="nav">', "</div>"),
    "plain": ('<div class="daohang">', "</div>"),
    "cnfull": ('<div class="menu">', "</div>"),
}
LIST_CONTAINER = {
    "trs": "list",
    "jcms": "list",
    "plist": "news-list",
    "comment": "info-list",
    "plain": "lb",
    "cnfull": "list_box",
    "oldtable": "newslist",
}
PHONES = {
    "shifan": "0351-7654321",
    "jiaqu": "0351-6543217",
    "yiqu": "0351-5432176",
    "jishi": "0351-4321765",
    "bingxian": "0351-3217654",
    "dingxian": "0351-8765432",
    "wuxian": "0351-7765432",
}

# ----------------------------------------------------------------------------- the writer


class Doc:
    """One HTML page being written; records what it shows as it is written."""

    def __init__(self, site: SiteBuilder, path: str, role: str, title: str) -> None:
        self.site = site
        self.page = PageModel(path=path, role=role, title=title)
        self.meta: list[tuple[str, str]] = []

    @property
    def path(self) -> str:
        return self.page.path

    def a(
        self,
        href: str,
        text: str,
        *,
        nav: bool = False,
        pager: bool = False,
        attrs: str = "",
        inner: str | None = None,
    ) -> str:
        """An ``<a href>``; ``text`` is its anchor text (``inner`` replaces the HTML shown)."""
        self.page.links.append(self.site.link_fact(self.path, href, text, nav, pager))
        extra = f" {attrs}" if attrs else ""
        shown = esc(text) if inner is None else inner
        return f'<a href="{esc(href)}"{extra}>{shown}</a>'

    def img(self, src: str, alt: str | None) -> str:
        """An ``<img>``: ``alt=None`` writes none, ``""`` an empty one."""
        self.page.images += 1
        if alt:
            self.page.images_alt += 1
        alt_attr = "" if alt is None else f' alt="{esc(alt)}"'
        self.site.add_image(src)
        return f'<img src="{esc(src)}"{alt_attr}>'

    def item(self, title: str, path: str, day: date, raw: str, *, main: bool) -> None:
        target = self.site.resolve(self.path, path)
        fact = ItemFact(title=title, url=target, date=day, raw=raw)
        (self.page.items if main else self.page.dated_links).append(fact)


# ---------------------------------------------------------------------------- the builder


class SiteBuilder:
    """Builds one :class:`DemoSite` from its :class:`SiteSpec`."""

    def __init__(self, spec: SiteSpec, address: str, port: int, origins: dict[str, str]) -> None:
        self.spec = spec
        self.d = spec.dialect
        self.address = address
        self.port = port
        self.netloc = f"{address}:{port}"
        self.origins = origins  # site id → http://addr:port/ of every demo site
        self.rng = random.Random(f"evalcrawl-demo-{spec.id}")
        self.pages: dict[str, PageModel] = {}
        self.responses: dict[str, Response] = {}
        self.broken: dict[str, int] = {}
        self.redirects: dict[str, str] = {}
        self.home_broken: set[str] = set()
        self.articles: list[Article] = []
        self.columns: dict[str, Column] = {}
        self.letters: list[Letter] = []
        self.next_id = 1000 + 100 * spec.rank
        self.photo_n = 0
        self.dead: dict[str, list[tuple[str, str]]] = {}  # where → (text, path) of dead links
        self._extras_done: set[str] = set()
        self.gov = spec.name_zh
        self.s = spec.short
        self.name_of = {**COL_NAMES, **spec.names}

    # ------------------------------------------------------------------ links and paths

    def resolve(self, base: str, href: str) -> str:
        """``href`` written on page ``base`` → an internal path (fragment dropped)."""
        return urljoin(base, href).split("#", 1)[0]

    def link_fact(self, base: str, href: str, text: str, nav: bool, pager: bool) -> LinkFact:
        if href.startswith(("javascript:", "mailto:", "tel:")):
            return LinkFact(href, text, nav, pager, internal=False, http=False)
        parts = urlsplit(href)
        if parts.scheme in ("http", "https"):
            if parts.netloc == self.netloc:
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                return LinkFact(path, text, nav, pager)
            return LinkFact(href.split("#", 1)[0], text, nav, pager, internal=False)
        return LinkFact(self.resolve(base, href), text, nav, pager)

    def rel(self, base: str, target: str) -> str:
        """TRS writes links inside a column's folder relative to it (``./202611/t…``)."""
        if self.d == "trs":
            folder = base.rsplit("/", 1)[0] + "/"
            if folder != "/" and target.startswith(folder) and target != folder:
                return "./" + target[len(folder) :]
        return target

    def hub(self, name: str) -> str:
        if self.d == "trs":
            return f"/{name}/"
        if self.d == "oldtable":
            return f"/{name}.asp"
        return f"/{name}/index.html"

    def sub(self, hub: str, name: str) -> str:
        """A page under a hub: /zwgk/gkzn/ (TRS), /zwgk/gkzn.html, /zwgk_gkzn.asp."""
        if self.d == "trs":
            return f"/{hub}/{name}/"
        if self.d == "oldtable":
            return f"/{hub}_{name}.asp"
        return f"/{hub}/{name}.html"

    def col_root(self, key: str) -> str:
        code = COL_CODES[key]
        topic = key in C.TOPICS
        if self.d == "trs":
            if key == "zwdt":
                return "/xwzx/zwdt/"
            if key in HDJL_KEYS:
                return f"/hdjl/{key}/"
            return f"/zwgk/zdly/{key}/" if topic else f"/zwgk/{key}/"
        if self.d == "jcms":
            return f"/col/col{1000 + code}/index.html"
        if self.d == "plist":
            return f"/zdly/{key}/index.html" if topic else f"/{key}/index.html"
        if self.d == "comment":
            return f"/html/{key}/index.html"
        if self.d == "plain":
            return f"/{key}/index.html"
        if self.d == "cnfull":
            return f"/html/{key}/"
        return f"/Article/Class_{code}.asp"

    def cont_path(self, root: str, n: int) -> str:
        """The n-th continuation page (n ≥ 1) of a column whose first page is ``root``."""
        if root.endswith("/"):
            return f"{root}index_{n}.html"
        if root.endswith("index.html"):
            return f"{root[: -len('index.html')]}index_{n}.html"
        stem, ext = root.rsplit(".", 1)
        return f"{stem}_{n + 1}.{ext}"

    def article_path(self, art: Article) -> str:
        d, key = art.date, art.col
        if self.d == "trs":
            folder = self.col_root(key) if key != "ndbg" else "/zwgk/ndbg/"
            return f"{folder}{d:%Y%m}/t{d:%Y%m%d}_{art.id}.html"
        if self.d == "jcms":
            return f"/art/{d.year}/{d.month}/{d.day}/art_{1000 + COL_CODES[key]}_{art.id}.html"
        if self.d == "plist":
            return f"/{key}/{d:%Y%m}/{art.id}.html"
        if self.d == "comment":
            return f"/contents/{key}/{art.id}.html"
        if self.d == "plain":
            return f"/{key}/{art.id}.html"
        if self.d == "cnfull":
            return f"/html/{key}/{art.id}.html"
        return f"/Article/Show_{art.id}.asp"

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ------------------------------------------------------------------------ registering

    def add_image(self, src: str) -> None:
        if src.startswith("/") and src not in self.responses:
            self.responses[src] = Response(200, [("Content-Type", "image/png")], PNG)

    def add_file(self, path: str, ext: str, title: str) -> None:
        self.responses[path] = Response(
            200, [("Content-Type", FILE_TYPES[ext])], file_bytes(ext, title)
        )

    def add_broken(self, path: str, status: int) -> str:
        self.broken[path] = status
        self.responses[path] = error_response(status, self.spec.encoding)
        return path

    def html_headers(self) -> list[tuple[str, str]]:
        if self.spec.declare_charset:
            return [("Content-Type", f"text/html; charset={self.spec.encoding}")]
        return [("Content-Type", "text/html")]

    def finish(
        self, doc: Doc, body: str, crumbs: list[tuple[str, str | None]] | None = None
    ) -> None:
        """Wrap ``body`` in the site template, encode it and register the page."""
        markup = self.layout(doc, body, crumbs)
        for phrase in C.EMPTY_PHRASES:
            if phrase in markup and doc.page.empty_phrase != phrase:
                raise AssertionError(f"{self.spec.id}{doc.path}: unplanted phrase {phrase}")
        data = markup.encode(self.spec.encoding)
        doc.page.body = data
        if doc.path in self.pages:
            raise AssertionError(f"{self.spec.id}: page {doc.path} written twice")
        self.pages[doc.path] = doc.page
        self.responses[doc.path] = Response(200, self.html_headers(), data)

    # ---------------------------------------------------------------------------- template

    def layout(self, doc: Doc, body: str, crumbs: list[tuple[str, str | None]] | None) -> str:
        spec = self.spec
        head = []
        if spec.declare_charset:
            if self.d in ("trs", "plist", "plain"):
                head.append('<meta charset="utf-8">')
            else:
                head.append('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')
        if spec.viewport:
            head.append(f'<meta name="viewport" content="{spec.viewport}">')
        head.append(f"<title>{esc(doc.page.title)}</title>")
        head.append(f'<meta name="SiteName" content="{esc(self.gov)}">')
        head.extend(f'<meta name="{k}" content="{esc(v)}">' for k, v in doc.meta)
        lang = ' lang="zh-CN"' if spec.lang else ""
        if self.d == "oldtable":
            return self.old_layout(doc, body, crumbs, head)
        parts = [
            "<!DOCTYPE html>",
            f"<html{lang}>",
            "<head>",
            *head,
            "</head>",
            "<body>",
            '<a id="top"></a>' if self.d == "trs" else "",
            '<div class="top">',
            self.logo(doc),
            f'<span class="sitename">{esc(self.gov)}</span>',
            self.search_form(),
            "</div>",
            self.nav(doc),
        ]
        if crumbs:
            parts.append(self.crumbs(doc, crumbs))
        parts += [f'<div class="main">{body}</div>', self.footer(doc), "</body>", "</html>"]
        return "\n".join(p for p in parts if p)

    def old_layout(
        self, doc: Doc, body: str, crumbs: list[tuple[str, str | None]] | None, head: list[str]
    ) -> str:
        menu = "".join(
            f'<td align="center">{doc.a(path, text, nav=True)}</td>'
            for text, path, _ in self.nav_items()
        )
        subs = "".join(
            f"<td>{doc.a(path, text, nav=True)}</td>"
            for _, _, children in self.nav_items()
            for text, path in children
        )
        rows = [
            "<html>",
            "<head>",
            *head,
            "</head>",
            '<body topmargin="0">',
            '<table width="980" align="center" cellpadding="0" cellspacing="0">',
            f"<tr><td>{self.logo(doc)}<b>{esc(self.gov)}</b></td></tr>",
            "</table>",
            '<table class="menu" width="980" align="center">'
            f"<tr>{menu}</tr><tr>{subs}</tr></table>",
        ]
        if crumbs:
            rows.append(
                '<table width="980" align="center">'
                f"<tr><td>{self.crumbs(doc, crumbs)}</td></tr></table>"
            )
        rows += [
            # The body is not a table row: a layout <tr> around the article would make every
            # link of the article a "dated link" of a row that shows the publish date.
            f'<div class="main" style="width:980px;margin:0 auto">{body}</div>',
            self.footer(doc),
            "</body>",
            "</html>",
        ]
        return "\n".join(rows)

    def alt(self, kind: str, text: str) -> str | None:
        return {"alt": text, "empty": "", "none": None}[kind]

    def logo(self, doc: Doc) -> str:
        alt = self.alt(self.spec.logo_alt, self.gov)
        return doc.a("/", alt or "", inner=doc.img("/images/logo.png", alt))

    def search_form(self) -> str:
        spec = self.spec
        if spec.search is None:
            return ""
        method = "post" if spec.search == "post" else "get"
        hidden = ""
        if self.d == "jcms":
            hidden = '<input type="hidden" name="siteid" value="12">'
        elif self.d == "plist":
            hidden = '<input type="hidden" name="channelid" value="2">'
        return (
            f'<form class="search" action="{spec.search_action}" method="{method}">'
            f'<input type="text" name="{spec.search_field}" placeholder="请输入关键词">{hidden}'
            '<input type="submit" value="搜索"></form>'
        )

    def nav_items(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(text, path, drop-down children) of the navigation bar."""
        spec = self.spec
        items: list[tuple[str, str, list[tuple[str, str]]]] = [("首页", "/", [])]
        zwgk_subs = [
            (self.name_of[c.key], self.col_root(c.key))
            for c in spec.columns
            if c.nav and c.key not in NAV_KEYS and c.key not in HDJL_KEYS
        ]
        hdjl_subs = [
            (self.name_of[c.key], self.col_root(c.key))
            for c in spec.columns
            if c.nav and c.key in HDJL_KEYS
        ]
        items.append((spec.hub_name, self.hub("zwgk"), zwgk_subs))
        for key in NAV_KEYS:
            col = spec.column(key)
            if col is not None and col.nav:
                items.append((self.name_of[key], self.col_root(key), []))
        items.append(("在线办事", self.hub("zwfw"), []))
        items.append(("互动交流", self.hub("hdjl"), hdjl_subs))
        items.append((f"走进{self.s}", self.hub("zjgk"), []))
        return items

    def nav(self, doc: Doc) -> str:
        opening, closing = NAV_CONTAINER[self.d]
        lis = []
        for text, path, children in self.nav_items():
            sub = ""
            if children:
                sub = (
                    '<ul class="sub">'
                    + "".join(f"<li>{doc.a(p, t, nav=True)}</li>" for t, p in children)
                    + "</ul>"
                )
            lis.append(f"<li>{doc.a(path, text, nav=True)}{sub}</li>")
        return f"{opening}<ul>{''.join(lis)}</ul>{closing}"

    def crumbs(self, doc: Doc, crumbs: list[tuple[str, str | None]]) -> str:
        parts = [doc.a("/", "首页")]
        for text, path in crumbs:
            parts.append(doc.a(path, text) if path else esc(text))
        return '<div class="position">当前位置：' + " &gt; ".join(parts) + "</div>"

    def footer(self, doc: Doc) -> str:
        spec = self.spec
        phone, address, email = spec.contact
        lines = [f"主办单位：{esc(self.gov)}办公室"]
        contact = []
        if phone:
            contact.append(f"联系电话：{PHONES[spec.id]}")
        if address:
            contact.append(f"地址：{esc(self.s)}人民路一号")
        if email:
            mail = f"zfb@{spec.id}.gov.example"
            if self.d == "trs":
                contact.append("邮箱：" + doc.a(f"mailto:{mail}", mail))
            else:
                contact.append(f"邮箱：{mail}")
        if contact:
            lines.append("　".join(contact))
        code = spec.site_code
        rank = spec.rank
        lines.append(
            f"网站标识码：{code}　"
            + doc.a(
                "https://beian.miit.gov.cn/",
                f"晋ICP备1300{rank}51{rank}号",
                attrs='target="_blank"',
            )
            + "　"
            + doc.a(
                f"http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=1401020200{rank}11{rank}",
                f"晋公网安备 1401020200{rank}11{rank}号",
                attrs='target="_blank"',
            )
        )
        badges = []
        dzjg, jiucuo = spec.badge_alt
        if dzjg:
            alt = self.alt(dzjg, "党政机关")
            badges.append(
                doc.a(
                    f"https://bszs.conac.cn/sitename?method=show&id={code}",
                    alt or "",
                    inner=doc.img("/images/dzjg.png", alt),
                    attrs='target="_blank"',
                )
            )
        if jiucuo:
            alt = self.alt(jiucuo, "我为政府网站找错")
            badges.append(
                doc.a(
                    "https://zfwzzc.www.gov.cn/check_web/errorInfo_querySiteInfo.action"
                    f"?sitecode={code}",
                    alt or "",
                    inner=doc.img("/images/jiucuo.png", alt),
                    attrs='target="_blank"',
                )
            )
        if badges:
            lines.append(" ".join(badges))
        if spec.qr_alt:
            lines.append(
                doc.img("/images/weixin.png", self.alt(spec.qr_alt, f"{self.s}发布微信公众号"))
                + " "
                + doc.a(f"https://weibo.example/{spec.id}", "政务微博", attrs='target="_blank"')
                + " "
                + doc.a(f"https://mp.weixin.example/{spec.id}", "政务微信", attrs='target="_blank"')
            )
        sitemap_link = doc.a(self.hub("wzdt"), "网站地图")
        if spec.copyright_year:
            lines.append(f"© 2026 {esc(self.gov)} 版权所有　{sitemap_link}")
        else:
            lines.append(f"版权所有：{esc(self.gov)}　{sitemap_link}")
        if self.d == "oldtable":
            cells = "".join(f'<tr><td align="center">{line}</td></tr>' for line in lines)
            return f'<table width="980" align="center">{cells}</table>'
        return '<div class="footer">' + "".join(f"<p>{line}</p>" for line in lines) + "</div>"

    # ------------------------------------------------------------------------ list markup

    def render_list(
        self,
        doc: Doc,
        rows: list[tuple[str, str, date]],
        *,
        main: bool,
        home: bool = False,
        numbers: dict[str, str] | None = None,
    ) -> str:
        """A dated list in the site's dialect; rows are (title, path, date)."""
        d = self.d
        out: list[str] = []
        if d == "trs":
            for title, path, day in rows:
                raw = fmt_date(day, "iso")
                doc.item(title, path, day, raw, main=main)
                link = doc.a(
                    self.rel(doc.path, path), title, attrs=f'title="{esc(title)}" target="_blank"'
                )
                out.append(f'<li>{link}<span class="date">{raw}</span></li>')
            return '<ul class="list">' + "".join(out) + "</ul>"
        if d == "jcms":
            head = (
                "<tr><th>名称</th>"
                + ("<th>文号</th>" if numbers else "")
                + "<th>发布日期</th></tr>"
            )
            for title, path, day in rows:
                raw = fmt_date(day, "slash")
                doc.item(title, path, day, raw, main=main)
                number = f"<td>{esc(numbers.get(path, ''))}</td>" if numbers else ""
                link = doc.a(path, title, attrs='target="_blank"')
                out.append(f"<tr><td>{link}</td>{number}<td>{raw}</td></tr>")
            return '<table class="list">' + head + "".join(out) + "</table>"
        if d == "plist":
            year = rows[0][2].year if rows else AS_OF.year
            for title, path, day in rows:
                if home or day.year != year:
                    raw = fmt_date(day, "iso")
                    shown = raw
                else:
                    raw = f"[{fmt_date(day, 'md')}]"
                    shown = raw
                doc.item(title, path, day, raw, main=main)
                out.append(f"<p>{doc.a(path, title)}<em>{shown}</em></p>")
            heading = "" if home else f"<h2>{year}年</h2>"
            return heading + '<div class="news-list">' + "".join(out) + "</div>"
        if d == "comment":
            for title, path, day in rows:
                if home:
                    raw = fmt_date(day, "dot")
                    shown = raw
                else:
                    raw = fmt_date(day, "md")
                    shown = f"<!-- {day.year}-->{raw}"
                doc.item(title, path, day, raw, main=main)
                out.append(f'<li>{doc.a(path, title)}<span class="time">{shown}</span></li>')
            return '<ul class="info-list">' + "".join(out) + "</ul>"
        if d == "plain":
            for title, path, day in rows:
                raw = fmt_date(day, "iso")
                doc.item(title, path, day, raw, main=main)
                out.append(f'<li><span class="date">{raw}</span>{doc.a(path, title)}</li>')
            return '<div class="lb"><ul>' + "".join(out) + "</ul></div>"
        if d == "cnfull":
            for title, path, day in rows:
                raw = fmt_date(day, "cn_nopad")
                doc.item(title, path, day, raw, main=main)
                out.append(f"<li>{doc.a(path, title)}<span>{raw}</span></li>")
            return '<div class="list_box"><ul>' + "".join(out) + "</ul></div>"
        for title, path, day in rows:
            raw = fmt_date(day, "iso")
            doc.item(title, path, day, raw, main=main)
            out.append(
                f"<tr><td>·{doc.a(path, title, attrs='target=_blank')}</td>"
                f'<td align="right">{raw}</td></tr>'
            )
        return '<table class="newslist" width="100%">' + "".join(out) + "</table>"

    def empty_list(self, doc: Doc, state: str, phrase: str) -> str:
        """The planted blank column body: an empty container, or a container with a phrase."""
        doc.page.list_container = True
        container = LIST_CONTAINER[self.d]
        if state == "phrase":
            doc.page.empty_phrase = phrase
            if self.d == "oldtable":
                return f'<table class="{container}"><tr><td>{phrase}</td></tr></table>'
            return f'<div class="{container}"><p>{phrase}</p></div>'
        if self.d in ("trs", "comment"):
            return f'<ul class="{container}"></ul>'
        if self.d in ("jcms", "oldtable"):
            return f'<table class="{container}"></table>'
        return f'<div class="{container}"></div>'

    # --------------------------------------------------------------------------- content

    def page_title(self, name: str) -> str:
        if self.d == "trs":
            return f"{name}_{self.gov}"
        if self.d == "jcms":
            return f"{self.gov} {name}"
        return f"{name}-{self.gov}"

    def ages(self, col: ColSpec) -> list[int]:
        ages = []
        age = col.newest
        for i in range(col.count):
            if i:
                age += col.step + self.rng.randint(0, max(col.step // 3, 0))
            ages.append(age)
        return ages

    def make_articles(self) -> None:
        """Articles of every column, newest first; titles from the topic or column banks."""
        spec = self.spec
        cycle = spec.title_topics or spec.topics or tuple(C.TOPICS)
        n_topic = 0
        used: dict[tuple[str, str], int] = {}
        for col in spec.columns:
            if col.state != "ok":
                continue
            arts: list[Article] = []
            ages = self.ages(col)
            feedback_left = spec.zjdc_feedback
            zjdc_bank = C.COLUMN_TITLES["zjdc"]
            calls, feedbacks = (
                [zjdc_bank[0], zjdc_bank[2], zjdc_bank[4]],
                [zjdc_bank[1], zjdc_bank[3]],
            )
            for i, age in enumerate(ages):
                day = AS_OF - timedelta(days=age)
                topic = None
                if col.key in TOPIC_KIND:
                    topic = cycle[n_topic % len(cycle)]
                    n_topic += 1
                    kind = TOPIC_KIND[col.key]
                    bank = C.TOPIC_TITLES[topic][kind]
                    k = used.get((topic, kind), 0)
                    used[(topic, kind)] = k + 1
                    template = bank[k % len(bank)]
                elif col.key == "zjdc":
                    if feedback_left and i % 2 == 1:
                        template = feedbacks.pop(0)
                        feedback_left -= 1
                    else:
                        template = calls.pop(0)
                else:
                    bank = C.COLUMN_TITLES[col.key]
                    template = bank[i % len(bank)]
                title = template.format(s=self.s, gov=self.gov, y=day.year, y1=day.year - 1)
                art = Article(self.new_id(), col.key, title, day, topic=topic)
                art.dated = i not in col.undated
                art.missing = i in col.missing
                if not art.dated and (
                    col.key not in ("zwdt", "tzgg") or any(ch.isdigit() for ch in title)
                ):
                    raise AssertionError(f"{spec.id}: undated article {title!r} would show a date")
                arts.append(art)
            if col.key == "zcwj":
                count: dict[int, int] = {}
                for art in reversed(arts):
                    count[art.date.year] = count.get(art.date.year, 0) + 3
                    kind = "政办发" if count[art.date.year] % 2 else "政发"
                    art.number = f"{spec.abbr}{kind}〔{art.date.year}〕{count[art.date.year]}号"
            if col.key == "zwdt" and self.d == "trs":
                # A title that carries a date range: the item's date is its date column.
                second = arts[1]
                week_end = second.date - timedelta(days=second.date.weekday() + 1)
                week_start = week_end - timedelta(days=6)
                second.title = (
                    f"{self.s}第{week_end.isocalendar()[1]}周（{week_start.year}年"
                    f"{week_start.month}月{week_start.day}日至{week_end.day}日）空气质量周报"
                )
            for art in arts:
                art.path = self.article_path(art)
            self.articles.extend(arts)
            self.columns[col.key] = Column(
                key=col.key,
                name=self.name_of[col.key],
                root=self.col_root(col.key),
                articles=arts,
                nav=col.nav,
                per_page=col.per_page,
                hub="hdjl" if col.key in HDJL_KEYS else "zwgk",
            )
        for col in spec.columns:
            if col.state != "ok":
                self.columns[col.key] = Column(
                    key=col.key,
                    name=self.name_of[col.key],
                    root=self.col_root(col.key),
                    articles=[],
                    state=col.state,
                    phrase=col.phrase,
                    nav=col.nav,
                    hub="hdjl" if col.key in HDJL_KEYS else "zwgk",
                )
        # 政府信息公开年报
        reports = []
        for k in range(spec.reports):
            year = 2025 - k
            day = date(year + 1, 1, 18 + k)
            title = f"{self.gov}{year}年政府信息公开工作年度报告"
            art = Article(self.new_id(), "ndbg", title, day)
            art.path = self.article_path(art)
            reports.append(art)
        self.articles.extend(reports)
        self.columns["ndbg"] = Column("ndbg", self.name_of["ndbg"], self.col_root("ndbg"), reports)
        # 重点领域 topic columns list the articles tagged with their topic.
        for key in spec.topics:
            state, phrase = spec.topic_states.get(key, ("ok", ""))
            tagged = [a for a in self.articles if a.topic == key and not a.missing]
            tagged.sort(key=lambda a: (a.date, a.id), reverse=True)
            self.columns[key] = Column(
                key,
                self.name_of[key],
                self.col_root(key),
                tagged if state == "ok" else [],
                state=state,
                phrase=phrase,
                hub="zdly",
            )
        titles = [a.title for a in self.articles]
        if len(set(titles)) != len(titles):
            dupes = sorted({t for t in titles if titles.count(t) > 1})
            raise AssertionError(f"{spec.id}: duplicate titles {dupes}")

    def body_text(self, art: Article) -> str:
        topic = C.TOPICS.get(art.topic or "", "重点")
        picks = self.rng.sample(C.BODY, 3)
        return "".join(f"<p>{esc(p.format(s=self.s, t=topic))}</p>" for p in picks)

    # ------------------------------------------------------------------------- the pages

    def build(self) -> DemoSite:
        self.make_articles()
        self.make_letters()
        self.plant_broken()
        for col in self.columns.values():
            self.column_pages(col)
        for art in self.articles:
            self.article_page(art)
        self.board_pages()
        self.hub_pages()
        self.home_page()
        self.robots_and_sitemap()
        if self.spec.search == "empty":
            self.responses[self.spec.search_action] = self.empty_search_page()
        self.check_links()
        return DemoSite(
            spec=self.spec,
            address=self.address,
            port=self.port,
            pages=self.pages,
            responses=self.responses,
            articles=self.articles,
            columns=list(self.columns.values()),
            letters=self.letters,
            broken=self.broken,
            redirects=self.redirects,
            home_broken=self.home_broken,
            render_search=self.search_response if self.spec.search in ("get", "post") else None,
            not_found_page=self.soft_404_page() if self.spec.soft404 else None,
        )

    def plant_broken(self) -> None:
        """Targets of the planted dead links, by where they are linked from."""
        names = {
            "home": ["专题专栏", "政务服务旧版入口", "数字档案馆"],
            "zwgk": ["信息公开目录（旧版）", "机构职能", "权责清单"],
            "zwfw": ["网上预约", "办件查询", "电子证照"],
            "hdjl": ["网上调查（旧版）", "民意征集"],
            "article": ["相关链接：原文下载", "相关链接：政策原文"],
            "overview": ["历史沿革"],
        }
        counter: dict[str, int] = {}
        for where, status in self.spec.broken:
            n = counter.get(where, 0)
            counter[where] = n + 1
            text = names[where][n % len(names[where])]
            if where == "article":
                path = f"/uploads/old/attach_{self.spec.rank}{n}.pdf"
            elif self.d == "oldtable":
                path = f"/{where}_old{n}.asp"
            else:
                path = f"/{where}/old{n}/index.html"
            self.add_broken(path, status)
            self.dead.setdefault(where, []).append((text, path))
            if where == "home":
                self.home_broken.add(path)
        for where, kind in self.spec.redirects:
            if kind == "ok":
                source = "/zwgk/gkzn.htm"
                target = self.sub("zwgk", "gkzn")
                text = "公开指南（旧版）"
            else:
                source = "/xxgk/ndbg.html"
                target = "/xxgk/ndbg/index.html"
                text = "年度报告（旧址）"
                self.responses[target] = error_response(404, self.spec.encoding)
                self.broken[source] = 404  # the link's target redirects to a 404
                if where == "home":
                    self.home_broken.add(source)
            self.redirects[source] = target
            self.responses[source] = Response(
                301,
                [("Location", target), *self.html_headers()],
                b"<html><body>Moved Permanently</body></html>",
            )
            self.dead.setdefault(where, []).append((text, source))
        # Missing news articles (listed, but 404).
        for art in self.articles:
            if art.missing:
                self.add_broken(art.path, 404)

    def dead_links(self, doc: Doc, where: str) -> str:
        return "".join(f"<p>{doc.a(path, text)}</p>" for text, path in self.dead.get(where, []))

    # -- columns

    def column_pages(self, col: Column) -> None:
        hub_text, hub_path = self.hub_crumb(col.hub)
        title = self.page_title(col.name)
        if col.state != "ok":
            doc = Doc(self, col.root, "blank", title)
            doc.page.column = col.name
            body = f"<h1>{esc(col.name)}</h1>" + self.empty_list(doc, col.state, col.phrase)
            self.finish(doc, body, [(hub_text, hub_path), (col.name, None)])
            col.pages = [col.root]
            return
        arts = col.articles
        per = col.per_page or len(arts) or 1
        chunks = [arts[i : i + per] for i in range(0, len(arts), per)] or [[]]
        paths = [col.root] + [self.cont_path(col.root, n) for n in range(1, len(chunks))]
        col.pages = paths
        for n, chunk in enumerate(chunks):
            role = "continuation" if n else ("column" if len(arts) >= 3 else "list")
            doc = Doc(self, paths[n], role, title)
            doc.page.column = col.name
            doc.page.root = col.root if role != "list" else None
            doc.page.list_container = True
            rows = [(a.title, a.path, a.date) for a in chunk]
            numbers = None
            if col.key == "zcwj" and self.d == "jcms":
                numbers = {a.path: a.number for a in chunk}
            body = f"<h1>{esc(col.name)}</h1>" + self.render_list(
                doc, rows, main=True, numbers=numbers
            )
            if len(chunks) > 1:
                body += self.pager(doc, paths, n, len(arts))
            self.finish(doc, body, [(hub_text, hub_path), (col.name, col.root)])

    def pager(self, doc: Doc, paths: list[str], n: int, total: int) -> str:
        last = len(paths) - 1
        links = []

        def link(i: int, text: str) -> str:
            return doc.a(
                self.rel(doc.path, paths[i]) if self.d != "trs" else _pager_href(paths, i),
                text,
                pager=True,
            )

        if self.d == "plist":
            links.append(link(0, "首页"))
            if n > 0:
                links.append(link(n - 1, "上一页"))
            for i in range(len(paths)):
                links.append(f"<span>{i + 1}</span>" if i == n else link(i, str(i + 1)))
            if n < last:
                links.append(link(n + 1, "下一页"))
            links.append(link(last, "末页"))
            return '<div class="pagination">' + " ".join(links) + "</div>"
        links.append(f"共{total}条 第{n + 1}/{len(paths)}页")
        links.append(link(0, "首页"))
        if n > 0:
            links.append(link(n - 1, "上一页"))
        if n < last:
            links.append(link(n + 1, "下一页"))
        links.append(link(last, "尾页"))
        return '<div class="page">' + " ".join(links) + "</div>"

    def hub_crumb(self, hub: str) -> tuple[str, str]:
        if hub == "hdjl":
            return "互动交流", self.hub("hdjl")
        if hub == "zdly":
            return "法定主动公开内容", self.sub("zwgk", "zdly")
        return self.spec.hub_name, self.hub("zwgk")

    # -- articles

    def article_page(self, art: Article) -> None:
        if art.missing:
            return
        col_name = self.name_of.get(art.col, "")
        doc = Doc(self, art.path, "article", self.page_title(art.title))
        label, style = ARTICLE_LABEL[self.d]
        info = []
        if art.dated:
            doc.page.publish_date = art.date
            shown = fmt_date(art.date, style)
            if self.d == "trs":
                shown += " 09:30"
                doc.meta.append(("PubDate", f"{iso(art.date)} 09:30"))
                doc.meta.append(("ColumnName", col_name))
            info.append(f"{label}：{shown}")
        info.append(f"来源：{esc(self.gov)}办公室")
        parts = [f"<h1>{esc(art.title)}</h1>", f'<div class="attr">{"　".join(info)}</div>']
        if art.number:
            parts.append(
                '<table class="doc-meta">'
                f"<tr><td>文号：</td><td>{esc(art.number)}</td></tr>"
                f"<tr><td>发文机关：</td><td>{esc(self.gov)}</td></tr></table>"
            )
        parts.append(f'<div class="body">{self.body_text(art)}</div>')
        if art.col == "zwdt":
            self.photo_n += 1
            num, den = self.spec.photo_alt
            alt = (
                art.title
                if (self.photo_n - 1) % den < num
                else ("" if self.d == "comment" else None)
            )
            parts.append(f'<p class="pic">{doc.img(f"/images/photo_{art.id}.png", alt)}</p>')
        if art.col in ("zcwj", "czyjs", "tjxx") and art.dated:
            path = f"/uploads/{art.date:%Y%m}/P0{art.date:%Y%m%d}{art.id}.pdf"
            self.add_file(path, "pdf", art.title)
            parts.append(f"<p>附件：{doc.a(path, art.title + '.pdf')}</p>")
        parts.append(self.article_extras(doc, art))
        tools = [
            doc.a("javascript:window.print()", "打印本页"),
            doc.a("javascript:window.close()", "关闭窗口"),
        ]
        if self.d == "trs":
            tools.append(doc.a("#top", "返回顶部"))
        parts.append(f'<p class="tools">{" ".join(tools)}</p>')
        hub_text, hub_path = self.hub_crumb("hdjl" if art.col in HDJL_KEYS else "zwgk")
        col = self.columns[art.col]
        crumbs: list[tuple[str, str | None]] = [
            (hub_text, hub_path),
            (col.name, col.root),
            ("正文", None),
        ]
        self.finish(doc, '<div class="article">' + "".join(parts) + "</div>", crumbs)

    def article_extras(self, doc: Doc, art: Article) -> str:
        """Planted dead links and the robots-disallowed link, on the first suitable articles."""
        out = ""
        dead = self.dead.get("article", [])
        if art.col == "zcwj" and art.dated and "article" not in self._extras_done and dead:
            self._extras_done.add("article")
            out += "".join(f"<p>{doc.a(path, text)}</p>" for text, path in dead)
        if self.spec.disallow and art.col == "zwdt" and "internal" not in self._extras_done:
            self._extras_done.add("internal")
            target = f"{self.spec.disallow}oa/index.html"
            self.responses[target] = Response(
                200,
                self.html_headers(),
                "<html><body><p>内部办公系统（仅限内网访问）</p></body></html>".encode(
                    self.spec.encoding
                ),
            )
            out += f"<p>{doc.a(target, '内部办公系统')}</p>"
        return out

    # -- the board

    def make_letters(self) -> None:
        spec = self.spec
        subjects = list(C.LETTER_SUBJECTS)
        self.rng.shuffle(subjects)
        for n, ls in enumerate(sorted(spec.letters, key=lambda x: x.age)):
            asked = AS_OF - timedelta(days=ls.age)
            replied = asked + timedelta(days=ls.latency) if ls.latency is not None else None
            lid = 5000 + n + 1
            self.letters.append(Letter(lid, subjects[n], asked, replied, ls.status, None))
        board = self.board_root()
        for letter in self.letters:
            if spec.board_style == "table_nolink":
                continue
            if self.d == "trs":
                d = letter.asked
                letter.path = f"{board}{d:%Y%m}/t{d:%Y%m%d}_{letter.id}.html"
            elif self.d == "oldtable":
                letter.path = f"/Letter/Show_{letter.id}.asp"
            elif self.d == "comment":
                letter.path = f"{board.rsplit('/', 1)[0]}/show_{letter.id}.html"
            else:
                letter.path = f"{board.rsplit('/', 1)[0]}/{letter.id}.html"

    def board_root(self) -> str:
        folder = {
            "shifan": "szxx",
            "jiaqu": "qzxx",
            "yiqu": "wmly",
            "jishi": "szxx",
            "bingxian": "xzxx",
            "dingxian": "zxts",
            "wuxian": "xzxx",
        }[self.spec.id]
        if self.d == "trs":
            return f"/hdjl/{folder}/"
        if self.d == "oldtable":
            return "/Letter/List.asp"
        return f"/hdjl/{folder}/index.html"

    def letter_state(self, letter: Letter) -> str:
        return "replied" if letter.replied is not None else "unanswered"

    def status_word(self, letter: Letter) -> str:
        replied_word, open_word = self.spec.board_words
        if letter.replied is not None:
            return replied_word
        return letter.status or open_word

    def board_pages(self) -> None:
        spec = self.spec
        name = spec.board_name
        root = self.board_root()
        asked_l, reply_l, status_l = spec.board_labels
        letters = sorted(self.letters, key=lambda x: (x.asked, x.id), reverse=True)
        per = spec.board_per_page or len(letters)
        chunks = [letters[i : i + per] for i in range(0, len(letters), per)]
        paths = [root] + [self.cont_path(root, n) for n in range(1, len(chunks))]
        crumbs_base = [("互动交流", self.hub("hdjl"))]
        for n, chunk in enumerate(chunks):
            dated_rows = spec.board_style in ("table", "ul")
            role = "board"
            doc = Doc(self, paths[n], role, self.page_title(name))
            if dated_rows:
                doc.page.column = name
                doc.page.root = root
                doc.page.list_container = True
            body = f"<h1>{esc(name)}</h1><p>来信须知：请如实填写个人信息，文明留言。</p>"
            style = spec.board_style
            if style in ("table", "table_nolink"):
                cols = (
                    ["序号", "信件标题", asked_l, reply_l]
                    if self.d == "trs"
                    else ["标题", asked_l, reply_l]
                )
                if status_l:
                    cols.append(status_l)
                head = "<tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"
                rows = []
                for i, letter in enumerate(chunk):
                    asked = fmt_date(letter.asked, "iso")
                    reply = (
                        fmt_date(letter.replied, "iso")
                        if letter.replied
                        else ("—" if self.d == "trs" else "")
                    )
                    if style == "table":
                        assert letter.path is not None
                        link = doc.a(self.rel(doc.path, letter.path), letter.title)
                        doc.item(letter.title, letter.path, letter.asked, asked, main=True)
                    else:
                        link = esc(letter.title)
                    cells = [link, asked, reply]
                    if self.d == "trs":
                        cells.insert(0, str(n * per + i + 1))
                    if status_l:
                        cells.append(self.status_word(letter))
                    rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
                    doc.page.letters.append(
                        LetterFact(
                            letter.title,
                            letter.path,
                            letter.asked,
                            letter.replied,
                            self.letter_state(letter),
                            "list",
                        )
                    )
                cls = {"trs": "list-table", "oldtable": "newslist"}.get(self.d, "list")
                if style == "table_nolink":
                    cls = "zxts"
                body += f'<table class="{cls}">' + head + "".join(rows) + "</table>"
            elif style == "ul":
                dated = [(x.title, x.path or "", x.asked) for x in chunk]
                body += self.render_list(doc, dated, main=True)
            else:  # detail_only: titles only
                body += (
                    '<div class="letters">'
                    + "".join(f"<p>{doc.a(x.path or '', x.title)}</p>" for x in chunk)
                    + "</div>"
                )
            if len(chunks) > 1:
                body += self.pager(doc, paths, n, len(letters))
            if n:
                doc.page.role = "continuation"
            self.finish(doc, body, [*crumbs_base, (name, root)])
        if spec.board_style == "table_nolink":
            return
        for letter in letters:
            self.letter_page(letter, name, root)

    def letter_page(self, letter: Letter, board_name: str, board_root: str) -> None:
        spec = self.spec
        asked_l, reply_l, status_l = spec.board_labels
        assert letter.path is not None
        doc = Doc(self, letter.path, "letter", self.page_title(letter.title))
        doc.page.publish_date = letter.asked  # the asked label is the page's labelled date
        parts = [
            f"<h1>{esc(letter.title)}</h1>",
            "<p>来信人：张**</p>",
            f"<p>{asked_l}：{fmt_date(letter.asked, 'iso')}</p>",
            f"<p>来信内容：{esc(letter.title)}，希望有关部门尽快处理。</p>",
        ]
        if letter.replied is not None:
            unit = C.REPLY_UNITS[letter.id % len(C.REPLY_UNITS)]
            parts += [
                f"<p>{reply_l}：{fmt_date(letter.replied, 'iso')}</p>",
                f"<p>回复单位：{esc(self.s)}{unit}</p>",
                "<p>回复内容：您好！您反映的问题已转交相关部门办理，感谢您对我们工作的关心和支持。</p>",
            ]
        if status_l:
            parts.append(f"<p>{status_l}：{self.status_word(letter)}</p>")
        doc.page.letters.append(
            LetterFact(
                letter.title,
                letter.path,
                letter.asked,
                letter.replied,
                self.letter_state(letter),
                "detail",
            )
        )
        crumbs: list[tuple[str, str | None]] = [
            ("互动交流", self.hub("hdjl")),
            (board_name, board_root),
            ("信件详情", None),
        ]
        self.finish(doc, '<div class="letter">' + "".join(parts) + "</div>", crumbs)

    # -- hubs and other pages

    def col_link(self, doc: Doc, key: str) -> str:
        col = self.columns[key]
        return doc.a(col.root, col.name)

    def hub_pages(self) -> None:
        spec = self.spec
        # 政务公开 / 信息公开
        doc = Doc(self, self.hub("zwgk"), "hub", self.page_title(spec.hub_name))
        first = []
        if spec.guide_page:
            first.append(doc.a(self.sub("zwgk", "gkzn"), "政府信息公开指南"))
        if spec.topics:
            first.append(doc.a(self.sub("zwgk", "zdly"), "法定主动公开内容"))
        first.append(self.col_link(doc, "ndbg"))
        keys = [c.key for c in spec.columns if c.key not in HDJL_KEYS]
        catalogue = [self.col_link(doc, k) for k in keys]
        body = (
            f"<h1>{esc(spec.hub_name)}</h1>"
            '<div class="sec"><h3>政府信息公开</h3><ul class="cat">'
            + "".join(f"<li>{x}</li>" for x in first)
            + "</ul></div>"
            '<div class="sec"><h3>主动公开目录</h3><ul class="cat">'
            + "".join(f"<li>{x}</li>" for x in catalogue)
            + "</ul></div>"
            + self.dead_links(doc, "zwgk")
        )
        self.finish(doc, body, [(spec.hub_name, None)])
        # 政府信息公开指南
        if spec.guide_page:
            doc = Doc(self, self.sub("zwgk", "gkzn"), "other", self.page_title("政府信息公开指南"))
            text = (
                f"<h1>{esc(self.gov)}政府信息公开指南</h1>"
                "<p>为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。</p>"
                "<h3>一、主动公开</h3><p>主动公开的政府信息通过政府网站、政府公报、新闻发布会等方式公开。</p>"
                "<h3>二、依申请公开</h3><p>申请人可通过网上申请、信函申请、当面申请等方式提出申请。</p>"
                f"<h3>三、受理机构</h3><p>{esc(self.gov)}办公室，办公时间：工作日上午九时至十二时。</p>"
            )
            self.finish(doc, text, [(spec.hub_name, self.hub("zwgk")), ("政府信息公开指南", None)])
        # 法定主动公开内容 (重点领域)
        if spec.topics:
            doc = Doc(self, self.sub("zwgk", "zdly"), "hub", self.page_title("法定主动公开内容"))
            links = "".join(f"<li>{self.col_link(doc, k)}</li>" for k in spec.topics)
            body = (
                '<h1>法定主动公开内容</h1><div class="sec"><h3>重点领域信息公开</h3>'
                f'<ul class="cat">{links}</ul></div>'
            )
            self.finish(doc, body, [(spec.hub_name, self.hub("zwgk")), ("法定主动公开内容", None)])
        self.zwfw_pages()
        self.hdjl_pages()
        self.zj_pages()
        self.site_map_page()

    def zwfw_pages(self) -> None:
        spec = self.spec
        doc = Doc(self, self.hub("zwfw"), "hub", self.page_title("在线办事"))
        parts = ["<h1>在线办事</h1>", '<div class="sec"><h3>网上办事</h3>']
        if spec.zwfw_link:
            parts.append(
                "<p>"
                + doc.a(
                    f"https://zwfw.{spec.id}.example/",
                    f"{self.s}政务服务网",
                    attrs='target="_blank"',
                )
                + "</p>"
            )
        entries = []
        if spec.guides:
            entries.append(doc.a(self.sub("zwfw", "bszn"), "办事指南"))
        if spec.downloads:
            entries.append(doc.a(self.sub("zwfw", "bgxz"), "表格下载"))
        if entries:
            parts.append('<ul class="cat">' + "".join(f"<li>{e}</li>" for e in entries) + "</ul>")
        parts.append("</div>")
        if spec.services:
            services = "".join(
                "<li>"
                + doc.a(f"https://{host}.{spec.id}.example/", name, attrs="target=_blank")
                + "</li>"
                for name, host in C.SERVICES[: spec.services]
            )
            parts.append(f'<div class="sec"><h3>便民服务</h3><ul class="cat">{services}</ul></div>')
        if spec.data_open:
            parts.append(
                '<div class="sec"><h3>数据发布</h3><ul class="cat"><li>'
                + doc.a(f"https://data.{spec.id}.example/", "数据开放平台", attrs='target="_blank"')
                + "</li><li>"
                + self.col_link(doc, "tjxx")
                + "</li></ul></div>"
            )
        parts.append(self.dead_links(doc, "zwfw"))
        self.finish(doc, "".join(parts), [("在线办事", None)])
        crumbs_zwfw: list[tuple[str, str | None]] = [("在线办事", self.hub("zwfw"))]
        # 办事指南 and the guides
        if spec.guides:
            doc = Doc(self, self.sub("zwfw", "bszn"), "other", self.page_title("办事指南"))
            items = []
            for n, (name, _unit, _basis) in enumerate(C.GUIDES[: spec.guides]):
                path = self.sub("zwfw", f"guide{n + 1}")
                items.append(f"<li>{doc.a(path, name + '办事指南')}</li>")
            self.finish(
                doc,
                '<h1>办事指南</h1><ul class="cat">' + "".join(items) + "</ul>",
                [*crumbs_zwfw, ("办事指南", None)],
            )
            for n, (name, unit, basis) in enumerate(C.GUIDES[: spec.guides]):
                path = self.sub("zwfw", f"guide{n + 1}")
                doc = Doc(self, path, "other", self.page_title(name + "办事指南"))
                values = {
                    "事项名称": name,
                    "设定依据": basis,
                    "申请条件": "符合相关规定条件的申请人。",
                    "办理材料": "申请表、居民身份证原件及复印件。",
                    "办理地点": f"{self.s}政务服务中心一楼综合窗口",
                    "办理机构": f"{self.s}{unit}",
                    "收费标准": "不收费",
                    "办理时间": "法定工作日上午九时至十二时，下午一时至五时",
                    "联系电话": PHONES[spec.id],
                    "办理流程": "申请、受理、审核、办结。",
                }
                rows = "".join(
                    f"<tr><th>{k}</th><td>{esc(values[k])}</td></tr>"
                    for k in C.GUIDE_ELEMENTS[: spec.guide_elements]
                )
                self.finish(
                    doc,
                    f'<h1>{esc(name)}办事指南</h1><table class="guide">{rows}</table>',
                    [*crumbs_zwfw, ("办事指南", self.sub("zwfw", "bszn")), (name, None)],
                )
        # 表格下载
        if spec.downloads:
            doc = Doc(self, self.sub("zwfw", "bgxz"), "other", self.page_title("表格下载"))
            items = []
            for n, (title, ext) in enumerate(C.DOWNLOADS[: spec.downloads]):
                path = f"/files/form_{n + 1:02d}.{ext}"
                if n >= spec.downloads - spec.downloads_missing:
                    self.add_broken(path, 404)
                else:
                    self.add_file(path, ext, title)
                items.append(f"<li>{doc.a(path, f'{title}.{ext}')}</li>")
            self.finish(
                doc,
                '<h1>表格下载</h1><ul class="files">' + "".join(items) + "</ul>",
                [*crumbs_zwfw, ("表格下载", None)],
            )

    def hdjl_pages(self) -> None:
        spec = self.spec
        doc = Doc(self, self.hub("hdjl"), "hub", self.page_title("互动交流"))
        parts = ["<h1>互动交流</h1>"]
        board = doc.a(self.board_root(), spec.board_name)
        parts.append(
            f'<div class="sec"><h3>{esc(spec.board_name)}</h3><p>{board}</p>'
            f"<p>欢迎您通过{esc(spec.board_name)}反映问题、提出建议。</p></div>"
        )
        for key in HDJL_KEYS:
            if key in self.columns:
                parts.append(
                    f'<div class="sec"><h3>{esc(self.columns[key].name)}</h3>'
                    f"<p>{self.col_link(doc, key)}</p></div>"
                )
        if spec.faq:
            parts.append(
                f'<div class="sec"><p>{doc.a(self.sub("hdjl", "cjwt"), "常见问题")}</p></div>'
            )
        if spec.hotline:
            parts.append(
                '<div class="sec"><p>政务服务便民热线：12345'
                "（全天候受理咨询、投诉、求助、建议）</p></div>"
            )
        if spec.new_media:
            parts.append(
                '<div class="sec"><h3>政务新媒体</h3><p>'
                + doc.a(f"https://mp.weixin.example/{spec.id}", "政务微信", attrs='target="_blank"')
                + " "
                + doc.a(f"https://weibo.example/{spec.id}", "政务微博", attrs='target="_blank"')
                + "</p></div>"
            )
        parts.append(self.dead_links(doc, "hdjl"))
        self.finish(doc, "".join(parts), [("互动交流", None)])
        if spec.faq:
            doc = Doc(self, self.sub("hdjl", "cjwt"), "other", self.page_title("常见问题"))
            qa = "".join(
                f'<dl class="faq"><dt>{esc(q)}</dt><dd>{esc(a)}</dd></dl>' for q, a in C.FAQ
            )
            self.finish(
                doc, f"<h1>常见问题</h1>{qa}", [("互动交流", self.hub("hdjl")), ("常见问题", None)]
            )

    def zj_pages(self) -> None:
        spec = self.spec
        label = {"municipal": "市情", "district": "区情", "county": "县情", "county_city": "市情"}[
            spec.level
        ]
        names = {"gk": f"{label}概况", "ld": "领导信息", "jg": "机构设置"}
        hub = f"走进{self.s}"
        doc = Doc(self, self.hub("zjgk"), "hub", self.page_title(hub))
        links = "".join(f"<li>{doc.a(self.sub('zjgk', k), names[k])}</li>" for k in spec.overview)
        self.finish(doc, f'<h1>{esc(hub)}</h1><ul class="cat">{links}</ul>', [(hub, None)])
        crumbs: list[tuple[str, str | None]] = [(hub, self.hub("zjgk"))]
        for key in spec.overview:
            doc = Doc(self, self.sub("zjgk", key), "other", self.page_title(names[key]))
            if key == "gk":
                body = (
                    f'<h1>{names[key]}</h1><div class="article">'
                    f"<p>{esc(self.s)}位于山地与平原交界地带，历史悠久，物产丰富。</p>"
                    "<p>辖区面积一千二百平方公里，常住人口约四十六万人，辖六镇四乡。</p>"
                    "<p>近年来，经济社会持续健康发展，人民生活水平不断提高。</p></div>"
                    + self.dead_links(doc, "overview")
                )
            elif key == "ld":
                people = self.rng.sample(C.LEADERS, 4)
                titles = ["长", "副长", "副长", "副长"]
                unit = label[0]
                blocks = "".join(
                    f'<div class="leader"><h3>{p}</h3><p>{unit}{t}</p>'
                    f"<p>分工：{C.DUTIES[i]}</p></div>"
                    for i, (p, t) in enumerate(zip(people, titles, strict=True))
                )
                body = f"<h1>{names[key]}</h1>{blocks}"
            else:
                rows = "".join(
                    f"<tr><td>{esc(self.s)}{u}</td><td>{esc(self.s)}人民路一号</td><td>{PHONES[spec.id][:-1]}{i}</td></tr>"
                    for i, u in enumerate(C.UNITS)
                )
                body = (
                    f'<h1>{names[key]}</h1><table class="org"><tr><th>机构名称</th><th>地址</th>'
                    f"<th>联系电话</th></tr>{rows}</table>"
                )
            self.finish(doc, body, [*crumbs, (names[key], None)])

    def site_map_page(self) -> None:
        spec = self.spec
        doc = Doc(self, self.hub("wzdt"), "other", self.page_title("网站地图"))
        origin = f"http://{self.netloc}" if spec.self_absolute else ""
        groups = [
            (
                spec.hub_name,
                self.hub("zwgk"),
                [k for k in self.columns if self.columns[k].hub == "zwgk"],
            ),
            (
                "互动交流",
                self.hub("hdjl"),
                [k for k in self.columns if self.columns[k].hub == "hdjl"],
            ),
        ]
        blocks = []
        for name, hub, keys in groups:
            links = "".join(
                f"<li>{doc.a(origin + self.columns[k].root, self.columns[k].name)}</li>"
                for k in keys
            )
            blocks.append(
                f'<div class="sec"><h3>{doc.a(origin + hub, name)}</h3>'
                f'<ul class="cat">{links}</ul></div>'
            )
        blocks.append(
            f'<div class="sec"><h3>{doc.a(origin + self.hub("zwfw"), "在线办事")}</h3></div>'
        )
        self.finish(doc, "<h1>网站地图</h1>" + "".join(blocks), [("网站地图", None)])

    def home_page(self) -> None:
        spec = self.spec
        doc = Doc(self, "/", "home", self.gov)
        cols = self.columns
        parts = []
        news = [a for a in cols["zwdt"].articles if not a.missing]
        head = news[0]
        self.photo_n += 1
        num, den = spec.photo_alt
        alt = head.title if (self.photo_n - 1) % den < num else None
        picture = doc.img(f"/images/photo_{head.id}.png", alt)
        parts.append(
            '<div class="focus">'
            + doc.a(head.path, alt or "", inner=picture)
            + f"<p>{doc.a(head.path, head.title)}</p></div>"
        )
        if self.d == "trs":
            # The headline's URL carries its date (…/t20261119_…): a dated link by its URL.
            doc.item(head.title, head.path, head.date, f"{head.date:%Y%m%d}", main=False)
        sections = [("zwdt", spec.home_news), ("tzgg", 5), ("zcwj", 5), ("zcjd", 3), ("hygq", 3)]
        for key, n in sections:
            col = cols.get(key)
            if col is None or col.state != "ok":
                continue
            rows = [(a.title, a.path, a.date) for a in col.articles[:n] if not a.missing]
            more = doc.a(col.root, "更多") if col.nav else ""
            parts.append(
                f'<div class="box"><h3>{doc.a(col.root, col.name)}</h3>{more}'
                + self.render_list(doc, rows, main=False, home=True)
                + "</div>"
            )
        # 在线办事 / 互动交流 / 专题
        service = [doc.a(self.hub("zwfw"), "在线办事")]
        if spec.zwfw_link:
            service.append(
                doc.a(
                    f"https://zwfw.{spec.id}.example/",
                    f"{self.s}政务服务网",
                    attrs='target="_blank"',
                )
            )
        parts.append('<div class="box"><h3>在线办事</h3><p>' + " ".join(service) + "</p></div>")
        interact = [doc.a(self.board_root(), spec.board_name)]
        interact += [
            self.col_link(doc, k) for k in HDJL_KEYS if k in cols and cols[k].state == "ok"
        ]
        parts.append('<div class="box"><h3>互动交流</h3><p>' + " ".join(interact) + "</p></div>")
        topics = [doc.a(self.sub("zwgk", "zdly"), "重点领域信息公开")] if spec.topics else []
        parts.append(
            '<div class="box"><h3>专题专栏</h3>'
            + "".join(f"<p>{t}</p>" for t in topics)
            + self.dead_links(doc, "home")
            + "</div>"
        )
        friends = " ".join(
            doc.a(self.origins[other.id], other.name_zh, attrs='target="_blank"')
            for other in SITES
            if other.id != spec.id
        )
        extra = ""
        if self.d == "trs":
            extra = doc.a("javascript:void(0)", "加入收藏")
        parts.append(f'<div class="yqlj"><h3>友情链接</h3><p>{friends}</p><p>{extra}</p></div>')
        self.finish(doc, "".join(parts))

    def search_response(self, query: str) -> Response:
        """The result page of a site search: articles whose title contains the query."""
        query = query.strip()
        hits = [a for a in self.articles if query and query in a.title and not a.missing]
        hits.sort(key=lambda a: (a.date, a.id), reverse=True)
        doc = Doc(self, self.spec.search_action, "search", self.page_title("搜索结果"))
        rows = "".join(
            f"<li>{doc.a(a.path, a.title)}<span>{fmt_date(a.date, 'iso')}</span></li>" for a in hits
        )
        body = f"<h1>搜索结果</h1><p>共找到{len(hits)}条与“{esc(query)}”相关的结果</p>"
        body += f'<ul class="results">{rows}</ul>'
        markup = self.layout(doc, body, [("搜索结果", None)])
        return Response(200, self.html_headers(), markup.encode(self.spec.encoding, "replace"))

    def empty_search_page(self) -> Response:
        """What a search form that finds nothing answers (the planted broken search)."""
        doc = Doc(self, self.spec.search_action, "search", self.page_title("搜索结果"))
        body = "<h1>搜索结果</h1><p>共找到0条结果，请更换关键词后重试。</p>"
        markup = self.layout(doc, body, [("搜索结果", None)])
        return Response(200, self.html_headers(), markup.encode(self.spec.encoding))

    def soft_404_page(self) -> Response:
        body = (
            "<html><head><title>页面不存在</title></head><body>"
            '<p>抱歉，您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p>'
            "</body></html>"
        )
        return Response(200, self.html_headers(), body.encode(self.spec.encoding))

    def robots_and_sitemap(self) -> None:
        spec = self.spec
        origin = f"http://{self.netloc}"
        if spec.robots:
            lines = ["User-agent: *", f"Disallow: {spec.disallow}"]
            if spec.sitemap:
                lines.append(f"Sitemap: {origin}/sitemap.xml")
            self.responses["/robots.txt"] = Response(
                200, [("Content-Type", "text/plain")], ("\n".join(lines) + "\n").encode("ascii")
            )
        if spec.sitemap:
            urls = ["/", self.hub("zwgk"), self.hub("zwfw"), self.hub("hdjl")]
            urls += [c.root for c in self.columns.values() if c.state == "ok"]
            locs = "".join(f"<url><loc>{origin}{u}</loc></url>" for u in urls)
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>\n'
            )
            self.responses["/sitemap.xml"] = Response(
                200, [("Content-Type", "application/xml")], body.encode("utf-8")
            )

    def check_links(self) -> None:
        """Every internal link target exists, is a redirect or is a planted dead link."""
        for page in self.pages.values():
            for link in page.links:
                if not link.internal or not link.http:
                    continue
                if link.url not in self.responses:
                    raise AssertionError(
                        f"{self.spec.id}{page.path}: accidental dead link {link.url}"
                    )


def _pager_href(paths: list[str], i: int) -> str:
    """TRS pager links: ``./`` style, relative to the column's folder."""
    root = paths[0]
    if i == 0:
        return "./" if root.endswith("/") else root
    return "./" + paths[i].rsplit("/", 1)[1]


def error_response(status: int, encoding: str = "utf-8") -> Response:
    reason = {404: "Not Found", 500: "Internal Server Error", 405: "Method Not Allowed"}[status]
    body = (
        f"<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{status} {reason}</h1></body></html>"
    )
    headers = [("Content-Type", "text/html" if encoding != "utf-8" else "text/html; charset=utf-8")]
    return Response(status, headers, body.encode("ascii"))


def origins_for(port: int, first_address: str) -> dict[str, str]:
    """Site id → ``http://127.0.0.x:port/`` for every demo site."""
    return {
        spec.id: f"http://{address_of(first_address, i)}:{port}/" for i, spec in enumerate(SITES)
    }


def address_of(first_address: str, index: int) -> str:
    head, last = first_address.rsplit(".", 1)
    n = int(last) + index
    if not 0 < n < 255:
        raise ValueError(f"no address {index} after {first_address}")
    return f"{head}.{n}"


def build_sites(port: int, first_address: str) -> dict[str, DemoSite]:
    """Build every demo site for the given base port and first loopback address."""
    origins = origins_for(port, first_address)
    sites = {}
    for i, spec in enumerate(SITES):
        sites[spec.id] = SiteBuilder(spec, address_of(first_address, i), port, origins).build()
    return sites
