"""End to end: `evalcrawl run` on the demo web, compared with the demo's truth file.

The CLI runs in a subprocess exactly as a user runs it. The demo web is served by that process
(`run` starts it for a region with ``demo: true``) on a free port, so the test does not collide
with an `evalcrawl demo serve` left running.
"""

from __future__ import annotations

import csv
import json
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcrawler.demo import demo_region, free_port
from evalcrawler.scoring.results import METRICS
from evalcrawler.scoring.rubric import load_rubric
from tests.databases import backends, database, default_backend, session_database

TRUTH = json.loads(resources.files("evalcrawler.demo").joinpath("truth.json").read_text("utf-8"))
OUTPUTS = [
    "scores.csv",
    "indicators.csv",
    "measurements.csv",
    "regional.csv",
    "columns.csv",
    "threads.csv",
    "broken.csv",
    "findings.csv",
    "years.csv",
    "report.html",
    "report.xlsx",
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def convert(text: str) -> Any:
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict):  # a range, for timings
        return got is not None and expected["min"] <= got <= expected["max"]
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return got == expected
    return got is not None and abs(got - expected) < 1e-6


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    region = demo_region(free_port())
    path = tmp_path_factory.mktemp("region") / "demo.yaml"
    path.write_text(yaml.safe_dump(region.model_dump(mode="json"), allow_unicode=True), "utf-8")
    return path


def run_demo(demo_file: Path, work: Path, db: str, evalcrawl_cmd: list[str]):
    cmd = [
        *evalcrawl_cmd,
        "run",
        "--region",
        str(demo_file),
        "--db",
        db,
        "--out",
        str(work / "out"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=work)
    return proc, work, db, cmd


@pytest.fixture(scope="module")
def demo_run(demo_file, tmp_path_factory, evalcrawl_cmd):
    """The run on SQLite (on PostgreSQL under EVALCRAWL_TEST_DB=postgresql://…)."""
    work = tmp_path_factory.mktemp("demo-run")
    return run_demo(demo_file, work, session_database(work / "evalcrawl.db"), evalcrawl_cmd)


def test_run_exits_0_and_writes_every_output(demo_run):
    proc, work, _, _ = demo_run
    assert proc.returncode == 0, proc.stderr
    for name in OUTPUTS:
        assert (work / "out" / name).stat().st_size > 0, name
    assert "Traceback" not in proc.stderr


def metrics_against_truth(out: Path) -> list[str]:
    """The metrics of measurements.csv that differ from the truth file."""
    rows = read_csv(out / "measurements.csv")
    measured: dict[str, dict[str, Any]] = {}
    for row in rows:
        measured.setdefault(row["site_id"], {})[row["metric"]] = convert(row["value"])
    wrong = []
    for site_id, truth in TRUTH["sites"].items():
        assert set(measured[site_id]) == set(METRICS)
        for metric, expected in truth["metrics"].items():
            got = measured[site_id][metric]
            if not matches(expected, got):
                wrong.append(f"{site_id}.{metric}: expected {expected!r}, got {got!r}")
    return wrong


def test_every_metric_of_every_site_equals_the_truth(demo_run):
    _, work, _, _ = demo_run
    assert metrics_against_truth(work / "out") == []


def test_columns_equal_the_truth(demo_run):
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "columns.csv")
    for site_id, truth in TRUTH["sites"].items():
        got = sorted(
            (
                r["url"].split("/", 3)[3],
                r["kind"],
                int(r["items"]),
                r["latest"],
                r["stale"],
                r["blank"],
            )
            for r in rows
            if r["site_id"] == site_id
        )
        expected = sorted(
            (
                c["url"].lstrip("/"),
                c["kind"],
                c["items"],
                c["latest"] or "",
                str(c["stale"]).lower(),
                str(c["blank"]).lower(),
            )
            for c in truth["columns"]
        )
        assert got == expected, site_id


def test_threads_equal_the_truth(demo_run):
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "threads.csv")
    for site_id, truth in TRUTH["sites"].items():
        got = sorted(
            (r["asked"], r["replied"], r["overdue"]) for r in rows if r["site_id"] == site_id
        )
        expected = sorted(
            (t["asked"], t["replied"] or "", str(t["overdue"]).lower()) for t in truth["threads"]
        )
        assert got == expected, site_id


def test_reply_quality_of_every_letter_equals_the_planted_class(demo_run):
    """Every letter whose detail page shows a reply gets the class its text was written to
    be (evalcrawler/demo/replies.py); the others (no reply, or no detail page) none."""
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "threads.csv")
    seen = set()
    for site_id, truth in TRUTH["sites"].items():
        got = sorted((r["asked"], r["reply_quality"]) for r in rows if r["site_id"] == site_id)
        expected = sorted((t["asked"], t["reply_quality"]) for t in truth["threads"])
        assert got == expected, site_id
        seen |= {quality for _, quality in got}
    # The demo shows every class, and a board whose letters show no reply (dingxian).
    assert seen == {"", "substantive", "transfer_only", "template", "no_answer"}
    assert all(r["topic"] for r in rows)
    scored = {
        r["site_id"]: (r["status"], r["score"])
        for r in read_csv(work / "out" / "indicators.csv")
        if r["indicator_id"] == "B06"
    }
    assert scored["shifan"] == ("scored", "1.00")  # 17 of 17 substantive
    assert scored["jiaqu"] == ("scored", "0.50")  # 10 of 14
    assert scored["bingxian"] == ("scored", "0.00")  # transfer notes only
    assert scored["dingxian"] == ("manual", "")  # no reply text shown: left to a person, never 0


def test_the_demo_stores_the_year_before_and_reports_both(demo_run):
    """`run --region demo` crawls the demo web as of one year earlier first (year 2025): the
    report shows both years, with the replies of 2025 planted worse."""
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "years.csv")
    assert sorted({r["year"] for r in rows}) == ["2025", "2026"]
    by = {(r["site_id"], r["year"]): r for r in rows}
    assert {site for site, _ in by} == set(TRUTH["sites"])
    for site_id in TRUTH["sites"]:
        old, new = by[(site_id, "2025")], by[(site_id, "2026")]
        assert old["status"] == new["status"] == "measured"
        assert float(new["total_change"]) == pytest.approx(
            float(new["total"]) - float(old["total"]), abs=0.011
        )
    # The web is the same one year earlier, but the replies were worse on most boards: the
    # municipal portal went from half its replies substantive (B06 0.5) to all of them (1).
    assert float(by[("shifan", "2026")]["total_change"]) > 0
    # No reply text either year: only the timed indicators (response time) may move.
    assert abs(float(by[("dingxian", "2026")]["total_change"])) <= sum(timed_indicators().values())
    page = (work / "out" / "report.html").read_text("utf-8")
    assert '<svg id="chart-years"' in page and 'id="years"' in page
    assert (work / "out" / "crawl-2025.log").stat().st_size > 0


def test_broken_links_equal_the_truth_with_their_sources(demo_run):
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "broken.csv")
    for site_id, truth in TRUTH["sites"].items():
        got = {"/" + r["url"].split("/", 3)[3]: r for r in rows if r["site_id"] == site_id}
        assert set(got) == set(truth["details"]["broken"]), site_id
        on_home = {path for path, r in got.items() if r["on_home"] == "true"}
        assert on_home == set(truth["details"]["broken_home"]), site_id
        for path, row in got.items():
            assert row["linked_from"], f"{site_id} {path}: no linking page as evidence"
            assert int(row["status"]) >= 400 or row["error"], (site_id, path)


def test_ranking_is_the_planted_quality_order(demo_run):
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "scores.csv")
    assert [r["site_id"] for r in rows] == TRUTH["ranking"]
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, 8)]
    totals = [float(r["total"]) for r in rows]
    assert totals == sorted(totals, reverse=True)
    assert all(r["status"] == "measured" for r in rows)


def test_second_run_reuses_the_stored_crawl(demo_run, evalcrawl_cmd):
    _, work, db, cmd = demo_run
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=work)
    assert again.returncode == 0, again.stderr
    assert "reusing its crawl" in again.stderr
    assert "crawling:" not in again.stderr
    listed = subprocess.run(
        [*evalcrawl_cmd, "runs", "--db", db], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "region", "year", "status"]
    # Run 1 is the year before (the demo web as of 2025-11-20), run 2 this year's: the same web.
    assert sorted(line.split()[:6] for line in lines[1:3]) == [
        ["1", "demo", "2025", "scored", "7", "661"],
        ["2", "demo", "2026", "scored", "7", "661"],
    ]


# Timing metrics differ from one crawl to the next, and so do the indicators scored from them.
TIMED_METRICS = {"home_response_ms"}


def timed_indicators() -> dict[str, float]:
    """Indicator id → points, for the indicators of gov2013 measured by a timing metric."""
    rubric = load_rubric("gov2013")
    return {
        ind.id: float(ind.points)
        for ind in rubric.indicators
        if getattr(ind.measure, "metric", None) in TIMED_METRICS
    }


INDICATOR_COLUMNS = (
    "site_id",
    "indicator_id",
    "category",
    "name_zh",
    "value",
    "score",
    "max_score",
    "status",
    "evidence_url",
)


def rows_without(
    path: Path, column: str, skip: set[str], columns: tuple[str, ...] | None = None
) -> list[tuple[str, ...]]:
    """The rows of a CSV whose ``column`` is not in ``skip``, sorted; only ``columns`` of
    them when given (e.g. not where in the evidence archive a response was written)."""
    return sorted(
        tuple(r[c] for c in columns) if columns else tuple(r.values())
        for r in read_csv(path)
        if r[column] not in skip
    )


@pytest.mark.services
def test_the_same_run_on_postgresql_measures_and_scores_the_same(
    demo_run, demo_file, tmp_path, evalcrawl_cmd
):
    """The end-to-end run once more, into PostgreSQL: every measurement, column, letter and
    indicator as in the SQLite run (timings aside), the same ranking, the same totals up to
    the points of the timed indicators."""
    if "postgresql" not in backends() or default_backend() == "postgresql":
        pytest.skip("the end-to-end run is already on PostgreSQL, or PostgreSQL is not asked for")
    sqlite_out = demo_run[1] / "out"
    with database("postgresql", tmp_path) as db:
        proc, work, _, _ = run_demo(demo_file, tmp_path, db, evalcrawl_cmd)
        assert proc.returncode == 0, proc.stderr
        listed = subprocess.run(
            [*evalcrawl_cmd, "runs", "--db", db], capture_output=True, text=True, timeout=60
        )
    out = work / "out"
    assert sorted(line.split()[:6] for line in listed.stdout.splitlines()[1:3]) == [
        ["1", "demo", "2025", "scored", "7", "661"],
        ["2", "demo", "2026", "scored", "7", "661"],
    ]
    assert metrics_against_truth(out) == []
    assert rows_without(out / "measurements.csv", "metric", TIMED_METRICS) == rows_without(
        sqlite_out / "measurements.csv", "metric", TIMED_METRICS
    )
    for name in ("columns.csv", "threads.csv"):
        assert sorted(read_csv(out / name), key=str) == sorted(read_csv(sqlite_out / name), key=str)
    timed = timed_indicators()
    assert timed  # the comparison below leaves these out
    assert rows_without(
        out / "indicators.csv", "indicator_id", set(timed), INDICATOR_COLUMNS
    ) == rows_without(sqlite_out / "indicators.csv", "indicator_id", set(timed), INDICATOR_COLUMNS)
    pg_scores, sqlite_scores = read_csv(out / "scores.csv"), read_csv(sqlite_out / "scores.csv")
    keys = (
        "site_id",
        "status",
        "veto",
        "veto_reasons",
        "pages",
        "content",
        "interaction",
        "feedback",
    )
    assert [[r[k] for k in keys] for r in pg_scores] == [
        [r[k] for k in keys] for r in sqlite_scores
    ]
    for pg, lite in zip(pg_scores, sqlite_scores, strict=True):
        assert abs(float(pg["total"]) - float(lite["total"])) <= sum(timed.values()) + 1e-9


def test_reports_without_out_go_to_the_runs_folder_as_the_readme_shows(demo_run, evalcrawl_cmd):
    # The README's first command prints this line: the demo's folder of its own.
    from tests.conftest import ROOT

    _, work, db, _ = demo_run
    proc = subprocess.run(
        [*evalcrawl_cmd, "report", "--run", "2", "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr
    readme = (ROOT / "README.md").read_text("utf-8")
    assert proc.stdout.startswith("Wrote 11 files to evalcrawl-out/demo-2026: ")
    assert f"\n{proc.stdout}```" in readme
    for name in OUTPUTS:
        if name.endswith(".csv"):
            assert (work / "evalcrawl-out" / "demo-2026" / name).read_bytes() == (
                work / "out" / name
            ).read_bytes(), name


def test_the_year_before_is_not_crawled_while_the_demo_is_served_elsewhere(tmp_path):
    """A running `evalcrawl demo serve` serves this year's web: the year before cannot be
    served at the same addresses, so it is left out (said), and nothing is stored for it."""
    from evalcrawler import pipeline
    from evalcrawler.db import make_engine, session_scope
    from evalcrawler.db.models import Run
    from evalcrawler.demo import DemoWeb

    port = free_port(19700)
    region = demo_region(port)
    said: list[str] = []
    db = f"sqlite:///{tmp_path / 'd.db'}"
    with DemoWeb(port):
        pipeline.demo_previous_year(
            region, "demo", "gov2013", "gov2013", db, tmp_path, said.append, {}
        )
    assert said == [
        f"The demo web is already served at 127.0.0.11:{port} (evalcrawl demo serve?): the "
        "year 2025 is not crawled, the report shows one year"
    ]
    engine = make_engine(db)
    with session_scope(engine) as session:
        assert session.query(Run).count() == 0
    engine.dispose()
