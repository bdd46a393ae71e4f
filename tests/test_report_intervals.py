"""Rank stability in the outputs: scores.csv ``rank_low``/``rank_high``, the gap estimate and
the unstable pairs in regional.csv, on a constructed region whose answer is known (one site far
ahead, two tied); the same seed gives the same files, another seed moves the intervals only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalcrawler.cli import main
from evalcrawler.reports.data import ReportData, RubricInfo, SiteReport, load_report_data
from evalcrawler.reports.tables import build_tables
from evalcrawler.reports.writers import write_reports
from evalcrawler.scoring.results import IndicatorResult

try:
    from tests.test_report_fixture import GENERATED_AT, build_db
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import GENERATED_AT, build_db

RUBRIC = """\
id: tied
title: Tied
version: "1"
categories:
  content: {points: 40}
  function: {points: 30}
  interaction: {points: 20}
  feedback: {points: 10}
"""
TIED = {
    "city": ("municipal", [10, 10, 10, 10, 10]),  # 100: far ahead
    "east": ("county", [10, 8, 6, 4, 2]),  # 60
    "west": ("county", [2, 4, 6, 8, 10]),  # 60: tied with east
    "north": ("district", [4, 3, 2, 1, 0]),  # 20
    "south": ("county_city", [3, 3, 2, 1, 1]),  # 20
}
POINT_RANKS = {"city": 1, "east": 2, "west": 2, "north": 4, "south": 4}


def tied_region(seed: int | None = None) -> ReportData:
    sites = []
    for site_id, (level, earned) in TIED.items():
        total = 100.0 * sum(earned) / 50.0
        sites.append(
            SiteReport(
                site_id=site_id,
                name_zh=site_id,
                name=site_id,
                level=level,
                url=f"https://{site_id}.gov.cn/",
                region_id="r",
                status="measured",
                rank=POINT_RANKS[site_id],
                total=total,
                categories=dict.fromkeys(("content", "function", "interaction", "feedback"), total),
                indicators=[
                    IndicatorResult(f"{c}{k}", c, "", "", v, float(v), 10.0, "scored")
                    for c in ("content", "function", "interaction", "feedback")
                    for k, v in enumerate(earned)
                ],
            )
        )
    return ReportData(
        run_id=None,
        region_id="r",
        region_name="r",
        region_name_zh="",
        year=2026,
        as_of=None,
        crawl_date=None,
        rubric=RubricInfo.from_text("tied", RUBRIC),
        sites=sites,
        seed=seed,
    )


def test_scores_csv_has_the_rank_interval_far_ahead_fixed_and_tie_overlapping() -> None:
    rows = {r["site_id"]: r for r in build_tables(tied_region())["scores"].rows}
    assert (rows["city"]["rank_low"], rows["city"]["rank_high"]) == (1, 1)
    assert (rows["east"]["rank_low"], rows["east"]["rank_high"]) == (2, 3)
    assert (rows["west"]["rank_low"], rows["west"]["rank_high"]) == (2, 3)


def test_regional_csv_has_the_gap_estimate_and_the_unstable_pairs() -> None:
    regional = build_tables(tied_region())["regional"].rows
    (gap,) = [r for r in regional if r["statistic"] == "rank_gap"]
    # 100 − mean(60, 60, 20, 20) = 60, far from 0 whatever the draws.
    assert gap["value"] == pytest.approx(60.0)
    assert gap["low"] > 0 and gap["high"] >= gap["value"] - 1e-9
    assert gap["detail"].startswith("the gap is larger than chance (municipal ahead")
    pairs = {
        (r["site_id"], r["detail"].split()[3])
        for r in regional
        if r["statistic"] == "unstable_pair"
    }
    assert pairs == {("east", "west"), ("north", "south")}


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


def test_same_seed_same_files_other_seed_moves_only_the_intervals(tmp_path: Path) -> None:
    engine, run_id = build_db(tmp_path / "r.db")
    written = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        data = load_report_data(engine, run_id)
        data.seed = seed
        write_reports(data, tmp_path / name, generated_at=GENERATED_AT, formats=("csv",))
        written[name] = tmp_path / name
    for file in ("scores.csv", "regional.csv"):
        assert (written["a"] / file).read_bytes() == (written["b"] / file).read_bytes()
    a, c = _csv(written["a"] / "scores.csv"), _csv(written["c"] / "scores.csv")
    assert [r["site_id"] for r in a] == [r["site_id"] for r in c]
    interval = ("rank_low", "rank_high")
    for ra, rc in zip(a, c, strict=True):
        assert {k: v for k, v in ra.items() if k not in interval} == {
            k: v for k, v in rc.items() if k not in interval
        }
    # The seed is said in regional.csv next to the gap.
    gap_a = [r for r in _csv(written["a"] / "regional.csv") if r["statistic"] == "rank_gap"]
    assert "seed 7, 1000 draws" in gap_a[0]["detail"]


def test_years_csv_has_every_scored_year_with_rank_and_total_changes(tmp_path: Path) -> None:
    """The fixture stores 2025 twice (the first run superseded) and 2026; its scores are
    known (tests/test_report_fixture.py)."""
    engine, run_id = build_db(tmp_path / "r.db")
    data = load_report_data(engine, run_id)
    write_reports(data, tmp_path / "out", generated_at=GENERATED_AT, formats=("csv",))
    rows = {(r["site_id"], r["year"]): r for r in _csv(tmp_path / "out" / "years.csv")}
    assert {year for _, year in rows} == {"2025", "2026"}
    city_2025, city_2026 = rows[("taiyuan", "2025")], rows[("taiyuan", "2026")]
    assert city_2025["run_id"] == "2"  # not the superseded run 1
    assert (city_2025["rank"], city_2025["total"], city_2025["total_change"]) == ("1", "74.50", "")
    assert (city_2026["rank"], city_2026["rank_change"], city_2026["total_change"]) == (
        "1",
        "0",
        "5.50",
    )
    yingze = rows[("yingze", "2026")]
    assert (yingze["rank"], yingze["rank_change"], yingze["total_change"]) == ("6", "-2", "-15.50")
    qingxu = rows[("qingxu", "2026")]
    assert (qingxu["rank_change"], qingxu["content"]) == ("1", "70.00")
    # Unreachable in 2026: no rank, no total, no change; 2025 kept.
    loufan = rows[("loufan", "2026")]
    assert (loufan["status"], loufan["rank"], loufan["total"], loufan["rank_change"]) == (
        "unreachable",
        "",
        "",
        "",
    )
    assert rows[("loufan", "2025")]["total"] == "43.50"


def test_the_seed_option_reaches_the_report(tmp_path: Path) -> None:
    """`evalcrawl report --seed N` writes what the library writes with seed N; without it the
    library default (the seed is said in regional.csv)."""
    engine, run_id = build_db(tmp_path / "r.db")
    db = f"sqlite:///{tmp_path / 'r.db'}"
    for name, extra in (("seeded", ["--seed", "7"]), ("default", [])):
        result = CliRunner().invoke(
            main,
            ["report", "--run", str(run_id), "--db", db, "--out", str(tmp_path / name), *extra],
        )
        assert result.exit_code == 0, result.output
    data = load_report_data(engine, run_id)
    data.seed = 7
    write_reports(data, tmp_path / "library", generated_at=GENERATED_AT, formats=("csv",))
    for file in ("scores.csv", "regional.csv"):
        assert (tmp_path / "seeded" / file).read_bytes() == (
            tmp_path / "library" / file
        ).read_bytes()
    gap = [r for r in _csv(tmp_path / "default" / "regional.csv") if r["statistic"] == "rank_gap"]
    assert "seed 20200601, 1000 draws" in gap[0]["detail"]
