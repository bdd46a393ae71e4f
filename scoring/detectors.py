"""Detectors: the measures a rubric's indicators compose, each with its evidence.

A rubric indicator says *what* to measure with a ``measure:`` mapping whose ``detector:`` key
names a detector of this registry; the other keys are the detector's settings. A detector is a
pydantic model (its settings, validated when the rubric is loaded, unknown keys refused)
with a :meth:`~DetectorConfig.detect` method that reads a site's stored facts
(:class:`~evalcrawler.facts.SiteFacts`) and metrics (:class:`~evalcrawler.scoring.results.
SiteMetrics`) through a :class:`DetectContext` and returns a :class:`Detection`: the value,
the URL and text that satisfied it, and a note.

The contract, by example (``noop`` is registered for real, so a rubric may use it as a
placeholder while an indicator is being designed)::

    @detector("noop")
    class Noop(DetectorConfig):
        def detect(self, ctx: DetectContext) -> Detection:
            # Not measured: value None and a reason, never a default such as 0 or False.
            return Detection(None, reason="the noop detector measures nothing")

A measured value is a bool, a number or ``None``; the rubric's scoring rule turns it into
points. ``None`` means *not measured* (the site gave nothing to look at, a metric was null):
the indicator is then reported as ``not_measured`` with the reason, and earns nothing.

Detectors that combine other measures (``all_of``, ``ratio`` …) list the keys holding those
measures in ``sub_measures``; the rubric loader parses them recursively (with file, line and key
in every error) before :meth:`detect` runs. Every keyword list of a detector is also offered
to the crawler (:meth:`DetectorConfig.crawl_keywords`) so that a page budget reaches the
sections a rubric scores first. ``docs/rubrics.md`` documents every detector for rubric authors.
"""

from __future__ import annotations

import logging
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar
from urllib.parse import urljoin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from evalcrawler.facts import DatedItem, PageFacts, SiteFacts
from evalcrawler.scoring.results import METRICS, SiteMetrics, Thresholds
from evalcrawler.urls import host_of, is_internal, normalise

logger = logging.getLogger(__name__)

__all__ = [
    "Comparator",
    "DetectContext",
    "Detection",
    "DetectorConfig",
    "KeywordList",
    "check_metric",
    "detector",
    "expand_years",
    "registered_detectors",
    "truthy",
]

Loc = tuple[str | int, ...]
EVIDENCE_CHARS = 200  # evidence text is cut to this length


# --------------------------------------------------------------------------------- results


@dataclass
class Detection:
    """What a detector found on one site.

    ``value`` is ``None`` when the site could not be measured this way (``reason`` says why);
    otherwise a bool or a number. ``evidence_url`` and ``evidence_text`` point a person at
    what satisfied the measure (the link and its anchor text, the page and the matched text);
    ``reason`` may also carry a note on a measured value ("missing: 收费标准, 办理时间").
    """

    value: Any
    evidence_url: str | None = None
    evidence_text: str | None = None
    reason: str | None = None


def truthy(value: Any) -> bool:
    """True for ``True``, a number > 0 and a non-empty string; False for the rest and None."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return not math.isnan(value) and value > 0
    return bool(value)


def as_number(value: Any) -> float | None:
    """A bool or number as a float (True = 1); None for anything else (or NaN)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        f = float(value)
        return None if math.isnan(f) else f
    return None


def _cut(text: str | None, limit: int = EVIDENCE_CHARS) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(text: str, start: int, end: int, margin: int = 30) -> str:
    """The matched text with some context, for evidence."""
    lo, hi = max(0, start - margin), min(len(text), end + margin)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# -------------------------------------------------------------------------------- registry


class DetectorConfig(BaseModel):
    """Base of every detector: its settings (from the rubric) and its :meth:`detect`."""

    model_config = ConfigDict(extra="forbid")

    detector: str

    sub_measures: ClassVar[tuple[str, ...]] = ()
    """Keys whose values are measures themselves (parsed by the rubric loader)."""

    def detect(self, ctx: DetectContext) -> Detection:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self) -> Iterator[tuple[Loc, str]]:
        """Load-time problems that span several keys, as (key path, message)."""
        return iter(())

    def children(self) -> list[DetectorConfig]:
        """The parsed measures this one combines (after loading)."""
        out: list[DetectorConfig] = []
        for key in self.sub_measures:
            value = getattr(self, key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, DetectorConfig):
                    out.append(item)
        return out

    def metrics(self) -> list[str]:
        """Catalogue metrics this measure reads (its own and its children's)."""
        return [m for child in self.children() for m in child.metrics()]

    def crawl_keywords(self) -> list[str]:
        """Words whose links the crawler should follow first (its own and its children's)."""
        return [k for child in self.children() for k in child.crawl_keywords()]

    def describe(self) -> str:
        """A one-line summary for ``evalcrawl rubric show``."""
        return self.detector


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    config: type[DetectorConfig]


_REGISTRY: dict[str, DetectorSpec] = {}
C = TypeVar("C", bound=type[DetectorConfig])


def detector(name: str) -> Callable[[C], C]:
    """Register the decorated :class:`DetectorConfig` subclass as detector ``name``."""

    def register(cls: C) -> C:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} is registered twice")
        _REGISTRY[name] = DetectorSpec(name, cls)
        return cls

    return register


def registered_detectors() -> dict[str, DetectorSpec]:
    """Every registered detector by name."""
    return dict(_REGISTRY)


# ------------------------------------------------------------------------- shared settings


def check_metric(name: str) -> str:
    if name not in METRICS:
        from difflib import get_close_matches

        close = get_close_matches(name, METRICS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown metric {name!r}{hint}; the catalogue is in docs/metrics.md")
    return name


MetricName = Annotated[str, AfterValidator(check_metric)]

_YEAR_TOKEN = re.compile(r"\{year(?:-(\d))?\}")


def expand_years(pattern: str, year: int) -> str:
    """Replace ``{year}``, ``{year-1}`` … ``{year-9}`` by the as-of year (minus N)."""
    return _YEAR_TOKEN.sub(lambda m: str(year - int(m.group(1) or 0)), pattern)


def _check_regex(pattern: str) -> str:
    try:
        re.compile(expand_years(pattern, 2000))
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None
    return pattern


Regex = Annotated[str, AfterValidator(_check_regex)]


@lru_cache(maxsize=1024)
def _compiled(pattern: str, year: int) -> re.Pattern[str]:
    return re.compile(expand_years(pattern, year))


def _nonempty(word: str) -> str:
    if not word.strip():
        raise ValueError("a keyword must not be empty")
    return word


Keyword = Annotated[str, AfterValidator(_nonempty)]
KeywordList = list[Keyword | list[Keyword]]
"""A list of keywords; an entry may be a list of synonyms that count as one (a group)."""


def _groups(keywords: KeywordList) -> list[list[str]]:
    return [k if isinstance(k, list) else [k] for k in keywords]


def _flat(keywords: KeywordList | None) -> list[str]:
    return [w for g in _groups(keywords or []) for w in g]


def _label(group: list[str]) -> str:
    return group[0]


Source = Literal["links", "titles", "headings", "text", "items"]
Scope = Literal["site", "home"]


class Comparator(BaseModel):
    """Exactly one comparison: ``at_most`` (≤), ``below`` (<), ``at_least`` (≥), ``above`` (>)
    or ``is`` (equal; for booleans such as ``is: false``)."""

    model_config = ConfigDict(extra="forbid")

    at_most: float | None = None
    below: float | None = None
    at_least: float | None = None
    above: float | None = None
    is_: bool | float | str | None = Field(default=None, alias="is")

    OPS: ClassVar[tuple[str, ...]] = ("at_most", "below", "at_least", "above", "is_")

    @model_validator(mode="after")
    def _exactly_one(self) -> Comparator:
        given = [op for op in self.OPS if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one comparison: at_most, below, at_least, above or is"
                + (f" (found {', '.join(o.rstrip('_') for o in given)})" if given else "")
            )
        return self

    @property
    def op(self) -> str:
        return next(op for op in self.OPS if getattr(self, op) is not None)

    @property
    def operand(self) -> Any:
        return getattr(self, self.op)

    def holds(self, value: Any) -> bool:
        """Whether ``value`` (not None) satisfies the comparison."""
        op, ref = self.op, self.operand
        if op == "is_":
            if isinstance(ref, bool):
                return truthy(value) is ref
            num, ref_num = as_number(value), as_number(ref)
            if num is not None and ref_num is not None:
                return num == ref_num
            return bool(value == ref)
        num = as_number(value)
        if num is None:
            return False
        return {
            "at_most": num <= ref,
            "below": num < ref,
            "at_least": num >= ref,
            "above": num > ref,
        }[op]

    def describe_op(self) -> str:
        ref = self.operand
        text = (
            str(ref).lower()
            if isinstance(ref, bool)
            else f"{ref:g}"
            if isinstance(ref, float)
            else str(ref)
        )
        return f"{self.op.rstrip('_').replace('_', ' ')} {text}"


# ---------------------------------------------------------------------------- the context


class Occurrence(NamedTuple):
    """Where a text occurs: the page's place among the pages looked at, the text's place
    among that page's texts of one source, its evidence URL and date, and the page."""

    page_no: int
    pos: int
    url: str
    day: date | None
    page: PageFacts


class DetectContext:
    """What the detectors of one site share: facts, metrics, thresholds and the as-of date,
    plus derived data computed once (the site's pages, the fetch status of every URL)."""

    def __init__(
        self, facts: SiteFacts, metrics: SiteMetrics, thresholds: Thresholds, as_of: date
    ) -> None:
        self.facts = facts
        self.metrics = metrics
        self.thresholds = thresholds
        self.as_of = _day(as_of)
        self._cache: dict[str, Detection] = {}
        self._texts: dict[tuple[str, str, str], dict[str, list[Occurrence]]] = {}

    def detect(self, config: DetectorConfig) -> Detection:
        """Run a detector (once per site); an error becomes a not-measured value, logged.

        Equal configurations share one result: a measure that a rubric reuses (a YAML anchor,
        or the same measure inside a ratio) is computed once per site."""
        key = f"{type(config).__name__}:{config.model_dump_json(by_alias=True)}"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            result = config.detect(self)
        except Exception as exc:
            # A malformed stored fact must not stop the scoring of a whole region.
            logger.exception("detector %s failed on site %s", config.detector, self.facts.site_id)
            result = Detection(None, reason=f"error while detecting: {exc!r}")
        self._cache[key] = result
        return result

    # ------------------------------------------------------------------ URLs and pages

    @cached_property
    def hosts(self) -> frozenset[str]:
        hosts = {h.lower() for h in self.facts.hosts}
        for url in (self.facts.url, self.home.final_url if self.home else None):
            if url:
                host = host_of(url)
                if host:
                    hosts.add(host)
        return frozenset(hosts)

    def key(self, url: str | None, base: str | None = None) -> str | None:
        """The normalised absolute URL (relative URLs resolved against ``base``)."""
        if not url:
            return None
        if base and "://" not in url:
            url = urljoin(base, url)
        if not url.lower().startswith(("http://", "https://")):
            return None
        return normalise(url)

    @cached_property
    def home(self) -> PageFacts | None:
        """The home page when it answered 2xx HTML."""
        for page in self.facts.pages:
            if page.is_home and 200 <= page.status < 300 and page.is_html:
                return page
        return None

    @cached_property
    def site_pages(self) -> list[PageFacts]:
        """The site's 2xx HTML pages on its own hosts, one per final URL, home page first."""
        out: list[PageFacts] = []
        seen: set[str] = set()
        candidates = ([self.home] if self.home else []) + [
            p for p in self.facts.pages if p is not self.home
        ]
        for page in candidates:
            if not (200 <= page.status < 300 and page.is_html):
                continue
            key = self.key(page.final_url or page.url)
            if key is None or key in seen or not is_internal(key, self.hosts):
                continue
            seen.add(key)
            out.append(page)
        return out

    @cached_property
    def page_index(self) -> dict[str, PageFacts]:
        """Normalised final and requested URL of each site page → the page."""
        index: dict[str, PageFacts] = {}
        for page in self.site_pages:
            for url in (page.final_url or page.url, page.url):
                key = self.key(url)
                if key is not None:
                    index.setdefault(key, page)
        return index

    @cached_property
    def site_items(self) -> list[tuple[PageFacts, DatedItem, str]]:
        """Every dated item of the site's pages with its case-folded title, in page order."""
        return [
            (page, item, item.title.casefold())
            for page in self.site_pages
            for item in _page_items(page)
        ]

    def page_url(self, page: PageFacts) -> str:
        return page.final_url or page.url

    def pages(
        self, scope: str, select: KeywordList | None = None
    ) -> tuple[list[PageFacts] | None, str | None]:
        """The pages a detector looks at, or ``(None, reason)`` when there are none to see.

        ``select``: keep only pages whose title, headings or the anchor text of the link
        that led to them contain one of these keywords.
        """
        if scope == "home":
            if self.home is None:
                return None, "the home page was not fetched with a 2xx response"
            pages = [self.home]
        else:
            if not self.site_pages:
                return None, "no page of the site was fetched with a 2xx response"
            pages = self.site_pages
        if select:
            words = [w.casefold() for w in _flat(select)]
            pages = [p for p in pages if _page_matches(p, words)]
        return pages, None

    def texts(
        self, scope: str, select: KeywordList | None, source: str
    ) -> dict[str, list[Occurrence]]:
        """Each distinct text of one source of the pages a detector looks at, with where it
        occurs, in page order: built once per site, so that a detector matches each text once
        (navigation repeats the same link texts on every page)."""
        key = (scope, repr(select), source)
        index = self._texts.get(key)
        if index is None:
            pages, _ = self.pages(scope, select)
            index = {}
            for n, page in enumerate(pages or []):
                for pos, (url, text, day) in enumerate(_texts(self, page, source)):
                    index.setdefault(text, []).append(Occurrence(n, pos, url, day, page))
            self._texts[key] = index
        return index

    @cached_property
    def fetch_status(self) -> dict[str, int]:
        """Normalised URL → final status (0 = no response) of every page request and check.

        The requested URL wins over a redirect's final URL, as in the metrics.
        """
        status: dict[str, int] = {}
        records: list[tuple[str, str | None, int]] = [
            (p.url, p.final_url, p.status) for p in self.facts.pages
        ]
        records += [(c.url, c.final_url, c.status) for c in self.facts.checks]
        for url, _final, code in records:
            key = self.key(url)
            if key is not None:
                status.setdefault(key, code)
        for _url, final, code in records:
            key = self.key(final)
            if key is not None:
                status.setdefault(key, code)
        return status

    def status_of(self, url: str | None) -> int | None:
        """Final status of a fetched URL; None when it was never fetched."""
        key = self.key(url)
        return None if key is None else self.fetch_status.get(key)

    # ------------------------------------------------------------------ dates

    def in_window(self, day: date | None, window_days: int | None) -> bool:
        """``day`` lies within ``window_days`` before the as-of date (both ends included).

        Without a window every date up to the as-of date counts. Dates after the as-of date
        never count (they are misread dates, or come from after the evaluation)."""
        if day is None:
            return False
        d = _day(day)
        if d > self.as_of:
            return False
        return window_days is None or d >= self.as_of - timedelta(days=window_days)

    def age(self, day: date) -> int:
        return (self.as_of - _day(day)).days


def _page_matches(page: PageFacts, words: list[str]) -> bool:
    texts = [page.title, *page.headings, page.via_text or ""]
    return any(w in t.casefold() for t in texts if t for w in words)


def _page_items(page: PageFacts) -> list[DatedItem]:
    """Every dated link of a page (its dated links, plus main-list items not among them)."""
    items = list(page.dated_links)
    seen = {(i.url, i.title) for i in items}
    items += [i for i in page.items if (i.url, i.title) not in seen]
    return items


def _texts(
    ctx: DetectContext, page: PageFacts, source: str
) -> Iterator[tuple[str, str, date | None]]:
    """(evidence URL, text, date of the text) of one source of one page."""
    url = ctx.page_url(page)
    if source == "links":
        for link in page.links:
            if link.text:
                yield link.url, link.text, None
    elif source == "titles":
        if page.title:
            yield url, page.title, page.publish_date
    elif source == "headings":
        for heading in page.headings:
            if heading:
                yield url, heading, page.publish_date
    elif source == "text":
        if page.text:
            yield url, page.text, page.publish_date
    elif source == "items":
        for item in _page_items(page):
            if item.title:
                target = ctx.key(item.url, url) or url
                yield target, item.title, item.date


class _TextSearch(DetectorConfig):
    """Settings shared by ``keywords`` and ``regex``: where to look."""

    in_: list[Source] = Field(default=["links", "titles", "headings"], alias="in", min_length=1)
    scope: Scope = "site"
    pages: KeywordList | None = None

    def crawl_keywords(self) -> list[str]:
        return _flat(self.pages)

    def _where(self) -> str:
        where = "/".join(self.in_) + (" (home page)" if self.scope == "home" else "")
        if self.pages:
            where += f" of pages titled {'/'.join(_flat(self.pages)[:3])}"
        return where


# ------------------------------------------------------------------------------ detectors


@detector("noop")
class Noop(DetectorConfig):
    """Measures nothing: always *not measured*. The smallest detector, showing the contract."""

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(None, reason="the noop detector measures nothing")


@detector("metric")
class MetricMeasure(DetectorConfig):
    """A catalogue metric's value (``per:`` divides it by another metric)."""

    metric: MetricName
    per: MetricName | None = None

    def metrics(self) -> list[str]:
        return [self.metric] + ([self.per] if self.per else [])

    def detect(self, ctx: DetectContext) -> Detection:
        m = ctx.metrics.values.get(self.metric)
        if m is None:
            return Detection(None, reason=f"metric {self.metric} was not computed")
        if m.value is None:
            return Detection(None, reason=f"{self.metric}: {m.reason or 'not measured'}")
        if self.per is None:
            return Detection(m.value, evidence_url=m.evidence_url)
        d = ctx.metrics.values.get(self.per)
        num, den = as_number(m.value), as_number(d.value if d else None)
        if num is None or den is None:
            why = (d.reason if d else None) or "not measured"
            return Detection(None, reason=f"{self.per}: {why}")
        if den == 0:
            return Detection(None, reason=f"{self.per} is 0: the share is undefined")
        return Detection(
            num / den,
            evidence_url=m.evidence_url,
            evidence_text=f"{self.metric} {m.value} / {self.per} {d.value if d else ''}",
        )

    def describe(self) -> str:
        return f"metric {self.metric}" + (f" / {self.per}" if self.per else "")


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
        return _flat(self.keywords) + super().crawl_keywords()

    def describe(self) -> str:
        words = "/".join(_label(g) for g in _groups(self.keywords))
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
        groups = _groups(self.keywords)
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
                    shown = _snippet(text, at, at + len(hit)) if source == "text" else text
                    found[gi] = (url, shown)
        if self.value == "ok_share":
            return _ok_share(ctx, targets, "link matching the keywords")
        first = next(iter(found.values()), (None, None))
        missing = [_label(g) for gi, g in enumerate(groups) if gi not in found]
        note = None
        if len(groups) > 1 and self.value in ("all", "count", "share"):
            got = [_label(groups[gi]) for gi in sorted(found)]
            note = f"found {len(found)} of {len(groups)}: {', '.join(got) or 'none'}"
            if missing:
                note += f"; missing: {', '.join(missing)}"
        if not found and note is None:
            note = f"none of {', '.join(_label(g) for g in groups[:6])} found in {self._where()}"
        value: Any = {
            "any": bool(found),
            "all": not missing,
            "count": len(found),
            "share": len(found) / len(groups),
        }[self.value]
        return Detection(value, first[0], _cut(first[1]), note)


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


def _ok_share(ctx: DetectContext, targets: dict[str, tuple[str, str]], what: str) -> Detection:
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
    return Detection(len(good) / len(fetched), show[0], _cut(show[2]), note)


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
    window_days: int | None = Field(default=None, gt=0)
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
                    matched[ident] = (url, _snippet(text, start, end))
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
        return Detection(value, first[0], _cut(first[1]), note)


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
    window_days: int | None = Field(default=None, gt=0)
    value: Literal["count", "any", "newest_age_days"] = "count"

    @model_validator(mode="after")
    def _some_selector(self) -> DatedItems:
        if not (self.columns or self.kinds or self.titles):
            raise ValueError("give at least one of columns, kinds or titles")
        return self

    def crawl_keywords(self) -> list[str]:
        return _flat(self.columns) + _flat(self.titles)

    def describe(self) -> str:
        parts = []
        if self.kinds:
            parts.append(f"kinds {'/'.join(self.kinds)}")
        if self.columns:
            parts.append(f"columns [{'/'.join(_flat(self.columns)[:4])}]")
        if self.titles:
            parts.append(f"titles [{'/'.join(_flat(self.titles)[:4])}]")
        window = f" within {self.window_days} d" if self.window_days else ""
        return f"dated_items {self.value} of {' or '.join(parts)}{window}"

    def _column_items(
        self, ctx: DetectContext
    ) -> tuple[list[tuple[str, DatedItem, str]], list[str], list[date]]:
        """Items of matching columns as (url, item, column name); the names; fallback dates."""
        words = [w.casefold() for w in _flat(self.columns)]
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
            words = [w.casefold() for w in _flat(self.titles)]
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
                dated.append((_day(item.date), url, item, column))
        dated.sort(key=lambda t: t[0], reverse=True)
        where = self.describe().split(" of ", 1)[1]
        if self.value == "newest_age_days":
            days = [d[0] for d in dated] + [_day(f) for f in fallback if _day(f) <= ctx.as_of]
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
                evidence_text=_cut(f"{latest.isoformat()} {top[2].title}") if top else None,
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
            evidence_text=_cut(f"{top[0].isoformat()} {top[2].title}") if top else None,
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
            return _ok_share(ctx, {u: (u, t) for u, t in found.items()}, "matching link target")
        first = next(iter(found.items()), (None, None))
        note = None if found else "no URL matched"
        value: Any = bool(found) if self.value == "any" else len(found)
        return Detection(value, first[0], _cut(first[1]), note)


@detector("page_elements")
class PageElements(DetectorConfig):
    """Completeness of pages of one type: the share of the listed elements (groups of
    synonyms) found in the text of each page whose title or heading matches ``pages``,
    aggregated over those pages (e.g. the 10 key elements of 办事指南). With ``skip_lists``
    (the default) list and index pages of that type are left out (a page listing ≥ 3 dated
    items, linking to ≥ 2 pages of the type, or linking to one and showing no element
    itself); with ``skip_template`` (the default) a word counts on a page only when it
    occurs there more often than on the home page, so header and footer text shared by every
    page does not count."""

    pages: KeywordList = Field(min_length=1)
    elements: KeywordList = Field(min_length=1)
    aggregate: Literal["mean", "min", "max"] = "mean"
    skip_lists: bool = True
    skip_template: bool = True

    def crawl_keywords(self) -> list[str]:
        return _flat(self.pages)

    def describe(self) -> str:
        n = len(self.elements)
        return f"page_elements {self.aggregate} share of {n} elements on pages titled " + "/".join(
            _flat(self.pages)[:3]
        )

    def detect(self, ctx: DetectContext) -> Detection:
        pages, reason = ctx.pages("site", self.pages)
        if pages is None:
            return Detection(None, reason=reason)
        groups = [[w.casefold() for w in g] for g in _groups(self.elements)]
        labels = [_label(g) for g in _groups(self.elements)]
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
            what = "/".join(_flat(self.pages)[:3])
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
        return Detection(value, ctx.page_url(pick[1]), _cut(pick[1].title), note)


def _links_to_others(ctx: DetectContext, pages: list[PageFacts]) -> dict[int, int]:
    """For each page (by id), how many of the other pages it links to."""
    keys = {ctx.key(ctx.page_url(p)) for p in pages}
    out: dict[int, int] = {}
    for page in pages:
        own = ctx.key(ctx.page_url(page))
        targets = {ctx.key(link.url, ctx.page_url(page)) for link in page.links}
        out[id(page)] = len((targets & keys) - {own})
    return out


@detector("compare")
class Compare(Comparator, DetectorConfig):
    """True when another measure's value satisfies a comparison (``at_least: 3`` …)."""

    measure: Any
    sub_measures: ClassVar[tuple[str, ...]] = ("measure",)

    def describe(self) -> str:
        inner = self.measure.describe() if isinstance(self.measure, DetectorConfig) else "?"
        return f"({inner}) {self.describe_op()}"

    def detect(self, ctx: DetectContext) -> Detection:
        sub = ctx.detect(self.measure)
        if sub.value is None:
            return sub
        return Detection(self.holds(sub.value), sub.evidence_url, sub.evidence_text, sub.reason)


class _Combine(DetectorConfig):
    of: list[Any] = Field(min_length=1)
    sub_measures: ClassVar[tuple[str, ...]] = ("of",)

    def describe(self) -> str:
        inner = "; ".join(c.describe() for c in self.children())
        return f"{self.detector}({inner})"

    def _parts(self, ctx: DetectContext) -> list[Detection]:
        return [ctx.detect(c) for c in self.children()]

    def combine(self, parts: list[Detection]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def detect(self, ctx: DetectContext) -> Detection:
        parts = self._parts(ctx)
        if all(p.value is None for p in parts):
            return Detection(None, reason="; ".join(p.reason or "not measured" for p in parts))
        value = self.combine(parts)
        show = next((p for p in parts if truthy(p.value)), parts[0])
        flags = ", ".join(
            f"{i + 1}: {'n/a' if p.value is None else 'yes' if truthy(p.value) else 'no'}"
            for i, p in enumerate(parts)
        )
        return Detection(value, show.evidence_url, show.evidence_text, f"parts {flags}")


@detector("all_of")
class AllOf(_Combine):
    """True when every measure is truthy (a null part counts as not satisfied)."""

    def combine(self, parts: list[Detection]) -> Any:
        return all(truthy(p.value) for p in parts)


@detector("any_of")
class AnyOf(_Combine):
    """True when at least one measure is truthy."""

    def combine(self, parts: list[Detection]) -> Any:
        return any(truthy(p.value) for p in parts)


@detector("count_of")
class CountOf(_Combine):
    """How many of the measures are truthy."""

    def combine(self, parts: list[Detection]) -> Any:
        return sum(1 for p in parts if truthy(p.value))


@detector("share_of")
class ShareOf(_Combine):
    """The share (0–1) of the measures that are truthy."""

    def combine(self, parts: list[Detection]) -> Any:
        return sum(1 for p in parts if truthy(p.value)) / len(parts)


@detector("best_of")
class BestOf(_Combine):
    """Tiers, best first: N for the first measure, N−1 for the second … 0 when none is truthy
    (``best_of: [search works, search form]`` → 2, 1 or 0)."""

    def combine(self, parts: list[Detection]) -> Any:
        for index, part in enumerate(parts):
            if truthy(part.value):
                return len(parts) - index
        return 0


@detector("ratio")
class Ratio(DetectorConfig):
    """One measure divided by another (e.g. 解读 items ÷ policy documents); null when the
    denominator is null or 0."""

    numerator: Any
    denominator: Any
    sub_measures: ClassVar[tuple[str, ...]] = ("numerator", "denominator")

    def describe(self) -> str:
        return f"ratio ({self.numerator.describe()}) / ({self.denominator.describe()})"

    def detect(self, ctx: DetectContext) -> Detection:
        num, den = ctx.detect(self.numerator), ctx.detect(self.denominator)
        n, d = as_number(num.value), as_number(den.value)
        if n is None:
            return Detection(None, reason=f"numerator: {num.reason or 'not measured'}")
        if d is None:
            return Detection(None, reason=f"denominator: {den.reason or 'not measured'}")
        if d == 0:
            return Detection(None, reason="the denominator is 0, so the ratio is undefined")
        return Detection(n / d, num.evidence_url, num.evidence_text, f"{n:g} / {d:g}")


def walk(config: DetectorConfig) -> Iterable[DetectorConfig]:
    """A measure and every measure inside it, depth first."""
    yield config
    for child in config.children():
        yield from walk(child)
