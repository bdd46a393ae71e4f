"""What the commands print while they work and when they end: crawl progress, notes, the
list of written files, and a clean stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import click


class Progress:
    """Crawl progress: one updating line on a terminal, plain log lines otherwise."""

    def __init__(self, stream: Any = None, interval: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval
        self.last_line = 0.0
        self.last_done = -1
        self.started = time.monotonic()

    def __call__(self, p: dict[str, int]) -> None:
        elapsed = int(time.monotonic() - self.started)
        text = (
            f"crawling: {p['sites_done']}/{p['sites']} sites done, {p['pages']} pages, "
            f"{p['checks']} links checked, {p['errors']} errors, "
            f"{elapsed // 60}m{elapsed % 60:02d}s"
        )
        if self.tty:
            self.stream.write("\r" + text.ljust(100)[:100])
            if p["sites_done"] == p["sites"]:
                self.stream.write("\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if p["sites_done"] != self.last_done or now - self.last_line >= self.interval:
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()
            self.last_line = now
            self.last_done = p["sites_done"]


def say(message: str) -> None:
    click.echo(message, err=True)


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """Ctrl-C or SIGTERM at any point of a run: exit 130 with the resume hint, no traceback.

    (During the crawl the parent forwards them to the crawl process, which stops cleanly.)
    The pipeline releases the run's lock on the way out and a scoring in progress is rolled
    back, so running the same command again resumes.
    """
    from evalcrawler.errors import InterruptedRun

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except KeyboardInterrupt:
        raise InterruptedRun(
            "stopped; what was done is stored. Run the same command again to resume"
        ) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def finish(outcome: Any) -> None:
    if outcome.out_dir is not None and outcome.files:
        names = ", ".join(p.name for p in outcome.files)
        click.echo(f"Wrote {len(outcome.files)} files to {outcome.out_dir}: {names}")
    if outcome.message:
        click.echo(f"Note: {outcome.message}", err=True)
    sys.exit(outcome.exit_code)
