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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14-12-17", date(2014, 12, 17)),
        ("[14-12-17]", date(2014, 12, 17)),
        ("(14-12-17)", date(2014, 12, 17)),
        ("14/12/17", date(2014, 12, 17)),
        ("98-05-12", date(1998, 5, 12)),
        ("09-01-05 10:30", date(2009, 1, 5)),
    ],
)
def test_two_digit_years(text: str, expected: date) -> None:
    assert dates.parse_date(text, FETCHED) == expected


@pytest.mark.parametrize(
    "text",
    [
        "14-10-2018",  # day-month-year: the year's digits go on
        "0351-12-34",  # a phone number
        "14-12/17",  # two separators
        "14.12.17",  # a version number
        "14-13-01",  # no month 13
        "V1-12-17a",
        "苏政发14-12-17号",
    ],
)
def test_not_two_digit_years(text: str) -> None:
    assert dates.parse_date(text, FETCHED) is None


def test_a_two_digit_year_is_the_items_date_in_a_list() -> None:
    from evalcrawler.spiders.extract import extract_page

    rows = "".join(
        f"<li><a href='/zwdt/{i}.html'>政务动态第{i}条</a><span>[14-12-{i:02d}]</span></li>"
        for i in range(17, 14, -1)
    )
    facts = extract_page(
        "http://x.gov.cn/zwdt/",
        f"<html><body><ul class='list'>{rows}</ul></body></html>".encode(),
        {"content-type": "text/html; charset=utf-8"},
        fetched=date(2015, 1, 10),
    )
    assert [(it.date, it.raw) for it in facts.items] == [
        (date(2014, 12, 17), "14-12-17"),
        (date(2014, 12, 16), "14-12-16"),
        (date(2014, 12, 15), "14-12-15"),
    ]


def test_url_year_of_a_month_day() -> None:
    # gov.cn 公文公报: (10-22) beside ../jrzg/2013-10/22/content_2511940.htm is 2013-10-22.
    assert dates.url_year("http://www.gov.cn/jrzg/2013-10/22/content_2511940.htm", 10, 22) == 2013
    assert dates.url_year("http://x.gov.cn/zwgk/201406/t20140619_1.html", 6, 19) == 2014
    assert dates.url_year("http://x.gov.cn/html/20171220144159170.html", 12, 20) == 2017
    assert dates.url_year("http://sdgb.shandong.gov.cn/art/2014/1/28/art_4579.html", 1, 28) == 2014
    # Another month or day in the URL is another date: no year from it.
    assert dates.url_year("http://www.gov.cn/jrzg/2012-12/26/content_2299538.htm", 1, 4) is None
    assert dates.url_year("http://x.gov.cn/a?d=20140619", 6, 19) is None
