"""A run's stored page facts read back as :class:`~evalcrawler.facts.SiteFacts`, the input of
scoring: one site at a time, so a province's crawl fits in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalcrawler.db.models import Link, LinkCheck, Page, Probe, Run, Site
from evalcrawler.db.store import site_corrections
from evalcrawler.facts import Link as LinkFact
from evalcrawler.facts import LinkCheck as LinkCheckFact
from evalcrawler.facts import PageFacts, SiteFacts
from evalcrawler.facts import Probe as ProbeFact
from evalcrawler.urls import host_of, site_hosts


def load_site_facts(session: Session, run: Run) -> list[SiteFacts]:
    """Every site of the run with its stored facts, as scoring wants them."""
    return list(iter_site_facts(session, run))


def iter_site_facts(session: Session, run: Run) -> Iterator[SiteFacts]:
    """The run's sites with their stored facts, one site at a time.

    Scoring holds one site's pages at a time, so a province's crawl fits in memory; rows are
    read as plain tuples (no ORM objects, which the session would keep until it ends).
    """
    sites = session.scalars(select(Site).where(Site.run_id == run.id).order_by(Site.id)).all()
    for site in sites:
        yield site_facts(session, run, site)


def site_facts(session: Session, run: Run, site: Site) -> SiteFacts:
    """One site of the run with its stored facts."""
    links_by_page: dict[int, list[LinkFact]] = defaultdict(list)
    for row in session.execute(
        select(Link.page_id, Link.url, Link.text, Link.nav, Link.pager)
        .where(Link.site_pk == site.id)
        .order_by(Link.id)
    ):
        links_by_page[row.page_id].append(LinkFact(row.url, row.text, row.nav, row.pager))
    pages = []
    # In URL order, not crawl order: the crawl order of concurrent requests may differ from
    # one crawl to the next, and every "first" a metric or detector picks must not.
    for row in session.execute(
        select(
            Page.id,
            Page.facts,
            Page.url,
            Page.final_url,
            Page.status,
            Page.error,
            Page.is_html,
            Page.is_home,
            Page.title,
            Page.text,
            Page.warc_record,
        )
        .where(Page.site_pk == site.id)
        .order_by(Page.url, Page.id)
    ):
        data = dict(row.facts)
        data.update(
            url=row.url,
            final_url=row.final_url,
            status=row.status,
            error=row.error,
            is_html=row.is_html,
            is_home=row.is_home,
            title=row.title,
            text=row.text,
            warc_record=row.warc_record,
        )
        data.pop("links", None)
        facts = PageFacts.from_json(data)
        facts.links = links_by_page.pop(row.id, [])
        pages.append(facts)
    checks = [
        LinkCheckFact(
            url=c.url,
            status=c.status,
            error=c.error,
            final_url=c.final_url,
            method=c.method,
            content_type=c.content_type,
        )
        for c in session.execute(
            select(
                LinkCheck.url,
                LinkCheck.status,
                LinkCheck.error,
                LinkCheck.final_url,
                LinkCheck.method,
                LinkCheck.content_type,
            )
            .where(LinkCheck.site_pk == site.id)
            .order_by(LinkCheck.url)
        )
    ]
    probes = [
        ProbeFact(
            kind=p.kind,
            url=p.url,
            status=p.status,
            ok=p.ok,
            elapsed_ms=p.elapsed_ms,
            error=p.error,
            final_url=p.final_url,
            headers=dict(p.headers or {}),
            detail=dict(p.detail or {}),
            seq=p.seq,
        )
        for p in session.scalars(
            select(Probe).where(Probe.site_pk == site.id).order_by(Probe.kind, Probe.seq)
        )
    ]
    hosts = set(site_hosts(site.url, site.aliases or []))
    if site.home_url:
        hosts.add(host_of(site.home_url))
    corrections = site_corrections(run).get(site.site_id) or {}
    return SiteFacts(
        site_id=site.site_id,
        url=site.url,
        level=site.level,
        hosts=frozenset(hosts),
        name_zh=site.name_zh,
        name=site.name,
        region_id=site.region_id,
        status=site.status or "unreachable",
        reason=site.reason or (None if site.status else "the crawl of this site did not finish"),
        crawl_date=run.crawl_date,
        pages=pages,
        checks=checks,
        probes=probes,
        not_columns=tuple(corrections.get("not_columns") or ()),
    )
