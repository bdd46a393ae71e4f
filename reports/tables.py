"""The tables of the CSV files and of the XLSX sheets, built once from a report's data.

:func:`build_tables` gives every table of DESIGN.md's CSV files (keyed by file stem), each with
its columns in their fixed order and the number of decimals of its rounded columns; the CSV and
XLSX writers render the same :class:`Table`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalcrawler.reports import findings, ranking, regional, years
from evalcrawler.reports.cells import INDEX_DECIMALS, SCORE_DECIMALS
from evalcrawler.reports.data import ReportData, all_metrics
from evalcrawler.scoring.results import CATEGORIES

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
    if row.get("measure") == "letters":
        return 0  # a count
    if row.get("statistic") in regional.SCORE_SCALE_STATISTICS:
        return SCORE_DECIMALS
    return INDEX_DECIMALS


def build_tables(data: ReportData) -> dict[str, Table]:
    """Every table of the CSV files (and XLSX sheets), keyed by file stem."""
    s, x = SCORE_DECIMALS, INDEX_DECIMALS
    score_cols = ["total", *CATEGORIES, "previous_total", "total_change"]
    tables: dict[str, Table] = {
        "scores": Table.from_frame("scores", ranking.ranking(data), dict.fromkeys(score_cols, s)),
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
                    "reason": col.reason,
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
                    "reply_quality": thread.reply_quality or None,
                    "reply_quality_reason": thread.reply_quality_reason or None,
                    "topic": thread.topic or None,
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
        regional.regional_table(data),
        {
            **dict.fromkeys(("mean", "median", "std", "min", "max", "range"), s),
            "cv": x,
            "value": _regional_value_decimals,
            "low": s,
            "high": s,
        },
    )
    tables["columns"] = Table(
        "columns",
        [
            "site_id",
            "column",
            "url",
            "kind",
            "items",
            "latest",
            "age_days",
            "stale",
            "blank",
            "reason",
        ],
        column_rows,
    )
    tables["threads"] = Table(
        "threads",
        [
            "site_id",
            "url",
            "title",
            "asked",
            "replied",
            "latency_days",
            "overdue",
            "state",
            "reply_quality",
            "reply_quality_reason",
            "topic",
        ],
        thread_rows,
    )
    tables["broken"] = Table(
        "broken",
        ["site_id", "url", "status", "error", "on_home", "linked_from"],
        broken_rows,
    )
    tables["findings"] = Table.from_frame(
        "findings",
        findings.findings_table(data),
        {"score": s, "max_score": s, "lost": s},
    )
    tables["years"] = Table(
        "years",
        list(years.YEARS_COLUMNS),
        years.years_rows(data),
        dict.fromkeys(("total", "total_change", *CATEGORIES), s),
    )
    return tables
