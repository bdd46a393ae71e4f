"""How stable is each rank? Rank intervals, unstable pairs and the municipal–county gap with a
confidence interval, by simulation.

Every draw recomputes each site's total the way the scoring engine does (a category is the
earned share of its available points × 100, the total the mean of the categories weighted by
their points), with two sources of uncertainty:

* **indicators** — within each category, the site's indicators are resampled with
  replacement (a bootstrap): a total that rests on a few indicators moves more;
* **weights** — the category weights are drawn from a Dirichlet distribution centred on the
  rubric's weights, with the concentration set so that a category of average size varies by
  ``weight_spread`` (±20 % relative standard deviation by default).

From the draws: the 90 % interval of every site's rank (competition ranking, 1 = best, ties
share the better rank; 5th percentile rounded down, 95th rounded up), the pairs of sites whose
order is the other way round in at least 10 % of the draws, and the gap between the municipal
total and the mean of the county-level totals with its 90 % interval (county-level sites are
also resampled in each draw). The gap is "larger than chance" when its interval excludes 0.

Everything is a pure function of its inputs and the seed: the same inputs and seed give the
same numbers. Inputs are the tables the reports already have (``scores`` as in scores.csv,
``indicators`` as in indicators.csv) and the rubric's category points; :func:`from_report`
makes them from a :class:`~evalcrawler.reports.data.ReportData`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalcrawler.reports import DEFAULT_SEED
from evalcrawler.reports.data import UNREACHABLE, ReportData
from evalcrawler.reports.regional import COMBINED_GROUPS, COUNTY_LEVEL

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "GapEstimate",
    "RankInterval",
    "Stability",
    "UnstablePair",
    "dirichlet_weights",
    "from_report",
    "stability",
]

DEFAULT_DRAWS = 1000
CONFIDENCE = 0.90
FLIP_SHARE = 0.10
WEIGHT_SPREAD = 0.20
SCORE_NEEDS = ("site_id", "level", "total")
INDICATOR_NEEDS = ("site_id", "category", "score", "max_score", "status")


@dataclass(frozen=True)
class RankInterval:
    site_id: str
    rank: int  # from the point totals
    rank_low: int  # best rank in the interval
    rank_high: int  # worst rank in the interval
    total: float
    total_low: float
    total_high: float


@dataclass(frozen=True)
class UnstablePair:
    site_a: str  # ahead on the point totals (the first in input order when tied)
    site_b: str
    flip_share: float  # share of draws with the less frequent order


@dataclass(frozen=True)
class GapEstimate:
    gap: float  # municipal total − mean of the county-level totals, from the point totals
    low: float
    high: float
    municipal: int
    county_level: int
    larger_than_chance: bool
    verdict: str


@dataclass(frozen=True)
class Stability:
    intervals: list[RankInterval]
    unstable_pairs: list[UnstablePair]
    gap: GapEstimate | None
    draws: int
    seed: int
    confidence: float = CONFIDENCE
    notes: list[str] = field(default_factory=list)


@dataclass
class _Site:
    site_id: str
    level: str
    total: float
    items: dict[str, np.ndarray]  # category -> (n, 2) array of (earned, available) points
    cap: float | None = None


# ----------------------------------------------------------------------------------- inputs


def _require(table: pd.DataFrame, needs: Sequence[str], name: str) -> None:
    missing = [c for c in needs if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name}: missing column {', '.join(missing)}; it needs {', '.join(needs)}"
        )


def _sites(
    scores: pd.DataFrame, indicators: pd.DataFrame, weights: Mapping[str, float]
) -> list[_Site]:
    _require(scores, SCORE_NEEDS, "scores")
    _require(indicators, INDICATOR_NEEDS, "indicators")
    bad = {c: w for c, w in weights.items() if not (isinstance(w, int | float) and w > 0)}
    if not weights or bad:
        raise ValueError(f"weights: every category needs points > 0, got {dict(weights)}")
    ranked = scores[scores["total"].notna()]
    if "status" in ranked.columns:
        ranked = ranked[ranked["status"] != UNREACHABLE]
    sites: list[_Site] = []
    for row in ranked.itertuples(index=False):
        site_id = str(row.site_id)
        own = indicators[indicators["site_id"].astype(str) == site_id]
        # As the engine: a manual indicator nobody scored is not available; a not-measured one
        # is available and earns 0.
        own = own[~((own["status"] == "manual") & own["score"].isna())]
        items: dict[str, np.ndarray] = {}
        for category in weights:
            part = own[own["category"] == category]
            if part.empty:
                continue
            earned = part["score"].fillna(0.0).astype(float).to_numpy()
            available = part["max_score"].astype(float).to_numpy()
            if available.sum() > 0:
                items[category] = np.column_stack([earned, available])
        site = _Site(site_id, str(row.level), float(row.total), items)
        point = _total(site, np.array([float(weights[c]) for c in weights]), list(weights))
        veto = getattr(row, "veto", False)
        if isinstance(veto, bool | np.bool_) and bool(veto) and site.total < point - 1e-6:
            site.cap = site.total  # a vetoed site's total is capped: keep the cap in every draw
        sites.append(site)
    return sites


def _total(site: _Site, w: np.ndarray, categories: list[str]) -> float:
    num = den = 0.0
    for weight, category in zip(w, categories, strict=True):
        part = site.items.get(category)
        if part is None:
            continue
        score = max(0.0, min(100.0, 100.0 * part[:, 0].sum() / part[:, 1].sum()))
        num += weight * score
        den += weight
    return num / den if den else math.nan


def from_report(data: ReportData) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """``scores``, ``indicators`` and category ``weights`` of a scored run."""
    scores = pd.DataFrame(
        [
            {
                "site_id": s.site_id,
                "level": s.level,
                "total": s.total if s.included else None,
                "veto": s.veto,
                "status": s.status,
            }
            for s in data.sites
        ],
        columns=["site_id", "level", "total", "veto", "status"],
    )
    indicators = pd.DataFrame(
        [
            {
                "site_id": s.site_id,
                "category": ind.category,
                "score": ind.score,
                "max_score": ind.max_score,
                "status": ind.status,
            }
            for s in data.sites
            for ind in s.indicators
        ],
        columns=list(INDICATOR_NEEDS),
    )
    weights = {
        str(cid): float(info.get("points") or 0)
        for cid, info in data.rubric.categories.items()
        if float(info.get("points") or 0) > 0
    }
    return scores, indicators, weights


# ------------------------------------------------------------------------------ simulation


def dirichlet_weights(
    weights: Sequence[float], draws: int, rng: np.random.Generator, spread: float = WEIGHT_SPREAD
) -> np.ndarray:
    """``draws`` weight vectors (rows summing to 1) around ``weights``: Dirichlet with mean the
    normalised weights and concentration κ = (k − 1)/spread² − 1, which gives a category of
    weight 1/k a relative standard deviation of ``spread``."""
    base = np.asarray(weights, dtype=float)
    base = base / base.sum()
    k = len(base)
    if k == 1:
        return np.ones((draws, 1))
    if spread <= 0:
        return np.tile(base, (draws, 1))
    kappa = (k - 1) / spread**2 - 1
    if kappa <= 0:
        raise ValueError(f"weight spread {spread} is too large for {k} categories")
    return rng.dirichlet(base * kappa, size=draws)


def _draw_totals(
    sites: Sequence[_Site],
    categories: list[str],
    weights: np.ndarray,  # (draws, categories)
    rng: np.random.Generator,
    bootstrap: bool,
) -> np.ndarray:
    draws = weights.shape[0]
    totals = np.empty((draws, len(sites)))
    for j, site in enumerate(sites):
        num = np.zeros(draws)
        den = np.zeros(draws)
        for c, category in enumerate(categories):
            part = site.items.get(category)
            if part is None:
                continue
            if bootstrap:
                pick = rng.integers(0, len(part), size=(draws, len(part)))
                earned = part[pick, 0].sum(axis=1)
                available = part[pick, 1].sum(axis=1)
            else:
                earned = np.full(draws, part[:, 0].sum())
                available = np.full(draws, part[:, 1].sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                score = np.clip(100.0 * earned / available, 0.0, 100.0)
            ok = available > 0
            num += np.where(ok, weights[:, c] * np.nan_to_num(score), 0.0)
            den += np.where(ok, weights[:, c], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            totals[:, j] = np.where(den > 0, num / den, np.nan)
        if site.cap is not None:
            totals[:, j] = np.minimum(totals[:, j], site.cap)
    return totals


def _competition_ranks(totals: np.ndarray) -> np.ndarray:
    """Rank of every column in every row: 1 + how many columns are strictly higher."""
    values = np.round(totals, 9)  # totals equal to 1e-9 share a rank, as the engine's
    return 1 + (values[:, None, :] > values[:, :, None]).sum(axis=2)


def stability(
    scores: pd.DataFrame,
    indicators: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    seed: int = DEFAULT_SEED,
    draws: int = DEFAULT_DRAWS,
    bootstrap: bool = True,
    weight_spread: float = WEIGHT_SPREAD,
    confidence: float = CONFIDENCE,
    flip_share: float = FLIP_SHARE,
) -> Stability:
    """Rank intervals, unstable pairs and the municipal–county gap of one scored run.

    ``bootstrap=False`` keeps every site's indicators as measured; ``weight_spread=0`` keeps
    the rubric's weights: with both, every interval is the point rank.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    sites = _sites(scores, indicators, weights)
    categories = list(weights)
    if not sites:
        return Stability([], [], None, draws, seed, confidence, ["no ranked site"])
    rng = np.random.default_rng(seed)
    w = dirichlet_weights([float(weights[c]) for c in categories], draws, rng, weight_spread)
    totals = _draw_totals(sites, categories, w, rng, bootstrap)
    point = np.array([s.total for s in sites])
    point_ranks = _competition_ranks(point[None, :])[0]
    ranks = _competition_ranks(totals)
    tail = (1 - confidence) / 2
    intervals = [
        RankInterval(
            site_id=site.site_id,
            rank=int(point_ranks[j]),
            rank_low=int(np.quantile(ranks[:, j], tail, method="lower")),
            rank_high=int(np.quantile(ranks[:, j], 1 - tail, method="higher")),
            total=site.total,
            total_low=float(np.quantile(totals[:, j], tail)),
            total_high=float(np.quantile(totals[:, j], 1 - tail)),
        )
        for j, site in enumerate(sites)
    ]
    return Stability(
        intervals=intervals,
        unstable_pairs=_unstable(sites, point, totals, flip_share),
        gap=_gap(sites, totals, rng, confidence),
        draws=draws,
        seed=seed,
        confidence=confidence,
    )


def _unstable(
    sites: Sequence[_Site], point: np.ndarray, totals: np.ndarray, threshold: float
) -> list[UnstablePair]:
    out: list[UnstablePair] = []
    n = len(sites)
    for a in range(n):
        for b in range(a + 1, n):
            first, second = (a, b) if point[a] >= point[b] else (b, a)
            ahead = float(np.mean(totals[:, first] > totals[:, second]))
            behind = float(np.mean(totals[:, second] > totals[:, first]))
            share = min(ahead, behind)
            if share >= threshold:
                out.append(UnstablePair(sites[first].site_id, sites[second].site_id, share))
    return sorted(out, key=lambda p: (-p.flip_share, p.site_a, p.site_b))


def _gap(
    sites: Sequence[_Site], totals: np.ndarray, rng: np.random.Generator, confidence: float
) -> GapEstimate | None:
    top = [j for j, s in enumerate(sites) if s.level == "municipal"]
    rest = [j for j, s in enumerate(sites) if s.level in COMBINED_GROUPS[COUNTY_LEVEL]]
    if not top or not rest:
        return None
    point = np.array([s.total for s in sites])
    gap = float(point[top].mean() - point[rest].mean())
    draws = totals.shape[0]
    pick = np.asarray(rest)[rng.integers(0, len(rest), size=(draws, len(rest)))]
    county = np.take_along_axis(totals, pick, axis=1).mean(axis=1)
    gaps = totals[:, top].mean(axis=1) - county
    tail = (1 - confidence) / 2
    low, high = float(np.quantile(gaps, tail)), float(np.quantile(gaps, 1 - tail))
    larger = low > 0 or high < 0
    pct = f"{confidence * 100:g} %"
    if larger:
        who = "municipal ahead" if low > 0 else "county-level sites ahead"
        verdict = f"the gap is larger than chance ({who}; {pct} interval {low:.1f} to {high:.1f})"
    else:
        verdict = f"the gap is not larger than chance ({pct} interval {low:.1f} to {high:.1f})"
    return GapEstimate(gap, low, high, len(top), len(rest), larger, verdict)
