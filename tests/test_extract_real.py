"""Page facts of real Chinese government pages (tests/fixtures/real, see PROVENANCE.md).

Every value asserted here was checked by reading the saved page; the fetch dates are the
capture dates of the copies.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from evalcrawler.facts import PageFacts
from evalcrawler.spiders.extract import extract_page

REAL = Path(__file__).parent / "fixtures" / "real"
HTML = {"content-type": "text/html"}

SHANXI_URL = "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"
HANDAN = "http://hdzfxxgk.hd.gov.cn/"
XHL_URL = "http://www.sxtyxhl.gov.cn/xinghl/child/zwgk/index.jhtml"
GOVCN_FETCHED = date(2014, 10, 24)


def page(name: str, url: str, fetched: date, headers: dict[str, str] | None = None) -> PageFacts:
    body = (REAL / name).read_bytes()
    return extract_page(url, body, HTML if headers is None else headers, fetched=fetched)


def dates_of(items: list) -> list[date]:
    return [it.date for it in items]


# --- Shanxi provincial portal article ---------------------------------------------------------


@pytest.fixture(scope="module")
def shanxi() -> PageFacts:
    return page("shanxi-gov-article-2019.html", SHANXI_URL, date(2019, 9, 22))


def test_shanxi_title_encoding_and_meta(shanxi: PageFacts) -> None:
    assert shanxi.is_html
    assert shanxi.title == "山西品牌丝路行（南美站）正式启动 - 山西省人民政府门户网站"
    assert (shanxi.encoding, shanxi.encoding_source) == ("utf-8", "meta")
    assert shanxi.meta["siteidcode"] == "1400000045"
    assert shanxi.meta["columnname"] == "山西要闻"
    assert shanxi.meta["contentsource"] == "山西日报"
    assert shanxi.headings[1:] == [
        "山西品牌丝路行（南美站）正式启动",
        "成功举办中国（山西）－巴西双向经贸投资推介会",
    ]
    assert "跨越千山万水" in shanxi.text


def test_shanxi_publish_date_is_the_pubdate_not_the_alt_attribute(shanxi: PageFacts) -> None:
    assert shanxi.publish_date == date(2019, 9, 18)
    assert shanxi.publish_date_source == "meta:pubdate"
    assert "2017-11-08" not in shanxi.text  # the stale template date is an attribute only


def test_shanxi_alt_trap_without_the_meta() -> None:
    # With the meta gone the date must come from the shown label 时间：2019-09-18, never from
    # the span's alt="时间：2017-11-08 20:26".
    body = (REAL / "shanxi-gov-article-2019.html").read_bytes()
    body = body.replace(b'<meta name="PubDate" content="2019-09-18 06:23">', b"")
    facts = extract_page(SHANXI_URL, body, HTML, fetched=date(2019, 9, 22))
    assert facts.publish_date == date(2019, 9, 18)
    assert facts.publish_date_source == "label"


def test_shanxi_search_form(shanxi: PageFacts) -> None:
    assert len(shanxi.forms) == 1
    form = shanxi.forms[0]
    assert form.action == "http://www.shanxi.gov.cn/search/sxgovsearch.jsp"
    assert form.method == "post"
    assert form.search
    assert form.query_field == "sword"
    assert [f.name for f in form.fields] == ["sword"]


def test_shanxi_link_text_falls_back_to_nothing_but_text(shanxi: PageFacts) -> None:
    access = [link for link in shanxi.links if link.url == "http://www.shanxi.gov.cn/wca.html"]
    assert [link.text for link in access] == ["无障碍浏览"]


# --- Handan 政府信息公开 ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def handan_home() -> PageFacts:
    return page("handan-xxgk-home.html", HANDAN, date(2020, 8, 10))


def test_handan_home_main_list(handan_home: PageFacts) -> None:
    items = handan_home.items
    assert len(items) == 13
    assert max(dates_of(items)) == date(2020, 8, 2)
    assert min(dates_of(items)) == date(2020, 7, 15)
    assert (
        items[0].title == "邯郸市教育局关于印发《全市教育系统安全专项整治三年行动实施方案》的通知"
    )
    assert items[0].url == (
        "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200802_1352104.html"
    )
    assert items[0].raw == "2020-08-02"
    assert handan_home.publish_date is None  # a home page has no publish date of its own


def test_handan_home_tabs_are_dated_links_but_not_the_main_list(handan_home: PageFacts) -> None:
    # 13 in 近期信息公开 and four tabs of 12 (three of them hidden with display:none).
    assert len(handan_home.dated_links) == 13 + 4 * 12
    all_dates = dates_of(handan_home.dated_links)
    assert max(all_dates) == date(2020, 8, 2)
    assert min(all_dates) == date(2013, 10, 30)


def test_handan_home_search_form_and_meta(handan_home: PageFacts) -> None:
    assert handan_home.title == "邯郸市政府信息公开"
    assert handan_home.meta["siteidcode"] == "1304000009"
    assert handan_home.meta["columntype"] == "信息公开，政策文件"
    (form,) = handan_home.forms
    assert form.action == "http://www.hd.gov.cn/was5/web/search"
    assert form.method == "post"
    assert form.search and form.query_field == "searchword"
    assert [(f.name, f.type, f.value) for f in form.fields] == [
        ("searchword", "text", ""),
        ("channelid", "hidden", "258715"),
    ]


def test_handan_home_left_column_links(handan_home: PageFacts) -> None:
    texts = [link.text for link in handan_home.links]
    for name in (
        "政府信息公开指南",
        "政府信息公开制度文件",
        "法定主动公开内容",
        "政府信息公开年报",
        "政府公报",
        "政府新闻发布",
        "行政机关办公地址/联系方式",
        "市政府部门信息公开",
    ):
        assert name in texts
    # The reduced nav bar: one relative link, resolved against the page URL, in a nav block.
    home = [link for link in handan_home.links if link.text == "首页"]
    assert home[0].url == "http://hdzfxxgk.hd.gov.cn/affairs/index"
    assert home[0].nav


@pytest.fixture(scope="module")
def handan_guide() -> PageFacts:
    return page("handan-xxgk-guide.html", HANDAN + "zfxxgkzn/", date(2020, 8, 10))


def test_handan_guide_nav_headings(handan_guide: PageFacts) -> None:
    assert handan_guide.title == "邯郸市人民政府-政府信息公开指南"
    # <h3><a>政府信息<br>公开指南</a></h3>: a line break between Chinese characters is no space.
    assert handan_guide.headings == [
        "政府信息公开指南",
        "政府信息公开制度",
        "法定主动公开内容",
        "政府信息公开年报",
        "依申请公开",
    ]
    by_text = {link.text: link for link in handan_guide.links}
    for name in handan_guide.headings:
        assert by_text[name].nav, name  # inside div.dl_nav


def test_handan_guide_department_links(handan_guide: PageFacts) -> None:
    departments = [link for link in handan_guide.links if link.url.endswith("?id=1780/2138")]
    # 44 shown; the commented-out lists (市政府 block, a second department list) are not links.
    assert len(departments) == 44
    assert departments[0].text == "市政府办公室"
    assert departments[0].url == "http://hdzfxxgk.hd.gov.cn/gszbm/auto23692/?id=1780/2138"
    assert departments[-1].text == "市机关事务管理局"
    assert not any(link.nav for link in departments)
    assert handan_guide.items == [] and handan_guide.publish_date is None
    assert handan_guide.forms[0].query_field == "searchword"


def test_handan_list_one_row() -> None:
    facts = page("handan-xxgk-list.html", HANDAN + "zfwj/jinqixxgk/", date(2020, 8, 10))
    assert facts.title == "邯郸市政府信息公开"
    (item,) = facts.items
    assert item.date == date(2020, 8, 5)
    assert item.title == "邯郸市教育局关于印发《邯郸市学校安全工作目标管理考核办法》的通知"
    assert item.url == "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200805_1353179.html"
    assert facts.list_container
    # The list row is not the page's publish date, and htmldate's guess (the row) is refused.
    assert facts.publish_date is None
    (form,) = facts.forms
    assert form.action == "http://www.hd.gov.cn/govsearch/simp_gov_list.jsp"
    assert form.search
    assert facts.threads == []  # 发布日期 columns are no message board


def test_handan_detail_chinese_pubdate_meta() -> None:
    url = HANDAN + "gszbm/auto23716/202008/t20200802_1352104.html"
    facts = page("handan-xxgk-detail.html", url, date(2020, 8, 10))
    assert facts.title == "邯郸市教育局关于印发《全市教育系统安全专项整治三年行动实施方案》的通知"
    assert facts.meta["pubdate"] == "2020年08月02日"
    assert facts.publish_date == date(2020, 8, 2)
    assert facts.publish_date_source == "meta:pubdate"
    # Its own absolutised "#" links carry its URL (t20200802): they are not dated list items.
    assert facts.items == [] and facts.dated_links == []


# --- Taiyuan Xinghualing: the year lives in an HTML comment ---------------------------------


def test_xinghualing_page_a_years_from_comments() -> None:
    facts = page("taiyuan-xinghualing-2018-a.html", XHL_URL, date(2018, 7, 7))
    assert facts.title == "中国太原杏花岭"
    assert len(facts.items) == 20
    first = facts.items[0]
    assert (
        first.title
        == "全国人民代表大会常务委员会关于全国人民代表大会宪法和法律委员会职责问题的决定"
    )
    assert first.url == (
        "http://www.sxtyxhl.gov.cn/xinghl/article/zcfg/8a808095645f0e9a01646307dc990a15.jhtml"
    )
    assert (first.date, first.raw) == (date(2018, 7, 4), "07-04")
    assert max(dates_of(facts.items)) == date(2018, 7, 4)
    assert min(dates_of(facts.items)) == date(2015, 6, 16)
    assert facts.list_container  # ul#dataGrid
    assert facts.publish_date is None  # the date widget (2018年7月7日) has no label


def test_xinghualing_page_b_unsorted() -> None:
    facts = page("taiyuan-xinghualing-2018-b.html", XHL_URL, date(2018, 7, 7))
    assert len(facts.items) == 9
    assert facts.items[0].title == "弘扬雷锋精神 传承传统美德"
    assert facts.items[0].date == date(2014, 3, 11)
    assert max(dates_of(facts.items)) == date(2014, 3, 11)
    assert min(dates_of(facts.items)) == date(2010, 7, 1)
    assert dates_of(facts.items)[4] == date(2010, 7, 1)  # before later 2010-08-04 rows


def test_xinghualing_fetched_earlier_would_not_make_future_dates() -> None:
    # The comment years are the items' own: fetched on 2018-07-03, the 2018-07-04 item is a
    # date after the fetch and is dropped, not moved to 2017.
    facts = page("taiyuan-xinghualing-2018-a.html", XHL_URL, date(2018, 7, 3))
    assert len(facts.items) == 19
    assert max(dates_of(facts.items)) == date(2018, 6, 4)


def test_xinghualing_javascript_menu_is_text_not_links() -> None:
    facts = page("taiyuan-xinghualing-2018-a.html", XHL_URL, date(2018, 7, 7))
    # The left menu's javascript:changeClass(...) entries have no URL to fetch: they are not
    # links (Link.url is http/https only); their names stay in the page text.
    assert "政策法规 应急管理 人事任免 工作报告 统计数据" in facts.text
    texts = {link.text for link in facts.links}
    assert not texts & {"政策法规", "应急管理", "人事任免", "工作报告", "统计数据"}
    assert all(link.url.startswith("http://") for link in facts.links)
    # The pager is javascript:void(0) too: no pager links recorded.
    assert not any(link.pager for link in facts.links)
    nav = {link.text for link in facts.links if link.nav}
    assert {"首页", "政务公开", "领导信箱", "通知公告"} <= nav
    assert facts.forms == []  # the site search form is commented out


# --- gov.cn 2014 crawl -----------------------------------------------------------------------


def test_govcn_01_nested_links() -> None:
    facts = page("govcn-2014-01.html", "http://www.gov.cn/xinwen/xw_yw.htm", GOVCN_FETCHED)
    assert facts.title == "要闻_新闻_中国政府网"
    assert len(facts.items) == 60  # ten sibling ul.list01 of six: one list
    assert max(dates_of(facts.items)) == date(2014, 10, 24)
    assert min(dates_of(facts.items)) == date(2014, 10, 21)
    first = facts.items[0]
    assert first.url == "http://www.gov.cn/xinwen/2014-10/23/content_2769791.htm"
    assert first.title.startswith("中国共产党第十八届中央委员会第四次全体会议公报")
    assert first.date == date(2014, 10, 24)
    # The nested <a> (…公报|<a>图解</a>) is a link of its own, dated with its item.
    tujie = [d for d in facts.dated_links if d.url.endswith("2014-10/24/content_2769844.htm")]
    assert [(d.title, d.date) for d in tujie] == [("图解", date(2014, 10, 24))]
    (form,) = facts.forms
    assert (form.action, form.method, form.query_field, form.search) == (
        "http://new.sousuo.gov.cn/s.htm",
        "get",
        "q",
        True,
    )


def test_govcn_02_date_like_titles() -> None:
    facts = page("govcn-2014-02.html", "http://www.gov.cn/shuju/sj_sjyw.htm", GOVCN_FETCHED)
    assert facts.title == "数据要闻_数据_中国政府网"
    assert len(facts.items) == 60
    assert max(dates_of(facts.items)) == date(2014, 10, 23)
    assert min(dates_of(facts.items)) == date(2014, 5, 22)
    by_title = {it.title: it for it in facts.items}
    # The span date wins over the period in the title.
    assert by_title["50个城市主要食品平均价格变动情况(2014年8月11-20日)"].date == date(2014, 8, 25)
    assert by_title["流通领域重要生产资料市场价格变动情况（7月21-30日）"].date == date(2014, 8, 4)
    assert by_title["2014年9月中国非制造业商务活动指数为54.0%"].date == date(2014, 10, 3)


def test_govcn_03_portal_page() -> None:
    facts = page("govcn-2014-03.html", "http://www.gov.cn/guowuyuan/lkq.htm", GOVCN_FETCHED)
    assert facts.title == "李克强_国务院领导_国务院_中国政府网"
    assert len(facts.items) == 8  # nine lists of 8 or 6: the first largest one
    all_dates = dates_of(facts.dated_links)
    assert max(all_dates) == date(2014, 10, 21)
    assert min(all_dates) == date(2013, 9, 9)


def test_govcn_04_dates_in_parentheses() -> None:
    facts = page("govcn-2014-04.html", "http://www.gov.cn/gongbao/dfzf.htm", GOVCN_FETCHED)
    assert facts.title == "中国政府网－公文公报"
    assert len(facts.items) == 50  # ten tables of five rows between spacer tables: one list
    first = facts.items[0]
    assert first.title == "安徽省人民政府关于深化农村综合改革示范试点工作的指导意见"
    assert first.url == "http://www.gov.cn/gongbao/2013-11/15/content_2527918.htm"
    assert (first.date, first.raw) == (date(2013, 11, 15), "2013-11-15")
    assert max(dates_of(facts.items)) == date(2013, 11, 15)
    assert min(dates_of(facts.items)) == date(2013, 1, 4)
    assert dates_of(facts.items) == sorted(dates_of(facts.items), reverse=True)


def test_govcn_05_years_in_titles_are_not_dates() -> None:
    facts = page("govcn-2014-05.html", "http://www.gov.cn/zhengce/gwygb.htm", GOVCN_FETCHED)
    assert facts.title == "FounderGovArticlePath"
    assert len(facts.items) == 33
    assert set(dates_of(facts.items)) == {date(2011, 11, 9)}
    assert facts.items[0].title == "中华人民共和国国务院公报（1999年）"
    assert facts.items[-1].title == "中华人民共和国国务院公报（1954年）"
    assert facts.meta["generator"] == "MSHTML 8.00.6001.23588"


@pytest.mark.parametrize(
    ("name", "title", "published", "source"),
    [
        (
            "govcn-2014-06.html",
            "景谷地震灾区首所板房学校开建_要闻_新闻_中国政府网",
            date(2014, 10, 10),
            "dateline",
        ),
        (
            "govcn-2014-07.html",
            "国务院关于进一步做好为农民工服务工作的意见_政府信息公开专栏",
            date(2014, 9, 30),  # 发布日期, not 成文日期 2014-09-12
            "label",
        ),
        (
            "govcn-2014-08.html",
            "国务院关于同意建立不动产登记工作部际联席会议制度的批复",  # leading space stripped
            date(2014, 2, 28),
            "dateline",
        ),
        ("govcn-2014-09.html", "世界文化遗产——孔府 孔庙 孔林", date(2006, 3, 28), "dateline"),
        ("govcn-2014-10.html", "中华人民共和国最高人民法院开庭公告", date(2014, 8, 20), "dateline"),
    ],
)
def test_govcn_article_dates(name: str, title: str, published: date, source: str) -> None:
    facts = page(name, "http://www.gov.cn/xinwen/2014-10/10/content_1.htm", GOVCN_FETCHED)
    assert facts.title == title
    assert facts.publish_date == published
    assert facts.publish_date_source == source
    assert facts.items == []


def test_govcn_06_fullwidth_digits_in_text() -> None:
    facts = page("govcn-2014-06.html", "http://www.gov.cn/xinwen/2014-10/10/c.htm", GOVCN_FETCHED)
    assert "１０月１０日电" in facts.text  # text is kept as shown


def test_govcn_07_bom() -> None:
    facts = page("govcn-2014-07.html", "http://www.gov.cn/zhengce/content/c.htm", GOVCN_FETCHED)
    assert (facts.encoding, facts.encoding_source) == ("utf-8", "bom")
    assert not facts.title.startswith("\ufeff")
    assert "国发〔2014〕40号" in facts.text


def test_govcn_07_bom_beats_nothing_but_a_valid_header() -> None:
    # A header charset that decodes the bytes is used; the BOM is still never part of the text.
    facts = page(
        "govcn-2014-07.html",
        "http://www.gov.cn/zhengce/content/c.htm",
        GOVCN_FETCHED,
        {"content-type": "text/html; charset=UTF-8"},
    )
    assert (facts.encoding, facts.encoding_source) == ("utf-8", "header")
    assert facts.title == "国务院关于进一步做好为农民工服务工作的意见_政府信息公开专栏"


@pytest.mark.parametrize("name", ["govcn-2014-11.html", "govcn-2014-12.html"])
@pytest.mark.parametrize("header", ["text/html", "text/html; charset=gb2312"])
def test_govcn_declared_gb2312_but_utf8(name: str, header: str) -> None:
    facts = page(name, "http://www.mlr.gov.cn/xwdt/c.htm", GOVCN_FETCHED, {"content-type": header})
    # Declared gb2312 (meta, and here also the header), but the bytes are UTF-8 with U+FFFD:
    # strict GB18030 fails, strict UTF-8 succeeds.
    assert (facts.encoding, facts.encoding_source) == ("utf-8", "detected")
    assert "\ufffd" in facts.title


def test_govcn_11_ascii_facts_survive() -> None:
    facts = page(
        "govcn-2014-11.html",
        "http://www.mlr.gov.cn/xwdt/jrxw/201404/t20140409_1311814.htm",
        GOVCN_FETCHED,
    )
    search = [f for f in facts.forms if f.search]
    assert [f.action for f in search] == ["http://search.mlr.gov.cn/was/search"]
    # No readable label or dateline (来源 is mojibake): htmldate finds the article date.
    assert facts.publish_date == date(2014, 4, 9)
    assert facts.publish_date_source == "htmldate"


def test_govcn_12_date_only_in_a_comment() -> None:
    facts = page("govcn-2014-12.html", "http://www.aqsiq.gov.cn/xxgk/c.htm", GOVCN_FETCHED)
    # <div class="xj2"><!--2013-01-22--></div>: a comment is not shown, so it gives no date.
    assert facts.publish_date is None
    assert "2013-01-22" not in facts.text


# --- every real page ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.html")))
def test_every_real_page_basics(name: str) -> None:
    facts = page(name, "http://www.example.gov.cn/a/b.html", date(2020, 9, 1))
    assert facts.is_html and facts.status == 200 and facts.content_type == "text/html"
    assert facts.body_bytes == (REAL / name).stat().st_size
    assert facts.title and facts.text
    assert len(facts.text) <= 50_000
    assert all(re.match(r"https?://", link.url) and "#" not in link.url for link in facts.links)
    assert all(it in facts.dated_links for it in facts.items) or facts.items == []
    assert all(it.date is not None and it.date <= date(2020, 9, 1) for it in facts.dated_links)
