"""The list, date and blank-column rules on real pages (docs/metrics.md), page by page.

Each test reads a page of the labelled real corpus (tests/fixtures/real/corpus, provenance in
its SOURCES-*.md files) and checks what extraction and the page rules make of it against the
page's hand-written label, or against a value read off the page and named in the test.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from evalcrawler.facts import PageFacts
from evalcrawler.scoring.pages import (
    BLANK,
    COLUMN,
    OTHER,
    OWN_TEXT_NEVER_BLANK,
    PageVerdict,
    page_verdict,
    query_form_fields,
)
from evalcrawler.scoring.results import Thresholds
from evalcrawler.spiders.extract import extract_page
from evalcrawler.spiders.walk import GENERIC, LIST, container_kind
from tests.realcorpus import CORPUS, extract, page_url

UTF8 = {"content-type": "text/html; charset=utf-8"}


def corpus_page(name: str) -> tuple[dict[str, Any], PageFacts]:
    label = json.loads((CORPUS / name.replace(".html", ".json")).read_text(encoding="utf-8"))
    return label, extract(label, CORPUS / label["file"])


def newest(facts: PageFacts) -> date | None:
    return max((it.date for it in facts.items if it.date), default=None)


# --- Main list ----------------------------------------------------------------------------


def test_blocks_of_one_list_wrapped_one_by_one_are_one_list() -> None:
    # Pingtan's TRS template writes 75 rows as fifteen <div ms-visible="$showStatic(n)"><ul>
    # blocks of five, each wrapper holding its ul and an empty dashed rule.
    label, facts = corpus_page("www.pingtan.gov.cn/column-yw-ptyw.html")
    assert len(facts.items) == label["list"]["items"] == 75
    assert facts.items[0].title == label["list"]["first_title"]
    assert str(newest(facts)) == label["list"]["newest"]
    assert page_verdict(facts, Thresholds()).kind == COLUMN


@pytest.mark.parametrize(
    "name",
    [
        "www.pingtan.gov.cn/column-zxwj-qgwhwj.html",
        "www.pingtan.gov.cn/column-ghxx-ndjh.html",
        "www.pingtan.gov.cn/column-tjxx-tjnj.html",
        "www.pingtan.gov.cn/column-zwgk-zfgzbg.html",
    ],
)
def test_every_row_of_a_pingtan_column_is_read(name: str) -> None:
    label, facts = corpus_page(name)
    assert len(facts.items) == label["list"]["items"]
    assert str(newest(facts)) == label["list"]["newest"]


def test_boxes_of_a_portal_headed_by_links_are_separate_lists_and_the_first_leads() -> None:
    # gov.cn 公文公报: five boxes of rows (国务院文件 8, 部门地方文件 9, 中央有关文件 5, 政府公报
    # 10, 政府白皮书 8), each after a heading table that links to its column (… >>). They are
    # five lists; the page's main list is the first box, the lead of the portal (the label's
    # main list), not the longest (政府公报's ten rows): boxes of one template and of comparable
    # size, the first leads. Merged with the 部门地方文件 box after it, it would hold 17 rows.
    label, facts = corpus_page("www.gov.cn/portal-gwgb-2014.html")
    assert len(facts.items) == label["list"]["items"] == 8
    assert facts.items[0].title == label["list"]["first_title"]
    assert (
        facts.items[-1].title
        == "国务院办公厅关于云南大理经济开发区升级为国家级经济技术开发区的复函"
    )
    assert str(newest(facts)) == label["list"]["newest"]


def test_one_table_per_row_is_one_list_and_a_tab_hidden_by_its_class_is_not_main() -> None:
    # Xinxiang's home page: each row of the 今日新乡 tab is its own table (table > tbody > tr
    # > td > table > tr: link, then 12-20 in its own td); the 民意调查 tab (6 rows) sits in a
    # div whose class tabbertabhide_01 hides it.
    label, facts = corpus_page("www.xinxiang.gov.cn/home-2017.html")
    assert len(facts.items) == label["list"]["items"] == 5
    assert [it.raw for it in facts.items] == ["12-20"] * 5
    assert str(newest(facts)) == label["list"]["newest"] == "2017-12-20"
    assert facts.items[1].title == "市委召开常委会议"


def test_two_cells_of_one_box_are_one_list() -> None:
    # gov.cn 新闻发布: the 部 门 >> box sets its ten rows in two cells of five, side by side
    # under one heading: read alone, the box is one list of ten. The page's lead list is the
    # top box (6 rows, the label's main list).
    label, facts = corpus_page("www.gov.cn/portal-xwfb-2014.html")
    assert len(facts.items) == label["list"]["items"] == 6
    assert str(newest(facts)) == label["list"]["newest"] == "2014-06-19"
    root = lxml.html.fromstring((CORPUS / label["file"]).read_bytes())
    (first,) = root.xpath('//a[@href="../xinwen/2014-10/17/content_2767126.htm"]')
    box = next(t for t in first.iterancestors("table") if len(t.xpath(".//a")) == 10)
    markup = b"<html><body>" + lxml.html.tostring(box, encoding="utf-8") + b"</body></html>"
    rest = extract_page(page_url(label), markup, UTF8, fetched=date(2014, 10, 24))
    assert len(rest.items) == 10
    assert rest.items[0].title == "外交部10月17日例行记者会"
    assert str(newest(rest)) == "2014-10-17"


def test_the_lead_list_of_a_leaders_page_is_its_latest_box_not_a_tab() -> None:
    # gov.cn 杨洁篪: 最 新 (8 rows) leads; the four-tab box below (会议, 活动, 讲话, 出访: 10, 10,
    # 7, 10 rows, in ul.list01 as 最 新) and 出席参加 (8) follow. The longest list was the first
    # tab, 会议, whose newest row is 2014-06-25.
    label, facts = corpus_page("www.gov.cn/portal-gwy-leader-yjc-tabs-2014.html")
    assert len(facts.items) == label["list"]["items"] == 8
    assert str(newest(facts)) == label["list"]["newest"] == "2014-10-24"


@pytest.mark.parametrize(
    "name",
    [
        "www.gov.cn/column-xw-tp-sz-photo-grid-2014.html",
        "www.gov.cn/column-xw-sp-video-grid-div-rows-unsorted-2014.html",
    ],
)
def test_grid_cells_with_a_thumbnail_a_title_and_a_date_are_rows(name: str) -> None:
    # gov.cn 图片 and 视频 columns: 20 sibling div.tplgd, each holding div.tplgd_ul (an image
    # link), div.tplgd_wz (the title link, same target) and div.tplgd_sj (<span>date</span>).
    # No ul, no table; the date sits in a block beside the link's own.
    label, facts = corpus_page(name)
    assert len(facts.items) == label["list"]["items"] == 20
    assert facts.items[0].title == label["list"]["first_title"]
    assert facts.items[0].url.endswith(label["list"]["first_href"].split("/", 1)[-1])
    assert str(newest(facts)) == label["list"]["newest"]
    assert min(it.date for it in facts.items).isoformat() == label["list"]["oldest"]
    # The rows' dates are not the page's: it is a column, not an article of its newest day.
    assert facts.publish_date is None
    assert page_verdict(facts, Thresholds()).kind == COLUMN


def test_panels_each_with_a_date_and_one_link_are_rows() -> None:
    # gov.cn 两会 data page: twelve div.subcon panels, each div.inner > a summary, a
    # div.pubDate 2014-03-06 and div.readmore > a 详细>> to a stats.gov.cn bulletin whose URL
    # dates run from 2002-03-31 to 2013-02-21: the shown date is the row's, not the URL's.
    label, facts = corpus_page("www.gov.cn/portal-zt-lianghui-data-timeline-same-date-2014.html")
    assert len(facts.items) == label["list"]["items"] == 12
    assert {str(it.date) for it in facts.items} == {label["list"]["newest"]}
    assert facts.publish_date is None


# --- Publish date: the page's own ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "where"),
    [
        # htmldate read the page's URL (/foot/2014-02/23/content_…): not shown on the page.
        ("www.gov.cn/intro-contact-us.html", "url"),
        ("www.gov.cn/intro-site-statement-nested-html.html", "url"),
        # htmldate read <meta name="others" content="页面生成时间 2023-10-23 …">, a build stamp.
        ("www.gov.cn/article-gazette-2007-npc-resolution-2023-template.html", "meta"),
        # 2017-04-12 is the 日期 cell of each of the seven rows of a data table.
        ("datacenter.mep.gov.cn/search_results-aqi-daily-report-page13.html", "rows"),
        # 发证日期：2018-6-30 is a certificate's date, not the page's.
        ("wxcx.ndrc.gov.cn/form-corpinfo-query.html", "label"),
    ],
)
def test_a_date_the_page_shows_for_something_else_is_no_publish_date(name: str, where: str) -> None:
    """htmldate still dates an article that shows its date without a readable label (the MLR
    article govcn-2014-11.html: tests/test_extract_real.py::test_govcn_11_ascii_facts_survive)."""
    label, facts = corpus_page(name)
    assert label["publish_date"] is None
    assert facts.publish_date is None, where


def test_a_bare_label_that_dates_several_boxes_is_not_the_pages_date() -> None:
    # gov.cn 在线访谈: three interview boxes each show 时间: 2014年10月…日…时; the page is the
    # column of 20 dated interviews, not an article of 2014-10-22.
    label, facts = corpus_page("www.gov.cn/column-wz-zxft-2014.html")
    assert facts.publish_date is None
    verdict = page_verdict(facts, Thresholds())
    assert (verdict.kind, verdict.reason) == (COLUMN, "its main list holds 20 dated links")
    assert len(facts.items) == label["list"]["items"]


def test_a_footer_named_pane_that_holds_a_list_is_no_footer() -> None:
    # bjjs 公示公告: the DotNetNuke skin puts the column's module in div#ess_bottomPane
    # class="copyright"; its 20 rows (two-digit-year dates, 15-02-15) are the page's list.
    label, facts = corpus_page("www.bjjs.gov.cn/column-gsgg-pinned-rows-yy-mm-dd-2015.html")
    assert len(facts.items) == label["list"]["items"] == 20
    assert facts.items[0].title == "停网通知"
    assert str(newest(facts)) == label["list"]["newest"] == "2015-02-15"
    assert page_verdict(facts, Thresholds()) == PageVerdict(
        COLUMN, "its main list holds 20 dated links"
    )


def _footer_page(rows: int) -> bytes:
    dated = "".join(
        f'<li><a href="/art/{n}.html">公告{n}</a> 2015-02-{n + 10:02d}</li>' for n in range(rows)
    )
    return (
        '<html><body><div class="main"><p>正文</p></div><div class="copyright">'
        f'<ul>{dated}</ul></div><div class="footer"><p>版权所有 北京市住房和城乡建设委员会</p>'
        "<p>京ICP备05012345号 2002-2015</p></div></body></html>"
    ).encode()


@pytest.mark.parametrize(("rows", "items"), [(4, 0), (5, 5)])
def test_a_footer_holds_a_list_from_five_dates_on(rows: int, items: int) -> None:
    # A footer shows a copyright line, a filing number and links, not a run of dates: four
    # dated links in it stay footer links, five are a list.
    facts = extract_page("http://x.gov.cn/c/", _footer_page(rows), UTF8, fetched=date(2015, 3, 3))
    assert len(facts.items) == items


# --- Blank columns --------------------------------------------------------------------------


def test_an_empty_list_slot_of_the_list_template_is_a_blank_column() -> None:
    # gov.cn 政策: the SSI pair of the list inside div.pubListBox01 is empty; the pager script
    # next to it (inside div.pages-pages) fills the pager, not the list.
    label, facts = corpus_page("www.gov.cn/empty_column-jm-zc-2014.html")
    assert label["blank"] is True
    verdict = page_verdict(facts, Thresholds())
    assert verdict == PageVerdict(
        BLANK, "its list container div.pannel-inner.pubListBox01 holds no item"
    )


def test_a_page_with_text_of_its_own_is_never_blank() -> None:
    # The gazette item's 相关稿件 box is empty, the resolution beside it is the content.
    _label, facts = corpus_page("www.gov.cn/article-gazette-2007-npc-resolution-2023-template.html")
    assert facts.own_text is not None and facts.own_text > OWN_TEXT_NEVER_BLANK
    verdict = page_verdict(facts, Thresholds())
    assert verdict.kind == OTHER


def test_a_query_form_page_is_never_blank() -> None:
    # bjjs 期房签约查询: three query forms (认购书编号, 合同号, 买方名称, 预售证号 … and image
    # buttons) and nothing else; the left column's box 预售许可预告 is an empty ListView div.
    label, facts = corpus_page("www.bjjs.gov.cn/form-fdcjy-qfqy-contract-query.html")
    assert label["blank"] is False
    assert facts.own_text is not None and facts.own_text < OWN_TEXT_NEVER_BLANK
    assert facts.empty_container == "div#ess_ctr6835_FDCJY_XsForecast_List_ListView"
    assert query_form_fields(facts) == 7  # sub_qyh, contract_qyh, contract_mf, ys_* ×4
    assert page_verdict(facts, Thresholds()) == PageVerdict(
        OTHER,
        "its list container div#ess_ctr6835_FDCJY_XsForecast_List_ListView holds no item, but "
        "the page is a query form (7 fields to fill in and a button that sends them): a form "
        "page is never a blank column",
    )
    # Control: the same page without its submit buttons is no query form, and blank.
    bare = re.sub(rb'<input[^>]*type="image"[^>]*>', b"", (CORPUS / label["file"]).read_bytes())
    facts = extract_page(page_url(label), bare, UTF8, fetched=date(2015, 3, 3))
    assert query_form_fields(facts) == 0
    assert page_verdict(facts, Thresholds()).kind == BLANK


@pytest.mark.parametrize(
    ("name", "boxed"),
    [
        # The guide table of the first sub-item beside a 相关文件 box of 10 dated links.
        ("www.bjjs.gov.cn/guide-fwdt-sgxk-construction-permit.html", 10),
        ("www.bjjs.gov.cn/guide-fwdt-yjjzs-initial-registration.html", 6),
    ],
)
def test_a_service_guide_with_a_box_of_dated_links_is_no_column(name: str, boxed: int) -> None:
    label, facts = corpus_page(name)
    assert label["kind"] == "guide" and label["list"] is None
    assert len(facts.items) == boxed  # the related-documents box, read as the main list
    assert facts.guide_labels[:4] == ["事项名称", "事项依据", "办理时限", "收费标准"]
    assert len(facts.guide_labels) == 10
    verdict = page_verdict(facts, Thresholds())
    assert verdict == PageVerdict(
        OTHER,
        "the page is a service guide (10 labelled fields: 事项名称、事项依据、办理时限、收费标准 …"
        "): a guide is never a column nor a blank column",
    )


def _guide_table(rows: str) -> bytes:
    dated = "".join(
        f'<li><a href="/art/{n}.html">文件{n}</a><span>2014-03-{n + 10:02d}</span></li>'
        for n in range(1, 6)
    )
    return (
        f'<html><body><table class="bs">{rows}</table><ul class="list">{dated}</ul></body></html>'
    ).encode()


def test_a_table_header_of_guide_words_is_no_guide() -> None:
    # Labels that follow each other (a list table's header row) have no values: a column.
    header = "<tr><th>事项名称</th><th>办理时限</th><th>收费标准</th><th>实施主体</th></tr>"
    facts = extract_page("http://x.gov.cn/c/", _guide_table(header), UTF8, fetched=date(2015, 3, 3))
    assert len(facts.guide_labels) <= 1
    assert page_verdict(facts, Thresholds()).kind == COLUMN
    # Control: the same labels each with its value make the page a guide.
    rows = (
        "<tr><td>事项名称</td><td>施工许可</td></tr><tr><td>办理时限：</td><td>8个工作日</td></tr>"
        "<tr><td>收费标准</td><td>不收费</td></tr><tr><td>实施主体：市住建委</td></tr>"
    )
    facts = extract_page("http://x.gov.cn/c/", _guide_table(rows), UTF8, fetched=date(2015, 3, 3))
    assert facts.guide_labels == ["事项名称", "办理时限", "收费标准", "实施主体"]
    assert page_verdict(facts, Thresholds()).kind == OTHER


def test_a_sentence_that_starts_with_guide_words_is_no_label() -> None:
    prose = "<tr><td>申请材料不齐全的，当场告知。办理时限延长的，书面告知。收费标准另行公布。"
    prose += "</td></tr>"
    facts = extract_page("http://x.gov.cn/c/", _guide_table(prose), UTF8, fetched=date(2015, 3, 3))
    assert facts.guide_labels == []


@pytest.mark.parametrize(
    "name",
    [
        "www.gov.cn/empty_column-jm-zc-2014.html",  # the site search box: one field
        "www.bjjs.gov.cn/guide-fwdt-sgxk-construction-permit.html",  # a keyword search
        "www.pingtan.gov.cn/column-yw-ptyw.html",  # three fields, no button that sends them
    ],
)
def test_a_search_box_is_no_query_form(name: str) -> None:
    _label, facts = corpus_page(name)
    assert facts.forms
    assert query_form_fields(facts) == 0


def test_a_page_whose_list_shows_undated_links_is_not_blank() -> None:
    # 破产注销 hub: div.fw_gm_list01 (filled by fw_nav2.js) shows only 企 业, but
    # ul.fw_gm_list_li lists five guides (undated): the page shows items.
    _label, facts = corpus_page("www.gov.cn/other-service-theme-bankruptcy-index.html")
    assert facts.own_text is not None and facts.own_text < OWN_TEXT_NEVER_BLANK
    assert facts.list_container is False and facts.empty_container is None
    assert page_verdict(facts, Thresholds()).kind == OTHER


def _without_static_rows(markup: bytes) -> bytes:
    """Pingtan's column page with its static copy of the rows removed: what is left of the
    list is the Avalon template a script fills (ms-controller, ms-if="error" 暂无数据)."""
    root = lxml.html.fromstring(markup)
    (static,) = root.xpath('//div[@ms-visible="showStatic"]')
    static.getparent().remove(static)
    return lxml.html.tostring(root, encoding="utf-8")


def test_a_list_a_script_fills_is_not_empty() -> None:
    label, _ = corpus_page("www.pingtan.gov.cn/column-yw-ptyw.html")
    markup = _without_static_rows((CORPUS / label["file"]).read_bytes())
    facts = extract_page(page_url(label), markup, UTF8, fetched=date(2026, 9, 10))
    assert facts.items == []
    assert facts.empty_state is None  # 暂无数据 is the template's error text
    assert facts.list_container is False
    # Control: the same markup without its template attributes shows 暂无数据 in an empty list.
    bare = re.sub(rb'\sms-[a-z-]+="[^"]*"', b"", markup)
    facts = extract_page(page_url(label), bare, UTF8, fetched=date(2026, 9, 10))
    assert facts.empty_state == "暂无数据"


RULES = Path(__file__).parent / "fixtures" / "real" / "rules"


def test_a_box_a_script_file_of_its_name_fills_is_not_empty() -> None:
    # Yichun's 往期回顾 box: ul#zxft_wqhg is empty in the HTML, zxft_data.js fills it.
    markup = (RULES / "yichun-zxft-box.html").read_bytes()
    url = "http://www.yichun.gov.cn/ycsrmzf/zxft/"
    facts = extract_page(url, markup, UTF8, fetched=date(2023, 10, 11))
    assert (facts.list_container, facts.empty_container) == (False, None)
    # Control: without the script tag the box is an empty list.
    bare = re.sub(rb"<script[^>]*zxft_data[^>]*></script>", b"", markup)
    facts = extract_page(url, bare, UTF8, fetched=date(2023, 10, 11))
    assert facts.empty_container == "ul#zxft_wqhg.newsList-timeShowy"
    assert page_verdict(facts, Thresholds()).kind == BLANK


@pytest.mark.parametrize(
    ("marks", "kind"),
    [
        ("list01", LIST),
        ("wrap lists-pages", LIST),
        ("xwlb", LIST),
        ("lb", LIST),
        ("newslist-timeshowy zxft_wqhg", LIST),
        ("toolbar", None),  # "lb" inside a word
        ("album", None),
        ("lbt", None),  # 轮播图, a carousel
        ("swiper-container home-banner", None),
        ("pageinfo pagegray pagination", None),
        ("xg-list related", None),  # 相关稿件
        ("newsbox", GENERIC),
        ("content", GENERIC),
    ],
)
def test_container_names(marks: str, kind: str | None) -> None:
    assert container_kind(marks) == kind


# --- Dates --------------------------------------------------------------------------------


def test_a_month_day_takes_the_year_of_the_same_day_in_its_link() -> None:
    # gov.cn 公文公报, 政府白皮书 box: (10-22) beside ../jrzg/2013-10/22/content_2511940.htm,
    # fetched in Oct 2014: the white paper is of 2013, not 2014. (01-04) beside a link of
    # 2012-12/26 shows another day: it keeps the page's fallback year.
    _label, facts = corpus_page("www.gov.cn/portal-gwgb-2014.html")
    by_title = {it.title: it.date for it in facts.dated_links}
    assert by_title["西藏的发展与进步"] == date(2013, 10, 22)
    assert by_title["钓鱼岛是中国的固有领土"] == date(2012, 9, 25)
    assert by_title["中国的医疗卫生事业"] == date(2014, 1, 4)


def test_a_lone_url_date_in_a_box_of_undated_links_is_not_the_home_pages_newest() -> None:
    # gov.cn's 2008 home page: the newest date it shows is (02-28) in 中国要闻; the 新闻发布 box
    # lists undated links, one of them to 2014lh/live/20140302a.htm, and 服务专题 one to
    # …/2014zt/20140113/index.html. Those paths date no row: the home page's newest is 02-28.
    label, facts = corpus_page("www.gov.cn/home-2008-design-archive-md-dates-2014.html")
    latest = max(it.date for it in facts.dated_links if it.date)
    assert str(latest) == label["home_latest"] == "2014-02-28"
    urls = {it.url for it in facts.dated_links}
    assert "http://www.gov.cn/2014lh/live/20140302a.htm" not in urls
    assert len(facts.items) == label["list"]["items"]


# --- Letters ----------------------------------------------------------------------------------


def test_a_datalist_of_questions_with_their_asked_dates_is_read_as_letters() -> None:
    # bjjs 服务大厅: the Q&A board's box, an ASP.NET DataList — the header 编号 | 问题 | 咨询时间 |
    # 点击次数 in a table of its own, each question in a table of one row. No reply date and no
    # state shown: every state is unknown (not unanswered).
    label, facts = corpus_page("www.bjjs.gov.cn/portal-fwdt-service-hall-with-qa-board-box.html")
    got = [(t.title, str(t.asked), t.replied, t.state) for t in facts.threads]
    want = [(x["title"], x["asked"], x["replied"], x["state"]) for x in label["letters"]]
    assert got == want
    assert len(got) == 10 and got[0] == ("我申请两限房何时能下来", "2011-08-10", None, "unknown")
    # Control: the same box whose date column is no asked label (更新时间) holds no letter.
    markup = (CORPUS / label["file"]).read_bytes().replace("咨询时间".encode(), "更新时间".encode())
    facts = extract_page(page_url(label), markup, UTF8, fetched=date(2015, 3, 3))
    assert facts.threads == []
