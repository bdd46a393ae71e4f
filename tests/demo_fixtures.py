"""One crawl of the demo web per test session, shared by the tests that score and report it.

The crawl runs once (in a child process, as in production) into a private SQLite database (a
PostgreSQL one under ``EVALCRAWL_TEST_DB=postgresql://…``); the tests then re-score and
re-report it without any network, which is what `evalcrawl score` and `evalcrawl report` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from evalcrawler import pipeline
from evalcrawler.demo import demo_region, free_port
from tests.databases import session_database


def write_demo_region(folder: Path, port: int) -> Path:
    region = demo_region(port)
    path = folder / "demo.yaml"
    path.write_text(yaml.safe_dump(region.model_dump(mode="json"), allow_unicode=True), "utf-8")
    return path


@dataclass
class DemoCrawl:
    region_file: Path
    db_url: str
    run_id: int
    out: Path


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> DemoCrawl:
    folder = tmp_path_factory.mktemp("demo-crawl")
    region_file = write_demo_region(folder, free_port(18700))
    db_url = session_database(folder / "demo.db")
    # Its own evidence folder: another demo run of the session (run 1 of another database)
    # would otherwise make this one demo-2026-run1-2, and the golden files name it.
    outcome = pipeline.run(
        str(region_file), db_url=db_url, out=folder / "out", warc_dir=str(folder / "warc")
    )
    assert outcome.exit_code == 0, outcome.message
    return DemoCrawl(region_file, db_url, outcome.run_id, folder / "out")
