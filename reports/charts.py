"""Charts for the HTML report: matplotlib figures rendered to SVG and inlined.

The SVG keeps text as text (``svg.fonttype = "none"``) with a font list that names common CJK
fonts first, so Chinese site names stay selectable, searchable and readable whatever fonts the
machine that *made* the report had: the reader's browser draws them with its own fonts. The
output is deterministic (fixed ``svg.hashsalt``, no date or version metadata) and safe to inline
next to other charts (every id gets a per-chart prefix).

Figures are built with :class:`matplotlib.figure.Figure`, never pyplot: no GUI backend, no
global figure registry, the same non-interactive rendering the Agg backend gives.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from html import escape
from typing import Any, cast

import matplotlib as mpl
from matplotlib.figure import Figure

from evalcrawler.reports.data import ReportData, SiteReport
from evalcrawler.reports.regional import MEASURES, group_name_zh, level_order
from evalcrawler.scoring.results import CATEGORIES

CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
FONT_FAMILY: list[str] = [*CJK_FONTS, "DejaVu Sans"]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
COLORS: dict[str, str] = {
    "total": "#000000",
    "content": "#0072B2",
    "function": "#E69F00",
    "interaction": "#009E73",
    "feedback": "#CC79A7",
}

RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "evalcrawl",
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "font.size": 10,
    # A site name like "$x$" must stay text, not become mathtext (or a parse error).
    "text.parse_math": False,
    "text.usetex": False,
    # The Unicode minus is missing from some CJK fonts; a hyphen reads the same.
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}


@contextmanager
def _chart_context() -> Iterator[None]:
    with mpl.rc_context(cast(Any, RC)), warnings.catch_warnings():
        # Without a CJK font installed, matplotlib measures Chinese text with DejaVu Sans and
        # warns once per missing glyph. The text still goes into the SVG as text and the
        # browser renders it with its own fonts, so exactly these warnings are noise here.
        warnings.filterwarnings(
            "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
        )
        yield


def _svg(fig: Figure, prefix: str, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return clean_svg(buffer.getvalue(), prefix, title)


_ID = re.compile(r'\bid="([^"]+)"')


def clean_svg(svg: str, prefix: str, title: str = "") -> str:
    """Make matplotlib's SVG fit for inlining in HTML: drop the XML header, doctype and
    metadata, prefix every id (two charts must not share ``figure_1`` or a clip path),
    scope the global stylesheet to this chart and add an accessible title."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    ids = set(_ID.findall(svg))
    if ids:
        names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        svg = re.sub(rf'\bid="({names})"', rf'id="{prefix}-\1"', svg)
        svg = re.sub(rf"url\(#({names})\)", rf"url(#{prefix}-\1)", svg)
        svg = re.sub(rf'href="#({names})"', rf'href="#{prefix}-\1"', svg)
    svg = svg.replace("*{stroke-linejoin", f"#{prefix} *{{stroke-linejoin", 1)
    label = escape(title, quote=True)
    svg = re.sub(
        r"<svg\b",
        f'<svg id="{prefix}" class="chart" role="img" aria-label="{label}"',
        svg,
        count=1,
    )
    svg = re.sub(r"(<svg\b[^>]*>)", rf"\1<title>{escape(title)}</title>", svg, count=1)
    return svg.strip() + "\n"


def _label(site: SiteReport, rank: int | None) -> str:
    return f"{rank}. {site.short_name}" if rank is not None else site.short_name


def category_chart(
    data: ReportData, sites: Sequence[SiteReport], ranks: dict[str, int | None]
) -> str:
    """Horizontal grouped bars: each ranked site's four category scores (0–100), best first."""
    sites = [s for s in sites if s.included]
    if not sites:
        return ""
    title = "各站点分类得分 Category scores by site"
    with _chart_context():
        height = max(2.6, 0.62 * len(sites) + 1.3)
        fig = Figure(figsize=(8.0, height))
        ax = fig.add_subplot()
        bar = 0.8 / len(CATEGORIES)
        count = len(sites)
        for index, category in enumerate(CATEGORIES):
            ys = [count - 1 - i + 0.4 - bar * (index + 0.5) for i in range(count)]
            values = [s.categories.get(category) for s in sites]
            ax.barh(
                ys,
                [v if v is not None else 0 for v in values],
                height=bar * 0.92,
                color=COLORS[category],
                label=data.rubric.category_name(category),
            )
        ax.set_yticks([count - 1 - i for i in range(count)])
        ax.set_yticklabels([_label(s, ranks.get(s.site_id)) for s in sites])
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, count - 0.4)
        ax.set_xlabel("得分 score (0–100)")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=len(CATEGORIES),
            frameon=False,
            fontsize=9,
        )
        fig.tight_layout()
        return _svg(fig, "chart-categories", title)


def level_chart(data: ReportData) -> str:
    """Grouped bars: mean total and category scores of each level group, with the range
    (min–max) of the group's sites as whiskers."""
    included = [s for s in data.sites if s.included]
    levels = sorted({s.level for s in included}, key=lambda lv: (level_order(lv), lv))
    if not levels:
        return ""
    title = "各级别平均得分 Mean scores by level"
    with _chart_context():
        fig = Figure(figsize=(8.0, 3.8))
        ax = fig.add_subplot()
        width = 0.8 / len(MEASURES)
        for index, measure in enumerate(MEASURES):
            xs, means, low, high = [], [], [], []
            for position, level in enumerate(levels):
                values = [
                    v
                    for s in included
                    if s.level == level
                    and (v := (s.total if measure == "total" else s.categories.get(measure)))
                    is not None
                ]
                if not values:
                    continue
                # In floating point the mean of equal scores can fall just outside their
                # range (3 × 21.43 / 3 = 21.429999999999996): kept inside it, no whisker is
                # negative (matplotlib refuses one, and the whole report was lost).
                lowest, highest = min(values), max(values)
                mean = min(max(sum(values) / len(values), lowest), highest)
                xs.append(position - 0.4 + width * (index + 0.5))
                means.append(mean)
                low.append(mean - lowest)
                high.append(highest - mean)
            label = "总分" if measure == "total" else data.rubric.category_name(measure)
            ax.bar(
                xs,
                means,
                width=width * 0.92,
                color=COLORS[measure],
                label=label,
                yerr=[low, high],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#555555"},
            )
        counts = {lv: sum(1 for s in included if s.level == lv) for lv in levels}
        ax.set_xticks(range(len(levels)))
        ax.set_xticklabels([f"{group_name_zh(lv)}\n{lv} (n={counts[lv]})" for lv in levels])
        ax.set_ylim(0, 105)
        ax.set_ylabel("平均分 mean score")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(MEASURES), frameon=False, fontsize=9
        )
        fig.tight_layout()
        return _svg(fig, "chart-levels", title)


__all__ = ["CJK_FONTS", "category_chart", "clean_svg", "level_chart"]
