"""``evalcrawl explain``: what extraction and the metrics saw on one stored page.

An analyst, or the office that runs a site, can check or contest a measurement: for one URL of
a stored run this shows the page as the crawl fetched it (status, evidence record, how it was
reached), what extraction read (title, publish date and where it came from, the main list row by
row with its dates, empty-state phrases, letters), what the page rules made of it (column, blank
column or neither, and why: :mod:`evalcrawler.scoring.pages`), what the site metrics made of it
(the column it belongs to, stale or not, blank and why) and which indicators cite it as evidence.
Nothing is fetched: everything comes from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalcrawler.db import session_scope, store
from evalcrawler.db.facts import site_facts
from evalcrawler.db.models import IndicatorScore, ScoreSet, Site
from evalcrawler.errors import ConfigError
from evalcrawler.facts import PageFacts, SiteFacts, calendar_day
from evalcrawler.urls import normalise

ROWS_SHOWN = 20  # list rows printed unless every row is asked for


@dataclass
class Explanation:
    """The lines of an explanation, grouped in titled sections."""

    title: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def section(self, name: str, lines: list[str]) -> None:
        self.sections.append((name, lines))

    def text(self) -> str:
        out = [self.title]
        for name, lines in self.sections:
            out.append("")
            out.append(f"{name}:")
            out.extend(f"  {line}" for line in lines)
        return "\n".join(out) + "\n"


def explain(
    engine: Any,
    run_id: int,
    url: str,
    *,
    rubric_id: str | None = None,
    rows: int | None = ROWS_SHOWN,
) -> Explanation:
    """Explain the stored page ``url`` of run ``run_id`` (see the module docstring)."""
    from evalcrawler.scoring.metric_context import MetricContext
    from evalcrawler.scoring.pages import page_verdict
    from evalcrawler.scoring.rubric import load_rubric, parse_rubric

    with session_scope(engine) as session:
        run = store.get_run(session, run_id)
        site, facts = _site_of(session, run, url)
        page = _page(facts, url)
        if page is None:
            raise ConfigError(
                f"run {run_id} holds no page {url} of site {site.site_id}: the crawl did not "
                "fetch it (it may lie beyond the page budget); give a URL the crawl fetched, "
                "such as those in columns.csv and the report's evidence links"
            )
        score_set = _score_set(session, run_id, rubric_id)
        if score_set is not None and score_set.rubric_text:
            rubric = parse_rubric(
                score_set.rubric_text, f"rubric {score_set.rubric_id} of run {run_id}"
            )
            as_of = score_set.as_of
        else:
            rubric = load_rubric(rubric_id or "gov2013")
            as_of = run.as_of or run.crawl_date or date.today()
        cited = _citing_indicators(session, score_set, site, page)
    thresholds = rubric.thresholds
    out = Explanation(
        f"{page.final_url or page.url}  (site {facts.site_id}, run {run_id}, "
        f"rubric {rubric.id}, as of {as_of.isoformat()})"
    )
    out.section("Fetched", _fetched(page))
    out.section("Extraction", _extraction(page, rows))
    verdict = page_verdict(page, thresholds)
    page_lines = [f"the page alone: {verdict.kind} — {verdict.reason}"]
    ctx = MetricContext(facts, thresholds, as_of)
    page_lines += _in_site(ctx, page)
    out.section("Rules", page_lines)
    out.section(
        "Indicators citing this page",
        cited or ["none (no indicator of this rubric names this page as its evidence)"],
    )
    return out


def _site_of(session: Session, run: Any, url: str) -> tuple[Site, SiteFacts]:
    key = normalise(url)
    sites = session.scalars(select(Site).where(Site.run_id == run.id).order_by(Site.id)).all()
    from evalcrawler.urls import host_of, site_hosts

    host = host_of(key)
    for site in sites:
        hosts = site_hosts(site.url, site.aliases or [])
        if host in hosts or (site.home_url and host_of(site.home_url) == host):
            return site, site_facts(session, run, site)
    known = ", ".join(s.site_id for s in sites)
    raise ConfigError(
        f"no site of run {run.id} is on {host or url!r} (its sites: {known}); give a URL of one "
        "of them"
    )


def _page(facts: SiteFacts, url: str) -> PageFacts | None:
    key = normalise(url)
    for page in facts.pages:
        if key in (normalise(page.url), normalise(page.final_url or page.url)):
            return page
    return None


def _score_set(session: Session, run_id: int, rubric_id: str | None) -> ScoreSet | None:
    query = select(ScoreSet).where(ScoreSet.run_id == run_id)
    if rubric_id:
        query = query.where(ScoreSet.rubric_id == rubric_id)
    return session.scalars(query.order_by(ScoreSet.scored_at.desc())).first()


def _citing_indicators(
    session: Session, score_set: ScoreSet | None, site: Site, page: PageFacts
) -> list[str]:
    if score_set is None:
        return ["not scored yet: run `evalcrawl score` to see which indicators cite this page"]
    keys = {normalise(page.url), normalise(page.final_url or page.url)}
    rows = session.scalars(
        select(IndicatorScore)
        .where(IndicatorScore.score_set_id == score_set.id, IndicatorScore.site_pk == site.id)
        .order_by(IndicatorScore.id)
    ).all()
    out = []
    for row in rows:
        if row.evidence_url and normalise(row.evidence_url) in keys:
            score = "—" if row.score is None else f"{row.score:g}"
            out.append(
                f"{row.indicator_id} {row.name_zh} ({row.category}): {score}/{row.max_score:g}, "
                f"{row.status}" + (f"; {row.evidence_text}" if row.evidence_text else "")
            )
    return out


def _fetched(page: PageFacts) -> list[str]:
    lines = [
        f"HTTP {page.status or 'no response'}" + (f", error: {page.error}" if page.error else "")
    ]
    if page.final_url and page.final_url != page.url:
        lines.append(f"requested as {page.url}")
    if page.fetched_at:
        lines.append(f"fetched at {page.fetched_at.isoformat(timespec='seconds')} UTC")
    if page.warc_record:
        lines.append(f"evidence record: {page.warc_record}")
    if page.is_home:
        lines.append("the site's home page")
    elif page.referer:
        how = "a navigation link" if page.via_nav else "a link"
        via = f" {page.via_text!r}" if page.via_text else ""
        lines.append(f"reached through {how}{via} on {page.referer} (depth {page.depth})")
    return lines


def _extraction(page: PageFacts, rows: int | None) -> list[str]:
    lines = [f"title: {page.title or '(none)'}"]
    if page.publish_date is not None:
        lines.append(
            f"publish date: {calendar_day(page.publish_date).isoformat()} "
            f"(from {page.publish_date_source or 'the page'})"
        )
    else:
        lines.append("publish date: none found")
    items = [i for i in page.items if i.date is not None]
    lines.append(
        f"main list: {len(page.items)} rows, {len(items)} with a date"
        + (
            f"; newest {max(calendar_day(i.date) for i in items if i.date).isoformat()}"
            if items
            else ""
        )
    )
    shown = page.items if rows is None else page.items[:rows]
    for item in shown:
        day = calendar_day(item.date).isoformat() if item.date else "no date  "
        raw = f" (shown as {item.raw!r})" if item.raw and item.raw != day else ""
        lines.append(f"  {day}  {item.title[:60]}{raw}  → {item.url or '(no link)'}")
    if rows is not None and len(page.items) > rows:
        lines.append(f"  … {len(page.items) - rows} more rows (--all shows every row)")
    lines.append(f"dated links anywhere on the page: {len(page.dated_links)}")
    lines.append(f"empty-state phrase where a list should be: {page.empty_state or 'none'}")
    empty = (page.empty_container or "yes") if page.list_container and not page.items else "no"
    lines.append(f"empty list container: {empty}")
    if page.own_text is not None:
        lines.append(f"text of its own (outside links, navigation, footers): {page.own_text}")
    if page.guide_labels:
        lines.append(f"service-guide labels with a value: {'、'.join(page.guide_labels)}")
    if page.threads:
        lines.append(f"letters: {len(page.threads)}")
        for t in page.threads[: rows or len(page.threads)]:
            asked = t.asked.isoformat() if t.asked else "?"
            replied = t.replied.isoformat() if t.replied else "—"
            lines.append(f"  asked {asked}, replied {replied}, {t.state}: {t.title[:50]}")
    lines.append(f"text: {len(page.text)} characters; links: {len(page.links)}")
    return lines


def _in_site(ctx: Any, page: PageFacts) -> list[str]:
    """What the site's column rules made of the page (continuations, navigation, stale)."""
    from evalcrawler.scoring.columns import not_a_column

    index = next((i for i, p in enumerate(ctx.site_pages) if p is page), None)
    if index is None:
        return ["in the site: not a scored page (not a 2xx HTML page of the site)"]
    if index == ctx.home_index:
        return ["in the site: the home page (never a column; home_latest is read from it)"]
    pattern = not_a_column(ctx, index)
    if pattern is not None:
        return [
            f"in the site: never a column nor a blank column (the region file's "
            f"extract.not_columns pattern {pattern!r} matches it)"
        ]
    for column in ctx.columns:
        if index in column.members:
            r = column.result
            role = "the column page" if index == column.root else "a pager continuation"
            days = r.age_days
            age = f", {days} day{'s' if days != 1 else ''} old" if days is not None else ""
            stale = "stale" if r.stale else "not stale"
            return [
                f"in the site: {role} of column {r.column!r} ({r.kind}): {r.items} items, newest "
                f"{r.latest.isoformat() if r.latest else 'none'}{age}: {stale}"
            ]
    for column in ctx.blank_columns:
        if index == column.root:
            r = column.result
            return [f"in the site: blank column {r.column!r} ({r.kind}): {r.reason}"]
    if index in ctx.list_pages:
        return ["in the site: a list page no column reaches (its first page was not fetched)"]
    return ["in the site: neither a column nor a blank column"]
