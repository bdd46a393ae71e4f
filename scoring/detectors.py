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

This module holds the contract and the registry: :class:`Detection`, :class:`DetectorConfig`,
:func:`detector`, :func:`registered_detectors`, the settings detectors share (keyword lists,
regexes, :class:`Comparator`) and the two simplest detectors, ``noop`` and ``metric``. The
others live in :mod:`~evalcrawler.scoring.text_detectors` (``keywords``, ``regex``),
:mod:`~evalcrawler.scoring.list_detectors` (``dated_items``),
:mod:`~evalcrawler.scoring.page_detectors` (``url_pattern``, ``page_elements``) and
:mod:`~evalcrawler.scoring.combinators` (``compare``, ``all_of`` … ``ratio``); the context they
read a site through is :mod:`~evalcrawler.scoring.detect_context`.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from evalcrawler.scoring.results import METRICS

if TYPE_CHECKING:
    from evalcrawler.scoring.detect_context import DetectContext

logger = logging.getLogger(__name__)

__all__ = [
    "Comparator",
    "Detection",
    "DetectorConfig",
    "KeywordList",
    "MetricMeasure",
    "as_number",
    "check_metric",
    "detector",
    "expand_years",
    "registered_detectors",
    "truthy",
    "walk",
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


def cut_evidence(text: str | None, limit: int = EVIDENCE_CHARS) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snippet(text: str, start: int, end: int, margin: int = 30) -> str:
    """The matched text with some context, for evidence."""
    lo, hi = max(0, start - margin), min(len(text), end + margin)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


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

# The modules of the built-in detectors, in the order in which their detectors are listed
# (in error messages, say): this module's, then these, then any registered elsewhere.
BUILTIN_MODULES: tuple[str, ...] = (
    __name__,
    "evalcrawler.scoring.text_detectors",
    "evalcrawler.scoring.list_detectors",
    "evalcrawler.scoring.page_detectors",
    "evalcrawler.scoring.combinators",
)


def detector(name: str) -> Callable[[C], C]:
    """Register the decorated :class:`DetectorConfig` subclass as detector ``name``."""

    def register(cls: C) -> C:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} is registered twice")
        _REGISTRY[name] = DetectorSpec(name, cls)
        return cls

    return register


def registered_detectors() -> dict[str, DetectorSpec]:
    """Every registered detector by name: the built-in ones (all of them, whichever modules
    were imported so far) in the order of :data:`BUILTIN_MODULES` and of their definition,
    then any other in the order of registration."""
    for module in BUILTIN_MODULES[1:]:
        importlib.import_module(module)
    builtin = {module: rank for rank, module in enumerate(BUILTIN_MODULES)}
    specs = list(_REGISTRY.values())
    specs.sort(key=lambda spec: builtin.get(spec.config.__module__, len(builtin)))
    return {spec.name: spec for spec in specs}


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


def _nonempty(word: str) -> str:
    if not word.strip():
        raise ValueError("a keyword must not be empty")
    return word


Keyword = Annotated[str, AfterValidator(_nonempty)]
KeywordList = list[Keyword | list[Keyword]]
"""A list of keywords; an entry may be a list of synonyms that count as one (a group)."""


def keyword_groups(keywords: KeywordList) -> list[list[str]]:
    return [k if isinstance(k, list) else [k] for k in keywords]


def flat_keywords(keywords: KeywordList | None) -> list[str]:
    return [w for g in keyword_groups(keywords or []) for w in g]


def group_label(group: list[str]) -> str:
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


def walk(config: DetectorConfig) -> Iterable[DetectorConfig]:
    """A measure and every measure inside it, depth first."""
    yield config
    for child in config.children():
        yield from walk(child)
