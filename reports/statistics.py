"""Statistics on plain numbers: summary statistics, Gini, Theil with its between/within
decomposition, and the gap between a municipal score and a group's mean.

The formulas are written out in ``docs/reports.md``; tests/test_report_stats.py checks them
against values computed by hand. Numbers are returned unrounded: rounding is the writers'
business.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Describe:
    """Descriptive statistics of a sample. ``std`` is the sample standard deviation (ddof=1,
    ``None`` below two values); ``cv`` = std / mean (``None`` when the mean is 0)."""

    n: int
    mean: float | None
    median: float | None
    std: float | None
    cv: float | None
    min: float | None
    max: float | None
    range: float | None


def describe(values: Iterable[float]) -> Describe:
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return Describe(0, None, None, None, None, None, None, None)
    series = pd.Series(xs, dtype="float64")
    mean = float(series.mean())
    std = float(series.std(ddof=1)) if n >= 2 else None
    cv = std / mean if std is not None and mean != 0 else None
    low, high = min(xs), max(xs)
    return Describe(n, mean, float(series.median()), std, cv, low, high, high - low)


def gini(values: Iterable[float]) -> float | None:
    """Gini coefficient G = Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ) (population form, no n/(n−1) factor).

    ``None`` for no values; 0 when every value is equal (also when all are 0)."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return None
    mean = sum(xs) / n
    if mean == 0:
        return 0.0
    diff = sum(abs(a - b) for a in xs for b in xs)
    return diff / (2 * n * n * mean)


def _xlnx_term(x: float, mean: float) -> float:
    ratio = x / mean
    # lim r→0 of r·ln r is 0: a site with 0 points adds nothing (and no log error).
    return 0.0 if ratio == 0 else ratio * math.log(ratio)


def theil(values: Iterable[float]) -> float | None:
    """Theil T index T = (1/n) Σ (xᵢ/μ) ln(xᵢ/μ); ``None`` for no values or a mean of 0."""
    xs = [float(v) for v in values]
    if not xs:
        return None
    mean = sum(xs) / len(xs)
    if mean <= 0:
        return None
    return sum(_xlnx_term(x, mean) for x in xs) / len(xs)


@dataclass(frozen=True)
class TheilGroup:
    group: str
    n: int
    mean: float
    share: float  # s_g: the group's share of the sum of all values
    theil: float  # T_g, the Theil index inside the group


@dataclass(frozen=True)
class TheilDecomposition:
    """T = within + between, within = Σ s_g T_g, between = Σ s_g ln(μ_g / μ)."""

    total: float
    between: float
    within: float
    groups: tuple[TheilGroup, ...] = field(default_factory=tuple)

    @property
    def between_share(self) -> float | None:
        """Share of T explained by the groups (``None`` when T is 0: nothing to explain)."""
        return self.between / self.total if self.total > 0 else None


def theil_decomposition(
    values: Sequence[float], groups: Sequence[str], order: Sequence[str] | None = None
) -> TheilDecomposition | None:
    """Split Theil's T of ``values`` into between-group and within-group parts.

    ``groups[i]`` is the group of ``values[i]``; ``order`` fixes the order of the groups in the
    result (others follow in order of appearance)."""
    if len(values) != len(groups):
        raise ValueError("values and groups must have the same length")
    xs = [float(v) for v in values]
    total = theil(xs)
    if total is None:
        return None
    n = len(xs)
    mean = sum(xs) / n
    grand = sum(xs)
    names = list(dict.fromkeys([*(g for g in (order or []) if g in groups), *groups]))
    parts: list[TheilGroup] = []
    between = within = 0.0
    for name in names:
        members = [x for x, g in zip(xs, groups, strict=True) if g == name]
        group_mean = sum(members) / len(members)
        share = sum(members) / grand
        group_theil = theil(members) if group_mean > 0 else 0.0
        group_theil = group_theil or 0.0
        parts.append(TheilGroup(name, len(members), group_mean, share, group_theil))
        within += share * group_theil
        if share > 0:  # s·ln(μ_g/μ) → 0 as s → 0
            between += share * math.log(group_mean / mean)
    return TheilDecomposition(total, between, within, tuple(parts))


def gap(municipal: Iterable[float], compared: Iterable[float]) -> float | None:
    """The municipal score (the mean of the municipal sites when a scope holds several)
    minus the mean of the compared sites; ``None`` when either side has no value."""
    top, rest = list(municipal), list(compared)
    if not top or not rest:
        return None
    return sum(top) / len(top) - sum(rest) / len(rest)
