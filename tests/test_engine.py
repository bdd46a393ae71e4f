"""Tests of evalcrawler.scoring.engine on hand-built facts and metrics: per-level rescaling,
vetoes, not-measured and manual indicators, the manual-scores CSV, ranking."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from evalcrawler.errors import ConfigError
from evalcrawler.facts import DatedItem, Link, PageFacts, Probe, SiteFacts
from evalcrawler.scoring.engine import load_manual_scores, rank_results, score_site, score_sites
from evalcrawler.scoring.results import METRICS, Measurement, SiteMetrics, SiteResult
from evalcrawler.scoring.rubric import Rubric, load_rubric, parse_rubric

AS_OF = date(2026, 11, 20)

RUBRIC = """
id: engine-test
title: Engine test rubric
version: "1"
categories:
  content: {name_zh: 内容, points: 50}
  function: {name_zh: 功能, points: 30}
  feedback: {name_zh: 回应, points: 20}
vetoes:
  - id: V1
    name_zh: 首页不更新
    when: {metric: home_age_days, above: 14, if_null: veto}
  - id: V2
    name_zh: 空白栏目
    when: {metric: columns_blank, at_least: 5}
  - id: V3
    name_zh: 无搜索
    all:
      - {indicator: F1, is: false}
      - {metric: search_form, is: false}
  - id: V9
    name_zh: 严重错误
    manual: true
indicators:
  - id: C1
    category: content
    name_zh: 发布日期
    points: 30
    measure: {detector: metric, metric: dated_share}
    rule: {type: ratio}
  - id: C2
    category: content
    name_zh: 页面数量
    points: 20
    levels: [municipal]
    measure: {detector: metric, metric: pages}
    rule: {type: steps, steps: [{at_least: 100, points: 20}, {at_least: 10, points: 10}]}
  - id: F1
    category: function
    name_zh: 站内搜索
    points: 20
    measure: {detector: metric, metric: search_works}
    rule: {type: presence}
  - id: F2
    category: function
    name_zh: 全程网办
    points: 10
    manual: true
    description: A person applies for a service online.
  - id: B1
    category: feedback
    name_zh: 答复率
    points: 20
    measure: {detector: metric, metric: board_reply_rate}
    rule: {type: ratio}
"""

PERFECT = {
    "dated_share": 1.0,
    "pages": 200,
    "search_works": True,
    "search_form": True,
    "board_reply_rate": 1.0,
    "home_age_days": 0,
    "columns_blank": 0,
}


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return parse_rubric(RUBRIC, "engine-test.yaml")


def facts(site_id: str = "s", level: str = "county", status: str = "measured") -> SiteFacts:
    home = PageFacts(
        url=f"https://{site_id}.gov.cn/",
        final_url=f"https://{site_id}.gov.cn/",
        status=200,
        is_html=True,
        is_home=True,
    )
    return SiteFacts(
        site_id=site_id,
        url=f"https://{site_id}.gov.cn/",
        level=level,
        status=status,
        hosts=frozenset({f"{site_id}.gov.cn"}),
        pages=[home] if status != "unreachable" else [],
    )


def metrics(site_id: str = "s", **values: Any) -> SiteMetrics:
    data = {**PERFECT, **values}
    return SiteMetrics(
        site_id=site_id,
        values={
            m: Measurement(data.get(m), None if data.get(m) is not None else "not in this test")
            for m in METRICS
        },
    )


def score(
    rubric: Rubric, *, level: str = "county", manual: Any = None, **values: Any
) -> SiteResult:
    return score_site(rubric, facts(level=level), metrics(**values), AS_OF, manual)


def ind(result: SiteResult, indicator_id: str) -> Any:
    return next(i for i in result.indicators if i.indicator_id == indicator_id)


# ----------------------------------------------------------------------- levels


def test_perfect_county_and_municipal_sites_both_score_100(rubric: Rubric) -> None:
    county = score(rubric, level="county")
    municipal = score(rubric, level="municipal")
    assert county.total == municipal.total == 100
    assert county.categories == {"content": 100, "function": 100, "feedback": 100}
    assert municipal.categories == county.categories
    # The municipal-only indicator is left out for the county, not scored 0.
    assert [i.indicator_id for i in county.indicators] == ["C1", "F1", "F2", "B1"]
    assert [i.indicator_id for i in municipal.indicators] == ["C1", "C2", "F1", "F2", "B1"]
    assert county.veto is False and county.veto_reasons == []
    assert county.status == "measured" and county.level == "county"


def test_category_is_share_of_applicable_points(rubric: Rubric) -> None:
    county = score(rubric, level="county", dated_share=0.5)
    # content: 15 of 30 applicable points (C2 does not apply) = 50.
    assert county.categories["content"] == 50
    assert county.total == pytest.approx((50 * 50 + 100 * 30 + 100 * 20) / 100)
    municipal = score(rubric, level="municipal", dated_share=0.5, pages=50)
    # content: (15 + 10) of 50 = 50 as well.
    assert municipal.categories["content"] == 50
    c2 = ind(municipal, "C2")
    assert (c2.value, c2.score, c2.max_score, c2.status) == (50, 10, 20, "scored")


# ----------------------------------------------------------------------- vetoes


def test_veto_caps_total_and_keeps_categories(rubric: Rubric) -> None:
    result = score(rubric, home_age_days=30)
    assert result.veto is True
    assert result.veto_reasons == ["V1 首页不更新: home_age_days = 30 (above 14)"]
    assert result.total == 59
    assert result.categories == {"content": 100, "function": 100, "feedback": 100}


def test_veto_cap_leaves_a_low_total_alone(rubric: Rubric) -> None:
    result = score(rubric, home_age_days=30, dated_share=0.0, board_reply_rate=0.0)
    assert result.veto and result.total == 30  # function only: 100 × 30 / 100


def test_null_metric_follows_the_stated_treatment(rubric: Rubric) -> None:
    # if_null: veto — an undated home page counts as not updated.
    result = score(rubric, home_age_days=None)
    assert result.veto_reasons == [
        "V1 首页不更新: home_age_days not measured (not in this test; counts as failed)"
    ]
    # if_null: pass (the default) — a null blank-column count is no evidence.
    assert score(rubric, columns_blank=None).veto is False


def test_all_conditions_veto(rubric: Rubric) -> None:
    assert score(rubric, search_works=False).veto is False
    result = score(rubric, search_works=False, search_form=False)
    assert result.veto_reasons == [
        "V3 无搜索: F1 = false (is false); search_form = false (is false)"
    ]


def test_several_vetoes_are_all_reported(rubric: Rubric) -> None:
    result = score(rubric, home_age_days=15, columns_blank=7)
    assert [r.split(":")[0] for r in result.veto_reasons] == ["V1 首页不更新", "V2 空白栏目"]


def test_pass_mark_flags_a_low_total_without_changing_it() -> None:
    text = RUBRIC.replace('version: "1"', 'version: "1"\nverdict: {pass_mark: 60}')
    rubric = parse_rubric(text, "t.yaml")
    result = score(rubric, dated_share=0.0, board_reply_rate=0.5)
    assert result.total == 40  # function 100 × 30 + feedback 50 × 20, over 100
    assert result.veto is True
    assert result.veto_reasons == ["pass mark: total 40.00 is below 60 (不合格)"]
    assert score(rubric).veto is False


def test_no_cap_when_the_rubric_says_so() -> None:
    text = RUBRIC.replace('version: "1"', 'version: "1"\nverdict: {veto_cap: null}')
    result = score(parse_rubric(text, "t.yaml"), home_age_days=30)
    assert result.veto and result.total == 100


# --------------------------------------------------------- not measured and manual


def test_not_measured_earns_nothing_and_says_why(rubric: Rubric) -> None:
    result = score(rubric, board_reply_rate=None)
    b1 = ind(result, "B1")
    assert b1.status == "not_measured"
    assert b1.score is None and b1.value is None and b1.max_score == 20
    assert b1.note == "board_reply_rate: not in this test"
    # It stays in the available points: the category is 0, not missing.
    assert result.categories["feedback"] == 0
    assert result.total == 80


def test_manual_indicator_is_shown_and_left_out(rubric: Rubric) -> None:
    result = score(rubric)
    f2 = ind(result, "F2")
    assert (f2.status, f2.score, f2.value) == ("manual", None, None)
    assert f2.note == "needs a person: A person applies for a service online."
    assert result.categories["function"] == 100  # F1's 20 of 20 available points


def test_manual_scores_fill_manual_indicators(rubric: Rubric) -> None:
    result = score(rubric, manual={("s", "F2"): 5.0, ("other", "F2"): 10.0})
    f2 = ind(result, "F2")
    assert (f2.status, f2.score, f2.value) == ("scored", 5.0, 5.0)
    assert f2.note == "scored by a person (manual-scores CSV)"
    assert result.categories["function"] == pytest.approx(25 / 30 * 100, abs=0.01)


def test_manual_veto(rubric: Rubric) -> None:
    result = score(rubric, manual={("s", "V9"): 1.0})
    assert result.veto_reasons == ["V9 严重错误: found by a person (manual-scores CSV)"]
    assert result.total == 59
    assert score(rubric, manual={("s", "V9"): 0.0}).veto is False


def test_non_numeric_value_is_not_measured() -> None:
    text = RUBRIC.replace("metric: dated_share}", "metric: home_latest}")
    result = score(parse_rubric(text, "t.yaml"), home_latest="2026-11-19")
    c1 = ind(result, "C1")
    assert c1.status == "not_measured" and c1.value == "2026-11-19"
    assert c1.note == "the value '2026-11-19' is not a number the ratio rule can use"


# -------------------------------------------------------------------- unreachable


def test_unreachable_site_has_no_total_and_no_rank(rubric: Rubric) -> None:
    down = SiteFacts("down", "https://down.gov.cn/", status="unreachable", reason="DNS failure")
    result = score_site(rubric, down, SiteMetrics("down", {}), AS_OF)
    assert result.total is None and result.rank is None
    assert result.categories == {"content": None, "function": None, "feedback": None}
    assert result.veto is False
    statuses = {i.indicator_id: (i.status, i.note) for i in result.indicators}
    assert statuses["C1"] == ("not_measured", "site unreachable: DNS failure")
    assert statuses["F2"][0] == "manual"


# ------------------------------------------------------------------------ ranking


def result(site_id: str, total: float | None, status: str = "measured") -> SiteResult:
    return SiteResult(site_id=site_id, level="county", status=status, total=total, categories={})


def test_ranking_with_ties_and_unreachable_sites() -> None:
    results = [
        result("d", 70),
        result("x", None, "unreachable"),
        result("b", 80),
        result("a", 90),
        result("c", 80, "partial"),
    ]
    ranked = rank_results(results)
    assert [(r.site_id, r.rank) for r in ranked] == [
        ("a", 1),
        ("b", 2),
        ("c", 2),
        ("d", 4),
        ("x", None),
    ]


def test_ranking_all_tied() -> None:
    ranked = rank_results([result("a", 50), result("b", 50), result("c", 50)])
    assert [r.rank for r in ranked] == [1, 1, 1]


def test_score_sites_ranks(rubric: Rubric, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalcrawler.scoring import metrics as metrics_module

    values = {"a": {"dated_share": 0.2}, "b": {}, "c": {"dated_share": 0.2}}

    def fake(f: SiteFacts, thresholds: Any, as_of: date) -> SiteMetrics:
        assert thresholds == rubric.thresholds and as_of == AS_OF
        return metrics(f.site_id, **values.get(f.site_id, {}))

    monkeypatch.setattr(metrics_module, "compute_metrics", fake)
    sites = [facts("a"), facts("b"), facts("c"), facts("z", status="unreachable")]
    ranked = score_sites(rubric, sites, AS_OF)
    assert [(r.site_id, r.rank) for r in ranked] == [("b", 1), ("a", 2), ("c", 2), ("z", None)]


# ---------------------------------------------------------------- gov2013 end to end


H = "https://www.demo.gov.cn"


def page(path: str, **kw: Any) -> PageFacts:
    kw.setdefault("final_url", H + path)
    return PageFacts(url=H + path, status=200, is_html=True, **kw)


def demo_site(level: str = "county", home_days_old: int = 1) -> SiteFacts:
    news = [
        DatedItem(f"要闻{i}", f"{H}/yw/{i}.html", AS_OF - timedelta(days=home_days_old + i))
        for i in range(4)
    ]
    home = page(
        "/",
        is_home=True,
        title="演示县人民政府",
        lang="zh-CN",
        viewport="width=device-width, initial-scale=1",
        text="地址：演示路1号 电话：0351-1234567 邮箱：web@demo.gov.cn 网站标识码1401000001",
        links=[
            Link(f"{H}/yw/", "要闻动态", nav=True),
            Link(f"{H}/bs/", "网上办事", nav=True),
            Link(f"{H}/xx/", "县长信箱", nav=True),
        ],
        dated_links=news[:3],
    )
    column = page("/yw/", title="要闻动态", items=news, dated_links=news, via_nav=True)
    articles = [
        page(f"/yw/{i}.html", title=f"要闻{i}", publish_date=n.date) for i, n in enumerate(news)
    ]
    return SiteFacts(
        site_id="demo",
        url=f"{H}/",
        level=level,
        hosts=frozenset({"www.demo.gov.cn"}),
        pages=[home, column, *articles],
        probes=[Probe("home", f"{H}/", status=200, elapsed_ms=200.0, seq=i) for i in range(5)],
    )


def test_gov2013_scores_a_small_site_end_to_end() -> None:
    rubric = load_rubric("gov2013")
    (fresh,) = score_sites(rubric, [demo_site()], AS_OF)
    assert fresh.status == "measured" and fresh.rank == 1
    assert fresh.veto is False, fresh.veto_reasons
    assert fresh.total is not None and 0 < fresh.total < 100
    by_id = {i.indicator_id: i for i in fresh.indicators}
    assert by_id["C04"].status == "scored" and by_id["C04"].score == 4  # newest item 1 day old
    assert by_id["C04"].evidence_url == f"{H}/yw/0.html"
    assert by_id["F01"].score == 3 and by_id["F01"].evidence_text == "网上办事"
    assert by_id["I01"].score == 3
    assert "F07" not in by_id and "I06" not in by_id  # municipal only
    assert by_id["B06"].status == "manual"  # no board, no reply text: back to a person
    # Every indicator of the county's applicable set is reported, none hidden.
    assert len(fresh.indicators) == len(rubric.applicable("county"))

    (stale,) = score_sites(rubric, [demo_site(home_days_old=20)], AS_OF)
    assert stale.veto is True and stale.total is not None and stale.total <= 59
    assert stale.veto_reasons[0].startswith("V2 首页不更新: home_age_days = 20 (above 14)")


# ----------------------------------------------------------------- manual-scores CSV


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manual.csv"
    path.write_text(text, encoding="utf-8-sig")  # as Excel saves it, with a BOM
    return path


def test_load_manual_scores(tmp_path: Path, rubric: Rubric) -> None:
    path = write(
        tmp_path,
        "site_id,indicator_id,score,note\ns,F2,7.5,applied online\nt,F2,0,\n\ns,V9,1,typo\n",
    )
    assert load_manual_scores(path, rubric) == {
        ("s", "F2"): 7.5,
        ("t", "F2"): 0.0,
        ("s", "V9"): 1.0,
    }
    # Without a rubric only the format is checked.
    assert load_manual_scores(path) == {("s", "F2"): 7.5, ("t", "F2"): 0.0, ("s", "V9"): 1.0}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("s,X9,1", "3: indicator_id: unknown id 'X9' in rubric engine-test; manual ids: F2, V9"),
        ("s,F2,11", "3: score: 11 is more than the 10 points of F2"),
        ("s,F2,-1", "3: score: -1 is negative; scores run from 0 to the indicator's points"),
        ("s,F2,abc", "3: score: 'abc' is not a number"),
        ("s,F2,", "3: score: '' is not a number"),
        (",F2,1", "3: site_id: empty; give the site id of the region file"),
        (
            "s,C1,1",
            "3: indicator_id: C1 is measured automatically; the CSV fills only manual "
            "indicators (manual: true or manual_override: true) and manual vetoes of rubric "
            "engine-test",
        ),
        (
            "s,V1,1",
            "3: indicator_id: veto V1 is decided automatically; the CSV sets only manual vetoes",
        ),
        ("s,V9,0.5", "3: score: 0.5: a manual veto takes 1 (vetoed) or 0 (not vetoed)"),
        ("s,F2,1", "3: indicator_id: a second score for s/F2 (first on line 2)"),
    ],
)
def test_manual_scores_errors(tmp_path: Path, rubric: Rubric, body: str, expected: str) -> None:
    path = write(tmp_path, f"site_id,indicator_id,score\ns,F2,2\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_manual_scores(path, rubric)
    assert info.value.message == f"{path}:{expected}"


def test_manual_scores_header_and_file_errors(tmp_path: Path, rubric: Rubric) -> None:
    path = write(tmp_path, "site,indicator_id,points\ns,F2,1\n")
    with pytest.raises(ConfigError) as info:
        load_manual_scores(path, rubric)
    assert info.value.message == (
        f"{path}:1: header: missing column site_id, score; the header must name "
        "site_id,indicator_id,score"
    )
    missing = tmp_path / "none.csv"
    with pytest.raises(ConfigError) as info:
        load_manual_scores(missing)
    assert info.value.message == f"{missing}: no such file; check the path"
    empty = write(tmp_path, "")
    with pytest.raises(ConfigError) as info:
        load_manual_scores(empty)
    assert (
        info.value.message
        == f"{empty}:1: the file is empty; the header is site_id,indicator_id,score"
    )


def test_manual_scores_line_numbers_follow_quoted_newlines(tmp_path: Path, rubric: Rubric) -> None:
    path = write(tmp_path, 'site_id,indicator_id,score,note\nt,F2,1,"two\nlines"\ns,F2,x,\n')
    with pytest.raises(ConfigError) as info:
        load_manual_scores(path, rubric)
    assert info.value.message == f"{path}:4: score: 'x' is not a number"
