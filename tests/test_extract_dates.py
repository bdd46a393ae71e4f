"""Date recognition and resolution (evalcrawler.spiders.dates), docs/metrics.md "Full date"."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from evalcrawler.spiders import dates

FETCHED = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 20)),
        ("2026.11.20", date(2026, 11, 20)),
        ("2026年11月20日", date(2026, 11, 20)),
        ("2026年1月2日", date(2026, 1, 2)),
        ("2026 年 1 月 2 日", date(2026, 1, 2)),
        ("2026-1-2", date(2026, 1, 2)),
        ("发布时间：2026-11-20 09:30", date(2026, 11, 20)),
        ("２０２６年１１月２０日", date(2026, 11, 20)),  # full-width digits
        ("２０２６－１１－２０", date(2026, 11, 20)),
        ("二〇二六年十一月二十日", date(2026, 11, 20)),  # Chinese numerals
        ("二〇一四年八月二十八日", date(2014, 8, 28)),
        ("2020-08-02T10:00:00+08:00", date(2020, 8, 2)),
        ("2014年02月28日 19时06分", date(2014, 2, 28)),
    ],
)
def test_full_dates(text: str, expected: date) -> None:
    assert dates.parse_date(text, FETCHED) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",  # no such day
        "2026-13-01",
        "(2014年8月11-20日)",  # a range, not 2014-08-11
        "000014348/2020-35428",  # an index number
        "共2018条",
        "增长2.7%",
        "2026年11月",  # no day
        "12345-11-20",
    ],
)
def test_not_full_dates(text: str) -> None:
    assert dates.parse_date(text, FETCHED) is None


def test_future_full_dates_are_rejected() -> None:
    assert dates.parse_date("2026-11-26", FETCHED) is None
    assert dates.parse_date("2026-11-25", FETCHED) == FETCHED
    # The first valid date of a text: a future one is skipped, the next taken.
    found = dates.first_date("2027-01-01 2026-10-01", FETCHED)
    assert found is not None and found[0] == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("text", "month", "day"),
    [
        ("11-20", 11, 20),
        ("[11-20]", 11, 20),
        ("11/20", 11, 20),
        ("11月20日", 11, 20),
        ("1月2日", 1, 2),
    ],
)
def test_month_day_forms(text: str, month: int, day: int) -> None:
    (hit,) = dates.scan(text)
    assert (hit.year, hit.month, hit.day) == (None, month, day)


@pytest.mark.parametrize(
    "text",
    [
        "1/2",  # a fraction or pager "第1/2页"
        "1.5",
        "10:00-12:00",  # times
        "11-20日",  # a day range
        "13-01",
        "0310-3101234",  # a phone number
        "ISO-9001",
        "11-20%",
    ],
)
def test_not_month_day(text: str) -> None:
    assert dates.scan(text) == []


def test_month_day_resolution() -> None:
    # With a context year (the list heading's or the page's publish year).
    assert dates.resolve_month_day(7, 4, 2018, FETCHED) == date(2018, 7, 4)
    # Without: the fetch year ...
    assert dates.resolve_month_day(11, 20, None, FETCHED) == date(2026, 11, 20)
    # ... moved back one year when that would lie after the fetch date.
    assert dates.resolve_month_day(11, 26, None, FETCHED) == date(2025, 11, 26)
    assert dates.resolve_month_day(12, 31, None, FETCHED) == date(2025, 12, 31)
    # Feb 29 of a year that has none: the year before has none either, so no date.
    assert dates.resolve_month_day(2, 29, 2026, date(2026, 3, 1)) is None
    assert dates.resolve_month_day(2, 29, None, date(2024, 3, 1)) == date(2024, 2, 29)


def test_year_next_to_a_month_day() -> None:
    # What is left of <!-- 2018-->07-04 once the comment is read as text.
    (hit,) = dates.scan("\t\t2018 \n\t\t07-04\n")
    assert (hit.year, hit.month, hit.day, hit.raw) == (2018, 7, 4, "07-04")
    assert dates.hit_date(hit, date(2018, 7, 7)) == date(2018, 7, 4)
    # An explicit year is never moved: a date after the fetch is simply no date.
    assert dates.hit_date(hit, date(2018, 7, 3)) is None


def test_copyright_lines_give_no_dates() -> None:
    assert dates.scan("版权所有 © 2026 某某市人民政府 2026-01-01 更新") == []
    assert dates.scan("Copyright 2005-2026 2026年1月1日") == []
    # Far enough from the copyright line a date counts.
    text = "通知 2026-01-05 " + "。" * 80 + " 版权所有"
    assert [h.raw for h in dates.scan(text)] == ["2026-01-05"]


def test_url_dates() -> None:
    assert dates.url_date(
        "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200802_1352104.html", FETCHED
    ) == (date(2020, 8, 2), "20200802")
    # Only the path counts, and only real dates not after the fetch.
    assert dates.url_date("http://x.gov.cn/a?d=20200802", FETCHED) is None
    assert dates.url_date("http://x.gov.cn/t20201345_1.html", FETCHED) is None
    assert dates.url_date("http://x.gov.cn/t20991231_1.html", FETCHED) is None
    assert dates.url_date("http://x.gov.cn/art/120200802123.html", FETCHED) is None


def test_parse_when_keeps_the_time() -> None:
    assert dates.parse_when("2020-01-02 09:30", FETCHED) == datetime(2020, 1, 2, 9, 30)
    assert dates.parse_when("2020-01-02 09:30:15", FETCHED) == datetime(2020, 1, 2, 9, 30, 15)
    assert dates.parse_when("2020年1月2日 9时30分", FETCHED) == datetime(2020, 1, 2, 9, 30)
    when = dates.parse_when("2020-01-02", FETCHED)
    assert when == date(2020, 1, 2) and not isinstance(when, datetime)
    assert dates.parse_when("2020-01-02 25:61", FETCHED) == date(2020, 1, 2)  # no valid time
    assert dates.parse_when("无", FETCHED) is None


def test_heading_year() -> None:
    assert dates.heading_year("2018年政府工作报告") == 2018
    assert dates.heading_year("２０１８年统计数据") == 2018
    assert dates.heading_year("第2018号") is None
