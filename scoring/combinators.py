"""Detectors that combine other measures: ``compare``, ``all_of``, ``any_of``, ``count_of``,
``share_of``, ``best_of`` and ``ratio``.

Their measures are parsed by the rubric loader (``sub_measures``) and detected through the
site's context, so a measure used twice is computed once. ``docs/rubrics.md`` documents them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from evalcrawler.scoring.detect_context import DetectContext
from evalcrawler.scoring.detectors import (
    Comparator,
    Detection,
    DetectorConfig,
    as_number,
    detector,
    truthy,
)


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
