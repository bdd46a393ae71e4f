"""The CMS dialects of the demo web: how each kind of government CMS writes its pages.

The seven demo sites are built by one generator; what differs between them as it differs between
the real CMSs they imitate (TRS, JCMS, …) is a :class:`Dialect`: its URL scheme (hubs, columns,
articles, letters), its list markup, its pager, its page titles and a few template details.
:class:`Dialect` holds the most common way of each; a subclass per CMS changes what that CMS
does differently. A site's spec names its dialect (``SiteSpec.dialect``, see :data:`DIALECTS`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from evalcrawler.demo import content as C
from evalcrawler.demo.markup import COL_CODES, HDJL_KEYS, Doc, esc, fmt_date
from evalcrawler.demo.model import Article, Letter

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder

Rows = list[tuple[str, str, date]]  # (title, path, date) of a dated list


class Dialect:
    """The most common way of writing a page; each CMS below overrides what it does its way."""

    name = ""
    charset_meta = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    top_anchor = ""  # written right after <body> (a "back to top" target)
    nav_container = ('<div class="nav">', "</div>")
    list_container = "list"  # class of the list containers (and of the planted blank ones)
    empty_list_tag = "div"  # tag of an empty list container
    search_hidden = ""  # hidden inputs of the search form
    mail_link = False  # the footer's e-mail address is a mailto: link
    date_label, date_style = "发布时间", "iso"  # the publish date shown on an article
    time_and_meta = False  # articles also show 09:30 and carry PubDate/ColumnName meta tags
    missing_alt: str | None = None  # a news photo without alt text: no alt (None) or alt=""
    doc_numbers = False  # the 政策文件 list shows each document's 文号
    range_title = False  # the second news item's title carries a date range (空气质量周报)
    url_dated_headline = False  # the home page's headline is a dated link by its URL alone
    favourite_link = False  # the home page has a javascript: 加入收藏 link
    board_numbered = False  # board tables number their rows (序号)
    no_reply = ""  # what a board table shows for a letter not replied to
    board_table_class = "list"
    # Classes of layout blocks (the page's main block, an article and its text, the footer).
    # Real sites put list words on them too (docs/demo.md names the real page of each).
    main_class = "main"
    article_class = "article"
    body_class = "body"
    footer_class = "footer"

    # ------------------------------------------------------------------------------ URLs

    def rel(self, base: str, target: str) -> str:
        """How a link to ``target`` is written on page ``base``."""
        return target

    def hub(self, name: str) -> str:
        return f"/{name}/index.html"

    def sub(self, hub: str, name: str) -> str:
        """A page under a hub: /zwgk/gkzn/ (TRS), /zwgk/gkzn.html, /zwgk_gkzn.asp."""
        return f"/{hub}/{name}.html"

    def col_root(self, key: str) -> str:
        return f"/{key}/index.html"

    def article_path(self, art: Article) -> str:
        return f"/{art.col}/{art.id}.html"

    def board_root(self, folder: str) -> str:
        return f"/hdjl/{folder}/index.html"

    def letter_path(self, board: str, letter: Letter) -> str:
        return f"{board.rsplit('/', 1)[0]}/{letter.id}.html"

    def dead_path(self, where: str, n: int) -> str:
        """The target of the n-th planted dead link on a page of ``where``."""
        return f"/{where}/old{n}/index.html"

    def pager_href(self, paths: list[str], i: int) -> str:
        return paths[i]

    # --------------------------------------------------------------------------- markup

    def page_title(self, name: str, gov: str) -> str:
        return f"{name}-{gov}"

    def layout(
        self,
        site: SiteBuilder,
        doc: Doc,
        body: str,
        crumbs: list[tuple[str, str | None]] | None,
        head: list[str],
        lang: str,
    ) -> str:
        """The page around ``body``: header, navigation, crumbs, footer."""
        parts = [
            "<!DOCTYPE html>",
            f"<html{lang}>",
            "<head>",
            *head,
            "</head>",
            "<body>",
            self.top_anchor,
            '<div class="top">',
            site.logo(doc),
            f'<span class="sitename">{esc(site.gov)}</span>',
            site.search_form(),
            "</div>",
            site.nav(doc),
        ]
        if crumbs:
            parts.append(site.crumbs(doc, crumbs))
        parts += [
            f'<div class="{self.main_class}">{body}</div>',
            site.footer(doc),
            "</body>",
            "</html>",
        ]
        return "\n".join(p for p in parts if p)

    def footer(self, lines: list[str]) -> str:
        inner = "".join(f"<p>{line}</p>" for line in lines)
        return f'<div class="{self.footer_class}">{inner}</div>'

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        """A dated list; rows are (title, path, date). By default a table with one row per
        item and the date right-aligned (each CMS below writes its own)."""
        out: list[str] = []
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
        container = self.list_container
        if state == "phrase":
            doc.page.empty_phrase = phrase
            return f'<div class="{container}"><p>{phrase}</p></div>'
        return f'<{self.empty_list_tag} class="{container}"></{self.empty_list_tag}>'

    def pager(self, doc: Doc, paths: list[str], n: int, total: int) -> str:
        last = len(paths) - 1

        def link(i: int, text: str) -> str:
            return doc.a(self.pager_href(paths, i), text, pager=True)

        links = [f"共{total}条 第{n + 1}/{len(paths)}页", link(0, "首页")]
        if n > 0:
            links.append(link(n - 1, "上一页"))
        if n < last:
            links.append(link(n + 1, "下一页"))
        links.append(link(last, "尾页"))
        return '<div class="page">' + " ".join(links) + "</div>"


class Trs(Dialect):
    """TRS WCM: folder URLs (/xwzx/zwdt/), articles under ./YYYYMM/tYYYYMMDD_id.html written
    relative to their column's folder, ``ul.list`` with the date after the title."""

    name = "trs"
    charset_meta = '<meta charset="utf-8">'
    top_anchor = '<a id="top"></a>'
    empty_list_tag = "ul"
    mail_link = True
    time_and_meta = True
    range_title = True
    url_dated_headline = True
    favourite_link = True
    board_numbered = True
    no_reply = "—"
    board_table_class = "list-table"
    # www.pingtan.gov.cn's page wrapper, article text and footer (TRS templates).
    main_class = "content mar_t_large mar_t_base_sm"
    body_class = "article_content article_content_01 font_family_cn"
    footer_class = "copyright_info"

    def rel(self, base: str, target: str) -> str:
        """TRS writes links inside a column's folder relative to it (``./202611/t…``)."""
        folder = base.rsplit("/", 1)[0] + "/"
        if folder != "/" and target.startswith(folder) and target != folder:
            return "./" + target[len(folder) :]
        return target

    def hub(self, name: str) -> str:
        return f"/{name}/"

    def sub(self, hub: str, name: str) -> str:
        return f"/{hub}/{name}/"

    def col_root(self, key: str) -> str:
        if key == "zwdt":
            return "/xwzx/zwdt/"
        if key in HDJL_KEYS:
            return f"/hdjl/{key}/"
        return f"/zwgk/zdly/{key}/" if key in C.TOPICS else f"/zwgk/{key}/"

    def article_path(self, art: Article) -> str:
        d = art.date
        folder = self.col_root(art.col) if art.col != "ndbg" else "/zwgk/ndbg/"
        return f"{folder}{d:%Y%m}/t{d:%Y%m%d}_{art.id}.html"

    def board_root(self, folder: str) -> str:
        return f"/hdjl/{folder}/"

    def letter_path(self, board: str, letter: Letter) -> str:
        d = letter.asked
        return f"{board}{d:%Y%m}/t{d:%Y%m%d}_{letter.id}.html"

    def pager_href(self, paths: list[str], i: int) -> str:
        """TRS pager links: ``./`` style, relative to the column's folder."""
        root = paths[0]
        if i == 0:
            return "./" if root.endswith("/") else root
        return "./" + paths[i].rsplit("/", 1)[1]

    def page_title(self, name: str, gov: str) -> str:
        return f"{name}_{gov}"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
        for title, path, day in rows:
            raw = fmt_date(day, "iso")
            doc.item(title, path, day, raw, main=main)
            link = doc.a(
                self.rel(doc.path, path), title, attrs=f'title="{esc(title)}" target="_blank"'
            )
            out.append(f'<li>{link}<span class="date">{raw}</span></li>')
        return '<ul class="list">' + "".join(out) + "</ul>"


class Jcms(Dialect):
    """JCMS: /col/colNNNN/ columns and /art/Y/M/D/ articles, table lists 名称/发布日期
    (dates 2026/11/18) with a 文号 column for policies, a ``<nav>`` element."""

    name = "jcms"
    nav_container = ("<nav>", "</nav>")
    empty_list_tag = "table"
    search_hidden = '<input type="hidden" name="siteid" value="12">'
    date_label, date_style = "发布日期", "slash"
    doc_numbers = True
    article_class = "content"  # the article block of www.gov.cn's gazette template

    def col_root(self, key: str) -> str:
        return f"/col/col{1000 + COL_CODES[key]}/index.html"

    def article_path(self, art: Article) -> str:
        d = art.date
        return f"/art/{d.year}/{d.month}/{d.day}/art_{1000 + COL_CODES[art.col]}_{art.id}.html"

    def page_title(self, name: str, gov: str) -> str:
        return f"{gov} {name}"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
        head = "<tr><th>名称</th>" + ("<th>文号</th>" if numbers else "") + "<th>发布日期</th></tr>"
        for title, path, day in rows:
            raw = fmt_date(day, "slash")
            doc.item(title, path, day, raw, main=main)
            number = f"<td>{esc(numbers.get(path, ''))}</td>" if numbers else ""
            link = doc.a(path, title, attrs='target="_blank"')
            out.append(f"<tr><td>{link}</td>{number}<td>{raw}</td></tr>")
        return '<table class="list">' + head + "".join(out) + "</table>"


class Plist(Dialect):
    """Paragraph lists ``div.news-list`` of ``<p><a>…</a><em>[11-18]</em></p>`` under a year
    heading (items of another year show full dates), a numbered pager, ``div#menu``."""

    name = "plist"
    charset_meta = '<meta charset="utf-8">'
    nav_container = ('<div id="menu">', "</div>")
    list_container = "news-list"
    search_hidden = '<input type="hidden" name="channelid" value="2">'
    main_class = "warp info_public_bg"  # www.pingtan.gov.cn's 信息公开 page wrapper
    date_style = "cn"

    def col_root(self, key: str) -> str:
        return f"/zdly/{key}/index.html" if key in C.TOPICS else f"/{key}/index.html"

    def article_path(self, art: Article) -> str:
        return f"/{art.col}/{art.date:%Y%m}/{art.id}.html"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
        year = rows[0][2].year if rows else site.as_of.year
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

    def pager(self, doc: Doc, paths: list[str], n: int, total: int) -> str:
        last = len(paths) - 1

        def link(i: int, text: str) -> str:
            return doc.a(self.pager_href(paths, i), text, pager=True)

        links = [link(0, "首页")]
        if n > 0:
            links.append(link(n - 1, "上一页"))
        for i in range(len(paths)):
            links.append(f"<span>{i + 1}</span>" if i == n else link(i, str(i + 1)))
        if n < last:
            links.append(link(n + 1, "下一页"))
        links.append(link(last, "末页"))
        return '<div class="pagination">' + " ".join(links) + "</div>"


class Comment(Dialect):
    """TRS comment years: ``<!-- 2026-->11-18`` in list rows (the year only in a comment), home
    dates 2026.11.18, articles labelled 日期：, news photos with an empty alt."""

    name = "comment"
    list_container = "info-list"
    empty_list_tag = "ul"
    date_label, date_style = "日期", "dot"
    missing_alt = ""

    def col_root(self, key: str) -> str:
        return f"/html/{key}/index.html"

    def article_path(self, art: Article) -> str:
        return f"/contents/{art.col}/{art.id}.html"

    def letter_path(self, board: str, letter: Letter) -> str:
        return f"{board.rsplit('/', 1)[0]}/show_{letter.id}.html"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
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


class Plain(Dialect):
    """Plain lists with the date first (``<li><span class="date">…</span><a>…</a></li>``) in
    ``div.lb``, navigation in ``div.daohang``."""

    name = "plain"
    charset_meta = '<meta charset="utf-8">'
    nav_container = ('<div class="daohang">', "</div>")
    list_container = "lb"
    date_label = "时间"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
        for title, path, day in rows:
            raw = fmt_date(day, "iso")
            doc.item(title, path, day, raw, main=main)
            out.append(f'<li><span class="date">{raw}</span>{doc.a(path, title)}</li>')
        return '<div class="lb"><ul>' + "".join(out) + "</ul></div>"


class CnFull(Dialect):
    """Chinese full dates without padding (2026年11月8日) in ``div.list_box`` lists,
    navigation in ``div.menu``, folder URLs under /html/."""

    name = "cnfull"
    nav_container = ('<div class="menu">', "</div>")
    list_container = "list_box"
    date_style = "cn_nopad"
    main_class = "news-pane"  # www.gov.cn's 2014 column pages
    body_class = "pages_content"  # www.gov.cn's 2014 article text

    def col_root(self, key: str) -> str:
        return f"/html/{key}/"

    def article_path(self, art: Article) -> str:
        return f"/html/{art.col}/{art.id}.html"

    def render_list(
        self,
        site: SiteBuilder,
        doc: Doc,
        rows: Rows,
        *,
        main: bool,
        home: bool,
        numbers: dict[str, str] | None,
    ) -> str:
        out: list[str] = []
        for title, path, day in rows:
            raw = fmt_date(day, "cn_nopad")
            doc.item(title, path, day, raw, main=main)
            out.append(f"<li>{doc.a(path, title)}<span>{raw}</span></li>")
        return '<div class="list_box"><ul>' + "".join(out) + "</ul></div>"


class OldTable(Dialect):
    """An old ASP site laid out in tables: ``table.menu`` navigation, ``table.newslist``
    lists, .asp URLs, articles labelled 更新时间 (the :class:`Dialect` defaults)."""

    name = "oldtable"
    list_container = "newslist"
    empty_list_tag = "table"
    date_label = "更新时间"
    board_table_class = "newslist"

    def hub(self, name: str) -> str:
        return f"/{name}.asp"

    def sub(self, hub: str, name: str) -> str:
        return f"/{hub}_{name}.asp"

    def col_root(self, key: str) -> str:
        return f"/Article/Class_{COL_CODES[key]}.asp"

    def article_path(self, art: Article) -> str:
        return f"/Article/Show_{art.id}.asp"

    def board_root(self, folder: str) -> str:
        return "/Letter/List.asp"

    def letter_path(self, board: str, letter: Letter) -> str:
        return f"/Letter/Show_{letter.id}.asp"

    def dead_path(self, where: str, n: int) -> str:
        return f"/{where}_old{n}.asp"

    def layout(
        self,
        site: SiteBuilder,
        doc: Doc,
        body: str,
        crumbs: list[tuple[str, str | None]] | None,
        head: list[str],
        lang: str,
    ) -> str:
        menu = "".join(
            f'<td align="center">{doc.a(path, text, nav=True)}</td>'
            for text, path, _ in site.nav_items()
        )
        subs = "".join(
            f"<td>{doc.a(path, text, nav=True)}</td>"
            for _, _, children in site.nav_items()
            for text, path in children
        )
        rows = [
            "<html>",
            "<head>",
            *head,
            "</head>",
            '<body topmargin="0">',
            '<table width="980" align="center" cellpadding="0" cellspacing="0">',
            f"<tr><td>{site.logo(doc)}<b>{esc(site.gov)}</b></td></tr>",
            "</table>",
            '<table class="menu" width="980" align="center">'
            f"<tr>{menu}</tr><tr>{subs}</tr></table>",
        ]
        if crumbs:
            rows.append(
                '<table width="980" align="center">'
                f"<tr><td>{site.crumbs(doc, crumbs)}</td></tr></table>"
            )
        rows += [
            # The body is not a table row: a layout <tr> around the article would make every
            # link of the article a "dated link" of a row that shows the publish date.
            f'<div class="main" style="width:980px;margin:0 auto">{body}</div>',
            site.footer(doc),
            "</body>",
            "</html>",
        ]
        return "\n".join(rows)

    def footer(self, lines: list[str]) -> str:
        cells = "".join(f'<tr><td align="center">{line}</td></tr>' for line in lines)
        return f'<table width="980" align="center">{cells}</table>'

    def empty_list(self, doc: Doc, state: str, phrase: str) -> str:
        if state == "phrase":
            doc.page.list_container = True
            doc.page.empty_phrase = phrase
            return f'<table class="{self.list_container}"><tr><td>{phrase}</td></tr></table>'
        return super().empty_list(doc, state, phrase)


DIALECTS: dict[str, Dialect] = {
    d.name: d for d in (Trs(), Jcms(), Plist(), Comment(), Plain(), CnFull(), OldTable())
}
"""Every dialect by the name a site spec gives (``SiteSpec.dialect``)."""
