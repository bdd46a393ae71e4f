"""Scoring a run's sites on several processes gives exactly the scores of scoring them here."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from evalcrawler import pipeline, scorepool
from evalcrawler.db import make_engine
from evalcrawler.errors import ConfigError

OUTPUTS = ("scores.csv", "indicators.csv", "measurements.csv", "columns.csv", "threads.csv")


def test_a_pool_of_processes_scores_the_demo_exactly_as_one_process(
    demo_crawl, tmp_path, monkeypatch
):
    pools: list[int] = []

    class CountingPool(ProcessPoolExecutor):
        def __init__(self, processes, **kwargs):
            pools.append(processes)
            super().__init__(processes, **kwargs)

    monkeypatch.setattr(scorepool, "ProcessPoolExecutor", CountingPool)
    engine = make_engine(demo_crawl.db_url)
    monkeypatch.setenv(scorepool.ENV, "1")
    pipeline.score_and_report(engine, demo_crawl.run_id, "gov2013", out=tmp_path / "one")
    assert pools == []
    monkeypatch.setenv(scorepool.ENV, "2")
    pipeline.score_and_report(engine, demo_crawl.run_id, "gov2013", out=tmp_path / "pool")
    assert pools == [2]
    for name in OUTPUTS:
        one = (tmp_path / "one" / name).read_text(encoding="utf-8")
        pool = (tmp_path / "pool" / name).read_text(encoding="utf-8")
        assert pool == one, name


@pytest.mark.parametrize(
    ("setting", "pages", "sites", "expected"),
    [
        ("", 100, 7, 1),  # a small run: no pool
        ("", scorepool.PARALLEL_MIN_PAGES, 1, 1),  # one site: nothing to share
        ("3", 10, 7, 3),  # asked for
        ("8", 10, 2, 2),  # never more processes than sites
        ("1", 10**6, 50, 1),
    ],
)
def test_how_many_processes_score_a_run(monkeypatch, setting, pages, sites, expected):
    monkeypatch.setenv(scorepool.ENV, setting)
    assert scorepool.processes_wanted(pages, sites) == expected


def test_a_large_run_uses_every_core(monkeypatch):
    monkeypatch.delenv(scorepool.ENV, raising=False)
    monkeypatch.setattr(scorepool.os, "cpu_count", lambda: 4)
    assert scorepool.processes_wanted(scorepool.PARALLEL_MIN_PAGES, 10) == 4


@pytest.mark.parametrize("setting", ["0", "two"])
def test_a_bad_process_count_is_one_line_that_says_what_to_set(monkeypatch, setting):
    monkeypatch.setenv(scorepool.ENV, setting)
    with pytest.raises(ConfigError) as info:
        scorepool.processes_wanted(10, 2)
    assert str(info.value) == (
        f"EVALCRAWL_SCORE_PROCESSES={setting!r} is not a number of processes: set it to 1 or more"
    )
