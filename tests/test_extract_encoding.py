"""Decoding HTML bodies (evalcrawler.spiders.encoding) and its use by extract_page."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from evalcrawler.spiders.encoding import decode_html, meta_charset, normalize_charset
from evalcrawler.spiders.extract import extract_page

REAL = Path(__file__).parent / "fixtures" / "real"

PAGE = (
    "<html><head><title>邯郸市人民政府</title></head><body>"
    "<h1>政府信息公开</h1><p>镕基、喆、堃（GB2312 之外的字）</p>"
    "<ul class='list'><li><a href='/a.html'>关于印发方案的通知</a><span>2020-08-02</span></li></ul>"
    "</body></html>"
)


def gbk_page() -> bytes:
    """A Chinese page in GBK, no charset declared anywhere (the pitfall STYLE.md names)."""
    return PAGE.encode("gbk")


def test_gbk_without_any_declaration() -> None:
    text, encoding, source = decode_html(gbk_page(), "text/html")
    assert (encoding, source) == ("gb18030", "detected")
    assert text == PAGE


def test_gbk_real_page_without_declaration() -> None:
    # A real page re-encoded as GBK, its charset meta removed.
    html = (REAL / "handan-xxgk-home.html").read_text("utf-8").replace("charset=UTF-8", "")
    facts = extract_page(
        "http://hdzfxxgk.hd.gov.cn/", html.encode("gbk"), {}, fetched=date(2020, 8, 10)
    )
    assert (facts.encoding, facts.encoding_source) == ("gb18030", "detected")
    assert facts.title == "邯郸市政府信息公开"
    assert len(facts.items) == 13


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "GB_2312-80", "cp936", "gb18030"])
def test_gb_family_is_gb18030(label: str) -> None:
    assert normalize_charset(label) == "gb18030"
    body = PAGE.encode("gb18030")
    text, encoding, source = decode_html(body, f"text/html; charset={label}")
    assert (text, encoding, source) == (PAGE, "gb18030", "header")


def test_order_header_bom_meta() -> None:
    meta = b'<html><head><meta charset="gbk"><title>x</title></head><body>\xd6\xd0</body></html>'
    assert decode_html(meta, None)[1:] == ("gb18030", "meta")
    assert decode_html(meta, "text/html; charset=gb2312")[1:] == ("gb18030", "header")
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\xd6\xd0'
    assert meta_charset(http_equiv) == "gb18030"
    bom = codecs.BOM_UTF8 + "<p>中文</p>".encode()
    text, encoding, source = decode_html(bom, "text/html")
    assert (text, encoding, source) == ("<p>中文</p>", "utf-8", "bom")
    utf16 = codecs.BOM_UTF16_LE + "<p>中文</p>".encode("utf-16-le")
    assert decode_html(utf16, None) == ("<p>中文</p>", "utf-16-le", "bom")


def test_meta_only_in_first_4kb_and_not_in_comments() -> None:
    late = b"<html><head>" + b" " * 5000 + b'<meta charset="gbk"></head><body>\xd6\xd0</body>'
    assert meta_charset(late) is None
    commented = b'<!-- <meta charset="big5"> --><meta charset="gbk">'
    assert meta_charset(commented) == "gb18030"
    # A <script charset=...> attribute is no declaration.
    assert meta_charset(b'<script charset="utf-8" src="x.js"></script>') is None


def test_declared_charset_that_fails_loses_to_valid_utf8() -> None:
    body = '<meta charset="gb2312"><p>中文\ufffd</p>'.encode()
    text, encoding, source = decode_html(body, "text/html; charset=gb2312")
    assert (encoding, source) == ("utf-8", "detected")
    assert "中文" in text


def test_declared_utf8_but_gbk_bytes() -> None:
    text, encoding, source = decode_html(gbk_page(), "text/html; charset=utf-8")
    assert (text, encoding, source) == (PAGE, "gb18030", "detected")


def test_weak_latin1_header_does_not_mangle_chinese() -> None:
    assert decode_html(gbk_page(), "text/html; charset=ISO-8859-1")[1:] == ("gb18030", "detected")
    utf8 = PAGE.encode()
    assert decode_html(utf8, "text/html; charset=iso-8859-1")[1:] == ("utf-8", "detected")


def test_truncated_multibyte_character_is_still_utf8() -> None:
    body = "<p>中文中".encode()[:-1]  # cut inside the last character
    text, encoding, source = decode_html(body, "text/html; charset=utf-8")
    assert (encoding, source) == ("utf-8", "header")
    assert text.startswith("<p>中文")


def test_undecodable_bytes_never_raise() -> None:
    body = b"<p>\xff\xfe\xfd\x80\x81 abc</p>" * 3
    text, encoding, source = decode_html(body, "text/html; charset=utf-8")
    assert encoding == "utf-8" and source == "header" and "abc" in text
    assert decode_html(b"", None) == ("", "utf-8", "detected")
    assert decode_html(b"abc", "text/html; charset=no-such-charset")[0] == "abc"
