"""Message-board letters (evalcrawler.spiders.boards), docs/metrics.md "Letter (thread)"."""

from __future__ import annotations

import csv
import statistics
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest

from evalcrawler.facts import Thread, parse_when
from evalcrawler.scoring.letters import latency_days
from evalcrawler.spiders.boards import extract_threads
from evalcrawler.spiders.extract import extract_page

REAL = Path(__file__).parent / "fixtures" / "real"
URL = "http://www.example.gov.cn/hdjl/list.html"
FETCHED = date(2026, 11, 25)


def threads(body: str, url: str = URL, fetched: date = FETCHED) -> list[Thread]:
    html = f"<html><head><title>领导信箱</title></head><body>{body}</body></html>"
    return extract_page(url, html.encode(), {"content-type": "text/html"}, fetched=fetched).threads


BOARD = """
<table class="list">
  <tr><th>序号</th><th>信件标题</th><th>留言时间</th><th>回复时间</th><th>办理状态</th></tr>
  <tr><td>1</td><td><a href="/x/1.html">路灯不亮</a></td><td>2026-10-01 09:30</td>
      <td>2026-10-03 15:30</td><td>已回复</td></tr>
  <tr><td>2</td><td><a href="/x/2.html">噪音扰民</a></td><td>2026-10-05</td>
      <td>2026-10-12</td><td>已办结</td></tr>
  <tr><td>3</td><td><a href="/x/3.html">道路积水</a></td><td>2026-11-01 08:00</td>
      <td></td><td>办理中</td></tr>
  <tr><td>4</td><td><a href="/x/4.html">公交线路</a></td><td>2026-11-02</td><td></td><td></td></tr>
  <tr><td>5</td><td><a href="/x/5.html">没有日期</a></td><td>—</td><td></td><td></td></tr>
</table>
"""


def test_board_list_table() -> None:
    got = threads(BOARD)
    assert [(t.title, t.url, t.asked, t.replied, t.state, t.source) for t in got] == [
        (
            "路灯不亮",
            "http://www.example.gov.cn/x/1.html",
            datetime(2026, 10, 1, 9, 30),
            datetime(2026, 10, 3, 15, 30),
            "replied",
            "list",
        ),
        (
            "噪音扰民",
            "http://www.example.gov.cn/x/2.html",
            date(2026, 10, 5),
            date(2026, 10, 12),
            "replied",
            "list",
        ),
        (
            "道路积水",
            "http://www.example.gov.cn/x/3.html",
            datetime(2026, 11, 1, 8, 0),
            None,
            "unanswered",
            "list",
        ),
        # No reply date and no status, but the board shows reply dates for others: open.
        (
            "公交线路",
            "http://www.example.gov.cn/x/4.html",
            date(2026, 11, 2),
            None,
            "unanswered",
            "list",
        ),
    ]
    assert isinstance(got[1].asked, date) and not isinstance(got[1].asked, datetime)


def test_board_table_without_reply_dates_leaves_state_unknown() -> None:
    got = threads(
        "<table><thead><tr><td>标题</td><td>来信日期</td></tr></thead><tbody>"
        "<tr><td><a href='/a.html'>甲</a></td><td>2026/11/01</td></tr>"
        "<tr><td><a href='/b.html'>乙</a></td><td>2026/11/02</td></tr></tbody></table>"
    )
    assert [(t.title, t.asked, t.state) for t in got] == [
        ("甲", date(2026, 11, 1), "unknown"),
        ("乙", date(2026, 11, 2), "unknown"),
    ]


def test_board_future_and_header_only() -> None:
    got = threads(
        "<table><tr><th>标题</th><th>咨询时间</th><th>答复时间</th></tr>"
        "<tr><td><a href='/a.html'>甲</a></td><td>2027-01-01</td><td></td></tr></table>"
    )
    assert got == []  # an asked date after the fetch is no letter


def test_ordinary_tables_are_no_board() -> None:
    got = threads(
        "<table><tr><th>名称</th><th>发布日期</th></tr>"
        "<tr><td><a href='/a.html'>通知</a></td><td>2026-11-01</td></tr></table>"
        "<p>办理时间：工作日 9:00-17:00</p>"
    )
    assert got == []


def test_labelled_rows() -> None:
    got = threads(
        "<ul>"
        "<li><a href='/m/1.html'>关于供暖的咨询</a><span>留言时间：2026-11-01 10:00</span>"
        "<span>回复时间：2026-11-02 11:00</span></li>"
        "<li><a href='/m/2.html'>关于停车的咨询</a><span>留言时间：2026-11-03</span>"
        "<span>回复时间：</span><span>状态：待回复</span></li>"
        "<li><a href='/m/3.html'>关于学区的咨询</a><span>留言时间：2026-11-04</span></li>"
        "</ul>"
    )
    assert [(t.title, t.asked, t.replied, t.state) for t in got] == [
        ("关于供暖的咨询", datetime(2026, 11, 1, 10), datetime(2026, 11, 2, 11), "replied"),
        ("关于停车的咨询", date(2026, 11, 3), None, "unanswered"),
        ("关于学区的咨询", date(2026, 11, 4), None, "unanswered"),
    ]


def test_detail_page_with_times() -> None:
    url = "http://www.example.gov.cn/hdjl/detail/123.html"
    got = threads(
        "<h1>关于小区供暖不热的问题</h1>"
        "<table><tr><td>留言时间：</td><td>2026-11-01 08:15:00</td></tr>"
        "<tr><td>留言内容：</td><td>家中温度不到十六度。</td></tr>"
        "<tr><td>答复时间：</td><td>2026-11-03 17:45:00</td></tr>"
        "<tr><td>答复单位：</td><td>市供热办</td></tr></table>",
        url=url,
    )
    assert got == [
        Thread(
            title="关于小区供暖不热的问题",
            url=url,
            asked=datetime(2026, 11, 1, 8, 15),
            replied=datetime(2026, 11, 3, 17, 45),
            state="replied",
            source="detail",
            question="家中温度不到十六度。",
        )
    ]
    assert latency_days(got[0].asked, got[0].replied) == pytest.approx(2 + 9.5 / 24)


def test_detail_page_date_only_and_unanswered() -> None:
    got = threads(
        "<h2>咨询</h2><p>来信日期：2026年11月1日</p><p>办理状态：处理中</p><p>回复日期：</p>"
    )
    assert [(t.asked, t.replied, t.state, t.source) for t in got] == [
        (date(2026, 11, 1), None, "unanswered", "detail")
    ]
    got = threads("<h2>咨询</h2><p>提问时间：2026-11-01</p>")
    assert [(t.asked, t.state) for t in got] == [(date(2026, 11, 1), "unknown")]


def test_pages_without_letters() -> None:
    assert threads("<p>留言时间：请在工作日留言</p>") == []
    assert threads("<p>领导信箱</p>") == []
    tree = lxml.html.fromstring("<html><body><p>x</p></body></html>")
    assert extract_threads(tree, URL, FETCHED) == []


def test_latency_days() -> None:
    assert latency_days(datetime(2026, 1, 1, 12), datetime(2026, 1, 2, 0)) == 0.5
    assert latency_days(date(2026, 1, 1), date(2026, 1, 11)) == 10.0
    # One side without a time of day: whole calendar days.
    assert latency_days(datetime(2026, 1, 1, 23, 59), date(2026, 1, 2)) == 1.0
    aware = datetime(2026, 1, 2, tzinfo=timezone(timedelta(hours=8)))
    assert latency_days(datetime(2026, 1, 1), aware) == 1.0


def test_latency_on_real_board_data() -> None:
    # 2,816 real letters (PROVENANCE.md); one reply (id 27610) is date-only.
    with (REAL / "message-board-replies.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    latencies = [latency_days(parse_when(r["asked_at"]), parse_when(r["replied_at"])) for r in rows]
    assert len(latencies) == 2816
    assert statistics.median(latencies) == pytest.approx(11.208, abs=0.001)
    p90 = statistics.quantiles(latencies, n=10, method="inclusive")[-1]
    assert p90 == pytest.approx(40.96, abs=0.01)
    assert sum(1 for x in latencies if x > 90) == 83
    assert max(latencies) == pytest.approx(1160.44, abs=0.01)
    whole = next(r for r in rows if r["id"] == "27610")
    asked = parse_when(whole["asked_at"])
    assert latency_days(asked, parse_when(whole["replied_at"])) == float(
        (date(2018, 4, 24) - asked.date()).days
    )
