"""Detectors of URLs and of page completeness: ``url_pattern`` and ``page_elements``.

``url_pattern`` matches regular expressions against link targets, fetched URLs or the home
page's URL; ``page_elements`` measures how many of a list of elements the pages of one type
show (the key elements of 办事指南, say). ``docs/rubrics.md`` documents their settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from evalcrawler.facts import PageFacts
from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import (
    Detection,
    DetectorConfig,
    KeywordList,
    Loc,
    Regex,
    Scope,
    cut_evidence,
    detector,
    expand_years,
    flat_keywords,
    group_label,
    keyword_groups,
)
from evalcrawler.scoring.text_detectors import ok_share


@detector("url_pattern")
class UrlPattern(DetectorConfig):
    """Regular expressions on URLs: link targets, fetched pages, or the home page's URL."""

    patterns: list[Regex] = Field(min_length=1)
    in_: list[Literal["links", "fetched", "home"]] = Field(
        default=["links"], alias="in", min_length=1
    )
    scope: Scope = "site"
    value: Literal["any", "count", "ok_share"] = "any"

    def check(self) -> Iterator[tuple[Loc, str]]:
        if self.value == "ok_share" and "links" not in self.in_:
            yield ("value",), "checks link targets, so `in` must include links"

    def describe(self) -> str:
        where = "/".join(self.in_) + (" (home page)" if self.scope == "home" else "")
        return f"url_pattern {self.value} of /{' | '.join(self.patterns)}/ in {where}"

    def _urls(self, ctx: DetectContext, pages: list[PageFacts]) -> Iterator[tuple[str, str]]:
        for source in self.in_:
            if source == "links":
                for page in pages:
                    for link in page.links:
                        key = ctx.key(link.url, ctx.page_url(page))
                        if key:
                            yield key, link.text
            elif source == "fetched":
                for p in ctx.facts.pages:
                    if 200 <= p.status < 300:
                        yield ctx.key(p.final_url or p.url) or p.url, p.title
                for c in ctx.facts.checks:
                    if 200 <= c.status < 300:
                        yield ctx.key(c.final_url or c.url) or c.url, ""
            else:  # home
                yield ctx.facts.url, "registered URL"
                if ctx.home is not None:
                    yield ctx.page_url(ctx.home), ctx.home.title

    def detect(self, ctx: DetectContext) -> Detection:
        pages, reason = ctx.pages(self.scope)
        if pages is None and self.in_ != ["home"]:
            return Detection(None, reason=reason)
        compiled = [re.compile(expand_years(p, ctx.as_of.year)) for p in self.patterns]
        found: dict[str, str] = {}
        for url, text in self._urls(ctx, pages or []):
            if url not in found and any(rx.search(url) for rx in compiled):
                found[url] = text
        if self.value == "ok_share":
            return ok_share(ctx, {u: (u, t) for u, t in found.items()}, "matching link target")
        first = next(iter(found.items()), (None, None))
        note = None if found else "no URL matched"
        value: Any = bool(found) if self.value == "any" else len(found)
        return Detection(value, first[0], cut_evidence(first[1]), note)


@detector("page_elements")
class PageElements(DetectorConfig):
    """Completeness of pages of one type: the share of the listed elements (groups of
    synonyms) found in the text of each page whose title or heading matches ``pages``,
    aggregated over those pages (e.g. the 10 key elements of 办事指南). With ``skip_lists``
    (the default) list and index pages of that type are left out (a page listing ≥ 3 dated
    items, linking to ≥ 2 pages of the type outside the navigation, or linking to one and
    showing no element itself); with ``skip_template`` (the default) a word counts on a page
    only when it occurs there more often than on the home page, so header and footer text
    shared by every page does not count."""

    pages: KeywordList = Field(min_length=1)
    elements: KeywordList = Field(min_length=1)
    aggregate: Literal["mean", "min", "max"] = "mean"
    skip_lists: bool = True
    skip_template: bool = True

    def crawl_keywords(self) -> list[str]:
        return flat_keywords(self.pages)

    def describe(self) -> str:
        n = len(self.elements)
        return f"page_elements {self.aggregate} share of {n} elements on pages titled " + "/".join(
            flat_keywords(self.pages)[:3]
        )

    def detect(self, ctx: DetectContext) -> Detection:
        pages, reason = ctx.pages("site", self.pages)
        if pages is None:
            return Detection(None, reason=reason)
        groups = [[w.casefold() for w in g] for g in keyword_groups(self.elements)]
        labels = [group_label(g) for g in keyword_groups(self.elements)]
        # Template text (a footer's 联系电话) is on every page, the home page included: with
        # skip_template a word counts only when the page shows it more often than the home.
        home = ctx.home.text.casefold() if self.skip_template and ctx.home else ""
        links = _links_to_others(ctx, pages)
        scored: list[tuple[float, PageFacts, list[str]]] = []
        for page in pages:
            text = page.text.casefold()
            missing = [
                labels[i]
                for i, g in enumerate(groups)
                if not any(text.count(w) > home.count(w) for w in g)
            ]
            if self.skip_lists and (
                len(page.items) >= ctx.thresholds.min_column_items  # a list of them
                or links[id(page)] >= 2  # an index of them
                or (links[id(page)] == 1 and len(missing) == len(groups))  # a landing page
            ):
                continue
            scored.append(((len(groups) - len(missing)) / len(groups), page, missing))
        if not scored:
            what = "/".join(flat_keywords(self.pages)[:3])
            return Detection(None, reason=f"no page titled {what} was fetched")
        shares = [share for share, _, _ in scored]
        if self.aggregate == "max":
            value, pick = max(shares), max(scored, key=lambda s: s[0])
        else:
            value = min(shares) if self.aggregate == "min" else sum(shares) / len(shares)
            pick = min(scored, key=lambda s: s[0])
        note = f"{len(scored)} page(s)"
        if pick[2]:
            note += f"; missing on {ctx.page_url(pick[1])}: {', '.join(pick[2])}"
        return Detection(value, ctx.page_url(pick[1]), cut_evidence(pick[1].title), note)


def _links_to_others(ctx: DetectContext, pages: list[PageFacts]) -> dict[int, int]:
    """For each page (by id), how many of the other pages it links to outside the site's
    navigation: a menu that links every guide is on every page, guides included, and makes
    none of them an index."""
    keys = {ctx.key(ctx.page_url(p)) for p in pages}
    out: dict[int, int] = {}
    for page in pages:
        own = ctx.key(ctx.page_url(page))
        targets = {ctx.key(link.url, ctx.page_url(page)) for link in page.links if not link.nav}
        out[id(page)] = len((targets & keys) - {own})
    return out
