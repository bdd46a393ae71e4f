"""`evalcrawl explain`: what extraction and the metrics saw on one stored page of a run."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from evalcrawler.cli import main
from evalcrawler.db import make_engine
from evalcrawler.errors import ConfigError
from evalcrawler.explain import explain


def demo_url(demo_crawl, site_address: str, path: str) -> str:
    port = re.search(r":(\d+)/", demo_crawl.region_file.read_text()).group(1)
    return f"http://{site_address}:{port}{path}"


def test_a_column_page_row_by_row(demo_crawl):
    url = demo_url(demo_crawl, "127.0.0.11", "/xwzx/zwdt/")
    text = explain(make_engine(demo_crawl.db_url), demo_crawl.run_id, url).text()
    assert text.startswith(
        f"{url}  (site shifan, run {demo_crawl.run_id}, rubric gov2013, as of 2026-11-20)"
    )
    assert "  reached through a navigation link '政务动态' on" in text
    assert "  main list: 6 rows, 6 with a date; newest 2026-11-19\n" in text
    assert "    2026-11-19  示范市人民政府召开乡村振兴工作推进会  → " in text
    assert "  the page alone: column — its main list holds 6 dated links\n" in text
    assert (
        "  in the site: the column page of column '政务动态' (news): 15 items, newest 2026-11-19, "
        "1 day old: not stale\n"
    ) in text
    assert re.search(r"evidence record: demo-2026-run\d+-\d+\.warc\.gz#\d+", text)


def test_a_blank_column_says_why_and_which_indicator_cites_it(demo_crawl):
    url = demo_url(demo_crawl, "127.0.0.15", "/zcjd/index.html")
    text = explain(make_engine(demo_crawl.db_url), demo_crawl.run_id, url).text()
    assert "  the page alone: blank — the page shows 暂无信息 where its list should be\n" in text
    assert (
        "  in the site: blank column '政策解读' (policy): the page shows 暂无信息 where its list "
        "should be; reached through a navigation link\n"
    ) in text
    assert "  T08 空白栏目 (function): 0.75/1, scored" in text


def test_a_service_guide_is_neither(demo_crawl):
    url = demo_url(demo_crawl, "127.0.0.11", "/zwfw/guide2/")
    text = explain(make_engine(demo_crawl.db_url), demo_crawl.run_id, url).text()
    assert "  publish date: none found\n" in text
    # The demo's guide table of ten elements; 办理时间 and 联系电话 are no guide labels (letters
    # and contact boxes show them too).
    labels = "事项名称、设定依据、申请条件、办理材料、办理地点、办理机构、收费标准、办理流程"
    assert f"  service-guide labels with a value: {labels}\n" in text
    assert (
        "  the page alone: other — the page is a service guide (8 labelled fields: "
        "事项名称、设定依据、申请条件、办理材料 …): a guide is never a column nor a blank column\n"
    ) in text
    assert "  in the site: neither a column nor a blank column\n" in text


def test_letters_on_a_board_page(demo_crawl):
    url = demo_url(demo_crawl, "127.0.0.11", "/hdjl/szxx/index_1.html")
    text = explain(make_engine(demo_crawl.db_url), demo_crawl.run_id, url).text()
    assert (
        "  letters: 8\n    asked 2026-07-08, replied 2026-07-14, replied: 反映商铺油烟污染\n"
        in text
    )
    assert "  in the site: a pager continuation of column '市长信箱'" in text


def test_pages_the_run_does_not_hold(demo_crawl):
    engine = make_engine(demo_crawl.db_url)
    missing = demo_url(demo_crawl, "127.0.0.11", "/no-such-page.html")
    with pytest.raises(ConfigError) as error:
        explain(engine, demo_crawl.run_id, missing)
    assert str(error.value) == (
        f"run {demo_crawl.run_id} holds no page {missing} of site shifan: the crawl did not "
        "fetch it (it may lie beyond the page budget); give a URL the crawl fetched, such as "
        "those in columns.csv and the report's evidence links"
    )
    with pytest.raises(ConfigError) as error:
        explain(engine, demo_crawl.run_id, "http://www.example.gov.cn/")
    assert str(error.value) == (
        f"no site of run {demo_crawl.run_id} is on 'www.example.gov.cn' (its sites: shifan, "
        "jiaqu, yiqu, jishi, bingxian, dingxian, wuxian); give a URL of one of them"
    )


def test_the_cli_prints_it_and_fails_in_one_line(demo_crawl):
    url = demo_url(demo_crawl, "127.0.0.15", "/zcjd/index.html")
    args = ["explain", "--run", str(demo_crawl.run_id), "--db", demo_crawl.db_url]
    ok = CliRunner().invoke(main, [*args, url])
    assert ok.exit_code == 0, ok.output
    assert "Rules:\n  the page alone: blank" in ok.output
    bad = CliRunner().invoke(main, [*args, "http://www.example.gov.cn/"])
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: no site of run")
    assert len(bad.output.strip().splitlines()) == 1
