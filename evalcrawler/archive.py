"""The evidence archive of a run: where its WARC files live, and rebuilding page facts from them.

Every crawl writes its requests and responses to WARC files (``evalcrawler.spiders.warc``) in a
folder of its own, recorded in ``Run.warc_dir``. The folder is chosen when the crawl first
starts: ``<root>/<region>-<year>-run<id>/``, where the root is ``--warc-dir`` or
``EVALCRAWL_WARC_DIR`` when given, else a folder next to the SQLite database named after it
(``evalcrawl.db`` → ``evalcrawl-warc/``), else (PostgreSQL) ``evalcrawl-warc/`` in the working
directory. The archive is evidence: it is kept apart from ``--out``, which report runs rewrite.

:func:`rebuild_page_facts` (``evalcrawl extract --run ID``) re-runs page-fact extraction on every
archived page response, with the crawl context the archive keeps beside it, and replaces the
run's pages and links with the result: after a parser improvement, a stored crawl gets the new
facts without fetching anything again, and a re-score of an unchanged parser gives the same
scores as the original run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import make_url

from evalcrawler.db import normalise_url, session_scope, store
from evalcrawler.db.models import Link, Page, Run, Site
from evalcrawler.errors import ConfigError
from evalcrawler.facts import ExtractOptions, PageFacts

logger = logging.getLogger(__name__)

DEFAULT_ROOT = "evalcrawl-warc"
WRITE_BATCH = 200


def default_root(db_url: str) -> Path:
    """Where runs keep their archives when no root is given (see the module docstring)."""
    try:
        url = make_url(normalise_url(db_url))
    except Exception:  # an unparsable URL fails elsewhere, with its own message
        return Path(DEFAULT_ROOT)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).expanduser()
        return path.parent / f"{path.stem}-warc"
    return Path(DEFAULT_ROOT)


def assign_run_folder(run: Run, root: str | Path | None, db_url: str) -> Path:
    """Create the archive folder of a run that has none yet; never reuse one with files in it
    (another database's run of the same id may have written there). ``root``: ``--warc-dir``,
    else ``EVALCRAWL_WARC_DIR``, else :func:`default_root`."""
    root = root or os.environ.get("EVALCRAWL_WARC_DIR") or default_root(db_url)
    base = Path(root).expanduser().resolve()
    name = f"{run.region_id}-{run.year}-run{run.id}"
    folder, n = base / name, 2
    while folder.exists() and any(folder.iterdir()):
        folder, n = base / f"{name}-{n}", n + 1
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_folder(run: Run, override: str | Path | None = None) -> Path:
    """The folder holding a run's WARC files (``override``: the archive was moved there)."""
    from evalcrawler.spiders.warc import warc_files

    if override is not None:
        folder = Path(override)
        if warc_files(folder):
            return folder
        if run.warc_dir and warc_files(folder / Path(run.warc_dir).name):
            return folder / Path(run.warc_dir).name
        raise ConfigError(f"no WARC files (*.warc.gz) in {folder}; give the run's archive folder")
    if not run.warc_dir:
        raise ConfigError(
            f"run {run.id} has no evidence archive (it was crawled with the archive off); "
            f"crawl it again with `evalcrawl run --region {run.region_id} --year {run.year} "
            "--fresh`"
        )
    folder = Path(run.warc_dir)
    if not warc_files(folder):
        raise ConfigError(
            f"the evidence archive of run {run.id} ({folder}) holds no WARC files; if it was "
            "moved, give its new folder with --warc-dir"
        )
    return folder


@dataclass
class Rebuilt:
    """What :func:`rebuild_page_facts` did."""

    run_id: int
    folder: Path
    files: int = 0
    pages: int = 0
    links: int = 0
    extracted: int = 0  # pages extracted again from their archived response
    without_response: int = 0  # fetches that failed (their error is in the archive)
    duplicates: int = 0  # pages archived twice (a resumed crawl): the first is kept
    problems: list[str] = field(default_factory=list)


def rebuild_page_facts(
    engine: Any,
    run_id: int,
    *,
    warc_dir: str | Path | None = None,
    force: bool = False,
    say: Callable[[str], None] | None = None,
) -> Rebuilt:
    """Replace run ``run_id``'s pages and links with facts extracted again from its archive.

    Refuses (and changes nothing) when the archive lacks pages the database holds, unless
    ``force``. The run's scores are not touched: re-score it afterwards.
    """
    from evalcrawler.spiders import warcread

    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        folder = run_folder(run, warc_dir)
        if run.crawl_date is None:
            raise ConfigError(f"run {run_id} has not been crawled yet; nothing to extract")
        fetched = run.crawl_date
        sites = {
            s.site_id: s.id for s in session.scalars(select(Site).where(Site.run_id == run_id))
        }
        # Each site's corrections for extraction, as the run recorded them.
        options = {
            sites[site_id]: ExtractOptions.from_config(extract)
            for site_id, extract in store.site_corrections(run).items()
            if site_id in sites
        }
        # url → the response record the database kept for it (the latest attempt)
        rows = session.execute(select(Page.url, Page.warc_record).where(Page.run_id == run_id))
        stored = {url: record for url, record in rows}
    result = Rebuilt(run_id=run_id, folder=folder)
    found = warcread.scan(folder)
    result.files = len(found.files)
    result.problems.extend(found.problems)
    plan: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}  # url → its place in the plan
    for context in found.pages:
        pk = sites.get(context.get("site_id") or "")
        if pk is None:
            result.problems.append(
                f"{context.get('url')}: site {context.get('site_id')!r} is "
                f"not in run {run_id}; skipped"
            )
            continue
        url = context["url"]
        if url in seen:
            # A URL asked again (a resumed crawl, a rerun after failures): the attempt the
            # database kept is the one rebuilt, else the first.
            result.duplicates += 1
            if stored.get(url) and context.get("response") == stored[url]:
                plan[seen[url]] = (pk, context)
            continue
        seen[url] = len(plan)
        plan.append((pk, context))
    missing = sorted(set(stored) - set(seen))
    if missing and not force:
        raise ConfigError(
            f"the archive in {folder} lacks {len(missing)} of the {len(stored)} pages stored for "
            f"run {run_id} (e.g. {missing[0]}); nothing was changed. Pass --force to rebuild "
            "from the archive anyway (those pages are then dropped)"
        )

    owner = store.acquire_lock(engine, run_id)
    try:
        with engine.begin() as conn:
            conn.execute(delete(Link).where(Link.run_id == run_id))
            conn.execute(delete(Page).where(Page.run_id == run_id))
            writer = _page_writer(run_id)
            for start in range(0, len(plan), WRITE_BATCH):
                items = []
                for pk, context in plan[start : start + WRITE_BATCH]:
                    facts = _rebuild_page(folder, context, fetched, result, options.get(pk))
                    if facts is not None:
                        items.append({"type": "page", "site_pk": pk, "facts": facts})
                        result.links += len(facts.links)
                if items:
                    writer(conn, items)
                    result.pages += len(items)
                if say is not None and start and start % (WRITE_BATCH * 10) == 0:
                    say(f"extracting: {start} of {len(plan)} pages")
        with session_scope(engine) as session:
            run = store.get_run(session, run_id)
            if run.status == "scored":
                run.status = "crawled"  # the stored scores were computed from the old facts
    finally:
        store.release_lock(engine, run_id, owner)
    return result


def _rebuild_page(
    folder: Path,
    context: dict[str, Any],
    fetched: Any,
    result: Rebuilt,
    options: ExtractOptions | None = None,
) -> PageFacts | None:
    """One page's facts from its archived response and crawl context (as the spider built
    them in ``SiteSpider._record_page`` / ``on_error``)."""
    from evalcrawler.spiders import warcread
    from evalcrawler.spiders.endpoints import read_endpoint
    from evalcrawler.spiders.extract import extract_page

    where = context.get("response")
    if where:
        try:
            response = warcread.read_response(folder, where)
        except Exception as exc:  # a missing file, a cut-short record ...
            result.problems.append(f"{context['url']}: response {where} unreadable ({exc})")
            return None
        if context.get("list_of"):
            facts = read_endpoint(
                response.url,
                response.body,
                response.headers,
                response.status,
                list_of=context["list_of"],
                fetched=fetched,
            )
        else:
            status = response.status or int(context.get("status") or 0)  # a rendered DOM's
            facts = extract_page(
                response.url,
                response.body,
                response.headers,
                status,
                fetched=fetched,
                options=options,
            )
        if context.get("rendered"):
            facts.rendered, facts.scripted = True, None
        facts.warc_record = where
        result.extracted += 1
    else:
        facts = PageFacts(url=context["url"], final_url=context.get("final_url") or "")
        facts.list_of = context.get("list_of")
        result.without_response += 1
    facts.url = context["url"]
    facts.final_url = context.get("final_url") or facts.final_url
    facts.elapsed_ms = context.get("elapsed_ms")
    facts.is_home = bool(context.get("is_home"))
    facts.depth = int(context.get("depth") or 0)
    facts.referer = context.get("referer")
    facts.via_text = context.get("via_text")
    facts.via_nav = bool(context.get("via_nav"))
    stamp = context.get("fetched_at")
    facts.fetched_at = datetime.fromisoformat(stamp) if stamp else None
    if context.get("error"):
        facts.error = context["error"]
    return facts


def _page_writer(run_id: int) -> Callable[[Any, list[dict[str, Any]]], None]:
    """The crawl's own page writer, so a rebuilt row is stored exactly as a crawled one."""
    from evalcrawler.spiders.pipelines import DatabasePipeline

    pipeline = DatabasePipeline("", run_id, batch=WRITE_BATCH, interval=1.0)
    return pipeline._write_pages  # one definition of a page row
