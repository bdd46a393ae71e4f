"""Findings: each site's lost points as a list of what to fix first, with evidence links
(findings.csv and the report's findings section)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalcrawler.reports.data import ReportData, RubricInfo, SiteReport
from evalcrawler.reports.ranking import ranked_sites
from evalcrawler.scoring.results import IndicatorResult


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
