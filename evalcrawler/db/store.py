"""Runs in the database: create or find a run, lock it, and the state of its crawl (what is
left to crawl, what a resumed crawl knows already, progress).

Everything the pipeline needs from the database goes through here, :mod:`evalcrawler.db.facts`
(the stored facts, for scoring) and :mod:`evalcrawler.db.scores` (saving scores), so the crawl,
the scoring and the reports never build queries of their own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from evalcrawler.config import Region
from evalcrawler.db import session_scope
from evalcrawler.db.models import Link, LinkCheck, Page, Probe, Run, ScoreSet, Site
from evalcrawler.errors import ConfigError, RunLockedError
from evalcrawler.facts import EXTRACTION_ERROR_PREFIX
from evalcrawler.urls import normalise, site_hosts

LOCK_STALE = timedelta(seconds=90)  # a lock whose heartbeat is older is taken over
CRAWL_DONE = ("crawled", "scored")  # run statuses whose crawl is complete
# Site statuses of a site that was not measured at all ("blocked": an anti-bot challenge
# answered instead of the site). A rerun of a finished run crawls such sites again.
NOT_MEASURED = ("unreachable", "blocked")
# How a partial site's reason says that page requests failed (spiders/state.py, verdict:
# "12 of 40 page requests failed (…)"). Only such sites are crawled again by a rerun: the
# other cuts (the page and check budgets, the site's time budget, a crawler trap, pages over
# the size limit) would cut the same way again.
FAILED_PAGES = " page requests failed"
SIZE_LIMIT_ERROR = "too large"  # how the error of a page cut at the size limit starts


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# ----------------------------------------------------------------- runs


def find_run(session: Session, region_id: str, year: int) -> Run | None:
    """The current (not superseded) run of a region and year."""
    return session.scalars(
        select(Run)
        .where(Run.region_id == region_id, Run.year == year, Run.superseded.is_(False))
        .order_by(Run.id.desc())
    ).first()


def is_scored(session: Session, run_id: int, rubric_id: str) -> bool:
    """Whether the run has been scored under the rubric."""
    found = session.scalar(
        select(ScoreSet.id)
        .where(ScoreSet.run_id == run_id, ScoreSet.rubric_id == rubric_id)
        .limit(1)
    )
    return found is not None


def get_run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise ConfigError(f"no run {run_id} in this database; `evalcrawl runs` lists the runs")
    return run


def create_run(
    session: Session,
    region: Region,
    year: int,
    rubric_id: str,
    as_of: date | None,
    settings: dict[str, Any],
) -> Run:
    run = Run(
        region_id=region.id,
        region_name=region.name_zh or region.name,
        year=year,
        rubric_id=rubric_id,
        as_of=as_of,
        status="new",
        created_at=now(),
        settings=settings,
        region=region.model_dump(mode="json", by_alias=True),
    )
    session.add(run)
    session.flush()
    for site in region.sites:
        session.add(
            Site(
                run_id=run.id,
                site_id=site.id,
                region_id=site.region or region.id,
                name_zh=site.name_zh,
                name=site.name,
                level=site.level,
                url=site.url,
                aliases=list(site.aliases),
            )
        )
    session.flush()
    return run


def supersede(session: Session, run: Run) -> None:
    run.superseded = True


def list_runs(session: Session) -> list[dict[str, Any]]:
    rows = []
    runs = session.scalars(select(Run).order_by(Run.id)).all()
    for run in runs:
        pages = (
            session.scalar(select(func.count(Page.id)).where(Page.run_id == run.id, _ok_page()))
            or 0
        )
        sites = session.scalar(select(func.count(Site.id)).where(Site.run_id == run.id)) or 0
        rubrics = session.scalars(
            select(ScoreSet.rubric_id).where(ScoreSet.run_id == run.id).order_by(ScoreSet.id)
        ).all()
        rows.append(
            {
                "id": run.id,
                "region": run.region_id,
                "year": run.year,
                "status": run.status + (" (superseded)" if run.superseded else ""),
                "sites": sites,
                "pages": pages,
                "crawl_date": run.crawl_date.isoformat() if run.crawl_date else "",
                "rubrics": ",".join(dict.fromkeys(rubrics)),  # one per id, whatever its versions
            }
        )
    return rows


# ----------------------------------------------------------------- lock


def acquire_lock(engine: Engine, run_id: int, owner: str | None = None) -> str:
    """Take the run's lock or raise RunLockedError naming the holder."""
    owner = owner or owner_id()
    with session_scope(engine) as session:
        stale = now() - LOCK_STALE
        result = session.execute(
            update(Run)
            .where(
                Run.id == run_id,
                (Run.lock_owner.is_(None))
                | (Run.lock_owner == owner)
                | (Run.lock_heartbeat < stale),
            )
            .values(lock_owner=owner, lock_heartbeat=now())
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return owner
        run = session.get(Run, run_id)
        holder = run.lock_owner if run else "?"
        dead = _holder_is_dead(holder or "")
        if dead:
            taken = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.lock_owner == holder)
                .values(lock_owner=owner, lock_heartbeat=now())
            )
            # Others may have found the same dead holder: only the one whose update still
            # matched it has the lock (PostgreSQL re-checks the WHERE after a concurrent update).
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return owner
            holder = session.scalar(select(Run.lock_owner).where(Run.id == run_id)) or "?"
    raise RunLockedError(
        f"run {run_id} of this region and year is being run by {holder}; wait for it to finish "
        "or stop it (a lock is released when its holder stops; a crashed holder's lock is taken "
        f"over after {int(LOCK_STALE.total_seconds())} s)"
    )


def _holder_is_dead(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def refresh_lock(engine: Engine, run_id: int, owner: str | None = None) -> None:
    """Renew the heartbeat of a lock this process holds (a waiting holder is no crashed one)."""
    owner = owner or owner_id()
    with session_scope(engine) as session:
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.lock_owner == owner)
            .values(lock_heartbeat=now())
        )


def release_lock(engine: Engine, run_id: int, owner: str | None = None) -> None:
    owner = owner or owner_id()
    with session_scope(engine) as session:
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.lock_owner == owner)
            .values(lock_owner=None, lock_heartbeat=None)
        )


# ------------------------------------------------------------- crawl state


def site_specs(session: Session, run: Run) -> list[dict[str, Any]]:
    """What the spider needs to know of each site not yet done (``extract``: the site's
    corrections for extraction, from the run's region snapshot)."""
    specs = []
    # The region file's per-site choices, from the run's snapshot of it (render: js).
    render = {
        str(s.get("id")): s.get("render")
        for s in (run.region or {}).get("sites", [])
        if isinstance(s, dict)
    }
    corrections = site_corrections(run)
    for site in session.scalars(select(Site).where(Site.run_id == run.id).order_by(Site.id)):
        if site.crawl_state == "done":
            continue
        specs.append(
            {
                "pk": site.id,
                "site_id": site.site_id,
                "url": site.url,
                "aliases": list(site.aliases or []),
                "hosts": sorted(site_hosts(site.url, site.aliases or [])),
                "render": render.get(site.site_id),
                "extract": corrections.get(site.site_id),
            }
        )
    return specs


def site_corrections(run: Run) -> dict[str, dict[str, Any]]:
    """Each site's ``extract`` corrections as the run recorded them with its region (the
    region file's ``extract:`` mapping: ``list``, ``date``, ``not_columns``)."""
    out: dict[str, dict[str, Any]] = {}
    for site in (run.region or {}).get("sites") or []:
        extract = site.get("extract") if isinstance(site, dict) else None
        if extract:
            out[str(site.get("id"))] = dict(extract)
    return out


def resume_state(
    session: Session, run: Run, site_pks: Collection[int] | None = None
) -> dict[int, dict[str, Any]]:
    """For each started site (of ``site_pks`` only, when given): stored pages, checks, probes
    and the frontier of unfetched links."""
    state: dict[int, dict[str, Any]] = {}
    query = select(Site).where(Site.run_id == run.id, Site.crawl_state != "done")
    if site_pks is not None:
        query = query.where(Site.id.in_(list(site_pks)))
    sites = session.scalars(query).all()
    for site in sites:
        pages = session.execute(
            select(
                Page.id,
                Page.url,
                Page.final_url,
                Page.status,
                Page.is_home,
                Page.is_html,
                Page.error,
                Page.facts,
            ).where(Page.site_pk == site.id)
        ).all()
        if not pages:
            continue
        checks = session.scalars(select(LinkCheck.url).where(LinkCheck.site_pk == site.id)).all()
        probes = [
            tuple(row)
            for row in session.execute(
                select(Probe.kind, Probe.seq).where(Probe.site_pk == site.id)
            )
        ]
        known = {normalise(p.url) for p in pages} | {normalise(p.final_url) for p in pages}
        known |= {normalise(u) for u in checks}
        home = None
        ok_pages: dict[int, Any] = {}
        dated: dict[int, set[str | None]] = {}
        failures = 0
        failed: list[tuple[str, int, str | None]] = []
        cut: list[tuple[str, str]] = []  # pages answered but not read (the extraction's limit)
        for page in pages:
            ok = 200 <= page.status < 300 and page.is_html
            if page.is_home and ok:
                forms = [f for f in page.facts.get("forms", []) if f.get("search")]
                home = {"url": page.final_url or page.url, "form": forms[0] if forms else None}
            if ok:
                ok_pages[page.id] = page
                dated[page.id] = {d.get("url") for d in page.facts.get("dated_links", [])}
            if page.status == 0 or page.status >= 500 or page.status == 429:
                failures += 1
                failed.append((page.url, page.status, page.error))
            elif not ok and (page.error or "").startswith(EXTRACTION_ERROR_PREFIX):
                cut.append((page.url, page.error))
        frontier = []
        seen: set[str] = set()
        if ok_pages:
            links = session.execute(
                select(Link.page_id, Link.url, Link.text, Link.nav, Link.pager)
                .where(Link.site_pk == site.id)
                .order_by(Link.id)
            ).all()
            for link in links:
                key = normalise(link.url)
                if key in known or key in seen or link.page_id not in ok_pages:
                    continue
                seen.add(key)
                page = ok_pages[link.page_id]
                frontier.append(
                    {
                        "url": link.url,
                        "text": link.text,
                        "nav": link.nav,
                        "pager": link.pager,
                        "depth": int(page.facts.get("depth", 0)) + 1,
                        "referer": page.final_url or page.url,
                        "dated": link.url in dated.get(link.page_id, ()),
                    }
                )
        state[site.id] = {
            "pages": [normalise(p.url) for p in pages] + [normalise(p.final_url) for p in pages],
            "checks": [normalise(u) for u in checks],
            "probes": list(probes),
            "home": home,
            "frontier": frontier,
            "page_responses": len(pages),
            "pages_ok": len(ok_pages),  # the page budget counts these (docs/metrics.md)
            "page_failures": failures,
            "failed": failed,  # (url, status, error) of failed page requests, for the verdict
            "cut": cut,  # (url, error) of pages whose extraction was cut, for the verdict
        }
    return state


HTTP_PROBES = ("home", "https", "http_redirect", "robots", "sitemap", "soft404", "search")


def forget_unanswered(session: Session, run: Run, site_pks: Collection[int] | None = None) -> None:
    """Before a crawl resumes, forget what an interruption may have caused in unfinished sites.

    Requests in flight when a crawl is stopped or killed can fail *because* of the stop (the
    connection dropped; the demo web, served by the killed process, gone). So in every site
    not yet done, page requests, link checks and HTTP probes that got no response (status 0)
    are forgotten and asked again, and a site whose home page never answered starts over:
    the resumed crawl then ends with the facts an uninterrupted one would have.
    """
    unfinished = select(Site.id).where(Site.run_id == run.id, Site.crawl_state != "done")
    if site_pks is not None:  # a worker crawling some sites must not touch the others
        unfinished = unfinished.where(Site.id.in_(list(site_pks)))
    answered = select(Page.site_pk).where(
        Page.run_id == run.id,
        Page.is_home.is_(True),
        Page.is_html.is_(True),
        Page.status >= 200,
        Page.status < 300,
    )
    restart = select(Site.id).where(Site.id.in_(unfinished), Site.id.not_in(answered))
    for model in (Link, Page, LinkCheck, Probe):
        session.execute(delete(model).where(model.site_pk.in_(restart)))
    silent = select(Page.id).where(Page.site_pk.in_(unfinished), Page.status == 0)
    session.execute(delete(Link).where(Link.page_id.in_(silent)))
    session.execute(delete(Page).where(Page.id.in_(silent)))
    session.execute(
        delete(LinkCheck).where(LinkCheck.site_pk.in_(unfinished), LinkCheck.status == 0)
    )
    session.execute(
        delete(Probe).where(
            Probe.site_pk.in_(unfinished), Probe.status == 0, Probe.kind.in_(HTTP_PROBES)
        )
    )


def _ok_page() -> Any:
    """HTML pages answered 2xx: what "pages" means everywhere (progress, runs, scores.csv)."""
    return Page.status.between(200, 299) & Page.is_html.is_(True)


def crawl_progress(session: Session, run_id: int) -> dict[str, int]:
    """Pages (2xx HTML), failed page requests (no answer or an error status) and link checks."""
    pages = (
        session.scalar(select(func.count(Page.id)).where(Page.run_id == run_id, _ok_page())) or 0
    )
    errors = (
        session.scalar(
            select(func.count(Page.id)).where(
                Page.run_id == run_id, (Page.status == 0) | (Page.status >= 400)
            )
        )
        or 0
    )
    checks = session.scalar(select(func.count(LinkCheck.id)).where(LinkCheck.run_id == run_id))
    sites = session.execute(
        select(Site.crawl_state, func.count(Site.id))
        .where(Site.run_id == run_id)
        .group_by(Site.crawl_state)
    )
    by_state = {state: count for state, count in sites}
    return {
        "pages": pages,
        "errors": errors,
        "checks": checks or 0,
        "sites_done": by_state.get("done", 0),
        "sites": sum(by_state.values()),
    }


def reset_run_crawl(session: Session, run: Run) -> None:
    """Forget a run's crawl (used when a crawl must start over)."""
    for model in (Link, Page, LinkCheck, Probe):
        session.execute(delete(model).where(model.run_id == run.id))
    session.execute(
        update(Site)
        .where(Site.run_id == run.id)
        .values(crawl_state="pending", status=None, reason=None, started_at=None, finished_at=None)
    )


# ----------------------------------------------------------------- reruns


@dataclass
class Reopened:
    """The sites of a finished run that a rerun crawls again, by their status before."""

    not_measured: dict[str, list[str]] = field(default_factory=dict)  # status → site ids
    failed: list[str] = field(default_factory=list)  # partial sites cut by failed requests
    kept: int = 0  # sites whose measurement is kept

    def __bool__(self) -> bool:
        return bool(self.not_measured or self.failed)

    def describe(self) -> str:
        """``unreachable: a, b; partly measured after failures: c``."""
        parts = [f"{status}: {', '.join(ids)}" for status, ids in self.not_measured.items()]
        if self.failed:
            parts.append(f"partly measured after failures: {', '.join(self.failed)}")
        return "; ".join(parts)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.not_measured.values()) + len(self.failed)


def cut_by_failure(status: str | None, reason: str | None) -> bool:
    """Whether a partial site was cut by failed page requests (not by a budget or a limit)."""
    return status == "partial" and FAILED_PAGES in (reason or "")


def reopen_unmeasured(session: Session, run: Run) -> Reopened:
    """Open a finished run's unmeasured sites for a rerun; keep the measured ones.

    A site not measured at all (:data:`NOT_MEASURED`, or no status) starts over: its facts
    are forgotten. A partial site cut by failed page requests (:func:`cut_by_failure`) is
    resumed: its failed page requests and link checks are forgotten and asked again, its
    other pages are kept (the crawl's resume rebuilds the rest, see :func:`resume_state`).
    The run's crawl is then unfinished again, and its earlier scores stay until it is
    scored again. The caller holds the run's lock.
    """
    reopened = Reopened()
    sites = session.scalars(
        select(Site).where(Site.run_id == run.id, Site.crawl_state == "done").order_by(Site.id)
    ).all()
    for site in sites:
        if site.status is None or site.status in NOT_MEASURED:
            reopened.not_measured.setdefault(site.status or "unreachable", []).append(site.site_id)
            for model in (Link, Page, LinkCheck, Probe):
                session.execute(delete(model).where(model.site_pk == site.id))
            site.crawl_state = "pending"
            site.home_url = None
            site.started_at = None
        elif cut_by_failure(site.status, site.reason):
            reopened.failed.append(site.site_id)
            _forget_failures(session, site.id)
            site.crawl_state = "crawling"
        else:
            reopened.kept += 1
            continue
        site.status = None
        site.reason = None
        site.finished_at = None
    if reopened:
        run.status = "crawling"
        run.finished_at = None
    return reopened


def _failed(status: Any) -> Any:
    return (status == 0) | (status >= 500) | (status == 429)


def _forget_failures(session: Session, site_pk: int) -> None:
    """Forget a site's failed page requests and link checks (no answer, 5xx, 429), so that a
    resumed crawl asks them again; pages cut at the size limit would be cut again: kept."""
    failed = select(Page.id).where(
        Page.site_pk == site_pk,
        _failed(Page.status),
        ~func.coalesce(Page.error, "").startswith(SIZE_LIMIT_ERROR),
    )
    session.execute(delete(Link).where(Link.page_id.in_(failed)))
    session.execute(delete(Page).where(Page.id.in_(failed)))
    session.execute(
        delete(LinkCheck).where(LinkCheck.site_pk == site_pk, _failed(LinkCheck.status))
    )
