"""The options the commands of :mod:`evalcrawler.cli` share: what to crawl and how
(``run``, ``crawl``), the database, the report folder and the rank-interval seed."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from evalcrawler.limits import (
    MAX_CHECKS,
    MAX_DELAY,
    MAX_PAGES,
    MAX_PER_HOST,
    MAX_SITE_TIMEOUT,
    MIN_SITE_TIMEOUT,
    SITE_TIMEOUT,
)

DB_HELP = "Database URL (default: EVALCRAWL_DB, else sqlite:///evalcrawl.db). PostgreSQL works too."
OUT_DEFAULT = "evalcrawl-out/<region>-<year>"


def _as_of(_ctx: Any, _param: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def site_options(func: Any) -> Any:
    """The options that choose what to crawl and how (shared by run and crawl)."""
    options = [
        click.option(
            "--region",
            "region",
            required=True,
            metavar="ID|FILE",
            help="A bundled region id (see `evalcrawl regions list`) or a region YAML.",
        ),
        click.option("--year", type=int, help="Evaluation year (default: the as-of date's year)."),
        click.option(
            "--rubric",
            "rubric",
            default="gov2013",
            show_default=True,
            metavar="ID|FILE",
            help="Rubric id or YAML file; it also steers the crawl.",
        ),
        click.option("--db", "db_url", metavar="URL", help=DB_HELP),
        click.option(
            "--out",
            "out",
            type=click.Path(file_okay=False),
            help=f"Folder for the report files and crawl.log.  [default: {OUT_DEFAULT}]",
        ),
        click.option(
            "--as-of",
            "as_of",
            callback=_as_of,
            metavar="YYYY-MM-DD",
            help="Reference date for every age in days (default: the crawl's date).",
        ),
        click.option(
            "--max-pages",
            type=click.IntRange(min=1, max=MAX_PAGES),
            help="Page budget per site.  [default: 500]",
        ),
        click.option(
            "--check-budget",
            type=click.IntRange(min=0, max=MAX_CHECKS),
            help="Internal link targets checked per site beyond the pages.  [default: 2000]",
        ),
        click.option(
            "--site-timeout",
            type=click.FloatRange(min=MIN_SITE_TIMEOUT, max=MAX_SITE_TIMEOUT),
            metavar="SECONDS",
            help="The most time one site may take; a site cut by it is partial.  "
            f"[default: {SITE_TIMEOUT:g}]",
        ),
        click.option("--fresh", is_flag=True, help="Crawl again even if this run is stored."),
        click.option(
            "--delay",
            type=click.FloatRange(min=0, max=MAX_DELAY),
            help="Minimum seconds between requests to one host.  [default: 1]",
        ),
        click.option(
            "--per-host",
            type=click.IntRange(min=1, max=MAX_PER_HOST),
            help="Concurrent requests per host.  [default: 1]",
        ),
        click.option(
            "--allow-private",
            is_flag=True,
            default=None,
            help="Allow loopback/private addresses (refused by default).",
        ),
        click.option(
            "--render",
            type=click.Choice(["auto", "never", "always"]),
            help="Fetch pages through a browser (Debian's chromium): auto = pages that scripts "
            "fill and anti-bot challenges; never = none; always = every page.  "
            "[default: auto]",
        ),
        click.option(
            "--warc-dir",
            type=click.Path(file_okay=False),
            help="Root folder of the evidence archives (default: EVALCRAWL_WARC_DIR, else "
            "<db name>-warc next to a SQLite database).",
        ),
        click.option(
            "--workers",
            metavar="URL",
            help="Crawl on `evalcrawl worker` processes through this Redis broker "
            "(redis://host:6379/0) instead of here; see docs/distributed.md.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def seed_option(func: Any) -> Any:
    """``--seed``: the rank-interval simulation's seed (the same seed, the same intervals)."""
    from evalcrawler.reports import DEFAULT_SEED

    return click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=DEFAULT_SEED,
        show_default=True,
        help="Seed of the rank-interval simulation (docs/reports.md).",
    )(func)
