"""The evaluation pipeline: run = crawl → score → report.

Callable from Python (a notebook, Airflow) as easily as from the CLI::

    from evalcrawler.pipeline import run
    outcome = run("taiyuan", year=2026, out="results/")

A run is identified by (region, year): running it again resumes an unfinished crawl or
re-scores a finished one under the rubric given; ``fresh=True`` starts a new crawl and keeps
the old one as superseded.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from evalcrawler.config import CrawlSettings, Region, load_region
from evalcrawler.db import default_url, make_engine, session_scope, store
from evalcrawler.db.scores import save_scores
from evalcrawler.errors import (
    EXIT_OK,
    EXIT_UNMEASURED,
    ConfigError,
    DatabaseError,
    ReportError,
)

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
DEFAULT_RUBRIC = "gov2013"
DEFAULT_OUT = "evalcrawl-out"


@dataclass
class Outcome:
    """What a run produced."""

    run_id: int
    rubric_id: str
    out_dir: Path | None
    files: list[Path] = field(default_factory=list)
    sites: int = 0
    unreachable: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # answers stayed an anti-bot challenge
    partial: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK
    message: str = ""


def _quiet(_: str) -> None:
    return None


def prepare_run(
    region: Region,
    *,
    year: int | None,
    rubric: Any,
    db_url: str,
    as_of: date | None,
    crawl: CrawlSettings,
    fresh: bool,
    say: Say = _quiet,
) -> int:
    """Find the run of (region, year) to continue, or create one. Returns its id."""
    as_of = as_of or region.as_of
    year = year or (as_of.year if as_of else date.today().year)
    engine = make_engine(db_url)
    try:
        if fresh:
            # Never supersede a run that another process is running: take its lock first.
            with session_scope(engine) as session:
                old = store.find_run(session, region.id, year)
                old_id = old.id if old is not None else None
            if old_id is not None:
                store.release_lock(engine, old_id, store.acquire_lock(engine, old_id))
        with session_scope(engine) as session:
            run = store.find_run(session, region.id, year)
            if run is not None and fresh:
                store.supersede(session, run)
                say(f"run {run.id} of {region.id} {year} kept as superseded; crawling afresh")
                run = None
            if run is None:
                run = store.create_run(
                    session,
                    region,
                    year,
                    rubric.id,
                    as_of,
                    {"crawl": asdict(crawl)},
                )
                say(f"run {run.id}: {region.id} {year}, {len(region.sites)} sites")
            else:
                if as_of and run.as_of != as_of:
                    run.as_of = as_of
                done = run.status in store.CRAWL_DONE
                state = "reusing its crawl" if done else "resuming the crawl"
                say(f"run {run.id}: {region.id} {year} exists, {state} (--fresh starts over)")
            return run.id
    finally:
        engine.dispose()


def crawl_settings_for(region: Region, rubric: Any, **flags: Any) -> CrawlSettings:
    """Defaults, then the region's crawl defaults (the demo's), then the rubric, then flags.

    ``allow_private`` (``--allow-private``) also lifts the region's own ``allow_nets``."""
    overrides: dict[str, Any] = region.crawl.model_dump(exclude_none=True)
    th = rubric.thresholds
    overrides.update(
        probe_count=th.probe_count,
        probe_timeout=th.probe_timeout_s,
        search_query=th.search_query,
        keywords=rubric.crawl_keywords(),
    )
    given = {k: v for k, v in flags.items() if v is not None}
    if given.get("allow_private"):
        overrides.pop("allow_nets", None)
    overrides.update(given)
    return CrawlSettings.from_env(**overrides)


def run(
    region_spec: str,
    *,
    year: int | None = None,
    rubric_spec: str = DEFAULT_RUBRIC,
    db_url: str | None = None,
    out: str | Path | None = DEFAULT_OUT,
    as_of: date | None = None,
    fresh: bool = False,
    manual_scores: Path | None = None,
    say: Say = _quiet,
    progress: Callable[[dict[str, int]], None] | None = None,
    crawl_only: bool = False,
    workers: str | None = None,
    **flags: Any,
) -> Outcome:
    """Crawl, score and report a region (see the module docstring).

    ``workers``: a Redis URL; the sites are then crawled by `evalcrawl worker` processes
    consuming it (evalcrawler.distributed), this process waits for them and goes on.
    """
    from evalcrawler.crawl import crawl_run
    from evalcrawler.scoring.rubric import load_rubric

    region = load_region(region_spec)
    rubric = load_rubric(rubric_spec)
    db_url = db_url or default_url()
    crawl = crawl_settings_for(region, rubric, **flags)
    if crawl.render == "always":
        from evalcrawler.spiders.browser import browser_problem

        problem = browser_problem()
        if problem:
            raise ConfigError(f"--render always needs a browser: {problem}; or use --render auto")
    if out is not None:
        check_out_dir(Path(out))  # before hours of crawling, not after
    if workers:
        from evalcrawler.distributed import check_broker

        check_broker(workers)
    run_id = prepare_run(
        region,
        year=year,
        rubric=rubric,
        db_url=db_url,
        as_of=as_of,
        crawl=crawl,
        fresh=fresh,
        say=say,
    )
    engine = make_engine(db_url)
    owner = store.acquire_lock(engine, run_id)
    try:
        with session_scope(engine) as session:
            status = store.get_run(session, run_id).status
        if status not in store.CRAWL_DONE:
            with region.reachable():  # the demo region's web servers, say
                log_file = Path(out or DEFAULT_OUT) / "crawl.log"
                if workers:
                    from evalcrawler.distributed import crawl_with_workers

                    crawl_with_workers(
                        run_id, db_url, workers, owner=owner, progress=progress, say=say
                    )
                else:
                    crawl_run(run_id, db_url, log_file=log_file, progress=progress)
        if crawl_only:
            return summarise(engine, run_id, rubric.id, None, [])
        return score_and_report(
            engine, run_id, rubric_spec, out=out, manual_scores=manual_scores, say=say
        )
    finally:
        store.release_lock(engine, run_id, owner)
        engine.dispose()


def check_out_dir(out: Path) -> None:
    """Create the report folder and make sure a file can be written in it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".evalcrawl-write-test.", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ReportError(
            f"cannot write in report folder {out}: {exc.strerror or exc}; choose another --out "
            "or make the folder writable"
        ) from None


def score_and_report(
    engine: Any,
    run_id: int,
    rubric_spec: str = DEFAULT_RUBRIC,
    *,
    out: str | Path | None = DEFAULT_OUT,
    manual_scores: Path | None = None,
    say: Say = _quiet,
) -> Outcome:
    """Score a stored crawl under a rubric (no network) and write the reports."""
    rubric_id = score(engine, run_id, rubric_spec, manual_scores=manual_scores, say=say)
    files = report(engine, run_id, rubric_id, out) if out is not None else []
    return summarise(engine, run_id, rubric_id, Path(out) if out else None, files)


def score(
    engine: Any,
    run_id: int,
    rubric_spec: str = DEFAULT_RUBRIC,
    *,
    manual_scores: Path | None = None,
    say: Say = _quiet,
) -> str:
    """Score a stored crawl under a rubric and store the scores. Returns the rubric id."""
    from evalcrawler.scoring.engine import load_manual_scores
    from evalcrawler.scoring.rubric import load_rubric

    rubric = load_rubric(rubric_spec)
    manual = load_manual_scores(manual_scores, rubric) if manual_scores else None
    try:
        as_of = _score_in_one_transaction(engine, run_id, rubric, manual)
    except OperationalError as exc:  # a full disk, a lost connection: nothing was saved
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseError(
            f"cannot save the scores of run {run_id}: {reason}; nothing was saved and earlier "
            "scores are kept: free disk space (or fix the database) and run the same command "
            "again"
        ) from None
    say(f"scored run {run_id} under {rubric.id} (as of {as_of.isoformat()})")
    return str(rubric.id)


def _score_in_one_transaction(engine: Any, run_id: int, rubric: Any, manual: Any) -> date:
    """Score the run and store the scores in one transaction (all of them, or none)."""
    from evalcrawler.scorepool import score_run_sites

    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        if run.status not in store.CRAWL_DONE:
            raise ConfigError(
                f"run {run_id} has not finished crawling (status {run.status}); run "
                f"`evalcrawl run --region {run.region_id} --year {run.year}` to finish it"
            )
        as_of = run.as_of or run.crawl_date or date.today()
        # One site's pages in memory at a time (per process): a province is scored as it is read.
        results = score_run_sites(engine, session, run, rubric, as_of, manual)
        save_scores(
            session,
            run,
            rubric_id=rubric.id,
            rubric_title=rubric.title,
            rubric_version=str(rubric.version),
            rubric_sha256=rubric.sha256,
            rubric_text=rubric.text,
            as_of=as_of,
            results=results,
        )
        run.status = "scored"
    return as_of


def report(engine: Any, run_id: int, rubric_id: str | None, out: str | Path) -> list[Path]:
    """Write the report files of a scored run from the database alone."""
    from evalcrawler.reports.data import load_report_data
    from evalcrawler.reports.writers import write_reports

    data = load_report_data(engine, run_id, rubric_id)
    return write_reports(data, Path(out))


def summarise(
    engine: Any, run_id: int, rubric_id: str, out: Path | None, files: list[Path]
) -> Outcome:
    from sqlalchemy import select

    from evalcrawler.db.models import Site

    with session_scope(engine) as session:
        sites = session.scalars(select(Site).where(Site.run_id == run_id)).all()
        outcome = Outcome(
            run_id=run_id, rubric_id=rubric_id, out_dir=out, files=files, sites=len(sites)
        )
        outcome.unreachable = [s.site_id for s in sites if s.status in (None, "unreachable")]
        outcome.blocked = [s.site_id for s in sites if s.status == "blocked"]
        outcome.partial = [s.site_id for s in sites if s.status == "partial"]
    n_bad = len(outcome.unreachable) + len(outcome.blocked) + len(outcome.partial)
    if outcome.unreachable and len(outcome.unreachable) == outcome.sites:
        outcome.exit_code = EXIT_UNMEASURED
        outcome.message = (
            f"none of the {outcome.sites} sites could be reached, so none is ranked; "
            "check the network connection (or the site addresses) and run again with --fresh"
        )
    elif n_bad:
        outcome.exit_code = EXIT_UNMEASURED
        parts = []
        if outcome.unreachable:
            parts.append(f"unreachable: {', '.join(outcome.unreachable)}")
        if outcome.blocked:
            parts.append(f"blocked by an anti-bot challenge: {', '.join(outcome.blocked)}")
        if outcome.partial:
            parts.append(f"partly measured: {', '.join(outcome.partial)}")
        outcome.message = (
            f"{n_bad} of {outcome.sites} sites could not be fully measured ({'; '.join(parts)}); "
            "see scores.csv (status, and the report's section on unmeasured sites)"
        )
    return outcome
