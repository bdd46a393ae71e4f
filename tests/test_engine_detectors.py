"""Tests of evalcrawler.scoring.detectors: each detector on hand-built facts, with its value,
its evidence and its not-measured cases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from evalcrawler.facts import DatedItem, LinkCheck, PageFacts, SiteFacts
from evalcrawler.facts import Link as L
from evalcrawler.scoring import detectors as detectors_module
from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import (
    Detection,
    DetectorConfig,
    expand_years,
    registered_detectors,
    truthy,
)
from evalcrawler.scoring.results import (
    METRICS,
    ColumnResult,
    Measurement,
    SiteMetrics,
    Thresholds,
)
from evalcrawler.scoring.rubric import parse_rubric
from evalcrawler.scoring.text_detectors import Keywords

AS_OF = date(2026, 11, 20)
H = "https://www.demo.gov.cn"
MINIMAL = (Path(__file__).parent / "rubrics" / "minimal.yaml").read_text(encoding="utf-8")


def measure(yaml_text: str) -> DetectorConfig:
    """Parse one measure the way the rubric loader does (in the minimal rubric's C01)."""
    rubric = parse_rubric(
        MINIMAL.replace("{detector: keywords, keywords: [概况]}", yaml_text), "t.yaml"
    )
    config = rubric.indicator("C01").measure
    assert isinstance(config, DetectorConfig)
    return config


def page(path: str, **kw: Any) -> PageFacts:
    kw.setdefault("final_url", H + path)
    kw.setdefault("status", 200)
    kw.setdefault("is_html", True)
    return PageFacts(url=H + path, **kw)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def ctx(
    pages: list[PageFacts],
    *,
    columns: list[ColumnResult] | None = None,
    checks: list[LinkCheck] | None = None,
    **values: Any,
) -> DetectContext:
    facts = SiteFacts(
        site_id="demo",
        url=H + "/",
        hosts=frozenset({"www.demo.gov.cn"}),
        pages=pages,
        checks=checks or [],
    )
    metrics = SiteMetrics(
        site_id="demo",
        values={m: Measurement(values.get(m), "absent") for m in METRICS},
        columns=columns or [],
    )
    return DetectContext(facts, metrics, Thresholds(), AS_OF)


HOME = page(
    "/",
    is_home=True,
    title="演示市人民政府",
    text="网站标识码1401000001 地址：演示路 电话：0351-7654321",
    links=[
        L(f"{H}/gk/", "政府概况", nav=True),
        L(f"{H}/bs/", "网上办事", nav=True),
        L(f"{H}/xf/", "网上信访"),
        L(f"{H}/wx/", "官方微信"),
        L(f"{H}/app/", "下载App"),
        L(f"{H}/f/a.pdf", "申请表.pdf"),
        L(f"{H}/f/b.doc", "承诺书.doc"),
        L("https://zwfw.sx.gov.cn/", "山西政务服务网"),
    ],
)


def run(config: DetectorConfig, context: DetectContext) -> Detection:
    return context.detect(config)


# ------------------------------------------------------------------------- registry


def test_registry_has_the_detectors_rubrics_need() -> None:
    assert set(registered_detectors()) >= {
        "noop",
        "metric",
        "keywords",
        "regex",
        "dated_items",
        "url_pattern",
        "page_elements",
        "compare",
        "all_of",
        "any_of",
        "count_of",
        "share_of",
        "best_of",
        "ratio",
    }


def test_registering_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        detectors_module.detector("keywords")(Keywords)


def test_noop_is_never_measured() -> None:
    found = run(measure("{detector: noop}"), ctx([HOME]))
    assert found == Detection(None, reason="the noop detector measures nothing")


def test_a_failing_detector_is_not_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: Keywords, context: DetectContext) -> Detection:
        raise KeyError("bad fact")

    monkeypatch.setattr(Keywords, "detect", boom)
    found = run(measure("{detector: keywords, keywords: [概况]}"), ctx([HOME]))
    assert found.value is None and found.reason == "error while detecting: KeyError('bad fact')"


def test_truthy() -> None:
    assert [truthy(v) for v in (True, 1, 0.5, "x")] == [True] * 4
    assert [truthy(v) for v in (False, 0, -1, 0.0, "", None, float("nan"))] == [False] * 7


def test_expand_years() -> None:
    assert expand_years(r"{year}年|{year-1}年度|\d{4}", 2026) == r"2026年|2025年度|\d{4}"


# ------------------------------------------------------------------------- keywords


def test_keywords_in_link_text_with_evidence() -> None:
    found = run(measure("{detector: keywords, keywords: [县情, 概况]}"), ctx([HOME]))
    assert found.value is True
    assert (found.evidence_url, found.evidence_text) == (f"{H}/gk/", "政府概况")


def test_keywords_not_found_says_where_it_looked() -> None:
    found = run(measure("{detector: keywords, keywords: [县情]}"), ctx([HOME]))
    assert found.value is False and found.evidence_url is None
    assert found.reason == "none of 县情 found in links/titles/headings"


def test_keywords_count_share_and_all_with_synonym_groups() -> None:
    text = "{detector: keywords, keywords: [[微信, 公众号], [微博], [APP, 客户端]], value: %s}"
    context = ctx([HOME])
    count = run(measure(text % "count"), context)
    assert count.value == 2  # "App" matches APP: Latin letters ignore case
    assert count.reason == "found 2 of 3: 微信, APP; missing: 微博"
    assert run(measure(text % "share"), context).value == pytest.approx(2 / 3)
    assert run(measure(text % "all"), context).value is False


def test_keywords_exclude() -> None:
    found = run(
        measure("{detector: keywords, keywords: [网上], exclude: [信访], in: [links]}"),
        ctx([HOME]),
    )
    assert found.evidence_text == "网上办事"
    none = run(
        measure("{detector: keywords, keywords: [信访], exclude: [网上], in: [links]}"),
        ctx([HOME]),
    )
    assert none.value is False


def test_keywords_scope_home_and_site() -> None:
    other = page("/gk/", title="县情概况", headings=["县情"], via_text="政府概况")
    context = ctx([HOME, other])
    text = "{detector: keywords, keywords: [县情], in: [headings], scope: %s}"
    assert run(measure(text % "site"), context).value is True
    assert run(measure(text % "home"), context).value is False


def test_keywords_in_text_of_selected_pages_with_snippet() -> None:
    leaders = page("/ld/", title="政府领导", text="张三 县长 主持县政府全面工作，分管财政工作")
    context = ctx([HOME, leaders, page("/x/", title="其他", text="分管")])
    found = run(
        measure("{detector: keywords, keywords: [分管], in: [text], pages: [领导]}"), context
    )
    assert found.value is True and found.evidence_url == f"{H}/ld/"
    assert found.evidence_text == "张三 县长 主持县政府全面工作，分管财政工作"
    assert run(
        measure("{detector: keywords, keywords: [分管], in: [text], pages: [机构]}"), context
    ) == Detection(False, reason="none of 分管 found in text of pages titled 机构")


def test_keywords_target_checks() -> None:
    checks = [LinkCheck(f"{H}/bs/", status=404)]
    context = ctx([HOME], checks=checks)
    text = "{detector: keywords, keywords: [网上办事, 政务服务网], in: [links], target: %s}"
    # not_broken: the checked 404 does not count; the unchecked external link does.
    found = run(measure(text % "not_broken"), context)
    assert found.value is True and found.evidence_url == "https://zwfw.sx.gov.cn/"
    # ok: only targets fetched with 2xx count.
    assert run(measure(text % "ok"), context).value is False
    assert run(measure(text % "any"), context).evidence_url == f"{H}/bs/"


def test_keywords_ok_share() -> None:
    checks = [LinkCheck(f"{H}/bs/", status=200), LinkCheck(f"{H}/gk/", status=500)]
    context = ctx([HOME], checks=checks)
    found = run(
        measure("{detector: keywords, keywords: [网上办事, 概况], in: [links], value: ok_share}"),
        context,
    )
    assert found.value == 0.5
    assert found.reason == f"1 of 2 fetched targets answered 2xx; failed: {H}/gk/ (500)"
    nothing = run(
        measure("{detector: keywords, keywords: [政务服务网], in: [links], value: ok_share}"),
        context,
    )
    assert nothing == Detection(None, reason="no link matching the keywords was fetched or checked")


def test_keywords_without_pages_is_not_measured() -> None:
    assert run(measure("{detector: keywords, keywords: [x]}"), ctx([])) == Detection(
        None, reason="no page of the site was fetched with a 2xx response"
    )
    broken_home = page("/", is_home=True, status=500)
    found = run(measure("{detector: keywords, keywords: [x], scope: home}"), ctx([broken_home]))
    assert found.reason == "the home page was not fetched with a 2xx response"


# ---------------------------------------------------------------------------- regex

WENHAO = "'[一-龥]{0,6}(?P<key>[一-龥]{2}〔20\\d\\d〕\\d+号)'"


def test_regex_counts_distinct_matches_in_a_window() -> None:
    pages = [
        HOME,
        page("/a.html", publish_date=ago(10), text="并政发〔2026〕3号 根据并政发〔2026〕3号"),
        page("/b.html", publish_date=ago(400), text="并政发〔2025〕9号"),
        page("/c.html", text="并政办发〔2026〕5号"),  # no date: skipped in a window
        page(
            "/list/",
            dated_links=[DatedItem("并政函〔2026〕7号 关于…", f"{H}/d.html", ago(5))],
        ),
    ]
    text = "{detector: regex, patterns: [%s], in: [text, items], window_days: 365%s}"
    found = run(measure(text % (WENHAO, "")), ctx(pages))
    assert found.value == 2
    assert found.reason == "2 distinct: 政发〔2026〕3号, 政函〔2026〕7号"
    assert found.evidence_url == f"{H}/a.html"
    counted = run(measure(text % (WENHAO, ", undated: count")), ctx(pages))
    assert counted.value == 3
    no_window = run(measure("{detector: regex, patterns: [" + WENHAO + "]}"), ctx(pages))
    assert no_window.value == 3  # text only (the default), every date


def test_regex_year_placeholders_and_modes() -> None:
    pages = [HOME, page("/r/", title="演示市2025年政府信息公开工作年度报告")]
    text = (
        "{detector: regex, patterns: ['{year-1}年.{0,12}年度报告', '{year}年'], in: [titles], "
        "value: %s}"
    )
    assert run(measure(text % "any"), ctx(pages)).value is True
    assert run(measure(text % "all"), ctx(pages)).value is False
    assert run(measure(text % "share"), ctx(pages)).value == 0.5


# ---------------------------------------------------------------------- dated_items


def column_site() -> tuple[list[PageFacts], list[ColumnResult]]:
    news = [DatedItem(f"要闻{i}", f"{H}/yw/{i}.html", ago(2 + 10 * i)) for i in range(5)]
    more = [DatedItem(f"要闻{i}", f"{H}/yw/{i}.html", ago(2 + 10 * i)) for i in range(5, 8)]
    zx = [DatedItem(f"征集{i}", f"{H}/zj/{i}.html", ago(100 * i + 1)) for i in range(4)]
    pages = [
        HOME,
        page("/yw/", title="要闻", items=news, links=[L(f"{H}/yw/p2.html", "下一页", pager=True)]),
        page("/yw/p2.html", title="要闻", items=more),
        page("/zj/", title="意见征集", items=zx),
        page(
            "/tz/",
            title="通知公告",
            dated_links=[
                DatedItem("关于公开征求意见的公告", f"{H}/tz/1.html", ago(30)),
                DatedItem("征求意见结果反馈", f"{H}/tz/2.html", ago(20)),
            ],
        ),
    ]
    columns = [
        ColumnResult("要闻动态", f"{H}/yw/", "news", 8, ago(2), 2, False, False),
        ColumnResult("意见征集", f"{H}/zj/", "other", 4, ago(1), 1, False, False),
        ColumnResult("空栏目", f"{H}/kong/", "notice", 0, None, None, False, True),
    ]
    return pages, columns


def test_dated_items_newest_age_of_a_kind() -> None:
    pages, columns = column_site()
    found = run(
        measure("{detector: dated_items, kinds: [news], value: newest_age_days}"),
        ctx(pages, columns=columns),
    )
    assert found.value == 2
    assert found.evidence_url == f"{H}/yw/0.html"
    assert found.evidence_text == f"{ago(2).isoformat()} 要闻0"
    assert found.reason == f"newest item {ago(2).isoformat()} in 要闻动态"


def test_dated_items_counts_a_window_with_pager_continuations() -> None:
    pages, columns = column_site()
    context = ctx(pages, columns=columns)
    found = run(measure("{detector: dated_items, kinds: [news], window_days: 60}"), context)
    assert found.value == 6  # ages 2, 12 … 52 over both pages of the column
    every = run(measure("{detector: dated_items, columns: [要闻]}"), context)
    assert every.value == 8


def test_dated_items_columns_or_titles_union_with_exclude() -> None:
    pages, columns = column_site()
    text = (
        "{detector: dated_items, columns: [征集], titles: [征求意见], exclude: [结果], "
        "window_days: 365}"
    )
    found = run(measure(text), ctx(pages, columns=columns))
    # Column items aged 1, 101, 201, 301, plus the notice titled 征求意见 (the 结果 one is out).
    assert found.value == 5
    assert found.reason == "5 item(s) in columns 意见征集"


def test_dated_items_without_a_matching_column() -> None:
    pages, columns = column_site()
    context = ctx(pages, columns=columns)
    assert run(measure("{detector: dated_items, kinds: [policy]}"), context) == Detection(
        0, reason="no matching column was found (kinds policy)"
    )
    newest = run(
        measure("{detector: dated_items, kinds: [notice], value: newest_age_days}"), context
    )
    assert newest == Detection(None, reason="no matching column was found (kinds notice)")


def test_dated_items_any_and_future_dates() -> None:
    pages = [
        HOME,
        page(
            "/x/", dated_links=[DatedItem("结果反馈", f"{H}/x/1.html", AS_OF + timedelta(days=3))]
        ),
    ]
    found = run(measure("{detector: dated_items, titles: [结果], value: any}"), ctx(pages))
    assert found.value is False  # an item dated after the as-of date does not count


# ---------------------------------------------------------------------- url_pattern


def test_url_pattern_links_count_and_ok_share() -> None:
    checks = [LinkCheck(f"{H}/f/a.pdf", status=200), LinkCheck(f"{H}/f/b.doc", status=404)]
    context = ctx([HOME], checks=checks)
    text = r"{detector: url_pattern, patterns: ['(?i)\.(pdf|docx?)$'], value: %s}"
    assert run(measure(text % "count"), context).value == 2
    share = run(measure(text % "ok_share"), context)
    assert share.value == 0.5 and share.evidence_url == f"{H}/f/b.doc"
    assert run(measure(text % "any"), context).evidence_text == "申请表.pdf"


def test_url_pattern_home_and_fetched() -> None:
    context = ctx([HOME, page("/data/a.csv", is_html=False)])
    gov = run(measure(r"{detector: url_pattern, patterns: ['\.gov\.cn/'], in: [home]}"), context)
    assert gov.value is True and gov.evidence_url == f"{H}/"
    csv = run(measure(r"{detector: url_pattern, patterns: ['\.csv$'], in: [fetched]}"), context)
    assert csv.value is True


# -------------------------------------------------------------------- page_elements


def test_page_elements_mean_min_max_and_lists_skipped() -> None:
    full = "事项名称 设定依据 申请条件 办理材料"
    pages = [
        HOME,
        page("/g1/", title="办事指南：A", text=full),
        page("/g2/", title="办事指南：B", text="事项名称 办理依据"),
        page(
            "/g/",
            title="办事指南",
            items=[DatedItem(f"指南{i}", f"{H}/g{i}/", ago(i)) for i in range(3)],
        ),
    ]
    text = (
        "{detector: page_elements, pages: [办事指南], elements: [事项名称, [设定依据, 办理依据], "
        "申请条件, 办理材料], aggregate: %s}"
    )
    mean = run(measure(text % "mean"), ctx(pages))
    assert mean.value == pytest.approx((1 + 0.5) / 2)
    assert mean.evidence_url == f"{H}/g2/"
    assert mean.reason == f"2 page(s); missing on {H}/g2/: 申请条件, 办理材料"
    assert run(measure(text % "min"), ctx(pages)).value == 0.5
    assert run(measure(text % "max"), ctx(pages)).value == 1.0
    none = run(measure(text % "mean"), ctx([HOME]))
    assert none == Detection(None, reason="no page titled 办事指南 was fetched")


# ------------------------------------------------------------------ metric and combinators


def test_metric_and_per() -> None:
    context = ctx([HOME], home_probe_failures=1, home_probes=5, broken_ratio=None)
    assert run(measure("{detector: metric, metric: home_probes}"), context).value == 5
    share = run(
        measure("{detector: metric, metric: home_probe_failures, per: home_probes}"), context
    )
    assert share.value == 0.2
    assert run(measure("{detector: metric, metric: broken_ratio}"), context) == Detection(
        None, reason="broken_ratio: absent"
    )
    zero = ctx([HOME], home_probe_failures=0, home_probes=0)
    found = run(measure("{detector: metric, metric: home_probe_failures, per: home_probes}"), zero)
    assert found == Detection(None, reason="home_probes is 0: the share is undefined")


def test_compare() -> None:
    context = ctx([HOME], img_alt_ratio=0.95)
    text = "{detector: compare, measure: {detector: metric, metric: img_alt_ratio}, %s}"
    assert run(measure(text % "at_least: 0.9"), context).value is True
    assert run(measure(text % "below: 0.9"), context).value is False
    assert run(measure(text % "is: 0.95"), context).value is True


def test_combinators() -> None:
    context = ctx([HOME], search_works=None, search_form=True, https=False)
    parts = (
        "[{detector: metric, metric: search_works}, {detector: metric, metric: search_form}, "
        "{detector: metric, metric: https}]"
    )
    values = {
        name: run(measure(f"{{detector: {name}, of: {parts}}}"), context).value
        for name in ("all_of", "any_of", "count_of", "share_of", "best_of")
    }
    assert values == {
        "all_of": False,
        "any_of": True,
        "count_of": 1,
        "share_of": pytest.approx(1 / 3),
        "best_of": 2,
    }
    found = run(measure(f"{{detector: count_of, of: {parts}}}"), context)
    assert found.reason == "parts 1: n/a, 2: yes, 3: no"
    nulls = ctx([HOME])
    both = run(measure("{detector: any_of, of: [{detector: noop}, {detector: noop}]}"), nulls)
    assert both.value is None


def test_ratio() -> None:
    context = ctx([HOME], board_replied=3, board_threads=4, links_checked=0)
    text = (
        "{detector: ratio, numerator: {detector: metric, metric: board_replied}, "
        "denominator: {detector: metric, metric: %s}}"
    )
    found = run(measure(text % "board_threads"), context)
    assert found.value == 0.75 and found.reason == "3 / 4"
    assert run(measure(text % "links_checked"), context) == Detection(
        None, reason="the denominator is 0, so the ratio is undefined"
    )
    assert run(measure(text % "pages"), context).reason == "denominator: pages: absent"


def test_crawl_keywords_of_nested_measures() -> None:
    config = measure(
        "{detector: best_of, of: ["
        "{detector: keywords, keywords: [[微信, 公众号]], pages: [新媒体]}, "
        "{detector: dated_items, columns: [访谈], titles: [在线访谈]}, "
        "{detector: page_elements, pages: [办事指南], elements: [事项名称]}]}"
    )
    assert config.crawl_keywords() == ["微信", "公众号", "新媒体", "访谈", "在线访谈", "办事指南"]


def test_page_elements_skips_an_index_of_guides() -> None:
    index = page(
        "/bszn/",
        title="办事指南",
        text="联系电话",
        links=[L(f"{H}/g1/", "身份证办理指南"), L(f"{H}/g2/", "户口迁移指南")],
    )
    pages = [
        HOME,
        index,
        page("/g1/", title="办事指南：身份证", text="事项名称 设定依据"),
        page("/g2/", title="办事指南：户口", text="事项名称"),
    ]
    text = "{detector: page_elements, pages: [办事指南], elements: [事项名称, 设定依据]%s}"
    assert run(measure(text % ""), ctx(pages)).value == pytest.approx(0.75)
    assert run(measure(text % ", skip_lists: false"), ctx(pages)).value == pytest.approx(0.5)


def test_page_elements_ignores_template_text_of_every_page() -> None:
    footer = " 主办单位：演示市政府 联系电话：0351-7654321"
    home = page("/", is_home=True, text="首页" + footer)
    guide = page("/g1/", title="办事指南：身份证", text="事项名称 身份证" + footer)
    full = page("/g2/", title="办事指南：户口", text="事项名称 户口 联系电话 0351-1" + footer)
    text = "{detector: page_elements, pages: [办事指南], elements: [事项名称, 联系电话]%s}"
    found = run(measure(text % ""), ctx([home, guide, full]))
    assert found.value == pytest.approx((0.5 + 1.0) / 2)
    assert found.reason == f"2 page(s); missing on {H}/g1/: 联系电话"
    assert run(measure(text % ", skip_template: false"), ctx([home, guide, full])).value == 1.0


def test_page_elements_a_navigation_menu_of_guides_makes_no_index() -> None:
    """Every page carries the site's menu, which links two guides: the guides are still
    guides (scored), not indexes of each other; a page linking them from its content is."""
    menu = [L(f"{H}/g1/", "身份证办理指南", nav=True), L(f"{H}/g2/", "户口迁移指南", nav=True)]
    pages = [
        HOME,
        page("/g1/", title="办事指南：身份证", text="事项名称 设定依据", links=menu),
        page("/g2/", title="办事指南：户口", text="事项名称", links=menu),
        page("/g3/", title="办事指南：社保", text="设定依据", links=menu),
    ]
    text = "{detector: page_elements, pages: [办事指南], elements: [事项名称, 设定依据]}"
    found = run(measure(text), ctx(pages))
    assert found.value == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert found.reason.startswith("3 page(s); ")
