"""The detector of dated items in columns: ``dated_items``.

It counts the dated items listed in a site's matching columns (by kind or name, with each
column's pager continuations) or titled with keywords anywhere on the site, within a window of
days before the as-of date, or gives the age of the newest one. ``docs/rubrics.md`` documents
its settings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from evalcrawler.facts import DatedItem, PageFacts, calendar_day
from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import (
    Detection,
    DetectorConfig,
    Keyword,
    KeywordList,
    cut_evidence,
    detector,
    flat_keywords,
)
from evalcrawler.scoring.rules import MAX_DAYS


@detector("dated_items")
class DatedItems(DetectorConfig):
    """Dated items listed in matching columns (or titled with keywords anywhere on the site),
    counted within a window of days before the as-of date, or the age of the newest one.

    A column matches when its kind (``kinds``) or its name (``columns`` keywords) matches; an
    item counts when it is listed in a matching column or, with ``titles``, when its title
    contains one of those keywords on any page of the site (the union of both)."""

    columns: KeywordList | None = None
    kinds: list[str] | None = None
    titles: KeywordList | None = None
    exclude: list[Keyword] = Field(default_factory=list)
    window_days: int | None = Field(default=None, gt=0, le=MAX_DAYS)
    value: Literal["count", "any", "newest_age_days"] = "count"

    @model_validator(mode="after")
    def _some_selector(self) -> DatedItems:
        if not (self.columns or self.kinds or self.titles):
            raise ValueError("give at least one of columns, kinds or titles")
        return self

    def crawl_keywords(self) -> list[str]:
        return flat_keywords(self.columns) + flat_keywords(self.titles)

    def describe(self) -> str:
        parts = []
        if self.kinds:
            parts.append(f"kinds {'/'.join(self.kinds)}")
        if self.columns:
            parts.append(f"columns [{'/'.join(flat_keywords(self.columns)[:4])}]")
        if self.titles:
            parts.append(f"titles [{'/'.join(flat_keywords(self.titles)[:4])}]")
        window = f" within {self.window_days} d" if self.window_days else ""
        return f"dated_items {self.value} of {' or '.join(parts)}{window}"

    def _column_items(
        self, ctx: DetectContext
    ) -> tuple[list[tuple[str, DatedItem, str]], list[str], list[date]]:
        """Items of matching columns as (url, item, column name); the names; fallback dates."""
        words = [w.casefold() for w in flat_keywords(self.columns)]
        kinds = set(self.kinds or [])
        roots = {c.url for c in ctx.metrics.columns if not c.blank}
        items: list[tuple[str, DatedItem, str]] = []
        names: list[str] = []
        fallback: list[date] = []
        for col in ctx.metrics.columns:
            if col.blank:
                continue
            page = ctx.page_index.get(ctx.key(col.url) or "")
            title = page.title if page else ""
            text = f"{col.column}\n{title}".casefold()
            if not (col.kind in kinds or any(w in text for w in words)):
                continue
            names.append(col.column)
            if page is None:
                if col.latest is not None:
                    fallback.append(col.latest)
                continue
            for member in _with_continuations(ctx, page, roots - {col.url}):
                base = ctx.page_url(member)
                for item in member.items:
                    items.append((ctx.key(item.url, base) or base, item, col.column))
        return items, names, fallback

    def detect(self, ctx: DetectContext) -> Detection:
        if not ctx.site_pages:
            return Detection(None, reason="no page of the site was fetched with a 2xx response")
        candidates: list[tuple[str, DatedItem, str]] = []
        names: list[str] = []
        fallback: list[date] = []
        if self.columns or self.kinds:
            candidates, names, fallback = self._column_items(ctx)
        if self.titles:
            words = [w.casefold() for w in flat_keywords(self.titles)]
            for page, item, title in ctx.site_items:
                if any(w in title for w in words):
                    base = ctx.page_url(page)
                    candidates.append((ctx.key(item.url, base) or base, item, ""))
        excluded = [w.casefold() for w in self.exclude]
        seen: set[Any] = set()
        dated: list[tuple[date, str, DatedItem, str]] = []
        for url, item, column in candidates:
            if item.date is None or any(x in item.title.casefold() for x in excluded):
                continue
            ident = (url, item.title) if item.url else (item.title, item.date)
            if ident in seen:
                continue
            seen.add(ident)
            if ctx.in_window(item.date, None):
                dated.append((calendar_day(item.date), url, item, column))
        dated.sort(key=lambda t: t[0], reverse=True)
        where = self.describe().split(" of ", 1)[1]
        if self.value == "newest_age_days":
            days = [d[0] for d in dated] + [
                calendar_day(f) for f in fallback if calendar_day(f) <= ctx.as_of
            ]
            if not days:
                why = (
                    "no matching column was found"
                    if not (names or self.titles)
                    else ("no dated item was found")
                )
                return Detection(None, reason=f"{why} ({where})")
            latest = max(days)
            top = dated[0] if dated and dated[0][0] == latest else None
            return Detection(
                ctx.age(latest),
                evidence_url=top[1] if top else None,
                evidence_text=cut_evidence(f"{latest.isoformat()} {top[2].title}") if top else None,
                reason=f"newest item {latest.isoformat()}"
                + (f" in {', '.join(dict.fromkeys(names))}" if names else ""),
            )
        in_window = [d for d in dated if ctx.in_window(d[0], self.window_days)]
        count = len(in_window)
        top = in_window[0] if in_window else None
        if names or self.titles:
            note = f"{count} item(s)" + (
                f" in columns {', '.join(list(dict.fromkeys(names))[:5])}" if names else ""
            )
        else:
            note = f"no matching column was found ({where})"
        return Detection(
            count if self.value == "count" else count > 0,
            evidence_url=top[1] if top else None,
            evidence_text=cut_evidence(f"{top[0].isoformat()} {top[2].title}") if top else None,
            reason=note,
        )


def _with_continuations(ctx: DetectContext, page: PageFacts, stop: set[str]) -> Iterator[PageFacts]:
    """A column page, then the pages its pager links lead to (breadth first, fetched ones)."""
    seen = {id(page)}
    queue = deque([page])
    while queue:
        current = queue.popleft()
        yield current
        for link in current.links:
            if not link.pager:
                continue
            key = ctx.key(link.url, ctx.page_url(current))
            target = ctx.page_index.get(key or "")
            if target is None or id(target) in seen or key in stop:
                continue
            seen.add(id(target))
            queue.append(target)
