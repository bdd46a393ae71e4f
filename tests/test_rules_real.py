"""The list, date and blank-column rules on real pages (docs/metrics.md), page by page.

Each test reads a page of the labelled real corpus (tests/fixtures/real/corpus, provenance in
its SOURCES-*.md files) and checks what extraction and the page rules make of it against the
page's hand-written label, or against a value read off the page and named in the test.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from evalcrawler.facts import PageFacts
from evalcrawler.scoring.pages import COLUMN, page_verdict
from evalcrawler.scoring.results import Thresholds
from tests.realcorpus import CORPUS, extract


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


def test_boxes_of_a_portal_headed_by_links_are_separate_lists() -> None:
    # gov.cn 公文公报: the right-hand cell holds three tables of rows (5, 10 and 8 rows), each
    # after a heading table that links to its column (中央有关文件 >>, 政府公报 >>, 政府白皮书 >>).
    # They are three lists; the main list is the longest, 政府公报's ten rows.
    _label, facts = corpus_page("www.gov.cn/portal-gwgb-2014.html")
    assert len(facts.items) == 10
    assert facts.items[0].title == "中华人民共和国国务院公报（2014年第6号）"
    assert facts.items[-1].title == "云南省人民政府公报（2013年第23期）"


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
    # under one heading; it is the page's longest list (the other boxes hold 6 or 5 + 5).
    _label, facts = corpus_page("www.gov.cn/portal-xwfb-2014.html")
    assert len(facts.items) == 10
    assert facts.items[0].title == "外交部10月17日例行记者会"
    assert str(newest(facts)) == "2014-10-17"
