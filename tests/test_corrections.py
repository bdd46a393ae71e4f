"""Per-site corrections in the region file (``extract: {list, date, not_columns}``): checked
when the file is loaded, passed by the crawl to extraction, applied by scoring, recorded with
the run (docs/metrics.md, "Per-site corrections")."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date
from pathlib import Path

import pytest

from evalcrawler.config import load_region
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.errors import ConfigError
from evalcrawler.facts import ExtractOptions
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from evalcrawler.spiders.extract import extract_page
from evalcrawler.urls import matches_pattern
from tests.crawling import page, run_region
from tests.webserver import FixtureServer, Reply

HTML = {"content-type": "text/html; charset=utf-8"}
FETCHED = date(2015, 1, 10)


def region_text(extract: str) -> str:
    return (
        "id: t\nname: T\nsites:\n"
        "  - id: a\n    name_zh: 甲\n    level: county\n    url: http://www.a.gov.cn/\n"
        f"    extract:\n{extract}"
    )


@pytest.mark.parametrize(
    ("extract", "message"),
    [
        (
            '      list: "div.news-list li["\n',
            "r.yaml:9: sites[0].extract.list: 'div.news-list li[' is not a CSS selector lxml "
            "can use (Expected ident or '*', got <EOF at 17>); write one such as "
            '"div.news-list li"',
        ),
        (
            '      list: "  "\n',
            "r.yaml:9: sites[0].extract.list: is empty; write the CSS selector of the list rows, "
            'e.g. "ul.list li"',
        ),
        (
            '      date: "%y-%m"\n',
            "r.yaml:9: sites[0].extract.date: '%y-%m' must hold %m and %d (the month and the "
            'day); write the format as strptime does, e.g. "%y-%m-%d"',
        ),
        (
            '      date: "%d %b %Y"\n',
            "r.yaml:9: sites[0].extract.date: '%d %b %Y' uses %b; only %Y, %y, %m, %d, %H, %M "
            'and %S are read; write the format as strptime does, e.g. "%y-%m-%d"',
        ),
        (
            '      not_columns: ["/bsfw/*", "bsfw/*"]\n',
            "r.yaml:9: sites[0].extract.not_columns: 'bsfw/*' is not a URL pattern; write a "
            'path pattern such as "/bsfw/*" or a URL pattern such as '
            '"https://www.example.gov.cn/bsfw/*"',
        ),
        (
            "      lists: div.x li\n",
            "r.yaml:9: sites[0].extract.lists: unknown key; check the spelling against the "
            "documentation; did you mean 'list'?",
        ),
    ],
)
def test_a_bad_correction_is_one_line_naming_file_line_and_key(
    tmp_path: Path, extract: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text(region_text(extract), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_region("r.yaml")
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_corrections_load_and_keep_the_region_files_names(tmp_path: Path) -> None:
    text = region_text(
        '      list: "div.xxgk_list div.item"\n      date: "%d/%m/%Y"\n'
        '      not_columns: ["/bsfw/*", "http://www.a.gov.cn/kong/*"]\n'
    )
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    region = load_region(str(tmp_path / "r.yaml"))
    extract = region.sites[0].extract
    assert extract is not None
    assert extract.dump() == {
        "list": "div.xxgk_list div.item",
        "date": "%d/%m/%Y",
        "not_columns": ["/bsfw/*", "http://www.a.gov.cn/kong/*"],
    }
    assert ExtractOptions.from_config(extract.dump()) == ExtractOptions(
        "div.xxgk_list div.item", "%d/%m/%Y"
    )
    assert ExtractOptions.from_config({"not_columns": ["/x/*"]}) is None


def test_url_patterns() -> None:
    patterns = ["/bsfw/*", "http://www.a.gov.cn/kong/*"]
    assert matches_pattern("http://www.a.gov.cn/bsfw/", patterns) == "/bsfw/*"
    assert matches_pattern("http://www.a.gov.cn/bsfw/a/b.html", patterns) == "/bsfw/*"
    assert matches_pattern("http://www.a.gov.cn/bsfw/list.jsp?id=3", patterns) == "/bsfw/*"
    assert matches_pattern("http://www.a.gov.cn/kong/index.html", patterns) == patterns[1]
    assert matches_pattern("https://www.a.gov.cn/kong/index.html", patterns) is None
    assert matches_pattern("http://www.a.gov.cn/zwgk/bsfw/", patterns) is None


# A list automatic reading does not see: each row is a div with two links (the department and
# the title) and a date written day/month/year.
ROWS = [
    ("财政局", "关于2014年度部门预算公开的通知", "/list/101.html", "17/12/2014"),
    ("教育局", "关于寒假安全工作的通知", "/list/102.html", "16/12/2014"),
    ("卫生局", "冬季传染病防控提示", "/list/103.html", "09/12/2014"),
    ("民政局", "社会救助政策问答", "/list/104.html", "01/12/2014"),
]


def list_page(rows: list[tuple[str, str, str, str]]) -> str:
    body = "".join(
        f'<div class="item"><a href="/dept/{i}.html">[{dept}]</a> '
        f'<a href="{href}">{title}</a> <i>{day}</i></div>'
        for i, (dept, title, href, day) in enumerate(rows)
    )
    return page("信息公开目录", f'<div class="xxgk_list">{body}</div>')


OPTIONS = ExtractOptions(list_selector="div.xxgk_list div.item", date_format="%d/%m/%Y")


def test_automatic_reading_sees_no_list_there_and_the_correction_reads_it() -> None:
    body = list_page(ROWS).encode()
    plain = extract_page("http://www.a.gov.cn/list/", body, HTML, fetched=FETCHED)
    assert plain.items == [] and plain.dated_links == []
    facts = extract_page("http://www.a.gov.cn/list/", body, HTML, fetched=FETCHED, options=OPTIONS)
    assert [(it.title, it.url, it.date, it.raw) for it in facts.items] == [
        (title, f"http://www.a.gov.cn{href}", date(2014, 12, int(day[:2])), day)
        for _dept, title, href, day in ROWS
    ]
    # Each row's department link shares its row's date.
    assert len(facts.dated_links) == 2 * len(ROWS)
    # A date format alone (no selector) is read by automatic reading's rows too.
    rows = "".join(f'<li><a href="{h}">{t}</a> {d}</li>' for _x, t, h, d in ROWS)
    only_date = extract_page(
        "http://www.a.gov.cn/l2/",
        page("列表", f"<ul class='list'>{rows}</ul>").encode(),
        HTML,
        fetched=FETCHED,
        options=ExtractOptions(date_format="%d/%m/%Y"),
    )
    assert [it.date for it in only_date.items] == [
        date(2014, 12, 17),
        date(2014, 12, 16),
        date(2014, 12, 9),
        date(2014, 12, 1),
    ]


def test_a_page_the_selector_finds_nothing_on_is_read_automatically() -> None:
    rows = "".join(f'<li><a href="/n/{i}.html">要闻{i}</a> 2014-12-1{i}</li>' for i in range(5))
    facts = extract_page(
        "http://www.a.gov.cn/news/",
        page("要闻", f"<ul class='list'>{rows}</ul>").encode(),
        HTML,
        fetched=FETCHED,
        options=OPTIONS,
    )
    assert len(facts.items) == 5


# ------------------------------------------------------------------ a crawl with corrections


@pytest.fixture(scope="module")
def corrected_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrections")
    nav = (
        '<div class="nav"><a href="/list/">信息公开目录</a> <a href="/bsfw/">办事服务</a> '
        '<a href="/kong/">公示公告</a></div>'
    )
    guides = "".join(
        f'<li><a href="/bsfw/{i}.html">办事指南{i}</a> 2014-11-2{i}</li>' for i in range(4)
    )
    server = FixtureServer(
        "127.0.0.181",
        {
            "/": Reply(body=page("甲县人民政府", nav)),
            "/list/": Reply(body=list_page(ROWS)),
            "/bsfw/": Reply(body=page("办事服务", f"<ul class='list'>{guides}</ul>")),
            "/kong/": Reply(body=page("公示公告", "<div class='list'></div>")),
        },
        fallback=Reply(body=page("文章", "<p>正文。</p>")),
    ).start()
    monkeypatch = pytest.MonkeyPatch()
    try:
        site = {
            "id": "a",
            "name_zh": "甲县",
            "level": "county",
            "url": server.url,
            "extract": {
                "list": "div.xxgk_list div.item",
                "date": "%d/%m/%Y",
                "not_columns": ["/bsfw/*", "/kong/*"],
            },
        }
        outcome, facts, db = run_region(
            folder, [site], monkeypatch, "127.0.0.0/8", as_of=date(2015, 1, 10)
        )
    finally:
        monkeypatch.undo()
        server.stop()
    with session_scope(make_engine(db)) as session:
        region = store.get_run(session, outcome.run_id).region
    with (folder / "out" / "columns.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return facts["a"], region, rows


def test_the_crawl_reads_the_list_only_the_selector_finds(corrected_crawl) -> None:
    _facts, _region, rows = corrected_crawl
    (column,) = rows
    assert column["url"].endswith("/list/")
    assert (column["column"], column["items"], column["latest"]) == (
        "信息公开目录",
        "4",
        "2014-12-17",
    )
    assert column["reason"] == "its main list holds 4 dated links"


def test_not_columns_keeps_pages_out_of_columns_and_blank_columns(corrected_crawl) -> None:
    facts, _region, rows = corrected_crawl
    assert facts.not_columns == ("/bsfw/*", "/kong/*")
    assert [r["url"].rsplit("/", 2)[-2] for r in rows] == ["list"]
    # The same stored facts without the patterns: /bsfw/ is a column, /kong/ a blank one.
    plain = compute_metrics(
        dataclasses.replace(facts, not_columns=()), Thresholds(), date(2015, 1, 10)
    )
    got = sorted((c.url.rsplit("/", 2)[-2], c.blank) for c in plain.columns)
    assert got == [("bsfw", False), ("kong", True), ("list", False)]


def test_the_run_records_the_corrections_with_its_region(corrected_crawl) -> None:
    _facts, region, _rows = corrected_crawl
    assert region["sites"][0]["extract"] == {
        "list": "div.xxgk_list div.item",
        "date": "%d/%m/%Y",
        "not_columns": ["/bsfw/*", "/kong/*"],
    }
