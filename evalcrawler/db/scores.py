"""Saving a run's scores under one rubric: the score set, every site's scores, indicators and
measurements, replacing an earlier scoring under that rubric (its id and version); and the
rubric's identity: one content per rubric id and version in a database."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evalcrawler.db.models import IndicatorScore, Measurement, Run, ScoreSet, Site, SiteScore
from evalcrawler.db.store import now
from evalcrawler.errors import RubricError


def check_rubric_identity(
    session: Session, *, rubric_id: str, version: str, sha256: str, label: str = ""
) -> None:
    """Refuse a rubric whose id and version are stored with other content.

    A rubric is its id, version and content (``sha256``, see
    :func:`evalcrawler.scoring.rubric.content_sha256`): a changed copy that kept the id and
    version would pass for the original in every report. It needs its own id, or a new
    version (stored beside the old one)."""
    other = session.scalars(
        select(ScoreSet)
        .where(
            ScoreSet.rubric_id == rubric_id,
            ScoreSet.rubric_version == version,
            ScoreSet.rubric_sha256 != sha256,
        )
        .order_by(ScoreSet.id)
        .limit(1)
    ).first()
    if other is None:
        return
    where = f"{label}: " if label else ""
    raise RubricError(
        f"{where}rubric {rubric_id} version {version} is stored in this database with other "
        f"content (sha256 {other.rubric_sha256[:12]}, run {other.run_id}; this one "
        f"{sha256[:12]}); give the changed rubric its own `id`, or a new `version`"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _row_dict(obj: Any) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in asdict(obj).items()}


def save_scores(
    session: Session,
    run: Run,
    *,
    rubric_id: str,
    rubric_title: str,
    rubric_version: str,
    rubric_sha256: str,
    rubric_text: str,
    as_of: date,
    results: list[Any],
) -> ScoreSet:
    """Store one rubric's scores of a run, replacing an earlier scoring under that rubric id
    and version (another version's scores are kept beside them)."""
    check_rubric_identity(
        session, rubric_id=rubric_id, version=rubric_version, sha256=rubric_sha256
    )
    old = session.scalars(
        select(ScoreSet).where(
            ScoreSet.run_id == run.id,
            ScoreSet.rubric_id == rubric_id,
            ScoreSet.rubric_version == rubric_version,
        )
    ).first()
    if old is not None:
        for model in (Measurement, IndicatorScore, SiteScore):
            session.execute(delete(model).where(model.score_set_id == old.id))
        session.delete(old)
        session.flush()
    score_set = ScoreSet(
        run_id=run.id,
        rubric_id=rubric_id,
        rubric_title=rubric_title,
        rubric_version=rubric_version,
        rubric_sha256=rubric_sha256,
        rubric_text=rubric_text,
        as_of=as_of,
        scored_at=now(),
    )
    session.add(score_set)
    session.flush()
    pks = dict(
        (row.site_id, row.id)
        for row in session.execute(select(Site.site_id, Site.id).where(Site.run_id == run.id))
    )
    measurements, indicators, site_rows = [], [], []
    for result in results:
        pk = pks[result.site_id]
        metrics = result.metrics
        if metrics is not None:
            for name, m in metrics.values.items():
                measurements.append(
                    Measurement(
                        score_set_id=score_set.id,
                        site_pk=pk,
                        metric=name,
                        value=_jsonable(m.value),
                        reason=m.reason,
                        evidence_url=m.evidence_url,
                    )
                )
        for ind in result.indicators:
            indicators.append(
                IndicatorScore(
                    score_set_id=score_set.id,
                    site_pk=pk,
                    indicator_id=ind.indicator_id,
                    category=ind.category,
                    name_zh=ind.name_zh,
                    name=ind.name,
                    value=_jsonable(ind.value),
                    score=ind.score,
                    max_score=ind.max_score,
                    status=ind.status,
                    evidence_url=ind.evidence_url,
                    evidence_text=ind.evidence_text,
                    note=ind.note,
                )
            )
        details = {
            "columns": [_row_dict(c) for c in (metrics.columns if metrics else [])],
            "threads": [_row_dict(t) for t in (metrics.threads if metrics else [])],
            "broken": [_row_dict(b) for b in (metrics.broken if metrics else [])],
        }
        site_rows.append(
            SiteScore(
                score_set_id=score_set.id,
                site_pk=pk,
                rank=result.rank,
                total=result.total,
                categories=dict(result.categories),
                veto=result.veto,
                veto_reasons=list(result.veto_reasons),
                status=result.status,
                pages=int((metrics.value("pages") if metrics else 0) or 0),
                details=details,
            )
        )
    session.add_all([*measurements, *indicators, *site_rows])
    session.flush()
    return score_set
