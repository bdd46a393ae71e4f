"""How boards are read (evalcrawler.spiders.boards, docs/metrics.md "Letter (thread)"): the
label vocabularies real boards use, their layouts, dates inside a letter's own text, and the
letter's and the reply's texts.

The layouts come from real boards (the structure each test copies is named in it; see
tests/boardsites.py for the sources); the letters are real (tests/fixtures/real). These pages
are built, not saved: they test rules, they are no accuracy figure.
"""

from __future__ import annotations

from datetime import date, datetime

import lxml.html
import pytest

from evalcrawler.facts import Thread
from evalcrawler.spiders.boards import extract_threads
from evalcrawler.spiders.boardwords import (
    ACCEPTED_LABELS,
    ASKED_LABELS,
    REPLIED_WORDS,
    REPLY_LABELS,
    STATE_LABELS,
    UNANSWERED_WORDS,
)
from evalcrawler.spiders.extract import extract_page
from tests import boardsites as B

FETCHED = date(2026, 12, 2)
DETAIL = "http://www.example.gov.cn/hdjl/detail/1.html"


def read(body: str, url: str = DETAIL, title: str = "网上咨询") -> list[Thread]:
    html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    return extract_page(url, html.encode(), {"content-type": "text/html"}, fetched=FETCHED).threads


def facts(threads: list[Thread]) -> list[tuple[object, ...]]:
    return [(t.title, t.url, t.asked, t.replied, t.state, t.source) for t in threads]


# ------------------------------------------------------------------ rule 1: vocabularies


@pytest.mark.parametrize("asked", ASKED_LABELS)
def test_every_asked_label_dates_a_detail_letter(asked: str) -> None:
    got = read(f"<h1>来信</h1><p>{asked}：2019-11-14 09:30</p>")
    assert [(t.asked, t.replied, t.state) for t in got] == [
        (datetime(2019, 11, 14, 9, 30), None, "unknown")
    ]


@pytest.mark.parametrize("replied", REPLY_LABELS)
def test_every_reply_label_dates_the_reply(replied: str) -> None:
    got = read(f"<h1>来信</h1><p>留言时间：2019-11-14</p><p>{replied}：2019年11月20日</p>")
    assert [(t.asked, t.replied, t.state) for t in got] == [
        (date(2019, 11, 14), date(2019, 11, 20), "replied")
    ]


@pytest.mark.parametrize("accepted", ACCEPTED_LABELS)
def test_the_accepted_day_is_the_asked_day_only_on_a_board_page(accepted: str) -> None:
    body = f"<h1>信件</h1><p>{accepted}：2019-11-14</p><p>办理状态：办理中</p>"
    assert [(t.asked, t.state) for t in read(body)] == [(date(2019, 11, 14), "unanswered")]
    # 办件 pages (service applications) show 受理时间 too: no letter there.
    assert read(body.replace("信件", "办件信息"), title="办件公示") == []
    # Where the letter's own day is shown, it wins.
    both = f"<p>来信时间：2019-11-12</p><p>{accepted}：2019-11-14</p>"
    assert [t.asked for t in read(both)] == [date(2019, 11, 12)]


@pytest.mark.parametrize("label", (*STATE_LABELS, "处理情况", "办理结果"))
@pytest.mark.parametrize(
    "word", [(w, "replied") for w in REPLIED_WORDS] + [(w, "unanswered") for w in UNANSWERED_WORDS]
)
def test_every_state_word_under_every_state_label(label: str, word: tuple[str, str]) -> None:
    shown, state = word
    got = read(f"<p>咨询时间：2019-11-14</p><p>{label}：{shown}</p><p>处理时间：</p>")
    assert [(t.replied, t.state) for t in got] == [(None, state)]


def test_a_state_word_inside_a_title_is_no_state() -> None:
    # A long value under 处理情况 is the reply's text, whatever words it holds.
    got = read(
        "<p>留言时间：2019-11-14</p>"
        "<p>处理情况：您好，您反映的问题已办结，感谢您对我们工作的支持。</p>"
    )
    assert [(t.state, t.reply) for t in got] == [
        ("unknown", "您好，您反映的问题已办结，感谢您对我们工作的支持。")
    ]


# ---------------------------------------------------------------------- rule 1: layouts


def test_span_label_then_text_and_paragraph_label_with_value() -> None:
    # The two layouts of the brief: <span>咨询时间：</span> 2024-11-14, <p>处理情况：办理完毕</p>.
    got = read(
        "<div><span>咨询时间：</span> 2024-11-14</div><p>处理情况：办理完毕</p>"
        "<div><span>处理时间：</span></div>"
    )
    assert [(t.asked, t.replied, t.state) for t in got] == [(date(2024, 11, 14), None, "replied")]


def test_definition_list_fields() -> None:
    got = read(
        "<dl><dt>留言标题</dt><dd>关于路灯的咨询</dd><dt>留言时间</dt><dd>2019-03-01 08:00</dd>"
        "<dt>答复时间</dt><dd></dd><dt>办理状态</dt><dd>办理中</dd></dl>"
    )
    assert facts(got) == [
        ("关于路灯的咨询", DETAIL, datetime(2019, 3, 1, 8, 0), None, "unanswered", "detail")
    ]


def test_a_label_row_above_its_value_row() -> None:
    got = read(
        "<table><tr><td>来信时间</td><td>2019-03-01</td></tr><tr><td>回复内容</td></tr>"
        "<tr><td>已转交区住建局办理。</td></tr><tr><td>回复时间</td><td>2019-03-04</td></tr>"
        "</table>"
    )
    assert [(t.asked, t.replied, t.reply) for t in got] == [
        (date(2019, 3, 1), date(2019, 3, 4), "已转交区住建局办理。")
    ]


def test_labels_one_after_another_in_one_text() -> None:
    got = read(
        "<ul><li><a href='/m/1.html'>关于供暖的咨询</a> 留言时间：2019-11-01 回复时间：2019-11-03"
        "</li><li><a href='/m/2.html'>关于停车的咨询</a> 留言时间：2019-11-02 | 状态：待回复</li>"
        "</ul>",
        url="http://www.example.gov.cn/hdjl/",
    )
    assert [(t.title, t.asked, t.replied, t.state) for t in got] == [
        ("关于供暖的咨询", date(2019, 11, 1), date(2019, 11, 3), "replied"),
        ("关于停车的咨询", date(2019, 11, 2), None, "unanswered"),
    ]


def test_an_empty_value_never_takes_the_next_rows_date() -> None:
    # 回复时间 is empty; the next row of the list starts with a date cell.
    got = read(
        "<ul><li><a href='/m/1.html'>甲</a><span>留言时间：2019-11-01</span>"
        "<span>回复时间：</span></li>"
        "<li><span>2019-11-05</span><a href='/m/2.html'>乙</a><span>留言时间：2019-11-02</span>"
        "<span>回复时间：2019-11-06</span></li></ul>",
        url="http://www.example.gov.cn/hdjl/",
    )
    assert [(t.title, t.replied, t.state) for t in got] == [
        ("甲", None, "unanswered"),
        ("乙", date(2019, 11, 6), "replied"),
    ]


def test_a_table_whose_date_column_is_named_only_time() -> None:
    # 来信主题 | 状态 | 时间: the letter's date, because the table has a state column and the
    # page is a board page (the MinMoreCMS 局长信箱 list).
    body = (
        "<table><tr><th>来信主题</th><th>状态</th><th>时间</th></tr>"
        "<tr><td><a href='/m/1.html'>甲</a></td><td>未回复</td><td>2019-11-01 10:00:00</td></tr>"
        "</table>"
    )
    assert [(t.asked, t.state) for t in read(body)] == [(datetime(2019, 11, 1, 10), "unanswered")]
    assert read(body, title="通知公告") == []
    no_state = body.replace("<th>状态</th>", "<th>部门</th>").replace("未回复", "市住建局")
    assert read(no_state) == []


def test_state_rows_need_a_board_page_a_state_cell_and_one_date_cell() -> None:
    rows = (
        "<ul><li><a href='/b/1.html'>某事项申请</a><span>已办结</span><span>2019-11-01</span></li>"
        "<li><a href='/b/2.html'>某事项申请</a><span>办理中</span><span>2019-11-02</span></li></ul>"
    )
    assert [(t.asked, t.state) for t in read(rows, title="网上咨询")] == [
        (date(2019, 11, 1), "replied"),
        (date(2019, 11, 2), "unanswered"),
    ]
    assert read(rows, title="办件公示") == []  # service applications, not letters
    two = rows.replace("<span>2019-11-01</span>", "<span>2019-11-01</span><span>2019-11-03</span>")
    assert [t.asked for t in read(two, title="网上咨询")] == [date(2019, 11, 2)]
    titled = "<ul><li><a href='/b/1.html'>关于已办结事项的说明</a><span>2019-11-01</span></li></ul>"
    assert read(titled, title="网上咨询") == []


# ---------------------------------------------------------- rule 2: dates in a letter's text


DEYANG = """<div class="title"><h1>关于小区停水的咨询</h1></div>
<div class="form"><table>
<tr><td colspan="4">信件详情</td></tr>
<tr><td>来信人：</td><td>网友</td><td>来信日期：</td><td>2019-11-20</td></tr>
<tr><td>类型：</td><td>咨询</td><td>编号：</td><td>20191120001</td></tr>
<tr><td>来信内容：</td>
<td colspan="3">11月14日起小区停水，我于2019年3月5日来电反映过同样问题。</td></tr>
<tr><td colspan="4">回复信息</td></tr>
<tr><td>回复部门：</td><td colspan="3">市水务局</td></tr>
<tr><td>回复时间：</td><td colspan="3">2019-11-25</td></tr>
<tr><td>答复内容：</td>
<td colspan="3">经查，11月14日停水系管网抢修，已于11月15日恢复供水。</td></tr>
</table></div>"""
"""德阳市's letter page (www.deyang.gov.cn appeal): ``div.form`` table, 来信人 and 来信日期 in
row 2 (cells 2 and 4), 来信内容 row 4, 回复部门 row 6, 回复时间 row 7, 答复内容 row 8 — the XPaths
of WaiBaoSpider/spiders/deyang.py; label cells and the colspans are built."""


def test_dates_in_a_letters_text_are_no_letters_and_no_reply() -> None:
    url = "http://www.deyang.gov.cn/appeal/look.jsp?id=1"
    # Before this rule the label row read as a table header and the text cells as its rows:
    # letters dated 2026-11-14 (11月14日 with the fetch year) and none for the page itself.
    assert read(DEYANG, url=url) == [
        Thread(
            title="关于小区停水的咨询",
            url=url,
            asked=date(2019, 11, 20),
            replied=date(2019, 11, 25),
            state="replied",
            source="detail",
            question="11月14日起小区停水，我于2019年3月5日来电反映过同样问题。",
            reply="经查，11月14日停水系管网抢修，已于11月15日恢复供水。",
        )
    ]


def test_a_label_inside_a_sentence_is_no_label() -> None:
    assert read("<p>市民11月14日来信时间：据反映，2024年3月5日来电咨询未果。</p>") == []
    assert read("<p>信件内容：我 留言时间：11月14日 已经反映过。</p>") == []


def test_a_date_inside_a_title_is_no_date_cell() -> None:
    # A real subject (id 92055): its list row shows the letter's own date in its own cell.
    row = (
        "<li><a href='/m/92055.html'>对J11市东江街道6月8日回复的质疑</a>"
        "<span>正在办理</span>{}</li>"
    )
    got = read(f"<ul>{row.format('<span>2018-06-26</span>')}</ul>")
    assert [(t.asked, t.state) for t in got] == [(date(2018, 6, 26), "unanswered")]
    assert read(f"<ul>{row.format('')}</ul>") == []  # no date cell: no date (never 06-08)


# ------------------------------------------------------------- the boards of tests/boardsites


def test_jms_list_page() -> None:
    letters = B.jms_letters()[:20]
    page = B.jms_list_page(letters, 1, 45)
    url = "http://www.jms.gov.cn" + B.JMS_LIST.format(1)
    got = extract_page(url, page.encode(), {}, fetched=FETCHED).threads
    assert [(t.title, t.url, t.asked, t.replied, t.state) for t in got] == [
        (
            x.subject,
            "http://www.jms.gov.cn" + B.JMS_DETAIL.format(x.id),
            x.asked.date(),
            None,
            "replied" if x.done else "unanswered",
        )
        for x in letters
    ]


def test_jms_detail_page_with_a_real_reply() -> None:
    # The longest real reply of the board (id 79794, 1,648 characters): kept whole.
    letter = max((x for x in B.jms_letters() if x.replied), key=lambda x: len(x.reply))
    url = "http://www.jms.gov.cn" + B.JMS_DETAIL.format(letter.id)
    got = extract_page(url, B.jms_detail_page(letter).encode(), {}, fetched=FETCHED).threads
    assert got == [
        Thread(
            title=letter.subject,
            url=url,
            asked=letter.asked,
            replied=letter.replied,
            state="replied",
            source="detail",
            question=letter.subject,
            reply=letter.reply,
        )
    ]
    assert (letter.id, len(letter.reply)) == ("79794", 1_648)


def test_jms_detail_done_without_a_reply_time_and_open() -> None:
    letters = B.jms_letters()
    done = [x for x in letters if x.done and x.replied is None]
    open_ = [x for x in letters if not x.done]
    assert (len(done), len(open_)) == (3, 19)
    for letter, state in ((done[0], "replied"), (open_[0], "unanswered")):
        got = extract_page(DETAIL, B.jms_detail_page(letter).encode(), {}, fetched=FETCHED)
        assert [(t.asked, t.replied, t.state, t.reply) for t in got.threads] == [
            (letter.asked, None, state, letter.reply)
        ]


def test_minmore_board_templates() -> None:
    letters = B.sample_letters(2019, 6, B.JMS_AS_OF)
    assert [x.done for x in letters].count(False) == 0
    letters[1] = B.Letter(**{**letters[1].__dict__, "replied": None, "done": False, "reply": ""})
    got = extract_page(DETAIL, B.minmore_list_page(letters).encode(), {}, fetched=FETCHED)
    assert [(t.asked, t.replied, t.state) for t in got.threads] == [
        (x.asked, None, "replied" if x.done else "unanswered") for x in letters
    ]
    # The letter page: 来信时间 in the template's 12-hour clock, 办理时间 暂无 while open, the
    # reply's text under 处理情况.
    first = extract_page(DETAIL, B.minmore_detail_page(letters[0]).encode(), {}, fetched=FETCHED)
    [t] = first.threads
    assert (t.asked, t.replied, t.state) == (
        datetime(2019, 12, 15, 12, 41, 6),
        datetime(2019, 12, 27, 2, 48, 53),  # 14:48:53 shown as 02:48:53 (h:i:s): read as shown
        "replied",
    )
    assert (t.question, t.reply) == (letters[0].subject, letters[0].reply)
    second = extract_page(DETAIL, B.minmore_detail_page(letters[1]).encode(), {}, fetched=FETCHED)
    assert [(t.replied, t.state, t.reply) for t in second.threads] == [(None, "unanswered", "")]


def test_tongchuan_board() -> None:
    letters = B.sample_letters(2019, 4, B.JMS_AS_OF)
    got = extract_page(DETAIL, B.tongchuan_list_page(letters).encode(), {}, fetched=FETCHED)
    assert [(t.asked, t.state) for t in got.threads] == [
        (x.asked.date(), "replied") for x in letters
    ]
    detail = extract_page(DETAIL, B.tongchuan_detail_page(letters[0]).encode(), {}, fetched=FETCHED)
    assert [(t.asked, t.replied, t.state, t.reply) for t in detail.threads] == [
        (letters[0].asked, letters[0].replied, "replied", letters[0].reply)
    ]


def test_liuan_mail_info_line() -> None:
    # 六安市 (www.luan.gov.cn zxly): div.is-mailinfo holds "来信人：…" and "来信时间：…" as its own
    # texts, div.is-mialhf h1 spans "回复时间：…" and "回复单位：…" (the labels the crawler
    # WaiBaoSpider/spiders/liuan.py strips); the values are a real letter (id 58132).
    got = read(
        '<div class="is-newstitle">关于A市某小区物业问题的咨询</div>'
        '<div class="is-mailinfo">来信人：网友<span> | </span>来信时间：2019-12-20 02:10:00'
        '<span> | </span><span>督办部门：市住建局 | 问题类别：<span class="red">咨询</span>'
        "</span></div>"
        '<div class="is-mailwen"><p>小区物业费收取不合理。</p></div>'
        '<div class="is-mialhf"><h1><span>回复时间：2020-01-10 08:24:28</span>'
        "<span>回复单位：市住建局</span></h1></div>"
        '<div class="is-hfcontent">已转交市住建局办理。</div>'
    )
    assert [(t.asked, t.replied, t.state) for t in got] == [
        (datetime(2019, 12, 20, 2, 10), datetime(2020, 1, 10, 8, 24, 28), "replied")
    ]


def test_texts_are_capped_and_cleaned() -> None:
    long = "经查" * 3_000
    got = read(f"<p>留言时间：2019-11-14</p><p>回复内容：{long}</p><p>信件内容：你好</p>")
    assert [(len(t.reply), t.reply[:4], t.question) for t in got] == [(4_000, "经查经查", "你好")]
    # What the parser made of a character reference is cleaned like every stored string.
    tree = lxml.html.fromstring(
        "<html><body><p>留言时间：2019-11-14</p><p>回复内容：已\u202e办理\u0007。</p></body></html>"
    )
    [t] = extract_threads(tree, DETAIL, FETCHED)
    assert t.reply == "已办理。"
