"""Shared test fixtures.

Every crawl a test starts stays on loopback: ``EVALCRAWL_ALLOW_NETS`` makes the crawler's
address guard refuse anything outside 127.0.0.0/8 without asking DNS (pytest-socket cannot stop
Twisted, and crawls run in child processes that inherit the environment).

Tests that need PostgreSQL, Redis or Chromium skip when the service is missing, but fail
instead when ``EVALCRAWL_REQUIRE_SERVICES=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

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


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI in a subprocess: a private database file."""
    env = dict(os.environ)
    env["EVALCRAWL_DB"] = f"sqlite:///{tmp_path / 'evalcrawl.db'}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def evalcrawl_cmd() -> list[str]:
    exe = shutil.which("evalcrawl", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "evalcrawler"]
