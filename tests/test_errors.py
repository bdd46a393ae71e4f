"""Tests of evalcrawler.errors: the library's errors know nothing of click, and the CLI turns
them into ``Error: …`` with their exit code."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from evalcrawler.cli import main
from evalcrawler.errors import EXIT_INTERRUPTED, ConfigError, EvalcrawlError, InterruptedRun

LIBRARY = (
    "evalcrawler.errors",
    "evalcrawler.pipeline",
    "evalcrawler.scoring.engine",
    "evalcrawler.scoring.rubric",
    "evalcrawler.reports.data",
    "evalcrawler.reports.writers",
)


def test_the_library_imports_neither_click_nor_scrapy() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {LIBRARY!r}: importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'scrapy', 'twisted'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_an_error_is_a_plain_exception_with_its_message_and_code() -> None:
    error = ConfigError("regions/x.yaml:3: sites[0].url: write it as https://host/")
    assert not isinstance(error, click.ClickException)
    assert (error.message, str(error), error.exit_code) == (
        "regions/x.yaml:3: sites[0].url: write it as https://host/",
        "regions/x.yaml:3: sites[0].url: write it as https://host/",
        1,
    )
    assert InterruptedRun("stopped").exit_code == EXIT_INTERRUPTED == 130


def test_the_cli_prints_a_library_error_as_one_line_with_its_exit_code(monkeypatch) -> None:
    def stopped(*_args: object, **_kwargs: object) -> None:
        raise InterruptedRun("stopped; run the same command again to resume")

    monkeypatch.setattr("evalcrawler.demo.serve_forever", stopped)
    result = CliRunner().invoke(main, ["demo", "serve"])
    assert (result.exit_code, result.output) == (
        130,
        "Error: stopped; run the same command again to resume\n",
    )
    assert isinstance(InterruptedRun("x"), EvalcrawlError)
