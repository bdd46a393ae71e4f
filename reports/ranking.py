"""Ranking of a scored run: the effective rank of every site, overall and per category,
and the rows of scores.csv.

Who counts: a site is *included* when it was measured (``measured`` or ``partial``) and has a
total. Unreachable sites are excluded from every ranking and statistic, and the number of
excluded sites is reported next to each statistic (an unmeasurable site is never ranked as a
bad one). Everything here is pure (pandas and the standard library) and works on
:class:`~evalcrawler.reports.data.ReportData`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalcrawler.reports.data import UNREACHABLE, ReportData, SiteReport
from evalcrawler.scoring.results import CATEGORIES

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


def site_value(site: SiteReport, measure: str) -> float | None:
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
    """scores.csv: the fixed columns, the 90 % rank interval (``rank_low``, ``rank_high``:
    :mod:`evalcrawler.reports.intervals`), then region_id, reason, a rank per category and,
    when a previous year is stored, that year's rank and total and the change of the total."""
    from evalcrawler.reports.intervals import rank_intervals  # it imports this module's users

    ranks = effective_ranks(data)
    intervals = rank_intervals(data)
    category_ranks = {
        c: _competition_rank({s.site_id: site_value(s, c) for s in data.sites}) for c in CATEGORIES
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
            "rank_low": intervals[site.site_id][0] if site.site_id in intervals else None,
            "rank_high": intervals[site.site_id][1] if site.site_id in intervals else None,
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
    integers = ("rank", "pages", "rank_low", "rank_high", *(f"rank_{c}" for c in CATEGORIES))
    for column in (*integers, "previous_rank"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def _ranking_columns(data: ReportData) -> list[str]:
    columns = [
        *SCORE_COLUMNS,
        "rank_low",
        "rank_high",
        "region_id",
        "reason",
        *(f"rank_{c}" for c in CATEGORIES),
    ]
    if data.previous is not None:
        columns += ["previous_rank", "previous_total", "total_change"]
    return columns
