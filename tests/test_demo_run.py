"""End to end: `evalcrawl run` on the demo web, compared with the demo's truth file.

The CLI runs in a subprocess exactly as a user runs it. The demo web is served by that process
(`run` starts it for a region with ``demo: true``) on a free port, so the test does not collide
with an `evalcrawl demo serve` left running.
"""

from __future__ import annotations

import csv
import json
import socket
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcrawler.demo import demo_region
from evalcrawler.scoring.results import METRICS

TRUTH = json.loads(resources.files("evalcrawler.demo").joinpath("truth.json").read_text("utf-8"))
OUTPUTS = [
    "scores.csv",
    "indicators.csv",
    "measurements.csv",
    "regional.csv",
    "columns.csv",
    "threads.csv",
    "report.html",
    "report.xlsx",
]


def free_demo_port() -> int:
    """A port free on all seven demo addresses."""
    for port in range(18600, 19600, 17):
        try:
            for i in range(7):
                with socket.socket() as s:
                    s.bind((f"127.0.0.{11 + i}", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port for the demo web")


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
    region = demo_region(free_demo_port())
    path = tmp_path_factory.mktemp("region") / "demo.yaml"
    path.write_text(yaml.safe_dump(region.model_dump(mode="json"), allow_unicode=True), "utf-8")
    return path


@pytest.fixture(scope="module")
def demo_run(demo_file, tmp_path_factory, evalcrawl_cmd):
    work = tmp_path_factory.mktemp("demo-run")
    env_db = f"sqlite:///{work / 'evalcrawl.db'}"
    cmd = [
        *evalcrawl_cmd,
        "run",
        "--region",
        str(demo_file),
        "--db",
        env_db,
        "--out",
        str(work / "out"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=work)
    return proc, work, env_db, cmd


def test_run_exits_0_and_writes_every_output(demo_run):
    proc, work, _, _ = demo_run
    assert proc.returncode == 0, proc.stderr
    for name in OUTPUTS:
        assert (work / "out" / name).stat().st_size > 0, name
    assert "Traceback" not in proc.stderr


def test_every_metric_of_every_site_equals_the_truth(demo_run):
    _, work, _, _ = demo_run
    rows = read_csv(work / "out" / "measurements.csv")
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
    assert wrong == []


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
    assert lines[1].split()[:6] == ["1", "demo", "2026", "scored", "7", "674"]
