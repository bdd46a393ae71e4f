"""Shared test fixtures.

Every crawl a test starts stays on loopback: ``EVALCRAWL_ALLOW_NETS`` makes the crawler's
address guard refuse anything outside 127.0.0.0/8 without asking DNS (pytest-socket cannot stop
Twisted, and crawls run in child processes that inherit the environment).

Tests that need PostgreSQL, Redis or Chromium skip when the service is missing, but fail
instead when ``EVALCRAWL_REQUIRE_SERVICES=1`` (set by ``.ci/run``).

Tests that touch a database take ``db_url`` and run on SQLite and on PostgreSQL;
``EVALCRAWL_TEST_DB`` runs them all on one of the two (see tests/databases.py).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
