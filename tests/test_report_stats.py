"""The statistics of the reports against values worked out by hand on small cases."""

from __future__ import annotations

import math
from datetime import date

import pytest

from evalcrawler.reports import ranking
from evalcrawler.reports.cells import round_half_up
from evalcrawler.reports.data import report_data_from_results
from evalcrawler.reports.findings import site_findings, unchecked
from evalcrawler.reports.regional import COUNTIES, COUNTY_LEVEL, lookup, regional_table
from evalcrawler.reports.statistics import describe, gap, gini, theil, theil_decomposition
from evalcrawler.scoring.results import IndicatorResult, SiteResult

try:
    from tests.test_report_fixture import build_db
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import build_db

from evalcrawler.reports.data import load_report_data

approx = pytest.approx


# --- Gini ----------------------------------------------------------------------------------


def test_gini_of_one_two_three_four() -> None:
    # Ordered pairs |xi − xj|: 1,2,3 / 1,1,2 / 2,1,1 / 3,2,1 → Σ = 20; n = 4, μ = 2.5.
    # G = 20 / (2 · 16 · 2.5) = 20 / 80 = 0.25
    assert gini([1, 2, 3, 4]) == approx(0.25)
    assert gini([4, 3, 2, 1]) == approx(0.25)  # order does not matter


def test_gini_extremes() -> None:
    # All points on one of four sites: Σ|xi − xj| = 6 pairs × 10 = 60; μ = 2.5.
    # G = 60 / (2 · 16 · 2.5) = 0.75 = (n − 1) / n, the largest possible for n = 4.
    assert gini([0, 0, 0, 10]) == approx(0.75)
    assert gini([70, 70, 70]) == 0.0
    assert gini([0, 0]) == 0.0  # all equal, even at zero: no inequality
    assert gini([55]) == 0.0
    assert gini([]) is None


# --- Theil ---------------------------------------------------------------------------------


def test_theil_of_one_two_three_four() -> None:
    # μ = 2.5; x/μ = 0.4, 0.8, 1.2, 1.6
    # ln 0.4 = −0.916291, ln 0.8 = −0.223144, ln 1.2 = 0.182322, ln 1.6 = 0.470004
    # T = (0.4·−0.916291 + 0.8·−0.223144 + 1.2·0.182322 + 1.6·0.470004) / 4
    #   = (−0.366516 − 0.178515 + 0.218786 + 0.752006) / 4 = 0.425761 / 4 = 0.106440
    assert theil([1, 2, 3, 4]) == approx(0.106440, abs=1e-6)


def test_theil_edge_cases() -> None:
    # [0, 10]: μ = 5, x/μ = 0 and 2; 0·ln 0 is taken as 0, 2·ln 2 = 1.386294
    # T = 1.386294 / 2 = ln 2 = 0.693147, the largest possible for n = 2 (ln n).
    assert theil([0, 10]) == approx(math.log(2))
    assert theil([50, 50, 50]) == 0.0
    assert theil([]) is None
    assert theil([0, 0]) is None  # mean 0: undefined


def test_theil_decomposition_by_hand() -> None:
    # Groups A = [1, 2] (μA = 1.5) and B = [3, 4] (μB = 3.5); μ = 2.5; Σ = 10.
    # Shares s_A = 3/10 = 0.3, s_B = 7/10 = 0.7.
    # T_A = ((1/1.5)·ln(2/3) + (2/1.5)·ln(4/3)) / 2 = (−0.270310 + 0.383576) / 2 = 0.056633
    # T_B = ((3/3.5)·ln(6/7) + (4/3.5)·ln(8/7)) / 2 = (−0.132129 + 0.152607) / 2 = 0.010239
    # within  = 0.3·0.056633 + 0.7·0.010239 = 0.016990 + 0.007167 = 0.024157
    # between = 0.3·ln(1.5/2.5) + 0.7·ln(3.5/2.5) = −0.153248 + 0.235531 = 0.082283
    # within + between = 0.106440 = T of the four values (above)
    result = theil_decomposition([1, 2, 3, 4], ["A", "A", "B", "B"])
    assert result is not None
    assert result.total == approx(0.106440, abs=1e-6)
    assert result.within == approx(0.024157, abs=1e-6)
    assert result.between == approx(0.082283, abs=1e-6)
    assert result.within + result.between == approx(result.total)
    assert result.between_share == approx(0.082283 / 0.106440, abs=1e-5)
    a, b = result.groups
    assert (a.group, a.n, a.mean, a.share) == ("A", 2, 1.5, approx(0.3))
    assert (b.group, b.n, b.mean, b.share) == ("B", 2, 3.5, approx(0.7))
    assert a.theil == approx(0.056633, abs=1e-6) and b.theil == approx(0.010239, abs=1e-6)


def test_theil_decomposition_order_and_degenerate_groups() -> None:
    # One group: everything is within. Equal group means: nothing is between.
    one = theil_decomposition([1, 2, 3, 4], ["x"] * 4)
    assert one is not None and one.between == approx(0.0) and one.within == approx(one.total)
    same = theil_decomposition([1, 3, 2, 2], ["a", "a", "b", "b"])
    assert same is not None and same.between == approx(0.0)
    # A group with only zeros adds nothing to within and, with share 0, nothing to between.
    zeros = theil_decomposition([0, 0, 10, 10], ["z", "z", "t", "t"], order=["t", "z"])
    assert zeros is not None
    assert [g.group for g in zeros.groups] == ["t", "z"]
    # T of [0, 0, 10, 10]: μ = 5, terms 0, 0, 2 ln 2, 2 ln 2 → T = ln 2; all of it between.
    assert zeros.total == approx(math.log(2))
    assert zeros.between == approx(math.log(2)) and zeros.within == approx(0.0)
    with pytest.raises(ValueError):
        theil_decomposition([1, 2], ["a"])


# --- Descriptive statistics ----------------------------------------------------------------


def test_describe_uses_the_sample_standard_deviation() -> None:
    # [2, 4, 4, 4, 5, 5, 7, 9]: mean 5; Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32
    # sample std (ddof = 1) = √(32/7) = 2.138090 (the population std would be 2.0)
    # CV = 2.138090 / 5 = 0.427618; median = (4 + 5) / 2 = 4.5; range = 9 − 2 = 7
    stats = describe([2, 4, 4, 4, 5, 5, 7, 9])
    assert stats.n == 8
    assert stats.mean == approx(5.0)
    assert stats.std == approx(2.138090, abs=1e-6)
    assert stats.cv == approx(0.427618, abs=1e-6)
    assert stats.median == approx(4.5)
    assert (stats.min, stats.max, stats.range) == (2.0, 9.0, 7.0)


def test_describe_small_samples() -> None:
    single = describe([61.0])
    assert (single.n, single.mean, single.range) == (1, 61.0, 0.0)
    assert single.std is None and single.cv is None  # one value: no sample std
    empty = describe([])
    assert empty.n == 0 and empty.mean is None and empty.std is None
    zero = describe([0, 0])
    assert zero.std == 0.0 and zero.cv is None  # CV undefined at mean 0


def test_gap_is_municipal_minus_the_mean_of_the_compared_group() -> None:
    # Municipal 80; county-level sites 65, 40, 61, 42, 73.5: mean 281.5 / 5 = 56.3 → 23.7
    assert gap([80], [65, 40, 61, 42, 73.5]) == approx(23.7)
    # Counties and county-level cities 61, 42, 73.5: mean 176.5 / 3 = 58.8333 → 21.1667
    assert gap([80], [61, 42, 73.5]) == approx(21.166667, abs=1e-6)
    assert gap([80, 70], [50]) == approx(25.0)  # several municipal sites: their mean
    assert gap([], [50]) is None and gap([80], []) is None


def test_round_half_up_on_decimal_values() -> None:
    # Python's round(2.675, 2) is 2.67 (the float is 2.67499999…); reports print 2.68.
    assert str(round_half_up(2.675, 2)) == "2.68"
    assert str(round_half_up(0.125, 2)) == "0.13"
    assert str(round_half_up(-0.125, 2)) == "-0.13"
    assert str(round_half_up(-0.001, 2)) == "0.00"
    assert str(round_half_up(58.83333333, 2)) == "58.83"


# --- The same statistics on the stored fixture region -------------------------------------


def test_regional_table_of_the_fixture(tmp_path) -> None:
    engine, run_id = build_db(tmp_path / "r.db")
    data = load_report_data(engine, run_id)
    table = regional_table(data)
    # Ranked totals: 80, 73.5, 65, 61, 42, 40 (Loufan is unreachable: excluded, counted).
    totals = [80, 73.5, 65, 61, 42, 40]
    assert lookup(table, "summary", "all", column="n") == 6
    assert lookup(table, "summary", "all", column="excluded") == 1
    assert lookup(table, "summary", "all", column="mean") == approx(361.5 / 6)
    assert lookup(table, "gini", year=2026) == approx(gini(totals))
    # Gini by hand, |xi − xj| over the 15 unordered pairs:
    #   80: 6.5 + 15 + 19 + 38 + 40 = 118.5     73.5: 8.5 + 12.5 + 31.5 + 33.5 = 86
    #   65: 4 + 23 + 25 = 52    61: 19 + 21 = 40    42: 2        Σ = 298.5
    # Ordered pairs: 597; G = 597 / (2 · 36 · 60.25) = 597 / 4338 = 0.137621
    assert lookup(table, "gini", year=2026) == approx(0.137621, abs=1e-6)
    assert lookup(table, "gap", COUNTY_LEVEL, year=2026) == approx(23.7)
    assert lookup(table, "gap", COUNTIES, year=2026) == approx(80 - 176.5 / 3)
    assert lookup(table, "gap", "district", "content", year=2026) == approx(90 - 67.5)
    # County: Qingxu 61 and Yangqu 42 ranked, Loufan excluded.
    assert lookup(table, "summary", "county", column="n") == 2
    assert lookup(table, "summary", "county", column="excluded") == 1
    assert lookup(table, "summary", "county", column="std") == approx(math.sqrt((9.5**2) * 2))
    # Theil: the parts add up, and equal the independent computation.
    t = lookup(table, "theil", year=2026)
    assert t == approx(theil(totals))
    between = lookup(table, "theil_between", year=2026)
    within = lookup(table, "theil_within", year=2026)
    assert between is not None and within is not None
    assert between + within == approx(t)
    # Year over year: mean 2026 − mean 2025 of the same group (2025 had all 7 sites ranked).
    mean_2025 = (74.5 + 59 + 55.5 + 52.5 + 41 + 43.5 + 68) / 7
    assert lookup(table, "yoy_mean", column="value") == approx(361.5 / 6 - mean_2025)
    assert lookup(table, "summary", "all", column="mean", year=2025) == approx(mean_2025)


def test_regional_statistics_per_region() -> None:
    """A region file with two regions: each gets its own statistics, and Theil is split
    between and within regions."""
    region = {
        "id": "two",
        "name": "Two regions",
        "sites": [
            {"id": i, "name_zh": zh, "level": lv, "url": f"https://{i}/", "region": r}
            for i, zh, lv, r in (
                ("a", "甲市", "municipal", "ra"),
                ("a1", "甲一县", "county", "ra"),
                ("b", "乙市", "municipal", "rb"),
                ("b1", "乙一县", "county", "rb"),
            )
        ],
    }
    totals = {"a": 80.0, "a1": 60.0, "b": 50.0, "b1": 30.0}
    results = [
        SiteResult(
            site_id=k,
            level="municipal" if len(k) == 1 else "county",
            status="measured",
            total=v,
            categories=dict.fromkeys(("content", "function", "interaction", "feedback"), v),
            indicators=[IndicatorResult("x", "content", "甲", "x", None, v / 10, 10, "scored")],
        )
        for k, v in totals.items()
    ]
    data = report_data_from_results(region, results, year=2026, as_of=date(2026, 11, 30))
    table = regional_table(data)
    assert lookup(table, "gap", COUNTY_LEVEL, region="ra") == approx(20.0)
    assert lookup(table, "gap", COUNTY_LEVEL, region="rb") == approx(20.0)
    assert lookup(table, "gap", COUNTY_LEVEL) == approx(65.0 - 45.0)
    # Regions: ra = [80, 60] (μ 70), rb = [50, 30] (μ 40); μ = 55; shares 140/220, 80/220.
    between = 140 / 220 * math.log(70 / 55) + 80 / 220 * math.log(40 / 55)
    assert lookup(table, "theil_between_region") == approx(between)
    within = lookup(table, "theil_within_region")
    assert within is not None and between + within == approx(theil(totals.values()))
    # The ranks were not stored: competition ranking by total.
    assert ranking.effective_ranks(data) == {"a": 1, "a1": 2, "b": 3, "b1": 4}


def test_competition_ranking_and_findings_order() -> None:
    region = {
        "id": "r",
        "name": "R",
        "sites": [
            {"id": s, "name_zh": s, "level": "county", "url": f"https://{s}/"}
            for s in ("p", "q", "r", "s")
        ],
    }
    ind = [
        IndicatorResult("a", "content", "甲", "a", 0, 0.0, 5, "scored"),  # lost 5 of 5
        IndicatorResult("b", "content", "乙", "b", 0, 5.0, 10, "scored"),  # lost 5 of 10
        IndicatorResult("c", "function", "丙", "c", 0, 2.0, 10, "scored"),  # lost 8
        IndicatorResult("d", "function", "丁", "d", None, None, 10, "not_measured"),
        IndicatorResult("e", "feedback", "戊", "e", None, None, 10, "manual"),
    ]
    results = [
        SiteResult(
            "p",
            "county",
            "measured",
            70.0,
            {},
            indicators=ind,
            veto=True,
            veto_reasons=["首页无法访问"],
        ),
        SiteResult("q", "county", "partial", 70.0, {}),
        SiteResult("r", "county", "measured", 50.0, {}),
        SiteResult("s", "county", "unreachable", None, {}),
    ]
    data = report_data_from_results(region, results)
    assert ranking.effective_ranks(data) == {"p": 1, "q": 1, "r": 3, "s": None}
    findings = site_findings(data.site("p"))
    # The veto first; then most points lost; ties by the points at stake (b before a).
    assert [(f.kind, f.indicator_id, f.lost) for f in findings] == [
        ("veto", "", None),
        ("lost", "c", 8.0),
        ("lost", "b", 5.0),
        ("lost", "a", 5.0),
    ]
    assert [i.indicator_id for i in unchecked(data.site("p"))] == ["d", "e"]
