"""Property tests of the scoring engine (hypothesis): whatever the metrics, every indicator
score lies in [0, max], every category and total in [0, 100]; and where a rule is monotone,
a better metric value never lowers the indicator's score."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalcrawler.facts import DatedItem, Link, PageFacts, SiteFacts
from evalcrawler.scoring.detectors import MetricMeasure
from evalcrawler.scoring.engine import score_site
from evalcrawler.scoring.results import METRICS, Measurement, SiteMetrics
from evalcrawler.scoring.rubric import LEVELS, Indicator, Rubric, load_rubric
from evalcrawler.scoring.rules import RULES, RuleBase

AS_OF = date(2026, 11, 20)
H = "https://www.demo.gov.cn"

# No example database in the working tree; no deadline (a first call warms caches).
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

BOOLEAN = {
    "https",
    "https_redirect",
    "hsts",
    "ipv6",
    "mobile_viewport",
    "html_lang",
    "robots_txt",
    "sitemap_xml",
    "soft_404",
    "board_found",
    "search_form",
    "search_works",
}
SHARES = {"img_alt_ratio", "broken_ratio", "dated_share", "board_reply_rate"}

RUBRICS = {rid: load_rubric(rid) for rid in ("gov2013", "checklist2019")}


def domain(metric: str) -> st.SearchStrategy[Any]:
    """Plausible and implausible values of a metric (None = not measured)."""
    if metric in BOOLEAN:
        values: st.SearchStrategy[Any] = st.booleans()
    elif metric in SHARES:
        values = st.floats(min_value=0, max_value=1)
    elif metric == "home_latest":
        values = st.dates().map(date.isoformat)
    else:
        values = st.integers(min_value=0, max_value=5000) | st.floats(
            min_value=-5, max_value=1e6, allow_nan=False
        )
    return st.none() | values


metric_values = st.fixed_dictionaries({m: domain(m) for m in METRICS})


def site(level: str, status: str = "measured") -> SiteFacts:
    items = [DatedItem(f"要闻{i}", f"{H}/yw/{i}.html", date(2026, 11, 1 + i)) for i in range(4)]
    home = PageFacts(
        url=f"{H}/",
        final_url=f"{H}/",
        status=200,
        is_html=True,
        is_home=True,
        title="演示",
        text="地址：演示路 电话：0351-1234567",
        links=[Link(f"{H}/yw/", "要闻动态", nav=True), Link(f"{H}/bs/", "网上办事")],
        dated_links=items,
    )
    column = PageFacts(
        url=f"{H}/yw/", final_url=f"{H}/yw/", status=200, is_html=True, title="要闻", items=items
    )
    return SiteFacts(
        site_id="demo",
        url=f"{H}/",
        level=level,
        status=status,
        hosts=frozenset({"www.demo.gov.cn"}),
        pages=[home, column],
    )


def make_metrics(values: dict[str, Any]) -> SiteMetrics:
    return SiteMetrics(
        site_id="demo",
        values={
            m: Measurement(v, None if v is not None else "drawn as null") for m, v in values.items()
        },
    )


def check_bounds(
    rubric: Rubric, values: dict[str, Any], level: str, manual: dict[Any, float]
) -> None:
    result = score_site(rubric, site(level), make_metrics(values), AS_OF, manual)
    for ind in result.indicators:
        if ind.score is not None:
            assert 0 <= ind.score <= ind.max_score, ind
        assert ind.status in ("scored", "not_measured", "manual")
    for name, score in result.categories.items():
        assert score is None or 0 <= score <= 100, name
    assert result.total is not None and 0 <= result.total <= 100
    if (
        result.veto
        and rubric.verdict.veto_cap is not None
        and not result.veto_reasons[0].startswith("pass mark")
    ):
        assert result.total <= rubric.verdict.veto_cap


# pytest-twisted wraps a hypothesis test once per pytest item; a parametrized @given test
# would be wrapped twice. So the rubric and the indicator are drawn, not parametrized.


@SETTINGS
@given(
    rubric_id=st.sampled_from(sorted(RUBRICS)),
    values=metric_values,
    level=st.sampled_from(LEVELS),
    manual_share=st.floats(min_value=0, max_value=1),
)
def test_scores_stay_within_bounds(
    rubric_id: str, values: dict[str, Any], level: str, manual_share: float
) -> None:
    rubric = RUBRICS[rubric_id]
    manual = {("demo", i.id): i.points * manual_share for i in rubric.indicators if i.manual}
    check_bounds(rubric, values, level, manual)


# ---------------------------------------------------------------------- monotonicity


def plain_metric_indicators() -> list[tuple[str, Indicator]]:
    """Indicators of the shipped rubrics that score one metric directly with a rule."""
    out = []
    for rid, rubric in RUBRICS.items():
        for ind in rubric.indicators:
            if isinstance(ind.measure, MetricMeasure):
                out.append((rid, ind))
    return out


PLAIN = plain_metric_indicators()


def ordered_pair(metric: str) -> st.SearchStrategy[tuple[Any, Any]]:
    """Two non-null values a ≤ b of a metric."""
    if metric in BOOLEAN:
        return st.tuples(st.booleans(), st.booleans()).map(lambda t: tuple(sorted(t)))
    if metric in SHARES:
        base: st.SearchStrategy[float] = st.floats(min_value=0, max_value=1)
    else:
        base = st.floats(min_value=0, max_value=20000, allow_nan=False)
    return st.tuples(base, base).map(lambda t: tuple(sorted(t)))


def test_plain_metric_indicators_are_covered() -> None:
    assert len(PLAIN) >= 18
    assert {rid for rid, _ in PLAIN} == set(RUBRICS)


@settings(SETTINGS, max_examples=400)
@given(data=st.data())
def test_better_metric_value_never_lowers_the_score(data: st.DataObject) -> None:
    rubric_id, indicator = data.draw(st.sampled_from(PLAIN), label="indicator")
    rubric = RUBRICS[rubric_id]
    measure = indicator.measure
    assert isinstance(measure, MetricMeasure)
    base = data.draw(metric_values, label="other metrics")
    if measure.per is not None:
        # A share of two metrics: vary the numerator over a fixed positive denominator.
        base[measure.per] = data.draw(st.integers(min_value=1, max_value=50))
        low, high = sorted(data.draw(st.tuples(st.integers(0, 50), st.integers(0, 50))))
    else:
        low, high = data.draw(ordered_pair(measure.metric), label="values")
    level = (indicator.levels or list(LEVELS))[0]
    scores = []
    for value in (low, high):
        values = {**base, measure.metric: value}
        result = score_site(rubric, site(level), make_metrics(values), AS_OF)
        (row,) = [r for r in result.indicators if r.indicator_id == indicator.id]
        assert row.status == "scored"
        scores.append(row.score)
    if indicator.rule.direction > 0:
        assert scores[1] >= scores[0], (low, high, scores)
    else:
        assert scores[1] <= scores[0], (low, high, scores)


# ----------------------------------------------------------------- rules on their own

thresholds = st.lists(
    st.floats(min_value=-1000, max_value=1000, allow_nan=False), min_size=1, max_size=5, unique=True
)


@st.composite
def rules(draw: st.DrawFn) -> tuple[RuleBase, float]:
    """A valid rule of any type, with the points of its indicator."""
    points = draw(st.floats(min_value=0.5, max_value=50))
    kind = draw(st.sampled_from(sorted(RULES)))
    data: dict[str, Any] = {"type": kind}
    if kind == "steps":
        lower = draw(st.booleans())
        ts = sorted(draw(thresholds), reverse=not lower)
        ps = sorted((draw(st.floats(min_value=0, max_value=points)) for _ in ts), reverse=True)
        ops = ("at_most", "below") if lower else ("at_least", "above")
        data["steps"] = [
            {draw(st.sampled_from(ops)): t, "points": p} for t, p in zip(ts, ps, strict=True)
        ]
        data["otherwise"] = draw(st.floats(min_value=0, max_value=ps[-1]))
    elif kind == "linear":
        a, b = draw(thresholds.filter(lambda x: len(x) >= 2))[:2]
        data.update(zero_at=a, full_at=b)
    elif kind == "deduct":
        data["per"] = draw(st.floats(min_value=0.01, max_value=10))
        data["allow"] = draw(st.floats(min_value=0, max_value=10))
    rule = RULES[kind].model_validate(data)
    assert list(rule.check(points)) == []
    return rule, points


values_any = st.floats(min_value=-2000, max_value=2000, allow_nan=False) | st.booleans()


@SETTINGS
@given(rule=rules(), a=values_any, b=values_any)
def test_rules_are_bounded_and_monotone(rule: tuple[RuleBase, float], a: Any, b: Any) -> None:
    r, points = rule
    low, high = sorted((float(a), float(b)))
    s_low, s_high = r.score(low, points), r.score(high, points)
    assert s_low is not None and s_high is not None
    assert 0 <= s_low <= points and 0 <= s_high <= points
    if r.direction > 0:
        assert s_high >= s_low
    else:
        assert s_high <= s_low
