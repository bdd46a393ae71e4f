"""Passes 2 and 3 of loading a rubric: parse its measures and rules, then check it whole.

The pydantic models of :mod:`evalcrawler.scoring.rubric` check keys and types (pass 1). Here
each ``measure:`` and ``rule:`` mapping is parsed with the model its ``detector:`` or ``type:``
names, recursively for measures that combine measures (pass 2), and the file is checked as a
whole: duplicate ids, unknown categories and levels, rule steps out of order, category points
that do not add up, vetoes on unknown indicators (pass 3). The first problem found is raised as
a :class:`~evalcrawler.errors.RubricError` that names the file, the line and the key.
"""

from __future__ import annotations

import math
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from evalcrawler.errors import RubricError
from evalcrawler.scoring.detectors import DetectorConfig, registered_detectors
from evalcrawler.scoring.rules import RULES, Loc, RuleBase
from evalcrawler.scoring.rules import as_written as _g

# _is_union_tag and _message: the wording and location handling of pydantic errors must match
# the first pass, which yamlfile does; these two helpers are reused rather than copied.
from evalcrawler.yamlfile import LoadedYaml, _is_union_tag
from evalcrawler.yamlfile import _message as _pydantic_message

if TYPE_CHECKING:
    from evalcrawler.scoring.rubric import Indicator, Rubric

MAX_DEPTH = 12  # measures nested deeper than this are refused (and recursive YAML aliases)


def check_rubric(loaded: LoadedYaml, rubric: Rubric) -> None:
    """Parse the measures and rules of a validated rubric in place, then check it whole."""
    _Checker(loaded, rubric).run()


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
            if ind.manual_override:
                raise self.fail(
                    (*base, "manual_override"),
                    "a manual indicator is always scored by a person: remove manual_override",
                )
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
