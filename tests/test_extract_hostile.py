"""Extraction on hostile pages: characters no report can hold, and what the extractor bounds.

Each test here is one finding of the hostile-web review (docs/security.md, "What extraction
bounds"): the page is generated in the test, the facts are compared with what the page shows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from evalcrawler.spiders.extract import extract_page
from evalcrawler.spiders.text import clean, is_clean

URL = "http://www.example.gov.cn/hdjl/list.html"
FETCHED = date(2026, 11, 25)
HTML = {"content-type": "text/html; charset=utf-8"}

# Every kind of character that must not be stored, raw (as the page's bytes carry it) and as
# the character references that decode to it.
_RAW = {
    "C0 control U+0001": "\x01",
    "C0 control U+001B": "\x1b",
    "C0 control U+001F": "\x1f",
    "noncharacter U+FFFE": "\ufffe",
    "noncharacter U+FFFF": "\uffff",
    "noncharacter U+FDD0": "\ufdd0",
    "noncharacter U+1FFFE": "\U0001fffe",
    "noncharacter U+10FFFF": "\U0010ffff",
    "bidi U+202A": "\u202a",
    "bidi U+202B": "\u202b",
    "bidi U+202C": "\u202c",
    "bidi U+202D": "\u202d",
    "bidi U+202E": "\u202e",
    "bidi U+2066": "\u2066",
    "bidi U+2067": "\u2067",
    "bidi U+2068": "\u2068",
    "bidi U+2069": "\u2069",
    "bidi U+200E": "\u200e",
    "bidi U+200F": "\u200f",
    "bidi U+061C": "\u061c",
}
KINDS: dict[str, str] = {f"raw {name}": char for name, char in _RAW.items()}
KINDS.update({f"&#x{ord(c):X}; {name}": f"&#x{ord(c):X};" for name, c in _RAW.items()})
KINDS.update({f"&#{ord(c)}; {name}": f"&#{ord(c)};" for name, c in _RAW.items()})
KINDS.update(
    {
        "&lrm;": "&lrm;",
        "&rlm;": "&rlm;",
        "&#x202E without semicolon": "&#x202E",
    }
)


def hostile_page(k: str) -> bytes:
    """A page that carries ``k`` inside every kind of string the extractor stores."""
    w = f"信息{k}公开"
    name = "" if k.startswith("&") else k  # the parser reads no references in names
    html = f"""<!DOCTYPE html><html lang="zh{k}-CN"><head><meta charset="utf-8">
<title>{w}</title>
<meta name="description" content="{w}"><meta name="keywords{name}" content="{w}">
</head><body>
<div class="nav"><a href="/xxgk/">{w}</a> <a href="/img/"><img src="/a.png" alt="{w}"></a>
<a href="/t/" title="{w}"></a></div>
<h1>{w}</h1><h2>标题{k}</h2>
<p>正文{k}内容</p>
<ul class="list">
<li><a href="/a/1.html">{w}通知</a><span>2026-11-20{k}</span></li>
<li><a href="/a/2.html">第二{k}条</a><span>2026-11-19</span></li>
<li><a href="/a/3.html">第三条</a><span>2026-11-18</span></li>
</ul>
<form action="/search{k}" name="s"><input type="text" name="q{k}" value="{w}">
<input type="hidden" name="h" value="{w}"><textarea name="t">{w}</textarea>
<select name="c"><option value="{w}">{w}</option></select><button>搜索</button></form>
<table class="board">
<tr><th>信件标题</th><th>留言时间</th><th>回复时间</th></tr>
<tr><td><a href="/x/1.html">{w}</a></td><td>2026-10-01</td><td>2026-10-03</td></tr>
<tr><td><a href="/x/2.html">路灯{k}不亮</a></td><td>2026-10-05</td><td></td></tr>
</table>
</body></html>"""
    return html.encode("utf-8", "surrogateescape")


def strings(value: Any) -> list[str]:
    """Every string in a JSON-like value, dictionary keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_stored_string_keeps_a_hostile_character(kind: str) -> None:
    facts = extract_page(URL, hostile_page(KINDS[kind]), HTML, fetched=FETCHED)
    dirty = [s for s in strings(facts.to_json()) if not is_clean(s)]
    assert dirty == []
    # The character is gone, nothing else: every field still reads what the page shows.
    w = "信息公开"
    assert facts.title == w
    assert facts.headings == [w, "标题"]
    assert facts.meta["description"] == w and facts.meta["keywords"] == w
    assert facts.lang == "zh-CN"
    assert "正文内容" in facts.text
    assert [link.text for link in facts.links[:3]] == [w, w, w]  # text, img alt, title
    assert [(it.title, it.date) for it in facts.items] == [
        (w + "通知", date(2026, 11, 20)),
        ("第二条", date(2026, 11, 19)),
        ("第三条", date(2026, 11, 18)),
    ]
    form = facts.forms[0]
    assert form.search and form.query_field == "q"
    assert form.action == "http://www.example.gov.cn/search"
    assert [(f.name, f.value) for f in form.fields] == [
        ("q", w),
        ("h", w),
        ("t", w),
        ("c", w),
    ]
    assert [t.title for t in facts.threads] == [w, "路灯不亮"]


def test_header_strings_are_cleaned() -> None:
    facts = extract_page(
        URL, b"%PDF-1.4", {"content-type": "application/pdf\u202e\x01; charset=x"}, 200
    )
    assert facts.content_type == "application/pdf"


def test_clean_removes_only_hostile_characters() -> None:
    kept = "政府\t信息\n公开\r€\x80\u200b\u200d\U0002000b"
    assert clean(kept) == kept
    assert clean("a\x00b\u202ec\ud800d\U0010fffee") == "abcde"


def test_a_removed_reference_does_not_make_a_new_one() -> None:
    page = b"<html><body><p>a&&#x202E;#x202E;b</p></body></html>"
    facts = extract_page(URL, page, HTML, fetched=FETCHED)
    assert facts.text == "a&#x202E;b"  # what a browser shows: the inner reference decoded


@pytest.mark.parametrize("k", ["&#xD800;", "&#xDFFF;", "&#55296;", "\udced\udca0\udc80"])
def test_no_stored_string_keeps_a_lone_surrogate(k: str) -> None:
    # A reference to a surrogate reads as U+FFFD, as browsers show it; ED A0 80 is U+D800 in
    # CESU-8, which no UTF-8 decoder may give back as a lone surrogate.
    facts = extract_page(URL, hostile_page(k), HTML, fetched=FETCHED)
    assert [s for s in strings(facts.to_json()) if not is_clean(s)] == []
    assert facts.forms and facts.threads and len(facts.items) == 3
