"""Score a stored run's sites on every core: each process reads and scores whole sites.

Scoring a site needs only that site's facts, so sites are independent work. A large run (a
province: hundreds of sites, over a hundred thousand pages) is scored by a pool of processes,
each with its own database connection, reading one site at a time; the parent keeps only the
results, ranks them and stores them. A small run is scored in this process, where starting
the pool would cost more than it saves.

``EVALCRAWL_SCORE_PROCESSES`` sets the number of processes (``1`` never starts a pool);
by default, one per core for runs of at least ``PARALLEL_MIN_PAGES`` pages.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import iter_site_facts, site_facts
from evalcrawler.db.models import Page, Run, Site
from evalcrawler.errors import ConfigError
from evalcrawler.scoring.engine import rank_results, score_site, score_sites
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import SiteResult

PARALLEL_MIN_PAGES = 20_000
ENV = "EVALCRAWL_SCORE_PROCESSES"

_engines: dict[str, Any] = {}  # per worker process: database URL → engine


def processes_wanted(pages: int, sites: int) -> int:
    """How many processes score a run of ``pages`` pages over ``sites`` sites."""
    setting = os.environ.get(ENV, "").strip()
    if setting:
        try:
            wanted = int(setting)
        except ValueError:
            wanted = 0
        if wanted < 1:
            raise ConfigError(
                f"{ENV}={setting!r} is not a number of processes: set it to 1 or more"
            )
    elif pages < PARALLEL_MIN_PAGES:
        wanted = 1
    else:
        wanted = os.cpu_count() or 1
    return max(1, min(wanted, sites))


def score_run_sites(
    engine: Any,
    session: Session,
    run: Run,
    rubric: Any,
    as_of: date,
    manual: dict[tuple[str, str], float] | None = None,
) -> list[SiteResult]:
    """Every site of ``run`` scored under ``rubric`` and ranked, in parallel when it pays."""
    site_pks = list(session.scalars(select(Site.id).where(Site.run_id == run.id).order_by(Site.id)))
    pages = session.scalar(select(func.count(Page.id)).where(Page.run_id == run.id)) or 0
    processes = processes_wanted(pages, len(site_pks))
    in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (
        None,
        "",
        ":memory:",
    )
    if processes == 1 or in_memory:
        return score_sites(rubric, iter_site_facts(session, run), as_of, manual=manual)
    url = engine.url.render_as_string(hide_password=False)
    # fork where there is one: spawn would run the caller's main script again in every
    # process. A pool process opens its own engine and never uses the connections it inherits.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        results = list(
            pool.map(
                _score_one,
                [url] * len(site_pks),
                [run.id] * len(site_pks),
                site_pks,
                [rubric] * len(site_pks),
                [as_of] * len(site_pks),
                [manual] * len(site_pks),
            )
        )
    return rank_results(results)


def _score_one(
    url: str,
    run_id: int,
    site_pk: int,
    rubric: Any,
    as_of: date,
    manual: dict[tuple[str, str], float] | None,
) -> SiteResult:
    """In a pool process: read one site's facts and score it (ranking is the parent's)."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        site = session.get(Site, site_pk)
        assert site is not None, f"site {site_pk} of run {run_id} vanished while scoring"
        facts = site_facts(session, run, site)
    metrics = compute_metrics(facts, rubric.thresholds, as_of)
    return score_site(rubric, facts, metrics, as_of, manual)
