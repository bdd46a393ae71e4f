"""Generate the demo web: every page, file and answer of the seven fictional sites.

:class:`SiteBuilder` builds one site from its spec: it holds what a site's pages share (the
spec, the site's :class:`~evalcrawler.demo.dialects.Dialect`, the registered pages and
responses, the template: header, navigation, footer) and writes the pages through
:mod:`~evalcrawler.demo.articles` (columns and articles), :mod:`~evalcrawler.demo.board` (the
message board) and :mod:`~evalcrawler.demo.portal` (home page, hubs, site map).

The generator is pure and deterministic (a fixed ``random.Random`` per site, fixed dates
relative to :data:`~evalcrawler.demo.specs.AS_OF`). It writes HTML through
:class:`~evalcrawler.demo.markup.Doc`, which records, while it writes, every fact a metric
depends on: each ``<a href>`` (resolved, with its anchor text and whether it sits in the
navigation or a pager), each ``<img>`` and its alt, every dated link and the list it belongs to,
the page's publish date, list containers, empty-state phrases and letters. The truth file
(:mod:`evalcrawler.demo.truth`) is computed from those records, never by parsing the HTML back.

Markup conventions (so that docs/metrics.md reads every page one way):

* navigation links sit in the site's nav container (``div.nav``, ``<nav>``, ``div#menu``,
  ``div.daohang``, ``div.menu``, ``table.menu``); no other ``id``/``class`` contains a
  navigation word, but for class names copied with a real page's markup;
* list words (``list``, ``news``, ``info``, ``content``) are not kept for list containers:
  layout blocks and pages without dated links carry them too, as on real sites
  (:mod:`~evalcrawler.demo.families` writes lists and pages from real pages' markup);
* each dated item is one ``li``/``tr``/``p`` (or one small table) with exactly one link; no
  block that shows a date holds exactly one link unless it is such an item; footers show no
  date but the copyright year; every month-day date has its year on the page (item comment
  or list heading);
* every link to a column uses the column's name as its anchor text; pager links only join
  the pages of one column.
"""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import urljoin, urlsplit

from evalcrawler.demo import articles, board, families, portal
from evalcrawler.demo import content as C
from evalcrawler.demo.dialects import DIALECTS
from evalcrawler.demo.markup import (
    COL_NAMES,
    FILE_TYPES,
    HDJL_KEYS,
    NAV_KEYS,
    PHONES,
    PNG,
    Doc,
    error_response,
    esc,
    file_bytes,
    fmt_date,
)
from evalcrawler.demo.model import Article, Column, DemoSite, Letter, LinkFact, PageModel, Response
from evalcrawler.demo.planted import SITES
from evalcrawler.demo.specs import AS_OF, SiteSpec


class SiteBuilder:
    """Builds one :class:`DemoSite` from its :class:`SiteSpec`."""

    def __init__(
        self,
        spec: SiteSpec,
        address: str,
        port: int,
        origins: dict[str, str],
        as_of: date = AS_OF,
    ) -> None:
        self.spec = spec
        # The date the web is built "as of": every age counts back from it (an earlier year's
        # web is the same web one year earlier, see docs/demo.md "Two years").
        self.as_of = as_of
        self.dialect = DIALECTS[spec.dialect]
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
        """How a link to ``target`` is written on page ``base`` (TRS: relative to its folder)."""
        return self.dialect.rel(base, target)

    def hub(self, name: str) -> str:
        return self.dialect.hub(name)

    def sub(self, hub: str, name: str) -> str:
        """A page under a hub: /zwgk/gkzn/ (TRS), /zwgk/gkzn.html, /zwgk_gkzn.asp."""
        return self.dialect.sub(hub, name)

    def col_root(self, key: str) -> str:
        return self.dialect.col_root(key)

    def cont_path(self, root: str, n: int) -> str:
        """The n-th continuation page (n ≥ 1) of a column whose first page is ``root``."""
        if root.endswith("/"):
            return f"{root}index_{n}.html"
        if root.endswith("index.html"):
            return f"{root[: -len('index.html')]}index_{n}.html"
        stem, ext = root.rsplit(".", 1)
        return f"{stem}_{n + 1}.{ext}"

    def article_path(self, art: Article) -> str:
        return self.dialect.article_path(art)

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
            head.append(self.dialect.charset_meta)
        if spec.viewport:
            head.append(f'<meta name="viewport" content="{spec.viewport}">')
        head.append(f"<title>{esc(doc.page.title)}</title>")
        head.append(f'<meta name="SiteName" content="{esc(self.gov)}">')
        head.extend(f'<meta name="{k}" content="{esc(v)}">' for k, v in doc.meta)
        lang = ' lang="zh-CN"' if spec.lang else ""
        return self.dialect.layout(self, doc, body, crumbs, head, lang)

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
        hidden = self.dialect.search_hidden
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
        items.append(("在线办事", self.hub("zwfw"), families.nav_children(self, "zwfw")))
        items.append(("互动交流", self.hub("hdjl"), hdjl_subs))
        items.append((f"走进{self.s}", self.hub("zjgk"), families.nav_children(self, "zjgk")))
        return items

    def nav(self, doc: Doc) -> str:
        opening, closing = self.dialect.nav_container
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
            if self.dialect.mail_link:
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
            lines.append(f"© {self.as_of.year} {esc(self.gov)} 版权所有　{sitemap_link}")
        else:
            lines.append(f"版权所有：{esc(self.gov)}　{sitemap_link}")
        return self.dialect.footer(lines)

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
        return self.dialect.render_list(self, doc, rows, main=main, home=home, numbers=numbers)

    def empty_list(self, doc: Doc, state: str, phrase: str) -> str:
        """The planted blank column body: an empty container, or a container with a phrase."""
        return self.dialect.empty_list(doc, state, phrase)

    # --------------------------------------------------------------------------- content

    def page_title(self, name: str) -> str:
        return self.dialect.page_title(name, self.gov)

    # ------------------------------------------------------------------------- the pages

    def build(self) -> DemoSite:
        articles.make_articles(self)
        board.make_letters(self)
        self.plant_broken()
        for col in self.columns.values():
            articles.column_pages(self, col)
        for art in self.articles:
            articles.article_page(self, art)
        board.board_pages(self)
        portal.hub_pages(self)
        portal.home_page(self)
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
            extras={kind: families.extra_path(self, kind) for kind in self.spec.extras},
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
            else:
                path = self.dialect.dead_path(where, n)
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


def build_sites(port: int, first_address: str, as_of: date = AS_OF) -> dict[str, DemoSite]:
    """Build every demo site for the given base port and first loopback address, as the web
    was on ``as_of`` (default: the demo's as-of date)."""
    origins = origins_for(port, first_address)
    sites = {}
    for i, spec in enumerate(SITES):
        address = address_of(first_address, i)
        sites[spec.id] = SiteBuilder(spec, address, port, origins, as_of).build()
    return sites
