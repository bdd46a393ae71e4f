"""Errors that users see.

Every expected failure is an :class:`EvalcrawlError`: the message says what went wrong and how
to fix it, and ``exit_code`` is the code a command ends with. The library knows nothing of
click: the CLI (:mod:`evalcrawler.cli`) prints an error as one line, ``Error: <message>``, and
exits with its code. Unexpected failures (bugs) keep their traceback.
"""

from __future__ import annotations

# Exit codes (documented in the README, relied on by schedulers).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNMEASURED = 3  # the run finished, but some sites could not be measured
EXIT_NONE_MEASURED = 4  # the run finished, but no site could be measured (an outage?)
EXIT_INTERRUPTED = 130  # stopped by SIGINT/SIGTERM; rerun the same command to resume


class EvalcrawlError(Exception):
    """Base class of every expected failure: one line, exit code 1."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        """The message as the CLI shows it after ``Error:``."""
        return self.message


class ConfigError(EvalcrawlError):
    """A region file, setting or option is wrong."""


class RubricError(EvalcrawlError):
    """A rubric file is wrong: the message names the file, the line and the key."""


class DatabaseError(EvalcrawlError):
    """The database cannot be reached or used."""


class RunLockedError(EvalcrawlError):
    """Another process is running the same (region, year) on this database."""


class CrawlError(EvalcrawlError):
    """The crawl process failed."""


class WorkersError(EvalcrawlError):
    """The broker of a distributed run cannot be reached, or no worker takes its tasks."""


class ReportError(EvalcrawlError):
    """A report could not be written."""


class InterruptedRun(EvalcrawlError):
    """The run was stopped by a signal; what was done is stored."""

    exit_code = EXIT_INTERRUPTED
