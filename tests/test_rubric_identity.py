"""A rubric is its id, version and content: a changed copy that kept the id and version of a
stored rubric is refused (it would replace that rubric's scores and pass for it in every
report); a new version is stored beside the old one; the reports show the rubric's hash."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from evalcrawler import pipeline
from evalcrawler.cli import main
from evalcrawler.db import make_engine, session_scope
from evalcrawler.db.models import ScoreSet
from evalcrawler.errors import RubricError
from evalcrawler.scoring.rubric import content_sha256, load_rubric, parse_rubric
from tests.conftest import ROOT
from tests.test_db_store import crawl, new_run

GOV2013 = (ROOT / "rubrics" / "gov2013.yaml").read_text("utf-8")
VETO = "when: {metric: home_age_days, above: 14, if_null: veto}"
# The same content: a comment more, the keys of a mapping in another order, other spacing.
RELAID = "# a copy, reformatted\n" + GOV2013.replace(
    VETO, "when: {if_null: veto,  metric: home_age_days, above: 14}  # same"
)


def copy(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def score_sets(db_url: str) -> list[tuple[int, str, str, str]]:
    with session_scope(make_engine(db_url)) as session:
        rows = session.execute(
            select(
                ScoreSet.run_id, ScoreSet.rubric_id, ScoreSet.rubric_version, ScoreSet.rubric_sha256
            ).order_by(ScoreSet.id)
        ).all()
    return [tuple(r) for r in rows]


def test_the_hash_is_of_the_content_not_the_layout() -> None:
    gov = load_rubric("gov2013")
    assert VETO in GOV2013
    assert RELAID != GOV2013
    assert parse_rubric(RELAID).sha256 == gov.sha256
    changed = GOV2013.replace(VETO, "when: {metric: home_age_days, above: 30, if_null: veto}")
    assert parse_rubric(changed).sha256 != gov.sha256
    assert gov.sha256 == content_sha256(yaml.safe_load(GOV2013))


def test_a_changed_copy_under_a_stored_id_and_version_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    run_id = new_run(engine)
    crawl(engine, db_url, run_id)
    gov = load_rubric("gov2013")
    pipeline.score(engine, run_id, "gov2013")
    stored = score_sets(db_url)
    assert stored == [(run_id, "gov2013", "2026.1", gov.sha256)]

    # A copy with a laxer veto and the same id and version: refused, in this run and any other.
    lax = copy(tmp_path, "lax.yaml", GOV2013.replace("above: 14, if_null", "above: 30, if_null"))
    lax_sha = load_rubric(str(lax)).sha256
    expected = (
        f"{lax}: rubric gov2013 version 2026.1 is stored in this database with other content "
        f"(sha256 {gov.sha256[:12]}, run {run_id}; this one {lax_sha[:12]}); give the changed "
        "rubric its own `id`, or a new `version`"
    )
    with pytest.raises(RubricError) as refused:
        pipeline.score(engine, run_id, str(lax))
    assert refused.value.message == expected
    other_run = new_run(engine, year=2027)
    crawl(engine, db_url, other_run)
    with pytest.raises(RubricError) as refused:
        pipeline.score(engine, other_run, str(lax))
    assert refused.value.message == expected
    assert score_sets(db_url) == stored  # the original's scores are as they were

    # The same rubric reformatted is the same rubric: it re-scores in place.
    relaid = copy(tmp_path, "relaid.yaml", RELAID)
    pipeline.score(engine, run_id, str(relaid))
    assert score_sets(db_url) == stored

    # The changed copy with a version of its own is stored beside the original.
    bumped = copy(
        tmp_path,
        "bumped.yaml",
        GOV2013.replace("above: 14, if_null", "above: 30, if_null").replace(
            'version: "2026.1"', 'version: "2026.1-lax"'
        ),
    )
    bumped_sha = load_rubric(str(bumped)).sha256
    pipeline.score(engine, run_id, str(bumped))
    assert score_sets(db_url) == [*stored, (run_id, "gov2013", "2026.1-lax", bumped_sha)]

    # The reports say which: the latest scoring, with its version and its hash.
    files = pipeline.report(engine, run_id, "gov2013", tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert (
        f'(gov2013 v2026.1-lax, <span class="muted" title="sha256 {bumped_sha}">sha256 '
        f"{bumped_sha[:12]}</span>)" in html
    )
    summary = dict(load_workbook(tmp_path / "out" / "report.xlsx")["summary"].values)
    assert (summary["rubric"], summary["rubric_sha256"]) == ("gov2013 2026.1-lax", bumped_sha)
    assert len(files) == 11


def test_the_cli_refuses_a_changed_copy_in_one_line(default_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(default_db_url)
    run_id = new_run(engine)
    crawl(engine, default_db_url, run_id)
    pipeline.score(engine, run_id, "gov2013")
    lax = copy(tmp_path, "lax.yaml", GOV2013.replace("above: 14, if_null", "above: 30, if_null"))
    result = CliRunner().invoke(
        main,
        [
            "score",
            "--run",
            str(run_id),
            "--rubric",
            str(lax),
            "--db",
            default_db_url,
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith(f"Error: {lax}: rubric gov2013 version 2026.1 is stored ")
    assert result.output.endswith("give the changed rubric its own `id`, or a new `version`\n")
    assert not (tmp_path / "o").exists()
