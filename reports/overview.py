"""The HTML report's overview: the indicator × site heat map and the headline numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalcrawler.reports.data import ReportData, SiteReport
from evalcrawler.reports.ranking import effective_ranks, ranked_sites
from evalcrawler.reports.regional import COUNTIES, COUNTY_LEVEL, lookup
from evalcrawler.scoring.results import CATEGORIES


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
