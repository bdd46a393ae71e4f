"""Charts of the letters and of the years (same conventions as :mod:`evalcrawler.reports.charts`:
matplotlib figures rendered to deterministic SVG with text kept as text, inlined in the report).

* :func:`topic_chart` — median reply days per topic, slowest first, with the letter counts;
* :func:`quality_chart` — each site's shares of the four reply classes (stacked bars);
* :func:`years_chart` — each site's total by year (lines), one point per scored year.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from evalcrawler.reports.charts import _chart_context, _svg
from evalcrawler.reports.data import SiteReport, short_name
from evalcrawler.reports.letters import QUALITY_NAMES_ZH, TopicStats

QUALITY_COLORS: dict[str, str] = {
    "substantive": "#009E73",
    "transfer_only": "#E69F00",
    "template": "#56B4E9",
    "no_answer": "#D55E00",
}
LINE_COLORS: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)


def topic_chart(topics: Sequence[TopicStats]) -> str:
    """Horizontal bars: the median reply latency of each topic (slowest on top)."""
    shown = [t for t in topics if t.median_days is not None]
    if not shown:
        return ""
    title = "各主题答复用时中位数 Median reply days by topic"
    with _chart_context():
        fig = Figure(figsize=(8.0, max(2.4, 0.45 * len(shown) + 1.2)))
        ax = fig.add_subplot()
        count = len(shown)
        ys = [count - 1 - i for i in range(count)]
        values = [t.median_days or 0.0 for t in shown]
        ax.barh(ys, values, height=0.6, color="#0072B2")
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{t.topic} (n={t.letters})" for t in shown])
        top = max(values) if values else 1.0
        for y, value in zip(ys, values, strict=True):
            ax.text(value + top * 0.01, y, f"{value:.1f}", va="center", fontsize=9)
        ax.set_xlim(0, top * 1.15 if top > 0 else 1)
        ax.set_xlabel("答复用时中位数（天）median days from letter to reply")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        fig.tight_layout()
        return _svg(fig, "chart-topics", title)


def quality_chart(sites: Sequence[tuple[SiteReport, TopicStats]]) -> str:
    """Stacked horizontal bars: each site's shares of substantive, transfer-only, template and
    no-answer replies among the replies shown."""
    shown = [(s, t) for s, t in sites if t.texts]
    if not shown:
        return ""
    title = "各站点答复质量 Reply quality by site"
    with _chart_context():
        fig = Figure(figsize=(8.0, max(2.4, 0.45 * len(shown) + 1.4)))
        ax = fig.add_subplot()
        count = len(shown)
        ys = [count - 1 - i for i in range(count)]
        left = [0.0] * count
        for quality, color in QUALITY_COLORS.items():
            widths = [100.0 * (t.shares.get(quality) or 0.0) for _, t in shown]
            ax.barh(
                ys,
                widths,
                left=left,
                height=0.6,
                color=color,
                label=f"{QUALITY_NAMES_ZH[quality]} {quality}",
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{s.short_name} (n={t.texts})" for s, t in shown])
        ax.set_xlim(0, 100)
        ax.set_xlabel("占显示答复内容的来信 % of letters whose reply is shown")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, frameon=False, fontsize=8)
        fig.tight_layout()
        return _svg(fig, "chart-quality", title)


def years_chart(
    years: Sequence[int], series: Sequence[tuple[str, str, Sequence[float | None]]]
) -> str:
    """Lines: each site's total in each year (``series``: site id, name, totals by year)."""
    if len(years) < 2 or not series:
        return ""
    title = "各站点历年总分 Total by year"
    with _chart_context():
        fig = Figure(figsize=(8.0, 4.2))
        ax = fig.add_subplot()
        xs = list(range(len(years)))
        for index, (_site_id, name, totals) in enumerate(series):
            points = [(x, v) for x, v in zip(xs, totals, strict=True) if v is not None]
            if not points:
                continue
            ax.plot(
                [x for x, _ in points],
                [v for _, v in points],
                marker="o",
                linewidth=1.4,
                color=LINE_COLORS[index % len(LINE_COLORS)],
                linestyle="-" if index < len(LINE_COLORS) else "--",
                label=short_name(name) or name,
            )
        ax.set_xticks(xs)
        ax.set_xticklabels([str(y) for y in years])
        ax.set_xlim(-0.3, len(years) - 0.7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("总分 total (0–100)")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
        fig.tight_layout()
        return _svg(fig, "chart-years", title)


__all__ = ["quality_chart", "topic_chart", "years_chart"]
