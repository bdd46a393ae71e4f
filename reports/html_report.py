"""The HTML report: one self-contained ``report.html`` (Jinja2 templates, inline styles and
SVG charts, no network needed to view it).

Crawled text is escaped (autoescape on for everything) and links only ever point to http(s)
URLs (:func:`safe_href`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from evalcrawler import __version__
from evalcrawler.reports import charts, intervals, letters, overview, ranking, trend_charts, years
from evalcrawler.reports.cells import (
    SCORE_DECIMALS,
    clean_text,
    is_missing,
    json_text,
    round_half_up,
)
from evalcrawler.reports.data import ReportData
from evalcrawler.reports.findings import site_findings, unchecked
from evalcrawler.reports.regional import (
    ALL,
    COUNTY_LEVEL,
    GROUP_NAMES_ZH,
    MEASURES,
    group_name_zh,
    regional_table,
)
from evalcrawler.reports.tables import Table
from evalcrawler.scoring.results import CATEGORIES


def safe_href(url: Any) -> str | None:
    """The URL when it is an absolute http(s) URL, else ``None``: a crawled ``javascript:``
    or ``data:`` link must never become clickable in the report."""
    if not isinstance(url, str) or not url:
        return None
    text = clean_text(url).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def fmt_score(value: Any, decimals: int = SCORE_DECIMALS) -> str:
    """A number for the HTML report, rounded like the CSV; ``–`` for null."""
    if is_missing(value) or isinstance(value, bool):
        return "–"
    return str(round_half_up(float(value), decimals))


def fmt_points(value: Any) -> str:
    """Indicator points: ``3``, ``2.5``, ``1.25`` (no trailing zeros)."""
    if is_missing(value):
        return "–"
    text = str(round_half_up(float(value), SCORE_DECIMALS))
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_signed(value: Any, decimals: int = SCORE_DECIMALS) -> str:
    if is_missing(value):
        return "–"
    rounded = round_half_up(float(value), decimals)
    return f"+{rounded}" if rounded > 0 else str(rounded)


def fmt_percent(value: Any) -> str:
    if is_missing(value):
        return "–"
    return f"{round_half_up(float(value) * 100, 1)}%"


def bar_width(value: Any) -> str:
    """Width of a CSS bar for a 0–100 score (always a plain number: safe in a style)."""
    if is_missing(value) or isinstance(value, bool):
        return "0"
    return str(round_half_up(max(0.0, min(100.0, float(value))), 1))


def fmt_value(value: Any) -> str:
    """An indicator or metric value (JSON) as short text."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, numbers.Real):
        return format(float(value), ".4g")
    if isinstance(value, list | tuple | dict):
        return clean_text(json_text(value))
    return clean_text(str(value))


def heat_class(cell: overview.HeatCell) -> str:
    if cell.status == "manual":
        return "hm"
    if cell.status == "absent":  # the indicator is not for this site (its level)
        return "ha"
    if cell.ratio is None:
        return "hn"
    if cell.ratio <= 0:
        return "h0"
    if cell.ratio < 0.5:
        return "h1"
    if cell.ratio < 0.8:
        return "h2"
    if cell.ratio < 1:
        return "h3"
    return "h4"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescape on for everything)."""
    env = Environment(
        loader=PackageLoader("evalcrawler.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Every value the template prints loses the characters no output may hold (bidi
        # overrides reorder text; a noncharacter is no text at all), whatever its source.
        finalize=_clean_value,
    )
    env.filters.update(
        score=fmt_score,
        points=fmt_points,
        signed=fmt_signed,
        percent=fmt_percent,
        width=bar_width,
        value=fmt_value,
        href=safe_href,
        clean=lambda v: clean_text(str(v)) if v is not None else "",
        heat=heat_class,
        group_zh=group_name_zh,
        yaml=lambda v: yaml.safe_dump(v, allow_unicode=True, sort_keys=False).strip(),
    )
    return env


def _regional_rows(table: pd.DataFrame, year: int | None, region: str, **where: str) -> list[dict]:
    mask = table["region"] == region
    if year is not None:
        mask &= table["year"] == year
    for key, value in where.items():
        mask &= table[key] == value
    return [
        {k: (None if is_missing(v) else v) for k, v in row.items()}
        for row in table.loc[mask].to_dict("records")
    ]


def _matrix(
    rows: Sequence[Mapping[str, Any]], field_name: str = "value"
) -> dict[str, dict[str, Any]]:
    """``{group: {measure: row[field]}}`` from long-format rows."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row["group"], {})[row["measure"]] = row[field_name]
    return out


def html_context(
    data: ReportData, tables: dict[str, Table], generated_at: datetime
) -> dict[str, Any]:
    """Everything the template shows, computed here so the template stays declarative."""
    regional = regional_table(data)
    ranks = ranking.effective_ranks(data)
    order = ranking.ranked_sites(data)
    by_site = {row["site_id"]: row for row in tables["scores"].rows}
    headline = overview.headline(data, regional)
    heat_rows, heat_sites = overview.heatmap(data)
    year = data.year

    def scope(region: str) -> dict[str, Any]:
        summary = _regional_rows(regional, year, region, statistic="summary")
        return {
            "region": region,
            "summary_total": [r for r in summary if r["measure"] == "total"],
            "means": _matrix(summary, "mean"),
            "groups": list(dict.fromkeys(r["group"] for r in summary)),
            "gaps": _matrix(_regional_rows(regional, year, region, statistic="gap")),
            "gap_groups": list(
                dict.fromkeys(
                    r["group"] for r in _regional_rows(regional, year, region, statistic="gap")
                )
            ),
            "inequality": {
                stat: _matrix(_regional_rows(regional, year, region, statistic=stat)).get(ALL, {})
                for stat in (
                    "gini",
                    "theil",
                    "theil_between",
                    "theil_within",
                    "theil_between_share",
                )
            },
            "theil_groups": _regional_rows(
                regional, year, region, statistic="theil_group", measure="total"
            ),
            "theil_shares": _matrix(
                _regional_rows(regional, year, region, statistic="theil_share", measure="total")
            ),
        }

    regions = data.regions
    yoy = None
    if data.previous is not None:
        yoy_rows = [
            r for r in _regional_rows(regional, year, ALL) if r["statistic"].startswith("yoy_")
        ]
        yoy = {
            "year": data.previous.year,
            "means": _matrix([r for r in yoy_rows if r["statistic"] == "yoy_mean"]),
            "groups": list(
                dict.fromkeys(r["group"] for r in yoy_rows if r["statistic"] == "yoy_mean")
            ),
            "other": _matrix(
                [
                    {**r, "group": r["statistic"]}
                    for r in yoy_rows
                    if r["statistic"] in ("yoy_gap", "yoy_gini", "yoy_theil")
                    and r["group"] in (ALL, COUNTY_LEVEL)
                ]
            ),
        }

    site_cards = []
    for site in order:
        if not site.included:
            continue
        site_cards.append(
            {
                "site": site,
                "rank": ranks[site.site_id],
                "findings": site_findings(site, data.rubric),
                "unchecked": unchecked(site),
                "stale_columns": [c for c in site.columns if c.stale or c.blank][:10],
                "more_columns": max(0, sum(1 for c in site.columns if c.stale or c.blank) - 10),
                "broken": site.broken[:10],
                "more_broken": max(0, len(site.broken) - 10),
                "overdue": [t for t in site.threads if t.overdue][:10],
                "more_overdue": max(0, sum(1 for t in site.threads if t.overdue) - 10),
            }
        )

    rubric = data.rubric
    total_points = rubric.total_points
    letter_section = letters.report_context(data)
    if letter_section is not None:
        letter_section["topic_chart"] = Markup(trend_charts.topic_chart(letter_section["topics"]))
        letter_section["quality_chart"] = Markup(
            trend_charts.quality_chart(letter_section["sites"])
        )
    year_section = years.report_context(data)
    if year_section is not None:
        year_section["chart"] = Markup(year_section["chart"])
    return {
        "stability": intervals.report_context(data),
        "letters": letter_section,
        "years": year_section,
        "data": data,
        "rubric": rubric,
        "categories": list(CATEGORIES),
        "measures": list(MEASURES),
        "category_names": {c: rubric.category_name(c) for c in CATEGORIES},
        "rows": [
            {"site": site, "rank": ranks[site.site_id], "row": by_site[site.site_id]}
            for site in order
        ],
        "has_previous": data.previous is not None,
        "headline": headline,
        "scopes": [scope(ALL)] + ([scope(r) for r in regions] if len(regions) > 1 else []),
        "multi_region": len(regions) > 1,
        "yoy": yoy,
        "category_chart": Markup(charts.category_chart(data, order, ranks)),
        "level_chart": Markup(charts.level_chart(data)),
        "heat_rows": heat_rows,
        "heat_sites": heat_sites,
        "heat_ranks": ranks,
        "vetoed": [s for s in order if s.veto],
        "site_cards": site_cards,
        "unmeasured": [s for s in order if not s.included],
        "total_points": total_points,
        "generated_at": fmt_datetime(generated_at),
        "version": __version__,
        "level_names": GROUP_NAMES_ZH,
    }


def fmt_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None and moment.utcoffset() == timezone.utc.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ", timespec="seconds")


def render_html(data: ReportData, tables: dict[str, Table], generated_at: datetime) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(**html_context(data, tables, generated_at))


def _clean_value(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value
