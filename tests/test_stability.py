"""Rank stability on constructed regions whose answer is known: a site far ahead keeps rank 1
in every draw, two tied sites overlap and are flagged, and the municipal–county gap is larger
than chance only when it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from evalcrawler.reports.data import ReportData, RubricInfo, SiteReport
from evalcrawler.reports.stability import (
    DEFAULT_SEED,
    Stability,
    dirichlet_weights,
    from_report,
    stability,
)
from evalcrawler.scoring.results import IndicatorResult

WEIGHTS = {"content": 40.0, "function": 30.0, "interaction": 20.0, "feedback": 10.0}


def region(
    profiles: Mapping[str, tuple[str, Sequence[float]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sites with five indicators of 10 points in every category; ``profiles`` gives each
    site's level and the scores of its five indicators (the same in every category)."""
    scores, indicators = [], []
    for site_id, (level, earned) in profiles.items():
        total = 100.0 * sum(earned) / (10.0 * len(earned))
        scores.append({"site_id": site_id, "level": level, "total": total, "status": "measured"})
        for category in WEIGHTS:
            for k, value in enumerate(earned):
                indicators.append(
                    {
                        "site_id": site_id,
                        "indicator_id": f"{category}-{k}",
                        "category": category,
                        "score": value,
                        "max_score": 10.0,
                        "status": "scored",
                    }
                )
    return pd.DataFrame(scores), pd.DataFrame(indicators)


TIED = {
    "city": ("municipal", [10, 10, 10, 10, 10]),  # 100: far ahead
    "east": ("county", [10, 8, 6, 4, 2]),  # 60
    "west": ("county", [2, 4, 6, 8, 10]),  # 60: tied with east
    "north": ("district", [4, 3, 2, 1, 0]),  # 20
    "south": ("county_city", [3, 3, 2, 1, 1]),  # 20
}


def intervals(result: Stability) -> dict[str, tuple[int, int, int]]:
    return {i.site_id: (i.rank, i.rank_low, i.rank_high) for i in result.intervals}


def test_far_ahead_is_fixed_and_the_tie_overlaps_and_is_flagged() -> None:
    scores, indicators = region(TIED)
    result = stability(scores, indicators, WEIGHTS)
    ranks = intervals(result)
    assert ranks["city"] == (1, 1, 1)
    east, west = ranks["east"], ranks["west"]
    assert east[0] == west[0] == 2  # tied point totals share rank 2
    assert east[1] <= west[2] and west[1] <= east[2]  # the intervals overlap
    assert east[1] == west[1] == 2 and east[2] == west[2] == 3
    flagged = {(p.site_a, p.site_b): p.flip_share for p in result.unstable_pairs}
    assert set(flagged) == {("east", "west"), ("north", "south")}
    assert 0.3 <= flagged[("east", "west")] <= 0.5
    assert all(p.site_a != "city" and p.site_b != "city" for p in result.unstable_pairs)
    assert (result.draws, result.seed) == (1000, DEFAULT_SEED)


def test_without_randomness_every_interval_is_the_point_rank() -> None:
    scores, indicators = region(TIED)
    result = stability(scores, indicators, WEIGHTS, bootstrap=False, weight_spread=0.0)
    assert intervals(result) == {
        "city": (1, 1, 1),
        "east": (2, 2, 2),
        "west": (2, 2, 2),
        "north": (4, 4, 4),
        "south": (4, 4, 4),
    }
    assert result.unstable_pairs == []
    for i in result.intervals:
        assert i.total_low == pytest.approx(i.total) and i.total_high == pytest.approx(i.total)


def test_weights_alone_flip_two_sites_strong_in_different_categories() -> None:
    scores, indicators = region(
        {"a": ("county", [10, 10, 10, 10, 10]), "b": ("county", [10, 10, 10, 10, 10])}
    )
    # a is perfect in content only, b everywhere but content; with the rubric's weights
    # (40 vs 60) b leads, and only the weights can change that.
    indicators.loc[(indicators.site_id == "a") & (indicators.category != "content"), "score"] = 5
    indicators.loc[(indicators.site_id == "b") & (indicators.category == "content"), "score"] = 0
    scores.loc[scores.site_id == "a", "total"] = 0.4 * 100 + 0.6 * 50  # 70
    scores.loc[scores.site_id == "b", "total"] = 0.6 * 100  # 60
    fixed = stability(scores, indicators, WEIGHTS, bootstrap=False, weight_spread=0.0)
    assert intervals(fixed) == {"a": (1, 1, 1), "b": (2, 2, 2)}
    moved = stability(scores, indicators, WEIGHTS, bootstrap=False, weight_spread=0.6)
    assert intervals(moved) == {"a": (1, 1, 2), "b": (2, 1, 2)}
    assert [(p.site_a, p.site_b) for p in moved.unstable_pairs] == [("a", "b")]


def test_gap_larger_than_chance_and_not() -> None:
    scores, indicators = region(TIED)
    gap = stability(scores, indicators, WEIGHTS).gap
    assert gap is not None
    assert gap.gap == pytest.approx(100 - (60 + 60 + 20 + 20) / 4)
    assert gap.low > 0 and gap.larger_than_chance
    assert (gap.municipal, gap.county_level) == (1, 4)
    assert (
        gap.verdict == "the gap is larger than chance (municipal ahead; 90 % interval 43.5 to 77.6)"
    )
    even = {
        "city": ("municipal", [6, 6, 6, 6, 6]),  # 60
        "high": ("county", [10, 10, 9, 9, 9]),  # 94
        "low": ("county", [3, 3, 2, 2, 3]),  # 26
    }
    scores, indicators = region(even)
    gap = stability(scores, indicators, WEIGHTS).gap
    assert gap is not None
    assert gap.gap == pytest.approx(0.0)
    assert gap.low < 0 < gap.high and not gap.larger_than_chance
    assert gap.verdict == "the gap is not larger than chance (90 % interval -35.2 to 34.9)"


def test_no_gap_without_both_sides() -> None:
    scores, indicators = region({"a": ("county", [5] * 5), "b": ("county", [6] * 5)})
    assert stability(scores, indicators, WEIGHTS).gap is None


def test_deterministic_under_a_seed_and_another_seed_may_differ() -> None:
    scores, indicators = region(TIED)
    once = stability(scores, indicators, WEIGHTS, seed=7)
    again = stability(scores, indicators, WEIGHTS, seed=7)
    assert once == again
    other = stability(scores, indicators, WEIGHTS, seed=8)
    assert [i.total_low for i in other.intervals] != [i.total_low for i in once.intervals]
    # The answer that matters does not depend on the seed here.
    assert intervals(other)["city"] == (1, 1, 1)


def test_dirichlet_weights_are_centred_with_the_stated_spread() -> None:
    rng = np.random.default_rng(1)
    draws = dirichlet_weights([1, 1, 1, 1], 20000, rng)
    assert np.allclose(draws.sum(axis=1), 1.0)
    assert np.allclose(draws.mean(axis=0), 0.25, atol=0.003)
    assert np.allclose(draws.std(axis=0) / 0.25, 0.20, atol=0.01)
    skewed = dirichlet_weights([40, 30, 20, 10], 20000, rng)
    assert np.allclose(skewed.mean(axis=0), [0.4, 0.3, 0.2, 0.1], atol=0.003)
    assert np.allclose(dirichlet_weights([3, 1], 3, rng, spread=0.0), [[0.75, 0.25]] * 3)
    with pytest.raises(ValueError, match=r"weight spread 1\.5 is too large for 2 categories"):
        dirichlet_weights([1, 1], 2, rng, spread=1.5)


def test_unreachable_and_unscored_manual_indicators_are_left_out() -> None:
    scores, indicators = region(TIED)
    scores.loc[len(scores)] = {
        "site_id": "gone",
        "level": "county",
        "total": None,
        "status": "unreachable",
    }
    manual = indicators[indicators.site_id == "east"].iloc[:1].copy()
    manual["score"], manual["status"] = None, "manual"
    result = stability(scores, pd.concat([indicators, manual]), WEIGHTS)
    assert "gone" not in intervals(result)
    assert intervals(result)["city"] == (1, 1, 1)


def test_vetoed_site_keeps_its_cap_in_every_draw() -> None:
    scores, indicators = region({"capped": ("county", [10] * 5), "other": ("county", [7] * 5)})
    scores["veto"] = [True, False]
    scores.loc[scores.site_id == "capped", "total"] = 59.0  # capped by the rubric
    result = stability(scores, indicators, WEIGHTS)
    capped = next(i for i in result.intervals if i.site_id == "capped")
    assert (capped.rank, capped.rank_low, capped.rank_high) == (2, 2, 2)
    assert capped.total_high == pytest.approx(59.0)


def test_from_report_takes_the_report_shapes() -> None:
    def site(site_id: str, level: str, earned: list[float]) -> SiteReport:
        inds = [
            IndicatorResult(f"{c}-{k}", c, "", "", v, v, 10.0, "scored")
            for c in ("content", "function")
            for k, v in enumerate(earned)
        ]
        total = 100.0 * sum(earned) / (10.0 * len(earned))
        return SiteReport(site_id, "", "", level, "", "r", "measured", total=total, indicators=inds)

    data = ReportData(
        run_id=None,
        region_id="r",
        region_name="",
        region_name_zh="",
        year=None,
        as_of=None,
        crawl_date=None,
        rubric=RubricInfo(
            "demo", categories={"content": {"points": 60}, "function": {"points": 40}}
        ),
        sites=[
            site("city", "municipal", [10, 10, 10, 10]),
            site("a", "county", [6, 6, 6, 6]),
            site("b", "county", [2, 2, 2, 2]),
        ],
    )
    scores, indicators, weights = from_report(data)
    assert weights == {"content": 60.0, "function": 40.0}
    assert list(indicators.columns) == ["site_id", "category", "score", "max_score", "status"]
    result = stability(scores, indicators, weights)
    assert intervals(result) == {"city": (1, 1, 1), "a": (2, 2, 2), "b": (3, 3, 3)}


def test_bad_inputs_say_what_is_missing() -> None:
    scores, indicators = region(TIED)
    with pytest.raises(
        ValueError, match="scores: missing column level; it needs site_id, level, total"
    ):
        stability(scores.drop(columns=["level"]), indicators, WEIGHTS)
    with pytest.raises(ValueError, match="indicators: missing column max_score"):
        stability(scores, indicators.drop(columns=["max_score"]), WEIGHTS)
    with pytest.raises(ValueError, match="weights: every category needs points > 0"):
        stability(scores, indicators, {"content": 0})
    with pytest.raises(ValueError, match="draws must be at least 1, got 0"):
        stability(scores, indicators, WEIGHTS, draws=0)
