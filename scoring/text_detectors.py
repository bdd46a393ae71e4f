"""Detectors that search a site's texts: ``keywords`` and ``regex``.

Both look at the texts of the pages a rubric's measure selects (link texts, titles, headings,
page text, dated items; the whole site or its home page), each distinct text matched once
(:meth:`~evalcrawler.scoring.detect_context.DetectContext.texts`), and report the first match
as evidence. ``docs/rubrics.md`` documents their settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field

from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import (
    Detection,
    DetectorConfig,
    Keyword,
    KeywordList,
    Loc,
    Regex,
    Scope,
    Source,
    cut_evidence,
    detector,
    expand_years,
    flat_keywords,
    group_label,
    keyword_groups,
    snippet,
)
from evalcrawler.scoring.rules import MAX_DAYS


@lru_cache(maxsize=1024)
def _compiled(pattern: str, year: int) -> re.Pattern[str]:
    return re.compile(expand_years(pattern, year))


class _TextSearch(DetectorConfig):
    """Settings shared by ``keywords`` and ``regex``: where to look."""

    in_: list[Source] = Field(default=["links", "titles", "headings"], alias="in", min_length=1)
    scope: Scope = "site"
    pages: KeywordList | None = None

    def crawl_keywords(self) -> list[str]:
        return flat_keywords(self.pages)

    def _where(self) -> str:
        where = "/".join(self.in_) + (" (home page)" if self.scope == "home" else "")
        if self.pages:
            where += f" of pages titled {'/'.join(flat_keywords(self.pages)[:3])}"
        return where


@detector("keywords")
class Keywords(_TextSearch):
    """Keywords in link text, titles, headings, page text or dated items."""

    keywords: KeywordList = Field(min_length=1)
    exclude: list[Keyword] = Field(default_factory=list)
    value: Literal["any", "all", "count", "share", "ok_share"] = "any"
    target: Literal["any", "not_broken", "ok"] = "any"

    def check(self) -> Iterator[tuple[Loc, str]]:
        if (self.value == "ok_share" or self.target != "any") and "links" not in self.in_:
            key = "value" if self.value == "ok_share" else "target"
            yield (key,), "checks link targets, so `in` must include links"

    def crawl_keywords(self) -> list[str]:
        return flat_keywords(self.keywords) + super().crawl_keywords()

    def describe(self) -> str:
        words = "/".join(group_label(g) for g in keyword_groups(self.keywords))
        return f"keywords {self.value} of [{words}] in {self._where()}"

    def _target_ok(self, ctx: DetectContext, url: str) -> bool:
        if self.target == "any":
            return True
        status = ctx.status_of(url)
        if self.target == "ok":
            return status is not None and 200 <= status < 300
        return status is None or (0 < status < 400)  # not_broken: unfetched counts

    def detect(self, ctx: DetectContext) -> Detection:
        pages, reason = ctx.pages(self.scope, self.pages)
        if pages is None:
            return Detection(None, reason=reason)
        groups = keyword_groups(self.keywords)
        folded = [[w.casefold() for w in g] for g in groups]
        excluded = [w.casefold() for w in self.exclude]
        found: dict[int, tuple[str, str]] = {}
        targets: dict[str, tuple[str, str]] = {}  # link targets that matched (ok_share)
        # Each distinct text is matched once; the texts that match are then taken in the
        # order of a walk over pages, sources and texts, so "first" means what it always did.
        matches = []
        for si, source in enumerate(self.in_):
            for text, where in ctx.texts(self.scope, self.pages, source).items():
                hits = _keyword_hits(text.casefold(), folded, excluded)
                if hits:
                    matches += [((o.page_no, si, o.pos), o, source, text, hits) for o in where]
        matches.sort(key=lambda m: m[0])
        # Once every group is found, later texts change nothing (ok_share wants every target).
        complete = len(folded) if self.value != "ok_share" else -1
        for _, seen, source, text, hits in matches:
            if len(found) == complete:
                break
            url = seen.url
            for gi, hit in hits:
                if source == "links":
                    key = ctx.key(url, ctx.page_url(seen.page)) or url
                    if self.value == "ok_share":
                        targets.setdefault(key, (key, text))
                    if not self._target_ok(ctx, key):
                        continue
                    url = key
                if gi not in found:
                    at = text.casefold().find(hit)
                    shown = snippet(text, at, at + len(hit)) if source == "text" else text
                    found[gi] = (url, shown)
        if self.value == "ok_share":
            return ok_share(ctx, targets, "link matching the keywords")
        first = next(iter(found.values()), (None, None))
        missing = [group_label(g) for gi, g in enumerate(groups) if gi not in found]
        note = None
        if len(groups) > 1 and self.value in ("all", "count", "share"):
            got = [group_label(groups[gi]) for gi in sorted(found)]
            note = f"found {len(found)} of {len(groups)}: {', '.join(got) or 'none'}"
            if missing:
                note += f"; missing: {', '.join(missing)}"
        if not found and note is None:
            note = (
                f"none of {', '.join(group_label(g) for g in groups[:6])} found in {self._where()}"
            )
        value: Any = {
            "any": bool(found),
            "all": not missing,
            "count": len(found),
            "share": len(found) / len(groups),
        }[self.value]
        return Detection(value, first[0], cut_evidence(first[1]), note)


def _keyword_hits(low: str, folded: list[list[str]], excluded: list[str]) -> list[tuple[int, str]]:
    """(group index, first word of the group found) in a case-folded text; none if excluded."""
    if any(x in low for x in excluded):
        return []
    hits = []
    for gi, words in enumerate(folded):
        hit = next((w for w in words if w in low), None)
        if hit is not None:
            hits.append((gi, hit))
    return hits


def _regex_hits(compiled: list[re.Pattern[str]], text: str) -> list[tuple[int, str, int, int]]:
    """(pattern index, identity, start, end) of every non-empty match in a text."""
    hits = []
    for pi, rx in enumerate(compiled):
        for m in rx.finditer(text):
            if m.group(0):
                ident = m.group("key") if "key" in rx.groupindex else m.group(0)
                hits.append((pi, ident or m.group(0), m.start(), m.end()))
    return hits


def ok_share(ctx: DetectContext, targets: dict[str, tuple[str, str]], what: str) -> Detection:
    """Share of the matched link targets that were fetched and answered 2xx."""
    fetched = [
        (k, ctx.fetch_status[k], t) for k, (_, t) in targets.items() if k in ctx.fetch_status
    ]
    if not fetched:
        why = f"no {what} was found" if not targets else f"no {what} was fetched or checked"
        return Detection(None, reason=why)
    good = [f for f in fetched if 200 <= f[1] < 300]
    bad = [f for f in fetched if not 200 <= f[1] < 300]
    show = bad[0] if bad else good[0]
    note = f"{len(good)} of {len(fetched)} fetched targets answered 2xx"
    if bad:
        note += f"; failed: {bad[0][0]} ({bad[0][1] or 'no response'})"
    return Detection(len(good) / len(fetched), show[0], cut_evidence(show[2]), note)


@detector("regex")
class RegexMeasure(_TextSearch):
    """Regular expressions in page text (or titles, links, dated items), optionally counting
    only matches dated within a window of days before the as-of date.

    ``{year}``, ``{year-1}`` … in a pattern stand for the as-of year (minus N). Matches are
    counted once each; a named group ``(?P<key>…)`` says which part identifies a match (so
    ``根据并政发〔2026〕3号`` and ``并政发〔2026〕3号`` count as one document)."""

    in_: list[Source] = Field(default=["text"], alias="in", min_length=1)
    patterns: list[Regex] = Field(min_length=1)
    value: Literal["count", "any", "all", "share"] = "count"
    window_days: int | None = Field(default=None, gt=0, le=MAX_DAYS)
    undated: Literal["skip", "count"] = "skip"

    def _dated_ok(self, ctx: DetectContext, day: date | None) -> bool:
        if day is None:
            return self.undated != "skip"
        return ctx.in_window(day, self.window_days)

    def describe(self) -> str:
        window = f" within {self.window_days} d" if self.window_days else ""
        pats = " | ".join(self.patterns)
        return f"regex {self.value} of /{pats}/ in {self._where()}{window}"

    def detect(self, ctx: DetectContext) -> Detection:
        pages, reason = ctx.pages(self.scope, self.pages)
        if pages is None:
            return Detection(None, reason=reason)
        compiled = [_compiled(p, ctx.as_of.year) for p in self.patterns]
        matched: dict[str, tuple[str, str]] = {}  # distinct match → (url, snippet)
        hit_patterns: set[int] = set()
        # Each distinct text is searched once; its matches are then taken in the order of a
        # walk over pages, sources and texts, so the first evidence is what it always was.
        matches = []
        for si, source in enumerate(self.in_):
            for text, where in ctx.texts(self.scope, self.pages, source).items():
                if self.window_days is not None:
                    where = [o for o in where if self._dated_ok(ctx, o.day)]
                if not where:
                    continue
                hits = _regex_hits(compiled, text)
                if hits:
                    matches += [((o.page_no, si, o.pos), o, source, text, hits) for o in where]
        matches.sort(key=lambda m: m[0])
        for _, seen, source, text, hits in matches:
            url = seen.url
            if source == "links":
                url = ctx.key(url, ctx.page_url(seen.page)) or url
            for pi, ident, start, end in hits:
                hit_patterns.add(pi)
                if ident not in matched:
                    matched[ident] = (url, snippet(text, start, end))
        first = next(iter(matched.values()), (None, None))
        value: Any = {
            "count": len(matched),
            "any": bool(matched),
            "all": len(hit_patterns) == len(compiled),
            "share": len(hit_patterns) / len(compiled),
        }[self.value]
        note = None
        if matched and self.value == "count":
            shown = list(matched)[:5]
            note = f"{len(matched)} distinct: {', '.join(shown)}" + (
                " …" if len(matched) > 5 else ""
            )
        elif not matched:
            note = f"no match in {self._where()}"
        return Detection(value, first[0], cut_evidence(first[1]), note)
