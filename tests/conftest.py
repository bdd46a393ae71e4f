"""Shared test fixtures.

Every crawl a test starts stays on loopback: ``EVALCRAWL_ALLOW_NETS`` makes the crawler's
address guard refuse anything outside 127.0.0.0/8 without asking DNS (pytest-socket cannot stop
Twisted, and crawls run in child processes that inherit the environment).

Tests that need PostgreSQL, Redis or Chromium skip when the service is missing, but fail
instead when ``EVALCRAWL_REQUIRE_SERVICES=1`` (set by ``.ci/run``).

Tests that touch a database take ``db_url`` and run on SQLite and on PostgreSQL;
``EVALCRAWL_TEST_DB`` runs them all on one of the two (see tests/databases.py).

Tests write only in their temporary folders: a test session that changes the working
directory (a report folder, a database, a crawl.log, hypothesis's cache) fails at its end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests import databases

os.environ["EVALCRAWL_ALLOW_NETS"] = "127.0.0.0/8"
os.environ.pop("EVALCRAWL_DB", None)

pytest_plugins = ["tests.demo_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def services_required() -> bool:
    return os.environ.get("EVALCRAWL_REQUIRE_SERVICES") == "1"


def need(condition: bool, what: str) -> None:
    """Skip (or fail, when services are required) unless ``condition`` holds."""
    if condition:
        return
    if services_required():
        pytest.fail(f"{what} is required (EVALCRAWL_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(params=databases.backend_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test, once on SQLite and once on PostgreSQL."""
    with databases.database(request.param, tmp_path / "db") as url:
        yield url


@pytest.fixture
def default_db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database for a test that needs only one (SQLite unless EVALCRAWL_TEST_DB)."""
    with databases.database(databases.default_backend(), tmp_path / "db") as url:
        yield url


def pytest_sessionfinish(session: pytest.Session) -> None:
    databases.close_server()


@pytest.fixture(scope="session", autouse=True)
def warc_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Evidence archives of test crawls go to a temporary folder, whatever the database (with
    PostgreSQL they would otherwise go to the working directory)."""
    root = tmp_path_factory.mktemp("warc")
    os.environ["EVALCRAWL_WARC_DIR"] = str(root)
    return root


# What may change in the working directory during a session: caches of the tools themselves.
UNWATCHED = {".git", ".venv", ".pytest_cache", ".ruff_cache", ".mypy_cache", "__pycache__", "build"}


# Pinned files that a test rewrites when asked to: the variable, and the folder it writes in.
UPDATES = {
    "EVALCRAWL_UPDATE_GOLDEN": f"tests{os.sep}golden{os.sep}",
    "EVALCRAWL_UPDATE_BASELINE": f"tests{os.sep}baselines{os.sep}",
}


def working_directory_listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (caches left out) with its size and modification time."""
    listing: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in UNWATCHED and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder) / name
            with contextlib.suppress(FileNotFoundError):
                stat = path.lstat()
                listing[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return listing


@pytest.fixture(scope="session", autouse=True)
def working_directory_unchanged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the session if a test created, changed or removed a file of the working directory
    (tests write in their temporary folders only). Hypothesis keeps its cache there too."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    root = Path.cwd()
    before = working_directory_listing(root)
    yield
    after = working_directory_listing(root)
    for variable, folder in UPDATES.items():  # the documented ways to update pinned files
        if os.environ.get(variable, "").strip():
            for listing in (before, after):
                for path in [p for p in listing if p.startswith(folder)]:
                    del listing[path]
    changed = sorted(
        [f"created {p}" for p in after.keys() - before.keys()]
        + [f"removed {p}" for p in before.keys() - after.keys()]
        + [f"changed {p}" for p in after.keys() & before.keys() if after[p] != before[p]]
    )
    if changed:
        pytest.fail(
            f"the tests changed the working directory {root}: " + "; ".join(changed[:10]),
            pytrace=False,
        )


@pytest.fixture
def cli_env(default_db_url: str) -> dict[str, str]:
    """Environment for running the CLI in a subprocess: a private database."""
    env = dict(os.environ)
    env["EVALCRAWL_DB"] = default_db_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def evalcrawl_cmd() -> list[str]:
    exe = shutil.which("evalcrawl", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "evalcrawler"]
