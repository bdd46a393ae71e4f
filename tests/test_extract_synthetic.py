"""Page facts on small synthetic pages: one rule of docs/metrics.md per test."""

from __future__ import annotations

from datetime import date

from evalcrawler.facts import PageFacts
from evalcrawler.spiders.extract import TEXT_CAP, extract_page

URL = "http://www.example.gov.cn/col/list.html"
FETCHED = date(2026, 11, 25)


def facts(
    body: str, *, fetched: date = FETCHED, url: str = URL, ctype: str = "text/html"
) -> PageFacts:
    html = f"<html><head><title>测试</title></head><body>{body}</body></html>"
    return extract_page(url, html.encode(), {"content-type": ctype}, fetched=fetched)


def ul(*rows: str, cls: str = "list") -> str:
    return f"<ul class='{cls}'>" + "".join(f"<li>{r}</li>" for r in rows) + "</ul>"


# --- dated items ---------------------------------------------------------------------------


def test_month_day_items_take_the_fetch_year_and_move_back() -> None:
    page = facts(
        ul(
            "<a href='/a1.html'>通知一</a><span>[11-20]</span>",
            "<a href='/a2.html'>通知二</a><span>[12-30]</span>",  # after the fetch date
            "<a href='/a3.html'>通知三</a><span>11月1日</span>",
        )
    )
    assert [(it.date, it.raw) for it in page.items] == [
        (date(2026, 11, 20), "11-20"),
        (date(2025, 12, 30), "12-30"),
        (date(2026, 11, 1), "11月1日"),
    ]
    assert page.items[0].url == "http://www.example.gov.cn/a1.html"


def test_month_day_takes_the_list_heading_year() -> None:
    page = facts(
        "<div class='box'><h3>2019年工作动态</h3>"
        + ul("<a href='/a.html'>动态一</a> 03-05", "<a href='/b.html'>动态二</a> 02-01")
        + "</div>"
    )
    assert [it.date for it in page.items] == [date(2019, 3, 5), date(2019, 2, 1)]


def test_month_day_takes_the_page_publish_year() -> None:
    page = facts(
        "<p>发布时间：2020-06-01</p>"
        + ul("<a href='/a.html'>相关一</a> 05-30", "<a href='/b.html'>相关二</a> 12-01")
    )
    assert page.publish_date == date(2020, 6, 1)
    assert [it.date for it in page.items] == [date(2020, 5, 30), date(2020, 12, 1)]


def test_year_inside_a_comment_next_to_the_month_day() -> None:
    row = "<a href='/a.html'>规定</a><span class='date'>\n<!--\t\t2015-->\n\t\t06-16\n</span>"
    page = facts(ul(row))
    assert [(it.date, it.raw) for it in page.items] == [(date(2015, 6, 16), "06-16")]


def test_other_comments_give_no_dates() -> None:
    page = facts(ul("<a href='/a.html'>规定</a><!-- <span>2015-06-16</span> -->"))
    assert page.items == [] and page.dated_links == []


def test_future_full_dates_are_not_item_dates() -> None:
    page = facts(
        ul(
            "<a href='/a.html'>活动预告</a><span>2027-01-01</span>",
            "<a href='/b.html'>会议通知</a><span>2026-11-24</span>",
        )
    )
    assert [(it.title, it.date) for it in page.items] == [("会议通知", date(2026, 11, 24))]


def test_date_outside_the_link_wins_over_a_date_in_the_title() -> None:
    page = facts(
        ul(
            "<a href='/a.html'>2026年11月1日起施行的规定</a> <span>2026-10-15</span>",
            "<a href='/b.html'>价格变动情况（2026年8月11-20日）</a> <span>2026-08-25</span>",
        )
    )
    assert [it.date for it in page.items] == [date(2026, 10, 15), date(2026, 8, 25)]


def test_date_in_the_link_text_only_at_its_edges() -> None:
    page = facts(
        ul(
            "<a href='/a.html'>[11-02] 会议纪要</a>",
            "<a href='/b.html'>工作总结 2026-10-30</a>",
            "<a href='/c.html'>关于2026年11月1日起施行的规定</a>",  # mid-title: not a date
        )
    )
    assert [(it.url.rsplit("/", 1)[1], it.date) for it in page.items] == [
        ("a.html", date(2026, 11, 2)),
        ("b.html", date(2026, 10, 30)),
    ]


def test_compact_url_date_is_the_last_resort() -> None:
    page = facts(
        ul(
            "<a href='/202611/t20261102_1.html'>无日期的条目</a>",
            "<a href='/202611/t20261103_2.html'>有日期的条目</a> 2026-11-05",
        )
    )
    assert [(it.date, it.raw) for it in page.items] == [
        (date(2026, 11, 2), "20261102"),
        (date(2026, 11, 5), "2026-11-05"),
    ]


def test_a_url_date_counts_only_in_a_list_whose_rows_carry_dates() -> None:
    # One path with a compact date in a box of five undated links: no dated row.
    box = ul(
        "<a href='/xw/2026-11/19/content_1.htm'>新闻一</a>",
        "<a href='/live/20261102a.htm'>发布会直播</a>",
        "<a href='/xw/2026-10/28/content_3.htm'>新闻三</a>",
        "<a href='/xw/2026-10/20/content_4.htm'>新闻四</a>",
        "<a href='/zt/'>专题</a>",
    )
    assert facts(box).dated_links == []
    # Three of five rows dated by their paths: the template links by date.
    half = box.replace("/xw/2026-11/19/content_1.htm", "/202611/t20261119_1.html").replace(
        "/xw/2026-10/28/content_3.htm", "/202610/t20261028_3.html"
    )
    assert [it.date for it in facts(half).items] == [
        date(2026, 11, 19),
        date(2026, 11, 2),
        date(2026, 10, 28),
    ]


def test_table_rows_and_board_rows_dated_by_the_first_date() -> None:
    page = facts(
        "<table class='list'><tr><th>标题</th><th>留言时间</th><th>回复时间</th></tr>"
        "<tr><td><a href='/l1.html'>咨询一</a></td><td>2026-10-01</td><td>2026-10-09</td></tr>"
        "</table>"
    )
    assert [it.date for it in page.items] == [date(2026, 10, 1)]


def test_dt_dd_pairs() -> None:
    page = facts(
        "<dl class='news'><dt><a href='/a.html'>标题甲</a></dt><dd>2026-11-01</dd>"
        "<dt><a href='/b.html'>标题乙</a></dt><dd>摘要</dd><dd>2026-10-01</dd></dl>"
    )
    assert [(it.title, it.date) for it in page.items] == [
        ("标题甲", date(2026, 11, 1)),
        ("标题乙", date(2026, 10, 1)),
    ]


def test_single_link_parent_blocks_are_items_and_the_main_list() -> None:
    rows = "".join(f"<p><a href='/p{i}.html'>公告{i}</a> 2026-10-0{i}</p>" for i in range(1, 5))
    page = facts(
        f"<div class='gg'>{rows}</div>"
        + ul("<a href='/x.html'>其他</a> 2026-11-11", "<a href='/y.html'>其他</a> 2026-11-12")
    )
    assert [it.url.rsplit("/", 1)[1] for it in page.items] == [f"p{i}.html" for i in range(1, 5)]
    assert len(page.dated_links) == 6


def test_prose_paragraph_with_a_link_and_a_date_is_no_item() -> None:
    prose = "本办法由市政府办公室负责解释。" * 20
    page = facts(f"<p>详见<a href='/t.html'>通知</a>，自2026年1月1日起施行。{prose}</p>")
    assert page.dated_links == []
    page = facts("<p>详见<a href='/t.html'>通知</a>，自2026年1月1日起施行。</p>")
    assert [d.date for d in page.dated_links] == [date(2026, 1, 1)]  # short: an item


def test_block_with_several_links_and_one_date_is_no_item() -> None:
    page = facts("<div><a href='/a.html'>甲</a> <a href='/b.html'>乙</a> 2026-10-01</div>")
    assert page.dated_links == []


def test_lines_of_links_and_dates_in_one_cell() -> None:
    cell = "".join(
        f"<a href='/n{i}.html'>新闻{i}</a> ({date(2026, 10, i)})<br>" for i in range(1, 5)
    )
    page = facts(f"<table><tr><td>{cell}</td></tr></table>")
    assert [(it.title, it.date) for it in page.items] == [
        (f"新闻{i}", date(2026, 10, i)) for i in range(1, 5)
    ]


def test_copyright_and_footer_give_no_dates() -> None:
    page = facts(
        ul("<a href='/a.html'>正文条目</a> 2026-11-01")
        + "<div class='footer'><a href='/sitemap.html'>网站地图</a> 2026-11-20</div>"
        + "<p><a href='/about.html'>关于我们</a> 版权所有 2026-11-21</p>"
    )
    assert [(d.title, d.date) for d in page.dated_links] == [("正文条目", date(2026, 11, 1))]


def test_dates_in_scripts_are_not_shown() -> None:
    page = facts(ul("<a href='/a.html'>条目</a><script>document.write('2026-11-01')</script>"))
    assert page.dated_links == []
    assert "document.write" not in page.text


def test_main_list_is_the_list_with_most_dated_links() -> None:
    side = ul(*(f"<a href='/s{i}.html'>侧栏{i}</a> 2026-11-0{i}" for i in range(1, 3)), cls="side")
    main = ul(*(f"<a href='/m{i}.html'>正文{i}</a> 2026-10-0{i}" for i in range(1, 5)))
    page = facts(side + main)
    assert [it.title for it in page.items] == ["正文1", "正文2", "正文3", "正文4"]
    assert len(page.dated_links) == 6


def test_hidden_tabs_are_not_the_main_list() -> None:
    shown = ul(*(f"<a href='/a{i}.html'>甲{i}</a> 2026-10-0{i}" for i in range(1, 4)), cls="t0")
    hidden = "".join(
        "<ul class='tab' style='display: none'>"
        + "".join(f"<li><a href='/h{j}{i}.html'>乙</a> 2026-09-0{i}</li>" for i in range(1, 5))
        + "</ul>"
        for j in range(3)
    )
    page = facts(f"<div>{shown}{hidden}</div>")
    assert [it.title for it in page.items] == ["甲1", "甲2", "甲3"]
    assert len(page.dated_links) == 3 + 12


def cell(n: int, day: int) -> str:
    """A grid cell as gov.cn's picture columns write it: image link, title link, date."""
    href = f"/2026-11/{day:02d}/content_{n}.htm"
    return (
        f"<div class='pic'><div class='img'><a href='{href}'><img src='/p{n}.jpg'></a></div>"
        f"<div class='tit'><a href='{href}'>图片新闻{n}</a></div>"
        f"<div class='time'><span>2026-11-{day:02d}</span></div></div>"
    )


def test_repeated_cells_with_one_target_and_a_date_beside_are_rows() -> None:
    page = facts("<div class='grid'>" + "".join(cell(n, 20 - n) for n in range(4)) + "</div>")
    assert [(it.title, it.date) for it in page.items] == [
        (f"图片新闻{n}", date(2026, 11, 20 - n)) for n in range(4)
    ]
    # Both links of a cell are dated links, with the cell's date.
    assert len(page.dated_links) == 8


def test_a_lone_block_with_a_date_and_a_link_is_no_row() -> None:
    # An article's info bar: the date beside a 分享 link's own block; it does not repeat.
    bar = (
        "<div class='info'><span>2026-11-20</span><div class='share'>"
        "<a href='/share.htm'>分享</a></div></div><div class='body'><p>正文。</p></div>"
    )
    page = facts(bar)
    assert page.items == [] and page.dated_links == []
    # One cell alone is no row either; a cell whose links lead to two targets is none.
    assert facts(cell(1, 20)).dated_links == []
    two = cell(1, 20).replace("<a href='/2026-11/20/content_1.htm'><img", "<a href='/x.htm'><img")
    assert facts(two + cell(2, 19).replace("content_2.htm'><img", "y.htm'><img")).items == []


# --- list container and empty state ----------------------------------------------------------


def test_empty_list_container() -> None:
    page = facts("<div class='main'><ul class='news_list'></ul></div>")
    assert page.items == [] and page.list_container and page.empty_state is None


def test_empty_state_phrase() -> None:
    page = facts(
        "<div class='list'><p>暂无信息</p>"
        "<div class='page'>共0条 首页 上一页 下一页 尾页</div></div>"
    )
    assert page.empty_state == "暂无信息"
    assert page.list_container and page.items == []
    page = facts("<p>该栏目正在建设中，敬请期待！</p>")
    assert page.empty_state == "正在建设"


def test_empty_state_not_inside_a_sentence_or_nav() -> None:
    article = "<div class='content'><p>" + "重点项目正在建设，" * 10 + "</p></div>"
    page = facts(article)
    assert page.empty_state is None
    assert not page.list_container  # a content block full of text is no list
    page = facts("<div class='nav'><a href='/x.html'>建设中</a></div>")
    assert page.empty_state is None


def test_article_info_bar_is_not_an_empty_list() -> None:
    page = facts(
        "<div class='info'>发布时间：2026-11-01 来源：市政府办公室</div>"
        "<div class='content'><p>正文。</p></div>"
    )
    assert not page.list_container


def test_list_container_holding_items() -> None:
    page = facts(
        "<div id='dataGrid'>" + ul("<a href='/a.html'>甲</a> 2026-11-01", cls="x") + "</div>"
    )
    assert page.list_container and len(page.items) == 1


# --- links ---------------------------------------------------------------------------------


def test_links_absolute_without_fragment_http_only() -> None:
    page = facts(
        "<a href='../b/c.html#top'>相对</a>"
        "<a href='HTTP://WWW.Example.GOV.cn:80/x'>大写</a>"
        "<a href='https://e.gov.cn'>无路径</a>"
        "<a href='javascript:void(0)'>脚本</a><a href='mailto:a@b.cn'>邮件</a>"
        "<a href='tel:12345'>电话</a><a href='#top'>顶部</a><a>无href</a>"
        "<a href='/img.html'><img src='x.png' alt='图片链接'></a>"
        "<a href='/t.html' title='标题属性'></a>"
        "<a href=' /sp ace.html\n'>空白</a>"
    )
    assert [(link.url, link.text) for link in page.links] == [
        ("http://www.example.gov.cn/b/c.html", "相对"),
        ("http://www.example.gov.cn/x", "大写"),
        ("https://e.gov.cn/", "无路径"),
        ("http://www.example.gov.cn/img.html", "图片链接"),
        ("http://www.example.gov.cn/t.html", "标题属性"),
        ("http://www.example.gov.cn/sp ace.html", "空白"),
    ]


def test_base_href() -> None:
    html = (
        "<html><head><base href='http://other.gov.cn/dir/'></head>"
        "<body><a href='p.html'>甲</a></body></html>"
    )
    page = extract_page(URL, html.encode(), {"content-type": "text/html"}, fetched=FETCHED)
    assert page.links[0].url == "http://other.gov.cn/dir/p.html"


def test_nav_flags() -> None:
    page = facts(
        "<nav><a href='/n1'>导航一</a></nav><header><a href='/n2'>头部</a></header>"
        "<div id='daohang'><a href='/n3'>导航三</a></div>"
        "<ul class='sub-menu'><li><a href='/n4'>菜单</a></li></ul>"
        "<div class='lanmu'><a href='/n5'>栏目</a></div>"
        "<div class='main'><a href='/c1'>正文链接</a></div>"
    )
    assert [(link.text, link.nav) for link in page.links] == [
        ("导航一", True),
        ("头部", True),
        ("导航三", True),
        ("菜单", True),
        ("栏目", True),
        ("正文链接", False),
    ]


def test_pager_flags() -> None:
    page = facts(
        "<div class='pagination'><a href='?p=1'>首页</a><a href='?p=1'>上一页</a>"
        "<a href='?p=2'>2</a><a href='?p=3'>[3]</a><a href='?p=3'>下一页</a>"
        "<a href='?p=9'>尾页</a><a href='?p=2'>»</a><a href='/about'>关于</a></div>"
        "<p><a href='?p=2'>下一页</a> <a href='/'>首页</a> <a href='/2'>2</a></p>"
    )
    assert [(link.text, link.pager) for link in page.links] == [
        ("首页", True),
        ("上一页", True),
        ("2", True),
        ("[3]", True),
        ("下一页", True),
        ("尾页", True),
        ("»", True),
        ("关于", False),
        ("下一页", True),  # anywhere
        ("首页", False),  # only inside a pager
        ("2", False),
    ]


# --- other facts ---------------------------------------------------------------------------


def test_text_headings_meta_lang_viewport_images() -> None:
    html = (
        "<!DOCTYPE html><html lang='zh-CN'><head><title> 标题\n 一 </title>"
        "<meta name='Viewport' content='width=device-width'><meta name='PubDate' content='x'>"
        "<meta name='pubdate' content='second'><meta property='og:title' content='OG'>"
        "<style>p{}</style></head><body><!-- 注释 --><h1>一级</h1><h2>二<br>级</h2><h4>四级</h4>"
        "<p>甲\n乙 <b>丙</b>  丁&nbsp;戊</p><script>var x = '脚本';</script>"
        "<img src='a.png' alt='有'><img src='b.png' alt=' '><img src='c.png'></body></html>"
    )
    page = extract_page(URL, html.encode(), {"content-type": "text/html"}, fetched=FETCHED)
    assert page.title == "标题一"  # a source line break between Chinese characters is no space
    assert page.lang == "zh-CN" and page.viewport == "width=device-width"
    assert page.meta == {"viewport": "width=device-width", "pubdate": "x", "og:title": "OG"}
    assert page.headings == ["一级", "二级"]
    assert page.text == "一级 二级 四级 甲乙 丙 丁 戊"
    assert (page.images, page.images_alt) == (3, 1)


def test_text_is_capped() -> None:
    page = facts("<p>" + "字" * (TEXT_CAP * 2) + "</p>")
    assert len(page.text) == TEXT_CAP


def test_publish_date_labels() -> None:
    assert facts("<p>成文日期：2026-01-01 发布日期：2026-01-05</p>").publish_date == date(
        2026, 1, 5
    )
    assert facts("<p>日期：2026年1月3日</p>").publish_date == date(2026, 1, 3)
    assert facts("<p>更新时间: 2026/01/04 10:00</p>").publish_date == date(2026, 1, 4)
    page = facts("<p>会议时间：2026-01-06</p>")  # not a publish-date label
    assert page.publish_date is None or page.publish_date_source == "htmldate"
    assert facts("<p>发布时间：2027-01-01</p>").publish_date is None  # after the fetch


def test_publish_date_label_on_a_page_with_block_items() -> None:
    page = facts(
        "<div class='article'><p>发布时间：2026-01-05</p><p>正文。</p></div>"
        "<div class='related'><p><a href='/r1.html'>相关一</a> 2026-01-01</p>"
        "<p><a href='/r2.html'>相关二</a> 2026-01-02</p></div>"
    )
    assert (page.publish_date, page.publish_date_source) == (date(2026, 1, 5), "label")
    assert [it.date for it in page.items] == [date(2026, 1, 1), date(2026, 1, 2)]


def test_publish_date_never_from_attributes() -> None:
    page = facts("<span title='发布时间：2017-11-08'>正文</span><p>发布时间：2019-09-18</p>")
    assert page.publish_date == date(2019, 9, 18)


def test_publish_date_meta_forms() -> None:
    for meta, expected in [
        ("<meta name='PubDate' content='2020年08月02日'>", date(2020, 8, 2)),
        ("<meta name='publishdate' content='2020-08-03'>", date(2020, 8, 3)),
        (
            "<meta property='article:published_time' content='2020-08-04T10:00:00+08:00'>",
            date(2020, 8, 4),
        ),
        ("<meta name='DC.Date' content='2020/08/05'>", date(2020, 8, 5)),
    ]:
        html = f"<html><head>{meta}</head><body><p>正文</p></body></html>"
        page = extract_page(URL, html.encode(), {"content-type": "text/html"}, fetched=FETCHED)
        assert page.publish_date == expected, meta
        assert page.publish_date_source.startswith("meta:")


def test_list_page_labels_in_rows_are_not_its_publish_date() -> None:
    rows = [
        f"<a href='/a{i}.html'>条目{i}</a><span>发布时间：2026-10-0{i}</span>" for i in range(1, 5)
    ]
    page = facts(ul(*rows))
    assert page.publish_date is None
    assert len(page.items) == 4


def test_forms() -> None:
    page = facts(
        "<form action='' id='f1'><input name='kw'><input type='submit' value='搜 索'></form>"
        "<form action='/login' method='POST'><input name='user'><input type='password' name='pw'>"
        "<input type='submit' value='查询'></form>"
        "<form action='/s'><input type='text' name='x'><button type='submit'>检索</button>"
        "<select name='range'><option value='a'>全部</option>"
        "<option value='b' selected>标题</option></select><textarea name='t'>默认</textarea></form>"
        "<form action='/mail'><input name='email'><input type='submit' value='订阅'></form>"
    )
    f1, login, f3, mail = page.forms
    assert (f1.action, f1.method, f1.search, f1.query_field) == (URL, "get", True, "kw")
    assert (login.action, login.method, login.search) == (
        "http://www.example.gov.cn/login",
        "post",
        False,
    )
    assert f3.search and f3.query_field == "x"
    assert [(f.name, f.type, f.value) for f in f3.fields] == [
        ("x", "text", ""),
        ("range", "select", "b"),
        ("t", "textarea", "默认"),
    ]
    assert not mail.search


# --- non-HTML and hostile input -------------------------------------------------------------


def test_non_html_content_types() -> None:
    for ctype, body in [
        ("application/pdf", b"%PDF-1.4 ..."),
        ("image/png", b"\x89PNG\r\n\x1a\n...."),
        ("text/plain", b"<html><title>x</title></html>"),
    ]:
        page = extract_page(URL, body, {"content-type": ctype}, fetched=FETCHED)
        assert not page.is_html and page.title == "" and page.links == [] and page.encoding is None
        assert page.content_type == ctype and page.body_bytes == len(body)


def test_binary_served_as_html() -> None:
    for body in [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00",
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
        bytes(range(256)) * 8,
    ]:
        page = extract_page(
            URL, body, {"content-type": "text/html; charset=utf-8"}, fetched=FETCHED
        )
        assert not page.is_html and page.text == "" and page.items == []
        assert page.content_type == "text/html"


def test_no_content_type_sniffs_html() -> None:
    page = extract_page(URL, b"  <!DOCTYPE html><html><title>t</title></html>", {}, fetched=FETCHED)
    assert page.is_html and page.title == "t" and page.content_type == ""
    assert not extract_page(URL, b"just text", {}, fetched=FETCHED).is_html


def test_headers_as_bytes_lists() -> None:
    page = extract_page(
        URL, "<title>中文</title>".encode("gbk"), {"content-type": [b"text/html; charset=gbk"]}
    )
    assert page.title == "中文" and page.encoding_source == "header"
