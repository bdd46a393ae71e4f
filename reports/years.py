"""Year over year: each site's total and categories in every scored year of the region, with
the change of rank and total since the year before (years.csv and the report's chart).

The years are the region's runs stored in the same database, up to the reported run's year,
scored under the same rubric id (a rubric changed in between still counts: its id says the
scores are meant to compare), one run per year (the latest that is not superseded, its latest
scoring under that rubric). Built in memory, the years are the chain of ``previous`` runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalcrawler.db.models import Run, ScoreSet, Site, SiteScore
from evalcrawler.reports.data import ReportData, YearScores, _categories
from evalcrawler.scoring.results import CATEGORIES

YEARS_COLUMNS: tuple[str, ...] = (
    "year",
    "run_id",
    "site_id",
    "name_zh",
    "level",
    "status",
    "rank",
    "rank_change",
    "total",
    "total_change",
    *CATEGORIES,
)
"""years.csv columns: ``rank_change`` is last year's rank − this year's (positive: moved up),
``total_change`` this year's total − last year's; both empty in a site's first year."""


def load_years(session: Session, run: Run, rubric_id: str) -> list[YearScores]:
    """Every scored year of ``run``'s region up to its year, oldest first (this run included)."""
    runs = list(
        session.scalars(
            select(Run)
            .join(ScoreSet, ScoreSet.run_id == Run.id)
            .where(
                Run.region_id == run.region_id,
                Run.year <= run.year,
                Run.superseded.is_(False),
                ScoreSet.rubric_id == rubric_id,
            )
            .order_by(Run.year, Run.id)
        ).unique()
    )
    chosen: dict[int, Run] = {}
    for candidate in runs:
        chosen[candidate.year] = candidate  # the latest run of each year
    chosen[run.year] = run  # the reported run is its year's, whichever it is
    out: list[YearScores] = []
    for year in sorted(chosen):
        this = chosen[year]
        score_set = session.scalars(
            select(ScoreSet)
            .where(ScoreSet.run_id == this.id, ScoreSet.rubric_id == rubric_id)
            .order_by(ScoreSet.scored_at.desc(), ScoreSet.id.desc())
            .limit(1)
        ).first()
        if score_set is None:
            continue
        rows = session.execute(
            select(
                Site.site_id,
                SiteScore.rank,
                SiteScore.total,
                SiteScore.categories,
                SiteScore.status,
            )
            .join(Site, Site.id == SiteScore.site_pk)
            .where(SiteScore.score_set_id == score_set.id)
            .order_by(Site.id)
        ).all()
        sites = {
            str(r.site_id): (r.rank, r.total, _categories(r.categories), str(r.status))
            for r in rows
        }
        out.append(YearScores(year=year, run_id=this.id, sites=sites))
    return out


def _of(data: ReportData) -> YearScores:
    return YearScores(
        year=data.year,
        run_id=data.run_id,
        sites={
            s.site_id: (s.rank, s.total if s.included else None, dict(s.categories), s.status)
            for s in data.sites
        },
    )


def years_of(data: ReportData) -> list[YearScores]:
    """The stored years, else the chain of previous runs and this one, oldest first."""
    if data.years:
        return data.years
    chain: list[YearScores] = []
    current: ReportData | None = data
    while current is not None:
        chain.append(_of(current))
        current = current.previous
    return list(reversed(chain))


def years_rows(data: ReportData) -> list[dict[str, Any]]:
    """years.csv: one row per site and year (the sites of the reported run, in its order)."""
    years = years_of(data)
    rows: list[dict[str, Any]] = []
    for site in data.sites:
        before: tuple[int | None, float | None] | None = None
        for entry in years:
            found = entry.sites.get(site.site_id)
            if found is None:
                before = None
                continue
            rank, total, categories, status = found
            if status in ("unreachable", "blocked"):
                total, rank = None, None
            row: dict[str, Any] = {
                "year": entry.year,
                "run_id": entry.run_id,
                "site_id": site.site_id,
                "name_zh": site.name_zh,
                "level": site.level,
                "status": status,
                "rank": rank,
                "rank_change": None,
                "total": total,
                "total_change": None,
                **{c: categories.get(c) if total is not None else None for c in CATEGORIES},
            }
            if before is not None:
                if before[0] is not None and rank is not None:
                    row["rank_change"] = before[0] - rank
                if before[1] is not None and total is not None:
                    row["total_change"] = total - before[1]
            before = (rank, total)
            rows.append(row)
    return rows


def report_context(data: ReportData) -> dict[str, Any] | None:
    """The report's year-over-year section: ``None`` with fewer than two years."""
    from evalcrawler.reports.trend_charts import years_chart

    years = years_of(data)
    if len(years) < 2:
        return None
    labels = [y.year for y in years if y.year is not None]
    rows = years_rows(data)
    by_site: dict[str, dict[int | None, dict[str, Any]]] = {}
    for row in rows:
        by_site.setdefault(row["site_id"], {})[row["year"]] = row
    series = [
        (
            s.site_id,
            s.name_zh or s.site_id,
            [by_site.get(s.site_id, {}).get(y, {}).get("total") for y in labels],
        )
        for s in data.sites
    ]
    return {
        "years": labels,
        "sites": [(s, by_site.get(s.site_id, {})) for s in data.sites],
        "chart": years_chart(labels, series),
    }
