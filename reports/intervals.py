"""Rank stability in a run's outputs: each site's 90 % rank interval (scores.csv ``rank_low``,
``rank_high``), the pairs whose order is not stable and the municipal–county gap with its
interval (regional.csv), and what the report says about them.

The simulation is :func:`evalcrawler.reports.stability.stability` on the report's own tables
(:func:`~evalcrawler.reports.stability.from_report`), with the report's seed (``--seed``,
default :data:`~evalcrawler.reports.stability.DEFAULT_SEED`): the same stored run and seed give
the same intervals. It runs once per report (the result is kept in ``ReportData.cache``).
"""

from __future__ import annotations

import logging
from typing import Any

from evalcrawler.reports.data import ReportData
from evalcrawler.reports.regional import ALL, COUNTY_LEVEL
from evalcrawler.reports.stability import DEFAULT_SEED, Stability, from_report, stability

logger = logging.getLogger(__name__)

_KEY = "stability"


def seed_of(data: ReportData) -> int:
    return DEFAULT_SEED if data.seed is None else data.seed


def run_stability(data: ReportData) -> Stability | None:
    """The rank-stability draws of ``data`` (``None`` when the rubric gives no category
    weights, so that no total can be recomputed)."""
    if _KEY in data.cache:
        return data.cache[_KEY]
    scores, indicators, weights = from_report(data)
    result: Stability | None
    if not weights:
        logger.info("no rank intervals: the rubric of the run gives no category points")
        result = None
    else:
        result = stability(scores, indicators, weights, seed=seed_of(data))
    data.cache[_KEY] = result
    return result


def rank_intervals(data: ReportData) -> dict[str, tuple[int, int]]:
    """Site id → (rank_low, rank_high), for every ranked site."""
    result = run_stability(data)
    if result is None:
        return {}
    return {i.site_id: (i.rank_low, i.rank_high) for i in result.intervals}


def stability_rows(data: ReportData, row: Any) -> list[dict[str, Any]]:
    """regional.csv rows: ``rank_gap`` (the municipal–county gap of the totals with its
    interval in ``low``/``high`` and the verdict in ``detail``) and one ``unstable_pair`` row
    per pair of sites whose order is not stable (``value``: the share of draws in which the
    order is the other way round). ``row(statistic, group, measure)`` makes an empty row."""
    result = run_stability(data)
    if result is None:
        return []
    rows: list[dict[str, Any]] = []
    gap = result.gap
    if gap is not None:
        out = row("rank_gap", COUNTY_LEVEL, "total")
        out.update(
            n=gap.county_level,
            value=gap.gap,
            low=gap.low,
            high=gap.high,
            detail=f"{gap.verdict}; seed {result.seed}, {result.draws} draws",
        )
        rows.append(out)
    for pair in result.unstable_pairs:
        out = row("unstable_pair", ALL, "total")
        out.update(
            site_id=pair.site_a,
            value=pair.flip_share,
            detail=f"{pair.site_a} ahead of {pair.site_b} on the totals; the order flips in "
            f"{pair.flip_share:.0%} of the draws",
        )
        rows.append(out)
    return rows


def report_context(data: ReportData) -> dict[str, Any]:
    """What the report shows: intervals by site, the gap and its verdict, unstable pairs."""
    result = run_stability(data)
    if result is None:
        return {"intervals": {}, "gap": None, "pairs": [], "seed": seed_of(data), "draws": 0}
    names = {s.site_id: s.short_name for s in data.sites}
    return {
        "intervals": {i.site_id: i for i in result.intervals},
        "gap": result.gap,
        "pairs": [
            (names.get(p.site_a, p.site_a), names.get(p.site_b, p.site_b), p.flip_share)
            for p in result.unstable_pairs
        ],
        "seed": result.seed,
        "draws": result.draws,
    }
