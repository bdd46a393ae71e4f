"""Every chart of the report renders for any score table (hypothesis): equal scores in a
group, one site per group, every site vetoed, no site measured, scores at 0 and 100.

A chart that raises loses the whole report (nothing is written), so the charts and the HTML
page that holds them (with its heat map) are rendered for random tables of sites."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalcrawler.reports import charts
from evalcrawler.reports.data import LEVELS, report_data_from_results
from evalcrawler.reports.html_report import render_html
from evalcrawler.reports.tables import build_tables
from evalcrawler.scoring.results import CATEGORIES, SiteResult

try:
    from tests.test_report_fixture import GENERATED_AT
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import GENERATED_AT

RUBRIC_TEXT = resources.files("evalcrawler.rubrics").joinpath("gov2013.yaml").read_text("utf-8")

# No example database in the working tree; no deadline (matplotlib's first figure is slow).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Any score in [0, 100], or one the example's sites share: equal scores within a group are
# common (all counties 0 on feedback, the same board software), and the mean of equal
# scores is not always that score in floating point (3 × 21.43 / 3 < 21.43).
SCORES = st.one_of(
    st.sampled_from([0.0, 14.29, 21.43, 33.33, 50.0, 100.0]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
SHARED = None  # stands for the example's shared score


def _score() -> st.SearchStrategy[float | None]:
    return st.one_of(st.just(SHARED), SCORES)


SITE = st.fixed_dictionaries(
    {
        # Mostly counties, as in a real region: groups of several sites.
        "level": st.sampled_from(["county", "county", "county", *LEVELS]),
        "status": st.sampled_from(["measured", "measured", "measured", "partial", "unreachable"]),
        "total": _score(),
        "categories": st.fixed_dictionaries(
            {c: st.one_of(st.just("none"), _score()) for c in CATEGORIES}
        ),
        "veto": st.booleans(),
    }
)


def _data(sites: list[dict], all_vetoed: bool, shared: float = 50.0):
    region = {
        "id": "prop",
        "name": "Property region",
        "sites": [
            {
                "id": f"s{i}",
                "name_zh": f"第{i}县人民政府",
                "level": s["level"],
                "url": f"https://s{i}/",
            }
            for i, s in enumerate(sites)
        ],
    }
    results = []

    def pick(value: float | str | None) -> float | None:
        return None if value == "none" else shared if value is SHARED else float(value)  # type: ignore[arg-type]

    for i, s in enumerate(sites):
        if s["status"] == "unreachable":
            results.append(SiteResult(f"s{i}", s["level"], "unreachable", None, {}))
            continue
        veto = all_vetoed or s["veto"]
        results.append(
            SiteResult(
                f"s{i}",
                s["level"],
                s["status"],
                pick(s["total"]),
                {c: pick(v) for c, v in s["categories"].items()},
                veto=veto,
                veto_reasons=["home page unreachable in 2 of 5 probes"] if veto else [],
                rank=None if veto else i + 1,
            )
        )
    return report_data_from_results(
        region,
        results,
        rubric_text=RUBRIC_TEXT,
        rubric_id="gov2013",
        year=2026,
        as_of=date(2026, 11, 20),
    )


@SETTINGS
@given(sites=st.lists(SITE, min_size=1, max_size=9), all_vetoed=st.booleans(), shared=SCORES)
def test_every_chart_renders_for_any_score_table(
    sites: list[dict], all_vetoed: bool, shared: float
) -> None:
    data = _data(sites, all_vetoed, shared)
    # The page draws every chart (categories, levels) and the heat map.
    page = render_html(data, build_tables(data), GENERATED_AT)
    measured = any(s.included for s in data.sites)
    # Nothing measured: no chart, and no error.
    charted = re.findall(r'<svg id="(chart-[a-z]+)"', page)
    assert charted == (["chart-categories", "chart-levels"] if measured else [])
    assert re.search(r"</html>\s*$", page)


def test_equal_scores_in_a_group_draw_zero_whiskers() -> None:
    # Three county sites at 21.43: their mean is 21.429999999999996 in floating point, so
    # "mean - min" was a tiny negative whisker and matplotlib refused it (the report was lost).
    same = {"level": "county", "status": "measured", "total": 21.43, "veto": False}
    sites = [{**same, "categories": dict.fromkeys(CATEGORIES, 21.43)} for _ in range(3)]
    assert sum([21.43] * 3) / 3 < 21.43  # the float error the chart must survive
    svg = charts.level_chart(_data(sites, all_vetoed=False))
    assert svg.startswith('<svg id="chart-levels"') and "county (n=3)" in svg
