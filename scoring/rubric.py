"""Rubrics as data: the typed model of a rubric YAML file, its loader and its validator.

A rubric says how sites are scored: categories with points, the thresholds the metrics use,
veto gates (单项否决), and indicators, each a *measure* (a catalogue metric or a detector of
:mod:`evalcrawler.scoring.detectors`) and a *rule* that turns the measured value into points.
Analysts edit rubrics by hand, so every mistake is reported where it is, as
``Error: rubrics/x.yaml:42: indicators[3].points: must be > 0``.

Loading runs in three passes over the YAML (read with line numbers by
:mod:`evalcrawler.yamlfile`):

1. the pydantic models below check keys and types (unknown keys are refused);
2. each ``measure:`` and ``rule:`` mapping is parsed with the model its ``detector:`` or
   ``type:`` names, recursively for measures that combine measures;
3. checks across the file: duplicate ids, unknown categories, rule steps out of order,
   category points that do not add up to their indicators' points or to the total, vetoes
   on unknown indicators.

The first problem found stops the load. ``docs/rubrics.md`` describes every key.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterator
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from evalcrawler.errors import RubricError
from evalcrawler.scoring.detectors import (
    Comparator,
    DetectorConfig,
    MetricMeasure,
    as_number,
    check_metric,
    registered_detectors,
    truthy,
    walk,
)
from evalcrawler.scoring.results import Thresholds

# _is_union_tag and _message: the wording and location handling of pydantic errors must match
# the first pass, which yamlfile does; these two helpers are reused rather than copied.
from evalcrawler.yamlfile import LoadedYaml, _is_union_tag, parse_yaml, read_yaml, validate
from evalcrawler.yamlfile import _message as _pydantic_message

__all__ = [
    "LEVELS",
    "RULES",
    "Category",
    "Condition",
    "Indicator",
    "Rubric",
    "RuleBase",
    "Veto",
    "bundled_rubrics",
    "load_rubric",
    "parse_rubric",
]

LEVELS: tuple[str, ...] = ("municipal", "district", "county", "county_city")
Level = Literal["municipal", "district", "county", "county_city"]
SLUG = r"^[a-z0-9][a-z0-9_-]*$"
ID = r"^[A-Za-z][A-Za-z0-9_.-]*$"
MAX_DEPTH = 12  # measures nested deeper than this are refused (and recursive YAML aliases)
EPS = 1e-9

Loc = tuple[str | int, ...]


def _all_levels() -> list[Level]:
    return ["municipal", "district", "county", "county_city"]


def _g(x: float) -> str:
    """A number as the YAML author wrote it: 35, 1.5, 0.05."""
    return f"{x:g}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(value: float) -> float:
    # A validator of its own: pydantic's gt=0 on a float field reports "must be > 0.0".
    if not value > 0:
        raise ValueError("must be > 0")
    return value


Points = Annotated[float, AfterValidator(_positive)]


# ----------------------------------------------------------------------------------- rules


class RuleBase(_Model):
    """A scoring rule: turns a measured value (not None) into points in [0, points]."""

    type: str
    numeric: ClassVar[bool] = True  # the rule needs a number (a bool counts as 0/1)

    def score(self, value: Any, points: float) -> float | None:
        """Points for ``value``; None when the value is not a number the rule can use."""
        num = as_number(value)
        if num is None:
            return None
        return max(0.0, min(points, self._score(num, points)))

    def _score(self, value: float, points: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def direction(self) -> int:
        """+1 when a higher value never scores less, -1 when a lower value never scores less."""
        return 1

    def check(self, points: float) -> Iterator[tuple[Loc, str]]:
        """Problems with this rule given the indicator's points, as (key path, message)."""
        return iter(())

    def describe(self, points: float) -> str:
        return self.type


class Presence(RuleBase):
    """All the points when the value is truthy (True, a number > 0), else 0."""

    type: Literal["presence"]
    numeric: ClassVar[bool] = False

    def score(self, value: Any, points: float) -> float | None:
        return float(points) if truthy(value) else 0.0

    def describe(self, points: float) -> str:
        return f"presence → {_g(points)}"


_LOWER = ("at_most", "below")
_HIGHER = ("at_least", "above")


class Step(_Model):
    """One step: a threshold (exactly one of at_most, below, at_least, above) and its points."""

    at_most: float | None = None
    below: float | None = None
    at_least: float | None = None
    above: float | None = None
    points: float = Field(ge=0)

    @model_validator(mode="after")
    def _one(self) -> Step:
        given = [op for op in (*_LOWER, *_HIGHER) if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one threshold: at_most, below, at_least or above")
        return self

    @property
    def op(self) -> str:
        return next(op for op in (*_LOWER, *_HIGHER) if getattr(self, op) is not None)

    @property
    def threshold(self) -> float:
        return float(getattr(self, self.op))

    def holds(self, value: float) -> bool:
        t = self.threshold
        return {
            "at_most": value <= t,
            "below": value < t,
            "at_least": value >= t,
            "above": value > t,
        }[self.op]


class Steps(RuleBase):
    """Ordered thresholds from the best value to the worst; the first step the value meets
    gives its points, else ``otherwise`` (default 0)."""

    type: Literal["steps"]
    steps: list[Step] = Field(min_length=1)
    otherwise: float = Field(default=0, ge=0)

    def _score(self, value: float, points: float) -> float:
        for step in self.steps:
            if step.holds(value):
                return step.points
        return self.otherwise

    @property
    def direction(self) -> int:
        return -1 if self.steps[0].op in _LOWER else 1

    def check(self, points: float) -> Iterator[tuple[Loc, str]]:
        lower = self.steps[0].op in _LOWER
        for i, step in enumerate(self.steps):
            if step.points > points + EPS:
                yield (
                    ("steps", i, "points"),
                    (f"{_g(step.points)} is more than the indicator's {_g(points)} points"),
                )
            if i == 0:
                continue
            prev = self.steps[i - 1]
            if (step.op in _LOWER) != lower:
                yield (
                    ("steps", i, step.op),
                    (
                        f"steps mix directions: {step.op} cannot follow {prev.op}; "
                        "use at_most/below or at_least/above in one rule"
                    ),
                )
                continue
            t, pt = step.threshold, prev.threshold
            strict_then_loose = prev.op in ("below", "above") and step.op in (
                "at_most",
                "at_least",
            )
            ordered = (t > pt if lower else t < pt) or (t == pt and strict_then_loose)
            if not ordered:
                yield (
                    ("steps", i, step.op),
                    (
                        f"steps must go from the best value to the worst: {step.op} {_g(t)} "
                        f"cannot follow {prev.op} {_g(pt)}"
                    ),
                )
            if step.points > prev.points + EPS:
                yield (
                    ("steps", i, "points"),
                    (
                        f"steps must go from the most points to the least: {_g(step.points)} "
                        f"cannot follow {_g(prev.points)}"
                    ),
                )
        if self.otherwise > self.steps[-1].points + EPS:
            yield (
                ("otherwise",),
                (f"{_g(self.otherwise)} is more than the last step's {_g(self.steps[-1].points)}"),
            )

    def describe(self, points: float) -> str:
        parts = [f"{s.op.replace('_', ' ')} {_g(s.threshold)} → {_g(s.points)}" for s in self.steps]
        return "steps: " + "; ".join(parts) + f"; else {_g(self.otherwise)}"


class Linear(RuleBase):
    """Linear between two bounds, clamped: 0 points at ``zero_at``, all at ``full_at``
    (``full_at`` below ``zero_at`` means lower values are better)."""

    type: Literal["linear"]
    zero_at: float
    full_at: float

    def _score(self, value: float, points: float) -> float:
        frac = (value - self.zero_at) / (self.full_at - self.zero_at)
        return points * max(0.0, min(1.0, frac))

    @property
    def direction(self) -> int:
        return 1 if self.full_at > self.zero_at else -1

    def check(self, points: float) -> Iterator[tuple[Loc, str]]:
        if self.zero_at == self.full_at:
            yield ("full_at",), f"must differ from zero_at (both are {_g(self.full_at)})"

    def describe(self, points: float) -> str:
        return f"linear: 0 at {_g(self.zero_at)} → {_g(points)} at {_g(self.full_at)}"


class RatioRule(RuleBase):
    """Points × the value, for a value in [0, 1] (a share); clamped to [0, points]."""

    type: Literal["ratio"]

    def _score(self, value: float, points: float) -> float:
        return points * max(0.0, min(1.0, value))

    def describe(self, points: float) -> str:
        return f"ratio: {_g(points)} × value"


class Deduct(RuleBase):
    """扣分: all the points, minus ``per`` for each unit of the value above ``allow``;
    never below 0 (a deduction never exceeds the indicator's own points)."""

    type: Literal["deduct"]
    per: Points
    allow: float = Field(default=0, ge=0)

    def _score(self, value: float, points: float) -> float:
        return points - self.per * max(0.0, value - self.allow)

    @property
    def direction(self) -> int:
        return -1

    def describe(self, points: float) -> str:
        allow = f" beyond {_g(self.allow)}" if self.allow else ""
        return f"deduct {_g(self.per)} per unit{allow} from {_g(points)}"


RULES: dict[str, type[RuleBase]] = {
    "presence": Presence,
    "steps": Steps,
    "linear": Linear,
    "ratio": RatioRule,
    "deduct": Deduct,
}
"""Scoring rules by their ``type:``."""


# ------------------------------------------------------------------------------ the model


class Category(_Model):
    """A category of the score (content, function, interaction, feedback)."""

    name_zh: str
    name: str = ""
    points: Points
    description: str = ""


_DEFAULTS = Thresholds()  # the one place of the threshold defaults


def _default_stale() -> dict[str, int]:
    return dict(Thresholds().stale_days)


def _default_kinds() -> dict[str, list[str]]:
    return {k: list(v) for k, v in Thresholds().column_kinds.items()}


def _default_phrases() -> list[str]:
    return list(Thresholds().empty_phrases)


class ThresholdsModel(_Model):
    """``thresholds:``: the numbers and word lists the metrics take from the rubric; what a
    rubric leaves out has the default of :class:`~evalcrawler.scoring.results.Thresholds`."""

    stale_days: dict[str, int] = Field(default_factory=_default_stale)
    column_kinds: dict[str, list[str]] = Field(default_factory=_default_kinds)
    min_column_items: int = Field(default=_DEFAULTS.min_column_items, ge=1)
    overdue_days: int = Field(default=_DEFAULTS.overdue_days, gt=0)
    board_window_days: int = Field(default=_DEFAULTS.board_window_days, gt=0)
    probe_count: int = Field(default=_DEFAULTS.probe_count, ge=1)
    probe_timeout_s: Points = _DEFAULTS.probe_timeout_s
    search_query: str = Field(default=_DEFAULTS.search_query, min_length=1)
    empty_phrases: list[str] = Field(default_factory=_default_phrases)

    @field_validator("stale_days")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for kind, days in value.items():
            if days <= 0:
                raise ValueError(f"{kind}: must be > 0")
        return value

    def to_thresholds(self) -> Thresholds:
        return Thresholds(
            stale_days=dict(self.stale_days),
            column_kinds={k: list(v) for k, v in self.column_kinds.items()},
            min_column_items=self.min_column_items,
            overdue_days=self.overdue_days,
            board_window_days=self.board_window_days,
            probe_count=self.probe_count,
            probe_timeout_s=self.probe_timeout_s,
            search_query=self.search_query,
            empty_phrases=list(self.empty_phrases),
        )

    def kinds(self) -> list[str]:
        return [*self.column_kinds, "other"]


class Verdict(_Model):
    """``verdict:``: what a veto does to the total, and an optional pass mark."""

    veto_cap: float | None = Field(default=59, ge=0)
    pass_mark: float | None = Field(default=None, ge=0)
    fail_label: str = "不合格"


class Condition(Comparator):
    """One condition of a veto: a metric (optionally ``per`` another), an indicator's
    measured value, or a measure of its own, compared with a threshold. ``if_null`` says
    what a null value means: ``veto`` (e.g. an undated home page counts as not updated) or
    ``pass`` (not measured is not evidence of a failure)."""

    metric: str | None = None
    per: str | None = None
    indicator: str | None = None
    measure: Any = None
    if_null: Literal["veto", "pass"] = "pass"

    @field_validator("metric", "per")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is not None:
            check_metric(value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Condition:
        sources = [k for k in ("metric", "indicator", "measure") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError("give exactly one of metric, indicator or measure")
        if self.per is not None and self.metric is None:
            raise ValueError("per divides a metric: give metric too")
        return self

    _metric_measure: MetricMeasure | None = PrivateAttr(default=None)

    def source(self) -> DetectorConfig | None:
        """The measure to detect (a metric condition becomes a ``metric`` measure, made once
        so that a site's detection cache finds it again)."""
        if self.metric is not None:
            if self._metric_measure is None:
                self._metric_measure = MetricMeasure(
                    detector="metric", metric=self.metric, per=self.per
                )
            return self._metric_measure
        return self.measure if isinstance(self.measure, DetectorConfig) else None

    def label(self) -> str:
        if self.metric is not None:
            return self.metric + (f" / {self.per}" if self.per else "")
        if self.indicator is not None:
            return self.indicator
        return self.measure.describe() if isinstance(self.measure, DetectorConfig) else "measure"

    def describe(self) -> str:
        return f"{self.label()} {self.describe_op()} (null: {self.if_null})"


class Veto(_Model):
    """A veto gate (单项否决): a condition (``when``), or several (``any`` / ``all``), or
    ``manual: true`` for a check a person makes (the manual-scores CSV sets it with 1)."""

    id: str = Field(pattern=ID)
    name_zh: str
    name: str = ""
    source: str = ""
    description: str = ""
    manual: bool = False
    when: Condition | None = None
    any_: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    all_: list[Condition] | None = Field(default=None, alias="all", min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Veto:
        given = [k for k, v in (("when", self.when), ("any", self.any_), ("all", self.all_)) if v]
        if self.manual and given:
            raise ValueError(f"a manual veto is decided by a person: remove {given[0]}")
        if not self.manual and len(given) != 1:
            raise ValueError("give exactly one of when, any or all (or manual: true)")
        return self

    @property
    def mode(self) -> str:
        return "all" if self.all_ else "any"

    def conditions(self) -> list[tuple[Loc, Condition]]:
        """The conditions with their key path inside the veto."""
        if self.when is not None:
            return [(("when",), self.when)]
        key, items = ("all", self.all_) if self.all_ else ("any", self.any_ or [])
        return [((key, i), c) for i, c in enumerate(items)]

    def describe(self) -> str:
        if self.manual:
            return "manual (a person decides)"
        conds = [c.describe() for _, c in self.conditions()]
        return conds[0] if len(conds) == 1 else f"{self.mode} of: " + "; ".join(conds)


class Indicator(_Model):
    """A scored indicator. ``measure`` and ``rule`` hold the parsed detector and rule after
    loading; ``manual: true`` indicators have neither (a person scores them)."""

    id: str = Field(pattern=ID)
    category: str
    name_zh: str
    name: str = ""
    points: Points
    levels: list[Level] | None = Field(default=None, min_length=1)
    manual: bool = False
    measure: Any = None
    rule: Any = None
    source: str = ""
    description: str = ""

    def applies_to(self, level: str) -> bool:
        return self.levels is None or level in self.levels

    def describe(self) -> str:
        if self.manual:
            how = "manual (a person scores it)"
        else:
            how = f"{self.measure.describe()} → {self.rule.describe(self.points)}"
        levels = f" [{', '.join(self.levels)}]" if self.levels else ""
        return f"{self.id:<5} {_g(self.points):>4}  {self.name_zh}{levels}: {how}"


class Rubric(_Model):
    """A loaded, validated rubric. ``text`` is the YAML source and ``sha256`` its hash, so a
    stored score set records exactly which rules produced it."""

    id: str = Field(pattern=SLUG)
    title: str
    version: str
    based_on: str = ""
    description: str = ""
    levels: list[Level] = Field(default_factory=lambda: _all_levels(), min_length=1)
    total_points: Points = 100
    categories: dict[str, Category] = Field(min_length=1)
    thresholds_: ThresholdsModel = Field(default_factory=ThresholdsModel, alias="thresholds")
    verdict: Verdict = Field(default_factory=Verdict)
    vetoes: list[Veto] = Field(default_factory=list)
    indicators: list[Indicator] = Field(min_length=1)

    _text: str = PrivateAttr(default="")
    _sha256: str = PrivateAttr(default="")
    _label: str = PrivateAttr(default="")

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        return (
            str(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else (value)
        )

    @field_validator("categories")
    @classmethod
    def _category_ids(cls, value: dict[str, Category]) -> dict[str, Category]:
        for key in value:
            if not re.match(SLUG, key):
                raise ValueError(f"category id {key!r} must match {SLUG}")
        return value

    # -------------------------------------------------------------- accessors

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds the metrics use (:class:`evalcrawler.scoring.results.Thresholds`)."""
        return self.thresholds_.to_thresholds()

    @property
    def text(self) -> str:
        """The YAML source the rubric was loaded from."""
        return self._text

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the YAML source, UTF-8 encoded."""
        return self._sha256

    @property
    def label(self) -> str:
        """Where the rubric came from (``rubrics/gov2013.yaml`` or the path given)."""
        return self._label

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def veto(self, veto_id: str) -> Veto:
        for v in self.vetoes:
            if v.id == veto_id:
                return v
        raise KeyError(veto_id)

    def applicable(self, level: str) -> list[Indicator]:
        """The indicators that apply to a site of ``level``."""
        return [i for i in self.indicators if i.applies_to(level)]

    def measures(self) -> Iterator[DetectorConfig]:
        """Every parsed measure of the rubric (indicators' and vetoes'), nested ones too."""
        for ind in self.indicators:
            if isinstance(ind.measure, DetectorConfig):
                yield from walk(ind.measure)
        for veto in self.vetoes:
            for _, cond in veto.conditions():
                src = cond.source()
                if src is not None:
                    yield from walk(src)

    def crawl_keywords(self) -> list[str]:
        """Every keyword of every detector, then the column-kind keywords (no duplicates):
        the crawler follows links whose anchor text contains one of these first."""
        words: list[str] = []
        for measure in self.measures():
            words += measure.crawl_keywords()
        for kind_words in self.thresholds_.column_kinds.values():
            words += kind_words
        return list(dict.fromkeys(w for w in words if w))

    def summary(self) -> str:
        """One line: id, version, counts, points."""
        manual = sum(1 for i in self.indicators if i.manual)
        return (
            f"{self.id} {self.version}: {len(self.indicators)} indicators ({manual} manual), "
            f"{len(self.vetoes)} vetoes, {_g(self.total_points)} points"
        )

    def describe(self) -> str:
        """A readable account of the rubric, for ``evalcrawl rubric show``."""
        th = self.thresholds_
        lines = [
            f"{self.id} — {self.title} (version {self.version})",
            f"source: {self.label or '(in memory)'}   sha256: {self.sha256[:16]}",
        ]
        if self.based_on:
            lines.append(f"based on: {' '.join(self.based_on.split())}")
        lines.append(f"levels: {', '.join(self.levels)}   total: {_g(self.total_points)} points")
        stale = ", ".join(f"{k} {v} d" for k, v in th.stale_days.items())
        lines.append(
            f"thresholds: stale after {stale}; letters overdue after {th.overdue_days} d "
            f"(window {th.board_window_days} d); {th.probe_count} home probes, "
            f"timeout {_g(th.probe_timeout_s)} s; search query {th.search_query}"
        )
        lines += ["", "Categories"]
        for cid, cat in self.categories.items():
            lines.append(f"  {cid:<12} {_g(cat.points):>5}  {cat.name_zh}  {cat.name}".rstrip())
        verdict = self.verdict
        cap = (
            f"total capped at {_g(verdict.veto_cap)}"
            if verdict.veto_cap is not None
            else ("total not capped")
        )
        lines += ["", f"Vetoes (any one: {verdict.fail_label}, {cap})"]
        if verdict.pass_mark is not None:
            lines.append(
                f"  pass mark: a total below {_g(verdict.pass_mark)} is {verdict.fail_label}"
            )
        for v in self.vetoes:
            lines.append(f"  {v.id:<5} {v.name_zh}: {v.describe()}")
        if not self.vetoes:
            lines.append("  (none)")
        lines += ["", "Indicators"]
        for cid, cat in self.categories.items():
            lines.append(f"  {cid} — {cat.name_zh} ({_g(cat.points)} points)")
            for ind in self.indicators:
                if ind.category == cid:
                    lines.append(f"    {ind.describe()}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------- loading


def bundled_rubrics() -> list[str]:
    """Ids of the rubrics shipped with evalcrawl (``evalcrawler/rubrics/*.yaml``)."""
    folder = resources.files("evalcrawler.rubrics")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_rubric(spec: str) -> Rubric:
    """Load a bundled rubric by id (``gov2013``) or a rubric file (``path/to/rubric.yaml``)."""
    if spec.endswith((".yaml", ".yml")) or os.sep in spec or "/" in spec:
        path, label = Path(spec), spec
    else:
        known = bundled_rubrics()
        if spec not in known:
            close = get_close_matches(spec, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise RubricError(
                f"unknown rubric {spec!r}; {hint}bundled rubrics: {', '.join(known)} "
                "(or give the path of a rubric YAML file)"
            )
        path = Path(str(resources.files("evalcrawler.rubrics").joinpath(f"{spec}.yaml")))
        label = f"rubrics/{spec}.yaml"
    loaded = read_yaml(path, RubricError, label)
    return _build(loaded, path.read_text(encoding="utf-8"))


def parse_rubric(text: str, label: str = "<rubric>") -> Rubric:
    """Parse and validate rubric YAML text; ``label`` names it in error messages."""
    return _build(parse_yaml(text, RubricError, label), text)


def _build(loaded: LoadedYaml, text: str) -> Rubric:
    rubric = validate(loaded, Rubric, RubricError)
    _Checker(loaded, rubric).run()
    rubric._text = text
    rubric._sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    rubric._label = loaded.label
    return rubric


class _Checker:
    """Passes 2 and 3: parse measures and rules, then check the rubric as a whole."""

    def __init__(self, loaded: LoadedYaml, rubric: Rubric) -> None:
        self.loaded = loaded
        self.rubric = rubric

    def fail(self, loc: Loc, message: str) -> RubricError:
        return self.loaded.error(RubricError, loc, message)  # type: ignore[return-value]

    def run(self) -> None:
        r = self.rubric
        self._thresholds()
        for i, ind in enumerate(r.indicators):
            self._indicator(i, ind)
        for i, veto in enumerate(r.vetoes):
            for rel, cond in veto.conditions():
                if cond.measure is not None:
                    cond.measure = self._measure(cond.measure, ("vetoes", i, *rel, "measure"), 0)
        self._unique("indicators", [ind.id for ind in r.indicators], "indicator")
        self._unique("vetoes", [v.id for v in r.vetoes], "veto")
        indicator_ids = {ind.id for ind in r.indicators}
        for i, veto in enumerate(r.vetoes):
            if veto.id in indicator_ids:
                raise self.fail(
                    ("vetoes", i, "id"),
                    f"{veto.id!r} is also an indicator id; veto and indicator ids must differ "
                    "(the manual-scores CSV names both)",
                )
            for rel, cond in veto.conditions():
                if cond.indicator is not None and cond.indicator not in indicator_ids:
                    raise self.fail(
                        ("vetoes", i, *rel, "indicator"),
                        f"unknown indicator {cond.indicator!r}"
                        + _hint(cond.indicator, indicator_ids),
                    )
        self._points()

    # ---------------------------------------------------------------- parts

    def _thresholds(self) -> None:
        th = self.rubric.thresholds_
        kinds = th.kinds()
        for kind in th.stale_days:
            if kind not in kinds:
                raise self.fail(
                    ("thresholds", "stale_days", kind),
                    f"unknown column kind {kind!r}; kinds: {', '.join(kinds)} "
                    "(add it to column_kinds first)",
                )

    def _indicator(self, i: int, ind: Indicator) -> None:
        r = self.rubric
        base: Loc = ("indicators", i)
        if ind.category not in r.categories:
            raise self.fail(
                (*base, "category"),
                f"unknown category {ind.category!r}{_hint(ind.category, r.categories)}; "
                f"categories: {', '.join(r.categories)}",
            )
        for j, level in enumerate(ind.levels or []):
            if level not in r.levels:
                raise self.fail(
                    (*base, "levels", j),
                    f"level {level!r} is not one of the rubric's levels ({', '.join(r.levels)})",
                )
        if ind.manual:
            for key in ("measure", "rule"):
                if getattr(ind, key) is not None:
                    raise self.fail(
                        (*base, key),
                        "a manual indicator is scored by a person: remove measure and rule "
                        "(or set manual: false)",
                    )
            return
        for key in ("measure", "rule"):
            if getattr(ind, key) is None:
                raise self.fail(
                    (*base, key),
                    "required key is missing (or set manual: true for a check a person makes)",
                )
        ind.measure = self._measure(ind.measure, (*base, "measure"), 0)
        ind.rule = self._rule(ind.rule, (*base, "rule"))
        for rel, message in ind.rule.check(ind.points):
            raise self.fail((*base, "rule", *rel), message)

    def _typed(
        self, data: Any, loc: Loc, key: str, models: dict[str, type[BaseModel]], what: str
    ) -> BaseModel:
        """Validate ``data`` with the model its ``key`` names, errors at their line."""
        if not isinstance(data, dict):
            raise self.fail(loc, f"must be a mapping with a `{key}:` key")
        name = data.get(key)
        if name is None:
            raise self.fail((*loc, key), "required key is missing")
        if not isinstance(name, str) or name not in models:
            hint = _hint(str(name), models)
            raise self.fail(
                (*loc, key), f"unknown {what} {name!r}{hint}; {what}s: {', '.join(models)}"
            )
        try:
            return models[name].model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            rel = tuple(p for p in first["loc"] if not _is_union_tag(p))
            raise self.fail((*loc, *rel), _pydantic_message(first)) from None

    def _measure(self, data: Any, loc: Loc, depth: int) -> DetectorConfig:
        if depth > MAX_DEPTH:
            raise self.fail(loc, f"measures nest more than {MAX_DEPTH} deep")
        models = {name: spec.config for name, spec in registered_detectors().items()}
        config = self._typed(data, loc, "detector", dict(models), "detector")
        assert isinstance(config, DetectorConfig)
        for key in config.sub_measures:
            value = getattr(config, key)
            if isinstance(value, list):
                parsed: Any = [
                    self._measure(item, (*loc, key, j), depth + 1) for j, item in enumerate(value)
                ]
            else:
                parsed = self._measure(value, (*loc, key), depth + 1)
            setattr(config, key, parsed)
        for rel, message in config.check():
            raise self.fail((*loc, *rel), message)
        kinds = getattr(config, "kinds", None)
        if kinds:
            known = self.rubric.thresholds_.kinds()
            for j, kind in enumerate(kinds):
                if kind not in known:
                    raise self.fail(
                        (*loc, "kinds", j),
                        f"unknown column kind {kind!r}; kinds: {', '.join(known)}",
                    )
        return config

    def _rule(self, data: Any, loc: Loc) -> RuleBase:
        rule = self._typed(data, loc, "type", RULES, "rule type")  # type: ignore[arg-type]
        assert isinstance(rule, RuleBase)
        return rule

    def _unique(self, key: str, ids: list[str], what: str) -> None:
        seen: dict[str, int] = {}
        for i, ident in enumerate(ids):
            if ident in seen:
                raise self.fail(
                    (key, i, "id"),
                    f"duplicate {what} id {ident!r} (also {key}[{seen[ident]}]); "
                    "ids must be unique",
                )
            seen[ident] = i

    def _points(self) -> None:
        r = self.rubric
        for cid, cat in r.categories.items():
            total = sum(ind.points for ind in r.indicators if ind.category == cid)
            if not math.isclose(total, cat.points, abs_tol=1e-6):
                raise self.fail(
                    ("categories", cid, "points"),
                    f"{_g(cat.points)} points, but the indicators of {cid} add up to "
                    f"{_g(round(total, 6))}; make them equal",
                )
        total = sum(cat.points for cat in r.categories.values())
        if not math.isclose(total, r.total_points, abs_tol=1e-6):
            loc: Loc = (
                ("total_points",) if ("total_points",) in self.loaded.lines else ("categories",)
            )
            raise self.fail(
                loc,
                f"the categories add up to {_g(round(total, 6))} points, not the rubric's "
                f"total_points {_g(r.total_points)}",
            )


def _hint(name: str, known: Any) -> str:
    close = get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
