"""Writers: the CSV files of DESIGN.md, one self-contained ``report.html`` and ``report.xlsx``.

Every output is deterministic for a given :class:`ReportData` and ``generated_at``: rows in a
fixed order, numbers rounded half-up to a documented number of decimals, SVG without dates,
XLSX with fixed document properties and zip timestamps. Crawled text is untrusted: HTML escapes
it (Jinja2 autoescape), links only ever point to http(s) URLs, and CSV/XLSX cells that a
spreadsheet would read as a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy import Engine

from evalcrawler import __version__
from evalcrawler.errors import ReportError
from evalcrawler.reports import analysis, charts
from evalcrawler.reports.data import (
    ReportData,
    SiteReport,
    all_metrics,
    load_report_data,
)
from evalcrawler.scoring.results import CATEGORIES

FORMATS: tuple[str, ...] = ("csv", "html", "xlsx")

CSV_FILES: tuple[str, ...] = (
    "scores.csv",
    "indicators.csv",
    "measurements.csv",
    "regional.csv",
    "columns.csv",
    "threads.csv",
    "broken.csv",
    "findings.csv",
)

SCORE_DECIMALS = 2
"""Scores (0–100 and indicator points) and score differences: 2 decimals, half-up."""
INDEX_DECIMALS = 4
"""Ratios and indices (CV, Gini, Theil, shares): 4 decimals, half-up."""

# Cells a spreadsheet may read as a formula (OWASP "CSV injection"): =, +, -, @, and tab or
# carriage return, which some programs strip before looking at the first character.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than tab, newline and carriage return: illegal in XML (XLSX) and
# invisible noise everywhere else.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
XLSX_MAX_CELL = 32767


# ---------------------------------------------------------------------------------------------
# Cell values


def clean_text(text: str) -> str:
    """Drop control characters that no output can show (crawled text may hold them)."""
    return _CONTROL.sub("", text)


def neutralise(text: str) -> str:
    """Prefix a cell that would start a formula with ``'`` so it stays text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def round_half_up(value: float, decimals: int) -> Decimal:
    """Round the decimal value Python prints for ``value`` half away from zero
    (2.675 → 2.68, unlike ``round``, which works on the binary float and gives 2.67)."""
    quantum = Decimal(1).scaleb(-decimals)
    result = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return result + 0 if result.is_zero() else result  # no "-0.00"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and (math.isnan(value) or math.isinf(value))


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def csv_cell(value: Any, decimals: int | None = None) -> str:
    """One CSV cell: empty for null, ``true``/``false``, numbers rounded when ``decimals`` is
    given (else up to 10 significant digits), JSON for lists and mappings, text neutralised."""
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars from pandas → plain Python values
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if _is_missing(number):
            return ""
        if decimals is not None:
            return str(round_half_up(number, decimals))
        return format(number, ".10g")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return neutralise(clean_text(_json_text(value)))
    return neutralise(clean_text(str(value)))


def xlsx_cell(value: Any, decimals: int | None = None) -> Any:
    """One XLSX cell: numbers stay numbers (rounded like the CSV), booleans stay booleans,
    text is cleaned, cut to Excel's cell limit and neutralised against formulas."""
    if isinstance(value, np.generic):
        value = value.item()
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if _is_missing(number):
            return None
        return float(round_half_up(number, decimals)) if decimals is not None else number
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = _json_text(value) if isinstance(value, list | tuple | dict) else str(value)
    return neutralise(clean_text(text)[:XLSX_MAX_CELL])


# ---------------------------------------------------------------------------------------------
# Tables shared by the CSV and XLSX writers

Decimals = int | Callable[[Mapping[str, Any]], int | None]


@dataclass
class Table:
    """Rows of one output table with the number of decimals of its rounded columns."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    decimals: dict[str, Decimals] = field(default_factory=dict)

    def decimals_of(self, column: str, row: Mapping[str, Any]) -> int | None:
        spec = self.decimals.get(column)
        return spec(row) if callable(spec) else spec

    @classmethod
    def from_frame(
        cls, name: str, frame: pd.DataFrame, decimals: dict[str, Decimals] | None = None
    ) -> Table:
        rows = [
            {c: frame.iloc[i][c] for c in frame.columns}
            for i in range(len(frame))  # iloc keeps pd.NA / NaN as they are
        ]
        return cls(name, list(frame.columns), rows, decimals or {})


def _regional_value_decimals(row: Mapping[str, Any]) -> int:
    if row.get("statistic") in analysis.SCORE_SCALE_STATISTICS:
        return SCORE_DECIMALS
    return INDEX_DECIMALS


def build_tables(data: ReportData) -> dict[str, Table]:
    """Every table of the CSV files (and XLSX sheets), keyed by file stem."""
    s, x = SCORE_DECIMALS, INDEX_DECIMALS
    score_cols = ["total", *CATEGORIES, "previous_total", "total_change"]
    tables: dict[str, Table] = {
        "scores": Table.from_frame("scores", analysis.ranking(data), dict.fromkeys(score_cols, s)),
    }

    indicator_rows: list[dict[str, Any]] = []
    measurement_rows: list[dict[str, Any]] = []
    column_rows: list[dict[str, Any]] = []
    thread_rows: list[dict[str, Any]] = []
    broken_rows: list[dict[str, Any]] = []
    for site in data.sites:
        for ind in site.indicators:
            indicator_rows.append(
                {
                    "site_id": site.site_id,
                    "indicator_id": ind.indicator_id,
                    "category": ind.category,
                    "name_zh": ind.name_zh,
                    "value": ind.value,
                    "score": ind.score,
                    "max_score": ind.max_score,
                    "status": ind.status,
                    "evidence_url": ind.evidence_url,
                    "name": ind.name,
                    "evidence_text": ind.evidence_text,
                    "note": ind.note,
                    "evidence_warc": site.warc_records.get(ind.evidence_url or ""),
                }
            )
        for metric, measurement in all_metrics(site):
            measurement_rows.append(
                {
                    "site_id": site.site_id,
                    "metric": metric,
                    "value": measurement.value,
                    "reason": measurement.reason,
                    "evidence_url": measurement.evidence_url,
                }
            )
        for col in site.columns:
            column_rows.append(
                {
                    "site_id": site.site_id,
                    "column": col.column,
                    "url": col.url,
                    "kind": col.kind,
                    "items": col.items,
                    "latest": col.latest,
                    "age_days": col.age_days,
                    "stale": col.stale,
                    "blank": col.blank,
                }
            )
        for link in site.broken:
            broken_rows.append(
                {
                    "site_id": site.site_id,
                    "url": link.url,
                    "status": link.status,
                    "error": link.error,
                    "on_home": link.on_home,
                    "linked_from": " ".join(link.linked_from),
                }
            )
        for thread in site.threads:
            thread_rows.append(
                {
                    "site_id": site.site_id,
                    "url": thread.url,
                    "title": thread.title,
                    "asked": thread.asked,
                    "replied": thread.replied,
                    "latency_days": thread.latency_days,
                    "overdue": thread.overdue,
                    "state": thread.state,
                }
            )
    tables["indicators"] = Table(
        "indicators",
        [
            "site_id",
            "indicator_id",
            "category",
            "name_zh",
            "value",
            "score",
            "max_score",
            "status",
            "evidence_url",
            "name",
            "evidence_text",
            "note",
            "evidence_warc",
        ],
        indicator_rows,
        {"score": s, "max_score": s},
    )
    tables["measurements"] = Table(
        "measurements",
        ["site_id", "metric", "value", "reason", "evidence_url"],
        measurement_rows,
    )
    tables["regional"] = Table.from_frame(
        "regional",
        analysis.regional_table(data),
        {
            **dict.fromkeys(("mean", "median", "std", "min", "max", "range"), s),
            "cv": x,
            "value": _regional_value_decimals,
        },
    )
    tables["columns"] = Table(
        "columns",
        ["site_id", "column", "url", "kind", "items", "latest", "age_days", "stale", "blank"],
        column_rows,
    )
    tables["threads"] = Table(
        "threads",
        ["site_id", "url", "title", "asked", "replied", "latency_days", "overdue", "state"],
        thread_rows,
    )
    tables["broken"] = Table(
        "broken",
        ["site_id", "url", "status", "error", "on_home", "linked_from"],
        broken_rows,
    )
    tables["findings"] = Table.from_frame(
        "findings",
        analysis.findings_table(data),
        {"score": s, "max_score": s, "lost": s},
    )
    return tables


# ---------------------------------------------------------------------------------------------
# Files


def _stage(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to a temporary file next to ``path``; return the temporary file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def render_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with BOM (Excel then reads Chinese right), ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_cell(row.get(c), table.decimals_of(c, row)) for c in table.columns])
    return buffer.getvalue().encode("utf-8-sig")


def write_reports(
    data: ReportData,
    out_dir: Path,
    *,
    generated_at: datetime | None = None,
    formats: Iterable[str] = FORMATS,
) -> list[Path]:
    """Write the reports of ``data`` into ``out_dir`` (created if missing); return the paths
    written, in a fixed order. ``generated_at`` defaults to ``SOURCE_DATE_EPOCH`` when set,
    else now (UTC, whole seconds)."""
    formats = tuple(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ReportError(
            f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            f"cannot create report folder {out_dir}: {exc.strerror}; choose another --out"
        ) from None
    generated_at = generated_at or default_generated_at()
    tables = build_tables(data)
    # Every file is written to a temporary file first and all are renamed at the end, so a
    # failure (a full disk) leaves the earlier reports as they were, never half a set.
    staged: list[tuple[Path, Path]] = []  # (temporary file, report file)
    try:
        if "csv" in formats:
            for name in CSV_FILES:
                path = out_dir / name
                staged.append((_stage(path, render_csv(tables[name.removesuffix(".csv")])), path))
        if "html" in formats:
            path = out_dir / "report.html"
            html = render_html(data, tables, generated_at).encode("utf-8")
            staged.append((_stage(path, html), path))
        if "xlsx" in formats:
            path = out_dir / "report.xlsx"
            staged.append((_stage(path, render_xlsx(data, tables, generated_at)), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        raise ReportError(
            f"cannot write reports in {out_dir}: {exc.strerror or exc}; check the folder's "
            "permissions and free space"
        ) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [path for _, path in staged]


def report_run(
    engine: Engine,
    run_id: int,
    out_dir: Path,
    *,
    rubric_id: str | None = None,
    generated_at: datetime | None = None,
    formats: Iterable[str] = FORMATS,
) -> list[Path]:
    """``evalcrawl report --run ID --out DIR``: rebuild every report from the database alone."""
    data = load_report_data(engine, run_id, rubric_id)
    return write_reports(data, out_dir, generated_at=generated_at, formats=formats)


def default_generated_at() -> datetime:
    """``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) if set, else now, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# HTML


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
    if _is_missing(value) or isinstance(value, bool):
        return "–"
    return str(round_half_up(float(value), decimals))


def fmt_points(value: Any) -> str:
    """Indicator points: ``3``, ``2.5``, ``1.25`` (no trailing zeros)."""
    if _is_missing(value):
        return "–"
    text = str(round_half_up(float(value), SCORE_DECIMALS))
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_signed(value: Any, decimals: int = SCORE_DECIMALS) -> str:
    if _is_missing(value):
        return "–"
    rounded = round_half_up(float(value), decimals)
    return f"+{rounded}" if rounded > 0 else str(rounded)


def fmt_percent(value: Any) -> str:
    if _is_missing(value):
        return "–"
    return f"{round_half_up(float(value) * 100, 1)}%"


def bar_width(value: Any) -> str:
    """Width of a CSS bar for a 0–100 score (always a plain number: safe in a style)."""
    if _is_missing(value) or isinstance(value, bool):
        return "0"
    return str(round_half_up(max(0.0, min(100.0, float(value))), 1))


def fmt_value(value: Any) -> str:
    """An indicator or metric value (JSON) as short text."""
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, numbers.Real):
        return format(float(value), ".4g")
    if isinstance(value, list | tuple | dict):
        return clean_text(_json_text(value))
    return clean_text(str(value))


def heat_class(cell: analysis.HeatCell) -> str:
    if cell.status == "manual":
        return "hm"
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
        group_zh=analysis.group_name_zh,
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
        {k: (None if _is_missing(v) else v) for k, v in row.items()}
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
    regional = analysis.regional_table(data)
    ranks = analysis.effective_ranks(data)
    order = analysis.ranked_sites(data)
    by_site = {row["site_id"]: row for row in tables["scores"].rows}
    headline = analysis.headline(data, regional)
    heat_rows, heat_sites = analysis.heatmap(data)
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
                stat: _matrix(_regional_rows(regional, year, region, statistic=stat)).get(
                    analysis.ALL, {}
                )
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
            r
            for r in _regional_rows(regional, year, analysis.ALL)
            if r["statistic"].startswith("yoy_")
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
                    and r["group"] in (analysis.ALL, analysis.COUNTY_LEVEL)
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
                "findings": analysis.site_findings(site, data.rubric),
                "unchecked": analysis.unchecked(site),
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
    return {
        "data": data,
        "rubric": rubric,
        "categories": list(CATEGORIES),
        "measures": list(analysis.MEASURES),
        "category_names": {c: rubric.category_name(c) for c in CATEGORIES},
        "rows": [
            {"site": site, "rank": ranks[site.site_id], "row": by_site[site.site_id]}
            for site in order
        ],
        "has_previous": data.previous is not None,
        "headline": headline,
        "scopes": [scope(analysis.ALL)] + ([scope(r) for r in regions] if len(regions) > 1 else []),
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
        "generated_at": _fmt_datetime(generated_at),
        "version": __version__,
        "level_names": analysis.GROUP_NAMES_ZH,
    }


def _fmt_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None and moment.utcoffset() == timezone.utc.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ", timespec="seconds")


def render_html(data: ReportData, tables: dict[str, Table], generated_at: datetime) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(**html_context(data, tables, generated_at))


# ---------------------------------------------------------------------------------------------
# XLSX


SHEETS: tuple[str, ...] = (
    "scores",
    "regional",
    "findings",
    "indicators",
    "measurements",
    "columns",
    "threads",
    "broken",
)


def _summary_rows(data: ReportData, generated_at: datetime) -> list[tuple[str, Any]]:
    regional = analysis.regional_table(data)
    head = analysis.headline(data, regional)

    def names(sites: Sequence[SiteReport]) -> str:
        return "; ".join(f"{s.name_zh or s.name} ({fmt_score(s.total)})" for s in sites)

    return [
        ("region", data.region_id),
        ("region_name", data.title_name),
        ("run_id", data.run_id),
        ("year", data.year),
        ("as_of", data.as_of.isoformat() if data.as_of else None),
        ("crawl_date", data.crawl_date.isoformat() if data.crawl_date else None),
        ("rubric", f"{data.rubric.id} {data.rubric.version}".strip()),
        ("rubric_title", data.rubric.title),
        ("rubric_sha256", data.rubric.sha256),
        ("generated_at", _fmt_datetime(generated_at)),
        ("generator", f"evalcrawl {__version__}"),
        ("sites", head.n_sites),
        ("ranked", head.n_included),
        ("measured", head.n_measured),
        ("partial", head.n_partial),
        ("not_measured", head.n_unreachable),
        ("vetoed", head.n_veto),
        ("leaders", names(head.leaders)),
        ("trailers", names(head.trailers)),
        ("mean_total", head.mean_total),
        ("gap_total (municipal − district+county+county_city)", head.gap_total),
        ("gap_total (municipal − county+county_city)", head.gap_counties_total),
        ("gini_total", head.gini_total),
        ("theil_total", head.theil_total),
        ("theil_between_share", head.theil_between_share),
        ("previous_year", head.previous_year),
        ("yoy_mean_total", head.yoy_mean_total),
    ]


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def render_xlsx(data: ReportData, tables: dict[str, Table], generated_at: datetime) -> bytes:
    """The workbook: a summary sheet, every CSV table, and the rubric's indicators."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")

    def add_sheet(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        sheet = workbook.create_sheet(title)
        sheet.append([xlsx_cell(c) for c in columns])
        widths = [_display_width(c) for c in columns]
        for row in rows:
            sheet.append(list(row))
            for index, value in enumerate(row):
                widths[index] = max(widths[index], min(_display_width(value), 60))
        for cell in sheet[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="top")
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(6, width + 2)
        sheet.freeze_panes = "A2"
        if sheet.max_row > 1:
            sheet.auto_filter.ref = sheet.dimensions
        for sheet_row in sheet.iter_rows(min_row=2):
            for cell in sheet_row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
                elif isinstance(cell.value, float):
                    cell.number_format = "0.00##"

    workbook.remove(workbook.active)
    summary = _summary_rows(data, generated_at)
    index_items = {"gini_total", "theil_total", "theil_between_share"}
    add_sheet(
        "summary",
        ["item", "value"],
        [
            [
                xlsx_cell(key),
                xlsx_cell(value, INDEX_DECIMALS if key in index_items else SCORE_DECIMALS),
            ]
            for key, value in summary
        ],
    )
    for name in SHEETS:
        table = tables[name]
        add_sheet(
            name,
            table.columns,
            (
                [xlsx_cell(row.get(c), table.decimals_of(c, row)) for c in table.columns]
                for row in table.rows
            ),
        )
    rubric_columns = ["id", "category", "name_zh", "name", "points", "manual", "levels"]
    add_sheet(
        "rubric",
        rubric_columns,
        ([xlsx_cell(ind.get(c)) for c in rubric_columns] for ind in data.rubric.indicators),
    )

    moment = (
        generated_at.astimezone(timezone.utc).replace(tzinfo=None)
        if (generated_at.tzinfo is not None)
        else generated_at
    )
    moment = moment.replace(microsecond=0)
    props = workbook.properties
    props.creator = f"evalcrawl {__version__}"
    props.title = f"{data.title_name} {data.year or ''} evalcrawl report".strip()
    props.created = moment
    props.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue(), moment)


def _normalise_zip(payload: bytes, moment: datetime) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; replace both
    with ``moment`` so the same report gives the same bytes."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    zip_time = (
        max(moment.year, 1980),
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
    source = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rf"\g<1>{stamp}\g<2>",
                    text,
                )
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()
