"""The scoring engine: a rubric applied to the stored facts of each site.

For every site: the catalogue metrics (:func:`evalcrawler.scoring.metrics.compute_metrics`),
then each indicator that applies to the site's level (value from its measure, points from its
rule, status and evidence), the vetoes, the categories, the total, and finally the ranking of
all sites. Pure functions of the facts, the rubric and the as-of date: no network, no clock.

How the numbers are made (see also ``docs/rubrics.md``):

* An indicator is ``scored``, ``not_measured`` (its measure gave no value: it earns nothing,
  is reported with the reason, and is never shown as a silent 0) or ``manual`` (a person has
  to judge it; it leaves its category's available points unless the manual-scores CSV gives
  its score, and is then reported as ``scored`` with a note saying a person scored it).
* Indicators that do not apply to a level (``levels: [municipal]``) are left out for other
  levels, and a category is the earned share of its *applicable* points × 100, so a perfect
  county site scores 100 like a perfect municipal one (the 2019 checklist rescales sites
  without services the same way: 75 points × 4/3).
* The total is the mean of the category scores weighted by the categories' points (0–100).
  A vetoed site keeps its category scores; its total is capped at ``verdict.veto_cap``. A
  total under ``verdict.pass_mark`` flags the site as failed too (``veto`` true, with the
  reason), without changing the total.
* Unreachable and blocked sites get no total, no veto and no rank; measured and partial sites
  are ranked by total, ties sharing a rank (1, 2, 2, 4).
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from evalcrawler.errors import ConfigError
from evalcrawler.facts import SiteFacts
from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import Detection, as_number, truthy
from evalcrawler.scoring.results import UNMEASURED, IndicatorResult, SiteMetrics, SiteResult
from evalcrawler.scoring.rubric import Condition, Indicator, Rubric, Veto

logger = logging.getLogger(__name__)

__all__ = ["load_manual_scores", "rank_results", "score_site", "score_sites"]

Manual = Mapping[tuple[str, str], float]
RANKED = ("measured", "partial")


def score_sites(
    rubric: Rubric,
    sites: Iterable[SiteFacts],
    as_of: date,
    manual: dict[tuple[str, str], float] | None = None,
) -> list[SiteResult]:
    """Score every site under ``rubric`` as of ``as_of`` and rank them (sites may come one at a
    time from an iterator: only the results are kept)."""
    # Imported here: the metrics module is large and the rubric tools do not need it.
    from evalcrawler.scoring.metrics import compute_metrics

    thresholds = rubric.thresholds
    results = [
        score_site(rubric, facts, compute_metrics(facts, thresholds, as_of), as_of, manual)
        for facts in sites
    ]
    return rank_results(results)


def score_site(
    rubric: Rubric,
    facts: SiteFacts,
    metrics: SiteMetrics,
    as_of: date,
    manual: Manual | None = None,
) -> SiteResult:
    """Score one site whose metrics are already computed (no ranking)."""
    manual = manual or {}
    applicable = rubric.applicable(facts.level)
    if facts.status in UNMEASURED:
        why = f"site {facts.status}: {facts.reason or 'no reason given'}"
        return SiteResult(
            site_id=facts.site_id,
            level=facts.level,
            status=facts.status,
            total=None,
            categories={cid: None for cid in rubric.categories},
            indicators=[_unscored(ind, why) for ind in applicable],
            metrics=metrics,
        )
    ctx = DetectContext(facts, metrics, rubric.thresholds, as_of)
    values: dict[str, Any] = {}
    indicators: list[IndicatorResult] = []
    for ind in applicable:
        result = _indicator(ind, ctx, manual.get((facts.site_id, ind.id)))
        values[ind.id] = result.value
        indicators.append(result)
    categories, total = _totals(rubric, indicators)
    veto_reasons = _vetoes(rubric, ctx, values, manual)
    verdict = rubric.verdict
    if veto_reasons and total is not None and verdict.veto_cap is not None:
        total = min(total, verdict.veto_cap)
    if (
        not veto_reasons
        and total is not None
        and verdict.pass_mark is not None
        and total < verdict.pass_mark - 1e-9
    ):
        veto_reasons.append(
            f"pass mark: total {total:.2f} is below {verdict.pass_mark:g} ({verdict.fail_label})"
        )
    return SiteResult(
        site_id=facts.site_id,
        level=facts.level,
        status=facts.status,
        total=None if total is None else round(total, 2),
        categories={k: None if v is None else round(v, 2) for k, v in categories.items()},
        veto=bool(veto_reasons),
        veto_reasons=veto_reasons,
        indicators=indicators,
        metrics=metrics,
    )


def rank_results(results: list[SiteResult]) -> list[SiteResult]:
    """Set ``rank`` (competition style: 1, 2, 2, 4) on measured and partial sites with a
    total; return the results ranked first (best first), then the unranked, in input order."""
    ranked = [r for r in results if r.status in RANKED and r.total is not None]
    ranked.sort(key=lambda r: -(r.total or 0.0))  # stable: ties keep the input order
    previous: float | None = None
    for position, result in enumerate(ranked, start=1):
        if previous is None or not math.isclose(result.total or 0.0, previous, abs_tol=1e-9):
            rank = position
        result.rank = rank
        previous = result.total
    unranked = [r for r in results if r not in ranked]
    for result in unranked:
        result.rank = None
    return ranked + unranked


# ------------------------------------------------------------------------------ indicators


def _json_value(value: Any) -> Any:
    """A value fit for CSV and JSON: bools and ints as they are, floats rounded."""
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _base(ind: Indicator, **kw: Any) -> IndicatorResult:
    return IndicatorResult(
        indicator_id=ind.id,
        category=ind.category,
        name_zh=ind.name_zh,
        name=ind.name,
        max_score=float(ind.points),
        **kw,
    )


def _unscored(ind: Indicator, why: str) -> IndicatorResult:
    if ind.manual:
        return _base(ind, value=None, score=None, status="manual", note=_manual_note(ind))
    return _base(ind, value=None, score=None, status="not_measured", note=why)


def _manual_note(ind: Indicator) -> str:
    what = " ".join(ind.description.split()) or ind.name_zh
    return f"needs a person: {what}"


def _indicator(ind: Indicator, ctx: DetectContext, filled: float | None) -> IndicatorResult:
    if ind.manual and filled is None:
        return _unscored(ind, "")
    if ind.person_scores and filled is not None:
        # A person's score wins over the measured one (manual_override: true).
        score = max(0.0, min(float(ind.points), float(filled)))
        return _base(
            ind,
            value=_json_value(float(filled)),
            score=round(score, 4),
            status="scored",
            note="scored by a person (manual-scores CSV)",
        )
    found: Detection = ctx.detect(ind.measure)
    if found.value is None and ind.manual_override:
        # Measured by us where the rubric's source left it to people: when we cannot measure
        # it, it goes back to a person (left out of the available points), never a silent 0.
        return _base(
            ind,
            value=None,
            score=None,
            status="manual",
            evidence_url=found.evidence_url,
            evidence_text=found.evidence_text,
            note=f"not measured ({found.reason or 'no value'}); {_manual_note(ind)}",
        )
    if found.value is None:
        return _base(
            ind,
            value=None,
            score=None,
            status="not_measured",
            evidence_url=found.evidence_url,
            evidence_text=found.evidence_text,
            note=found.reason or "not measured",
        )
    score = ind.rule.score(found.value, float(ind.points))
    if score is None:
        return _base(
            ind,
            value=_json_value(found.value),
            score=None,
            status="not_measured",
            evidence_url=found.evidence_url,
            evidence_text=found.evidence_text,
            note=f"the value {found.value!r} is not a number the {ind.rule.type} rule can use",
        )
    return _base(
        ind,
        value=_json_value(found.value),
        score=round(score, 4),
        status="scored",
        evidence_url=found.evidence_url,
        evidence_text=found.evidence_text,
        note=found.reason,
    )


def _totals(
    rubric: Rubric, indicators: list[IndicatorResult]
) -> tuple[dict[str, float | None], float | None]:
    """Category scores (earned share of available points × 100) and the weighted total."""
    categories: dict[str, float | None] = {}
    for cid in rubric.categories:
        rows = [r for r in indicators if r.category == cid]
        # A manual indicator nobody scored is not available; a not-measured one is (it earns 0).
        available = sum(r.max_score for r in rows if not (r.status == "manual" and r.score is None))
        earned = sum(r.score for r in rows if r.score is not None)
        categories[cid] = (
            max(0.0, min(100.0, 100.0 * earned / available)) if available > 0 else None
        )
    weights = [
        (score, rubric.categories[cid].points)
        for cid, score in categories.items()
        if score is not None
    ]
    weight = sum(w for _, w in weights)
    total = sum(s * w for s, w in weights) / weight if weight > 0 else None
    if total is not None:
        total = max(0.0, min(100.0, total))
    return categories, total


# ---------------------------------------------------------------------------------- vetoes


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _condition(cond: Condition, ctx: DetectContext, values: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether a veto condition holds, and what to say about it."""
    if cond.indicator is not None:
        value = values.get(cond.indicator)
        note = None if cond.indicator in values else "does not apply to this level"
    else:
        source = cond.source()
        found = ctx.detect(source) if source is not None else Detection(None)
        value, note = found.value, found.reason
    label = cond.label()
    if note and note.startswith(f"{label}: "):
        note = note[len(label) + 2 :]  # "home_age_days: no dated link" → "no dated link"
    if value is None:
        hit = cond.if_null == "veto"
        verdict = "counts as failed" if hit else "not evidence of a failure"
        return hit, f"{label} not measured ({note or 'null'}; {verdict})"
    return cond.holds(value), f"{label} = {_fmt(value)} ({cond.describe_op()})"


def _vetoes(
    rubric: Rubric, ctx: DetectContext, values: Mapping[str, Any], manual: Manual
) -> list[str]:
    reasons: list[str] = []
    for veto in rubric.vetoes:
        reason = _veto(veto, ctx, values, manual)
        if reason:
            reasons.append(reason)
    return reasons


def _veto(veto: Veto, ctx: DetectContext, values: Mapping[str, Any], manual: Manual) -> str | None:
    head = f"{veto.id} {veto.name_zh}"
    if veto.manual:
        mark = manual.get((ctx.facts.site_id, veto.id))
        return f"{head}: found by a person (manual-scores CSV)" if truthy(mark) else None
    outcomes = [_condition(c, ctx, values) for _, c in veto.conditions()]
    if veto.mode == "all":
        return (
            f"{head}: " + "; ".join(t for _, t in outcomes) if all(h for h, _ in outcomes) else None
        )
    hits = [t for h, t in outcomes if h]
    return f"{head}: " + "; ".join(hits) if hits else None


# ---------------------------------------------------------------------------- manual scores


MANUAL_COLUMNS = ("site_id", "indicator_id", "score")


def load_manual_scores(
    path: str | Path, rubric: Rubric | None = None
) -> dict[tuple[str, str], float]:
    """Read a manual-scores CSV (``site_id,indicator_id,score``; more columns such as a note
    are allowed) into ``{(site_id, indicator_id): score}``.

    With a rubric, every row is checked against it: the id must be a manual indicator (its
    score from 0 to its points) or a manual veto (1 = vetoed, 0 = not). Errors name the file,
    the line and the column.
    """
    label = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return _read_manual(csv.reader(handle), label, rubric)
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file; check the path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except csv.Error as exc:
        raise ConfigError(f"{label}: invalid CSV: {exc}") from None


def _read_manual(reader: Any, label: str, rubric: Rubric | None) -> dict[tuple[str, str], float]:
    header = next(reader, None)
    if header is None:
        raise ConfigError(f"{label}:1: the file is empty; the header is {','.join(MANUAL_COLUMNS)}")
    names = [h.strip() for h in header]
    missing = [c for c in MANUAL_COLUMNS if c not in names]
    if missing:
        raise ConfigError(
            f"{label}:1: header: missing column {', '.join(missing)}; "
            f"the header must name {','.join(MANUAL_COLUMNS)}"
        )
    col = {c: names.index(c) for c in MANUAL_COLUMNS}
    indicators = {i.id: i for i in rubric.indicators} if rubric else {}
    vetoes = {v.id: v for v in rubric.vetoes} if rubric else {}
    out: dict[tuple[str, str], float] = {}
    first_line: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num  # the physical line where the row ends
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = col[name]
            return row[index].strip() if index < len(row) else ""

        def fail(column: str, message: str, line: int = line) -> ConfigError:
            return ConfigError(f"{label}:{line}: {column}: {message}")

        site_id, ind_id, raw = cell("site_id"), cell("indicator_id"), cell("score")
        if not site_id:
            raise fail("site_id", "empty; give the site id of the region file")
        if not ind_id:
            raise fail("indicator_id", "empty; give a manual indicator or veto id")
        score = as_number(_parse_float(raw))
        if score is None or not math.isfinite(score):
            raise fail("score", f"{raw!r} is not a number")
        if score < 0:
            raise fail("score", f"{raw} is negative; scores run from 0 to the indicator's points")
        if rubric is not None:
            if ind_id in indicators:
                ind = indicators[ind_id]
                if not ind.person_scores:
                    raise fail(
                        "indicator_id",
                        f"{ind_id} is measured automatically; the CSV fills only manual "
                        "indicators (manual: true or manual_override: true) and manual "
                        f"vetoes of rubric {rubric.id}",
                    )
                if score > ind.points + 1e-9:
                    raise fail("score", f"{raw} is more than the {ind.points:g} points of {ind_id}")
            elif ind_id in vetoes:
                if not vetoes[ind_id].manual:
                    raise fail(
                        "indicator_id",
                        f"veto {ind_id} is decided automatically; the CSV sets only manual vetoes",
                    )
                if score not in (0.0, 1.0):
                    raise fail("score", f"{raw}: a manual veto takes 1 (vetoed) or 0 (not vetoed)")
            else:
                manual_ids = [i.id for i in indicators.values() if i.person_scores] + [
                    v.id for v in vetoes.values() if v.manual
                ]
                raise fail(
                    "indicator_id",
                    f"unknown id {ind_id!r} in rubric {rubric.id}; manual ids: "
                    f"{', '.join(manual_ids) or 'none'}",
                )
        key = (site_id, ind_id)
        if key in first_line:
            raise fail(
                "indicator_id",
                f"a second score for {site_id}/{ind_id} (first on line {first_line[key]})",
            )
        first_line[key] = line
        out[key] = score
    return out


def _parse_float(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None
