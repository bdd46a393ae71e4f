"""extract_page on hostile input: it must never raise, and stay fast.

The fuzz tests call the internal ``_extract`` (without the public function's catch-all), so a
bug cannot hide behind the safety net that keeps a crawl going.
"""

from __future__ import annotations

import codecs
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalcrawler.spiders.extract import MAX_LINKS_PER_PAGE, TEXT_CAP, _extract, extract_page

REAL = Path(__file__).parent / "fixtures" / "real"
URL = "http://www.example.gov.cn/a/b.html"
FETCHED = date(2014, 10, 24)
HTML = {"content-type": "text/html"}

CONTENT_TYPES = [
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=gb2312",
    "text/html; charset=utf-16",
    "text/html; charset=bogus",
    "application/xhtml+xml",
    "",
    "application/pdf",
]

FRAGMENTS = [
    "<html>",
    "</html>",
    "<!DOCTYPE html>",
    "<head>",
    "<body>",
    "<ul class='list'>",
    "</ul>",
    "<li>",
    "<table>",
    "<tr>",
    "<td>",
    "<dl>",
    "<dt>",
    "<dd>",
    "<a href='/x.html'>",
    "<a href='javascript:x'>",
    "<a href='http://[bad'>",
    "<a href='http://a:99999/'>",
    "</a>",
    "<form action='/s'>",
    "<input name='q'>",
    "<select name='s'><option>",
    "<!--",
    "-->",
    "<!-- 2018-->",
    "07-04",
    "2014-10-24",
    "2014年10月24日",
    "二〇一四年八月二十八日",
    "发布时间：",
    "留言时间：2014-10-01 09:30",
    "回复时间",
    "<th>留言时间</th>",
    "暂无信息",
    "<div class='page'>",
    "下一页",
    "<br>",
    "<script>",
    "</script>",
    "<meta name='PubDate' content='2014年'>",
    "<meta charset='gbk'>",
    "\ufeff",
    "\x00",
    "&nbsp;",
    "中文",
    "<td colspan='x'>",
    "<img alt='图'>",
    "<base href='::'>",
    "<p style='display:none'>",
]


def _run(body: bytes, content_type: str = "text/html") -> None:
    facts = _extract(URL, body, {"content-type": content_type}, 200, FETCHED)
    assert len(facts.text) <= TEXT_CAP
    assert all(it.date is None or it.date <= FETCHED for it in facts.dated_links)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=3000), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_bytes_never_raise(body: bytes, content_type: str) -> None:
    _run(body, content_type)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=80),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_random_markup_never_raises(parts: list[str], encoding: str, content_type: str) -> None:
    _run("".join(parts).encode(encoding, "replace"), content_type)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(min_value=0, max_value=45_243))
def test_truncated_real_page(cut: int) -> None:
    body = (REAL / "handan-xxgk-home.html").read_bytes()[:cut]
    _run(body)


def test_truncated_mid_list_keeps_the_rows_before_the_cut() -> None:
    body = (REAL / "govcn-2014-01.html").read_bytes()
    cut = body.index("李克强对中国经济“充满信心”".encode())
    facts = extract_page(URL, body[:cut], HTML, fetched=FETCHED)
    assert [it.date for it in facts.items] == [
        date(2014, 10, 24),
        date(2014, 10, 21),
        date(2014, 10, 23),
    ]


def test_nested_links_and_two_documents() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>一</title></head><body>"
        "<ul class='list'><li><a href='/a.html'>甲|<a href='/b.html'>图解</a>"
        "<span>2014-10-01</span></a></li></ul></body></html>"
        "\ufeff<!DOCTYPE html><html><head><title>二</title><meta charset='gbk'></head><body>"
        "<p>后半部分</p><ul class='list'><li><a href='/c.html'>乙</a> 2014-10-02</li></ul>"
        "</body></html>"
    )
    facts = extract_page(URL, html.encode(), HTML, fetched=FETCHED)
    assert facts.title == "一"
    assert "后半部分" in facts.text  # what follows a stray </html> is still read
    assert [(d.title, d.date) for d in facts.dated_links] == [
        ("甲|", date(2014, 10, 1)),
        ("图解", date(2014, 10, 1)),
        ("乙", date(2014, 10, 2)),
    ]
    assert "\ufeff" not in facts.text


def test_nul_bytes_and_control_characters() -> None:
    body = b"<html><body>\x00<p>\x01\x02\x1b\x1e\x7f\xe4\xb8\xad\x00\xe6\x96\x87</p></body></html>"
    facts = extract_page(URL, body, HTML, fetched=FETCHED)
    assert facts.is_html and facts.text == "中文"


def test_wrong_charset_declared() -> None:
    body = "<html><head><meta charset='big5'></head><body><p>邯郸市人民政府</p></body></html>"
    facts = extract_page(URL, body.encode("gbk"), HTML, fetched=FETCHED)
    assert facts.text == "邯郸市人民政府"
    assert facts.encoding == "gb18030" and facts.encoding_source == "detected"


def test_utf16_page() -> None:
    body = codecs.BOM_UTF16_LE + "<html><title>政府</title><p>正文</p></html>".encode("utf-16-le")
    facts = extract_page(URL, body, HTML, fetched=FETCHED)
    assert facts.is_html and facts.title == "政府" and facts.encoding_source == "bom"


def test_deep_nesting() -> None:
    body = ("<div>" * 20_000 + "深" + "</div>" * 20_000).encode()
    assert extract_page(URL, body, HTML, fetched=FETCHED).is_html
    body = ("<a href='/x'>" * 5_000 + "x").encode()
    assert extract_page(URL, body, HTML, fetched=FETCHED).is_html


def test_empty_and_whitespace_bodies() -> None:
    for body in (b"", b"   ", b"<!-- only a comment -->", b"\xef\xbb\xbf"):
        facts = extract_page(URL, body, HTML, fetched=FETCHED)
        assert facts.is_html and facts.title == "" and facts.links == []


def test_safety_net_keeps_the_crawl_going(monkeypatch: pytest.MonkeyPatch) -> None:
    import evalcrawler.spiders.extract as extract

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(extract, "walk_tree", boom)
    facts = extract_page(URL, b"<html><title>t</title></html>", HTML, status=404, fetched=FETCHED)
    assert (facts.status, facts.is_html, facts.body_bytes, facts.title) == (404, True, 29, "")


@pytest.mark.timeout(60)
def test_five_megabyte_page() -> None:
    body = (REAL / "govcn-2014-01.html").read_bytes() * 126
    assert len(body) > 5_000_000
    start = time.perf_counter()
    facts = extract_page(URL, body, HTML, fetched=FETCHED)
    elapsed = time.perf_counter() - start
    assert len(facts.text) == TEXT_CAP
    assert len(facts.items) == 60
    assert facts.links_found == 94 * 126  # every copy is read, not only the first
    assert len(facts.links) == MAX_LINKS_PER_PAGE  # and the first 5,000 links are kept
    assert elapsed < 15, elapsed  # about 1 s on a laptop


@pytest.mark.timeout(60)
def test_huge_list_page() -> None:
    rows = "".join(
        f"<li><a href='/a{i}.html'>条目{i}</a><span>2014-10-{i % 28 + 1:02d}</span></li>"
        for i in range(30_000)
    )
    body = f"<html><body><ul class='list'>{rows}</ul></body></html>".encode()
    facts = extract_page(URL, body, HTML, fetched=FETCHED)
    assert len(facts.items) == 30_000 - 30_000 // 28 * 4  # dates after 10-24 are rejected


def test_real_pages_are_fast() -> None:
    # A 40 KB list page in well under 20 ms (about 6 ms measured); generous for slow machines.
    body = (REAL / "govcn-2014-01.html").read_bytes()
    extract_page(URL, body, HTML, fetched=FETCHED)  # warm-up (imports)
    start = time.perf_counter()
    for _ in range(10):
        extract_page(URL, body, HTML, fetched=FETCHED)
    assert (time.perf_counter() - start) / 10 < 0.1
