"""What a report is made of: one scored run, read from the database or built in memory.

The reports are rebuilt from the database alone (``evalcrawl report --run ID``), so everything
they show is loaded here into plain dataclasses: the run and its region, the rubric it was
scored with (its YAML text, parsed for the appendix), every site with its scores, indicators,
measurements, columns and letters, and the previous year's run of the same region when one is
stored. :func:`report_data_from_results` builds the same object from in-memory scoring
results, for tests and for callers that have not stored anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from evalcrawler.db.models import (
    IndicatorScore,
    Page,
    Run,
    ScoreSet,
    Site,
    SiteScore,
)
from evalcrawler.db.models import Measurement as MeasurementRow
from evalcrawler.errors import ReportError
from evalcrawler.reports.stored import (
    _int_or_none,
    _number,
    broken_from_dict,
    column_from_dict,
    thread_from_dict,
)
from evalcrawler.scoring.results import (
    CATEGORIES,
    METRICS,
    BrokenLink,
    ColumnResult,
    IndicatorResult,
    Measurement,
    SiteResult,
    ThreadResult,
)

LEVELS: tuple[str, ...] = ("municipal", "district", "county", "county_city")
"""Administrative levels of DESIGN.md's region registry, from the top down."""

UNREACHABLE = "unreachable"
BLOCKED = "blocked"  # answers stayed an anti-bot challenge: never scored, like unreachable

# Suffixes dropped from a site's Chinese name for short labels in charts and headings:
# 太原市人民政府 → 太原市. The full name stays in every table.
_NAME_SUFFIXES = ("人民政府门户网站", "人民政府网站", "人民政府", "政府门户网站", "政府网站")


@dataclass
class RubricInfo:
    """The rubric a score set was computed with, as stored (its YAML) and parsed."""

    id: str
    title: str = ""
    version: str = ""
    sha256: str = ""
    text: str = ""
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    vetoes: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # based_on, levels, description, ...

    @classmethod
    def from_text(
        cls, rubric_id: str, text: str, *, title: str = "", version: str = "", sha256: str = ""
    ) -> RubricInfo:
        """Parse the stored YAML leniently: the appendix must never stop a report."""
        try:
            doc = yaml.safe_load(text) if text else None
        except yaml.YAMLError:
            doc = None
        if not isinstance(doc, dict):
            doc = {}
        categories = _as_id_map(doc.get("categories"))
        indicators = [dict(i) for i in doc.get("indicators") or [] if isinstance(i, Mapping)]
        vetoes_raw = doc.get("vetoes") or []
        if isinstance(vetoes_raw, Mapping):
            vetoes = list(_as_id_map(vetoes_raw).values())
        else:
            vetoes = [dict(v) for v in vetoes_raw if isinstance(v, Mapping)]
        meta = {
            k: v
            for k, v in doc.items()
            if k not in ("categories", "indicators", "vetoes", "thresholds")
            and isinstance(v, str | int | float | list)
        }
        return cls(
            id=rubric_id or str(doc.get("id") or ""),
            title=title or str(doc.get("title") or ""),
            version=version or str(doc.get("version") or ""),
            sha256=sha256,
            text=text,
            categories=categories,
            indicators=indicators,
            vetoes=vetoes,
            meta=meta,
        )

    @property
    def total_points(self) -> float:
        """Sum of the category points (the rubric's full marks)."""
        return float(sum(_number(c.get("points")) or 0 for c in self.categories.values()))

    def category_name(self, category: str) -> str:
        """The Chinese name of a category, else a default label."""
        info = self.categories.get(category) or {}
        return str(info.get("name_zh") or DEFAULT_CATEGORY_NAMES.get(category, category))

    def indicator_order(self) -> dict[str, int]:
        """Indicator id → position in the rubric (for a stable order of indicator rows)."""
        return {str(ind.get("id")): i for i, ind in enumerate(self.indicators)}


DEFAULT_CATEGORY_NAMES = {
    "content": "信息内容",
    "function": "网站功能",
    "interaction": "互动交流",
    "feedback": "回应关切",
}


@dataclass
class SiteReport:
    """One site of a run with everything the reports show about it."""

    site_id: str
    name_zh: str
    name: str
    level: str
    url: str
    region_id: str
    status: str  # measured | partial | blocked | unreachable
    reason: str | None = None
    rank: int | None = None
    total: float | None = None
    categories: dict[str, float | None] = field(default_factory=dict)
    veto: bool = False
    veto_reasons: list[str] = field(default_factory=list)
    pages: int | None = None
    indicators: list[IndicatorResult] = field(default_factory=list)
    measurements: dict[str, Measurement] = field(default_factory=dict)
    columns: list[ColumnResult] = field(default_factory=list)
    threads: list[ThreadResult] = field(default_factory=list)
    broken: list[BrokenLink] = field(default_factory=list)
    # evidence URL → its response record in the run's WARC archive ("<file>#<offset>")
    warc_records: dict[str, str] = field(default_factory=dict)

    @property
    def included(self) -> bool:
        """Whether the site counts in rankings and statistics (it was measured and scored)."""
        return self.status != UNREACHABLE and self.total is not None

    @property
    def short_name(self) -> str:
        """太原市人民政府 → 太原市; falls back to the English name and the id."""
        return short_name(self.name_zh) or self.name or self.site_id


def short_name(name_zh: str) -> str:
    """Drop the 人民政府-style suffix of a site's Chinese name (not when nothing would remain)."""
    name = name_zh.strip()
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class YearScores:
    """One scored run of the region: each site's rank, total and categories that year."""

    year: int | None
    run_id: int | None
    # site id → (rank, total, categories, status); the site's name comes from this year's run
    sites: dict[str, tuple[int | None, float | None, dict[str, float | None], str]]


@dataclass
class ReportData:
    """One scored run: the input of every analysis and writer of this package."""

    run_id: int | None
    region_id: str
    region_name: str
    region_name_zh: str
    year: int | None
    as_of: date | None
    crawl_date: date | None
    rubric: RubricInfo
    sites: list[SiteReport]  # in the region file's order
    previous: ReportData | None = None  # the same region's latest earlier year, same rubric
    # Every scored year of the region under the same rubric, oldest first, this one included
    # (the year-over-year table: evalcrawler.reports.years).
    years: list[YearScores] = field(default_factory=list)
    seed: int | None = None  # of the rank-stability simulation (None: the library default)
    # Results computed once per report (the rank-stability draws): see reports/intervals.py.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def title_name(self) -> str:
        """The region's name for headings: Chinese when known."""
        return self.region_name_zh or self.region_name or self.region_id

    @property
    def regions(self) -> list[str]:
        """The region ids the sites belong to, in order of first appearance."""
        seen: dict[str, None] = {}
        for site in self.sites:
            seen.setdefault(site.region_id, None)
        return list(seen)

    def site(self, site_id: str) -> SiteReport:
        for site in self.sites:
            if site.site_id == site_id:
                return site
        raise KeyError(site_id)


# ---------------------------------------------------------------------------------------------
# Conversions shared by both builders


def _as_id_map(value: Any) -> dict[str, dict[str, Any]]:
    """``{id: {...}}`` or ``[{id: ..., ...}]`` → ``{id: {..., "id": id}}`` (order kept)."""
    out: dict[str, dict[str, Any]] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            entry = dict(item) if isinstance(item, Mapping) else {"value": item}
            entry.setdefault("id", str(key))
            out[str(key)] = entry
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                key = str(item.get("id", index))
                out[key] = {**item, "id": key}
    return out


def _categories(raw: Mapping[str, Any] | None) -> dict[str, float | None]:
    raw = raw or {}
    out: dict[str, float | None] = {c: _number(raw.get(c)) for c in CATEGORIES}
    for key, value in raw.items():  # a rubric may define more categories: keep them
        out.setdefault(str(key), _number(value))
    return out


def _sort_indicators(
    indicators: list[IndicatorResult], rubric: RubricInfo
) -> list[IndicatorResult]:
    order = rubric.indicator_order()
    # Stable sort: indicators unknown to the rubric keep their stored order, after the rest.
    return sorted(indicators, key=lambda i: order.get(i.indicator_id, len(order)))


def _region_sites(region: Mapping[str, Any]) -> list[dict[str, Any]]:
    sites = region.get("sites") or []
    return [dict(s) for s in sites if isinstance(s, Mapping)]


def _order_by_snapshot(site_ids: Sequence[str], region: Mapping[str, Any]) -> dict[str, int]:
    """Position of each site: the region file's order first, then the stored order."""
    order = {str(s.get("id")): i for i, s in enumerate(_region_sites(region))}
    for index, site_id in enumerate(site_ids):
        order.setdefault(site_id, len(order) + index)
    return order


# ---------------------------------------------------------------------------------------------
# From the database


def load_report_data(engine: Engine, run_id: int, rubric_id: str | None = None) -> ReportData:
    """Load run ``run_id`` scored under ``rubric_id`` (default: its latest scoring), with the
    previous year's run of the same region scored under the same rubric."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise ReportError(
                f"no run {run_id} in the database; list the stored runs with `evalcrawl runs`"
            )
        score_set = _score_set(session, run, rubric_id)
        data = _load(session, run, score_set)
        previous_run = _previous_run(session, run, score_set.rubric_id)
        if previous_run is not None:
            previous_set = _score_set(session, previous_run, score_set.rubric_id)
            data.previous = _load(session, previous_run, previous_set)
        from evalcrawler.reports.years import load_years  # it builds on this module

        data.years = load_years(session, run, score_set.rubric_id)
        return data


def _score_set(session: Session, run: Run, rubric_id: str | None) -> ScoreSet:
    sets = list(
        session.scalars(
            select(ScoreSet)
            .where(ScoreSet.run_id == run.id)
            .order_by(ScoreSet.scored_at.desc(), ScoreSet.id.desc())
        )
    )
    if rubric_id is not None:
        for score_set in sets:
            if score_set.rubric_id == rubric_id:
                return score_set
        known = ", ".join(sorted(s.rubric_id for s in sets)) or "none"
        raise ReportError(
            f"run {run.id} has no scores under rubric {rubric_id!r} (scored under: {known}); "
            f"score it first with `evalcrawl score --run {run.id} --rubric {rubric_id}`"
        )
    if not sets:
        raise ReportError(
            f"run {run.id} has not been scored yet; score it with `evalcrawl score --run {run.id}`"
        )
    return sets[0]  # the latest scoring, as `evalcrawl report` documents


def _previous_run(session: Session, run: Run, rubric_id: str) -> Run | None:
    """The same region's latest earlier year that was scored under the same rubric."""
    return session.scalars(
        select(Run)
        .join(ScoreSet, ScoreSet.run_id == Run.id)
        .where(
            Run.region_id == run.region_id,
            Run.year < run.year,
            Run.superseded.is_(False),
            ScoreSet.rubric_id == rubric_id,
        )
        .order_by(Run.year.desc(), Run.id.desc())
        .limit(1)
    ).first()


def _load(session: Session, run: Run, score_set: ScoreSet) -> ReportData:
    rubric = RubricInfo.from_text(
        score_set.rubric_id,
        score_set.rubric_text or "",
        title=score_set.rubric_title or "",
        version=score_set.rubric_version or "",
        sha256=score_set.rubric_sha256 or "",
    )
    region = run.region or {}
    sites = list(session.scalars(select(Site).where(Site.run_id == run.id).order_by(Site.id)))
    scores = {
        s.site_pk: s
        for s in session.scalars(select(SiteScore).where(SiteScore.score_set_id == score_set.id))
    }
    indicators: dict[int, list[IndicatorResult]] = {}
    for row in session.scalars(
        select(IndicatorScore)
        .where(IndicatorScore.score_set_id == score_set.id)
        .order_by(IndicatorScore.id)
    ):
        indicators.setdefault(row.site_pk, []).append(
            IndicatorResult(
                indicator_id=row.indicator_id,
                category=row.category,
                name_zh=row.name_zh or "",
                name=row.name or "",
                value=row.value,
                score=row.score,
                max_score=float(row.max_score),
                status=row.status,
                evidence_url=row.evidence_url,
                evidence_text=row.evidence_text,
                note=row.note,
            )
        )
    measurements: dict[int, dict[str, Measurement]] = {}
    for m in session.scalars(
        select(MeasurementRow)
        .where(MeasurementRow.score_set_id == score_set.id)
        .order_by(MeasurementRow.id)
    ):
        measurements.setdefault(m.site_pk, {})[m.metric] = Measurement(
            value=m.value, reason=m.reason, evidence_url=m.evidence_url
        )

    warc_records = _warc_records(session, run.id, indicators)
    order = _order_by_snapshot([s.site_id for s in sites], region)
    reports: list[SiteReport] = []
    for site in sorted(sites, key=lambda s: order[s.site_id]):
        score = scores.get(site.id)
        details = (score.details if score is not None else None) or {}
        report = SiteReport(
            site_id=site.site_id,
            name_zh=site.name_zh or "",
            name=site.name or "",
            level=site.level,
            url=site.url,
            region_id=site.region_id or run.region_id,
            status=(score.status if score is not None else None) or site.status or UNREACHABLE,
            reason=site.reason,
            rank=score.rank if score is not None else None,
            total=score.total if score is not None else None,
            categories=_categories(score.categories if score is not None else None),
            veto=bool(score.veto) if score is not None else False,
            veto_reasons=[str(r) for r in (score.veto_reasons or [])] if score else [],
            pages=score.pages if score is not None else None,
            indicators=_sort_indicators(indicators.get(site.id, []), rubric),
            measurements=measurements.get(site.id, {}),
            columns=[column_from_dict(c) for c in details.get("columns") or []],
            threads=[thread_from_dict(t) for t in details.get("threads") or []],
            broken=[broken_from_dict(b) for b in details.get("broken") or []],
            warc_records=warc_records.get(site.id, {}),
        )
        if score is None and report.status != UNREACHABLE:
            # A site without a score cannot be ranked; say so instead of showing it as measured.
            report.status = UNREACHABLE
            report.reason = report.reason or "not scored under this rubric"
        reports.append(report)

    return ReportData(
        run_id=run.id,
        region_id=run.region_id,
        region_name=run.region_name or str(region.get("name") or ""),
        region_name_zh=str(region.get("name_zh") or ""),
        year=run.year,
        as_of=score_set.as_of or run.as_of,
        crawl_date=run.crawl_date,
        rubric=rubric,
        sites=reports,
    )


def _warc_records(
    session: Session, run_id: int, indicators: Mapping[int, list[IndicatorResult]]
) -> dict[int, dict[str, str]]:
    """Site → evidence URL → the WARC record of the page fetched at that URL (the URL it was
    requested as first, else the URL it ended at after redirects)."""
    urls = sorted({i.evidence_url for rows in indicators.values() for i in rows if i.evidence_url})
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(urls), 400):
        chunk = urls[start : start + 400]
        rows = session.execute(
            select(Page.site_pk, Page.url, Page.final_url, Page.warc_record)
            .where(
                Page.run_id == run_id,
                Page.warc_record.is_not(None),
                or_(Page.url.in_(chunk), Page.final_url.in_(chunk)),
            )
            .order_by(Page.url, Page.id)
        ).all()
        for row in rows:
            found.setdefault(row.site_pk, {}).setdefault(row.final_url, row.warc_record)
        for row in rows:
            found[row.site_pk][row.url] = row.warc_record
    return found


# ---------------------------------------------------------------------------------------------
# From memory


def report_data_from_results(
    region: Any,
    results: Iterable[SiteResult],
    *,
    rubric_text: str = "",
    rubric_id: str = "",
    rubric_title: str = "",
    rubric_version: str = "",
    year: int | None = None,
    as_of: date | None = None,
    crawl_date: date | None = None,
    run_id: int | None = None,
    reasons: Mapping[str, str] | None = None,
    previous: ReportData | None = None,
) -> ReportData:
    """Build a :class:`ReportData` from a region (a ``Region`` model or its dict snapshot) and
    the scoring engine's :class:`SiteResult` objects, without a database.

    Sites of the region without a result are reported as unreachable ("not scored"); the
    reasons of unreachable sites may be given in ``reasons`` (site id → text).
    """
    snapshot: Mapping[str, Any] = (
        region.model_dump(mode="json") if hasattr(region, "model_dump") else dict(region)
    )
    reasons = reasons or {}
    rubric = RubricInfo.from_text(
        rubric_id, rubric_text, title=rubric_title, version=rubric_version
    )
    by_id = {r.site_id: r for r in results}
    sites: list[SiteReport] = []
    for raw in _region_sites(snapshot):
        site_id = str(raw.get("id"))
        result = by_id.get(site_id)
        metrics = result.metrics if result is not None else None
        pages = metrics.value("pages") if metrics is not None else None
        status = result.status if result is not None else UNREACHABLE
        sites.append(
            SiteReport(
                site_id=site_id,
                name_zh=str(raw.get("name_zh") or ""),
                name=str(raw.get("name") or ""),
                level=str(raw.get("level") or (result.level if result else "")),
                url=str(raw.get("url") or ""),
                region_id=str(raw.get("region") or snapshot.get("id") or ""),
                status=status,
                reason=reasons.get(site_id) or (None if result else "not scored"),
                rank=result.rank if result is not None else None,
                total=result.total if result is not None else None,
                categories=_categories(result.categories if result is not None else None),
                veto=bool(result.veto) if result is not None else False,
                veto_reasons=list(result.veto_reasons) if result is not None else [],
                pages=_int_or_none(pages),
                indicators=_sort_indicators(list(result.indicators), rubric) if result else [],
                measurements=dict(metrics.values) if metrics is not None else {},
                columns=list(metrics.columns) if metrics is not None else [],
                threads=list(metrics.threads) if metrics is not None else [],
                broken=list(metrics.broken) if metrics is not None else [],
            )
        )
    return ReportData(
        run_id=run_id,
        region_id=str(snapshot.get("id") or ""),
        region_name=str(snapshot.get("name") or ""),
        region_name_zh=str(snapshot.get("name_zh") or ""),
        year=year,
        as_of=as_of,
        crawl_date=crawl_date,
        rubric=rubric,
        sites=sites,
        previous=previous,
    )


def all_metrics(site: SiteReport) -> list[tuple[str, Measurement]]:
    """Every catalogue metric of a site in catalogue order; a missing one is a null with a
    reason (an unreachable site's reason when it has one)."""
    out: list[tuple[str, Measurement]] = []
    for metric in METRICS:
        found = site.measurements.get(metric)
        if found is None:
            unmeasured = site.status in (UNREACHABLE, BLOCKED)
            reason = site.reason if unmeasured and site.reason else "not recorded"
            found = Measurement(value=None, reason=reason)
        out.append((metric, found))
    return out
