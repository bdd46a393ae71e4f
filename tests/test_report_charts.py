"""The inline SVG charts: text stays text, output is deterministic, no font warnings leak."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from evalcrawler.reports import charts, ranking
from evalcrawler.reports.data import load_report_data

try:
    from tests.test_report_fixture import build_db
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import build_db


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    engine, run_id = build_db(tmp_path_factory.mktemp("db") / "r.db")
    return load_report_data(engine, run_id)


def _render(data) -> tuple[str, str]:
    ranks = ranking.effective_ranks(data)
    order = ranking.ranked_sites(data)
    return charts.category_chart(data, order, ranks), charts.level_chart(data)


def test_charts_are_deterministic_text_svg(data) -> None:
    first = _render(data)
    assert first == _render(data)
    categories, levels = first
    for svg, prefix in ((categories, "chart-categories"), (levels, "chart-levels")):
        assert svg.startswith(f'<svg id="{prefix}" class="chart" role="img"')
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata" not in svg
        ids = re.findall(r'\bid="([^"]+)"', svg)
        assert ids and all(i == prefix or i.startswith(prefix + "-") for i in ids)
        for ref in re.findall(r"url\(#([^)]+)\)", svg):
            assert ref in ids  # every clip path reference was renamed with its target
        # The global stylesheet matplotlib writes is scoped to the chart.
        assert "*{stroke-linejoin" not in svg.replace(f"#{prefix} *{{stroke-linejoin", "")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", categories)
    assert "1. 太原市" in labels and "6. 迎泽区" in labels
    assert "娄烦县" not in categories  # unreachable sites are not charted


def test_charts_without_a_cjk_font_raise_no_warning(data, monkeypatch) -> None:
    # With only DejaVu Sans, matplotlib warns for every Chinese glyph; the chart code must
    # swallow exactly those warnings (pytest turns warnings into errors) and keep the text.
    monkeypatch.setitem(charts.RC, "font.sans-serif", ["DejaVu Sans"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        categories, levels = _render(data)
    assert ">1. 太原市</text>" in categories and "县级市" in levels


def test_chart_text_is_escaped_and_not_mathtext(data) -> None:
    site = data.sites[0]
    original = site.name_zh
    try:
        site.name_zh = "<b>$\\alpha$ & 太原</b>"
        svg, _ = _render(data)
    finally:
        site.name_zh = original
    assert "1. &lt;b&gt;$\\alpha$ &amp; 太原&lt;/b&gt;</text>" in svg


def test_clean_svg_titles_and_prefixes() -> None:
    raw = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x" "y">\n<svg width="1pt">'
        "<metadata><dc:date>2026</dc:date></metadata>"
        '<defs><style>*{stroke-linejoin: round}</style><clipPath id="p1"/></defs>'
        '<g id="figure_1" clip-path="url(#p1)"><use xlink:href="#p1"/></g></svg>'
    )
    svg = charts.clean_svg(raw, "c", 'A "title" <x>')
    assert svg.startswith('<svg id="c" class="chart" role="img" aria-label="A &quot;title&quot;')
    assert "<title>A &quot;title&quot; &lt;x&gt;</title>" in svg
    assert 'id="c-p1"' in svg and "url(#c-p1)" in svg and 'href="#c-p1"' in svg
    assert 'id="c-figure_1"' in svg and "#c *{stroke-linejoin" in svg
    assert "2026" not in svg


def test_empty_charts(tmp_path: Path) -> None:
    from evalcrawler.reports.data import report_data_from_results

    empty = report_data_from_results(
        {"id": "x", "name": "X", "sites": [{"id": "a", "level": "county", "url": "https://a/"}]},
        [],
    )
    assert _render(empty) == ("", "")
