"""Columns (栏目) of a site: the list pages a site keeps up to date, and the blank ones.

The metrics ``columns``, ``columns_stale`` and ``columns_blank`` and the rows of columns.csv
come from here (docs/metrics.md "Column", "Blank column"); the decisions where the definitions
leave room are listed in :mod:`evalcrawler.scoring.metrics`. Every function reads a site through
its :class:`~evalcrawler.scoring.metric_context.MetricContext`, which caches what they return.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evalcrawler.facts import DatedItem, calendar_day
from evalcrawler.scoring.pages import BLANK, COLUMN, dated, page_verdict
from evalcrawler.scoring.results import ColumnResult
from evalcrawler.urls import matches_pattern

if TYPE_CHECKING:
    from evalcrawler.scoring.metric_context import MetricContext


@dataclass
class Column:
    """A column page (with its folded pager continuations) or a blank column page."""

    root: int  # index in MetricContext.site_pages
    members: list[int]  # root first, then the continuations
    items: list[DatedItem]
    result: ColumnResult


def endpoint_items(ctx: MetricContext) -> dict[int, list[DatedItem]]:
    """The dated items of list endpoints' answers, by the index of the page whose list they
    are (``PageFacts.list_of``): a page that loads its list from a JSON endpoint shows those
    items (docs/metrics.md, "List endpoint")."""
    out: dict[int, list[DatedItem]] = {}
    for answer in ctx.facts.pages:
        if not answer.list_of or not 200 <= answer.status < 300:
            continue
        key = ctx.key(answer.list_of)
        i = ctx.page_index.get(key) if key is not None else None
        if i is not None:
            out.setdefault(i, []).extend(item for item in answer.items if item.date is not None)
    return out


def scan_columns(ctx: MetricContext) -> tuple[list[Column], set[int]]:
    """Column pages with their folded continuations, and the set of all list pages.

    A column page is a 2xx page, not the home page, without a publish date, whose main
    list holds ≥ ``min_column_items`` dated links, and which is reached by a non-pager link
    of another page. A page reached only through pager links is a continuation: it joins
    the column whose page (or continuation) links to it through a pager link, found by a
    breadth-first walk from all column pages at once, so each continuation joins the
    nearest column, ties going to the column found first in crawl order. Continuations
    that no column reaches (their first page was not fetched) are left out.

    A list page with ≥ 3 dated links that no fetched page links to at all (a start URL, a
    sitemap entry) is a column: it was not reached "only through pager links". The items of a
    page's list endpoint count as the page's own. A page the site's ``not_columns`` patterns
    match is none of these.
    """
    pages = ctx.site_pages
    incoming = ctx.incoming
    loaded = endpoint_items(ctx)
    roots: list[int] = []
    pager_only: set[int] = set()
    for i, page in enumerate(pages):
        if i == ctx.home_index:
            continue
        if not_a_column(ctx, i):
            continue
        links = incoming.get(i, [])
        if links and all(link.pager for _, link in links):
            pager_only.add(i)
        elif page_verdict(page, ctx.thresholds, more_items=len(loaded.get(i, []))).kind == COLUMN:
            roots.append(i)
    owner: dict[int, int] = {r: r for r in roots}
    queue = deque(roots)
    while queue:
        i = queue.popleft()
        for link in pages[i].links:
            if not link.pager:
                continue
            key = ctx.key(link.url)
            tgt = ctx.page_index.get(key) if key is not None else None
            if tgt is not None and tgt in pager_only and tgt not in owner:
                owner[tgt] = owner[i]
                queue.append(tgt)
    members: dict[int, list[int]] = {r: [r] for r in roots}
    for i, root in owner.items():
        if i != root:
            members[root].append(i)
    columns = [_column(ctx, r, members[r], loaded) for r in roots]
    return columns, set(owner)


def not_a_column(ctx: MetricContext, i: int) -> str | None:
    """The site's ``not_columns`` pattern (region file, ``extract:``) that page ``i`` matches:
    such a page is never a column, a continuation or a blank column."""
    patterns = ctx.facts.not_columns
    if not patterns:
        return None
    page = ctx.site_pages[i]
    for url in (page.final_url, page.url):
        if url:
            found = matches_pattern(url, patterns)
            if found is not None:
                return found
    return None


def _column(
    ctx: MetricContext, root: int, members: list[int], loaded: dict[int, list[DatedItem]]
) -> Column:
    items: list[DatedItem] = []
    seen: set[Any] = set()
    for i in members:
        page = ctx.site_pages[i]
        for item in [*dated(page), *loaded.get(i, [])]:
            # The same article listed twice (a pinned item, a page fetched under two URLs)
            # is one item of the column.
            key = ctx.abs_key(item.url, page.final_url or page.url)
            ident: Any = key if key is not None else (item.url, item.title, item.date)
            if ident in seen:
                continue
            seen.add(ident)
            items.append(item)
    name = column_name(ctx, root)
    kind = column_kind(ctx, name, ctx.site_pages[root].title)
    latest = max((calendar_day(item.date) for item in items if item.date is not None), default=None)
    age = ctx.age(latest) if latest is not None else None
    limit = _stale_limit(ctx, kind)
    stale = age is not None and limit is not None and age > limit
    reason = page_verdict(ctx.site_pages[root], ctx.thresholds).reason
    if len(members) > 1:
        more = len(members) - 1
        reason += f"; {more} pager continuation{'s' if more > 1 else ''} folded in"
    result = ColumnResult(
        column=name,
        url=ctx.page_url(root),
        kind=kind,
        items=len(items),
        latest=latest,
        age_days=age,
        stale=stale,
        blank=False,
        reason=reason,
    )
    return Column(root, members, items, result)


def column_name(ctx: MetricContext, i: int) -> str:
    """Anchor text of the first non-pager link to the page (navigation links first), else
    its first heading, else its title. Links without text (an image without alt) are
    skipped: they name nothing."""
    links = [link for _, link in ctx.incoming.get(i, []) if not link.pager and link.text]
    for link in links:
        if link.nav:
            return link.text.strip()
    if links:
        return links[0].text.strip()
    page = ctx.site_pages[i]
    # PageFacts keeps h1–h3 in page order without their level; the first stands for <h1>.
    for heading in page.headings:
        if heading.strip():
            return heading.strip()
    return page.title.strip()


def column_kind(ctx: MetricContext, name: str, title: str) -> str:
    """The first kind (in the rubric's order) whose keywords occur in the name; only when
    none does, the same test on the page title; else ``other``."""
    for text in (name, title):
        for kind, words in ctx.thresholds.column_kinds.items():
            if any(word and word in text for word in words):
                return kind
    return "other"


def _stale_limit(ctx: MetricContext, kind: str) -> int | None:
    limits = ctx.thresholds.stale_days
    return limits.get(kind, limits.get("other"))


def find_blank_columns(ctx: MetricContext) -> list[Column]:
    """Pages reached through a navigation link that the page rules call blank
    (:func:`~evalcrawler.scoring.pages.page_verdict`): no publish date of their own, no dated
    link, at most 300 characters of text of their own, and an empty-state phrase of the
    rubric or an empty list container where the list should be."""
    out: list[Column] = []
    for i, page in enumerate(ctx.site_pages):
        if i == ctx.home_index or i in ctx.list_pages or not_a_column(ctx, i):
            continue
        verdict = page_verdict(page, ctx.thresholds)
        if verdict.kind != BLANK:
            continue
        reason = verdict.reason
        via_nav = page.via_nav or any(link.nav for _, link in ctx.incoming.get(i, []))
        if not via_nav:
            continue
        name = column_name(ctx, i)
        result = ColumnResult(
            column=name,
            url=ctx.page_url(i),
            kind=column_kind(ctx, name, page.title),
            items=0,
            latest=None,
            age_days=None,
            stale=False,
            blank=True,
            reason=f"{reason}; reached through a navigation link",
        )
        out.append(Column(i, [i], [], result))
    return out
