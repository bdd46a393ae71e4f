"""Scoring rules: how a rubric's indicator turns a measured value into points.

An indicator's ``rule:`` mapping names its rule by ``type:`` (:data:`RULES`): ``presence``,
``steps``, ``linear``, ``ratio`` or ``deduct``. Each rule scores a value into [0, points] and
checks itself against the indicator's points when the rubric is loaded. ``docs/rubrics.md``
documents them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from evalcrawler.scoring.detectors import as_number, truthy

EPS = 1e-9

Loc = tuple[str | int, ...]


def as_written(x: float) -> str:
    """A number as the YAML author wrote it: 35, 1.5, 0.05."""
    return f"{x:g}"


_g = as_written  # messages and descriptions use it on every other line


class StrictModel(BaseModel):
    """A model of rubric YAML: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


MAX_POINTS = 1000.0  # no rubric gives more points than this to anything (a typo otherwise)
MAX_DAYS = 3660  # ten years: the longest window, limit or delay a rubric may name


def _positive(value: float) -> float:
    # A validator of its own: pydantic's gt=0 on a float field reports "must be > 0.0".
    if not value > 0:
        raise ValueError("must be > 0")
    if value > MAX_POINTS:
        raise ValueError(f"must be <= {MAX_POINTS:g}")
    return value


Points = Annotated[float, AfterValidator(_positive)]


class RuleBase(StrictModel):
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


class Step(StrictModel):
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
