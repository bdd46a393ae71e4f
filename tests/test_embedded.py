"""Lists that scripts hold, read without a browser (spiders/embedded.py), on real markup.

Where the markup comes from:

* The TRS pager: ``tests/fixtures/real/handan-xxgk-list.html`` (a real page, see
  tests/fixtures/real/PROVENANCE.md) was saved from a browser, so it holds the pager script
  *and* the links the browser wrote after it. The test cuts the written links out (what the
  server sent) and checks that reading the script gives the links the browser wrote.
  ``shanxi-gov-article-2019.html`` calls ``createPageHTML(1, 0, …)``: one page, no pager.
* Hanweb datastore, JSON in scripts, document.write lists and the getDocuments endpoint: no
  public repository holds a whole saved page of these, so the fixtures below are written
  from the markup as the platforms serve it — the datastore block as Hanweb JCMS column pages
  of provincial portals carry it (``<div id="UNITID"><script type="text/xml"><datastore>
  <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&…&columnid=…&unitid=…">
  </a>]]></nextgroup><recordset><record><![CDATA[<li><a href='/art/Y/M/D/art_C_N.html'
  title='…'>…</a><span>YYYY-MM-DD</span></li>]]></record>…``, and the variant without
  ``<record>``), the ``getDocuments`` query as Taiyuan's and Wuxi's 政府信息公开 directories
  use it (``/intertidwebapp/govChanInfo/getDocuments?pageIndex=1&pageSize=20&siteId=1&
  ChannelType=1&KeyWord=&KeyWordType=&chanId=25&order=1``, answered with
  ``{"list": [{"title", "url", "openTime"}]}``), as public crawlers of those sites record
  them. Titles and dates are made up; the dates are the truth the tests check.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from evalcrawler.spiders.embedded import date_text, function_ranges, literal_argument
from evalcrawler.spiders.extract import extract_page

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "embedded"
HTML = {"content-type": "text/html; charset=utf-8"}
FETCHED = date(2026, 11, 20)


def page(body: str, title: str = "栏目") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        '</head><body><div class="nav"><a href="/">首页</a><a href="/col/">栏目</a></div>'
        f"<h1>{title}</h1>{body}<div class='footer'>版权所有 ©2026</div></body></html>"
    ).encode()


def items(facts) -> list[tuple[str, str, date | None]]:
    return [(i.title, i.url, i.date) for i in facts.items]


# ------------------------------------------------------------------------------ Hanweb

HANWEB = (FIXTURES / "hanweb-column.html").read_text(encoding="utf-8")


def test_hanweb_datastore_records_are_list_items() -> None:
    base = "https://www.example.gov.cn/col/col33718/index.html"
    facts = extract_page(base, page(HANWEB), HTML, fetched=FETCHED)
    assert facts.embedded == ["hanweb-datastore"]
    assert items(facts) == [
        (
            "关于开展冬季安全检查的通知",
            "https://www.example.gov.cn/art/2026/11/18/art_33718_3.html",
            date(2026, 11, 18),
        ),
        (
            "市政府常务会议研究部署重点工作",
            "https://www.example.gov.cn/art/2026/11/9/art_33718_2.html",
            date(2026, 11, 9),
        ),
        (
            "2026年第三季度政务公开工作情况",
            "https://www.example.gov.cn/art/2026/10/30/art_33718_1.html",
            date(2026, 10, 30),
        ),
    ]
    # The paging proxy is the platform's plumbing, not a link of the page.
    assert not any("dataproxy" in link.url for link in facts.links)
    assert facts.scripted is None


def test_hanweb_datastore_without_record_elements() -> None:
    body = (
        '<div id="5301"><script type="text/xml"><datastore><![CDATA['
        '<li><a class="font14" href="/art/2026/11/14/art_5301_2.html">解除大风蓝色预警</a>'
        "<span>2026-11-14</span></li>"
        '<li><a class="font14" href="/art/2026/11/2/art_5301_1.html">发布大风蓝色预警</a>'
        "<span>2026-11-02</span></li>"
        '<li><a class="font14" href="/art/2026/10/21/art_5301_0.html">海上航行警告</a>'
        "<span>2026-10-21</span></li>]]></datastore></script></div>"
    )
    facts = extract_page(
        "https://msa.example.gov.cn/col/col5301/", page(body), HTML, fetched=FETCHED
    )
    assert [(t, d) for t, _, d in items(facts)] == [
        ("解除大风蓝色预警", date(2026, 11, 14)),
        ("发布大风蓝色预警", date(2026, 11, 2)),
        ("海上航行警告", date(2026, 10, 21)),
    ]


def test_a_datastore_the_page_already_shows_is_not_read_twice() -> None:
    """A page saved from a browser holds the script and what jpage.js wrote from it."""
    shown = (
        "<ul><li><a href='/art/2026/11/18/art_33718_3.html'>关于开展冬季安全检查的通知</a>"
        "<span>2026-11-18</span></li><li><a href='/art/2026/11/9/art_33718_2.html'>"
        "市政府常务会议研究部署重点工作</a><span>2026-11-09</span></li>"
        "<li><a href='/art/2026/10/30/art_33718_1.html'>2026年第三季度政务公开工作情况</a>"
        "<span>2026-10-30</span></li></ul>"
    )
    facts = extract_page(
        "https://www.example.gov.cn/col/col33718/index.html",
        page(HANWEB + shown),
        HTML,
        fetched=FETCHED,
    )
    assert facts.embedded == []
    assert len(facts.items) == 3


# ------------------------------------------------------------------------ JSON in scripts


def test_json_assigned_in_a_script_is_a_list() -> None:
    body = """<div class="list" id="newsList"></div><script>
    var newsData = [
      {"title": "全市重点项目建设推进会召开", "url": "/xwdt/202611/t20261119_8.html",
       "publishTime": "2026-11-19 10:30:00"},
      {"title": "区政府召开安全生产工作会议", "url": "/xwdt/202611/t20261112_7.html",
       "publishTime": "2026-11-12 16:00:00"},
      {"title": "第十届农民丰收节活动举行", "url": "/xwdt/202610/t20261028_6.html",
       "publishTime": "2026-10-28 09:00:00"}
    ];
    var html = "";
    for (var i = 0; i < newsData.length; i++) { html += "<li>" + newsData[i].title + "</li>"; }
    document.getElementById("newsList").innerHTML = html;
    </script>"""
    facts = extract_page("http://www.example.gov.cn/xwdt/", page(body), HTML, fetched=FETCHED)
    assert facts.embedded == ["script-json"]
    assert items(facts) == [
        (
            "全市重点项目建设推进会召开",
            "http://www.example.gov.cn/xwdt/202611/t20261119_8.html",
            date(2026, 11, 19),
        ),
        (
            "区政府召开安全生产工作会议",
            "http://www.example.gov.cn/xwdt/202611/t20261112_7.html",
            date(2026, 11, 12),
        ),
        (
            "第十届农民丰收节活动举行",
            "http://www.example.gov.cn/xwdt/202610/t20261028_6.html",
            date(2026, 10, 28),
        ),
    ]
    assert facts.scripted is None  # the list was read: no browser needed


def test_javascript_object_literals_and_epoch_dates() -> None:
    body = """<ul class="list" id="list"></ul><script>
    window.listData = {total: 3, rows: [
      {title: '政府常务会议纪要', link: '/zwgk/3.html', createTime: 1795104000000},
      {title: '政策解读：稳岗补贴', link: '/zwgk/2.html', createTime: 1794412800000},
      {title: '人事任免通知', link: '/zwgk/1.html', createTime: 1793030400000},
    ]};
    </script>"""
    facts = extract_page("http://www.example.gov.cn/zwgk/", page(body), HTML, fetched=FETCHED)
    # Epoch milliseconds are dates in China Standard Time.
    assert [(t, d) for t, _, d in items(facts)] == [
        ("政府常务会议纪要", date(2026, 11, 20)),
        ("政策解读：稳岗补贴", date(2026, 11, 12)),
        ("人事任免通知", date(2026, 10, 27)),
    ]


def test_date_text_forms() -> None:
    assert date_text(1795104000) == "2026-11-20"  # seconds, 00:00 CST
    assert date_text("1795104000000") == "2026-11-20"
    assert date_text(20261120) == "2026-11-20"
    assert date_text("2026-11-20 09:30") == "2026-11-20 09:30"
    assert date_text(True) == "" and date_text(42) == ""


# ------------------------------------------------------------------------- document.write


def test_document_write_list_is_read() -> None:
    body = (FIXTURES / "document-write.html").read_text(encoding="utf-8")
    facts = extract_page("http://www.example.gov.cn/tzgg/", page(body), HTML, fetched=FETCHED)
    assert facts.embedded == ["document.write"]
    assert items(facts) == [
        (
            "关于征求意见的公告",
            "http://www.example.gov.cn/tzgg/202611/t20261117_3.html",
            date(2026, 11, 17),
        ),
        ("招聘公告", "http://www.example.gov.cn/tzgg/202611/t20261103_2.html", date(2026, 11, 3)),
        ("停水通知", "http://www.example.gov.cn/tzgg/202610/t20261015_1.html", date(2026, 10, 15)),
    ]


def test_writes_in_functions_and_computed_writes_are_not_read() -> None:
    body = (FIXTURES / "computed-writes.html").read_text(encoding="utf-8")
    facts = extract_page("http://www.example.gov.cn/", page(body), HTML, fetched=FETCHED)
    assert facts.embedded == []
    assert not any(link.url.endswith(("/a.html", "/b.html")) for link in facts.links)


def test_javascript_helpers() -> None:
    text = "document.write('a' + \"b\\\"c\" + '\\u4e2d');"
    assert literal_argument(text, text.index("(") + 1) == ('ab"c中', len(text) - 1)
    assert literal_argument("f('a', 'b')", 2) is None
    script = "function f(){ x(); } var g = () => { y(); }; z();"
    ranges = function_ranges(script)
    assert [script[a : b + 1] for a, b in ranges] == ["{ x(); }", "{ y(); }"]


# ---------------------------------------------------------------------------- pagers


def test_trs_pager_script_gives_the_links_the_browser_wrote() -> None:
    saved = (REAL / "handan-xxgk-list.html").read_text(encoding="utf-8")
    start = saved.index("</script>", saved.index("var countPage=56")) + len("</script>")
    end = saved.index("尾页</a>", start) + len("尾页</a>")
    written = saved[start:end]  # what the browser wrote when it ran the script
    served = saved[:start] + saved[end:]
    url = "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/"
    facts = extract_page(url, served.encode(), HTML, fetched=date(2020, 8, 10))
    assert facts.embedded == ["script-pager"]
    pager = {(link.text, link.url) for link in facts.links if link.pager}
    assert pager == {
        ("首页", url + "index.html"),
        ("下一页", url + "index_1.html"),
        ("尾页", url + "index_55.html"),
    }
    # The same three links are among those the browser wrote.
    for text, target in pager:
        assert f'href="{target}" target="_self">{text}</a>' in written
    # The saved page shows them already: nothing is added to it.
    as_saved = extract_page(url, saved.encode(), HTML, fetched=date(2020, 8, 10))
    assert as_saved.embedded == []


def test_create_page_html_call_writes_a_pager() -> None:
    body = (
        '<ul class="list"><li><a href="./202611/t20261118_2.html">通知</a>'
        "<span>2026-11-18</span></li></ul>"
        '<script>createPageHTML(7, 2, "index", "shtml");</script>'
    )
    facts = extract_page("http://www.example.gov.cn/tzgg/index_2.shtml", page(body), HTML)
    assert [(link.text, link.url.rsplit("/", 1)[1]) for link in facts.links if link.pager] == [
        ("首页", "index.shtml"),
        ("上一页", "index_1.shtml"),
        ("下一页", "index_3.shtml"),
        ("尾页", "index_6.shtml"),
    ]


def test_a_one_page_pager_writes_nothing() -> None:
    facts = extract_page(
        "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml",
        (REAL / "shanxi-gov-article-2019.html").read_bytes(),
        HTML,
        fetched=date(2019, 9, 20),
    )
    assert facts.embedded == []  # createPageHTML(1, 0, …): a single page
    assert not [link for link in facts.links if link.text in ("下一页", "尾页")]


# ------------------------------------------------------------------ endpoints, scripted


def test_a_get_documents_call_names_the_endpoint() -> None:
    body = """<div class="list" id="docList"></div><script>
    var chan = getQueryString("chan");
    $.ajax({url: "/intertidwebapp/govChanInfo/getDocuments", type: "post",
            data: {pageIndex: 1, pageSize: 20, siteId: 1, ChannelType: 1, chanId: chan},
            success: function (res) { render(res.list); }});
    </script>"""
    url = "http://www.example.gov.cn/fzlm/gkmlpt/zdgk/index.shtml?chan=25"
    facts = extract_page(url, page(body), HTML, fetched=FETCHED)
    assert facts.endpoints == [
        "http://www.example.gov.cn/intertidwebapp/govChanInfo/getDocuments"
        "?pageIndex=1&pageSize=20&siteId=1&chanId=25"
    ]
    assert facts.items == []
    assert facts.scripted is None  # its list endpoint is known: no browser needed


def test_a_literal_endpoint_url_is_kept_as_written() -> None:
    body = (
        "<ul class='list'></ul><script>var api = 'http://www.example.gov.cn/intertidwebapp/"
        "govChanInfo/getDocuments?pageIndex=1&pageSize=20&siteId=1&ChannelType=1&KeyWord=&"
        "KeyWordType=&chanId=11&order=1';</script>"
    )
    facts = extract_page("http://www.example.gov.cn/xxgk/", page(body), HTML)
    assert facts.endpoints == [
        "http://www.example.gov.cn/intertidwebapp/govChanInfo/getDocuments?pageIndex=1&"
        "pageSize=20&siteId=1&ChannelType=1&KeyWord=&KeyWordType=&chanId=11&order=1"
    ]


def test_an_empty_list_that_scripts_fill_needs_a_browser() -> None:
    body = (
        '<ul class="news-list" id="list"></ul><script>$(function(){ $.ajax({url: "/api/'
        'news", success: function(d){ $("#list").html(d); }}); });</script><p>'
        + "说明" * 80
        + "</p>"
    )
    facts = extract_page("http://www.example.gov.cn/xwdt/", page(body), HTML, fetched=FETCHED)
    assert facts.scripted == "its list container is empty and its scripts fill the page ($.ajax)"


def test_a_shell_page_needs_a_browser_and_a_plain_page_does_not() -> None:
    shell = b'<html><head><script src="/app.js"></script></head><body><div id="app"></div>'
    facts = extract_page("http://www.example.gov.cn/", shell, HTML, fetched=FETCHED)
    assert facts.scripted == "it shows almost no text until its scripts run"
    plain = page('<ul class="list"></ul><p>暂无信息</p>')
    assert extract_page("http://www.example.gov.cn/a/", plain, HTML).scripted is None


def test_the_branches_of_a_pager_script_are_not_read_as_writes() -> None:
    """A real TRS article page (govcn-2014-11, see PROVENANCE.md) writes its one-page pager in
    if/else branches of literals: read as writes they would give links that no browser shows."""
    facts = extract_page(
        "http://www.gov.cn/zhengce/2014-04/09/t20140409_1311814.htm",
        (REAL / "govcn-2014-11.html").read_bytes(),
        {"content-type": "text/html"},
        fetched=date(2014, 4, 10),
    )
    assert facts.embedded == []
