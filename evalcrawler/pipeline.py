"""The evaluation pipeline: run = crawl → score → report.

Callable from Python (a notebook, Airflow) as easily as from the CLI::

    from evalcrawler.pipeline import run
    outcome = run("taiyuan", year=2026, out="results/")

A run is identified by (region, year): running it again resumes an unfinished crawl or
re-scores a finished one under the rubric given; ``fresh=True`` starts a new crawl and keeps
the old one as superseded. Its reports and crawl.log go to ``out``, by default a folder of
its own: ``evalcrawl-out/<region>-<year>/`` (:func:`default_out_dir`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from evalcrawler.config import CrawlSettings, Region, load_region
from evalcrawler.db import default_url, make_engine, session_scope, store
from evalcrawler.db.scores import check_rubric_identity, save_scores
from evalcrawler.errors import (
    EXIT_NONE_MEASURED,
    EXIT_OK,
    EXIT_UNMEASURED,
    ConfigError,
    DatabaseError,
    ReportError,
)

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
DEFAULT_RUBRIC = "gov2013"
DEFAULT_OUT = "evalcrawl-out"  # the root of the default report folders, one per run


def default_out_dir(region_id: str, year: int) -> Path:
    """The report folder of a run when none is given: ``evalcrawl-out/<region>-<year>``, so
    runs of other regions and years never overwrite each other's reports or logs."""
    return Path(DEFAULT_OUT) / f"{region_id}-{year}"


def evaluation_year(region: Region, year: int | None, as_of: date | None) -> int:
    """The run's year: ``year``, else the year of the as-of date (given, or the region's),
    else this year."""
    as_of = as_of or region.as_of
    return year or (as_of.year if as_of else date.today().year)


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
    """Find the run of (region, year) to continue, or create one (see :func:`open_run`);
    returns its id, its lock released."""
    engine = make_engine(db_url)
    try:
        run_id, owner = open_run(
            engine, region, year=year, rubric=rubric, as_of=as_of, crawl=crawl, fresh=fresh, say=say
        )
        store.release_lock(engine, run_id, owner)
        return run_id
    finally:
        engine.dispose()


def open_run(
    engine: Any,
    region: Region,
    *,
    year: int | None,
    rubric: Any,
    as_of: date | None,
    crawl: CrawlSettings,
    fresh: bool,
    say: Say = _quiet,
) -> tuple[int, str]:
    """Find the run of (region, year) to continue, or create one, and take its lock; returns
    its id and the lock's owner.

    A run that exists is locked before anything is said or changed (a second process running
    the same command stops at once with :class:`RunLockedError`). A finished one is rerun:
    its sites that were not measured, and partial ones cut by failed requests, are crawled
    again (:func:`store.reopen_unmeasured`), the measured ones are kept. ``fresh`` keeps the
    run as superseded and starts a new one.
    """
    year = evaluation_year(region, year, as_of)
    as_of = as_of or region.as_of
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
        created = run is None
        if run is None:
            check_year(year, as_of)
            run = store.create_run(
                session, region, year, rubric.id, as_of, {"crawl": asdict(crawl)}
            )
            say(f"run {run.id}: {region.id} {year}, {len(region.sites)} sites")
        run_id = run.id
    owner = store.acquire_lock(engine, run_id)
    if created:
        return run_id, owner
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        if as_of and run.as_of != as_of:
            run.as_of = as_of
        exists = f"run {run.id}: {region.id} {year} exists"
        if run.status not in store.CRAWL_DONE:
            say(f"{exists}, resuming the crawl (--fresh starts over)")
        elif reopened := store.reopen_unmeasured(session, run):
            say(
                f"{exists}; crawling again the {reopened.count} not measured "
                f"({reopened.describe()}), keeping the {reopened.kept} measured "
                "(--fresh starts over)"
            )
        else:
            say(f"{exists}, reusing its crawl (--fresh starts over)")
    return run_id, owner


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
    out: str | Path | None = None,
    as_of: date | None = None,
    fresh: bool = False,
    manual_scores: Path | None = None,
    say: Say = _quiet,
    progress: Callable[[dict[str, int]], None] | None = None,
    crawl_only: bool = False,
    workers: str | None = None,
    seed: int | None = None,
    write_reports: bool = True,
    **flags: Any,
) -> Outcome:
    """Crawl, score and report a region (see the module docstring).

    ``out``: the folder of the reports and crawl.log (default :func:`default_out_dir`).
    ``workers``: a Redis URL; the sites are then crawled by `evalcrawl worker` processes
    consuming it (evalcrawler.distributed), this process waits for them and goes on.
    ``write_reports=False`` scores the run without writing its reports (its crawl log is then
    ``crawl-<year>.log``): the demo's earlier year, see :func:`demo_previous_year`.
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
    out = (
        Path(out)
        if out is not None
        else default_out_dir(region.id, evaluation_year(region, year, as_of))
    )
    check_out_dir(out)  # before hours of crawling, not after
    own_year = year is None and as_of is None
    if region.demo and write_reports and not crawl_only and not workers and own_year:
        demo_previous_year(region, region_spec, rubric_spec, rubric.id, db_url, out, say, flags)
    if workers:
        from evalcrawler.distributed import check_broker

        check_broker(workers)
    engine = make_engine(db_url)
    try:
        run_id, owner = open_run(
            engine, region, year=year, rubric=rubric, as_of=as_of, crawl=crawl, fresh=fresh, say=say
        )
    except BaseException:
        engine.dispose()
        raise
    try:
        with session_scope(engine) as session:
            stored = store.get_run(session, run_id)
            status, run_as_of = stored.status, stored.as_of
        if status not in store.CRAWL_DONE:
            # The demo region's web servers, say (serving the demo web as of the run's date).
            with region.reachable(run_as_of):
                log_file = out / (
                    "crawl.log"
                    if write_reports
                    else f"crawl-{evaluation_year(region, year, as_of)}.log"
                )
                if workers:
                    from evalcrawler.distributed import crawl_with_workers

                    crawl_with_workers(
                        run_id, db_url, workers, owner=owner, progress=progress, say=say
                    )
                else:
                    crawl_run(run_id, db_url, log_file=log_file, progress=progress)
        if crawl_only:
            return summarise(engine, run_id, rubric.id, out, [])
        if not write_reports:
            rubric_id = score(engine, run_id, rubric_spec, manual_scores=manual_scores, say=say)
            return summarise(engine, run_id, rubric_id, out, [])
        return score_and_report(
            engine, run_id, rubric_spec, out=out, manual_scores=manual_scores, say=say, seed=seed
        )
    finally:
        store.release_lock(engine, run_id, owner)
        engine.dispose()


def demo_previous_year(
    region: Region,
    region_spec: str,
    rubric_spec: str,
    rubric_id: str,
    db_url: str,
    out: Path,
    say: Say,
    flags: dict[str, Any],
) -> None:
    """The demo shows two years: before the demo region's run, crawl and score the demo web
    as it was one year earlier (served as of the region's as-of date − 365 days, as year − 1)
    unless that year is already scored under the rubric. No reports are written for it; the
    main run's reports show both years (years.csv, the report's 历年对比)."""
    if region.as_of is None:
        return
    as_of = region.as_of - timedelta(days=365)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            found = store.find_run(session, region.id, as_of.year)
            scored = found is not None and store.is_scored(session, found.id, rubric_id)
    finally:
        engine.dispose()
    if scored:
        return
    import socket
    from urllib.parse import urlsplit

    first = urlsplit(region.sites[0].url)
    try:  # something listens there (a bind test would also fail on connections in TIME_WAIT)
        socket.create_connection((first.hostname or "", first.port or 0), timeout=1).close()
        served = True
    except OSError:
        served = False
    if served:
        # `evalcrawl demo serve` serves this year's web there: it cannot be the year before.
        say(
            f"The demo web is already served at {first.hostname}:{first.port} (evalcrawl demo "
            f"serve?): the year {as_of.year} is not crawled, the report shows one year"
        )
        return
    say(f"The demo shows two years: first the demo web as of {as_of} (year {as_of.year})")
    run(
        region_spec,
        year=as_of.year,
        rubric_spec=rubric_spec,
        db_url=db_url,
        out=out,
        as_of=as_of,
        say=say,
        write_reports=False,
        **flags,
    )


def check_year(year: int, as_of: date | None) -> None:
    """Refuse a new run whose year is far from its as-of date: the web is crawled as it is
    today, so ``--year 1999`` without ``--as-of`` would label today's web as 1999's. A run
    may be made in its year or within a year of it (an evaluation of 2026 in January 2027)."""
    reference = as_of or date.today()
    if abs(year - reference.year) > 1:
        shown = "today's date" if as_of is None else "the as-of date"
        raise ConfigError(
            f"--year {year} is more than a year from {shown} {reference.isoformat()}, and the "
            f"sites are crawled as they are now; leave out --year (it is then "
            f"{reference.year}), or give the evaluation's date with --as-of"
        )


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
    out: str | Path | None = None,
    manual_scores: Path | None = None,
    say: Say = _quiet,
    seed: int | None = None,
) -> Outcome:
    """Score a stored crawl under a rubric (no network) and write the reports to ``out``
    (default: the run's own folder, :func:`default_out_dir`). ``seed``: of the rank-interval
    simulation (default: evalcrawler.reports.stability.DEFAULT_SEED)."""
    rubric_id = score(engine, run_id, rubric_spec, manual_scores=manual_scores, say=say)
    folder = Path(out) if out is not None else run_out_dir(engine, run_id)
    files = report(engine, run_id, rubric_id, folder, seed=seed)
    return summarise(engine, run_id, rubric_id, folder, files)


def run_out_dir(engine: Any, run_id: int) -> Path:
    """The default report folder of a stored run (:func:`default_out_dir`)."""
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        return default_out_dir(run.region_id, run.year)


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
        # Before hours of scoring: a changed rubric under a stored id and version is refused.
        check_rubric_identity(
            session,
            rubric_id=rubric.id,
            version=str(rubric.version),
            sha256=rubric.sha256,
            label=rubric.label,
        )
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


def report(
    engine: Any,
    run_id: int,
    rubric_id: str | None,
    out: str | Path | None = None,
    *,
    seed: int | None = None,
) -> list[Path]:
    """Write the report files of a scored run from the database alone, to ``out`` (default:
    the run's own folder, :func:`default_out_dir`), the rank intervals drawn with ``seed``."""
    from evalcrawler.reports.data import load_report_data
    from evalcrawler.reports.writers import write_reports

    data = load_report_data(engine, run_id, rubric_id)
    data.seed = seed
    return write_reports(data, Path(out) if out is not None else run_out_dir(engine, run_id))


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
    not_measured = len(outcome.unreachable) + len(outcome.blocked)
    if outcome.sites and not_measured == outcome.sites:
        outcome.exit_code = EXIT_NONE_MEASURED
        reached = "reached" if not outcome.blocked else "measured"
        outcome.message = (
            f"none of the {outcome.sites} sites could be {reached}, so none is ranked; check "
            "the network connection (or the site addresses) and run the same command again: "
            "it crawls again the sites not measured"
        )
    elif not_measured or outcome.partial:
        outcome.exit_code = EXIT_UNMEASURED
        parts = []
        if outcome.unreachable:
            parts.append(f"unreachable: {', '.join(outcome.unreachable)}")
        if outcome.blocked:
            parts.append(f"blocked by an anti-bot challenge: {', '.join(outcome.blocked)}")
        if outcome.partial:
            parts.append(f"partly measured: {', '.join(outcome.partial)}")
        n_bad = not_measured + len(outcome.partial)
        outcome.message = (
            f"{n_bad} of {outcome.sites} sites could not be fully measured ({'; '.join(parts)}); "
            "see scores.csv (status, and the report's section on unmeasured sites); running the "
            "same command again crawls again those not measured or cut by failed requests"
        )
    return outcome
