"""Regional statistics: per level group (and the combined county-level groups) n, mean,
median, std, coefficient of variation, min, max and range; the municipal–county gap; Gini and
Theil (between and within levels); the same per region; year over year (regional.csv).

The groups and their Chinese names live here too, for the charts and the HTML report. Who
counts is said in :mod:`evalcrawler.reports.ranking`; the formulas are in
:mod:`evalcrawler.reports.statistics` and ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from evalcrawler.reports.data import LEVELS, ReportData, SiteReport
from evalcrawler.reports.ranking import site_value
from evalcrawler.reports.statistics import describe, gap, gini, theil_decomposition
from evalcrawler.scoring.results import CATEGORIES

MEASURES: tuple[str, ...] = ("total", *CATEGORIES)
"""What the statistics are computed for: the total and each category (all 0–100)."""

COUNTY_LEVEL = "district+county+county_city"
"""Every county-level site: urban districts, counties and county-level cities."""
COUNTIES = "county+county_city"
"""Counties and county-level cities, without the urban districts."""
ALL = "all"

COMBINED_GROUPS: dict[str, tuple[str, ...]] = {
    COUNTY_LEVEL: ("district", "county", "county_city"),
    COUNTIES: ("county", "county_city"),
}
GAP_GROUPS: tuple[str, ...] = (COUNTY_LEVEL, COUNTIES, "district")
"""The gap is the municipal score minus the mean of each of these groups, in this order;
the first (all county-level sites) is *the* municipal–county gap of the summary."""

GROUP_NAMES_ZH: dict[str, str] = {
    "municipal": "市级",
    "district": "区",
    "county": "县",
    "county_city": "县级市",
    COUNTY_LEVEL: "区县级合计",
    COUNTIES: "县及县级市",
    ALL: "全部",
}

REGIONAL_COLUMNS: tuple[str, ...] = (
    "year",
    "region",
    "statistic",
    "group",
    "measure",
    "n",
    "excluded",
    "mean",
    "median",
    "std",
    "cv",
    "min",
    "max",
    "range",
    "value",
    "low",
    "high",
    "site_id",
    "topic",
    "month",
    "detail",
)
"""regional.csv columns (long format, see docs/reports.md)."""

SCORE_SCALE_STATISTICS = frozenset({"gap", "yoy_mean", "yoy_gap", "rank_gap"})
"""Statistics whose ``value`` is in score points (the rest are indices and shares)."""

_YOY_OF = ("summary", "gap", "gini", "theil", "theil_between", "theil_within")


def group_name_zh(group: str) -> str:
    return GROUP_NAMES_ZH.get(group, group)


def level_order(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _groups_of(sites: Sequence[SiteReport]) -> list[tuple[str, list[SiteReport]]]:
    levels = sorted({s.level for s in sites}, key=lambda lv: (level_order(lv), lv))
    groups = [(lv, [s for s in sites if s.level == lv]) for lv in levels]
    for name, members in COMBINED_GROUPS.items():
        chosen = [s for s in sites if s.level in members]
        if chosen:
            groups.append((name, chosen))
    groups.append((ALL, list(sites)))
    return groups


def make_row(year: int | None, region: str, statistic: str, group: str, measure: str) -> dict:
    row: dict[str, Any] = dict.fromkeys(REGIONAL_COLUMNS)
    row.update(year=year, region=region, statistic=statistic, group=group, measure=measure)
    return row


def _scope_rows(year: int | None, region: str, sites: Sequence[SiteReport]) -> list[dict]:
    rows: list[dict] = []
    groups = _groups_of(sites)
    # Descriptive statistics of every group and measure.
    for group, members in groups:
        for measure in MEASURES:
            values = [v for v in (site_value(s, measure) for s in members) if v is not None]
            stats = describe(values)
            row = make_row(year, region, "summary", group, measure)
            row.update(
                n=stats.n,
                excluded=len(members) - stats.n,
                mean=stats.mean,
                median=stats.median,
                std=stats.std,
                cv=stats.cv,
                min=stats.min,
                max=stats.max,
                range=stats.range,
            )
            rows.append(row)
    members_of = dict(groups)
    municipal = members_of.get("municipal", [])
    # The municipal–county gap: municipal score minus the mean of each compared group.
    for compared in GAP_GROUPS:
        if compared not in members_of or not municipal:
            continue
        for measure in MEASURES:
            top = [v for v in (site_value(s, measure) for s in municipal) if v is not None]
            rest = [
                v for v in (site_value(s, measure) for s in members_of[compared]) if v is not None
            ]
            value = gap(top, rest)
            if value is None:
                continue
            row = make_row(year, region, "gap", compared, measure)
            row.update(
                n=len(rest),
                excluded=len(members_of[compared]) - len(rest),
                mean=sum(rest) / len(rest),
                value=value,
            )
            rows.append(row)
    # Inequality across all included sites: Gini, Theil and its split by level.
    for measure in MEASURES:
        pairs = [(v, s.level) for s in sites if (v := site_value(s, measure)) is not None]
        values = [v for v, _ in pairs]
        excluded = len(sites) - len(values)
        base: dict[str, Any] = {"n": len(values), "excluded": excluded}
        if values:
            base["mean"] = sum(values) / len(values)
        rows.append({**make_row(year, region, "gini", ALL, measure), **base, "value": gini(values)})
        decomposition = theil_decomposition(values, [lv for _, lv in pairs], order=list(LEVELS))
        if decomposition is None:
            rows.append({**make_row(year, region, "theil", ALL, measure), **base})
            continue
        for statistic, value in (
            ("theil", decomposition.total),
            ("theil_between", decomposition.between),
            ("theil_within", decomposition.within),
            ("theil_between_share", decomposition.between_share),
        ):
            rows.append({**make_row(year, region, statistic, ALL, measure), **base, "value": value})
        for part in decomposition.groups:
            size = sum(1 for s in sites if s.level == part.group)
            common = {"n": part.n, "excluded": size - part.n, "mean": part.mean}
            rows.append(
                {**make_row(year, region, "theil_group", part.group, measure), **common}
                | {"value": part.theil}
            )
            rows.append(
                {**make_row(year, region, "theil_share", part.group, measure), **common}
                | {"value": part.share}
            )
    return rows


def _year_rows(data: ReportData) -> list[dict]:
    rows = _scope_rows(data.year, ALL, data.sites)
    regions = data.regions
    if len(regions) > 1:
        # Several regions in one run: inequality between and within regions, then every
        # statistic again inside each region.
        for measure in MEASURES:
            pairs = [
                (v, s.region_id) for s in data.sites if (v := site_value(s, measure)) is not None
            ]
            decomposition = theil_decomposition([v for v, _ in pairs], [r for _, r in pairs])
            if decomposition is None:
                continue
            base: dict[str, Any] = {"n": len(pairs), "excluded": len(data.sites) - len(pairs)}
            for statistic, value in (
                ("theil_between_region", decomposition.between),
                ("theil_within_region", decomposition.within),
            ):
                rows.append(
                    {**make_row(data.year, ALL, statistic, ALL, measure), **base} | {"value": value}
                )
        for region in regions:
            members = [s for s in data.sites if s.region_id == region]
            rows.extend(_scope_rows(data.year, region, members))
    return rows


def regional_table(data: ReportData) -> pd.DataFrame:
    """regional.csv: this year's statistics, then the year-over-year changes and the previous
    year's statistics when an earlier run of the region is stored (long format)."""
    from evalcrawler.reports.intervals import stability_rows  # it imports this module
    from evalcrawler.reports.letters import letter_rows

    rows = _year_rows(data)
    rows += stability_rows(data, lambda *key: make_row(data.year, ALL, *key))
    rows += letter_rows(data, lambda *key: make_row(data.year, ALL, *key))
    if data.previous is not None:
        before = _year_rows(data.previous)
        rows += _yoy_rows(data.year, rows, before) + before
    frame = pd.DataFrame(rows, columns=list(REGIONAL_COLUMNS))
    for column in ("year", "n", "excluded"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _yoy_rows(year: int | None, now: list[dict], before: list[dict]) -> list[dict]:
    def key(row: dict) -> tuple[str, str, str, str]:
        return (row["region"], row["statistic"], row["group"], row["measure"])

    earlier = {key(r): r for r in before}
    rows: list[dict] = []
    for row in now:
        if row["statistic"] not in _YOY_OF:
            continue
        old = earlier.get(key(row))
        field_name = "mean" if row["statistic"] == "summary" else "value"
        if old is None or row[field_name] is None or old[field_name] is None:
            continue
        statistic = "yoy_mean" if row["statistic"] == "summary" else f"yoy_{row['statistic']}"
        out = make_row(year, row["region"], statistic, row["group"], row["measure"])
        out.update(n=row["n"], excluded=row["excluded"], value=row[field_name] - old[field_name])
        rows.append(out)
    return rows


def lookup(
    table: pd.DataFrame,
    statistic: str,
    group: str = ALL,
    measure: str = "total",
    column: str = "value",
    region: str = ALL,
    year: int | None = None,
) -> float | None:
    """One number of a regional table (``None`` when absent or empty)."""
    mask = (
        (table["statistic"] == statistic)
        & (table["group"] == group)
        & (table["measure"] == measure)
        & (table["region"] == region)
    )
    if year is not None:
        mask &= table["year"] == year
    found = table.loc[mask, column]
    if found.empty:
        return None
    value = found.iloc[0]
    return None if pd.isna(value) else float(value)
