"""Result types of scoring: measured metrics, columns, letters, indicator and site scores.

Plain dataclasses shared by the metric code, the scoring engine, the database layer and the
reports. ``Thresholds`` holds the numbers and word lists that metrics take from the rubric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from evalcrawler.facts import EMPTY_PHRASES, SEARCH_QUERY

METRICS: tuple[str, ...] = (
    "pages",
    "home_status",
    "home_probes",
    "home_probe_failures",
    "home_response_ms",
    "https",
    "https_redirect",
    "hsts",
    "ipv6",
    "mobile_viewport",
    "html_lang",
    "img_alt_ratio",
    "robots_txt",
    "sitemap_xml",
    "soft_404",
    "links_internal",
    "links_checked",
    "broken_internal",
    "broken_ratio",
    "broken_home",
    "home_latest",
    "home_age_days",
    "dated_share",
    "columns",
    "columns_stale",
    "columns_blank",
    "board_found",
    "board_threads",
    "board_replied",
    "board_reply_rate",
    "board_reply_median_days",
    "board_reply_p90_days",
    "board_unanswered_max_days",
    "board_overdue",
    "reply_texts",
    "reply_substantive_share",
    "reply_transfer_share",
    "reply_template_share",
    "reply_no_answer_share",
    "search_form",
    "search_works",
)
"""The metric catalogue of DESIGN.md, in its order (ids are an interface)."""

CATEGORIES: tuple[str, ...] = ("content", "function", "interaction", "feedback")


def _default_kinds() -> dict[str, list[str]]:
    # Order matters: the first kind whose keywords match a column's name wins.
    return {
        "notice": ["通知公告", "通知", "公告", "公示", "通报"],
        "policy": ["政策文件", "政策", "文件", "法规", "规章", "规范性文件", "政府令"],
        "news": ["动态", "要闻", "新闻", "资讯", "工作信息", "快讯", "头条"],
    }


@dataclass
class Thresholds:
    """Numbers and word lists that metrics take from the rubric (``thresholds:`` in YAML).

    The defaults here are the only ones: a rubric that leaves a threshold out gets this value
    (:class:`evalcrawler.scoring.rubric.ThresholdsModel` takes them from here)."""

    stale_days: dict[str, int] = field(
        default_factory=lambda: {"news": 14, "notice": 180, "policy": 180, "other": 365}
    )
    column_kinds: dict[str, list[str]] = field(default_factory=_default_kinds)
    min_column_items: int = 3
    overdue_days: int = 90
    board_window_days: int = 365
    probe_count: int = 5
    probe_timeout_s: float = 15.0
    search_query: str = SEARCH_QUERY
    empty_phrases: list[str] = field(default_factory=lambda: list(EMPTY_PHRASES))


@dataclass
class Measurement:
    """One metric of one site. ``value`` is ``None`` when not measured; ``reason`` says why."""

    value: Any
    reason: str | None = None
    evidence_url: str | None = None


@dataclass
class ColumnResult:
    """One row of columns.csv."""

    column: str
    url: str
    kind: str  # news | notice | policy | other
    items: int
    latest: date | None
    age_days: int | None
    stale: bool
    blank: bool
    reason: str = ""  # why the page is a column, or why it is a blank one


@dataclass
class ThreadResult:
    """One row of threads.csv (one letter)."""

    url: str | None
    title: str
    asked: date | None
    replied: date | None
    latency_days: float | None
    overdue: bool
    state: str = "unknown"
    # substantive | transfer_only | template | no_answer; "" when the letter shows no reply text
    reply_quality: str = ""
    reply_quality_reason: str = ""
    topic: str = ""  # one of scoring.topics.TOPICS; "" when the letter has no title or text


@dataclass
class BrokenLink:
    """One row of broken.csv: a broken internal link target and the pages that link to it."""

    url: str
    status: int  # final status; 0 = no response
    error: str | None
    linked_from: list[str]  # fetched pages of the site that link to it (at most 20)
    on_home: bool  # the home page links to it


@dataclass
class SiteMetrics:
    """Every catalogue metric of one site, plus the columns and letters behind them."""

    site_id: str
    values: dict[str, Measurement]
    columns: list[ColumnResult] = field(default_factory=list)
    threads: list[ThreadResult] = field(default_factory=list)
    broken: list[BrokenLink] = field(default_factory=list)

    def value(self, metric: str) -> Any:
        m = self.values.get(metric)
        return None if m is None else m.value


@dataclass
class IndicatorResult:
    """One row of indicators.csv."""

    indicator_id: str
    category: str
    name_zh: str
    name: str
    value: Any
    score: float | None  # None when not measured or manual (and not filled by a person)
    max_score: float
    status: str  # scored | not_measured | manual
    evidence_url: str | None = None
    evidence_text: str | None = None
    note: str | None = None


UNMEASURED = ("unreachable", "blocked")
"""Site statuses that are never scored, vetoed or ranked (docs/metrics.md, "Site status")."""


@dataclass
class SiteResult:
    """The score of one site under one rubric."""

    site_id: str
    level: str
    status: str  # measured | partial | blocked | unreachable
    total: float | None  # 0–100; None for an unreachable or blocked site
    categories: dict[str, float | None]  # category → 0–100 (earned share of its points × 100)
    veto: bool = False
    veto_reasons: list[str] = field(default_factory=list)
    indicators: list[IndicatorResult] = field(default_factory=list)
    metrics: SiteMetrics | None = None
    rank: int | None = None
