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
   ``type:`` names (the rules are in :mod:`evalcrawler.scoring.rules`), recursively for
   measures that combine measures;
3. checks across the file: duplicate ids, unknown categories, rule steps out of order,
   category points that do not add up to their indicators' points or to the total, vetoes
   on unknown indicators.

Passes 2 and 3 are :mod:`evalcrawler.scoring.rubric_checks`.

The first problem found stops the load. ``docs/rubrics.md`` describes every key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from evalcrawler.errors import RubricError
from evalcrawler.scoring.detectors import (
    Comparator,
    DetectorConfig,
    MetricMeasure,
    check_metric,
    walk,
)
from evalcrawler.scoring.results import Thresholds
from evalcrawler.scoring.rubric_checks import check_rubric
from evalcrawler.scoring.rules import MAX_DAYS, Loc, Points, StrictModel
from evalcrawler.scoring.rules import as_written as _g
from evalcrawler.yamlfile import LoadedYaml, parse_yaml, read_yaml, validate

__all__ = [
    "LEVELS",
    "Category",
    "Condition",
    "Indicator",
    "Rubric",
    "Veto",
    "bundled_rubrics",
    "load_rubric",
    "parse_rubric",
]

LEVELS: tuple[str, ...] = ("municipal", "district", "county", "county_city")
Level = Literal["municipal", "district", "county", "county_city"]
SLUG = r"^[a-z0-9][a-z0-9_-]*$"
ID = r"^[A-Za-z][A-Za-z0-9_.-]*$"


def _all_levels() -> list[Level]:
    return ["municipal", "district", "county", "county_city"]


# ------------------------------------------------------------------------------ the model


class Category(StrictModel):
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


class ThresholdsModel(StrictModel):
    """``thresholds:``: the numbers and word lists the metrics take from the rubric; what a
    rubric leaves out has the default of :class:`~evalcrawler.scoring.results.Thresholds`."""

    stale_days: dict[str, int] = Field(default_factory=_default_stale)
    column_kinds: dict[str, list[str]] = Field(default_factory=_default_kinds)
    min_column_items: int = Field(default=_DEFAULTS.min_column_items, ge=1, le=1000)
    overdue_days: int = Field(default=_DEFAULTS.overdue_days, gt=0, le=MAX_DAYS)
    board_window_days: int = Field(default=_DEFAULTS.board_window_days, gt=0, le=MAX_DAYS)
    # Probes are requests to the site: a hundred is already a lot for one evaluation.
    probe_count: int = Field(default=_DEFAULTS.probe_count, ge=1, le=100)
    probe_timeout_s: float = Field(default=_DEFAULTS.probe_timeout_s, gt=0, le=120)
    search_query: str = Field(default=_DEFAULTS.search_query, min_length=1)
    empty_phrases: list[str] = Field(default_factory=_default_phrases)

    @field_validator("stale_days")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for kind, days in value.items():
            if days <= 0:
                raise ValueError(f"{kind}: must be > 0")
            if days > MAX_DAYS:
                raise ValueError(f"{kind}: must be <= {MAX_DAYS}")
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


class Verdict(StrictModel):
    """``verdict:``: what a veto does to the total, and an optional pass mark."""

    veto_cap: float | None = Field(default=59, ge=0, le=100)  # totals are 0–100
    pass_mark: float | None = Field(default=None, ge=0, le=100)
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


class Veto(StrictModel):
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


class Indicator(StrictModel):
    """A scored indicator. ``measure`` and ``rule`` hold the parsed detector and rule after
    loading; ``manual: true`` indicators have neither (a person scores them)."""

    id: str = Field(pattern=ID)
    category: str
    name_zh: str
    name: str = ""
    points: Points
    levels: list[Level] | None = Field(default=None, min_length=1)
    manual: bool = False
    # Measured automatically, but a person's score in the manual-scores CSV replaces the
    # measured one (a check the rubric's source left to people, now measured by us).
    manual_override: bool = False
    measure: Any = None
    rule: Any = None
    source: str = ""
    description: str = ""

    @property
    def person_scores(self) -> bool:
        """Whether the manual-scores CSV may give this indicator's score."""
        return self.manual or self.manual_override

    def applies_to(self, level: str) -> bool:
        return self.levels is None or level in self.levels

    def describe(self) -> str:
        if self.manual:
            how = "manual (a person scores it)"
        else:
            how = f"{self.measure.describe()} → {self.rule.describe(self.points)}"
        levels = f" [{', '.join(self.levels)}]" if self.levels else ""
        return f"{self.id:<5} {_g(self.points):>4}  {self.name_zh}{levels}: {how}"


class Rubric(StrictModel):
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
        """SHA-256 (hex) of the rubric's content (:func:`content_sha256`): with its id and
        version, what identifies a rubric in the database."""
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
    check_rubric(loaded, rubric)
    rubric._text = text
    rubric._sha256 = content_sha256(loaded.data)
    rubric._label = loaded.label
    return rubric


def content_sha256(data: Any) -> str:
    """SHA-256 (hex) of a rubric's content: its parsed YAML written as canonical JSON (keys
    sorted, no spaces, dates as ISO text), UTF-8 encoded. Comments, layout, key order and
    quoting do not change it; any value does. (Migration 0003 holds a copy: keep them equal.)"""
    canonical = json.dumps(
        _canonical(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
