"""Analysis of a scored run: ranking, group statistics, the municipal–county gap, Gini, Theil
with its between/within decomposition, the same per region, year over year, and findings.

Everything here is pure (pandas and the standard library) and works on :class:`ReportData`.
The formulas are written out in ``docs/reports.md``; the tests check them against values
computed by hand. Numbers are returned unrounded: rounding is the writers' business.

Who counts: a site is *included* when it was measured (``measured`` or ``partial``) and has a
total. Unreachable sites are excluded from every ranking and statistic, and the number of
excluded sites is reported next to each statistic (an unmeasurable site is never ranked as a
bad one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalcrawler.reports.data import LEVELS, UNREACHABLE, ReportData, RubricInfo, SiteReport
from evalcrawler.scoring.results import CATEGORIES, IndicatorResult

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

SCORE_COLUMNS: tuple[str, ...] = (
    "rank",
    "site_id",
    "name_zh",
    "name",
    "level",
    "url",
    "total",
    *CATEGORIES,
    "veto",
    "veto_reasons",
    "status",
    "pages",
)
"""scores.csv columns fixed by DESIGN.md; :func:`ranking` appends more after these."""

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
)
"""regional.csv columns (long format, see docs/reports.md)."""

SCORE_SCALE_STATISTICS = frozenset({"gap", "yoy_mean", "yoy_gap"})
"""Statistics whose ``value`` is in score points (the rest are indices and shares)."""

_YOY_OF = ("summary", "gap", "gini", "theil", "theil_between", "theil_within")


def group_name_zh(group: str) -> str:
    return GROUP_NAMES_ZH.get(group, group)


def level_order(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


# ---------------------------------------------------------------------------------------------
# Statistics on plain numbers (checked by hand in tests/test_report_stats.py)


@dataclass(frozen=True)
class Describe:
    """Descriptive statistics of a sample. ``std`` is the sample standard deviation (ddof=1,
    ``None`` below two values); ``cv`` = std / mean (``None`` when the mean is 0)."""

    n: int
    mean: float | None
    median: float | None
    std: float | None
    cv: float | None
    min: float | None
    max: float | None
    range: float | None


def describe(values: Iterable[float]) -> Describe:
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return Describe(0, None, None, None, None, None, None, None)
    series = pd.Series(xs, dtype="float64")
    mean = float(series.mean())
    std = float(series.std(ddof=1)) if n >= 2 else None
    cv = std / mean if std is not None and mean != 0 else None
    low, high = min(xs), max(xs)
    return Describe(n, mean, float(series.median()), std, cv, low, high, high - low)


def gini(values: Iterable[float]) -> float | None:
    """Gini coefficient G = Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ) (population form, no n/(n−1) factor).

    ``None`` for no values; 0 when every value is equal (also when all are 0)."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return None
    mean = sum(xs) / n
    if mean == 0:
        return 0.0
    diff = sum(abs(a - b) for a in xs for b in xs)
    return diff / (2 * n * n * mean)


def _xlnx_term(x: float, mean: float) -> float:
    ratio = x / mean
    # lim r→0 of r·ln r is 0: a site with 0 points adds nothing (and no log error).
    return 0.0 if ratio == 0 else ratio * math.log(ratio)


def theil(values: Iterable[float]) -> float | None:
    """Theil T index T = (1/n) Σ (xᵢ/μ) ln(xᵢ/μ); ``None`` for no values or a mean of 0."""
    xs = [float(v) for v in values]
    if not xs:
        return None
    mean = sum(xs) / len(xs)
    if mean <= 0:
        return None
    return sum(_xlnx_term(x, mean) for x in xs) / len(xs)


@dataclass(frozen=True)
class TheilGroup:
    group: str
    n: int
    mean: float
    share: float  # s_g: the group's share of the sum of all values
    theil: float  # T_g, the Theil index inside the group


@dataclass(frozen=True)
class TheilDecomposition:
    """T = within + between, within = Σ s_g T_g, between = Σ s_g ln(μ_g / μ)."""

    total: float
    between: float
    within: float
    groups: tuple[TheilGroup, ...] = field(default_factory=tuple)

    @property
    def between_share(self) -> float | None:
        """Share of T explained by the groups (``None`` when T is 0: nothing to explain)."""
        return self.between / self.total if self.total > 0 else None


def theil_decomposition(
    values: Sequence[float], groups: Sequence[str], order: Sequence[str] | None = None
) -> TheilDecomposition | None:
    """Split Theil's T of ``values`` into between-group and within-group parts.

    ``groups[i]`` is the group of ``values[i]``; ``order`` fixes the order of the groups in the
    result (others follow in order of appearance)."""
    if len(values) != len(groups):
        raise ValueError("values and groups must have the same length")
    xs = [float(v) for v in values]
    total = theil(xs)
    if total is None:
        return None
    n = len(xs)
    mean = sum(xs) / n
    grand = sum(xs)
    names = list(dict.fromkeys([*(g for g in (order or []) if g in groups), *groups]))
    parts: list[TheilGroup] = []
    between = within = 0.0
    for name in names:
        members = [x for x, g in zip(xs, groups, strict=True) if g == name]
        group_mean = sum(members) / len(members)
        share = sum(members) / grand
        group_theil = theil(members) if group_mean > 0 else 0.0
        group_theil = group_theil or 0.0
        parts.append(TheilGroup(name, len(members), group_mean, share, group_theil))
        within += share * group_theil
        if share > 0:  # s·ln(μ_g/μ) → 0 as s → 0
            between += share * math.log(group_mean / mean)
    return TheilDecomposition(total, between, within, tuple(parts))


def gap(municipal: Iterable[float], compared: Iterable[float]) -> float | None:
    """The municipal score (the mean of the municipal sites when a scope holds several)
    minus the mean of the compared sites; ``None`` when either side has no value."""
    top, rest = list(municipal), list(compared)
    if not top or not rest:
        return None
    return sum(top) / len(top) - sum(rest) / len(rest)


# ---------------------------------------------------------------------------------------------
# Sites, ranking


def _value(site: SiteReport, measure: str) -> float | None:
    if not site.included:
        return None
    return site.total if measure == "total" else site.categories.get(measure)


def effective_ranks(data: ReportData) -> dict[str, int | None]:
    """The stored ranks (the scoring engine's) when there are any, else a competition
    ranking ("1, 2, 2, 4") by total, highest first. Unreachable sites are never ranked."""
    included = [s for s in data.sites if s.included]
    if any(s.rank is not None for s in included):
        ranks = {s.site_id: s.rank for s in included}
    else:
        ranks = _competition_rank({s.site_id: s.total for s in included})
    return {s.site_id: ranks.get(s.site_id) if s.included else None for s in data.sites}


def _competition_rank(values: dict[str, float | None]) -> dict[str, int | None]:
    present = {k: v for k, v in values.items() if v is not None}
    ordered = sorted(present.values(), reverse=True)
    # The rank of a value is 1 + how many values beat it (ties share the better rank).
    return {k: (ordered.index(v) + 1 if v is not None else None) for k, v in values.items()}


def ranked_sites(data: ReportData) -> list[SiteReport]:
    """Sites in ranking order: ranked ones by rank (ties by site id), then the rest by id."""
    ranks = effective_ranks(data)

    def key(site: SiteReport) -> tuple[int, int, str]:
        rank = ranks[site.site_id]
        return (0, rank, site.site_id) if rank is not None else (1, 0, site.site_id)

    return sorted(data.sites, key=key)


def ranking(data: ReportData) -> pd.DataFrame:
    """scores.csv: the fixed columns, then region_id, reason, a rank per category and, when a
    previous year is stored, that year's rank and total and the change of the total."""
    ranks = effective_ranks(data)
    category_ranks = {
        c: _competition_rank({s.site_id: _value(s, c) for s in data.sites}) for c in CATEGORIES
    }
    previous = {s.site_id: s for s in data.previous.sites} if data.previous else {}
    previous_ranks = effective_ranks(data.previous) if data.previous else {}
    rows: list[dict[str, Any]] = []
    for site in ranked_sites(data):
        row: dict[str, Any] = {
            "rank": ranks[site.site_id],
            "site_id": site.site_id,
            "name_zh": site.name_zh,
            "name": site.name,
            "level": site.level,
            "url": site.url,
            "total": site.total if site.status != UNREACHABLE else None,
            **{
                c: site.categories.get(c) if site.status != UNREACHABLE else None
                for c in CATEGORIES
            },
            "veto": site.veto,
            "veto_reasons": "; ".join(site.veto_reasons),
            "status": site.status,
            "pages": site.pages,
            "region_id": site.region_id,
            "reason": site.reason or "",
        }
        for c in CATEGORIES:
            row[f"rank_{c}"] = category_ranks[c].get(site.site_id)
        if data.previous is not None:
            before = previous.get(site.site_id)
            before_total = before.total if before is not None and before.included else None
            row["previous_rank"] = previous_ranks.get(site.site_id)
            row["previous_total"] = before_total
            row["total_change"] = (
                row["total"] - before_total
                if row["total"] is not None and before_total is not None and site.included
                else None
            )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_ranking_columns(data))
    for column in ("rank", "pages", *(f"rank_{c}" for c in CATEGORIES), "previous_rank"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def _ranking_columns(data: ReportData) -> list[str]:
    columns = [*SCORE_COLUMNS, "region_id", "reason", *(f"rank_{c}" for c in CATEGORIES)]
    if data.previous is not None:
        columns += ["previous_rank", "previous_total", "total_change"]
    return columns


# ---------------------------------------------------------------------------------------------
# Regional statistics


def _groups_of(sites: Sequence[SiteReport]) -> list[tuple[str, list[SiteReport]]]:
    levels = sorted({s.level for s in sites}, key=lambda lv: (level_order(lv), lv))
    groups = [(lv, [s for s in sites if s.level == lv]) for lv in levels]
    for name, members in COMBINED_GROUPS.items():
        chosen = [s for s in sites if s.level in members]
        if chosen:
            groups.append((name, chosen))
    groups.append((ALL, list(sites)))
    return groups


def _row(year: int | None, region: str, statistic: str, group: str, measure: str) -> dict:
    row: dict[str, Any] = dict.fromkeys(REGIONAL_COLUMNS)
    row.update(year=year, region=region, statistic=statistic, group=group, measure=measure)
    return row


def _scope_rows(year: int | None, region: str, sites: Sequence[SiteReport]) -> list[dict]:
    rows: list[dict] = []
    groups = _groups_of(sites)
    # Descriptive statistics of every group and measure.
    for group, members in groups:
        for measure in MEASURES:
            values = [v for v in (_value(s, measure) for s in members) if v is not None]
            stats = describe(values)
            row = _row(year, region, "summary", group, measure)
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
            top = [v for v in (_value(s, measure) for s in municipal) if v is not None]
            rest = [v for v in (_value(s, measure) for s in members_of[compared]) if v is not None]
            value = gap(top, rest)
            if value is None:
                continue
            row = _row(year, region, "gap", compared, measure)
            row.update(
                n=len(rest),
                excluded=len(members_of[compared]) - len(rest),
                mean=sum(rest) / len(rest),
                value=value,
            )
            rows.append(row)
    # Inequality across all included sites: Gini, Theil and its split by level.
    for measure in MEASURES:
        pairs = [(v, s.level) for s in sites if (v := _value(s, measure)) is not None]
        values = [v for v, _ in pairs]
        excluded = len(sites) - len(values)
        base: dict[str, Any] = {"n": len(values), "excluded": excluded}
        if values:
            base["mean"] = sum(values) / len(values)
        rows.append({**_row(year, region, "gini", ALL, measure), **base, "value": gini(values)})
        decomposition = theil_decomposition(values, [lv for _, lv in pairs], order=list(LEVELS))
        if decomposition is None:
            rows.append({**_row(year, region, "theil", ALL, measure), **base})
            continue
        for statistic, value in (
            ("theil", decomposition.total),
            ("theil_between", decomposition.between),
            ("theil_within", decomposition.within),
            ("theil_between_share", decomposition.between_share),
        ):
            rows.append({**_row(year, region, statistic, ALL, measure), **base, "value": value})
        for part in decomposition.groups:
            size = sum(1 for s in sites if s.level == part.group)
            common = {"n": part.n, "excluded": size - part.n, "mean": part.mean}
            rows.append(
                {**_row(year, region, "theil_group", part.group, measure), **common}
                | {"value": part.theil}
            )
            rows.append(
                {**_row(year, region, "theil_share", part.group, measure), **common}
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
            pairs = [(v, s.region_id) for s in data.sites if (v := _value(s, measure)) is not None]
            decomposition = theil_decomposition([v for v, _ in pairs], [r for _, r in pairs])
            if decomposition is None:
                continue
            base: dict[str, Any] = {"n": len(pairs), "excluded": len(data.sites) - len(pairs)}
            for statistic, value in (
                ("theil_between_region", decomposition.between),
                ("theil_within_region", decomposition.within),
            ):
                rows.append(
                    {**_row(data.year, ALL, statistic, ALL, measure), **base} | {"value": value}
                )
        for region in regions:
            members = [s for s in data.sites if s.region_id == region]
            rows.extend(_scope_rows(data.year, region, members))
    return rows


def regional_table(data: ReportData) -> pd.DataFrame:
    """regional.csv: this year's statistics, then the year-over-year changes and the previous
    year's statistics when an earlier run of the region is stored (long format)."""
    rows = _year_rows(data)
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
        out = _row(year, row["region"], statistic, row["group"], row["measure"])
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


# ---------------------------------------------------------------------------------------------
# Findings: what each site should fix first


@dataclass(frozen=True)
class Finding:
    """A veto or an indicator that lost points, with its evidence."""

    site_id: str
    kind: str  # veto | lost
    indicator_id: str
    category: str
    name_zh: str
    name: str
    score: float | None
    max_score: float | None
    lost: float | None
    evidence_url: str | None
    evidence_text: str | None
    note: str | None = None
    evidence_warc: str | None = None  # the evidence page's record in the WARC archive


FINDING_COLUMNS: tuple[str, ...] = (
    "site_id",
    "order",
    "kind",
    "indicator_id",
    "category",
    "name_zh",
    "name",
    "score",
    "max_score",
    "lost",
    "evidence_url",
    "evidence_text",
    "note",
    "evidence_warc",
)


def site_findings(site: SiteReport, rubric: RubricInfo | None = None) -> list[Finding]:
    """Vetoes first (a veto fails the site whatever else it does), then every scored indicator
    that lost points, most lost points first (ties: more points at stake, then rubric order).
    Unmeasured and manual indicators are not findings: nobody knows they lost anything."""
    out = [
        Finding(site.site_id, "veto", "", "", reason, "", None, None, None, None, None)
        for reason in site.veto_reasons
    ]
    if site.veto and not site.veto_reasons:
        out.append(Finding(site.site_id, "veto", "", "", "单项否决", "veto", *[None] * 5))
    order = rubric.indicator_order() if rubric else {}
    lost: list[tuple[float, float, int, IndicatorResult]] = []
    for position, ind in enumerate(site.indicators):
        if ind.status != "scored" or ind.score is None:
            continue
        missing = float(ind.max_score) - float(ind.score)
        if missing > 1e-9:
            lost.append((missing, float(ind.max_score), order.get(ind.indicator_id, position), ind))
    lost.sort(key=lambda t: (-t[0], -t[1], t[2]))
    for missing, _, _, ind in lost:
        out.append(
            Finding(
                site_id=site.site_id,
                kind="lost",
                indicator_id=ind.indicator_id,
                category=ind.category,
                name_zh=ind.name_zh,
                name=ind.name,
                score=ind.score,
                max_score=ind.max_score,
                lost=missing,
                evidence_url=ind.evidence_url,
                evidence_text=ind.evidence_text,
                note=ind.note,
                evidence_warc=site.warc_records.get(ind.evidence_url or ""),
            )
        )
    return out


def unchecked(site: SiteReport) -> list[IndicatorResult]:
    """Indicators that could not be scored automatically (not measured, or manual)."""
    return [i for i in site.indicators if i.status != "scored" or i.score is None]


def findings_table(data: ReportData) -> pd.DataFrame:
    """findings.csv: every site's findings, sites in ranking order, findings in fix-first order."""
    rows: list[dict[str, Any]] = []
    for site in ranked_sites(data):
        if not site.included:
            continue
        for order, finding in enumerate(site_findings(site, data.rubric), start=1):
            rows.append(
                {
                    "site_id": site.site_id,
                    "order": order,
                    "kind": finding.kind,
                    "indicator_id": finding.indicator_id,
                    "category": finding.category,
                    "name_zh": finding.name_zh,
                    "name": finding.name,
                    "score": finding.score,
                    "max_score": finding.max_score,
                    "lost": finding.lost,
                    "evidence_url": finding.evidence_url,
                    "evidence_text": finding.evidence_text,
                    "note": finding.note,
                    "evidence_warc": finding.evidence_warc,
                }
            )
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


# ---------------------------------------------------------------------------------------------
# Heat map and headline numbers (for the HTML report)


@dataclass(frozen=True)
class HeatCell:
    score: float | None
    max_score: float | None
    status: str  # scored | not_measured | manual | absent
    ratio: float | None  # score / max_score


def heatmap(data: ReportData) -> tuple[list[dict[str, Any]], list[SiteReport]]:
    """Indicator × site matrix: rows in rubric order (then first appearance), columns in
    ranking order, ranked sites only."""
    sites = [s for s in ranked_sites(data) if s.included]
    known: dict[str, dict[str, Any]] = {}
    for ind in data.rubric.indicators:
        known[str(ind.get("id"))] = {
            "id": str(ind.get("id")),
            "category": str(ind.get("category") or ""),
            "name_zh": str(ind.get("name_zh") or ""),
            "name": str(ind.get("name") or ""),
        }
    for site in sites:
        for result in site.indicators:
            known.setdefault(
                result.indicator_id,
                {
                    "id": result.indicator_id,
                    "category": result.category,
                    "name_zh": result.name_zh,
                    "name": result.name,
                },
            )
    rows: list[dict[str, Any]] = []
    for info in known.values():
        cells: list[HeatCell] = []
        for site in sites:
            match = next((i for i in site.indicators if i.indicator_id == info["id"]), None)
            if match is None:
                cells.append(HeatCell(None, None, "absent", None))
                continue
            ratio = None
            if match.status == "scored" and match.score is not None and match.max_score:
                ratio = max(0.0, min(1.0, float(match.score) / float(match.max_score)))
            status = (
                match.status
                if match.score is not None or match.status != "scored"
                else "not_measured"
            )
            cells.append(HeatCell(match.score, match.max_score, status, ratio))
        if all(c.status == "absent" for c in cells) and sites:
            continue  # an indicator no ranked site has (e.g. for another level)
        rows.append({**info, "cells": cells})
    return rows, sites


@dataclass
class Headline:
    """The numbers the summary paragraph is built from."""

    n_sites: int
    n_included: int
    n_measured: int
    n_partial: int
    n_unreachable: int
    n_veto: int
    leaders: list[SiteReport]
    trailers: list[SiteReport]
    mean_total: float | None
    min_total: float | None
    max_total: float | None
    gap_total: float | None  # municipal − mean of all county-level sites
    gap_counties_total: float | None  # municipal − mean of counties and county-level cities
    largest_gap: tuple[str, float] | None  # category with the largest municipal–county gap
    gini_total: float | None
    theil_total: float | None
    theil_between_share: float | None
    yoy_mean_total: float | None
    previous_year: int | None


def headline(data: ReportData, regional: pd.DataFrame) -> Headline:
    ranks = effective_ranks(data)
    ranked = [s for s in ranked_sites(data) if s.included and ranks[s.site_id] is not None]
    best = ranks[ranked[0].site_id] if ranked else None
    worst = ranks[ranked[-1].site_id] if ranked else None
    category_gaps = [
        (c, g)
        for c in CATEGORIES
        if (g := lookup(regional, "gap", COUNTY_LEVEL, c, year=data.year)) is not None
    ]
    return Headline(
        n_sites=len(data.sites),
        n_included=sum(1 for s in data.sites if s.included),
        n_measured=sum(1 for s in data.sites if s.status == "measured"),
        n_partial=sum(1 for s in data.sites if s.status == "partial"),
        n_unreachable=sum(1 for s in data.sites if not s.included),
        n_veto=sum(1 for s in data.sites if s.veto and s.included),
        leaders=[s for s in ranked if ranks[s.site_id] == best],
        trailers=[s for s in ranked if ranks[s.site_id] == worst] if worst != best else [],
        mean_total=lookup(regional, "summary", column="mean", year=data.year),
        min_total=lookup(regional, "summary", column="min", year=data.year),
        max_total=lookup(regional, "summary", column="max", year=data.year),
        gap_total=lookup(regional, "gap", COUNTY_LEVEL, year=data.year),
        gap_counties_total=lookup(regional, "gap", COUNTIES, year=data.year),
        largest_gap=max(category_gaps, key=lambda t: abs(t[1])) if category_gaps else None,
        gini_total=lookup(regional, "gini", year=data.year),
        theil_total=lookup(regional, "theil", year=data.year),
        theil_between_share=lookup(regional, "theil_between_share", year=data.year),
        yoy_mean_total=lookup(regional, "yoy_mean", year=data.year),
        previous_year=data.previous.year if data.previous else None,
    )
